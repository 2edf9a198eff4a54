#include "app/collector_registry.h"

#include "collectors/firewall/firewall_collector.h"
#include "collectors/operational/statistics_collector.h"
#include "collectors/ports/listening_ports_collector.h"
#include "collectors/sysinfo/system_information_collector.h"
#include "collectors/users/local_users_collector.h"

namespace edgeguard {

std::vector<std::unique_ptr<PeriodicCollector>> make_periodic_collectors(CollectorServices services) {
  std::vector<std::unique_ptr<PeriodicCollector>> collectors;
  // Host snapshots first, so the parse failures they count land in this round's statistics.
  collectors.push_back(std::make_unique<SystemInformationCollector>(services.runtime));
  collectors.push_back(std::make_unique<LocalUsersCollector>(services.statistics));
  collectors.push_back(std::make_unique<ListeningPortsCollector>(services.statistics));
  collectors.push_back(std::make_unique<FirewallCollector>(services.statistics));
  // Last: the counters cover the period that ends with this snapshot round.
  collectors.push_back(std::make_unique<StatisticsCollector>(services.statistics, services.settle_pipeline));
  return collectors;
}

std::vector<std::unique_ptr<StreamingCollector>> make_streaming_collectors(CollectorServices) { return {}; }

}  // namespace edgeguard
