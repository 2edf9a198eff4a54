// Fuzzes the MQTT topic and property-bag parsers of the edgeHub contract, with round-trip
// invariants: what parses re-encodes and parses to the same properties.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "transport/edgehub/encoding.h"
#include "transport/edgehub/topics.h"

using namespace edgeguard::edgehub;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  if (const auto topic = parse_telemetry_topic(input)) {
    const auto again = parse_property_bag(encode_property_bag(topic->properties));
    if (!again || *again != topic->properties) std::abort();
  }
  if (const auto bag = parse_property_bag(input)) {
    const auto again = parse_property_bag(encode_property_bag(*bag));
    if (!again || *again != *bag) std::abort();
  }
  (void)parse_twin_topic(input);
  if (const auto decoded = percent_decode(input)) {
    if (percent_decode(property_encode(*decoded)) != *decoded) std::abort();
    if (percent_decode(sdk_url_encode(*decoded)) != *decoded) std::abort();
  }
  if (const auto bytes = base64_decode(input)) {
    if (base64_encode(*bytes) != input) std::abort();
  }
  return 0;
}
