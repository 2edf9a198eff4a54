// Checks for secrets written into the deployment: registry passwords and environment values.
// Findings name the variable or credential, never the value.
#include <algorithm>
#include <regex>

#include "analysis/checks.h"
#include "analysis/lenient_json.h"
#include "core/strings.h"

namespace edgeguard::analysis {
namespace {

// libstdc++'s regex matcher recurses per character: only a bounded prefix is searched (every
// pattern matches within it: secrets and keys are short).
constexpr size_t kMaxScannedName = 256;
constexpr size_t kMaxScannedValue = 1024;

bool search(const std::string& text, size_t limit, const std::regex& pattern) {
  const auto end = text.begin() + static_cast<std::ptrdiff_t>(std::min(text.size(), limit));
  return std::regex_search(text.begin(), end, pattern);
}

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
      if (search(var->value, kMaxScannedValue, pattern.pattern)) {
        why = "its value looks like " + pattern.what;
        break;
      }
    }
    if (why.empty() && !trivially_not_secret(var->value) &&
        search(var->name, kMaxScannedName, catalog.secret_env_names) &&
        !search(var->name, kMaxScannedName, catalog.secret_env_name_exceptions)) {
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
