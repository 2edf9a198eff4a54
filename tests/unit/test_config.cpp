#include <gtest/gtest.h>

#include "config/config_settings.h"
#include "config/configuration_error_event.h"
#include "config/local_config_file.h"
#include "core/host_root.h"

using namespace edgeguard;
using nlohmann::json;

TEST(Config, DefaultsMatchTheOfficialDefaultTwin) {
  const auto text = read_whole_file(std::string(EDGEGUARD_SOURCE_DIR) +
                                    "/third_party/azure-schemas/security_module_twin/azureiotsecurity_default.json");
  ASSERT_TRUE(text);
  const json official = json::parse(*text)["properties"]["desired"][std::string(kTwinConfigObject)];
  const json reported = report_twin_settings(AgentConfig::defaults());
  for (const auto& [key, value] : official.items()) {
    ASSERT_TRUE(reported.contains(key)) << key;
    EXPECT_EQ(reported[key], value) << key;
  }
}

TEST(Config, AcceptsWrappedAndPlainValues) {
  const json object = {{"highPriorityMessageFrequency", {{"value", "PT1M"}}},
                       {"lowPriorityMessageFrequency", "PT2H"},
                       {"eventPriorityProcessCreate", {{"value", "Off"}}},
                       {"maxMessageSizeInBytes", 8192},
                       {"aggregationEnabledConnectionCreate", {{"value", false}}}};
  const auto result = apply_twin_settings(object, AgentConfig::defaults(), "test");
  EXPECT_TRUE(result.invalid.empty());
  EXPECT_EQ(result.config.high_priority_message_frequency.value, std::chrono::minutes(1));
  EXPECT_EQ(result.config.low_priority_message_frequency.text, "PT2H");
  EXPECT_EQ(result.config.priority_of("ProcessCreate"), Priority::Off);
  EXPECT_EQ(result.config.max_message_size_bytes, 8192);
  EXPECT_FALSE(result.config.aggregation.at("ConnectionCreate").enabled);
}

TEST(Config, NullMeansDefault) {
  AgentConfig base = AgentConfig::defaults();
  base.max_message_size_bytes = 8192;
  const auto result = apply_twin_settings(json{{"maxMessageSizeInBytes", {{"value", nullptr}}}}, base, "test");
  EXPECT_EQ(result.config.max_message_size_bytes, 204800);
}

TEST(Config, WrongTypesAreNamedAndKeepTheBaseValue) {
  const json object = {{"maxMessageSizeInBytes", {{"value", "big"}}},
                       {"snapshotFrequency", {{"value", "13 hours"}}},
                       {"eventPriorityLogin", {{"value", "Medium"}}},
                       {"aggregationEnabledProcessCreate", {{"value", "true"}}},
                       {"maxLocalCacheSizeInBytes", {{"value", 100}}}};
  const auto result = apply_twin_settings(object, AgentConfig::defaults(), "twin");
  ASSERT_EQ(result.invalid.size(), 5u);
  for (const auto& problem : result.invalid) {
    EXPECT_EQ(problem.type, ConfigErrorType::TypeMismatch);
    EXPECT_NE(problem.message.find(problem.key), std::string::npos) << problem.message;
  }
  EXPECT_EQ(result.config, AgentConfig::defaults());
}

TEST(Config, UnknownKeysAreListed) {
  const auto result = apply_twin_settings(json{{"eventPriorityBogus", "High"}}, AgentConfig::defaults(), "t");
  ASSERT_EQ(result.unknown_keys.size(), 1u);
  EXPECT_EQ(result.unknown_keys[0], "eventPriorityBogus");
}

TEST(Config, SemanticChecks) {
  AgentConfig config = AgentConfig::defaults();
  EXPECT_TRUE(semantic_problems(config).empty());
  config.max_local_cache_size_bytes = 10000;
  config.max_message_size_bytes = 20000;
  config.high_priority_message_frequency = {std::chrono::hours(6), "PT6H"};
  const auto problems = semantic_problems(config);
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_EQ(problems[0].type, ConfigErrorType::Conflict);
  EXPECT_EQ(problems[0].key, "maxLocalCacheSizeInBytes");
  EXPECT_EQ(problems[1].type, ConfigErrorType::NotOptimal);
  EXPECT_EQ(problems[2].key, "highPriorityMessageFrequency");
}

