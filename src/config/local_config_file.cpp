#include "config/local_config_file.h"

#include <functional>

#include "core/host_root.h"
#include "core/iso_duration.h"

namespace edgeguard {
namespace {

using nlohmann::json;

struct LocalKey {
  const char* key;
  std::function<std::string(LocalSettings&, const json&)> apply;  // returns an error or ""
};

std::string set_string(std::string& field, const json& value) {
  if (!value.is_string()) return "expected a string";
  field = value.get<std::string>();
  return {};
}

std::string set_path(std::filesystem::path& field, const json& value) {
  if (!value.is_string() || value.get<std::string>().empty()) return "expected a non-empty path string";
  field = value.get<std::string>();
  return {};
}

const std::vector<LocalKey>& local_keys() {
  static const std::vector<LocalKey> keys = {
      {"stateDir", [](LocalSettings& s, const json& v) { return set_path(s.state_dir, v); }},
      {"hostRoot", [](LocalSettings& s, const json& v) { return set_path(s.host_root, v); }},
      {"output", [](LocalSettings& s, const json& v) { return set_string(s.output, v); }},
      {"dockerSocket", [](LocalSettings& s, const json& v) { return set_path(s.docker_socket, v); }},
      {"sink",
       [](LocalSettings& s, const json& v) -> std::string {
         if (!v.is_string()) return "expected \"auto\", \"file\", \"stdout\" or \"edgehub\"";
         const auto text = v.get<std::string>();
         if (text != "auto" && text != "file" && text != "stdout" && text != "edgehub") {
           return "expected \"auto\", \"file\", \"stdout\" or \"edgehub\", got \"" + text + "\"";
         }
         s.sink = text;
         return {};
       }},
      {"logLevel",
       [](LocalSettings& s, const json& v) -> std::string {
         static const std::vector<std::string> levels = {"trace", "debug", "info", "warn", "error", "critical", "off"};
         if (v.is_string()) {
           for (const auto& level : levels) {
             if (v.get<std::string>() == level) {
               s.log_level = level;
               return {};
             }
           }
         }
         return "expected one of trace, debug, info, warn, error, critical, off";
       }},
      {"edgeHubPort",
       [](LocalSettings& s, const json& v) -> std::string {
         if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() > 65535) {
           return "expected a port number from 1 to 65535";
         }
         s.edgehub_port = v.get<int>();
         return {};
       }},
      {"sasTokenLifetime",
       [](LocalSettings& s, const json& v) -> std::string {
         const auto parsed = v.is_string() ? parse_iso_duration(v.get<std::string>()) : std::nullopt;
         if (!parsed || *parsed < std::chrono::seconds(5) || *parsed > std::chrono::hours(24 * 7)) {
           return "expected an ISO-8601 duration from PT5S to P7D, such as \"PT1H\"";
         }
         s.sas_token_lifetime = Duration{*parsed, v.get<std::string>()};
         return {};
       }},
  };
  return keys;
}

const LocalKey* find_local_key(const std::string& key) {
  for (const auto& entry : local_keys()) {
    if (key == entry.key) return &entry;
  }
  return nullptr;
}

}  // namespace

std::string describe_position(const std::string& file_name, const std::string& text, size_t byte_offset) {
  size_t line = 1;
  size_t column = 1;
  for (size_t i = 0; i < text.size() && i < byte_offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return file_name + ":" + std::to_string(line) + ":" + std::to_string(column);
}

std::optional<json> parse_config_json(const std::string& text, const std::string& source, std::string& error) {
  try {
    return json::parse(text);
  } catch (const json::parse_error& failure) {
    std::string what = failure.what();
    if (const auto pos = what.find("syntax error"); pos != std::string::npos) what = what.substr(pos);
    error = describe_position(source, text, failure.byte == 0 ? 0 : failure.byte - 1) + ": not valid JSON: " + what;
  } catch (const json::exception&) {
    // out_of_range while parsing: a number beyond a double ("1e999"); no position is kept.
    error = source + ": not valid JSON: a number is out of range";
  }
  return std::nullopt;
}

LocalConfigResult parse_local_config(const std::string& text, const std::string& file_name, const AgentConfig& base) {
  LocalConfigResult result;
  result.config = base;
  std::string error;
  const auto parsed = parse_config_json(text, file_name, error);
  if (!parsed) {
    result.usable = false;
    result.fatal_error = error;
    return result;
  }
  const json& document = *parsed;
  if (!document.is_object()) {
    result.usable = false;
    result.fatal_error = file_name + ": the configuration must be a JSON object";
    return result;
  }

  json twin_keys = json::object();
  for (const auto& [key, value] : document.items()) {
    if (key == kTwinConfigObject) {
      if (!value.is_object()) {
        result.problems.push_back({key, ConfigErrorType::TypeMismatch, file_name + " /" + key + ": expected an object"});
        continue;
      }
      for (const auto& [inner, inner_value] : value.items()) twin_keys[inner] = inner_value;
    } else if (const LocalKey* local = find_local_key(key)) {
      const std::string problem = local->apply(result.config.local, value);
      if (!problem.empty()) {
        result.problems.push_back({key, ConfigErrorType::TypeMismatch, file_name + " /" + key + ": " + problem});
      }
    } else {
      twin_keys[key] = value;
    }
  }

  ConfigApplyResult applied = apply_twin_settings(twin_keys, result.config, file_name);
  result.config = std::move(applied.config);
  for (auto& problem : applied.invalid) result.problems.push_back(std::move(problem));
  result.unknown_keys = std::move(applied.unknown_keys);
  for (auto& problem : semantic_problems(result.config)) result.problems.push_back(std::move(problem));
  return result;
}

LocalConfigResult load_local_config(const std::filesystem::path& file, const AgentConfig& base) {
  const auto text = read_whole_file(file, 4 * 1024 * 1024);
  if (!text) {
    LocalConfigResult result;
    result.usable = false;
    result.config = base;
    result.fatal_error = file.string() + ": cannot read the configuration file";
    return result;
  }
  return parse_local_config(*text, file.string(), base);
}

}  // namespace edgeguard
