#include "analysis/printable.h"

#include <algorithm>

namespace edgeguard::analysis {

std::string printable(std::string_view text, size_t max_chars) {
  std::string out;
  out.reserve(std::min(text.size(), max_chars));
  for (const char c : text) {
    if (out.size() >= max_chars) {
      // Cut at a character boundary: half a UTF-8 sequence would make the report invalid UTF-8.
      while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
      if (!out.empty() && static_cast<unsigned char>(out.back()) >= 0xC0) out.pop_back();
      out += "...";
      break;
    }
    const auto byte = static_cast<unsigned char>(c);
    out += (byte < 0x20 || byte == 0x7f) ? '?' : c;
  }
  return out;
}

}  // namespace edgeguard::analysis
