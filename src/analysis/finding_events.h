#pragma once
// Findings as extension events for the pipeline (on the device the agent analyses the engine's
// containers and sends what it finds as recommendations), and a per-module summary for the
// container inventory.
#include <cstddef>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/deployment_model.h"
#include "analysis/finding.h"
#include "core/event.h"

namespace edgeguard::analysis {

inline constexpr std::string_view kDeploymentFindingEvent = "DeploymentFinding";
inline constexpr std::string_view kRecommendationsOutput = "securityRecommendations";

struct FindingEventOptions {
  // Periodic for the snapshot round (an empty snapshot when nothing is found); Triggered when a
  // container changed (no event when nothing is found).
  EventCategory category = EventCategory::Periodic;
  ModelSource source = ModelSource::Engine;  // where the settings were read
  // Findings are grouped per module, and a module's group is split so that no event's payload
  // exceeds this (well under maxMessageSizeInBytes, so no event is ever dropped as oversize).
  size_t max_payload_bytes = 32 * 1024;
};

// DeploymentFinding events on output "securityRecommendations" (schemas/extension_message.schema.json).
std::vector<Event> make_finding_events(const std::vector<Finding>& findings, const FindingEventOptions& options = {});

// One payload item (the schema's definitions/payloads/DeploymentFinding).
nlohmann::json finding_payload(const Finding& finding, ModelSource source);

struct FindingSummary {
  size_t critical = 0;
  size_t high = 0;
  size_t medium = 0;
  size_t low = 0;

  void add(Severity severity);
  size_t total() const { return critical + high + medium + low; }
  std::optional<Severity> highest() const;
  // {"Critical": n, "High": n, "Medium": n, "Low": n, "Highest": "High" | "None"}
  // (the schema's definitions/deploymentFindingSummary, for the container inventory).
  nlohmann::json to_json() const;
};

FindingSummary summarize(const std::vector<Finding>& findings);
// Keyed by module (container) name.
std::map<std::string, FindingSummary> summarize_by_module(const std::vector<Finding>& findings);

// "Critical", "High", "Medium", "Low": severities as the payloads spell them.
std::string_view payload_severity(Severity severity);

}  // namespace edgeguard::analysis
