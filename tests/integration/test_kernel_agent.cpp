// Kernel events end to end: the agent binary on the eBPF source writes schema-valid ProcessCreate
// and ConnectionCreate messages, simulated kernel drops reach DroppedEventsStatistics, and 1,000
// identical execs in one aggregation window become one event with HitCount 1000.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <thread>

#include "../support/process.h"
#include "../support/temp_dir.h"
#include "collectors/process/kernel_events_collector.h"
#include "pipeline/pipeline.h"
#include "transport/file_sink.h"

using namespace edgeguard;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

std::string random_digits(size_t length) {
  static std::mt19937_64 generator(std::random_device{}());
  std::string out;
  for (size_t i = 0; i < length; ++i) out.push_back(static_cast<char>('0' + generator() % 10));
  return out;
}

pid_t run_program(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    const int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null >= 0) dup2(null, STDOUT_FILENO);
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return pid;
}

// Every event of the JSON-lines output.
std::vector<json> read_events(const std::filesystem::path& file) {
  std::vector<json> events;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    const auto message = json::parse(line, nullptr, false);
    if (message.is_discarded()) continue;
    for (const auto& event : message["Events"]) events.push_back(event);
  }
  return events;
}

bool wait_for_text(const std::filesystem::path& file, const std::string& text, std::chrono::seconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    const auto content = read_whole_file(file);
    if (content && content->find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(200ms);
  }
  return false;
}

class KernelAgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
  }
  // Starts the agent with `settings` added to short send periods; waits for its kernel source.
  std::unique_ptr<test::ChildProcess> start_agent(const json& settings) {
    json config = {{"highPriorityMessageFrequency", "PT1S"}, {"lowPriorityMessageFrequency", "PT2S"},
                   {"snapshotFrequency", "PT2S"}, {"processEventSource", "ebpf"}};
    config.update(settings);
    std::ofstream(dir_ / "config.json") << config.dump();
    auto agent = std::make_unique<test::ChildProcess>(
        std::vector<std::string>{test::edgeguard_binary(), "run", "--config", (dir_ / "config.json").string(),
                                 "--state-dir", (dir_ / "state").string(), "--output", output().string()},
        "", log().string());
    EXPECT_TRUE(wait_for_text(log(), "kernel event source: ebpf", 20s)) << read_whole_file(log()).value_or("");
    return agent;
  }
  std::filesystem::path output() const { return dir_ / "out.jsonl"; }
  std::filesystem::path log() const { return dir_ / "agent.log"; }
  test::TempDir dir_;
};

TEST_F(KernelAgentTest, WritesSchemaValidProcessAndConnectionEvents) {
  auto agent = start_agent({{"aggregationEnabledProcessCreate", false}, {"aggregationEnabledConnectionCreate", false}});
  const std::string duration = "0.1" + random_digits(8);
  const pid_t pid = run_program({"/bin/sleep", duration});
  // A connection through a short-lived child of ours (the agent reports it too).
  const pid_t client = run_program({"/usr/bin/python3", "-c",
                                    "import socket\nl=socket.socket(); l.bind(('127.0.0.1',0)); l.listen()\n"
                                    "c=socket.create_connection(l.getsockname()); a,_=l.accept()\n"});
  ASSERT_TRUE(wait_for_text(output(), "/bin/sleep " + duration, 20s)) << read_whole_file(log()).value_or("");
  ASSERT_TRUE(wait_for_text(output(), "\"ConnectionCreate\"", 20s));
  agent->signal(SIGTERM);
  EXPECT_EQ(agent->wait(20s), 0);

  int process_events = 0;
  int connections = 0;
  for (const auto& event : read_events(output())) {
    const auto& payload = event["Payload"];
    if (event["Name"] == "ProcessCreate" && payload[0]["CommandLine"] == "/bin/sleep " + duration) {
      ++process_events;
      EXPECT_EQ(payload[0]["ProcessId"], pid);
      EXPECT_EQ(payload[0]["Executable"], std::filesystem::canonical("/bin/sleep").string());
      EXPECT_EQ(event["Category"], "Triggered");
    }
    if (event["Name"] == "ConnectionCreate" && payload[0]["ProcessId"] == client) ++connections;
  }
  EXPECT_EQ(process_events, 1);
  EXPECT_EQ(connections, 2);  // its connect and its accept
  const auto validation = test::validate_messages({output().string()});
  EXPECT_EQ(validation.exit_code, 0) << validation.out << validation.err;
}

