#pragma once
// The collectors this build has. Each area registers its own here.
#include <memory>
#include <vector>

#include "collectors/collector.h"
#include "core/runtime_info.h"
#include "pipeline/statistics.h"

namespace edgeguard {

struct CollectorServices {
  Statistics& statistics;
  RuntimeInfo& runtime;
};

std::vector<std::unique_ptr<PeriodicCollector>> make_periodic_collectors(CollectorServices services);
std::vector<std::unique_ptr<StreamingCollector>> make_streaming_collectors(CollectorServices services);

}  // namespace edgeguard
