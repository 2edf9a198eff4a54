#pragma once
// DroppedEventsStatistics and MessageStatistics, from the pipeline's counters (reset on read).
#include <functional>

#include "collectors/collector.h"
#include "pipeline/statistics.h"

namespace edgeguard {

class StatisticsCollector : public PeriodicCollector {
 public:
  // `settle` persists what was submitted before the counters are read (may be empty).
  explicit StatisticsCollector(Statistics& statistics, std::function<void()> settle = {})
      : statistics_(statistics), settle_(std::move(settle)) {}
  std::string_view name() const override { return "Operational"; }
  std::vector<std::string> event_names() const override { return {"DroppedEventsStatistics", "MessageStatistics"}; }
  std::vector<Event> collect(const CollectorContext& context) override;

  // The two events for a snapshot of the counters.
  static std::vector<Event> events_for(const StatisticsSnapshot& snapshot);

 private:
  Statistics& statistics_;
  std::function<void()> settle_;
};

}  // namespace edgeguard
