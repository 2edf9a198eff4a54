#include "analysis/lenient_json.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "core/strings.h"

namespace edgeguard::analysis {

using nlohmann::json;

std::vector<Member> members(const json& object, std::string_view name) {
  std::vector<Member> found;
  if (!object.is_object()) return found;
  for (const auto& [key, value] : object.items()) {
    if (iequals(key, name)) found.push_back(Member{key, &value});
  }
  return found;
}

bool is_placeholder(std::string_view text) {
  text = trim(text);
  const auto all_of = [](std::string_view name, auto allowed) {
    if (name.empty()) return false;
    for (const char c : name) {
      if (!allowed(c)) return false;
    }
    return true;
  };
  const auto upper = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; };
  const auto word = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '-';
  };
  if (starts_with(text, "${") && ends_with(text, "}")) return text.size() > 3;
  if (starts_with(text, "#{") && ends_with(text, "}#")) return text.size() > 4;
  if (starts_with(text, "<") && ends_with(text, ">")) return all_of(text.substr(1, text.size() - 2), word);
  // Bare forms are only taken for names in capitals, so a real secret such as "$ecret" or
  // "__x" is never mistaken for one: "$CONTAINER_REGISTRY_PASSWORD_myacr", "__ACR_PASSWORD__".
  if (starts_with(text, "__"))
    return text.size() > 2 && text[2] >= 'A' && text[2] <= 'Z' && all_of(text.substr(2), upper);
  if (starts_with(text, "$") && text.size() > 2 && text[1] >= 'A' && text[1] <= 'Z') {
    const std::string_view name = text.substr(1);
    const size_t lower_tail = name.rfind('_');
    return all_of(name, word) &&
           (all_of(name, upper) || (lower_tail != std::string_view::npos && all_of(name.substr(0, lower_tail), upper)));
  }
  return false;
}

std::string json_type_name(const json& value) {
  if (value.is_boolean()) return "a boolean";
  if (value.is_number()) return "a number";
  if (value.is_string()) return "a string";
  if (value.is_array()) return "an array";
  if (value.is_object()) return "an object";
  return "null";
}

std::string json_shown(const json& value) {
  // Containers are not dumped: dumping recurses, and a crafted manifest can nest arbitrarily deep.
  if (value.is_array() || value.is_object()) {
    std::string text(1, value.is_array() ? '[' : '{');
    text += std::to_string(value.size());
    text += value.is_array() ? " items]" : " members}";
    return text;
  }
  std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

std::optional<bool> read_bool(const json& value, const std::string& path, Problems& problems) {
  if (value.is_null()) return std::nullopt;
  if (value.is_boolean()) return value.get<bool>();
  if (value.is_number()) return value.get<double>() != 0.0;
  if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    const std::string_view trimmed = trim(text);
    if (trimmed.empty() || is_placeholder(trimmed)) return std::nullopt;
    if (iequals(trimmed, "true")) return true;
    if (iequals(trimmed, "false")) return false;
  }
  problems.push_back({path, "expected a boolean (true or false, also as a string), got " + json_type_name(value) + " " +
                                json_shown(value)});
  return std::nullopt;
}

std::optional<int64_t> read_int(const json& value, const std::string& path, Problems& problems) {
  if (value.is_null()) return std::nullopt;
  if (value.is_number_integer() && !value.is_number_unsigned()) return value.get<int64_t>();
  if (value.is_number_unsigned() && value.get<uint64_t>() <= uint64_t(std::numeric_limits<int64_t>::max())) {
    return static_cast<int64_t>(value.get<uint64_t>());
  }
  if (value.is_number_float()) {
    const double number = std::nearbyint(value.get<double>());
    if (std::isfinite(number) && number >= -9.2e18 && number <= 9.2e18) return static_cast<int64_t>(number);
  }
  if (value.is_string()) {
    std::string_view text = trim(value.get_ref<const std::string&>());
    if (text.empty() || is_placeholder(text)) return std::nullopt;
    if (starts_with(text, "+")) text.remove_prefix(1);
    int64_t number = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (error == std::errc() && end == text.data() + text.size()) return number;
  }
  problems.push_back(
      {path, "expected an integer (also as a string), got " + json_type_name(value) + " " + json_shown(value)});
  return std::nullopt;
}

std::optional<std::string> read_string(const json& value, const std::string& path, Problems& problems) {
  if (value.is_null()) return std::nullopt;
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return std::string(value.get<bool>() ? "true" : "false");
  if (value.is_number()) return value.dump();
  problems.push_back({path, "expected a string, got " + json_type_name(value) + " " + json_shown(value)});
  return std::nullopt;
}

std::optional<std::string> read_secret_string(const json& value, const std::string& path, Problems& problems) {
  if (value.is_array() || value.is_object()) {
    problems.push_back({path, "expected a string, got " + json_type_name(value)});
    return std::nullopt;
  }
  return read_string(value, path, problems);
}

std::vector<Setting<std::string>> read_string_list(const json& value, const std::string& path, Problems& problems,
                                                   bool may_hold_secrets) {
  std::vector<Setting<std::string>> out;
  if (value.is_null()) return out;
  if (!value.is_array()) {
    std::string message = "expected an array of strings, got " + json_type_name(value);
    if (!may_hold_secrets) {
      message += ' ';
      message += json_shown(value);
    }
    problems.push_back({path, std::move(message)});
    return out;
  }
  for (size_t i = 0; i < value.size(); ++i) {
    std::string item_path = pointer_append(path, i);
    auto text = may_hold_secrets ? read_secret_string(value[i], item_path, problems)
                                 : read_string(value[i], item_path, problems);
    if (text) out.push_back({std::move(*text), std::move(item_path)});
  }
  return out;
}

bool expect_object(const json& value, const std::string& path, Problems& problems) {
  if (value.is_object() || value.is_null()) return true;
  problems.push_back({path, "expected an object, got " + json_type_name(value) + " " + json_shown(value)});
  return false;
}

}  // namespace edgeguard::analysis
