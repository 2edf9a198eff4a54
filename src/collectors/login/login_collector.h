#pragma once
// Login events (schema v1.0 "Login") from the host's utmp files, followed with inotify:
// successful logins and logouts from /var/log/wtmp, failed attempts from /var/log/btmp, and the
// sessions open at start from /run/utmp. Only what was appended since the last read is
// reported: the read positions are committed to the store with the events they produced, so a
// restart neither re-sends nor skips a record.
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "app/collector_registry.h"
#include "collectors/collector.h"
#include "collectors/login/login_event.h"
#include "collectors/login/login_interpreter.h"
#include "collectors/login/utmp_log.h"

namespace edgeguard {

class LoginCollector final : public StreamingCollector {
 public:
  static constexpr std::string_view kEventName = "Login";
  static constexpr std::string_view kStateKey = "login.positions";

  explicit LoginCollector(CollectorServices services);
  ~LoginCollector() override;

  std::string_view name() const override { return kEventName; }
  void start(const CollectorContext& context, EventSubmitter submit) override;
  void stop() override;
  void reconfigure(const AgentConfig& config) override;

 private:
  struct Source {
    std::unique_ptr<login::UtmpLog> log;
    login::LogKind kind;
    size_t problems_this_round = 0;
  };

  void run();
  void load_open_sessions();
  void watch_directories();
  void handle_record(Source& source, std::string_view bytes, uint64_t offset, login::RecordMode mode);
  void report_problem(Source& source, uint64_t offset, const std::string& problem);
  std::string positions_text() const;
  void flush_state();
  int poll_timeout_ms() const;

  CollectorServices services_;
  std::unique_ptr<HostRoot> host_;
  EventSubmitter submit_;
  std::atomic<Priority> priority_{Priority::High};
  std::shared_ptr<spdlog::logger> logger_;

  int inotify_fd_ = -1;
  int stop_fd_ = -1;
  std::vector<std::pair<std::string, int>> watched_directories_;  // resolved path, watch descriptor
  bool directories_missing_ = false;  // or not watchable: sync() is polled every second
  bool directory_watch_failed_ = false;  // already logged
  std::vector<Source> sources_;
  std::optional<login::ReadPositions> saved_;
  std::string last_state_;  // the positions last accepted by the pipeline
  bool state_pending_ = false;
  std::optional<TimePoint> boot_time_;

  std::unique_ptr<login::LoginEventBuilder> builder_;
  login::LoginInterpreter interpreter_;
  std::thread thread_;
};

}  // namespace edgeguard
