// `edgeguard analyze-manifest` end to end: exit codes, the three formats, --fail-on, errors that
// name the file, the line and the JSON location.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "../support/process.h"
#include "../support/temp_dir.h"

using namespace edgeguard;
using nlohmann::json;

namespace {

const std::string kFixtures = std::string(EDGEGUARD_TEST_DIR) + "/fixtures/manifest/";

test::CommandResult analyze(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {test::edgeguard_binary(), "analyze-manifest"};
  argv.insert(argv.end(), args.begin(), args.end());
  return test::run(argv);
}

}  // namespace

TEST(AnalyzeManifestCommand, CleanManifestExitsZero) {
  const auto result = analyze({kFixtures + "clean.json"});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("no findings"), std::string::npos) << result.out;
  EXPECT_TRUE(result.err.empty()) << result.err;
}

TEST(AnalyzeManifestCommand, FindingsAtOrAboveTheThresholdExitOne) {
  const std::string file = kFixtures + "rules/EGD016.positive.json";  // one low finding: no memory limit
  EXPECT_EQ(analyze({file}).exit_code, 1);
  EXPECT_EQ(analyze({file, "--fail-on", "low"}).exit_code, 1);
  EXPECT_EQ(analyze({file, "--fail-on", "medium"}).exit_code, 0);
  const std::string critical = kFixtures + "rules/EGD001.positive.json";
  EXPECT_EQ(analyze({critical, "--fail-on", "critical"}).exit_code, 1);
  EXPECT_EQ(analyze({critical, "--fail-on", "bogus"}).exit_code, 2);
}

TEST(AnalyzeManifestCommand, TextNamesFileLineSeverityRuleModulePathAndFix) {
  const auto result = analyze({kFixtures + "rules/EGD001.positive.json"});
  ASSERT_EQ(result.exit_code, 1);
  const std::string expected_prefix = kFixtures + "rules/EGD001.positive.json:";
  EXPECT_EQ(result.out.rfind(expected_prefix, 0), 0u) << result.out;
  EXPECT_NE(result.out.find(": critical EGD001 [sensor] runs privileged"), std::string::npos) << result.out;
  EXPECT_NE(
      result.out.find(
          "    path: "
          "/modulesContent/$edgeAgent/properties.desired/modules/sensor/settings/createOptions/HostConfig/Privileged"),
      std::string::npos);
  EXPECT_NE(result.out.find("    fix:  Remove HostConfig.Privileged"), std::string::npos);
  EXPECT_NE(result.out.find("1 finding (1 critical, 0 high, 0 medium, 0 low); 1 at or above low"), std::string::npos)
      << result.out;
}

TEST(AnalyzeManifestCommand, JsonReport) {
  const auto result = analyze({kFixtures + "shapes/modules-content.json", "--format", "json", "--fail-on", "high"});
  ASSERT_EQ(result.exit_code, 1) << result.err;
  const json report = json::parse(result.out);
  EXPECT_EQ(report["tool"]["name"], "edgeguard");
  EXPECT_EQ(report["shape"], "modulesContent");
  EXPECT_EQ(report["modules"], 4);
  EXPECT_EQ(report["summary"]["failOn"], "high");
  ASSERT_FALSE(report["findings"].empty());
  const json& first = report["findings"][0];
  EXPECT_EQ(first["severity"], "critical");
  for (const char* key : {"ruleId", "ruleName", "module", "path", "line", "column", "message", "remediation"}) {
    EXPECT_TRUE(first.contains(key)) << key;
  }
  size_t at_or_above = 0;
  for (const auto& finding : report["findings"]) {
    if (finding["severity"] == "critical" || finding["severity"] == "high") ++at_or_above;
  }
  EXPECT_EQ(report["summary"]["atOrAboveFailOn"], at_or_above);
}

TEST(AnalyzeManifestCommand, SarifReportHasRulesResultsAndRegions) {
  const auto result = analyze({kFixtures + "shapes/deployment.template.json", "--format", "sarif"});
  ASSERT_EQ(result.exit_code, 1) << result.err;
  const json log = json::parse(result.out);
  EXPECT_EQ(log["version"], "2.1.0");
  const json& run = log["runs"][0];
  EXPECT_EQ(run["tool"]["driver"]["rules"].size(), 32u);
  ASSERT_FALSE(run["results"].empty());
  for (const auto& sarif_result : run["results"]) {
    const json& rule = run["tool"]["driver"]["rules"][sarif_result["ruleIndex"].get<size_t>()];
    EXPECT_EQ(rule["id"], sarif_result["ruleId"]);
    EXPECT_GE(sarif_result["locations"][0]["physicalLocation"]["region"]["startLine"].get<int>(), 1);
  }
}

