#pragma once
// MQTT topics of edgeHub's module conventions (reference section 4): telemetry with its
// property bag, and the module twin's request/response/notification topics.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/event.h"

namespace edgeguard::edgehub {

inline constexpr std::string_view kSecurityInterfaceId = "urn:azureiot:Security:SecurityAgent:1";

using PropertyBag = std::vector<std::pair<std::string, std::string>>;  // decoded, in wire order

// The system properties a message on `channel` carries: $.ct, $.ce, then $.ifid (security
// messages) or $.on (extension messages on a named module output).
PropertyBag message_properties(const Channel& channel);
// "k1=v1&k2=v2", keys and values percent-encoded ("$" is written "%24").
std::string encode_property_bag(const PropertyBag& properties);
// devices/{device}/modules/{module}/messages/events/{property bag}
std::string telemetry_topic(std::string_view device_id, std::string_view module_id, const Channel& channel);

struct TelemetryTopic {
  std::string device_id;
  std::string module_id;
  PropertyBag properties;
  // First value of `key`, if present.
  std::optional<std::string> property(std::string_view key) const;
};

struct ParseError {
  std::string message;
};

// Parses a property bag as edgeHub does: "&"-separated, each "key=value" (or a bare key),
// keys and values percent-decoded. A malformed escape or an empty key is an error.
std::optional<PropertyBag> parse_property_bag(std::string_view bag, std::string* error = nullptr);

// Parses a telemetry topic in any of the forms edgeHub accepts: with or without the trailing
// slash, with a property bag, and with a slash after the bag.
std::optional<TelemetryTopic> parse_telemetry_topic(std::string_view topic, std::string* error = nullptr);

// Module twin topics.
inline constexpr std::string_view kTwinResponseFilter = "$iothub/twin/res/#";
inline constexpr std::string_view kTwinDesiredFilter = "$iothub/twin/PATCH/properties/desired/#";
std::string twin_get_topic(std::string_view rid);
std::string twin_reported_patch_topic(std::string_view rid);

struct TwinTopic {
  enum class Kind { Response, DesiredPatch };
  Kind kind = Kind::Response;
  int status = 0;                 // responses: 200 (GET), 204 (reported PATCH), 4xx/5xx
  std::string rid;                // responses
  std::optional<int64_t> version;  // $version, when given
};

// nullopt for a topic that is not a twin response or desired-properties notification.
std::optional<TwinTopic> parse_twin_topic(std::string_view topic, std::string* error = nullptr);

}  // namespace edgeguard::edgehub
