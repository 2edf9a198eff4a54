#include "app/collector_registry.h"

#include "collectors/docker/docker_collectors.h"
#include "collectors/firewall/firewall_collector.h"
#include "collectors/login/login_collector.h"
#include "collectors/operational/statistics_collector.h"
#include "collectors/ports/listening_ports_collector.h"
#include "collectors/process/kernel_events_collector.h"
#include "collectors/sysinfo/system_information_collector.h"
#include "collectors/users/local_users_collector.h"

namespace edgeguard {

CollectorSet make_collectors(const CollectorServices& services) {
  CollectorSet set;
  // One engine monitor feeds the container catalog, the lifecycle events and the inventory.
  const auto docker_monitor = std::make_shared<docker::DockerMonitor>(services.containers, services.statistics);

  // Host snapshots first, so the parse failures they count land in this round's statistics.
  set.periodic.push_back(std::make_unique<SystemInformationCollector>(services.runtime));
  set.periodic.push_back(std::make_unique<LocalUsersCollector>(services.statistics));
  set.periodic.push_back(std::make_unique<ListeningPortsCollector>(services.statistics));
  set.periodic.push_back(std::make_unique<FirewallCollector>(services.statistics));
  set.periodic.push_back(std::make_unique<docker::ContainerInventoryCollector>(docker_monitor));
  // Last: the counters cover the period that ends with this snapshot round.
  set.periodic.push_back(std::make_unique<StatisticsCollector>(services.statistics, services.settle_pipeline));

  // ProcessCreate and ConnectionCreate (eBPF, audit or proc connector).
  set.streaming.push_back(
      std::make_unique<KernelEventsCollector>(services.statistics, services.runtime, services.containers));
  set.streaming.push_back(std::make_unique<docker::DockerEventsCollector>(docker_monitor));
  set.streaming.push_back(std::make_unique<LoginCollector>(services));
  return set;
}

}  // namespace edgeguard
