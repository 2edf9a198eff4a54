// os-release(5) parser: any bytes, no crash, and every value it keeps has a valid key.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "collectors/sysinfo/os_release.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = edgeguard::parse_os_release(text);
  for (const auto& [key, value] : parsed.values) {
    if (key.empty() || (key[0] >= '0' && key[0] <= '9')) std::abort();
    if (value.size() > size) std::abort();
  }
  for (const auto& problem : parsed.problems) {
    if (problem.line == 0 || problem.message.empty()) std::abort();
  }
  (void)parsed.get("NAME");
  return 0;
}