TEST_F(KernelAgentTest, SimulatedKernelDropsReachDroppedEventsStatistics) {
  auto agent = start_agent({{"aggregationEnabledProcessCreate", false}, {"simulateKernelDropEveryN", 2}});
  const std::string prefix = "0.0" + random_digits(6);
  constexpr int kExecs = 20;
  for (int i = 0; i < kExecs; ++i) run_program({"/bin/sleep", prefix + std::to_string(i)});
  // Counters are read from the kernel every second and reported every snapshot period (2 s).
  std::this_thread::sleep_for(5s);
  agent->signal(SIGTERM);
  EXPECT_EQ(agent->wait(20s), 0);

  int captured = 0;
  uint64_t simulated = 0;
  for (const auto& event : read_events(output())) {
    if (event["Name"] == "ProcessCreate" &&
        event["Payload"][0]["CommandLine"].get<std::string>().rfind("/bin/sleep " + prefix, 0) == 0) {
      ++captured;
    }
    if (event["Name"] == "DroppedEventsStatistics") {
      for (const auto& queue : event["Payload"]) {
        if (queue.contains("ExtraDetails") && queue["ExtraDetails"].contains("SimulatedDrop")) {
          simulated += std::stoull(queue["ExtraDetails"]["SimulatedDrop"].get<std::string>());
        }
      }
    }
  }
  const uint64_t missing = kExecs - captured;
  EXPECT_GT(missing, 0u);
  EXPECT_GE(simulated, missing) << "every exec that is missing must be counted";
  EXPECT_NE(read_whole_file(log()).value_or("").find("SimulatedDrop"), std::string::npos) << "and logged";
  EXPECT_EQ(test::validate_messages({output().string()}).exit_code, 0);
}

TEST(KernelAggregation, ThousandIdenticalExecsInOneWindowAreOneEventWithHitCount1000) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  test::TempDir dir;
  AgentConfig config = AgentConfig::defaults();
  config.process_event_source = "ebpf";
  config.event_priority["ConnectionCreate"] = Priority::Off;
  config.max_local_cache_size_bytes = 64 << 20;  // everything the machine execs meanwhile fits
  Statistics statistics;
  RuntimeInfo runtime;
  ContainerCatalog containers;
  EventStore store(dir / "events.db", static_cast<uint64_t>(config.max_local_cache_size_bytes));
  FileSink sink((dir / "out.jsonl").string());
  Pipeline pipeline(config, store, sink, statistics, AgentIdentity{"072f3eca-3db0-45ba-8174-fa383bc93caf", "test"});
  const HostRoot host("/");
  KernelEventsCollector collector(statistics, runtime, containers);
  collector.start(CollectorContext{host, config}, [&](Event e) { return pipeline.submit(std::move(e)); });

  const std::string marker = "edgeguard-aggregation-" + random_digits(10);
  for (int i = 0; i < 1000; ++i) run_program({"/bin/true", marker});
  std::this_thread::sleep_for(1500ms);  // the ring buffer is read every 100 ms
  collector.stop();
  ASSERT_TRUE(pipeline.flush_all(true));  // closes the window (PT1H by default) now

  std::vector<json> ours;
  for (const auto& event : read_events(dir / "out.jsonl")) {
    if (event["Name"] == "ProcessCreate" && event["Payload"][0]["CommandLine"] == "/bin/true " + marker) {
      ours.push_back(event);
    }
  }
  ASSERT_EQ(ours.size(), 1u);
  const auto& payload = ours[0]["Payload"][0];
  EXPECT_EQ(ours[0]["Category"], "Triggered");
  EXPECT_EQ(payload["ExtraDetails"]["HitCount"], "1000");
  EXPECT_EQ(payload["ProcessId"], 0);
  EXPECT_EQ(payload["ParentProcessId"], 0);
  for (const char* key : {"StartTimeUtc", "EndTimeUtc", "StartTimeLocal", "EndTimeLocal"}) {
    EXPECT_TRUE(payload["ExtraDetails"][key].is_string()) << key;
  }
  EXPECT_EQ(statistics.totals().low.dropped, 0u);
  const auto validation = test::validate_messages({(dir / "out.jsonl").string()});
  EXPECT_EQ(validation.exit_code, 0) << validation.out << validation.err;
}

}  // namespace
