#include "collectors/sysinfo/os_release.h"

#include <optional>

#include "core/strings.h"

namespace edgeguard {
namespace {

bool valid_key(std::string_view key) {
  if (key.empty()) return false;
  for (size_t i = 0; i < key.size(); ++i) {
    const char c = key[i];
    const bool letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!letter && !(digit && i > 0)) return false;
  }
  return true;
}

// In double quotes a backslash escapes only $ ` " \ and newline, as in a POSIX shell; before
// anything else it stays.
bool escapable_in_double_quotes(char c) { return c == '$' || c == '`' || c == '"' || c == '\\' || c == '\n'; }

struct Value {
  std::string text;
  std::string problem;  // non-empty: the line is unusable
  std::string warning;  // non-empty: the value was used but something after it was ignored
};

Value parse_value(std::string_view raw) {
  Value value;
  size_t i = 0;
  if (!raw.empty() && (raw[0] == '"' || raw[0] == '\'')) {
    const char quote = raw[0];
    i = 1;
    bool closed = false;
    while (i < raw.size()) {
      const char c = raw[i];
      if (c == quote) {
        closed = true;
        ++i;
        break;
      }
      if (quote == '"' && c == '\\' && i + 1 < raw.size() && escapable_in_double_quotes(raw[i + 1])) {
        value.text.push_back(raw[i + 1]);
        i += 2;
        continue;
      }
      value.text.push_back(c);
      ++i;
    }
    if (!closed) {
      value.problem = std::string("unterminated ") + (quote == '"' ? "double" : "single") + " quote";
      return value;
    }
    const auto rest = trim(raw.substr(i));
    if (!rest.empty() && rest.front() != '#') value.warning = "ignored text after the closing quote";
    return value;
  }
  // Unquoted: a backslash takes the next character literally; unescaped blanks end the value.
  while (i < raw.size()) {
    const char c = raw[i];
    if (c == '\\' && i + 1 < raw.size()) {
      value.text.push_back(raw[i + 1]);
      i += 2;
      continue;
    }
    if (c == ' ' || c == '\t') break;
    value.text.push_back(c);
    ++i;
  }
  const auto rest = trim(raw.substr(i));
  if (!rest.empty() && rest.front() != '#') value.warning = "ignored text after an unquoted blank (quote the value)";
  return value;
}

}  // namespace

std::string OsRelease::get(std::string_view key) const {
  const auto it = values.find(key);
  return it == values.end() ? std::string() : it->second;
}

OsRelease parse_os_release(std::string_view text) {
  OsRelease result;
  size_t number = 0;
  for (const auto raw_line : split(text, '\n')) {
    ++number;
    const auto line = trim(raw_line);
    if (line.empty() || line.front() == '#') continue;
    const size_t equals = line.find('=');
    if (equals == std::string_view::npos) {
      result.problems.push_back({number, "not a KEY=value assignment"});
      continue;
    }
    const auto key = line.substr(0, equals);
    if (!valid_key(key)) {
      result.problems.push_back({number, quoted(key) + " is not a variable name"});
      continue;
    }
    Value value = parse_value(line.substr(equals + 1));
    if (!value.problem.empty()) {
      result.problems.push_back({number, std::string(key) + ": " + value.problem});
      continue;
    }
    if (!value.warning.empty()) result.problems.push_back({number, std::string(key) + ": " + value.warning});
    result.values[std::string(key)] = std::move(value.text);
  }
  return result;
}

}  // namespace edgeguard
