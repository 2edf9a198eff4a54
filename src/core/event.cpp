#include "core/event.h"

#include "core/guid.h"
#include "core/json_writer.h"
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

Event make_state_update(std::string key, std::string value) {
  Event event;
  event.time = Clock::now();
  event.state = CollectorState{std::move(key), std::move(value)};
  return event;
}

std::string serialize_event(const Event& event) {
  // Written by hand around the payload: this runs for every event at full rate, and building
  // an ordered_json copy of the payload just to print it cost more than everything else here.
  // Payloads may carry bytes from the host (command lines, file names) that are not UTF-8;
  // they are replaced rather than failing, so one odd argv never blocks the queue.
  std::string out;
  out.reserve(320);
  out += "{\"Id\":";
  append_json_string(out, event.id);
  out += ",\"TimestampLocal\":\"";
  out += format_local_time(event.time);
  out += "\",\"TimestampUTC\":\"";
  out += format_utc_time(event.time);
  out += "\",\"Category\":\"";
  out += to_string(event.category);
  out += "\",\"Name\":";
  append_json_string(out, event.name);
  out += ",\"EventType\":\"";
  out += to_string(event.kind);
  out += event.is_empty() ? "\",\"IsEmpty\":true" : "\",\"IsEmpty\":false";
  out += ",\"PayloadSchemaVersion\":\"1.0\",\"Payload\":";
  append_json(out, event.payload);
  out += '}';
  return out;
}

}  // namespace edgeguard
