#include "collectors/docker/docker_monitor.h"

#include <set>

#include "collectors/docker/docker_parse.h"
#include "core/log.h"
#include "core/strings.h"

namespace edgeguard::docker {
namespace {

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

std::shared_ptr<spdlog::logger> logger() { return log::get("collector.docker"); }

// At most one message per minute for a repeating problem, with how many were held back.
class LogThrottle {
 public:
  // Returns how many were suppressed since the last allowed message, or nullopt to stay quiet.
  std::optional<uint64_t> allow() {
    std::lock_guard lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    if (last_ && now - *last_ < std::chrono::minutes(1)) {
      ++suppressed_;
      return std::nullopt;
    }
    last_ = now;
    const uint64_t held = suppressed_;
    suppressed_ = 0;
    return held;
  }

 private:
  std::mutex mutex_;
  std::optional<std::chrono::steady_clock::time_point> last_;
  uint64_t suppressed_ = 0;
};

std::string held_back(uint64_t count) {
  return count == 0 ? std::string() : " (" + std::to_string(count) + " similar message(s) held back)";
}

LogThrottle& malformed_throttle() {
  static LogThrottle throttle;
  return throttle;
}
LogThrottle& inspect_throttle() {
  static LogThrottle throttle;
  return throttle;
}
LogThrottle& resolver_throttle() {
  static LogThrottle throttle;
  return throttle;
}

std::optional<int64_t> parse_exit_code(const std::string& text) { return parse_integer<int64_t>(text); }

// What every lifecycle event says: the action, the container as last known (or as the event
// names it), and when the engine says it happened.
LifecycleFacts lifecycle_facts(const EngineEvent& event, const RecordPtr& known) {
  LifecycleFacts facts;
  facts.action = event.action;
  facts.container = known ? ContainerIdentity::of(*known) : ContainerIdentity::of(event);
  facts.engine_time_ns = event.time_ns;
  return facts;
}

bool is_state_action(const std::string& action) {
  return action == "create" || action == "start" || action == "die" || action == "destroy" || action == "rename" ||
         action == "update";
}

// A record for a container whose inspect failed: what the list says.
ContainerRecord record_from_summary(const ContainerSummary& summary) {
  ContainerRecord record;
  record.info = ContainerInfo{summary.id, summary.name, summary.image, summary.image_id,
                              edge_module_name(summary.labels, summary.name)};
  record.labels = summary.labels;
  record.state.status = summary.state;
  record.state.running = summary.state == "running" || summary.state == "paused" || summary.state == "restarting";
  record.settings_known = false;
  return record;
}

// "registry:5000/team/app:1.2" -> "registry:5000/team/app"
std::string repository_of(const std::string& image) {
  std::string repo = image.substr(0, image.find('@'));
  const size_t slash = repo.rfind('/');
  const size_t colon = repo.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) repo.resize(colon);
  return repo;
}

}  // namespace

std::vector<std::filesystem::path> docker_socket_candidates(const HostRoot& host, const LocalSettings& settings) {
  if (!settings.docker_socket.empty()) return {settings.docker_socket};
  return {host.path("/run/docker.sock"), host.path("/var/run/docker.sock")};
}

DockerMonitor::DockerMonitor(ContainerCatalog& catalog, Statistics& statistics, MonitorOptions options)
    : catalog_(catalog),
      statistics_(statistics),
      options_(options),
      client_(std::make_shared<DockerClient>(std::filesystem::path(), options.request_timeout)),
      resolver_client_(std::make_shared<DockerClient>(std::filesystem::path(), options.resolver_timeout)),
      cache_(std::make_shared<ContainerCache>(catalog)) {
  // Catalog misses (a process in a container the stream has not told us about yet) ask the
  // engine once; the catalog's negative cache keeps it at once per container. The resolver
  // holds its own references: the catalog may outlive this monitor.
  auto client = resolver_client_;
  auto cache = cache_;
  catalog_.set_resolver([client, cache](std::string_view id) -> std::optional<ContainerInfo> {
    if (!is_container_id(id) || client->socket().empty()) return std::nullopt;
    try {
      auto record = client->inspect_container(id);
      if (!record) return std::nullopt;
      return cache->put(std::move(*record))->info;
    } catch (const std::exception& error) {
      if (const auto held = resolver_throttle().allow()) {
        logger()->warn("could not resolve container {}: {}{}", std::string(id.substr(0, 12)), error.what(),
                       held_back(*held));
      }
      return std::nullopt;
    }
  });
}

