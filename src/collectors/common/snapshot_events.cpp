#include "collectors/common/snapshot_events.h"

namespace edgeguard {

std::vector<Event> make_snapshot_events(const std::string& name, std::vector<nlohmann::json> items,
                                        size_t message_limit) {
  std::vector<Event> events;
  if (items.empty()) {
    events.push_back(make_empty_snapshot(name));
    return events;
  }
  const size_t room = message_limit > 2 * kSnapshotEnvelopeAllowance ? message_limit - kSnapshotEnvelopeAllowance
                                                                      : kSnapshotEnvelopeAllowance;
  nlohmann::json payload = nlohmann::json::array();
  size_t used = 2;  // "[]"
  for (auto& item : items) {
    const size_t size = item.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).size() + 1;
    if (!payload.empty() && used + size > room) {
      events.push_back(make_event(name, EventCategory::Periodic, EventKind::Security, std::move(payload)));
      payload = nlohmann::json::array();
      used = 2;
    }
    payload.push_back(std::move(item));
    used += size;
  }
  events.push_back(make_event(name, EventCategory::Periodic, EventKind::Security, std::move(payload)));
  return events;
}

}  // namespace edgeguard
