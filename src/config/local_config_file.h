#pragma once
// The local configuration file (JSON): local settings plus the module twin's keys, so a
// standalone host is configured exactly like a module.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/agent_config.h"
#include "config/config_settings.h"

namespace edgeguard {

struct LocalConfigResult {
  bool usable = true;        // false: the file could not be read or is not a JSON object
  std::string fatal_error;   // set when !usable: names the file and the position
  AgentConfig config;        // base + every valid key of the file
  std::vector<ConfigProblem> problems;  // invalid keys (each kept at its default) + semantic checks
  std::vector<std::string> unknown_keys;
};

// Reads `file` onto `base`. Twin keys may sit at the top level or inside the twin's object
// name; values may be plain or wrapped as {"value": X}.
LocalConfigResult load_local_config(const std::filesystem::path& file, const AgentConfig& base);
// Same, from text already read (the fuzz target and tests use this).
LocalConfigResult parse_local_config(const std::string& text, const std::string& file_name, const AgentConfig& base);

// "file:line:column" for a byte offset in text.
std::string describe_position(const std::string& file_name, const std::string& text, size_t byte_offset);

// Parses configuration JSON (a file or a twin document). On failure returns nothing and sets
// `error` to "<source>:line:column: not valid JSON: ...", also for a number beyond a double.
std::optional<nlohmann::json> parse_config_json(const std::string& text, const std::string& source, std::string& error);

}  // namespace edgeguard
