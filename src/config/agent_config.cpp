#include "config/agent_config.h"

namespace edgeguard {

const std::vector<std::string>& configurable_event_names() {
  static const std::vector<std::string> names = {
      "ConnectedHardware", "ListeningPorts", "ProcessCreate", "ProcessTerminate", "SystemInformation",
      "LocalUsers", "Login", "ConnectionCreate", "FirewallConfiguration", "OSBaseline", "Diagnostic",
      "ConfigurationError", "DroppedEventsStatistics", "MessageStatistics",
      "ContainerLifecycle", "ContainerExec", "ContainerInventory", "DeploymentFinding"};
  return names;
}

const std::vector<std::string>& aggregatable_event_names() {
  static const std::vector<std::string> names = {"ProcessCreate", "ConnectionCreate", "ProcessTerminate"};
  return names;
}

AgentConfig AgentConfig::defaults() {
  AgentConfig config;
  for (const auto& name : configurable_event_names()) config.event_priority[name] = Priority::Low;
  config.event_priority["ListeningPorts"] = Priority::High;
  config.event_priority["LocalUsers"] = Priority::High;
  config.event_priority["Login"] = Priority::High;
  config.event_priority["ContainerLifecycle"] = Priority::High;
  config.event_priority["ContainerExec"] = Priority::High;
  config.event_priority["DeploymentFinding"] = Priority::High;
  for (const auto& name : aggregatable_event_names()) config.aggregation[name] = Aggregation{};
  return config;
}

Priority AgentConfig::priority_of(std::string_view event_name) const {
  const auto it = event_priority.find(event_name);
  return it == event_priority.end() ? Priority::Low : it->second;
}

size_t AgentConfig::effective_message_limit() const {
  // edgeHub counts body + property keys and values against 256 KiB and adds its own system
  // properties; keep a 4 KiB margin for them.
  constexpr int64_t kEdgeHubLimit = 256 * 1024 - 4096;
  return static_cast<size_t>(std::min(max_message_size_bytes, kEdgeHubLimit));
}

std::filesystem::path AgentConfig::output_path() const {
  if (!local.output.empty()) return local.output;
  return local.state_dir / "messages.jsonl";
}

}  // namespace edgeguard
