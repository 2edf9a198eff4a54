#include "transport/edgehub/topics.h"

#include "core/strings.h"
#include "transport/edgehub/encoding.h"

namespace edgeguard::edgehub {
namespace {

void set_error(std::string* error, std::string message) {
  if (error) *error = std::move(message);
}

}  // namespace

PropertyBag message_properties(const Channel& channel) {
  PropertyBag properties = {{"$.ct", "application/json"}, {"$.ce", "utf-8"}};
  if (channel.is_security()) {
    properties.emplace_back("$.ifid", std::string(kSecurityInterfaceId));
  } else {
    properties.emplace_back("$.on", channel.output);
  }
  return properties;
}

std::string encode_property_bag(const PropertyBag& properties) {
  std::string bag;
  for (const auto& [key, value] : properties) {
    if (!bag.empty()) bag.push_back('&');
    bag.append(property_encode(key)).push_back('=');
    bag.append(property_encode(value));
  }
  return bag;
}

std::string telemetry_topic(std::string_view device_id, std::string_view module_id, const Channel& channel) {
  std::string topic = "devices/";
  topic.append(device_id).append("/modules/").append(module_id).append("/messages/events/");
  topic.append(encode_property_bag(message_properties(channel)));
  return topic;
}

std::optional<std::string> TelemetryTopic::property(std::string_view key) const {
  for (const auto& [k, v] : properties) {
    if (k == key) return v;
  }
  return std::nullopt;
}

std::optional<PropertyBag> parse_property_bag(std::string_view bag, std::string* error) {
  PropertyBag properties;
  if (bag.empty()) return properties;
  for (const auto item : split(bag, '&')) {
    if (item.empty()) continue;
    const auto equals = item.find('=');
    const auto raw_key = item.substr(0, equals);
    const auto raw_value = equals == std::string_view::npos ? std::string_view() : item.substr(equals + 1);
    auto key = percent_decode(raw_key);
    auto value = percent_decode(raw_value);
    if (!key || !value) {
      set_error(error, "property bag item \"" + std::string(item.substr(0, 64)) + "\" has a malformed %-escape");
      return std::nullopt;
    }
    if (key->empty()) {
      set_error(error, "property bag item \"" + std::string(item.substr(0, 64)) + "\" has an empty name");
      return std::nullopt;
    }
    properties.emplace_back(std::move(*key), std::move(*value));
  }
  return properties;
}

std::optional<TelemetryTopic> parse_telemetry_topic(std::string_view topic, std::string* error) {
  constexpr std::string_view kDevices = "devices/";
  constexpr std::string_view kModules = "/modules/";
  constexpr std::string_view kEvents = "/messages/events";
  if (!starts_with(topic, kDevices)) {
    set_error(error, "a telemetry topic starts with \"devices/\"");
    return std::nullopt;
  }
  auto rest = topic.substr(kDevices.size());
  const auto device_end = rest.find('/');
  if (device_end == 0 || device_end == std::string_view::npos) {
    set_error(error, "no device id in the topic");
    return std::nullopt;
  }
  TelemetryTopic parsed;
  parsed.device_id = std::string(rest.substr(0, device_end));
  rest = rest.substr(device_end);
  if (!starts_with(rest, kModules)) {
    set_error(error, "expected \"/modules/\" after the device id");
    return std::nullopt;
  }
  rest = rest.substr(kModules.size());
  const auto module_end = rest.find('/');
  if (module_end == 0 || module_end == std::string_view::npos) {
    set_error(error, "no module id in the topic");
    return std::nullopt;
  }
  parsed.module_id = std::string(rest.substr(0, module_end));
  rest = rest.substr(module_end);
  if (!starts_with(rest, kEvents)) {
    set_error(error, "expected \"/messages/events\" after the module id");
    return std::nullopt;
  }
  rest = rest.substr(kEvents.size());
  if (!rest.empty()) {
    if (rest.front() != '/') {
      set_error(error, "expected \"/\" after \"messages/events\"");
      return std::nullopt;
    }
    rest.remove_prefix(1);
    if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
    if (rest.find('/') != std::string_view::npos) {
      set_error(error, "the property bag contains an unescaped \"/\"");
      return std::nullopt;
    }
  }
  auto properties = parse_property_bag(rest, error);
  if (!properties) return std::nullopt;
  parsed.properties = std::move(*properties);
  return parsed;
}

std::string twin_get_topic(std::string_view rid) { return "$iothub/twin/GET/?$rid=" + std::string(rid); }

std::string twin_reported_patch_topic(std::string_view rid) {
  return "$iothub/twin/PATCH/properties/reported/?$rid=" + std::string(rid);
}

std::optional<TwinTopic> parse_twin_topic(std::string_view topic, std::string* error) {
  constexpr std::string_view kResponse = "$iothub/twin/res/";
  constexpr std::string_view kDesired = "$iothub/twin/PATCH/properties/desired/";
  TwinTopic parsed;
  std::string_view rest;
  if (starts_with(topic, kResponse)) {
    parsed.kind = TwinTopic::Kind::Response;
    rest = topic.substr(kResponse.size());
    const auto slash = rest.find('/');
    const auto status = parse_integer<int64_t>(rest.substr(0, slash));
    if (!status || *status < 100 || *status > 999) {
      set_error(error, "twin response without a numeric status");
      return std::nullopt;
    }
    parsed.status = static_cast<int>(*status);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  } else if (starts_with(topic, kDesired)) {
    parsed.kind = TwinTopic::Kind::DesiredPatch;
    rest = topic.substr(kDesired.size());
  } else {
    set_error(error, "not a twin response or desired-properties topic");
    return std::nullopt;
  }
  if (!rest.empty()) {
    if (rest.front() != '?') {
      set_error(error, "expected \"?\" before the twin topic's parameters");
      return std::nullopt;
    }
    auto parameters = parse_property_bag(rest.substr(1), error);
    if (!parameters) return std::nullopt;
    for (const auto& [key, value] : *parameters) {
      if (key == "$rid" && parsed.rid.empty()) {
        parsed.rid = value;
      } else if (key == "$version" && !parsed.version) {
        parsed.version = parse_integer<int64_t>(value);
        if (!parsed.version) {
          set_error(error, "twin topic $version \"" + value.substr(0, 32) + "\" is not an integer");
          return std::nullopt;
        }
      }
    }
  }
  return parsed;
}

}  // namespace edgeguard::edgehub
