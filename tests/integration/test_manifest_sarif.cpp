// analyze-manifest --format sarif checked by Microsoft's SARIF Multitool (installed, pinned, by
// tests/tools/install-sarif-multitool.sh) and by the SARIF 2.1.0 JSON schema the package carries:
// no error and no warning for any manifest of the fixtures. The test fails, never skips, when the
// tool cannot be installed.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "../support/process.h"
#include "../support/temp_dir.h"
#include "core/strings.h"

using namespace edgeguard;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

std::string multitool_or_fail(std::string& error) {
  const std::filesystem::path prefix =
      std::filesystem::path(test::edgeguard_binary()).parent_path() / "tools" / "sarif";
  const auto result = test::run(
      {"bash", std::string(EDGEGUARD_SOURCE_DIR) + "/tests/tools/install-sarif-multitool.sh", prefix.string()}, 600s);
  if (result.exit_code != 0) {
    error = "cannot install the SARIF Multitool:\n" + result.err;
    return {};
  }
  std::string path(trim(result.out));
  if (const size_t newline = path.rfind('\n'); newline != std::string::npos) path = path.substr(newline + 1);
  return path;
}

struct Validation {
  int exit_code = -1;
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
  std::string output;
};

// Runs `Sarif.Multitool validate` over every file and reads its own SARIF report.
Validation validate(const std::string& tool, const std::vector<std::string>& files, const test::TempDir& dir) {
  const std::string schema = (std::filesystem::path(tool).parent_path() / "sarif-2.1.0.json").string();
  const std::string report = (dir / "validation.sarif").string();
  // Files first: --log takes every value that follows it.
  std::vector<std::string> argv = {tool, "validate"};
  argv.insert(argv.end(), files.begin(), files.end());
  argv.insert(argv.end(), {"--json-schema", schema, "--output", report, "--log", "ForceOverwrite"});
  const auto result = test::run(argv, 300s);
  Validation out;
  out.exit_code = result.exit_code;
  out.output = result.out + result.err;
  std::ifstream in(report);
  if (!in) return out;
  const json log = json::parse(in);
  for (const auto& run : log["runs"]) {
    for (const auto& finding : run.value("results", json::array())) {
      const std::string level = finding.value("level", "warning");
      const std::string text =
          finding.value("ruleId", "") + " " + finding["message"].dump() + " " + finding["locations"].dump();
      if (level == "error") out.errors.push_back(text);
      if (level == "warning") out.warnings.push_back(text);
    }
  }
  return out;
}

// Every shape, and a manifest that trips every rule (the validator takes about a second a file).
std::vector<std::string> fixture_manifests() {
  const std::string root = std::string(EDGEGUARD_TEST_DIR) + "/fixtures/manifest/";
  std::vector<std::string> out = {root + "clean.json", root + "chunked.json", root + "engine/deployment.json",
                                  root + "every-rule.json"};
  for (const auto& entry : std::filesystem::directory_iterator(root + "shapes")) out.push_back(entry.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST(ManifestSarif, MultitoolFindsNoErrorAndNoWarningInAnyReport) {
  std::string error;
  const std::string tool = multitool_or_fail(error);
  ASSERT_FALSE(tool.empty()) << error;

  test::TempDir dir;
  std::vector<std::string> reports;
  for (const auto& manifest : fixture_manifests()) {
    const auto result = test::run({test::edgeguard_binary(), "analyze-manifest", manifest, "--format", "sarif"});
    ASSERT_TRUE(result.exit_code == 0 || result.exit_code == 1) << manifest << "\n" << result.err;
    const std::string report = (dir / (std::filesystem::path(manifest).stem().string() + ".sarif")).string();
    std::ofstream(report) << result.out;
    reports.push_back(report);
  }
  ASSERT_EQ(reports.size(), 8u);

  const auto validation = validate(tool, reports, dir);
  EXPECT_EQ(validation.exit_code, 0) << validation.output;
  EXPECT_TRUE(validation.errors.empty()) << validation.errors.size() << " errors, first: " << validation.errors.front();
  EXPECT_TRUE(validation.warnings.empty())
      << validation.warnings.size() << " warnings, first: " << validation.warnings.front();
}

TEST(ManifestSarif, ReportsValidateAgainstTheSarifSchemaItself) {
  std::string error;
  const std::string tool = multitool_or_fail(error);
  ASSERT_FALSE(tool.empty()) << error;
  const std::string schema = (std::filesystem::path(tool).parent_path() / "sarif-2.1.0.json").string();
  test::TempDir dir;
  const std::string manifest = std::string(EDGEGUARD_TEST_DIR) + "/fixtures/manifest/shapes/modules-content.json";
  const auto report = test::run({test::edgeguard_binary(), "analyze-manifest", manifest, "--format", "sarif"});
  std::ofstream(dir / "report.sarif") << report.out;
  const auto check =
      test::run({"/usr/bin/python3", "-c",
                 "import json,sys,jsonschema;"
                 "jsonschema.Draft7Validator(json.load(open(sys.argv[1]))).validate(json.load(open(sys.argv[2])))",
                 schema, (dir / "report.sarif").string()});
  EXPECT_EQ(check.exit_code, 0) << check.err;
}

TEST(ManifestSarif, TheValidatorRejectsABrokenReport) {
  // The check above can fail: a report with an unknown level and no tool name is an error.
  std::string error;
  const std::string tool = multitool_or_fail(error);
  ASSERT_FALSE(tool.empty()) << error;
  test::TempDir dir;
  const std::string broken = (dir / "broken.sarif").string();
  std::ofstream(broken)
      << R"({"version":"2.1.0","runs":[{"tool":{"driver":{}},"results":[{"level":"severe","message":{"text":"x"}}]}]})";
  const auto validation = validate(tool, {broken}, dir);
  EXPECT_FALSE(validation.errors.empty()) << validation.output;  // (with --output it still exits 0)
}
