#include "analysis/manifest_report.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>

#include "analysis/finding_events.h"
#include "analysis/printable.h"
#include "core/strings.h"

namespace edgeguard::analysis {
namespace {

using ordered_json = nlohmann::ordered_json;

constexpr const char* kToolName = "edgeguard";
constexpr const char* kInformationUri = "https://edgeguard.dev/docs/analysis";

std::string summary_line(const ReportInput& input) {
  const FindingSummary summary = summarize(input.findings);
  std::string line = input.file + " (" + input.shape + ", " + std::to_string(input.module_count) +
                     (input.module_count == 1 ? " module): " : " modules): ");
  if (summary.total() == 0) return line + "no findings";
  line += std::to_string(summary.total()) + (summary.total() == 1 ? " finding (" : " findings (");
  line += std::to_string(summary.critical) + " critical, " + std::to_string(summary.high) + " high, " +
          std::to_string(summary.medium) + " medium, " + std::to_string(summary.low) + " low); " +
          std::to_string(count_at_or_above(input.findings, input.fail_on)) + " at or above " +
          std::string(to_string(input.fail_on));
  return line;
}

// SARIF levels: the CI systems show "error" as failing, "warning" and "note" as advice.
const char* sarif_level(Severity severity) {
  switch (severity) {
    case Severity::Critical:
    case Severity::High: return "error";
    case Severity::Medium: return "warning";
    case Severity::Low: return "note";
  }
  return "note";
}

// GitHub code scanning ranks security results by this CVSS-like score.
const char* security_severity(Severity severity) {
  switch (severity) {
    case Severity::Critical: return "9.5";
    case Severity::High: return "8.0";
    case Severity::Medium: return "5.5";
    case Severity::Low: return "2.0";
  }
  return "2.0";
}

std::string sentence(std::string text) {
  if (!text.empty() && text.back() != '.') text += '.';
  return text;
}

// RFC 3986: everything but unreserved characters and "/" percent-encoded.
std::string percent_encoded(std::string_view path) {
  std::string out;
  for (const char c : path) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
      out += c;
    } else {
      char buffer[4];
      std::snprintf(buffer, sizeof buffer, "%%%02X", byte);
      out += buffer;
    }
  }
  return out;
}

// Stable across runs and builds, so CI systems can match a result with the same one before.
std::string fingerprint(const Finding& finding) {
  uint64_t hash = 14695981039346656037ull;  // FNV-1a, 64 bit
  for (const std::string* part : {&finding.rule_id, &finding.module, &finding.path}) {
    for (const char c : *part) {
      hash ^= static_cast<unsigned char>(c);
      hash *= 1099511628211ull;
    }
    hash ^= 0xff;
    hash *= 1099511628211ull;
  }
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(hash));
  return buffer;
}

}  // namespace

size_t count_at_or_above(const std::vector<Finding>& findings, Severity threshold) {
  return static_cast<size_t>(
      std::count_if(findings.begin(), findings.end(), [&](const Finding& f) { return f.severity >= threshold; }));
}

std::string render_text(const ReportInput& input) {
  std::string out;
  std::set<std::string, std::less<>> explained;  // the fix is shown with a rule's first finding
  for (const auto& finding : input.findings) {
    out += describe_position(input.file, finding.position) + ": " + std::string(to_string(finding.severity)) + " " +
           finding.rule_id + " [" + printable(finding.module) + "] " + finding.message + "\n";
    out += "    path: " + printable(finding.path) + "\n";
    if (explained.insert(finding.rule_id).second) out += "    fix:  " + finding.remediation + "\n";
  }
  if (!input.findings.empty()) out += "\n";
  out += summary_line(input) + "\n";
  return out;
}

