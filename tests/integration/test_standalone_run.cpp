// The agent binary end to end in standalone mode: --once output, schema validity, configuration
// errors, signals.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <map>

#include <nlohmann/json.hpp>
#include <thread>

#include "../support/process.h"
#include "../support/temp_dir.h"
#include "core/host_root.h"

using namespace edgeguard;
using namespace std::chrono_literals;

namespace {

std::vector<nlohmann::json> read_lines(const std::filesystem::path& file) {
  std::vector<nlohmann::json> out;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) out.push_back(nlohmann::json::parse(line));
  return out;
}

void write(const std::filesystem::path& file, const std::string& text) {
  std::filesystem::create_directories(file.parent_path());
  std::ofstream(file) << text;
}

}  // namespace

TEST(SchemaHelper, OfficialSamplesPassAndFailAsMicrosoftIntended) {
  const auto result = test::run({"/usr/bin/python3", std::string(EDGEGUARD_SOURCE_DIR) + "/tests/tools/validate_messages.py",
                                 "--samples"});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("13 valid, 6 invalid, 0 unexpected"), std::string::npos) << result.out;
}

TEST(SchemaHelper, RejectsOurOutputWithASpaceInsteadOfT) {
  test::TempDir dir;
  write(dir / "m.jsonl",
        R"({"AgentVersion":"1","AgentId":"072f3eca-3db0-45ba-8174-fa383bc93caf","MessageSchemaVersion":"1.0","Events":[{"Id":"072f3eca-3db0-45ba-8174-fa383bc93caf","TimestampLocal":"2018-08-10 11:01:21.000+01:00","TimestampUTC":"2018-08-10T11:01:21.000Z","Category":"Periodic","Name":"ListeningPorts","EventType":"Security","IsEmpty":true,"PayloadSchemaVersion":"1.0","Payload":[]}]})"
        "\n");
  const auto result = test::validate_messages({(dir / "m.jsonl").string()});
  EXPECT_EQ(result.exit_code, 1) << result.out;
}

TEST(StandaloneRun, OnceWritesSchemaValidMessagesAndExitsZero) {
  test::TempDir dir;
  const auto output = dir / "out.jsonl";
  const auto result = test::run({test::edgeguard_binary(), "run", "--once", "--state-dir", (dir / "state").string(),
                                 "--output", output.string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto messages = read_lines(output);
  ASSERT_FALSE(messages.empty());
  const auto agent_id = read_whole_file(dir / "state" / "agent_id");
  ASSERT_TRUE(agent_id);
  EXPECT_EQ(messages[0]["AgentId"].get<std::string>() + "\n", *agent_id);
  const auto validation = test::validate_messages({output.string()});
  EXPECT_EQ(validation.exit_code, 0) << validation.out << validation.err;
  // The statistics of the round count what the round collected.
  int64_t collected = -1;
  for (const auto& message : messages) {
    for (const auto& event : message["Events"]) {
      if (event["Name"] != "DroppedEventsStatistics") continue;
      collected = 0;
      for (const auto& queue : event["Payload"]) collected += queue["CollectedEvents"].get<int64_t>();
    }
  }
  EXPECT_GT(collected, 0);
}

TEST(StandaloneRun, AgentIdIsKeptAcrossRuns) {
  test::TempDir dir;
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(test::run({test::edgeguard_binary(), "run", "--once", "--state-dir", dir.path().string()}).exit_code, 0);
  }
  const auto messages = read_lines(dir / "messages.jsonl");
  ASSERT_GE(messages.size(), 2u);
  EXPECT_EQ(messages.front()["AgentId"], messages.back()["AgentId"]);
}

TEST(StandaloneRun, StdoutOutput) {
  test::TempDir dir;
  const auto result = test::run({test::edgeguard_binary(), "run", "--once", "--state-dir", dir.path().string(),
                                 "--output", "-", "--log-level", "error"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto document = nlohmann::json::parse(result.out.substr(0, result.out.find('\n')));
  EXPECT_EQ(document["MessageSchemaVersion"], "1.0");
}

TEST(StandaloneRun, UnusableConfigFileExitsTwoNamingThePosition) {
  test::TempDir dir;
  write(dir / "bad.json", "{\n \"logLevel\": \"info\",\n}\n");
  const auto result = test::run({test::edgeguard_binary(), "run", "--once", "--state-dir", dir.path().string(),
                                 "--config", (dir / "bad.json").string()});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("bad.json:3:"), std::string::npos) << result.err;
}

TEST(StandaloneRun, BadKeysAreNamedDefaultsKeptAndReportedAsConfigurationErrors) {
  test::TempDir dir;
  write(dir / "c.json", R"({"maxMessageSizeInBytes": {"value": "huge"}, "lowPriorityMessageFrequency": "5 hours",
                            "eventPriorityConfigurationError": "High", "colour": "blue"})");
  const auto output = dir / "out.jsonl";
  const auto result = test::run({test::edgeguard_binary(), "run", "--once", "--state-dir", dir.path().string(),
                                 "--config", (dir / "c.json").string(), "--output", output.string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("maxMessageSizeInBytes"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("lowPriorityMessageFrequency"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("\"colour\""), std::string::npos) << result.err;
  std::map<std::string, std::string> used;
  for (const auto& message : read_lines(output)) {
    for (const auto& event : message["Events"]) {
      if (event["Name"] == "ConfigurationError") {
        used[event["Payload"][0]["ConfigurationName"]] = event["Payload"][0]["UsedConfiguration"];
        EXPECT_EQ(event["Payload"][0]["ErrorType"], "TypeMismatch");
      }
    }
  }
  EXPECT_EQ(used["maxMessageSizeInBytes"], "204800");
  EXPECT_EQ(used["lowPriorityMessageFrequency"], "PT5H");
  EXPECT_EQ(test::validate_messages({output.string()}).exit_code, 0);
}

TEST(StandaloneRun, SigtermStopsCleanlyWithExitZero) {
  test::TempDir dir;
  test::ChildProcess agent({test::edgeguard_binary(), "run", "--state-dir", dir.path().string()}, "",
                           (dir / "stderr.log").string());
  std::this_thread::sleep_for(500ms);
  ASSERT_TRUE(agent.running());
  agent.signal(SIGTERM);
  EXPECT_EQ(agent.wait(10s), 0);
  const auto log = read_whole_file(dir / "stderr.log");
  ASSERT_TRUE(log);
  EXPECT_NE(log->find("SIGTERM"), std::string::npos) << *log;
}

TEST(StandaloneRun, HelpAndVersion) {
  const auto help = test::run({test::edgeguard_binary(), "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("run"), std::string::npos);
  const auto version = test::run({test::edgeguard_binary(), "version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.out.find("edgeguard " EDGEGUARD_VERSION), std::string::npos);
  const auto bad = test::run({test::edgeguard_binary(), "run", "--no-such-option"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_FALSE(bad.err.empty());
}
