#include "config/config_settings.h"

#include <functional>

#include "core/iso_duration.h"

namespace edgeguard {
namespace {

using nlohmann::json;

enum class Kind { Duration, Integer, Boolean, Priority, String, Choice };

struct Spec {
  std::string key;
  Kind kind;
  std::function<json(const AgentConfig&)> get;
  std::function<void(AgentConfig&, const json&)> set;  // called with a validated value
  std::function<void(AgentConfig&)> reset;             // back to the default
  int64_t min = 0;
  int64_t max = 0;
  std::vector<std::string> choices = {};
};

std::string type_name(const json& value) {
  if (value.is_boolean()) return "a boolean";
  if (value.is_number_integer()) return "an integer";
  if (value.is_number()) return "a number";
  if (value.is_string()) return "a string";
  if (value.is_array()) return "an array";
  if (value.is_object()) return "an object";
  return "null";
}

std::string shown(const json& value) {
  std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > 80) text = text.substr(0, 77) + "...";
  return text;
}

// Returns an empty string when `value` is acceptable for `spec`, else what is wrong.
std::string validate(const Spec& spec, const json& value) {
  switch (spec.kind) {
    case Kind::Duration: {
      if (!value.is_string()) return "expected an ISO-8601 duration string, got " + type_name(value) + " " + shown(value);
      const auto parsed = parse_iso_duration(value.get<std::string>());
      if (!parsed) return "expected an ISO-8601 duration such as \"PT7M\", got " + shown(value);
      if (parsed->count() <= 0) return "the duration must be longer than zero, got " + shown(value);
      return {};
    }
    case Kind::Integer: {
      if (!value.is_number_integer()) return "expected an integer, got " + type_name(value) + " " + shown(value);
      const int64_t number = value.get<int64_t>();
      if (number < spec.min || number > spec.max) {
        return "expected an integer from " + std::to_string(spec.min) + " to " + std::to_string(spec.max) +
               ", got " + std::to_string(number);
      }
      return {};
    }
    case Kind::Boolean:
      if (!value.is_boolean()) return "expected true or false, got " + type_name(value) + " " + shown(value);
      return {};
    case Kind::Priority:
      if (!value.is_string() || !parse_priority(value.get<std::string>())) {
        return "expected \"High\", \"Low\" or \"Off\", got " + shown(value);
      }
      return {};
    case Kind::String:
      if (!value.is_string()) return "expected a string, got " + type_name(value) + " " + shown(value);
      return {};
    case Kind::Choice: {
      if (value.is_string()) {
        for (const auto& choice : spec.choices) {
          if (value.get<std::string>() == choice) return {};
        }
      }
      std::string list;
      for (const auto& choice : spec.choices) list += (list.empty() ? "\"" : ", \"") + choice + "\"";
      return "expected one of " + list + ", got " + shown(value);
    }
  }
  return "unsupported setting";
}

Duration to_duration(const json& value) {
  const std::string text = value.get<std::string>();
  return Duration{*parse_iso_duration(text), text};
}

Spec duration_spec(std::string key, Duration AgentConfig::*field) {
  return Spec{std::move(key), Kind::Duration, [field](const AgentConfig& c) { return json((c.*field).text); },
              [field](AgentConfig& c, const json& v) { c.*field = to_duration(v); },
              [field](AgentConfig& c) { c.*field = AgentConfig::defaults().*field; }};
}

std::vector<Spec> build_specs() {
  std::vector<Spec> specs;
  specs.push_back(duration_spec("highPriorityMessageFrequency", &AgentConfig::high_priority_message_frequency));
  specs.push_back(duration_spec("lowPriorityMessageFrequency", &AgentConfig::low_priority_message_frequency));
  specs.push_back(duration_spec("snapshotFrequency", &AgentConfig::snapshot_frequency));

  const auto integer = [](std::string key, int64_t AgentConfig::*field, int64_t min, int64_t max) {
    return Spec{std::move(key), Kind::Integer, [field](const AgentConfig& c) { return json(c.*field); },
                [field](AgentConfig& c, const json& v) { c.*field = v.get<int64_t>(); },
                [field](AgentConfig& c) { c.*field = AgentConfig::defaults().*field; }, min, max};
  };
  specs.push_back(integer("maxLocalCacheSizeInBytes", &AgentConfig::max_local_cache_size_bytes, 8192,
                          int64_t{1} << 40));
  specs.push_back(integer("maxMessageSizeInBytes", &AgentConfig::max_message_size_bytes, 8192, 262144));

  for (const auto& name : configurable_event_names()) {
    specs.push_back(Spec{"eventPriority" + name, Kind::Priority,
                         [name](const AgentConfig& c) { return json(std::string(to_string(c.priority_of(name)))); },
                         [name](AgentConfig& c, const json& v) { c.event_priority[name] = *parse_priority(v.get<std::string>()); },
                         [name](AgentConfig& c) { c.event_priority[name] = AgentConfig::defaults().priority_of(name); }});
  }
  for (const auto& name : aggregatable_event_names()) {
    specs.push_back(Spec{"aggregationEnabled" + name, Kind::Boolean,
                         [name](const AgentConfig& c) { return json(c.aggregation.at(name).enabled); },
                         [name](AgentConfig& c, const json& v) { c.aggregation[name].enabled = v.get<bool>(); },
                         [name](AgentConfig& c) { c.aggregation[name].enabled = true; }});
    specs.push_back(Spec{"aggregationInterval" + name, Kind::Duration,
                         [name](const AgentConfig& c) { return json(c.aggregation.at(name).interval.text); },
                         [name](AgentConfig& c, const json& v) { c.aggregation[name].interval = to_duration(v); },
                         [name](AgentConfig& c) { c.aggregation[name].interval = Aggregation{}.interval; }});
  }

  const auto boolean = [](std::string key, bool AgentConfig::*field) {
    return Spec{std::move(key), Kind::Boolean, [field](const AgentConfig& c) { return json(c.*field); },
                [field](AgentConfig& c, const json& v) { c.*field = v.get<bool>(); },
                [field](AgentConfig& c) { c.*field = AgentConfig::defaults().*field; }};
  };
  const auto string = [](std::string key, std::string AgentConfig::*field) {
    return Spec{std::move(key), Kind::String, [field](const AgentConfig& c) { return json(c.*field); },
                [field](AgentConfig& c, const json& v) { c.*field = v.get<std::string>(); },
                [field](AgentConfig& c) { c.*field = AgentConfig::defaults().*field; }};
  };
  specs.push_back(boolean("baselineCustomChecksEnabled", &AgentConfig::baseline_custom_checks_enabled));
  specs.push_back(string("baselineCustomChecksFilePath", &AgentConfig::baseline_custom_checks_file_path));
  specs.push_back(string("baselineCustomChecksFileHash", &AgentConfig::baseline_custom_checks_file_hash));
  specs.push_back(string("hubResourceId", &AgentConfig::hub_resource_id));

  Spec source{"processEventSource", Kind::Choice,
              [](const AgentConfig& c) { return json(c.process_event_source); },
              [](AgentConfig& c, const json& v) { c.process_event_source = v.get<std::string>(); },
              [](AgentConfig& c) { c.process_event_source = AgentConfig::defaults().process_event_source; }};
  source.choices = {"auto", "ebpf", "audit", "procconnector"};
  specs.push_back(std::move(source));
  specs.push_back(integer("commandLineMaxBytes", &AgentConfig::command_line_max_bytes, 64, 1 << 20));
  specs.push_back(boolean("connectionIncludeLoopback", &AgentConfig::connection_include_loopback));
  specs.push_back(integer("simulateKernelDropEveryN", &AgentConfig::simulated_drop_every_n, 0, 1 << 30));
  return specs;
}

const std::vector<Spec>& specs() {
  static const std::vector<Spec> table = build_specs();
  return table;
}

const Spec* find_spec(std::string_view key) {
  for (const auto& spec : specs()) {
    if (spec.key == key) return &spec;
  }
  return nullptr;
}

}  // namespace

