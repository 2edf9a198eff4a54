#pragma once
// Runs the KernelEvents collector in the test process against the real kernel and collects the
// events it submits, so a test can start real processes and connections and wait for them.
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "collectors/process/kernel_events_collector.h"
#include "config/agent_config.h"
#include "core/container_catalog.h"
#include "core/host_root.h"
#include "core/runtime_info.h"
#include "pipeline/statistics.h"

namespace edgeguard::test {

class KernelHarness {
 public:
  explicit KernelHarness(const std::string& source) : config_(AgentConfig::defaults()) {
    config_.process_event_source = source;
  }
  ~KernelHarness() { collector_.stop(); }

  AgentConfig& config() { return config_; }
  Statistics& statistics() { return statistics_; }
  RuntimeInfo& runtime() { return runtime_; }
  ContainerCatalog& containers() { return containers_; }
  KernelEventsCollector& collector() { return collector_; }

  void start() {
    collector_.start(CollectorContext{host_, config_}, [this](Event event) {
      {
        std::lock_guard lock(mutex_);
        events_.push_back(std::move(event));
      }
      changed_.notify_all();
      return true;
    });
  }

  // The payloads of events named `name` that `match`, waiting up to `timeout` for at least `count`.
  std::vector<nlohmann::json> wait_for(const std::string& name, const std::function<bool(const nlohmann::json&)>& match,
                                       size_t count = 1,
                                       std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
    std::unique_lock lock(mutex_);
    std::vector<nlohmann::json> found;
    changed_.wait_for(lock, timeout, [&] {
      found.clear();
      for (const auto& event : events_) {
        if (event.name == name && event.payload.size() == 1 && match(event.payload[0])) found.push_back(event.payload[0]);
      }
      return found.size() >= count;
    });
    return found;
  }

  std::vector<Event> events() {
    std::lock_guard lock(mutex_);
    return events_;
  }

 private:
  HostRoot host_{"/"};
  AgentConfig config_;
  Statistics statistics_;
  RuntimeInfo runtime_;
  ContainerCatalog containers_;
  KernelEventsCollector collector_{statistics_, runtime_, containers_};
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Event> events_;
};

}  // namespace edgeguard::test
