#include "core/json_pointer.h"

namespace edgeguard {

std::string pointer_append(std::string_view base, std::string_view key) {
  std::string out(base);
  out.reserve(base.size() + key.size() + 1);
  out += '/';
  for (const char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string pointer_append(std::string_view base, size_t index) {
  std::string out(base);
  out += '/';
  out += std::to_string(index);
  return out;
}

}  // namespace edgeguard
