#include "app/agent_runtime.h"

#include <signal.h>

#include "app/agent_id.h"
#include "config/configuration_error_event.h"
#include "core/log.h"

namespace edgeguard {

AgentRuntime::AgentRuntime(const AgentConfig& config, const std::string& mode)
    : initial_(config),
      host_(config.local.host_root),
      agent_id_(load_or_create_agent_id(config.local.state_dir)),
      store_(config.local.state_dir / "events.db", static_cast<uint64_t>(config.max_local_cache_size_bytes)) {
  runtime_.set("AgentMode", mode);
}

AgentRuntime::~AgentRuntime() {
  if (started_) stop(std::chrono::milliseconds(0));
}

void AgentRuntime::attach(Sink& sink, const std::vector<ConfigProblem>& problems) {
  runtime_.set("Sink", sink.describe());
  pipeline_ = std::make_unique<Pipeline>(initial_, store_, sink, statistics_, AgentIdentity{agent_id_, EDGEGUARD_VERSION});
  for (const auto& problem : problems) pipeline_->submit(make_configuration_error_event(problem, initial_));
  Pipeline& pipeline = *pipeline_;
  const CollectorServices services{statistics_, runtime_, containers_, &store_, [&pipeline] { pipeline.settle(); }};
  CollectorSet collectors = make_collectors(services);
  streaming_ = std::move(collectors.streaming);
  scheduler_ = std::make_unique<Scheduler>(std::move(collectors.periodic), host_,
                                           [&pipeline](Event e) { return pipeline.submit(std::move(e)); });
}

bool AgentRuntime::run_once() {
  scheduler_->run_once(pipeline_->config());
  return pipeline_->flush_all(true);
}

void AgentRuntime::start() {
  auto logger = log::get("agent");
  pipeline_->start();
  const AgentConfig config = pipeline_->config();
  const CollectorContext context{host_, config};
  for (auto& collector : streaming_) {
    try {
      collector->start(context, [this](Event e) { return pipeline_->submit(std::move(e)); });
    } catch (const std::exception& error) {
      logger->error("collector {} could not start: {}", collector->name(), error.what());
    }
  }
  scheduler_->start(config);
  started_ = true;
}

void AgentRuntime::stop(std::chrono::milliseconds deadline) {
  {
    std::lock_guard lock(reconfigure_mutex_);
    started_ = false;
  }
  scheduler_->stop();
  for (auto& collector : streaming_) collector->stop();
  pipeline_->stop(deadline);
}

void AgentRuntime::apply_config(const AgentConfig& config) {
  // Serialised, and only while running, so a twin update never meets collectors that are
  // starting or stopping.
  std::lock_guard lock(reconfigure_mutex_);
  pipeline_->apply_config(config);
  scheduler_->apply_config(config);
  if (started_) {
    for (auto& collector : streaming_) collector->reconfigure(config);
  }
}

bool AgentRuntime::submit(Event event) { return pipeline_->submit(std::move(event)); }

uint64_t AgentRuntime::stored_events() const { return store_.count(Priority::High) + store_.count(Priority::Low); }

int wait_for_stop_signal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int signal_number = 0;
  while (sigwait(&set, &signal_number) != 0) {
  }
  return signal_number;
}

}  // namespace edgeguard
