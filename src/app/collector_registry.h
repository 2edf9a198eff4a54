#pragma once
// The collectors this build has. Each area registers its own here.
#include <functional>
#include <memory>
#include <vector>

#include "collectors/collector.h"
#include "core/container_catalog.h"
#include "core/runtime_info.h"
#include "pipeline/statistics.h"

namespace edgeguard {

struct CollectorServices {
  Statistics& statistics;   // drop counters of every source
  RuntimeInfo& runtime;     // facts SystemInformation reports (mode, event source, ...)
  ContainerCatalog& containers;  // written by the container-engine collector, read by others
  // Persists what has been submitted so far, so counters read next include it.
  std::function<void()> settle_pipeline = [] {};
};

std::vector<std::unique_ptr<PeriodicCollector>> make_periodic_collectors(CollectorServices services);
std::vector<std::unique_ptr<StreamingCollector>> make_streaming_collectors(CollectorServices services);

}  // namespace edgeguard
