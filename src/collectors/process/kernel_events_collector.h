#pragma once
// ProcessCreate and ConnectionCreate from the best kernel event source that works here:
// eBPF, else Linux audit, else the proc connector (processEventSource = auto), or the one the
// configuration names. The choice and the reasons the better ones were not used are logged and
// reported as RuntimeInfo "ProcessEventSource".
#include <memory>
#include <mutex>
#include <string>

#include "collectors/collector.h"
#include "collectors/process/kernel_event_processor.h"
#include "collectors/process/kernel_source.h"
#include "core/container_catalog.h"
#include "core/runtime_info.h"
#include "pipeline/statistics.h"

namespace edgeguard {

class KernelEventsCollector final : public StreamingCollector {
 public:
  KernelEventsCollector(Statistics& statistics, RuntimeInfo& runtime, ContainerCatalog& containers);
  ~KernelEventsCollector() override;

  std::string_view name() const override { return "KernelEvents"; }
  void start(const CollectorContext& context, EventSubmitter submit) override;
  void stop() override;
  void reconfigure(const AgentConfig& config) override;

  // The running source ("ebpf", "audit", "procconnector"), empty when none runs.
  std::string source_name() const;

 private:
  static kernel::SourceSettings source_settings(const AgentConfig& config);
  // Starts the configured source (or the best one for "auto"). Throws CollectorError.
  void start_source(const AgentConfig& config);
  void stop_source();

  Statistics& statistics_;
  RuntimeInfo& runtime_;
  ContainerCatalog& containers_;
  const HostRoot* host_ = nullptr;
  EventSubmitter submit_;

  mutable std::mutex mutex_;
  std::string configured_source_;
  std::unique_ptr<KernelEventProcessor> processor_;
  std::unique_ptr<kernel::KernelSource> source_;
};

}  // namespace edgeguard
