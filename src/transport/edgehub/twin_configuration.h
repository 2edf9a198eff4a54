#pragma once
// The agent's configuration as the module twin drives it. The effective configuration is
// defaults <- local file <- the desired twin object "ms_iotn:urn_azureiot_Security_
// SecurityAgentConfiguration". The desired object is mirrored as the service holds it (a full
// GET replaces it, a desired patch is a JSON merge patch where null deletes), and the whole
// configuration is recomputed from it on every update: a wrong type or an unparsable value
// anywhere rejects the whole update and the previous configuration stays in force.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/agent_config.h"
#include "config/config_settings.h"

namespace edgeguard::edgehub {

struct TwinUpdate {
  enum class Outcome {
    Applied,   // the new configuration is in force (it may equal the old one)
    Rejected,  // a bad document or bad values: the previous configuration stays in force
    Ignored,   // nothing for us: a patch that does not touch our object, or an old version
  };
  Outcome outcome = Outcome::Ignored;
  bool changed = false;                 // Applied and different from what was in force
  AgentConfig config;                   // the configuration in force after the update
  // Rejected: every bad key. Applied: Conflict/NotOptimal of the new configuration (only when
  // it changed, so a reconnect's GET does not repeat them).
  std::vector<ConfigProblem> problems;
  std::vector<std::string> unknown_keys;
  // Set when a patch's $version shows that notifications were missed: do a full GET.
  bool resync_needed = false;
  std::optional<int64_t> version;  // desired $version of this update
};

class TwinConfiguration {
 public:
  // `local` = defaults with the local configuration file applied.
  explicit TwinConfiguration(AgentConfig local);

  // The body of a twin GET response: {"desired": {...}, "reported": {...}}.
  TwinUpdate apply_full_twin(std::string_view body);
  // The body of a desired-properties notification: the patch, with "$version".
  TwinUpdate apply_desired_patch(std::string_view body);

  const AgentConfig& config() const { return in_force_; }
  std::optional<int64_t> desired_version() const { return version_; }
  // The reported-properties patch: the whole configuration in force, defaults included,
  // under the configuration object's name with {"value": ...} wrappers.
  nlohmann::json reported_patch() const;

 private:
  TwinUpdate recompute(std::optional<int64_t> version);
  TwinUpdate rejected(ConfigProblem problem) const;

  AgentConfig local_;
  AgentConfig in_force_;
  nlohmann::json desired_object_;  // as the service holds it (any JSON; null = absent)
  std::optional<int64_t> version_;
};

}  // namespace edgeguard::edgehub
