// The on-device deployment analysis end to end: the agent binary against a private dockerd
// (tests/support/docker_daemon.h) running IoT Edge module containers with risky and clean
// settings. Each risky module is otherwise hardened, so its findings must be exactly the rules
// of its one risky setting; the clean module must have none; a container that is no IoT Edge
// module is not judged. --privileged, --cap-add ALL and a bind of the host's Docker socket are
// created, never started (this machine withholds CAP_SYS_RESOURCE from containers, and starting
// the socket bind would make the engine create /var/run/docker.sock on the host).
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <set>
#include <thread>

#include "../support/docker_daemon.h"
#include "../support/process.h"
#include "../support/temp_dir.h"
#include "core/host_root.h"

using namespace edgeguard;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

using test::eventually;

constexpr const char* kImage = "edgeguard-test/busybox:1";
constexpr const char* kAgentImage = "edgeguard-test/edgeguard:1";
constexpr const char* kEdgeOwner = "net.azure-devices.edge.owner=Microsoft.Azure.Devices.Edge.Agent";
// What the deployment asked for: pinned by digest, so the image rules have nothing to say.
const std::string kOriginalImage =
    "net.azure-devices.edge.original-image=myacr.azurecr.io/module@sha256:"
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

// Every limit and hardening option, so that a module's findings are those of its risky setting.
std::vector<std::string> hardened(const std::string& name, std::vector<std::string> risky) {
  std::vector<std::string> args = {"--name",
                                   name,
                                   "--label",
                                   kEdgeOwner,
                                   "--label",
                                   kOriginalImage,
                                   "--memory",
                                   "64m",
                                   "--cpus",
                                   "0.5",
                                   "--pids-limit",
                                   "50",
                                   "--read-only",
                                   "--cap-drop",
                                   "ALL",
                                   "--security-opt",
                                   "no-new-privileges",
                                   "-u",
                                   "1000:1000"};
  args.insert(args.end(), risky.begin(), risky.end());
  return args;
}

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

struct Finding {
  std::string category;  // Periodic | Triggered
  json item;
};

// Every DeploymentFinding item and every inventory item in the agent's output, in order.
struct Output {
  std::vector<Finding> findings;
  std::vector<json> inventory;
  size_t finding_events = 0;
};

Output read_output(const std::filesystem::path& file) {
  Output out;
  std::istringstream lines(read_whole_file(file).value_or(""));
  for (std::string line; std::getline(lines, line);) {
    const json message = json::parse(line, nullptr, false);
    if (!message.is_object() || !message.contains("Events")) continue;
    for (const auto& event : message["Events"]) {
      if (event["Name"] == "DeploymentFinding") {
        ++out.finding_events;
        for (const auto& item : event["Payload"]) out.findings.push_back({event["Category"], item});
      } else if (event["Name"] == "ContainerInventory") {
        for (const auto& item : event["Payload"]) out.inventory.push_back(item);
      }
    }
  }
  return out;
}

// module -> rule ids.
std::map<std::string, std::set<std::string>> rules_by_module(const std::vector<Finding>& findings) {
  std::map<std::string, std::set<std::string>> out;
  for (const auto& finding : findings) out[finding.item["Module"]].insert(finding.item["RuleId"].get<std::string>());
  return out;
}

const json* finding_of(const std::vector<Finding>& findings, const std::string& module, const std::string& rule) {
  for (const auto& finding : findings) {
    if (finding.item["Module"] == module && finding.item["RuleId"] == rule) return &finding.item;
  }
  return nullptr;
}

}  // namespace

