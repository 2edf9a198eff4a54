#include "collectors/process/kernel_events_collector.h"

#include <vector>

#include "core/log.h"

namespace edgeguard {
namespace {

std::shared_ptr<spdlog::logger> logger() { return log::get("collector.kernel"); }

struct Candidate {
  const char* name;
  std::unique_ptr<kernel::KernelSource> (*make)(const HostRoot&);
};

constexpr Candidate kCandidates[] = {
    {"ebpf", &kernel::make_ebpf_source},
    {"audit", &kernel::make_audit_source},
    {"procconnector", &kernel::make_proc_connector_source},
};

bool wanted(const AgentConfig& config) {
  return config.priority_of("ProcessCreate") != Priority::Off || config.priority_of("ConnectionCreate") != Priority::Off;
}

}  // namespace

KernelEventsCollector::KernelEventsCollector(Statistics& statistics, RuntimeInfo& runtime, ContainerCatalog& containers)
    : statistics_(statistics), runtime_(runtime), containers_(containers) {}

KernelEventsCollector::~KernelEventsCollector() { stop(); }

kernel::SourceSettings KernelEventsCollector::source_settings(const AgentConfig& config) {
  kernel::SourceSettings settings;
  settings.processes = config.priority_of("ProcessCreate") != Priority::Off;
  settings.connections = config.priority_of("ConnectionCreate") != Priority::Off;
  settings.max_argument_bytes = static_cast<size_t>(config.command_line_max_bytes);
  settings.simulate_drop_every = static_cast<uint64_t>(config.simulated_drop_every_n);
  return settings;
}

void KernelEventsCollector::start(const CollectorContext& context, EventSubmitter submit) {
  std::lock_guard lock(mutex_);
  host_ = &context.host;
  submit_ = std::move(submit);
  configured_source_ = context.config.process_event_source;
  if (!wanted(context.config)) {
    logger()->info("ProcessCreate and ConnectionCreate are Off: no kernel event source started");
    runtime_.set("ProcessEventSource", "none");
    return;
  }
  start_source(context.config);
}

void KernelEventsCollector::start_source(const AgentConfig& config) {
  const auto settings = source_settings(config);
  std::vector<std::string> not_used;
  for (const auto& candidate : kCandidates) {
    if (config.process_event_source != "auto" && config.process_event_source != candidate.name) continue;
    try {
      auto source = candidate.make(*host_);
      auto processor = std::make_unique<KernelEventProcessor>(*host_, statistics_, containers_, submit_, candidate.name);
      processor->configure(ProcessorSettings::from(config));
      source->start(*processor, settings);
      for (const auto& reason : not_used) {
        logger()->warn("processEventSource auto: {}", reason);
      }
      logger()->info("kernel event source: {} ({}){}", source->name(), source->describe(),
                     config.process_event_source == "auto" ? ", chosen automatically" : "");
      runtime_.set("ProcessEventSource", std::string(source->name()));
      processor_ = std::move(processor);
      source_ = std::move(source);
      processor_->seed_from_proc();
      return;
    } catch (const std::exception& error) {
      not_used.push_back(std::string(candidate.name) + " not used: " + error.what());
    }
  }
  runtime_.set("ProcessEventSource", "none");
  std::string reasons;
  for (const auto& reason : not_used) reasons += (reasons.empty() ? "" : "; ") + reason;
  throw CollectorError("no kernel event source could start (processEventSource \"" + config.process_event_source +
                       "\"): " + reasons);
}

void KernelEventsCollector::stop_source() {
  if (source_) source_->stop();
  source_.reset();
  processor_.reset();
}

void KernelEventsCollector::stop() {
  std::lock_guard lock(mutex_);
  stop_source();
}

void KernelEventsCollector::reconfigure(const AgentConfig& config) {
  std::lock_guard lock(mutex_);
  if (!host_) return;  // not started
  if (!wanted(config)) {
    if (source_) logger()->info("ProcessCreate and ConnectionCreate are Off: kernel event source {} stopped", source_->name());
    stop_source();
    runtime_.set("ProcessEventSource", "none");
    configured_source_ = config.process_event_source;
    return;
  }
  if (!source_ || config.process_event_source != configured_source_) {
    stop_source();
    configured_source_ = config.process_event_source;
    try {
      start_source(config);
    } catch (const CollectorError& error) {
      logger()->error("{}", error.what());
    }
    return;
  }
  processor_->configure(ProcessorSettings::from(config));
  source_->configure(source_settings(config));
}

std::string KernelEventsCollector::source_name() const {
  std::lock_guard lock(mutex_);
  return source_ ? std::string(source_->name()) : std::string();
}

}  // namespace edgeguard
