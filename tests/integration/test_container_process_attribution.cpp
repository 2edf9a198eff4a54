// End to end, through the agent binary: a process exec'd inside a real Docker container (an
// IoT Edge module) reaches the output as a ProcessCreate carrying that container's id, name,
// image and module name, whichever kernel event source runs, and the messages stay valid.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "../support/docker_daemon.h"
#include "../support/process.h"
#include "../support/temp_dir.h"
#include "core/host_root.h"

using namespace edgeguard;
using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

constexpr const char* kImage = "edgeguard-test/busybox:attribution";
constexpr const char* kEdgeOwner = "net.azure-devices.edge.owner=Microsoft.Azure.Devices.Edge.Agent";

// Every ProcessCreate payload item in the agent's output so far.
std::vector<json> process_creates(const std::filesystem::path& output) {
  std::vector<json> found;
  std::istringstream lines(read_whole_file(output).value_or(""));
  for (std::string line; std::getline(lines, line);) {
    const json message = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!message.is_object() || !message.contains("Events")) continue;
    for (const auto& event : message["Events"]) {
      if (event.value("Name", "") != "ProcessCreate") continue;
      for (const auto& item : event["Payload"]) found.push_back(item);
    }
  }
  return found;
}

class ContainerProcessAttribution : public testing::TestWithParam<std::string> {};

TEST_P(ContainerProcessAttribution, AProcessExecdInAnEdgeModuleCarriesItsContainer) {
  test::TempDir dir;
  test::DockerDaemon daemon;
  daemon.import_busybox(kImage);
  {
    std::ofstream config(dir / "config.json");
    config << json{{"dockerSocket", daemon.socket().string()},
                   {"processEventSource", GetParam()},
                   {"aggregationEnabledProcessCreate", false},
                   {"highPriorityMessageFrequency", "PT1S"},
                   {"lowPriorityMessageFrequency", "PT1S"}}
                  .dump();
  }
  const auto output = dir / "out.jsonl";
  const auto log = dir / "agent.log";
  test::ChildProcess agent({test::edgeguard_binary(), "run", "--config", (dir / "config.json").string(), "--state-dir",
                            (dir / "state").string(), "--output", output.string()},
                           "", log.string());
  const auto log_text = [&] { return read_whole_file(log).value_or(""); };
  ASSERT_TRUE(test::eventually([&] { return log_text().find("watching Docker Engine") != std::string::npos; }, 60s))
      << log_text();

  daemon.must({"run", "-d", "--name", "tempSensor", "--label", kEdgeOwner, kImage, "sleep", "600"});
  const std::string id = daemon.must({"inspect", "--format", "{{.Id}}", "tempSensor"});
  // A unique argument, so this exec and nothing else matches. The process lives a second: the
  // proc connector reads /proc after the exec and counts a process already gone as lost.
  const std::string marker = "1." + std::to_string(::getpid()) + std::to_string(GetParam().size());
  daemon.must({"exec", "tempSensor", "/bin/sleep", marker});

  const auto exec_of_marker = [&]() -> std::optional<json> {
    for (const auto& item : process_creates(output)) {
      if (item.value("CommandLine", "") == "/bin/sleep " + marker) return item;
    }
    return std::nullopt;
  };
  ASSERT_TRUE(test::eventually([&] { return exec_of_marker().has_value(); }, 60s)) << log_text();
  agent.signal(SIGTERM);
  EXPECT_EQ(agent.wait(30s), 0);

  const json item = *exec_of_marker();
  const json& extra = item["ExtraDetails"];
  // The file that runs, as the container sees it: /bin/sleep is a link to busybox.
  EXPECT_EQ(item["Executable"], "/bin/busybox") << item;
  EXPECT_EQ(extra["ContainerId"], id) << item;
  EXPECT_EQ(extra["ContainerName"], "tempSensor") << item;
  EXPECT_EQ(extra["ContainerImage"], kImage) << item;
  EXPECT_EQ(extra["EdgeModule"], "tempSensor") << item;

  const auto validation = test::validate_messages({output.string()});
  EXPECT_EQ(validation.exit_code, 0) << validation.out << validation.err;
}

INSTANTIATE_TEST_SUITE_P(Sources, ContainerProcessAttribution, testing::Values("ebpf", "audit", "procconnector"),
                         [](const testing::TestParamInfo<std::string>& param_info) { return param_info.param; });

}  // namespace
