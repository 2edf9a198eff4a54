// The record of the batch in flight, read back from the event store after a crash (a damaged
// or altered store file must not crash the agent).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pipeline/delivery_record.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = edgeguard::parse_delivery_record(text);
  if (parsed) {
    // Whatever is accepted is written back the same.
    const auto again = edgeguard::parse_delivery_record(edgeguard::serialize_delivery_record(*parsed));
    if (!again || again->position != parsed->position || again->messages.size() != parsed->messages.size()) {
      __builtin_trap();
    }
    for (size_t i = 0; i < parsed->messages.size(); ++i) {
      const auto& a = parsed->messages[i];
      const auto& b = again->messages[i];
      if (a.size != b.size || a.crc32 != b.crc32 || a.seqs != b.seqs) __builtin_trap();
    }
  }
  return 0;
}