DockerMonitor::~DockerMonitor() {
  stop();
  catalog_.set_resolver(nullptr);
}

void DockerMonitor::set_sockets(std::vector<std::filesystem::path> candidates) {
  std::filesystem::path first;
  {
    std::lock_guard lock(mutex_);
    sockets_ = std::move(candidates);
    if (!sockets_.empty()) first = sockets_.front();
  }
  // Until a connect picks one, the resolver tries the first.
  if (resolver_client_->socket().empty() && !first.empty()) resolver_client_->set_socket(first);
}

bool DockerMonitor::has_sockets() const {
  std::lock_guard lock(mutex_);
  return !sockets_.empty();
}

std::optional<std::filesystem::path> DockerMonitor::pick_socket() const {
  std::lock_guard lock(mutex_);
  for (const auto& socket : sockets_) {
    std::error_code ec;
    if (std::filesystem::is_socket(socket, ec)) return socket;
  }
  return std::nullopt;
}

void DockerMonitor::start(EventSubmitter submit, const AgentConfig& config) {
  stop();
  reconfigure(config);
  {
    std::lock_guard lock(mutex_);
    submit_ = std::move(submit);
  }
  stopping_ = false;
  running_ = true;
  thread_ = std::thread([this] { run(); });
}

void DockerMonitor::stop() {
  stopping_ = true;
  {
    std::lock_guard lock(mutex_);
    if (stream_) stream_->wake();
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
  running_ = false;
}

void DockerMonitor::reconfigure(const AgentConfig& config) {
  std::lock_guard lock(mutex_);
  lifecycle_priority_ = config.priority_of(kLifecycleEvent);
  exec_priority_ = config.priority_of(kExecEvent);
  max_command_bytes_ = static_cast<size_t>(std::max<int64_t>(config.command_line_max_bytes, 64));
}

void DockerMonitor::retry_now() {
  {
    std::lock_guard lock(mutex_);
    retry_ = true;
  }
  changed_.notify_all();
}

MonitorStatus DockerMonitor::status() const {
  std::lock_guard lock(mutex_);
  MonitorStatus out = status_;
  out.connected = connected_.load();
  return out;
}

bool DockerMonitor::wait_for_sessions(uint64_t sessions, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return status_.sessions >= sessions && connected_.load(); });
}

bool DockerMonitor::wait_backoff(std::chrono::milliseconds delay) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, delay, [&] { return stopping_.load() || retry_; });
  retry_ = false;
  return !stopping_.load();
}

void DockerMonitor::emit(Event event) {
  EventSubmitter submit;
  {
    std::lock_guard lock(mutex_);
    submit = submit_;
  }
  if (submit) submit(std::move(event));
}

void DockerMonitor::count_loss(uint64_t count) {
  Priority priority;
  {
    std::lock_guard lock(mutex_);
    // The line could have been either kind; count it where the more important one would go.
    priority = lifecycle_priority_ == Priority::High || exec_priority_ == Priority::High ? Priority::High
               : lifecycle_priority_ == Priority::Low || exec_priority_ == Priority::Low  ? Priority::Low
                                                                                         : Priority::Off;
  }
  if (priority != Priority::Off) statistics_.dropped(priority, drop_reason::kParseFailure, count);
}

