#pragma once
// A line a parser of a host file could not use, for a log message naming file and line.
#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>

namespace edgeguard {

struct LineProblem {
  size_t line = 0;  // 1-based
  std::string message;
  bool operator==(const LineProblem&) const = default;
};

// `text` in double quotes, cut to `max` bytes (with "...") so a hostile line cannot flood a log,
// control characters shown as "?".
inline std::string quoted(std::string_view text, size_t max = 48) {
  std::string out;
  out.reserve(std::min(text.size(), max) + 5);
  out.push_back('"');
  // Control characters would let a hostile line forge log records.
  for (const char c : text.substr(0, max)) out.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c);
  if (text.size() > max) out.append("...");
  out.push_back('"');
  return out;
}

}  // namespace edgeguard
