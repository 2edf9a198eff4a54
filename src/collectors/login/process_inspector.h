#pragma once
// What the host's /proc says about the process that wrote a login record.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "core/event.h"
#include "core/host_root.h"

namespace edgeguard::login {

class ProcessInspector {
 public:
  explicit ProcessInspector(const HostRoot& host) : host_(host) {}

  // The executable of `pid` (/proc/<pid>/exe) if that process still runs and started no later
  // than `written` (the record's time): a process that started after the record reuses the pid
  // of the one that wrote it and must not be named. Without a record time, any live process.
  std::optional<std::string> executable(int32_t pid, std::optional<TimePoint> written);

  // The host's boot time (btime of /proc/stat), nullopt if unknown.
  std::optional<TimePoint> boot_time();

 private:
  std::optional<uint64_t> start_ticks(int32_t pid);

  const HostRoot& host_;
  std::optional<TimePoint> boot_time_;
  std::chrono::steady_clock::time_point boot_time_read_{};
};

// Field 22 (starttime, clock ticks after boot) of /proc/<pid>/stat text; nullopt if malformed.
// The command name (field 2) may hold spaces and parentheses, so fields count from the last ')'.
std::optional<uint64_t> parse_start_ticks(std::string_view stat_text);
// btime of /proc/stat text.
std::optional<int64_t> parse_boot_seconds(std::string_view stat_text);

}  // namespace edgeguard::login