TEST(DeploymentAnalysisAgent, FindingsNameExactlyTheRiskyModulesAndFollowChanges) {
  test::TempDir dir;
  test::DockerDaemon daemon;
  daemon.import_busybox(kImage);
  daemon.must({"tag", kImage, kAgentImage});

  const std::vector<std::string> sleep = {kImage, "sleep", "600"};
  daemon.must(concat(concat({"run", "-d"}, hardened("hostnet", {"--network", "host"})), sleep));
  daemon.must(concat(concat({"run", "-d"}, hardened("hostpid", {"--pid", "host"})), sleep));
  daemon.must(concat(concat({"run", "-d"}, hardened("sysadmin", {"--cap-add", "SYS_ADMIN"})), sleep));
  daemon.must(concat(concat({"run", "-d"}, hardened("etcbind", {"-v", "/etc:/host/etc:ro"})), sleep));
  daemon.must(concat(concat({"create"}, hardened("privileged", {"--privileged"})), sleep));
  daemon.must(concat(concat({"create"}, hardened("capall", {"--cap-add", "ALL"})), sleep));
  daemon.must(
      concat(concat({"create"}, hardened("dockersock", {"-v", "/var/run/docker.sock:/var/run/docker.sock"})), sleep));
  daemon.must(concat(concat({"run", "-d"}, hardened("clean", {})), sleep));
  // No limits at all, otherwise hardened.
  daemon.must({"run", "-d", "--name", "nolimits", "--label", kEdgeOwner, "--label", kOriginalImage, "--read-only",
               "--cap-drop", "ALL", "--security-opt", "no-new-privileges", "-u", "1000:1000", kImage, "sleep", "600"});
  // Not an IoT Edge module: not judged, however risky.
  daemon.must({"run", "-d", "--name", "plain", "--network", "host", kImage, "sleep", "600"});
  // The security agent's module (recognised by name and image: this agent runs on the host, not
  // in a container): what it needs is reported at low severity.
  daemon.must({"run",
               "-d",
               "--name",
               "edgeguard",
               "--label",
               kEdgeOwner,
               "--pid",
               "host",
               "--cap-add",
               "SYS_PTRACE",
               "--memory",
               "64m",
               "--cpus",
               "0.5",
               "--pids-limit",
               "50",
               "--read-only",
               "--security-opt",
               "no-new-privileges",
               "-u",
               "1000:1000",
               kAgentImage,
               "sleep",
               "600"});

  {
    std::ofstream config(dir / "config.json");
    config << json{
        {"dockerSocket", daemon.socket().string()},
        {"highPriorityMessageFrequency", "PT1S"},
        {"lowPriorityMessageFrequency", "PT1S"},
        {"snapshotFrequency",
         "PT1H"}}.dump();
  }
  const auto output = dir / "out.jsonl";
  const auto log = dir / "agent.log";
  test::ChildProcess agent({test::edgeguard_binary(), "run", "--config", (dir / "config.json").string(), "--state-dir",
                            (dir / "state").string(), "--output", output.string()},
                           "", log.string());
  const auto log_text = [&] { return read_whole_file(log).value_or(""); };

  const std::map<std::string, std::set<std::string>> expected = {
      {"hostnet", {"EGD003"}},    {"hostpid", {"EGD004"}},
      {"sysadmin", {"EGD002"}},   {"etcbind", {"EGD010"}},
      {"privileged", {"EGD001"}}, {"capall", {"EGD002"}},
      {"dockersock", {"EGD010"}}, {"nolimits", {"EGD016", "EGD017", "EGD018"}},
  };
  ASSERT_TRUE(eventually([&] {
    const Output now = read_output(output);
    return rules_by_module(now.findings).size() >= expected.size() + 1 && !now.inventory.empty();
  })) << log_text();
  std::this_thread::sleep_for(3s);  // the resync's re-run (debounced) has had time to send anything it would
  const Output first = read_output(output);
  auto modules = rules_by_module(first.findings);
  const std::set<std::string> agent_rules = modules["edgeguard"];
  modules.erase("edgeguard");
  EXPECT_EQ(modules, expected);
  // The snapshot round says it all; the re-run after the engine collector's first resync finds
  // nothing new to send.
  for (const auto& finding : first.findings) EXPECT_EQ(finding.category, "Periodic") << finding.item.dump();

  // Where and how bad.
  EXPECT_EQ((*finding_of(first.findings, "privileged", "EGD001"))["Severity"], "Critical");
  EXPECT_EQ((*finding_of(first.findings, "privileged", "EGD001"))["JsonPath"], "/HostConfig/Privileged");
  EXPECT_EQ((*finding_of(first.findings, "capall", "EGD002"))["Severity"], "Critical");
  EXPECT_EQ((*finding_of(first.findings, "dockersock", "EGD010"))["Severity"], "Critical");
  EXPECT_EQ((*finding_of(first.findings, "hostnet", "EGD003"))["JsonPath"], "/HostConfig/NetworkMode");
  EXPECT_NE((*finding_of(first.findings, "sysadmin", "EGD002"))["Message"].get<std::string>().find("SYS_ADMIN"),
            std::string::npos);
  EXPECT_NE((*finding_of(first.findings, "etcbind", "EGD010"))["Message"].get<std::string>().find("/etc"),
            std::string::npos);
  const std::string hostnet_id = daemon.must({"inspect", "-f", "{{.Id}}", "hostnet"});
  EXPECT_EQ((*finding_of(first.findings, "hostnet", "EGD003"))["ContainerId"], hostnet_id);
  for (const auto& finding : first.findings) EXPECT_EQ(finding.item["Source"], "Engine");

  // The agent's own needs: low, and marked.
  EXPECT_TRUE(agent_rules.count("EGD004")) << log_text();
  EXPECT_TRUE(agent_rules.count("EGD002"));
  for (const char* rule : {"EGD002", "EGD004"}) {
    const json* need = finding_of(first.findings, "edgeguard", rule);
    ASSERT_TRUE(need) << rule;
    EXPECT_EQ((*need)["Severity"], "Low") << rule;
    EXPECT_EQ((*need)["SecurityAgent"], true) << rule;
  }

  // The inventory: counts for the modules, none for the other container.
  std::map<std::string, json> inventory;
  for (const auto& item : first.inventory) inventory[item["ContainerName"]] = item;
  ASSERT_TRUE(inventory.count("plain"));
  EXPECT_FALSE(inventory["plain"].contains("DeploymentFindings"));
  EXPECT_EQ(inventory["clean"]["DeploymentFindings"],
            json({{"Critical", 0}, {"High", 0}, {"Medium", 0}, {"Low", 0}, {"Highest", "None"}}));
  EXPECT_EQ(inventory["privileged"]["DeploymentFindings"]["Highest"], "Critical");
  EXPECT_EQ(inventory["privileged"]["DeploymentFindings"]["Critical"], 1);
  EXPECT_EQ(inventory["nolimits"]["DeploymentFindings"]["Low"], 3);

  // A restart changes no setting: the module is analysed again, nothing is sent.
  daemon.must({"restart", "-t", "0", "hostpid"});
  std::this_thread::sleep_for(5s);
  EXPECT_EQ(read_output(output).finding_events, first.finding_events);

  // A changed setting and a new module: the re-run sends exactly those two modules, Triggered.
  daemon.must({"update", "--pids-limit", "-1", "hostnet"});
  daemon.must(concat(concat({"run", "-d"}, hardened("late", {"--network", "host"})), sleep));
  std::vector<Finding> added;
  ASSERT_TRUE(eventually([&] {
    const Output now = read_output(output);
    added.assign(now.findings.begin() + static_cast<std::ptrdiff_t>(first.findings.size()), now.findings.end());
    const auto changed = rules_by_module(added);
    return changed.count("late") && changed.count("hostnet");
  })) << log_text();
  std::this_thread::sleep_for(3s);
  {
    const Output now = read_output(output);
    added.assign(now.findings.begin() + static_cast<std::ptrdiff_t>(first.findings.size()), now.findings.end());
  }
  const std::map<std::string, std::set<std::string>> changed = {{"hostnet", {"EGD003", "EGD018"}},
                                                                {"late", {"EGD003"}}};
  EXPECT_EQ(rules_by_module(added), changed);
  for (const auto& finding : added) EXPECT_EQ(finding.category, "Triggered");

  agent.signal(SIGTERM);
  EXPECT_EQ(agent.wait(30s), 0);
  const auto validation = test::validate_messages({output.string()});
  EXPECT_EQ(validation.exit_code, 0) << validation.out << validation.err;
  EXPECT_NE(validation.out.find("DeploymentFinding"), std::string::npos) << validation.out;
  EXPECT_NE(validation.out.find("ContainerInventory"), std::string::npos) << validation.out;
  EXPECT_FALSE(std::filesystem::exists("/var/run/docker.sock"));
}
