#pragma once
// The Docker engine's two faces to the scheduler and the pipeline: a streaming collector that
// follows the engine (lifecycle and exec events, the container cache and catalog) and a
// periodic one that reports the inventory snapshot. Both share one DockerMonitor.
#include <functional>
#include <map>
#include <memory>

#include "collectors/collector.h"
#include "collectors/docker/docker_monitor.h"

namespace edgeguard::docker {

class DockerEventsCollector : public StreamingCollector {
 public:
  explicit DockerEventsCollector(std::shared_ptr<DockerMonitor> monitor) : monitor_(std::move(monitor)) {}
  std::string_view name() const override { return "DockerEngine"; }
  void start(const CollectorContext& context, EventSubmitter submit) override;
  void stop() override;
  void reconfigure(const AgentConfig& config) override;

 private:
  std::shared_ptr<DockerMonitor> monitor_;
};

class ContainerInventoryCollector : public PeriodicCollector {
 public:
  // The deployment analysis's counts per container id for the inventory's DeploymentFindings.
  using FindingCounts =
      std::function<std::map<std::string, nlohmann::json>(const std::vector<RecordPtr>&, const AgentConfig&)>;

  explicit ContainerInventoryCollector(std::shared_ptr<DockerMonitor> monitor, FindingCounts finding_counts = {})
      : monitor_(std::move(monitor)), finding_counts_(std::move(finding_counts)) {}
  std::string_view name() const override { return "ContainerInventory"; }
  std::vector<std::string> event_names() const override { return {std::string(kInventoryEvent)}; }
  std::vector<Event> collect(const CollectorContext& context) override;

 private:
  std::shared_ptr<DockerMonitor> monitor_;
  FindingCounts finding_counts_;
};

}  // namespace edgeguard::docker