TEST(AnalyzeManifestCommand, ReadsStandardInput) {
  const auto result = test::sh(test::edgeguard_binary() + " analyze-manifest - < '" + kFixtures + "clean.json'");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("<stdin> (modulesContent, 3 modules): no findings"), std::string::npos) << result.out;
}

TEST(AnalyzeManifestCommand, UnreadableInputExitsTwoNamingFileLineAndJsonLocation) {
  struct Case {
    std::string file;
    std::string expected;  // in stderr
  };
  const std::string malformed = kFixtures + "malformed/";
  const std::vector<Case> cases = {
      {malformed + "truncated.json", malformed + "truncated.json:"},
      {malformed + "truncated.json", ": not valid JSON: syntax error"},
      {malformed + "create-options-not-json.json",
       ": /modulesContent/$edgeAgent/properties.desired/modules/sensor/settings/createOptions: createOptions is not "
       "valid JSON"},
      {malformed + "wrong-types.json",
       "settings/createOptions/HostConfig/Privileged: expected a boolean (true or false, also as a string), got a "
       "string \"yes\""},
      {malformed + "wrong-types.json", "the manifest cannot be analysed (3 problems)"},
      {malformed + "chunk-gap.json", "\"createOptions01\" was expected"},
      {malformed + "modules-not-object.json", "/properties.desired/modules: expected an object, got an array"},
      {malformed + "not-a-manifest.json", "not an IoT Edge deployment manifest"},
      {kFixtures + "no-such-file.json", "no-such-file.json: cannot open: No such file or directory"},
      {kFixtures, "is a directory"},
  };
  for (const auto& c : cases) {
    const auto result = analyze({c.file});
    EXPECT_EQ(result.exit_code, 2) << c.file;
    EXPECT_NE(result.err.find(c.expected), std::string::npos) << c.file << "\n" << result.err;
    EXPECT_TRUE(result.out.empty()) << result.out;
  }
  // Syntax errors carry line:column: the end of the truncated text.
  std::ifstream in(malformed + "truncated.json");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string line = std::to_string(std::count(text.begin(), text.end(), '\n') + 1);
  const auto truncated = analyze({malformed + "truncated.json"});
  EXPECT_NE(truncated.err.find("truncated.json:" + line + ":"), std::string::npos) << truncated.err;
}

TEST(AnalyzeManifestCommand, RulesFileCanReplaceTheBuiltInOne) {
  test::TempDir dir;
  auto rules = json::parse(std::ifstream(std::string(EDGEGUARD_SOURCE_DIR) + "/rules/manifest_rules.json"));
  for (auto& rule : rules["rules"]) {
    if (rule["id"] == "EGD016") rule["severity"] = "high";
  }
  std::ofstream(dir / "rules.json") << rules.dump();
  const std::string file = kFixtures + "rules/EGD016.positive.json";
  EXPECT_EQ(analyze({file, "--fail-on", "high"}).exit_code, 0);
  EXPECT_EQ(analyze({file, "--fail-on", "high", "--rules", (dir / "rules.json").string()}).exit_code, 1);
  std::ofstream(dir / "broken.json") << "{\"formatVersion\": 1}";
  const auto broken = analyze({file, "--rules", (dir / "broken.json").string()});
  EXPECT_EQ(broken.exit_code, 2);
  EXPECT_NE(broken.err.find("broken.json /: missing \"rules\""), std::string::npos) << broken.err;
}

TEST(AnalyzeManifestCommand, AgentRecognitionOptions) {
  test::TempDir dir;
  json manifest;
  manifest["modulesContent"]["$edgeAgent"]["properties.desired"]["modules"]["secagent"]["settings"] = {
      {"image", "corpacr.azurecr.io/secagent:1.0@sha256:00"},
      {"createOptions", R"({"HostConfig":{"PidMode":"host"}})"}};
  std::ofstream(dir / "m.json") << manifest.dump();
  const std::string file = (dir / "m.json").string();
  EXPECT_EQ(analyze({file, "--fail-on", "high"}).exit_code, 1);
  EXPECT_EQ(analyze({file, "--fail-on", "high", "--agent-module", "secagent", "--agent-image", "corpacr.azurecr.io/*"})
                .exit_code,
            0);
}

TEST(AnalyzeManifestCommand, HelpListsTheCommand) {
  const auto help = test::run({test::edgeguard_binary(), "analyze-manifest", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--fail-on"), std::string::npos);
  EXPECT_NE(help.out.find("--format"), std::string::npos);
  EXPECT_EQ(analyze({}).exit_code, 2);
  EXPECT_EQ(analyze({kFixtures + "clean.json", "--format", "yaml"}).exit_code, 2);
}