void DockerMonitor::run() {
  auto backoff = options_.backoff_initial;
  bool reported_missing = false;
  uint64_t failures = 0;
  while (!stopping_) {
    const auto socket = pick_socket();
    if (!socket) {
      if (!reported_missing) {
        std::string where;
        {
          std::lock_guard lock(mutex_);
          for (const auto& candidate : sockets_) where += (where.empty() ? "" : " or ") + candidate.string();
        }
        logger()->warn("no Docker engine socket at {}: containers are not watched until it appears (checking with "
                       "back-off up to {} s)",
                       where.empty() ? std::string("(none configured)") : where,
                       std::chrono::duration_cast<std::chrono::seconds>(options_.backoff_max).count());
        reported_missing = true;
      }
    } else {
      reported_missing = false;
      const auto started = std::chrono::steady_clock::now();
      try {
        session(*socket);
        if (stopping_) break;
        failures = 0;
        if (std::chrono::steady_clock::now() - started >= options_.stable_session) backoff = options_.backoff_initial;
      } catch (const std::exception& error) {
        ++failures;
        {
          std::lock_guard lock(mutex_);
          status_.last_error = error.what();
        }
        if (failures == 1) {
          logger()->warn("Docker engine at {} not usable: {}; retrying with back-off up to {} s", socket->string(),
                         error.what(), std::chrono::duration_cast<std::chrono::seconds>(options_.backoff_max).count());
        } else {
          logger()->debug("Docker engine at {} still not usable (attempt {}): {}", socket->string(), failures,
                          error.what());
        }
      }
    }
    connected_ = false;
    if (!wait_backoff(backoff)) break;
    backoff = std::min(backoff * 2, options_.backoff_max);
  }
  connected_ = false;
}

void DockerMonitor::session(const std::filesystem::path& socket) {
  client_->set_socket(socket);
  resolver_client_->set_socket(socket);
  const EngineVersion version = client_->version();
  // Subscribe first, from a moment before the resync: whatever happens during the resync is
  // then both in the stream and possibly in the resync, and reflected_by_resync() tells which.
  const int64_t since = now_ns();
  EventStream stream(socket, client_->events_target(since), options_.max_event_line_bytes);
  struct Registration {
    DockerMonitor& monitor;
    Registration(DockerMonitor& m, EventStream& s) : monitor(m) {
      std::lock_guard lock(monitor.mutex_);
      monitor.stream_ = &s;
    }
    ~Registration() {
      std::lock_guard lock(monitor.mutex_);
      monitor.stream_ = nullptr;
    }
  } registration(*this, stream);
  if (stopping_ || !stream.open(stopping_, options_.request_timeout)) return;

  bool first;
  {
    std::lock_guard lock(mutex_);
    first = status_.sessions == 0;
  }
  // The first sync is the baseline (the inventory reports what exists); later ones report
  // what changed while the engine was out of reach.
  const size_t changes = resync(!first);
  if (stopping_) return;
  {
    std::lock_guard lock(mutex_);
    ++status_.sessions;
    status_.engine_version = version.version;
    status_.socket = socket.string();
    status_.last_error.clear();
    connected_ = true;
  }
  changed_.notify_all();
  if (first) {
    logger()->info("watching Docker Engine {} (API {}) at {}: {} container(s)", version.version, version.api_version,
                   socket.string(), cache_->size());
  } else {
    logger()->info("reconnected to Docker Engine {} at {}: {} change(s) while disconnected", version.version,
                   socket.string(), changes);
  }

  std::string why;
  const auto end = stream.follow(
      stopping_,
      [&](std::string_view line, bool oversized) {
        handle_line(line, oversized);
        if (resync_requested_ && !stopping_) {
          resync_requested_ = false;
          resync(true);
        }
      },
      why);
  connected_ = false;
  changed_.notify_all();
  if (end == EventStream::End::Closed) logger()->warn("lost the Docker engine at {}: {}; reconnecting", socket.string(), why);
}

std::vector<ContainerRecord> DockerMonitor::read_all(DockerClient& client, const std::atomic<bool>* stop,
                                                    int64_t* finished_ns) {
  const auto listed = client.list_containers();
  std::vector<ContainerRecord> fresh;
  fresh.reserve(listed.size());
  for (const auto& summary : listed) {
    if (stop && stop->load()) break;
    const int64_t asked_at = now_ns();
    std::optional<ContainerRecord> record;
    try {
      record = client.inspect_container(summary.id);
      if (!record) continue;  // removed between the list and now
    } catch (const DockerError& error) {
      if (const auto held = inspect_throttle().allow()) {
        logger()->error("{}; keeping what is known of container {} ({}){}", error.what(), summary.name,
                        summary.id.substr(0, 12), held_back(*held));
      }
      record = record_from_summary(summary);
    }
    record->synced_at_ns = asked_at;
    fill_digest(*record, client);
    fresh.push_back(std::move(*record));
  }
  if (finished_ns) *finished_ns = now_ns();
  return fresh;
}

