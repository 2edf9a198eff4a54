#include "collectors/login/login_collector.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "collectors/login/host_path.h"
#include "core/log.h"
#include "pipeline/statistics.h"

namespace edgeguard {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr const char* kWtmp = "/var/log/wtmp";
constexpr const char* kBtmp = "/var/log/btmp";
// utmp lives on /run; /var/run is the historical name (a link to /run on current systems).
constexpr const char* kUtmpPaths[] = {"/run/utmp", "/var/run/utmp"};
constexpr size_t kMaxUtmpBytes = 4 << 20;
constexpr size_t kProblemsLoggedPerRound = 3;
constexpr int kTickMs = 1000;

}  // namespace

LoginCollector::LoginCollector(CollectorServices services)
    : services_(services), logger_(log::get("collector.login")) {}

LoginCollector::~LoginCollector() { stop(); }

void LoginCollector::reconfigure(const AgentConfig& config) { priority_ = config.priority_of(kEventName); }

void LoginCollector::start(const CollectorContext& context, EventSubmitter submit) {
  if (thread_.joinable()) return;
  host_ = std::make_unique<HostRoot>(context.host.root());
  submit_ = std::move(submit);
  reconfigure(context.config);
  builder_ = std::make_unique<login::LoginEventBuilder>(*host_);

  inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd_ < 0) throw CollectorError(std::string("Login: inotify_init1 failed: ") + std::strerror(errno));
  stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (stop_fd_ < 0) {
    close(inotify_fd_);
    inotify_fd_ = -1;
    throw CollectorError(std::string("Login: eventfd failed: ") + std::strerror(errno));
  }

  if (services_.store) {
    const auto state = services_.store->state_with_prefix(std::string(kStateKey));
    if (const auto it = state.find(std::string(kStateKey)); it != state.end()) {
      std::string error;
      saved_ = login::parse_positions(it->second, error);
      if (!saved_) {
        logger_->error("the saved read positions ({} in the store) are unusable ({}); starting as on a first run",
                       kStateKey, error);
      }
    }
  } else {
    logger_->warn("no store: read positions are not kept across restarts");
  }

  sources_.clear();
  sources_.push_back({std::make_unique<login::UtmpLog>(*host_, kWtmp, inotify_fd_, logger_), login::LogKind::Wtmp, 0});
  sources_.push_back({std::make_unique<login::UtmpLog>(*host_, kBtmp, inotify_fd_, logger_), login::LogKind::Btmp, 0});
  watch_directories();
  services_.runtime.set("LoginEventSource", std::string(kWtmp) + ", " + kBtmp + " (inotify)");
  thread_ = std::thread([this] { run(); });
}

void LoginCollector::stop() {
  if (!thread_.joinable()) return;
  const uint64_t one = 1;
  if (write(stop_fd_, &one, sizeof(one)) < 0) logger_->error("cannot wake the login thread: {}", std::strerror(errno));
  thread_.join();
  sources_.clear();  // closes the files and their watches
  close(inotify_fd_);
  close(stop_fd_);
  inotify_fd_ = stop_fd_ = -1;
  watched_directories_.clear();
}

void LoginCollector::watch_directories() {
  directories_missing_ = false;
  for (const auto& source : sources_) {
    const auto dir = login::resolve_host_path(*host_, source.log->directory());
    if (!dir) {
      directories_missing_ = true;
      continue;
    }
    const std::string path = dir->string();
    if (std::any_of(watched_directories_.begin(), watched_directories_.end(),
                    [&](const auto& watched) { return watched.first == path; })) {
      continue;
    }
    const int watch = inotify_add_watch(inotify_fd_, path.c_str(),
                                        IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_DELETE_SELF |
                                            IN_MOVE_SELF | IN_ONLYDIR);
    if (watch < 0) {
      if (!directory_watch_failed_) {
        logger_->warn("cannot watch {} with inotify ({}); checking it every second instead", path, std::strerror(errno));
      }
      directory_watch_failed_ = true;
      directories_missing_ = true;
      continue;
    }
    watched_directories_.emplace_back(path, watch);
  }
}

void LoginCollector::load_open_sessions() {
  for (const char* path : kUtmpPaths) {
    const auto dir = login::resolve_host_path(*host_, std::filesystem::path(path).parent_path().string());
    if (!dir) continue;
    const auto file = *dir / "utmp";
    std::error_code ec;
    const auto status = std::filesystem::symlink_status(file, ec);
    if (ec || !std::filesystem::exists(status)) continue;
    if (!std::filesystem::is_regular_file(status)) {
      // As for wtmp and btmp: a link or device is not followed, its contents never reported.
      logger_->error("cannot read {}: {} is not a regular file", path, file.string());
      return;
    }
    const auto text = read_whole_file(file, kMaxUtmpBytes);
    if (!text) continue;
    size_t sessions = 0;
    for (size_t at = 0; at + login::kUtmpRecordSize <= text->size(); at += login::kUtmpRecordSize) {
      const auto record = login::parse_utmp_record(std::string_view(*text).substr(at, login::kUtmpRecordSize));
      if (!record || !record->has_type(login::UtmpType::UserProcess) || record->user.empty()) continue;
      interpreter_.learn_open_session(*record);
      // While the session's process runs, /proc names what handled the login.
      login::LoginFacts facts;
      facts.pid = record->pid;
      facts.time = login::record_time(*record);
      facts.line = record->line;
      facts.record_type = record->type;
      auto found = builder_->find_executable(facts, login::LogKind::Wtmp);
      if (found.executable != "unknown") {
        interpreter_.remember_executable(record->line.empty() ? "id:" + record->id : record->line, std::move(found));
      }
      ++sessions;
    }
    logger_->debug("{}: {} open session(s)", path, sessions);
    return;
  }
}

