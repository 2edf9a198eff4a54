#include "config/configuration_error_event.h"

namespace edgeguard {

Event make_configuration_error_event(const ConfigProblem& problem, const AgentConfig& in_effect) {
  const nlohmann::json settings = report_twin_settings(in_effect);
  std::string used;
  if (settings.contains(problem.key)) {
    const auto& value = settings.at(problem.key).at("value");
    used = value.is_string() ? value.get<std::string>() : value.dump();
  } else {
    used = settings.dump();
  }
  return make_event("ConfigurationError", EventCategory::Triggered, EventKind::Operational,
                    nlohmann::json::array({nlohmann::json{{"ConfigurationName", problem.key},
                                                          {"ErrorType", std::string(to_string(problem.type))},
                                                          {"UsedConfiguration", used},
                                                          {"Message", problem.message}}}));
}

}  // namespace edgeguard
