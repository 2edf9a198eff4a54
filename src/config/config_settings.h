#pragma once
// The table of configuration keys shared by the local file and the module twin: how each key
// is typed, validated, applied and reported.
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/agent_config.h"

namespace edgeguard {

enum class ConfigErrorType { TypeMismatch, NotOptimal, Conflict };
std::string_view to_string(ConfigErrorType type);

struct ConfigProblem {
  std::string key;  // configuration name, e.g. "maxMessageSizeInBytes"
  ConfigErrorType type = ConfigErrorType::TypeMismatch;
  std::string message;  // one line naming the key, where it was found and what is wrong
};

struct ConfigApplyResult {
  AgentConfig config;                  // the base with every valid key applied
  std::vector<ConfigProblem> invalid;  // wrong type or value: that key keeps its base value
  std::vector<std::string> unknown_keys;
};

// Applies the twin-style keys of `object` (values plain or wrapped as {"value": X}; null means
// the default) onto `base`. `where` names the source in messages ("/etc/edgeguard.json",
// "module twin"). Keys outside the table are listed in unknown_keys.
ConfigApplyResult apply_twin_settings(const nlohmann::json& object, const AgentConfig& base, std::string_view where);

// Conflict / NotOptimal checks on a configuration that parsed.
std::vector<ConfigProblem> semantic_problems(const AgentConfig& config);

// The whole effective configuration in the twin's shape: {"key": {"value": X}, ...}.
nlohmann::json report_twin_settings(const AgentConfig& config);

// True when `key` is a twin configuration key this agent understands.
bool is_twin_setting(std::string_view key);

}  // namespace edgeguard