std::string_view to_string(ConfigErrorType type) {
  switch (type) {
    case ConfigErrorType::TypeMismatch: return "TypeMismatch";
    case ConfigErrorType::NotOptimal: return "NotOptimal";
    case ConfigErrorType::Conflict: return "Conflict";
  }
  return "TypeMismatch";
}

bool is_twin_setting(std::string_view key) { return find_spec(key) != nullptr; }

ConfigApplyResult apply_twin_settings(const json& object, const AgentConfig& base, std::string_view where) {
  ConfigApplyResult result{base, {}, {}};
  if (!object.is_object()) {
    result.invalid.push_back({std::string(kTwinConfigObject), ConfigErrorType::TypeMismatch,
                              std::string(where) + ": the configuration must be a JSON object, got " + type_name(object)});
    return result;
  }
  for (const auto& [key, raw] : object.items()) {
    const Spec* spec = find_spec(key);
    if (!spec) {
      result.unknown_keys.push_back(key);
      continue;
    }
    const json* value = &raw;
    std::string pointer = "/" + key;
    if (raw.is_object()) {
      if (!raw.contains("value") || raw.size() != 1) {
        result.invalid.push_back({key, ConfigErrorType::TypeMismatch,
                                  std::string(where) + " " + pointer + ": expected {\"value\": ...}, got " + shown(raw)});
        continue;
      }
      value = &raw.at("value");
      pointer += "/value";
    }
    if (value->is_null()) {
      spec->reset(result.config);
      continue;
    }
    const std::string problem = validate(*spec, *value);
    if (!problem.empty()) {
      result.invalid.push_back({key, ConfigErrorType::TypeMismatch, std::string(where) + " " + pointer + ": " + problem});
      continue;
    }
    spec->set(result.config, *value);
  }
  return result;
}

std::vector<ConfigProblem> semantic_problems(const AgentConfig& config) {
  std::vector<ConfigProblem> problems;
  if (config.max_local_cache_size_bytes < config.max_message_size_bytes) {
    problems.push_back({"maxLocalCacheSizeInBytes", ConfigErrorType::Conflict,
                        "maxLocalCacheSizeInBytes (" + std::to_string(config.max_local_cache_size_bytes) +
                            ") is smaller than maxMessageSizeInBytes (" + std::to_string(config.max_message_size_bytes) +
                            "): a full message can never be held"});
  }
  if (config.max_message_size_bytes % 4096 != 0) {
    problems.push_back({"maxMessageSizeInBytes", ConfigErrorType::NotOptimal,
                        "maxMessageSizeInBytes (" + std::to_string(config.max_message_size_bytes) +
                            ") is not a multiple of 4096; IoT Hub bills messages in 4 KB units"});
  }
  if (config.high_priority_message_frequency.value > config.low_priority_message_frequency.value) {
    problems.push_back({"highPriorityMessageFrequency", ConfigErrorType::Conflict,
                        "highPriorityMessageFrequency (" + config.high_priority_message_frequency.text +
                            ") is longer than lowPriorityMessageFrequency (" +
                            config.low_priority_message_frequency.text + ")"});
  }
  return problems;
}

json report_twin_settings(const AgentConfig& config) {
  json out = json::object();
  for (const auto& spec : specs()) out[spec.key] = json{{"value", spec.get(config)}};
  return out;
}

}  // namespace edgeguard
