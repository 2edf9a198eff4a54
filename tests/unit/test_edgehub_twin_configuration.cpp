// The module twin as the configuration source: full GET, merge patches, validation that
// rejects a whole update, semantic problems, versions and the reported document.
#include <gtest/gtest.h>

#include "transport/edgehub/twin_configuration.h"

using namespace edgeguard;
using namespace edgeguard::edgehub;
using nlohmann::json;

namespace {

const std::string kObj(kTwinConfigObject);

std::string twin(const json& object, int version = 1) {
  return json{{"desired", {{kObj, object}, {"$version", version}}}, {"reported", {{"$version", 1}}}}.dump();
}

std::string patch(const json& object, int version) { return json{{kObj, object}, {"$version", version}}.dump(); }

bool mentions(const std::vector<ConfigProblem>& problems, const std::string& key, const std::string& text) {
  for (const auto& problem : problems) {
    if (problem.key == key && problem.message.find(text) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST(TwinConfiguration, FullTwinAppliesWrappedValuesOverTheLocalConfiguration) {
  AgentConfig local = AgentConfig::defaults();
  local.snapshot_frequency = Duration{std::chrono::minutes(10), "PT10M"};
  local.hub_resource_id = "from-local-file";
  TwinConfiguration configuration(local);
  const auto update = configuration.apply_full_twin(
      twin({{"highPriorityMessageFrequency", {{"value", "PT1M"}}},
            {"eventPriorityListeningPorts", {{"value", "Off"}}},
            {"aggregationEnabledProcessCreate", {{"value", false}}},
            {"maxMessageSizeInBytes", {{"value", 8192}}}},
           4));
  ASSERT_EQ(update.outcome, TwinUpdate::Outcome::Applied);
  EXPECT_TRUE(update.problems.empty());
  EXPECT_EQ(update.version, 4);
  const auto& config = configuration.config();
  EXPECT_EQ(config.high_priority_message_frequency.text, "PT1M");
  EXPECT_EQ(config.priority_of("ListeningPorts"), Priority::Off);
  EXPECT_FALSE(config.aggregation.at("ProcessCreate").enabled);
  EXPECT_EQ(config.max_message_size_bytes, 8192);
  EXPECT_EQ(config.snapshot_frequency.text, "PT10M");  // local file, not in the twin
  EXPECT_EQ(config.hub_resource_id, "from-local-file");
}

TEST(TwinConfiguration, MissingOrNullObjectMeansLocalAndDefaults) {
  TwinConfiguration configuration(AgentConfig::defaults());
  EXPECT_EQ(configuration.apply_full_twin(R"({"desired":{"$version":2},"reported":{}})").outcome,
            TwinUpdate::Outcome::Applied);
  EXPECT_EQ(configuration.config(), AgentConfig::defaults());
  EXPECT_EQ(configuration.apply_full_twin(twin(nullptr, 3)).outcome, TwinUpdate::Outcome::Applied);
  EXPECT_EQ(configuration.config(), AgentConfig::defaults());
  EXPECT_EQ(configuration.apply_full_twin(twin({{"lowPriorityMessageFrequency", {{"value", nullptr}}}}, 4)).outcome,
            TwinUpdate::Outcome::Applied);
  EXPECT_EQ(configuration.config(), AgentConfig::defaults());
}

TEST(TwinConfiguration, PatchesMergeAndNullRestoresTheDefault) {
  TwinConfiguration configuration(AgentConfig::defaults());
  configuration.apply_full_twin(twin({{"eventPriorityLogin", {{"value", "Low"}}},
                                      {"snapshotFrequency", {{"value", "PT1H"}}}},
                                     1));
  auto update = configuration.apply_desired_patch(patch({{"eventPriorityListeningPorts", {{"value", "Off"}}}}, 2));
  ASSERT_EQ(update.outcome, TwinUpdate::Outcome::Applied);
  EXPECT_EQ(configuration.config().priority_of("ListeningPorts"), Priority::Off);
  EXPECT_EQ(configuration.config().priority_of("Login"), Priority::Low);  // kept from the GET
  EXPECT_EQ(configuration.config().snapshot_frequency.text, "PT1H");

  update = configuration.apply_desired_patch(patch({{"eventPriorityLogin", nullptr}}, 3));
  ASSERT_EQ(update.outcome, TwinUpdate::Outcome::Applied);
  EXPECT_EQ(configuration.config().priority_of("Login"), Priority::High);  // default again

  update = configuration.apply_desired_patch(json{{kObj, nullptr}, {"$version", 4}}.dump());
  ASSERT_EQ(update.outcome, TwinUpdate::Outcome::Applied);
  EXPECT_EQ(configuration.config(), AgentConfig::defaults());
}

TEST(TwinConfiguration, AWrongTypeRejectsTheWholeUpdateNamingEveryBadKeyAndWhere) {
  TwinConfiguration configuration(AgentConfig::defaults());
  configuration.apply_full_twin(twin({{"lowPriorityMessageFrequency", {{"value", "PT2H"}}}}, 1));
  const AgentConfig before = configuration.config();
  const auto update = configuration.apply_desired_patch(
      patch({{"maxMessageSizeInBytes", {{"value", "huge"}}},
             {"highPriorityMessageFrequency", {{"value", "5 minutes"}}},
             {"eventPriorityLogin", {{"value", "Off"}}}},  // valid, but part of a rejected update
            2));
  ASSERT_EQ(update.outcome, TwinUpdate::Outcome::Rejected);
  EXPECT_EQ(configuration.config(), before);
  EXPECT_EQ(update.config, before);
  ASSERT_EQ(update.problems.size(), 2u);
  for (const auto& problem : update.problems) EXPECT_EQ(problem.type, ConfigErrorType::TypeMismatch);
  EXPECT_TRUE(mentions(update.problems, "maxMessageSizeInBytes", "/maxMessageSizeInBytes/value"));
  EXPECT_TRUE(mentions(update.problems, "maxMessageSizeInBytes", kObj));
  EXPECT_TRUE(mentions(update.problems, "highPriorityMessageFrequency", "\"5 minutes\""));
  EXPECT_TRUE(mentions(update.problems, "highPriorityMessageFrequency", "previous configuration stays in force"));

  // The desired document still holds the bad values: a patch that fixes only one stays rejected.
  EXPECT_EQ(configuration.apply_desired_patch(patch({{"maxMessageSizeInBytes", {{"value", 65536}}}}, 3)).outcome,
            TwinUpdate::Outcome::Rejected);
  const auto fixed = configuration.apply_desired_patch(patch({{"highPriorityMessageFrequency", {{"value", "PT5M"}}}}, 4));
  ASSERT_EQ(fixed.outcome, TwinUpdate::Outcome::Applied);
  EXPECT_EQ(configuration.config().max_message_size_bytes, 65536);
  EXPECT_EQ(configuration.config().priority_of("Login"), Priority::Off);
  EXPECT_EQ(configuration.config().high_priority_message_frequency.text, "PT5M");
}

TEST(TwinConfiguration, NotJsonIsRejectedWithItsPosition) {
  TwinConfiguration configuration(AgentConfig::defaults());
  const auto update = configuration.apply_desired_patch("{\n  \"a\": 1,\n  oops\n}");
  ASSERT_EQ(update.outcome, TwinUpdate::Outcome::Rejected);
  ASSERT_EQ(update.problems.size(), 1u);
  EXPECT_NE(update.problems[0].message.find("module twin desired patch:3:"), std::string::npos) << update.problems[0].message;
  EXPECT_NE(update.problems[0].message.find("not valid JSON"), std::string::npos);
  EXPECT_EQ(configuration.apply_full_twin("").outcome, TwinUpdate::Outcome::Rejected);
  EXPECT_EQ(configuration.apply_full_twin("[1]").outcome, TwinUpdate::Outcome::Rejected);
  EXPECT_EQ(configuration.apply_full_twin(R"({"desired": 5})").outcome, TwinUpdate::Outcome::Rejected);
}

TEST(TwinConfiguration, NumberBeyondADoubleIsRejectedAndTheConfigurationKept) {
  TwinConfiguration configuration(AgentConfig::defaults());
  ASSERT_EQ(configuration.apply_desired_patch(patch({{"maxMessageSizeInBytes", {{"value", 65536}}}}, 1)).outcome,
            TwinUpdate::Outcome::Applied);
  const auto update = configuration.apply_desired_patch(R"({"$version": 2, "x": 1e999})");
  ASSERT_EQ(update.outcome, TwinUpdate::Outcome::Rejected);
  EXPECT_EQ(update.problems.at(0).message, "module twin desired patch: not valid JSON: a number is out of range");
  EXPECT_EQ(configuration.config().max_message_size_bytes, 65536);
  EXPECT_EQ(configuration.apply_full_twin(R"({"desired": {"$version": 1e400}})").outcome, TwinUpdate::Outcome::Rejected);
}

TEST(TwinConfiguration, ObjectOfTheWrongTypeIsRejectedAndAReplacingObjectRecovers) {
  TwinConfiguration configuration(AgentConfig::defaults());
  const auto bad = configuration.apply_full_twin(twin("High", 1));
  ASSERT_EQ(bad.outcome, TwinUpdate::Outcome::Rejected);
  EXPECT_NE(bad.problems[0].message.find("/desired/" + kObj + ": expected an object"), std::string::npos);
  const auto good = configuration.apply_desired_patch(patch({{"eventPriorityLogin", {{"value", "Low"}}}}, 2));
  ASSERT_EQ(good.outcome, TwinUpdate::Outcome::Applied);
  EXPECT_EQ(configuration.config().priority_of("Login"), Priority::Low);
}

TEST(TwinConfiguration, SemanticProblemsAreReportedButApplied) {
  TwinConfiguration configuration(AgentConfig::defaults());
  const auto update = configuration.apply_full_twin(twin({{"maxLocalCacheSizeInBytes", {{"value", 10000}}},
                                                          {"maxMessageSizeInBytes", {{"value", 20000}}},
                                                          {"highPriorityMessageFrequency", {{"value", "PT6H"}}}}));
  ASSERT_EQ(update.outcome, TwinUpdate::Outcome::Applied);
  EXPECT_EQ(configuration.config().max_message_size_bytes, 20000);
  std::vector<std::string> kinds;
  for (const auto& problem : update.problems) kinds.push_back(problem.key + ":" + std::string(to_string(problem.type)));
  EXPECT_EQ(kinds, (std::vector<std::string>{"maxLocalCacheSizeInBytes:Conflict", "maxMessageSizeInBytes:NotOptimal",
                                             "highPriorityMessageFrequency:Conflict"}));
}

TEST(TwinConfiguration, VersionsSkipOldPatchesAndAskForAResyncOnAGap) {
  TwinConfiguration configuration(AgentConfig::defaults());
  configuration.apply_full_twin(twin(json::object(), 5));
  EXPECT_EQ(configuration.apply_desired_patch(patch({{"eventPriorityLogin", {{"value", "Off"}}}}, 5)).outcome,
            TwinUpdate::Outcome::Ignored);
  EXPECT_EQ(configuration.config().priority_of("Login"), Priority::High);
  const auto gap = configuration.apply_desired_patch(patch({{"eventPriorityLogin", {{"value", "Off"}}}}, 8));
  EXPECT_EQ(gap.outcome, TwinUpdate::Outcome::Applied);
  EXPECT_TRUE(gap.resync_needed);
  EXPECT_EQ(configuration.desired_version(), 8);
}

TEST(TwinConfiguration, PatchesWithoutOurObjectAreIgnoredAndUnknownKeysListed) {
  TwinConfiguration configuration(AgentConfig::defaults());
  configuration.apply_full_twin(twin(json::object(), 1));
  EXPECT_EQ(configuration.apply_desired_patch(R"({"otherModuleSetting": 1, "$version": 2})").outcome,
            TwinUpdate::Outcome::Ignored);
  const auto update = configuration.apply_desired_patch(patch({{"colour", {{"value", "blue"}}}}, 3));
  EXPECT_EQ(update.outcome, TwinUpdate::Outcome::Applied);
  EXPECT_EQ(update.unknown_keys, std::vector<std::string>{"colour"});
}

TEST(TwinConfiguration, ReportedPatchIsTheWholeConfigurationWrapped) {
  TwinConfiguration configuration(AgentConfig::defaults());
  configuration.apply_full_twin(twin({{"eventPriorityProcessCreate", {{"value", "High"}}}}));
  const auto reported = configuration.reported_patch();
  ASSERT_TRUE(reported.contains(kObj));
  const auto& object = reported.at(kObj);
  EXPECT_EQ(object.at("eventPriorityProcessCreate"), json({{"value", "High"}}));
  EXPECT_EQ(object.at("lowPriorityMessageFrequency"), json({{"value", "PT5H"}}));
  EXPECT_EQ(object.at("maxLocalCacheSizeInBytes"), json({{"value", 2560000}}));
  EXPECT_EQ(object.at("aggregationIntervalConnectionCreate"), json({{"value", "PT1H"}}));
  EXPECT_EQ(object.at("hubResourceId"), json({{"value", ""}}));
  EXPECT_TRUE(object.contains("processEventSource"));
  for (const auto& [key, value] : object.items()) {
    EXPECT_TRUE(value.is_object() && value.size() == 1 && value.contains("value")) << key;
  }
}

TEST(TwinConfiguration, AReconnectsUnchangedTwinDoesNotRepeatSemanticProblems) {
  TwinConfiguration configuration(AgentConfig::defaults());
  const auto body = twin({{"maxMessageSizeInBytes", {{"value", 20000}}}}, 2);
  const auto first = configuration.apply_full_twin(body);
  EXPECT_TRUE(first.changed);
  EXPECT_EQ(first.problems.size(), 1u);
  const auto again = configuration.apply_full_twin(body);
  EXPECT_EQ(again.outcome, TwinUpdate::Outcome::Applied);
  EXPECT_FALSE(again.changed);
  EXPECT_TRUE(again.problems.empty());
}
