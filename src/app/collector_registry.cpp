#include "app/collector_registry.h"

#include "collectors/operational/statistics_collector.h"
#include "collectors/process/kernel_events_collector.h"

namespace edgeguard {

std::vector<std::unique_ptr<PeriodicCollector>> make_periodic_collectors(CollectorServices services) {
  std::vector<std::unique_ptr<PeriodicCollector>> collectors;
  // The counters cover the period that ends with this snapshot round.
  collectors.push_back(std::make_unique<StatisticsCollector>(services.statistics));
  return collectors;
}

std::vector<std::unique_ptr<StreamingCollector>> make_streaming_collectors(CollectorServices services) {
  std::vector<std::unique_ptr<StreamingCollector>> collectors;
  // ProcessCreate and ConnectionCreate (eBPF, audit or proc connector).
  collectors.push_back(
      std::make_unique<KernelEventsCollector>(services.statistics, services.runtime, services.containers));
  return collectors;
}

}  // namespace edgeguard
