#pragma once
// DroppedEventsStatistics and MessageStatistics, from the pipeline's counters (reset on read).
#include "collectors/collector.h"
#include "pipeline/statistics.h"

namespace edgeguard {

class StatisticsCollector : public PeriodicCollector {
 public:
  explicit StatisticsCollector(Statistics& statistics) : statistics_(statistics) {}
  std::string_view name() const override { return "Operational"; }
  std::vector<std::string> event_names() const override { return {"DroppedEventsStatistics", "MessageStatistics"}; }
  std::vector<Event> collect(const CollectorContext& context) override;

  // The two events for a snapshot of the counters.
  static std::vector<Event> events_for(const StatisticsSnapshot& snapshot);

 private:
  Statistics& statistics_;
};

}  // namespace edgeguard