std::string render_json(const ReportInput& input) {
  ordered_json out;
  out["tool"] = {{"name", kToolName}, {"version", EDGEGUARD_VERSION}};
  out["file"] = input.file;
  out["shape"] = input.shape;
  out["modules"] = input.module_count;
  const FindingSummary summary = summarize(input.findings);
  out["summary"] = {
      {"critical", summary.critical},       {"high", summary.high},
      {"medium", summary.medium},           {"low", summary.low},
      {"failOn", to_string(input.fail_on)}, {"atOrAboveFailOn", count_at_or_above(input.findings, input.fail_on)}};
  out["findings"] = ordered_json::array();
  for (const auto& finding : input.findings) {
    ordered_json item;
    item["ruleId"] = finding.rule_id;
    item["ruleName"] = finding.rule_name;
    item["severity"] = to_string(finding.severity);
    item["module"] = finding.module;
    item["path"] = finding.path;
    if (finding.position.known()) {
      item["line"] = finding.position.line;
      item["column"] = finding.position.column;
    }
    item["message"] = finding.message;
    item["remediation"] = finding.remediation;
    item["securityAgent"] = finding.security_agent;
    out["findings"].push_back(std::move(item));
  }
  return out.dump(2, ' ', false, ordered_json::error_handler_t::replace) + "\n";
}

std::string render_sarif(const ReportInput& input) {
  ordered_json rules = ordered_json::array();
  for (const auto& rule : input.catalog.rules()) {
    ordered_json entry;
    entry["id"] = rule.id;
    entry["name"] = rule.name;
    entry["shortDescription"] = {{"text", sentence(rule.title)}};
    entry["fullDescription"] = {{"text", sentence(rule.description)}};
    entry["help"] = {{"text", sentence(rule.remediation)}};
    entry["defaultConfiguration"] = {{"level", sarif_level(rule.severity)}};
    entry["properties"] = {{"tags", {"security", "iot-edge", "deployment"}},
                           {"security-severity", security_severity(rule.severity)}};
    rules.push_back(std::move(entry));
  }

  const bool absolute = starts_with(input.file, "/");
  ordered_json artifact_location;
  if (absolute) {
    artifact_location["uri"] = "file://" + percent_encoded(input.file);
  } else {
    artifact_location["uri"] = percent_encoded(input.file);
    artifact_location["uriBaseId"] = "%SRCROOT%";
  }

  ordered_json results = ordered_json::array();
  for (const auto& finding : input.findings) {
    const auto& all = input.catalog.rules();
    const auto rule = std::find_if(all.begin(), all.end(), [&](const RuleInfo& r) { return r.id == finding.rule_id; });
    ordered_json result;
    result["ruleId"] = finding.rule_id;
    result["ruleIndex"] = rule - all.begin();
    result["level"] = sarif_level(finding.severity);
    result["message"] = {{"text", sentence("[" + finding.module + "] " + finding.message)}};
    ordered_json physical;
    physical["artifactLocation"] = artifact_location;
    physical["artifactLocation"]["index"] = 0;
    if (finding.position.known()) {
      physical["region"] = {{"startLine", finding.position.line}, {"startColumn", finding.position.column}};
    }
    ordered_json location;
    location["physicalLocation"] = std::move(physical);
    location["logicalLocations"] = ordered_json::array(
        {ordered_json{{"name", finding.module}, {"fullyQualifiedName", finding.path}, {"kind", "module"}}});
    result["locations"] = ordered_json::array({std::move(location)});
    result["partialFingerprints"] = {{"edgeguardFinding/v1", fingerprint(finding)}};
    result["properties"] = {{"severity", to_string(finding.severity)},
                            {"module", finding.module},
                            {"jsonPath", finding.path},
                            {"securityAgent", finding.security_agent}};
    results.push_back(std::move(result));
  }

  ordered_json run;
  run["tool"] = {{"driver",
                  {{"name", kToolName},
                   {"version", EDGEGUARD_VERSION},
                   {"semanticVersion", EDGEGUARD_VERSION},
                   {"informationUri", kInformationUri},
                   {"rules", std::move(rules)}}}};
  ordered_json artifact;
  artifact["location"] = artifact_location;
  artifact["mimeType"] = "application/json";
  run["artifacts"] = ordered_json::array({std::move(artifact)});
  run["columnKind"] = "unicodeCodePoints";
  run["results"] = std::move(results);

  ordered_json log;
  log["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json";
  log["version"] = "2.1.0";
  log["runs"] = ordered_json::array({std::move(run)});
  return log.dump(2, ' ', false, ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace edgeguard::analysis
