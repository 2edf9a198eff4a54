#include "collectors/operational/statistics_collector.h"

namespace edgeguard {
namespace {

nlohmann::json queue_item(const char* queue, const QueueCounters& counters) {
  nlohmann::json item{{"Queue", queue},
                      {"CollectedEvents", counters.collected},
                      {"DroppedEvents", counters.dropped}};
  if (!counters.dropped_by_reason.empty()) {
    nlohmann::json extra = nlohmann::json::object();
    for (const auto& [reason, count] : counters.dropped_by_reason) extra[reason] = std::to_string(count);
    item["ExtraDetails"] = std::move(extra);
  }
  return item;
}

}  // namespace

std::vector<Event> StatisticsCollector::events_for(const StatisticsSnapshot& snapshot) {
  std::vector<Event> events;
  events.push_back(make_event("DroppedEventsStatistics", EventCategory::Periodic, EventKind::Operational,
                              nlohmann::json::array({queue_item("High", snapshot.high), queue_item("Low", snapshot.low)})));
  events.push_back(make_event("MessageStatistics", EventCategory::Periodic, EventKind::Operational,
                              nlohmann::json::array({nlohmann::json{{"MessagesSent", snapshot.messages_sent},
                                                                    {"MessagesUnder4KB", snapshot.messages_under_4kb},
                                                                    {"TotalFailed", snapshot.messages_failed}}})));
  return events;
}

std::vector<Event> StatisticsCollector::collect(const CollectorContext&) {
  if (settle_) settle_();
  return events_for(statistics_.take());
}

}  // namespace edgeguard
