#pragma once
// The collectors this build has. Each area registers its own here; pieces that several
// collectors share (the Docker engine monitor) are made once.
#include <functional>
#include <memory>
#include <vector>

#include "collectors/collector.h"
#include "core/container_catalog.h"
#include "core/runtime_info.h"
#include "pipeline/event_store.h"
#include "pipeline/statistics.h"

namespace edgeguard {

struct CollectorServices {
  Statistics& statistics;        // drop counters of every source
  RuntimeInfo& runtime;          // facts SystemInformation reports (mode, event source, ...)
  ContainerCatalog& containers;  // written by the container-engine collector, read by others
  // Collectors' own persistent state: read it here at start (state_with_prefix), write it only
  // through Event::state so it is committed together with the events it describes.
  EventStore* store = nullptr;
  // Persists what has been submitted so far, so counters read next include it.
  std::function<void()> settle_pipeline = [] {};
};

struct CollectorSet {
  std::vector<std::unique_ptr<PeriodicCollector>> periodic;    // run by the Scheduler
  std::vector<std::unique_ptr<StreamingCollector>> streaming;  // started by `run` (not --once)
};

CollectorSet make_collectors(const CollectorServices& services);

}  // namespace edgeguard
