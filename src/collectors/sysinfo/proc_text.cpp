#include "collectors/sysinfo/proc_text.h"

#include "core/strings.h"

namespace edgeguard {
namespace {

template <typename Number>
bool parse_decimal(std::string_view text, Number& out) {
  const auto value = parse_integer<Number>(text);
  if (value) out = *value;
  return value.has_value();
}

// mountinfo escapes blank, tab, newline and backslash as \ooo.
std::string unescape_octal(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size()) {
      const auto digits = text.substr(i + 1, 3);
      bool octal = digits.size() == 3;
      for (const char c : digits) octal = octal && c >= '0' && c <= '7';
      if (octal) {
        out.push_back(static_cast<char>(((digits[0] - '0') << 6) | ((digits[1] - '0') << 3) | (digits[2] - '0')));
        i += 3;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

}  // namespace

std::optional<uint64_t> MemInfo::get(std::string_view key) const {
  const auto it = kib.find(key);
  if (it == kib.end()) return std::nullopt;
  return it->second;
}

MemInfo parse_meminfo(std::string_view text) {
  MemInfo result;
  size_t number = 0;
  for (const auto raw : split(text, '\n')) {
    ++number;
    const auto line = trim(raw);
    if (line.empty()) continue;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      result.problems.push_back({number, "expected \"Name: value [kB]\""});
      continue;
    }
    const auto fields = split_whitespace(line.substr(colon + 1));
    uint64_t value = 0;
    if (fields.empty() || fields.size() > 2 || !parse_decimal(fields[0], value) ||
        (fields.size() == 2 && fields[1] != "kB")) {
      result.problems.push_back({number, quoted(line.substr(0, colon)) + ": expected a number of kB"});
      continue;
    }
    result.kib[std::string(line.substr(0, colon))] = value;
  }
  return result;
}

std::vector<KernelParameter> parse_kernel_cmdline(std::string_view text) {
  std::vector<KernelParameter> parameters;
  size_t i = 0;
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\0'; };
  while (i < text.size()) {
    while (i < text.size() && blank(text[i])) ++i;
    if (i >= text.size()) break;
    // One argument: quotes toggle, blanks inside quotes are kept, the quotes themselves are not.
    std::string argument;
    bool quoted = false;
    size_t equals = std::string::npos;
    while (i < text.size() && (quoted || !blank(text[i]))) {
      const char c = text[i++];
      if (c == '"') {
        quoted = !quoted;
        continue;
      }
      if (c == '=' && equals == std::string::npos) equals = argument.size();
      argument.push_back(c);
    }
    if (argument == "--") break;
    if (equals == std::string::npos) {
      parameters.push_back({std::move(argument), std::nullopt});
    } else {
      parameters.push_back({argument.substr(0, equals), argument.substr(equals + 1)});
    }
  }
  return parameters;
}

std::optional<std::string> kernel_parameter(const std::vector<KernelParameter>& parameters, std::string_view name) {
  std::optional<std::string> found;
  for (const auto& parameter : parameters) {
    if (parameter.name == name && parameter.value) found = parameter.value;
  }
  return found;
}

MountInfo parse_mountinfo(std::string_view text) {
  MountInfo result;
  size_t number = 0;
  for (const auto raw : split(text, '\n')) {
    ++number;
    const auto line = trim(raw);
    if (line.empty()) continue;
    const auto fields = split_whitespace(line);
    // id parent major:minor root mount-point options [optional...] - fstype source super-options
    size_t separator = 0;
    for (size_t f = 6; f < fields.size(); ++f) {
      if (fields[f] == "-") {
        separator = f;
        break;
      }
    }
    if (separator == 0 || separator + 1 >= fields.size()) {
      result.problems.push_back({number, "expected \"id parent major:minor root mount-point options ... - type source\""});
      continue;
    }
    MountInfoEntry entry;
    const auto device = fields[2];
    const size_t colon = device.find(':');
    if (colon == std::string_view::npos || !parse_decimal(device.substr(0, colon), entry.major) ||
        !parse_decimal(device.substr(colon + 1), entry.minor)) {
      result.problems.push_back({number, quoted(device) + " is not major:minor"});
      continue;
    }
    entry.root = unescape_octal(fields[3]);
    entry.mount_point = unescape_octal(fields[4]);
    entry.fs_type = std::string(fields[separator + 1]);
    entry.source = separator + 2 < fields.size() ? unescape_octal(fields[separator + 2]) : std::string();
    result.entries.push_back(std::move(entry));
  }
  return result;
}

}  // namespace edgeguard
