#include "pipeline/scheduler.h"

#include <chrono>

#include "core/log.h"

namespace edgeguard {

Scheduler::Scheduler(std::vector<std::unique_ptr<PeriodicCollector>> collectors, const HostRoot& host,
                     EventSubmitter submit)
    : collectors_(std::move(collectors)), host_(host), submit_(std::move(submit)) {}

Scheduler::~Scheduler() { stop(); }

bool Scheduler::enabled(const PeriodicCollector& collector, const AgentConfig& config) const {
  for (const auto& name : collector.event_names()) {
    if (config.priority_of(name) != Priority::Off) return true;
  }
  return false;
}

void Scheduler::run_once(const AgentConfig& config) {
  const CollectorContext context{host_, config};
  for (const auto& collector : collectors_) {
    if (!enabled(*collector, config)) continue;
    const auto started = std::chrono::steady_clock::now();
    try {
      auto events = collector->collect(context);
      const size_t count = events.size();
      for (auto& event : events) submit_(std::move(event));
      log::get("scheduler")->debug("{}: {} event(s) in {} us", collector->name(), count,
                                   std::chrono::duration_cast<std::chrono::microseconds>(
                                       std::chrono::steady_clock::now() - started)
                                       .count());
    } catch (const std::exception& error) {
      log::get("scheduler")->error("collector {} failed: {}", collector->name(), error.what());
    }
  }
}

void Scheduler::start(const AgentConfig& config) {
  {
    std::lock_guard lock(mutex_);
    config_ = config;
    stopping_ = false;
  }
  thread_ = std::thread([this] { loop(); });
}

void Scheduler::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Scheduler::apply_config(const AgentConfig& config) {
  {
    std::lock_guard lock(mutex_);
    reschedule_ = config.snapshot_frequency != config_.snapshot_frequency;
    config_ = config;
  }
  wake_.notify_all();
}

void Scheduler::loop() {
  auto next = std::chrono::steady_clock::now();
  while (true) {
    AgentConfig config;
    {
      std::unique_lock lock(mutex_);
      wake_.wait_until(lock, next, [&] { return stopping_ || reschedule_; });
      if (stopping_) return;
      if (reschedule_) {
        reschedule_ = false;
        next = std::min(next, std::chrono::steady_clock::now() + config_.snapshot_frequency.value);
        continue;
      }
      config = config_;
    }
    run_once(config);
    next = std::chrono::steady_clock::now() + config.snapshot_frequency.value;
  }
}

}  // namespace edgeguard
