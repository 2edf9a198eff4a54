#pragma once
// What the agent is in every mode: its state (agent id, store), counters, collectors, scheduler
// and pipeline around one sink. Standalone and module mode differ only in the sink and in where
// configuration updates come from.
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "app/collector_registry.h"
#include "config/agent_config.h"
#include "config/config_settings.h"
#include "core/container_catalog.h"
#include "core/host_root.h"
#include "core/runtime_info.h"
#include "pipeline/pipeline.h"
#include "pipeline/scheduler.h"
#include "transport/sink.h"

namespace edgeguard {

class AgentRuntime {
 public:
  // Opens the state directory (agent id, store). Throws std::runtime_error naming what failed.
  AgentRuntime(const AgentConfig& config, const std::string& mode);
  ~AgentRuntime();
  AgentRuntime(const AgentRuntime&) = delete;
  AgentRuntime& operator=(const AgentRuntime&) = delete;

  // Builds the pipeline and the collectors around `sink` (which must outlive the runtime) and
  // submits a ConfigurationError event for each of `problems`.
  void attach(Sink& sink, const std::vector<ConfigProblem>& problems);

  // --once: every enabled periodic collector once, then everything flushed. False if the sink
  // did not take the messages.
  bool run_once();
  // Continuous run: pipeline, streaming collectors, scheduler.
  void start();
  // Stops collecting, persists what is queued, and sends what the sink takes by `deadline`.
  void stop(std::chrono::milliseconds deadline);

  // A new configuration, in force at once (any thread).
  void apply_config(const AgentConfig& config);
  bool submit(Event event);

  const std::string& agent_id() const { return agent_id_; }
  const HostRoot& host() const { return host_; }
  RuntimeInfo& runtime() { return runtime_; }
  Statistics& statistics() { return statistics_; }
  Pipeline& pipeline() { return *pipeline_; }
  uint64_t stored_events() const;

 private:
  AgentConfig initial_;
  HostRoot host_;
  std::string agent_id_;
  EventStore store_;
  Statistics statistics_;
  RuntimeInfo runtime_;
  ContainerCatalog containers_;
  std::unique_ptr<Pipeline> pipeline_;
  std::vector<std::unique_ptr<StreamingCollector>> streaming_;
  std::unique_ptr<Scheduler> scheduler_;
  std::mutex reconfigure_mutex_;
  bool started_ = false;
};

// Waits for SIGTERM or SIGINT (blocked in every thread by main()); returns which.
int wait_for_stop_signal();

}  // namespace edgeguard