TEST(Config, ReportIsCompleteAndRoundTrips) {
  AgentConfig config = AgentConfig::defaults();
  config.event_priority["ListeningPorts"] = Priority::Off;
  config.snapshot_frequency = {std::chrono::minutes(5), "PT5M"};
  const json reported = report_twin_settings(config);
  EXPECT_EQ(reported["eventPriorityListeningPorts"]["value"], "Off");
  EXPECT_EQ(reported["processEventSource"]["value"], "auto");
  const auto again = apply_twin_settings(reported, AgentConfig::defaults(), "round trip");
  EXPECT_TRUE(again.invalid.empty());
  EXPECT_TRUE(again.unknown_keys.empty());
  EXPECT_EQ(again.config, config);
}

TEST(LocalConfig, ReadsLocalSettingsAndTwinKeys) {
  const std::string text = R"({
    "stateDir": "/tmp/eg", "logLevel": "debug", "output": "-",
    "snapshotFrequency": "PT1M",
    "ms_iotn:urn_azureiot_Security_SecurityAgentConfiguration": {"eventPriorityLocalUsers": {"value": "Off"}}
  })";
  const auto result = parse_local_config(text, "edgeguard.json", AgentConfig::defaults());
  ASSERT_TRUE(result.usable);
  EXPECT_TRUE(result.problems.empty());
  EXPECT_EQ(result.config.local.state_dir, "/tmp/eg");
  EXPECT_EQ(result.config.local.log_level, "debug");
  EXPECT_EQ(result.config.local.output, "-");
  EXPECT_EQ(result.config.snapshot_frequency.value, std::chrono::minutes(1));
  EXPECT_EQ(result.config.priority_of("LocalUsers"), Priority::Off);
}

TEST(LocalConfig, SyntaxErrorNamesFileLineAndColumn) {
  const auto result = parse_local_config("{\n  \"logLevel\": \"info\",\n  oops\n}", "edgeguard.json",
                                         AgentConfig::defaults());
  EXPECT_FALSE(result.usable);
  EXPECT_NE(result.fatal_error.find("edgeguard.json:3:"), std::string::npos) << result.fatal_error;
}

// Found by fuzz_config_json: nlohmann throws out_of_range, not parse_error, for such a number.
TEST(LocalConfig, NumberBeyondADoubleIsAnErrorNotACrash) {
  const auto result = parse_local_config(R"({"snapshotFrequency": 66e566})", "edgeguard.json", AgentConfig::defaults());
  EXPECT_FALSE(result.usable);
  EXPECT_EQ(result.fatal_error, "edgeguard.json: not valid JSON: a number is out of range");
}

TEST(LocalConfig, BadKeysAreReportedAndDefaultsKept) {
  const auto result = parse_local_config(R"({"logLevel": 3, "maxMessageSizeInBytes": "x", "mystery": 1})",
                                         "c.json", AgentConfig::defaults());
  ASSERT_TRUE(result.usable);
  ASSERT_EQ(result.problems.size(), 2u);
  EXPECT_NE(result.problems[0].message.find("logLevel"), std::string::npos);
  EXPECT_NE(result.problems[1].message.find("maxMessageSizeInBytes"), std::string::npos);
  EXPECT_EQ(result.config.local.log_level, "info");
  EXPECT_EQ(result.config.max_message_size_bytes, 204800);
  ASSERT_EQ(result.unknown_keys.size(), 1u);
  EXPECT_EQ(result.unknown_keys[0], "mystery");
}

TEST(LocalConfig, ConfigurationErrorEventCarriesTheValueInUse) {
  const auto result = parse_local_config(R"({"maxMessageSizeInBytes": "x"})", "c.json", AgentConfig::defaults());
  const Event event = make_configuration_error_event(result.problems.at(0), result.config);
  EXPECT_EQ(event.name, "ConfigurationError");
  EXPECT_EQ(event.payload[0]["ErrorType"], "TypeMismatch");
  EXPECT_EQ(event.payload[0]["ConfigurationName"], "maxMessageSizeInBytes");
  EXPECT_EQ(event.payload[0]["UsedConfiguration"], "204800");
}
