#pragma once
// Drives the periodic collectors: once at start, then every snapshotFrequency.
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "collectors/collector.h"

namespace edgeguard {

class Scheduler {
 public:
  Scheduler(std::vector<std::unique_ptr<PeriodicCollector>> collectors, const HostRoot& host, EventSubmitter submit);
  ~Scheduler();

  // Runs every collector that has an event type switched on, once, on this thread.
  void run_once(const AgentConfig& config);
  void start(const AgentConfig& config);
  void stop();
  // A new snapshot frequency counts from now; collectors switched on run at the next period.
  void apply_config(const AgentConfig& config);

 private:
  void loop();
  bool enabled(const PeriodicCollector& collector, const AgentConfig& config) const;

  std::vector<std::unique_ptr<PeriodicCollector>> collectors_;
  const HostRoot& host_;
  EventSubmitter submit_;
  std::mutex mutex_;
  std::condition_variable wake_;
  AgentConfig config_;
  bool stopping_ = false;
  bool reschedule_ = false;
  std::thread thread_;
};

}  // namespace edgeguard
