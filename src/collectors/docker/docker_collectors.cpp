#include "collectors/docker/docker_collectors.h"

#include <map>
#include <mutex>

namespace edgeguard::docker {

std::shared_ptr<DockerMonitor> shared_monitor(ContainerCatalog& catalog, Statistics& statistics) {
  static std::mutex mutex;
  static std::map<const ContainerCatalog*, std::weak_ptr<DockerMonitor>> monitors;
  std::lock_guard lock(mutex);
  for (auto it = monitors.begin(); it != monitors.end();) it = it->second.expired() ? monitors.erase(it) : std::next(it);
  auto& slot = monitors[&catalog];
  if (auto existing = slot.lock()) return existing;
  auto monitor = std::make_shared<DockerMonitor>(catalog, statistics);
  slot = monitor;
  return monitor;
}

void DockerEventsCollector::start(const CollectorContext& context, EventSubmitter submit) {
  monitor_->set_sockets(docker_socket_candidates(context.host, context.config.local));
  monitor_->start(std::move(submit), context.config);
}

void DockerEventsCollector::stop() { monitor_->stop(); }

void DockerEventsCollector::reconfigure(const AgentConfig& config) { monitor_->reconfigure(config); }

std::vector<Event> ContainerInventoryCollector::collect(const CollectorContext& context) {
  if (!monitor_->has_sockets()) monitor_->set_sockets(docker_socket_candidates(context.host, context.config.local));
  // No engine (yet): the running monitor has said so once and watches for it; an error every
  // snapshot would only repeat that. Without a running monitor (run --once) it is an error.
  if (monitor_->following() && !monitor_->engine_socket_present()) return {};
  // Half a message: the envelope and the other events of the batch need room too.
  const size_t budget = std::max<size_t>(context.config.effective_message_limit() / 2, 4096);
  return make_inventory_events(monitor_->inventory(), budget);
}

}  // namespace edgeguard::docker