size_t DockerMonitor::resync(bool report) {
  int64_t finished = 0;
  auto fresh = read_all(*client_, &stopping_, &finished);
  if (stopping_) return 0;
  const auto transitions = cache_->replace_all(std::move(fresh), finished);
  {
    std::lock_guard lock(mutex_);
    ++status_.resyncs;
    // Forget digests of images no container uses any more.
    std::set<std::string> used;
    for (const auto& record : cache_->snapshot()) used.insert(record->info.image_id);
    for (auto it = digests_.begin(); it != digests_.end();) it = used.count(it->first) ? std::next(it) : digests_.erase(it);
  }
  if (!report) return 0;
  for (const auto& step : transitions) {
    LifecycleFacts facts;
    facts.action = step.action;
    facts.container = ContainerIdentity::of(*step.record);
    facts.source = Source::Resync;
    facts.exit_code = step.exit_code;
    if (step.action == "create" && step.record->settings_known) facts.settings = &step.record->settings;
    emit(make_lifecycle_event(facts));
  }
  return transitions.size();
}

void DockerMonitor::fill_digest(ContainerRecord& record, DockerClient& client) {
  if (record.info.image.find("@sha256:") != std::string::npos) {
    record.image_digest = record.info.image;
    return;
  }
  const std::string& image_id = record.info.image_id;
  if (image_id.empty()) return;
  {
    std::lock_guard lock(mutex_);
    const auto it = digests_.find(image_id);
    if (it != digests_.end()) {
      record.image_digest = it->second;
      return;
    }
  }
  std::optional<std::vector<std::string>> digests;
  try {
    digests = client.image_repo_digests(image_id);
  } catch (const DockerError& error) {
    logger()->debug("{}", error.what());
    return;  // not remembered: asked again next time
  }
  std::string chosen;
  if (digests) {
    const std::string wanted = repository_of(record.info.image) + "@";
    for (const auto& digest : *digests) {
      if (digest.rfind(wanted, 0) == 0) chosen = digest;
    }
    if (chosen.empty() && !digests->empty()) chosen = digests->front();
  }
  record.image_digest = chosen;
  std::lock_guard lock(mutex_);
  digests_[image_id] = chosen;
}

void DockerMonitor::handle_line(std::string_view line, bool oversized) {
  {
    std::lock_guard lock(mutex_);
    ++status_.engine_events;
  }
  std::string problem;
  EngineEvent event;
  if (oversized) {
    problem = "an event longer than " + std::to_string(options_.max_event_line_bytes) + " bytes";
  } else {
    try {
      event = parse_engine_event(line);
      if (event.type == "container" && !is_container_id(event.id)) problem = "/Actor/ID: expected a 64-hex container id";
    } catch (const ParseError& error) {
      problem = error.what();
    }
  }
  if (!problem.empty()) {
    {
      std::lock_guard lock(mutex_);
      ++status_.malformed_events;
    }
    count_loss(1);
    // What the lost line said about the cache is recovered by reading the engine's state again.
    resync_requested_ = true;
    if (const auto held = malformed_throttle().allow()) {
      logger()->error("GET /events: malformed event: {}; counted as dropped (ParseFailure), resynchronising{}", problem,
                      held_back(*held));
    }
    return;
  }
  if (event.type != "container") return;
  try {
    handle(event);
  } catch (const DockerError& error) {
    // The engine went away in the middle; the stream ends too and the resync catches up.
    logger()->warn("handling {} of container {}: {}", event.action, event.id.substr(0, 12), error.what());
  }
}

