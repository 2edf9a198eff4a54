#pragma once
// One append-only log of utmp records (wtmp or btmp) followed as it grows, gets truncated or is
// rotated away, with how far it was read. The file is read through an open descriptor, so a
// rotated file (renamed to wtmp.1) is read to its end before the new one is started, and
// writers that still append to the old file just after the rename are read for a grace period.
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/spdlog.h>

#include "collectors/login/read_position.h"
#include "core/host_root.h"

namespace edgeguard::login {

enum class RecordMode {
  Live,     // new since the last read: report it
  Backlog,  // already in the file when the agent first ran (no saved position)
  Replay,   // read before the last stop: only rebuilds the session table
};

class UtmpLog {
 public:
  // Called for each whole record in file order; position() already counts the record.
  using Handler = std::function<void(std::string_view record, uint64_t offset, RecordMode mode)>;

  static constexpr auto kRotationGrace = std::chrono::seconds(10);
  // A restart replays at most this much of the file to rebuild the session table.
  static constexpr uint64_t kMaxReplayBytes = 64ull << 20;

  // `host_path`: "/var/log/wtmp". Watches its open files for IN_MODIFY on `inotify_fd` (-1: none).
  UtmpLog(const HostRoot& host, std::string host_path, int inotify_fd, std::shared_ptr<spdlog::logger> logger);
  ~UtmpLog();
  UtmpLog(const UtmpLog&) = delete;
  UtmpLog& operator=(const UtmpLog&) = delete;

  const std::string& host_path() const { return host_path_; }
  std::string name() const;       // "wtmp"
  std::string directory() const;  // "/var/log"

  // Positions the log: after `saved` (in this file, or in the rotated file that still has that
  // inode), replaying what was read before it (Replay); without a saved position, what the file
  // holds now will be Backlog. The first sync() reads on from there.
  void start(const std::optional<FilePosition>& saved, const Handler& handler);
  // Reads what was appended since the last call, following truncation and rotation.
  void sync(const Handler& handler);

  // What to persist: the file being read and how far. Before any file was opened, the saved
  // position it started from (so a restart still finds a rotated file).
  std::optional<FilePosition> position() const;
  // When a rotated file's grace period ends (sync() must run then), if any.
  std::optional<std::chrono::steady_clock::time_point> next_deadline() const;
  // True when changes cannot be seen through inotify (no watch): sync() must be polled.
  bool needs_polling() const { return needs_polling_; }

 private:
  struct OpenFile {
    int fd = -1;
    int watch = -1;
    uint64_t inode = 0;
    uint64_t offset = 0;
    uint64_t backlog_end = 0;  // records that start before this offset are Backlog
    std::string fingerprint;
    std::string path;  // for messages
    std::chrono::steady_clock::time_point retire_at{};
  };

  std::string real_path() const;  // the path in our namespace, directory symlinks resolved
  std::optional<OpenFile> open_file(const std::string& path, const char* why);
  void close_file(OpenFile& file);
  void check_rewritten(OpenFile& file);
  void drain(OpenFile& file, const Handler& handler);
  void replay_before(OpenFile& file, const Handler& handler);
  std::optional<OpenFile> find_rotated(const FilePosition& saved);
  bool fingerprint_matches(int fd, const std::string& fingerprint) const;

  const HostRoot& host_;
  std::string host_path_;
  int inotify_fd_;
  std::shared_ptr<spdlog::logger> logger_;
  OpenFile current_;
  std::vector<OpenFile> retired_;
  std::optional<FilePosition> pending_saved_;
  bool needs_polling_ = false;
  std::string refused_;  // the last complaint about the path, so it is logged once
};

}  // namespace edgeguard::login
