#include "analysis/finding_events.h"

namespace edgeguard::analysis {

std::string_view payload_severity(Severity severity) {
  switch (severity) {
    case Severity::Low: return "Low";
    case Severity::Medium: return "Medium";
    case Severity::High: return "High";
    case Severity::Critical: return "Critical";
  }
  return "Low";
}

nlohmann::json finding_payload(const Finding& finding, ModelSource source) {
  nlohmann::json item;
  item["RuleId"] = finding.rule_id;
  item["RuleName"] = finding.rule_name;
  item["Severity"] = payload_severity(finding.severity);
  item["Module"] = finding.module;
  if (!finding.container_id.empty()) item["ContainerId"] = finding.container_id;
  item["Source"] = source == ModelSource::Engine ? "Engine" : "Manifest";
  item["JsonPath"] = finding.path;
  item["Message"] = finding.message;
  item["Remediation"] = finding.remediation;
  item["SecurityAgent"] = finding.security_agent;
  return item;
}

std::vector<Event> make_finding_events(const std::vector<Finding>& findings, const FindingEventOptions& options) {
  std::vector<Event> events;
  const auto start_event = [&]() -> Event& {
    events.push_back(make_event(std::string(kDeploymentFindingEvent), options.category, EventKind::Security));
    events.back().channel.output = std::string(kRecommendationsOutput);
    return events.back();
  };
  if (findings.empty()) {
    if (options.category == EventCategory::Periodic) {
      events.push_back(make_empty_snapshot(std::string(kDeploymentFindingEvent)));
      events.back().channel.output = std::string(kRecommendationsOutput);
    }
    return events;
  }

  // Group per module (the input is sorted by severity), keeping each module's order.
  std::map<std::string, std::vector<const Finding*>> by_module;
  for (const auto& finding : findings) by_module[finding.module].push_back(&finding);
  for (const auto& [module, group] : by_module) {
    Event* event = nullptr;
    size_t bytes = 0;
    for (const Finding* finding : group) {
      nlohmann::json item = finding_payload(*finding, options.source);
      const size_t item_bytes = item.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).size() + 1;
      if (!event || (bytes + item_bytes > options.max_payload_bytes && !event->payload.empty())) {
        event = &start_event();
        bytes = 2;
      }
      event->payload.push_back(std::move(item));
      bytes += item_bytes;
    }
  }
  return events;
}

void FindingSummary::add(Severity severity) {
  switch (severity) {
    case Severity::Low: ++low; break;
    case Severity::Medium: ++medium; break;
    case Severity::High: ++high; break;
    case Severity::Critical: ++critical; break;
  }
}

std::optional<Severity> FindingSummary::highest() const {
  if (critical) return Severity::Critical;
  if (high) return Severity::High;
  if (medium) return Severity::Medium;
  if (low) return Severity::Low;
  return std::nullopt;
}

nlohmann::json FindingSummary::to_json() const {
  nlohmann::json out;
  out["Critical"] = critical;
  out["High"] = high;
  out["Medium"] = medium;
  out["Low"] = low;
  out["Highest"] = highest() ? payload_severity(*highest()) : "None";
  return out;
}

FindingSummary summarize(const std::vector<Finding>& findings) {
  FindingSummary summary;
  for (const auto& finding : findings) summary.add(finding.severity);
  return summary;
}

std::map<std::string, FindingSummary> summarize_by_module(const std::vector<Finding>& findings) {
  std::map<std::string, FindingSummary> out;
  for (const auto& finding : findings) out[finding.module].add(finding.severity);
  return out;
}

}  // namespace edgeguard::analysis
