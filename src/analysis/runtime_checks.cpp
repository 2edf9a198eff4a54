// Checks on the IoT Edge runtime: edgeHub's environment settings, the runtime's log level, and
// the route that must carry the security agent's messages to IoT Hub.
#include <algorithm>

#include "analysis/checks.h"
#include "analysis/lenient_json.h"
#include "analysis/route.h"
#include "core/strings.h"

namespace edgeguard::analysis {
namespace {

// The module's variables named `name` (any case: .NET configuration keys ignore case).
std::vector<const EnvVar*> env_named(const ModuleSpec& module, std::string_view name) {
  std::vector<const EnvVar*> out;
  for (const EnvVar* var : all_env(module)) {
    if (iequals(var->name, name)) out.push_back(var);
  }
  return out;
}

std::optional<bool> env_bool(const EnvVar& var) {
  Problems ignored;  // a value edgeHub cannot read is its own configuration error, not ours to judge
  return read_bool(nlohmann::json(var.value), var.path, ignored);
}

bool weakens(const WeakSetting& setting, std::string_view raw) {
  const std::string value = to_lower(trim(raw));
  if (value.empty() || is_placeholder(value)) return false;
  const auto listed = [&](std::string_view v) {
    return std::find(setting.values.begin(), setting.values.end(), v) != setting.values.end();
  };
  switch (setting.match) {
    case WeakSetting::Match::Equals: return listed(value);
    case WeakSetting::Match::NotOneOf: return !listed(value);
    case WeakSetting::Match::ListContainsAny:
      for (const auto item : split(value, ',')) {
        if (listed(trim(item))) return true;
      }
      return false;
  }
  return false;
}

void check_edge_hub(Emitter& e, const ModuleContext& m) {
  const EdgeHubSettings& hub = e.catalog().edge_hub;
  for (const auto& setting : hub.weak_settings) {
    for (const EnvVar* var : env_named(m.module, setting.env)) {
      if (weakens(setting, var->value)) {
        e.emit(rule_id::kEdgeHubSetting, m, var->path,
               {{"env", var->name}, {"value", var->value}, {"what", setting.what}},
               EmitOptions{}.with_severity(setting.severity));
      }
    }
  }

  std::string enabled_heads;
  bool all_enabled = !hub.protocol_heads.empty();
  for (const auto& head : hub.protocol_heads) {
    const auto vars = env_named(m.module, head);
    const bool disabled = std::any_of(vars.begin(), vars.end(), [](const EnvVar* v) { return env_bool(*v) == false; });
    all_enabled = all_enabled && !disabled;
    enabled_heads += (enabled_heads.empty() ? "" : ", ") + head;
  }
  if (all_enabled) e.emit(rule_id::kEdgeHubHeads, m, env_path(m), {{"heads", enabled_heads}});

  const auto master = env_named(m.module, hub.experimental_features.front());
  const auto on = std::find_if(master.begin(), master.end(), [](const EnvVar* v) { return env_bool(*v) == true; });
  if (on != master.end()) {
    std::string features;
    for (size_t i = 1; i < hub.experimental_features.size(); ++i) {
      for (const EnvVar* var : env_named(m.module, hub.experimental_features[i])) {
        if (env_bool(*var) == true) features += (features.empty() ? "" : ", ") + var->name;
      }
    }
    e.emit(rule_id::kEdgeHubExperimental, m, (*on)->path,
           {{"features", features.empty() ? std::string("the master switch alone") : features}});
  }
}

}  // namespace

void check_edge_runtime_settings(Emitter& e, const ModuleContext& m) {
  if (!m.module.is_system()) return;
  for (const EnvVar* var : env_named(m.module, "RuntimeLogLevel")) {
    const std::string level = to_lower(trim(var->value));
    const auto& debug = e.catalog().debug_log_levels;
    if (std::find(debug.begin(), debug.end(), level) != debug.end()) {
      e.emit(rule_id::kDebugLogLevel, m, var->path, {{"module", m.module.name}, {"value", var->value}});
    }
  }
  if (m.module.kind == ModuleKind::EdgeHub) check_edge_hub(e, m);
}

void check_security_routes(Emitter& e, const DeploymentModel& model, const std::vector<const ModuleSpec*>& agents) {
  if (model.source != ModelSource::Manifest) return;  // the engine knows nothing of routes
  for (const ModuleSpec* agent : agents) {
    const Route* conditional = nullptr;
    std::string condition;
    bool carried = false;
    for (const auto& route : model.routes) {
      const auto parsed = parse_route(route.text);
      if (!parsed || !iequals(parsed->sink, "$upstream") || !route_source_covers_module(parsed->source, agent->name)) {
        continue;
      }
      if (parsed->condition.empty()) {
        carried = true;
        break;
      }
      if (!conditional) {
        conditional = &route;
        condition = parsed->condition;
      }
    }
    if (carried) continue;
    if (conditional) {
      e.emit(rule_id::kRouteConditional, "$edgeHub", false, conditional->path,
             {{"route", conditional->name}, {"agent", agent->name}, {"condition", condition}});
    } else if (model.routes_complete) {
      e.emit(rule_id::kRouteMissing, "$edgeHub", false, model.routes_path, {{"agent", agent->name}});
    }
  }
}

}  // namespace edgeguard::analysis
