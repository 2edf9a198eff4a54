// Checks for secrets written into the deployment: registry passwords and environment values.
// Findings name the variable or credential, never the value.
#include <regex>

#include "analysis/checks.h"
#include "analysis/lenient_json.h"
#include "core/strings.h"

namespace edgeguard::analysis {
namespace {

// Values that hold no secret whatever the variable is called.
bool trivially_not_secret(std::string_view value) {
  value = trim(value);
  if (value.empty() || is_placeholder(value)) return true;
  if (iequals(value, "true") || iequals(value, "false")) return true;
  // A reference to a secret file ("/run/secrets/db_password"), not the secret.
  return starts_with(value, "/") && value.find_first_of(" \t") == std::string_view::npos;
}

}  // namespace

void check_environment(Emitter& e, const ModuleContext& m) {
  const RuleCatalog& catalog = e.catalog();
  for (const EnvVar* var : all_env(m.module)) {
    if (trim(var->value).empty() || is_placeholder(var->value)) continue;
    std::string why;
    for (const auto& pattern : catalog.secret_values) {
      if (std::regex_search(var->value, pattern.pattern)) {
        why = "its value looks like " + pattern.what;
        break;
      }
    }
    if (why.empty() && !trivially_not_secret(var->value) && std::regex_search(var->name, catalog.secret_env_names) &&
        !std::regex_search(var->name, catalog.secret_env_name_exceptions)) {
      why = "its name says so";
    }
    if (!why.empty()) e.emit(rule_id::kEnvSecret, m, var->path, {{"name", var->name}, {"why", why}});
  }
}

void check_registry_credentials(Emitter& e, const DeploymentModel& model) {
  for (const auto& credential : model.registry_credentials) {
    const std::string_view password = trim(credential.password.value);
    if (password.empty() || is_placeholder(password)) continue;
    e.emit(rule_id::kRegistryPassword, "$edgeAgent", false, credential.password.path,
           {{"name", credential.name}, {"address", credential.address.empty() ? "no address" : credential.address}});
  }
}

}  // namespace edgeguard::analysis
