#pragma once
// The one record every collector produces and the pipeline consumes.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace edgeguard {

using Clock = std::chrono::system_clock;
using TimePoint = Clock::time_point;

// Schema v1.0 "Category" and "EventType".
enum class EventCategory { Periodic, Triggered };
enum class EventKind { Security, Operational, Diagnostic };
enum class Priority { High, Low, Off };

std::string_view to_string(EventCategory category);
std::string_view to_string(EventKind kind);
std::string_view to_string(Priority priority);
std::optional<Priority> parse_priority(std::string_view text);  // case-insensitive

// Where a finished message goes. Security messages follow schema v1.0 and carry the
// security marking; extension messages carry what v1.0 cannot, on a named module output.
struct Channel {
  std::string output;  // empty = marked Azure security message
  bool is_security() const { return output.empty(); }
  bool operator==(const Channel&) const = default;
};

// State a collector persists with its events, e.g. how far it has read a log file.
struct CollectorState {
  std::string key;
  std::string value;
};

struct Event {
  std::string id;  // GUID, unique per event
  std::string name;
  EventCategory category = EventCategory::Triggered;
  EventKind kind = EventKind::Security;
  TimePoint time{};
  nlohmann::json payload = nlohmann::json::array();
  Channel channel;
  // Committed in the same store transaction as this event, so a collector restarted after a
  // crash resumes right after the last event that reached the store. Never sent.
  std::optional<CollectorState> state;

  bool is_empty() const { return payload.empty(); }
  bool is_state_only() const { return name.empty() && state.has_value(); }
};

// A new event with a fresh id and the current time.
Event make_event(std::string name, EventCategory category, EventKind kind,
                 nlohmann::json payload = nlohmann::json::array());
// The periodic "found nothing" event: IsEmpty true, empty payload.
Event make_empty_snapshot(std::string name, EventKind kind = EventKind::Security);

// No event, only collector state: committed in submission order after the events submitted
// before it (e.g. a read position past records that produced no event).
Event make_state_update(std::string key, std::string value);

// The event as schema v1.0 JSON text (Id, TimestampLocal, TimestampUTC, Category, Name,
// EventType, IsEmpty, PayloadSchemaVersion, Payload).
std::string serialize_event(const Event& event);

}  // namespace edgeguard
