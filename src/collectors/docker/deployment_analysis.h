#pragma once
// The deployment analysis on the device: the rules of `analyze-manifest`
// (src/analysis/, rules/manifest_rules.json) over what the engine says each IoT Edge module
// container really runs (its inspect document, from the shared ContainerCache: no engine
// request of its own). Findings go out as DeploymentFinding extension events on output
// "securityRecommendations":
//   - every snapshot round, all of them (Periodic; an empty snapshot when there are none);
//   - after a container change (debounced), for each module whose findings differ from what was
//     last sent (Triggered) - starting, stopping or restarting a container changes nothing, and
//     nothing is sent for it.
// The container inventory carries each module's counts (DeploymentFindings).
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "analysis/analyzer.h"
#include "analysis/finding.h"
#include "collectors/collector.h"
#include "collectors/docker/container_cache.h"
#include "collectors/docker/docker_monitor.h"

namespace edgeguard::docker {

inline constexpr std::string_view kDeploymentFindingEvent = "DeploymentFinding";

// The rules' results per container, kept between runs: a container is analysed again only
// when its record changed (the cache makes a new record for every change the engine reports).
// Every call takes the whole current container list: a container not in it is forgotten. Only
// IoT Edge module containers that the engine could inspect are judged. Thread-safe.
class EngineAnalysis {
 public:
  explicit EngineAnalysis(analysis::AnalysisOptions options = {});

  // The snapshot round: every finding as Periodic events (or one empty snapshot); what they
  // carry counts as sent.
  std::vector<Event> snapshot_events(const std::vector<RecordPtr>& containers, size_t max_payload_bytes);
  // After a change: Triggered events for the modules whose findings differ from what was last
  // sent (a module whose findings went away is not reported until the next snapshot round).
  std::vector<Event> change_events(const std::vector<RecordPtr>& containers, size_t max_payload_bytes);

  // Whether a snapshot round has run (or found no engine to ask). Until then the re-runs after
  // changes send nothing: the first round reports the state those changes led to, and the
  // engine collector's first resync (every container "added") would otherwise send it twice.
  bool snapshot_round_ran() const;
  void note_snapshot_round();

  // Per container id, the counts of its findings (the inventory's DeploymentFindings), for
  // the IoT Edge module containers among `containers`.
  std::map<std::string, nlohmann::json> summaries(const std::vector<RecordPtr>& containers);

  const analysis::AnalysisOptions& options() const { return options_; }
  // Containers run through the rules so far (for tests: a change costs one).
  uint64_t containers_analysed() const;

 private:
  struct Entry {
    RecordPtr record;
    std::vector<analysis::Finding> findings;
    uint64_t fingerprint = 0;
  };
  // Brings entries_ up to date with `containers`; returns the edge module entries, by name.
  std::vector<const Entry*> refresh(const std::vector<RecordPtr>& containers);
  Entry analyse(const RecordPtr& record);

  const analysis::AnalysisOptions options_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;  // container id -> last analysis
  std::unordered_map<std::string, uint64_t> sent_;  // container id -> fingerprint last sent
  uint64_t analysed_ = 0;
  bool snapshot_round_ran_ = false;
};

// The snapshot round's findings (run by the scheduler, after the inventory).
class DeploymentFindingCollector : public PeriodicCollector {
 public:
  DeploymentFindingCollector(std::shared_ptr<DockerMonitor> monitor, std::shared_ptr<EngineAnalysis> analysis)
      : monitor_(std::move(monitor)), analysis_(std::move(analysis)) {}
  std::string_view name() const override { return "DeploymentAnalysis"; }
  std::vector<std::string> event_names() const override { return {std::string(kDeploymentFindingEvent)}; }
  std::vector<Event> collect(const CollectorContext& context) override;

 private:
  std::shared_ptr<DockerMonitor> monitor_;
  std::shared_ptr<EngineAnalysis> analysis_;
};

struct WatchOptions {
  // The rules run once the cache has been quiet this long after a change of an IoT Edge module
  // container (a deployment changes several at once)...
  std::chrono::milliseconds quiet{1000};
  // ...but no later than this after the first change.
  std::chrono::milliseconds max_delay{5000};
};

// Re-runs the rules when an IoT Edge module container changes (listening to the cache that the
// engine collector keeps).
class DeploymentAnalysisWatcher : public StreamingCollector {
 public:
  DeploymentAnalysisWatcher(std::shared_ptr<DockerMonitor> monitor, std::shared_ptr<EngineAnalysis> analysis,
                            WatchOptions options = {});
  ~DeploymentAnalysisWatcher() override;
  std::string_view name() const override { return "DeploymentAnalysis"; }
  void start(const CollectorContext& context, EventSubmitter submit) override;
  void stop() override;
  void reconfigure(const AgentConfig& config) override;

  // Analysis rounds run after changes so far (for tests).
  uint64_t rounds() const;

 private:
  // What the cache listener touches: shared, so a listener call still running after
  // unsubscribe() never meets a destroyed watcher.
  struct Signal {
    std::mutex mutex;
    std::condition_variable wake;
    bool dirty = false;
    bool stopping = false;
    std::chrono::steady_clock::time_point last_change{};
  };
  void run();
  void apply(const AgentConfig& config);

  std::shared_ptr<DockerMonitor> monitor_;
  std::shared_ptr<EngineAnalysis> analysis_;
  const WatchOptions options_;
  std::shared_ptr<Signal> signal_ = std::make_shared<Signal>();
  EventSubmitter submit_;
  std::atomic<bool> enabled_{true};
  std::atomic<size_t> max_payload_bytes_{32 * 1024};
  std::atomic<uint64_t> rounds_{0};
  int subscription_ = 0;
  std::thread thread_;
};

// How big a DeploymentFinding event may be under this configuration.
size_t finding_payload_budget(const AgentConfig& config);

}  // namespace edgeguard::docker
