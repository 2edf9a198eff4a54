#pragma once
// Follows one Docker engine: connects (with back-off while the engine is absent or restarting),
// resynchronises the container cache after every connect (list + inspect, reporting what changed
// while it was away), then turns the engine's event stream into ContainerLifecycle and
// ContainerExec events and keeps the cache and the shared ContainerCatalog current. It also
// answers ContainerCatalog misses (one inspect per unknown container).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "collectors/collector.h"
#include "collectors/docker/container_cache.h"
#include "collectors/docker/container_events.h"
#include "collectors/docker/docker_client.h"
#include "core/container_catalog.h"
#include "pipeline/statistics.h"

namespace edgeguard::docker {

struct MonitorOptions {
  std::chrono::milliseconds request_timeout{5000};
  // A catalog miss blocks the caller (a kernel event thread) while the engine answers.
  std::chrono::milliseconds resolver_timeout{1000};
  std::chrono::milliseconds backoff_initial{500};
  std::chrono::milliseconds backoff_max{30000};
  // A connection that lasted this long resets the back-off.
  std::chrono::milliseconds stable_session{10000};
  size_t max_event_line_bytes = 1024 * 1024;
};

struct MonitorStatus {
  bool connected = false;        // following the event stream, cache in sync
  uint64_t sessions = 0;         // connections that reached a resync
  uint64_t resyncs = 0;
  uint64_t engine_events = 0;    // event lines handled
  uint64_t malformed_events = 0; // lines that could not be parsed (counted as dropped)
  uint64_t replayed_events = 0;  // skipped: a resync had already reflected them
  uint64_t health_probes = 0;    // execs of the engine's own health checks (not reported)
  std::string engine_version;
  std::string socket;
  std::string last_error;
};

// The sockets to try, in order: the dockerSocket setting, else the host's /run/docker.sock and
// /var/run/docker.sock under the host root (/var/run is a symlink to /run on most hosts, which
// does not resolve under a host-root mount).
std::vector<std::filesystem::path> docker_socket_candidates(const HostRoot& host, const LocalSettings& settings);

class DockerMonitor {
 public:
  DockerMonitor(ContainerCatalog& catalog, Statistics& statistics, MonitorOptions options = {});
  ~DockerMonitor();
  DockerMonitor(const DockerMonitor&) = delete;
  DockerMonitor& operator=(const DockerMonitor&) = delete;

  // Where the engine listens; takes effect at the next connect.
  void set_sockets(std::vector<std::filesystem::path> candidates);
  bool has_sockets() const;

  // Starts the engine thread; events go to `submit`.
  void start(EventSubmitter submit, const AgentConfig& config);
  void stop();
  void reconfigure(const AgentConfig& config);
  // Ends a back-off wait now (a new engine socket, or tests that control timing).
  void retry_now();

  MonitorStatus status() const;
  // Whether the engine thread runs (between start() and stop()).
  bool following() const { return running_.load(); }
  // Whether one of the configured sockets exists now.
  bool engine_socket_present() const { return pick_socket().has_value(); }
  // Waits until at least `sessions` connections have been resynchronised and the monitor is
  // connected; false on timeout.
  bool wait_for_sessions(uint64_t sessions, std::chrono::milliseconds timeout) const;

  ContainerCache& cache() { return *cache_; }
  // Requests sent to the engine so far, by the engine thread and by catalog lookups.
  uint64_t engine_requests() const { return client_->requests() + resolver_client_->requests(); }

  // The containers for the inventory snapshot: the cache while connected, otherwise read from
  // the engine now (without touching the cache). Throws CollectorError naming the socket.
  std::vector<RecordPtr> inventory();

 private:
  void run();
  void session(const std::filesystem::path& socket);
  size_t resync(bool report);
  void handle_line(std::string_view line, bool oversized);
  void handle(const EngineEvent& event);
  RecordPtr refresh(const std::string& id);
  void fill_digest(ContainerRecord& record, DockerClient& client);
  std::vector<ContainerRecord> read_all(DockerClient& client, const std::atomic<bool>* stop, int64_t* finished_ns);
  void emit(Event event);
  void count_loss(uint64_t count);
  std::optional<std::filesystem::path> pick_socket() const;
  bool wait_backoff(std::chrono::milliseconds delay);

  ContainerCatalog& catalog_;
  Statistics& statistics_;
  const MonitorOptions options_;
  std::shared_ptr<DockerClient> client_;  // the engine thread's connection
  // Catalog lookups come from event threads: their own connection, so a lookup never waits
  // behind a request of the engine thread.
  std::shared_ptr<DockerClient> resolver_client_;
  std::shared_ptr<ContainerCache> cache_;

  mutable std::mutex mutex_;  // guards what follows
  mutable std::condition_variable changed_;
  std::vector<std::filesystem::path> sockets_;
  EventSubmitter submit_;
  Priority lifecycle_priority_ = Priority::High;
  Priority exec_priority_ = Priority::High;
  size_t max_command_bytes_ = 4096;
  MonitorStatus status_;
  bool retry_ = false;
  EventStream* stream_ = nullptr;  // the open stream, for stop() to wake
  std::unordered_map<std::string, std::string> digests_;  // image id -> repo digest

  std::atomic<bool> stopping_{false};
  std::atomic<bool> connected_{false};
  std::atomic<bool> running_{false};
  bool resync_requested_ = false;  // engine thread only
  std::thread thread_;
};

}  // namespace edgeguard::docker
