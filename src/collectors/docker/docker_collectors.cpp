#include "collectors/docker/docker_collectors.h"

#include "core/log.h"

namespace edgeguard::docker {

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
  const std::vector<RecordPtr> containers = monitor_->inventory();
  std::map<std::string, nlohmann::json> counts;
  if (finding_counts_) {
    try {
      counts = finding_counts_(containers, context.config);
    } catch (const std::exception& error) {
      log::get("docker")->error("deployment analysis failed: {}", error.what());
    }
  }
  return make_inventory_events(containers, budget, counts);
}

}  // namespace edgeguard::docker
