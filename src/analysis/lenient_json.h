#pragma once
// Reading JSON values the way edgeAgent does (Newtonsoft.Json): member names match without regard
// to case, "true" written as a string is a boolean, "1024" is a number. Values that edgeAgent
// itself would reject are reported as input problems naming their JSON path.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/deployment_model.h"
#include "analysis/json_location.h"

namespace edgeguard::analysis {

struct InputProblem {
  std::string path;         // JSON pointer (paths into createOptions continue below the createOptions value)
  std::string message;      // what is wrong, without the path
  TextPosition position{};  // in the input text, when known
};

using Problems = std::vector<InputProblem>;

struct Member {
  std::string key;  // as written
  const nlohmann::json* value = nullptr;
};

// Every member of `object` whose name equals `name` ignoring ASCII case (none if not an object).
std::vector<Member> members(const nlohmann::json& object, std::string_view name);

// A deployment-template placeholder that tooling replaces before deployment: "${VAR}",
// "$VAR", "__VAR__", "<VAR>", "#{VAR}#". Such a value is unknown, not wrong.
bool is_placeholder(std::string_view text);

// "a boolean", "a string", ... for messages.
std::string json_type_name(const nlohmann::json& value);
// A short rendering of a value for a message (never used for values that may be secrets).
std::string json_shown(const nlohmann::json& value);

// Lenient conversions. nullopt: absent (null, "" or a placeholder) or wrong (a problem is added).
std::optional<bool> read_bool(const nlohmann::json& value, const std::string& path, Problems& problems);
std::optional<int64_t> read_int(const nlohmann::json& value, const std::string& path, Problems& problems);
std::optional<std::string> read_string(const nlohmann::json& value, const std::string& path, Problems& problems);
// The same for values that may be secrets (environment values, passwords): a problem names
// the type but never shows the value.
std::optional<std::string> read_secret_string(const nlohmann::json& value, const std::string& path, Problems& problems);
// An array of strings (numbers and booleans become their text); null = empty.
std::vector<Setting<std::string>> read_string_list(const nlohmann::json& value, const std::string& path,
                                                   Problems& problems, bool may_hold_secrets = false);
// True if `value` is an object or null; otherwise adds "expected an object" and returns false.
bool expect_object(const nlohmann::json& value, const std::string& path, Problems& problems);

// Every case-insensitive `name` member of `object` read with `read`, in Settings form.
template <typename T, typename Reader>
Settings<T> read_all(const nlohmann::json& object, const std::string& object_path, std::string_view name, Reader read,
                     Problems& problems) {
  Settings<T> out;
  for (const auto& member : members(object, name)) {
    std::string path = pointer_append(object_path, member.key);
    if (auto value = read(*member.value, path, problems)) out.push_back({std::move(*value), std::move(path)});
  }
  return out;
}

}  // namespace edgeguard::analysis
