#include "core/event.h"

#include "core/guid.h"
#include "core/strings.h"
#include "core/timestamp.h"

namespace edgeguard {

std::string_view to_string(EventCategory category) {
  return category == EventCategory::Periodic ? "Periodic" : "Triggered";
}

std::string_view to_string(EventKind kind) {
  switch (kind) {
    case EventKind::Security: return "Security";
    case EventKind::Operational: return "Operational";
    case EventKind::Diagnostic: return "Diagnostic";
  }
  return "Security";
}

std::string_view to_string(Priority priority) {
  switch (priority) {
    case Priority::High: return "High";
    case Priority::Low: return "Low";
    case Priority::Off: return "Off";
  }
  return "Off";
}

std::optional<Priority> parse_priority(std::string_view text) {
  if (iequals(text, "High")) return Priority::High;
  if (iequals(text, "Low")) return Priority::Low;
  if (iequals(text, "Off")) return Priority::Off;
  return std::nullopt;
}

Event make_event(std::string name, EventCategory category, EventKind kind, nlohmann::json payload) {
  Event event;
  event.id = new_guid();
  event.name = std::move(name);
  event.category = category;
  event.kind = kind;
  event.time = Clock::now();
  event.payload = std::move(payload);
  return event;
}

Event make_empty_snapshot(std::string name, EventKind kind) {
  return make_event(std::move(name), EventCategory::Periodic, kind, nlohmann::json::array());
}

std::string serialize_event(const Event& event) {
  // Written field by field rather than through an ordered_json copy of the whole event: this
  // runs once per event on the hot path, and the copy of the payload cost more than the rest.
  // The text is the same: compact, keys in this order, the payload's keys sorted.
  const auto quoted = [](const std::string& text) {
    return nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  };
  std::string out;
  out.reserve(256);
  out += "{\"Id\":";
  out += quoted(event.id);
  out += ",\"TimestampLocal\":\"";
  out += format_local_time(event.time);
  out += "\",\"TimestampUTC\":\"";
  out += format_utc_time(event.time);
  out += "\",\"Category\":\"";
  out += to_string(event.category);
  out += "\",\"Name\":";
  out += quoted(event.name);
  out += ",\"EventType\":\"";
  out += to_string(event.kind);
  out += "\",\"IsEmpty\":";
  out += event.is_empty() ? "true" : "false";
  out += ",\"PayloadSchemaVersion\":\"1.0\",\"Payload\":";
  // Payloads may carry bytes from the host (command lines, file names) that are not UTF-8;
  // replace them rather than fail, so one odd argv never blocks the queue.
  out += event.payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  out += '}';
  return out;
}

}  // namespace edgeguard
