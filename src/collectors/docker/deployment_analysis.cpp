#include "collectors/docker/deployment_analysis.h"

#include <algorithm>
#include <functional>

#include "analysis/finding_events.h"
#include "analysis/inspect_model.h"
#include "core/log.h"

namespace edgeguard::docker {
namespace {

using analysis::Finding;

// Equal for equal findings (what a DeploymentFinding item carries), whatever their order.
uint64_t fingerprint_of(const std::vector<Finding>& findings) {
  std::string text;
  for (const auto& finding : findings) {
    text += finding.rule_id;
    text += '\x1f';
    text += std::to_string(static_cast<int>(finding.severity));
    text += '\x1f';
    text += finding.path;
    text += '\x1f';
    text += finding.message;
    text += finding.security_agent ? "\x1f"
                                     "1\x1e"
                                   : "\x1f"
                                     "0\x1e";
  }
  return std::hash<std::string>{}(text) ^ findings.size();
}

analysis::FindingEventOptions event_options(EventCategory category, size_t max_payload_bytes) {
  analysis::FindingEventOptions options;
  options.category = category;
  options.source = analysis::ModelSource::Engine;
  options.max_payload_bytes = max_payload_bytes;
  return options;
}

}  // namespace

EngineAnalysis::EngineAnalysis(analysis::AnalysisOptions options) : options_(std::move(options)) {}

EngineAnalysis::Entry EngineAnalysis::analyse(const RecordPtr& record) {
  Entry entry;
  entry.record = record;
  // Unexpected shapes in the inspect document leave those settings unset; the rest is judged.
  analysis::InspectReadResult read = analysis::module_from_inspect(record->inspect);
  if (!read.problems.empty()) {
    log::get("docker")->debug("container {}: {} setting(s) in an unexpected shape, first at {}", record->info.name,
                              read.problems.size(), read.problems.front().path);
  }
  std::vector<analysis::ModuleSpec> modules;
  modules.push_back(std::move(read.module));
  entry.findings =
      analysis::analyze(analysis::engine_model(std::move(modules)), analysis::RuleCatalog::builtin(), options_);
  for (auto& finding : entry.findings) finding.container_id = record->info.id;
  entry.fingerprint = fingerprint_of(entry.findings);
  ++analysed_;
  return entry;
}

std::vector<const EngineAnalysis::Entry*> EngineAnalysis::refresh(const std::vector<RecordPtr>& containers) {
  std::unordered_map<std::string, Entry> next;
  std::vector<const Entry*> modules;
  for (const auto& record : containers) {
    // Only IoT Edge modules, and only those the engine could inspect.
    if (!record || !record->is_edge_module() || !record->settings_known) continue;
    auto previous = entries_.find(record->info.id);
    Entry entry =
        previous != entries_.end() && previous->second.record == record ? std::move(previous->second) : analyse(record);
    next[record->info.id] = std::move(entry);
  }
  entries_ = std::move(next);
  for (auto it = sent_.begin(); it != sent_.end();) {
    it = entries_.count(it->first) ? std::next(it) : sent_.erase(it);
  }
  for (const auto& [id, entry] : entries_) modules.push_back(&entry);
  std::sort(modules.begin(), modules.end(),
            [](const Entry* a, const Entry* b) { return a->record->info.name < b->record->info.name; });
  return modules;
}

std::vector<Event> EngineAnalysis::snapshot_events(const std::vector<RecordPtr>& containers, size_t max_payload_bytes) {
  std::lock_guard lock(mutex_);
  std::vector<Finding> all;
  for (const Entry* entry : refresh(containers)) {
    all.insert(all.end(), entry->findings.begin(), entry->findings.end());
    sent_[entry->record->info.id] = entry->fingerprint;
  }
  analysis::sort_findings(all);
  snapshot_round_ran_ = true;
  return analysis::make_finding_events(all, event_options(EventCategory::Periodic, max_payload_bytes));
}

std::vector<Event> EngineAnalysis::change_events(const std::vector<RecordPtr>& containers, size_t max_payload_bytes) {
  std::lock_guard lock(mutex_);
  if (!snapshot_round_ran_) return {};
  std::vector<Finding> changed;
  for (const Entry* entry : refresh(containers)) {
    const std::string& id = entry->record->info.id;
    const auto sent = sent_.find(id);
    if (sent != sent_.end() && sent->second == entry->fingerprint) continue;
    // A new module with nothing to report has nothing to send either; remember it as sent.
    changed.insert(changed.end(), entry->findings.begin(), entry->findings.end());
    sent_[id] = entry->fingerprint;
  }
  analysis::sort_findings(changed);
  return analysis::make_finding_events(changed, event_options(EventCategory::Triggered, max_payload_bytes));
}

std::map<std::string, nlohmann::json> EngineAnalysis::summaries(const std::vector<RecordPtr>& containers) {
  std::lock_guard lock(mutex_);
  std::map<std::string, nlohmann::json> out;
  for (const Entry* entry : refresh(containers)) {
    out[entry->record->info.id] = analysis::summarize(entry->findings).to_json();
  }
  return out;
}

bool EngineAnalysis::snapshot_round_ran() const {
  std::lock_guard lock(mutex_);
  return snapshot_round_ran_;
}

void EngineAnalysis::note_snapshot_round() {
  std::lock_guard lock(mutex_);
  snapshot_round_ran_ = true;
}

uint64_t EngineAnalysis::containers_analysed() const {
  std::lock_guard lock(mutex_);
  return analysed_;
}

size_t finding_payload_budget(const AgentConfig& config) {
  // As the inventory: half a message leaves room for the envelope and the rest of the batch.
  return std::clamp<size_t>(config.effective_message_limit() / 2, 4096, 32 * 1024);
}

std::vector<Event> DeploymentFindingCollector::collect(const CollectorContext& context) {
  if (!monitor_->has_sockets()) monitor_->set_sockets(docker_socket_candidates(context.host, context.config.local));
  // As the inventory: while the running monitor waits for an engine, there is nothing to say.
  if (monitor_->following() && !monitor_->engine_socket_present()) {
    analysis_->note_snapshot_round();
    return {};
  }
  std::vector<RecordPtr> containers;
  try {
    containers = monitor_->inventory();
  } catch (...) {
    analysis_->note_snapshot_round();  // no engine to ask: changes are reported as they come
    throw;
  }
  return analysis_->snapshot_events(containers, finding_payload_budget(context.config));
}

DeploymentAnalysisWatcher::DeploymentAnalysisWatcher(std::shared_ptr<DockerMonitor> monitor,
                                                     std::shared_ptr<EngineAnalysis> analysis, WatchOptions options)
    : monitor_(std::move(monitor)), analysis_(std::move(analysis)), options_(options) {}

DeploymentAnalysisWatcher::~DeploymentAnalysisWatcher() { stop(); }

void DeploymentAnalysisWatcher::apply(const AgentConfig& config) {
  enabled_ = config.priority_of(kDeploymentFindingEvent) != Priority::Off;
  max_payload_bytes_ = finding_payload_budget(config);
}

void DeploymentAnalysisWatcher::start(const CollectorContext& context, EventSubmitter submit) {
  stop();
  apply(context.config);
  submit_ = std::move(submit);
  {
    std::lock_guard lock(signal_->mutex);
    signal_->stopping = false;
    signal_->dirty = false;
  }
  subscription_ = monitor_->cache().subscribe([signal = signal_](const ContainerChange& change) {
    // On the engine thread (or a catalog lookup's): only note it.
    if (!change.record || !change.record->is_edge_module()) return;
    {
      std::lock_guard lock(signal->mutex);
      signal->dirty = true;
      signal->last_change = std::chrono::steady_clock::now();
    }
    signal->wake.notify_all();
  });
  thread_ = std::thread([this] { run(); });
}

void DeploymentAnalysisWatcher::stop() {
  if (subscription_ != 0) {
    monitor_->cache().unsubscribe(subscription_);
    subscription_ = 0;
  }
  {
    std::lock_guard lock(signal_->mutex);
    signal_->stopping = true;
  }
  signal_->wake.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DeploymentAnalysisWatcher::reconfigure(const AgentConfig& config) { apply(config); }

uint64_t DeploymentAnalysisWatcher::rounds() const { return rounds_.load(); }

void DeploymentAnalysisWatcher::run() {
  Signal& signal = *signal_;
  std::unique_lock lock(signal.mutex);
  while (true) {
    signal.wake.wait(lock, [&] { return signal.stopping || signal.dirty; });
    if (signal.stopping) return;
    // Debounce: until the cache has been quiet for a while, or the first change is old enough.
    const auto first = std::chrono::steady_clock::now();
    while (!signal.stopping) {
      const auto due = std::min(signal.last_change + options_.quiet, first + options_.max_delay);
      if (std::chrono::steady_clock::now() >= due) break;
      signal.wake.wait_until(lock, due);
    }
    if (signal.stopping) return;
    signal.dirty = false;
    lock.unlock();
    if (enabled_) {
      try {
        for (auto& event : analysis_->change_events(monitor_->cache().snapshot(), max_payload_bytes_)) {
          submit_(std::move(event));
        }
      } catch (const std::exception& error) {
        log::get("docker")->error("deployment analysis failed: {}", error.what());
      }
    }
    ++rounds_;
    lock.lock();
  }
}

}  // namespace edgeguard::docker