RecordPtr DockerMonitor::refresh(const std::string& id) {
  std::optional<ContainerRecord> record;
  try {
    record = client_->inspect_container(id);
  } catch (const DockerError& error) {
    if (const auto held = inspect_throttle().allow()) {
      logger()->error("{}; keeping the last known state of container {}{}", error.what(), id.substr(0, 12),
                      held_back(*held));
    }
    return nullptr;
  }
  if (!record) return nullptr;
  fill_digest(*record, *client_);
  return cache_->put(std::move(*record));
}

void DockerMonitor::handle(const EngineEvent& event) {
  const std::string& action = event.action;
  if (is_state_action(action) && cache_->reflected_by_resync(event.id, event.time_ns)) {
    std::lock_guard lock(mutex_);
    ++status_.replayed_events;
    return;
  }
  if (action == "create" || action == "start" || action == "die" || action == "rename" || action == "update") {
    RecordPtr record = refresh(event.id);
    if (!record && (action == "die" || action == "start")) {
      // Gone or unreadable: note the step in what we knew, so the next resync does not report
      // it a second time.
      if (const RecordPtr known = cache_->get(event.id)) {
        ContainerRecord updated = *known;
        updated.state.running = action == "start";
        updated.state.status = action == "start" ? "running" : "exited";
        if (action == "start") {
          updated.state.started_at_ns = event.time_ns;
        } else {
          updated.state.finished_at_ns = event.time_ns;
        }
        record = cache_->put(std::move(updated));
      }
    }
    if (action == "rename" || action == "update") return;
    const RecordPtr known = record ? record : cache_->get(event.id);
    LifecycleFacts facts = lifecycle_facts(event, known);
    if (action == "die") facts.exit_code = parse_exit_code(event.attribute("exitCode"));
    if (action == "create" && record && record->settings_known) facts.settings = &record->settings;
    emit(make_lifecycle_event(facts));
    return;
  }
  if (action == "destroy" || action == "oom") {
    // A destroyed container leaves the cache; its last record still names it.
    const RecordPtr known = action == "destroy" ? cache_->erase(event.id) : cache_->get(event.id);
    emit(make_lifecycle_event(lifecycle_facts(event, known)));
    return;
  }
  if (action == "exec_create" || action == "exec_start") {
    RecordPtr known = cache_->get(event.id);
    if (!known) known = refresh(event.id);
    if (known && !event.detail.empty() && event.detail == health_probe_command(known->settings)) {
      std::lock_guard lock(mutex_);
      ++status_.health_probes;
      return;
    }
    ExecFacts facts;
    facts.action = action;
    facts.container = known ? ContainerIdentity::of(*known) : ContainerIdentity::of(event);
    facts.exec_id = event.attribute("execID");
    facts.command = event.detail;
    facts.engine_time_ns = event.time_ns;
    if (action == "exec_create" && is_safe_object_id(facts.exec_id)) {
      try {
        facts.details = client_->inspect_exec(facts.exec_id);
      } catch (const DockerError& error) {
        logger()->warn("{}", error.what());
      }
    }
    size_t max_command;
    {
      std::lock_guard lock(mutex_);
      max_command = max_command_bytes_;
    }
    emit(make_exec_event(facts, max_command));
  }
}

std::vector<RecordPtr> DockerMonitor::inventory() {
  if (connected_) return cache_->snapshot();
  const auto socket = pick_socket();
  if (!socket) {
    std::string where;
    {
      std::lock_guard lock(mutex_);
      for (const auto& candidate : sockets_) where += (where.empty() ? "" : " or ") + candidate.string();
    }
    throw CollectorError("no Docker engine socket at " + (where.empty() ? std::string("(none configured)") : where));
  }
  try {
    DockerClient client(*socket, options_.request_timeout);
    client.version();
    auto records = read_all(client, nullptr, nullptr);
    std::vector<RecordPtr> out;
    for (auto& record : records) out.push_back(std::make_shared<const ContainerRecord>(std::move(record)));
    std::sort(out.begin(), out.end(), [](const RecordPtr& a, const RecordPtr& b) { return a->info.name < b->info.name; });
    return out;
  } catch (const DockerError& error) {
    throw CollectorError(error.what());
  }
}

}  // namespace edgeguard::docker