std::string LoginCollector::positions_text() const {
  login::ReadPositions positions;
  for (const auto& source : sources_) {
    if (auto position = source.log->position()) positions[source.log->name()] = *position;
  }
  return login::serialize_positions(positions);
}

void LoginCollector::report_problem(Source& source, uint64_t offset, const std::string& problem) {
  const Priority priority = priority_.load();
  if (priority != Priority::Off) services_.statistics.dropped(priority, drop_reason::kParseFailure);
  if (++source.problems_this_round <= kProblemsLoggedPerRound) {
    logger_->warn("{} at byte {}: {}; record skipped (counted as {})", source.log->host_path(), offset, problem,
                  drop_reason::kParseFailure);
  }
}

void LoginCollector::handle_record(Source& source, std::string_view bytes, uint64_t offset, login::RecordMode mode) {
  const auto record = login::parse_utmp_record(bytes);
  if (!record) return;  // cannot happen: UtmpLog hands out whole records
  auto interpretation = interpreter_.interpret(*record, source.kind);
  logger_->trace("{} at byte {}: {} record", source.log->host_path(), offset, login::type_name(record->type));
  if (mode == login::RecordMode::Replay) return;  // reported before the restart
  const auto time = login::record_time(*record);
  // On the very first run, what the files held before this boot is history, not news.
  if (mode == login::RecordMode::Backlog && (!time || !boot_time_ || *time < *boot_time_)) return;
  if (!interpretation.problem.empty()) {
    report_problem(source, offset, interpretation.problem);
    return;
  }
  if (!interpretation.facts) return;
  const auto& facts = *interpretation.facts;
  auto built = builder_->build(facts, source.log->host_path());
  if (facts.operation == login::LoginOperation::Login) interpreter_.remember_executable(facts.session_key, built.executable);
  std::string state = positions_text();
  built.event.state = CollectorState{std::string(kStateKey), state};
  if (submit_(std::move(built.event))) last_state_ = std::move(state);
}

void LoginCollector::flush_state() {
  std::string state = positions_text();
  if (state == last_state_) {
    state_pending_ = false;
    return;
  }
  state_pending_ = !submit_(make_state_update(std::string(kStateKey), state));
  if (!state_pending_) last_state_ = std::move(state);
}

int LoginCollector::poll_timeout_ms() const {
  if (directories_missing_ || state_pending_) return kTickMs;
  std::optional<SteadyClock::time_point> deadline;
  for (const auto& source : sources_) {
    if (source.log->needs_polling()) return kTickMs;
    if (const auto next = source.log->next_deadline()) deadline = deadline ? std::min(*deadline, *next) : *next;
  }
  if (!deadline) return -1;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - SteadyClock::now()).count();
  return static_cast<int>(std::clamp<int64_t>(left + 1, 0, kTickMs * 60));
}

void LoginCollector::run() {
  boot_time_ = builder_->processes().boot_time();
  const auto handler_for = [this](Source& source) {
    return [this, &source](std::string_view bytes, uint64_t offset, login::RecordMode mode) {
      handle_record(source, bytes, offset, mode);
    };
  };
  const auto end_round = [this] {
    for (auto& source : sources_) {
      if (source.problems_this_round > kProblemsLoggedPerRound) {
        logger_->warn("{}: {} more malformed record(s) skipped", source.log->host_path(),
                      source.problems_this_round - kProblemsLoggedPerRound);
      }
      source.problems_this_round = 0;
    }
    flush_state();
  };

  // Replaying wtmp up to the saved position rebuilds the sessions; utmp adds the ones open now;
  // only then are new records read, so a logout of any open session finds its user.
  for (auto& source : sources_) {
    std::optional<login::FilePosition> saved;
    if (saved_) {
      if (const auto it = saved_->find(source.log->name()); it != saved_->end()) saved = it->second;
    }
    source.log->start(saved, handler_for(source));
  }
  load_open_sessions();
  for (auto& source : sources_) source.log->sync(handler_for(source));
  end_round();
  logger_->info("following {} and {} under {}", kWtmp, kBtmp, host_->root().string());

  std::vector<char> buffer(64 * 1024);
  while (true) {
    pollfd fds[2] = {{stop_fd_, POLLIN, 0}, {inotify_fd_, POLLIN, 0}};
    const int ready = poll(fds, 2, poll_timeout_ms());
    if (ready < 0 && errno != EINTR) {
      logger_->error("poll failed: {}; login collection stops", std::strerror(errno));
      return;
    }
    if (fds[0].revents & POLLIN) return;
    if (fds[1].revents & POLLIN) {
      // Which file changed does not matter: every source checks its own file, which is cheap,
      // and an overflowed queue (IN_Q_OVERFLOW) is handled the same way.
      bool directory_gone = false;
      while (true) {
        const ssize_t n = read(inotify_fd_, buffer.data(), buffer.size());
        if (n <= 0) break;
        for (ssize_t at = 0; at < n;) {
          const auto* event = reinterpret_cast<const inotify_event*>(buffer.data() + at);
          if (event->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) directory_gone = true;
          at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
        }
      }
      if (directory_gone) {
        logger_->warn("a watched log directory was removed or moved; watching it again when it exists");
        // A moved directory keeps its watch; a deleted one lost it already (IN_IGNORED).
        for (const auto& watched : watched_directories_) inotify_rm_watch(inotify_fd_, watched.second);
        watched_directories_.clear();
        directories_missing_ = true;
      }
    }
    if (directories_missing_) watch_directories();
    for (auto& source : sources_) source.log->sync(handler_for(source));
    end_round();
  }
}

}  // namespace edgeguard
