// ISO-8601 durations from the twin and the local file.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/iso_duration.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = edgeguard::parse_iso_duration(text);
  if (parsed && parsed->count() >= 0) {
    // The canonical form of any accepted duration parses back to the same value.
    const auto again = edgeguard::parse_iso_duration(edgeguard::format_iso_duration(*parsed));
    if (!again || *again != *parsed) __builtin_trap();
  }
  return 0;
}
