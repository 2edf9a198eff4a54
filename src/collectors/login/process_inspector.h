#pragma once
// What the host's /proc says about the process that wrote a login record.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "core/event.h"
#include "core/host_root.h"

namespace edgeguard::login {

struct ProcessFacts {
  std::string executable;  // /proc/<pid>/exe
  int32_t parent = 0;
};

class ProcessInspector {
 public:
  explicit ProcessInspector(const HostRoot& host) : host_(host) {}

  // The process `pid` if it still runs and started no later than `written` (the record's
  // time): a process that started after the record reuses the pid of the one that wrote it and
  // must not be named. Without a record time, any live process with that pid.
  std::optional<ProcessFacts> process(int32_t pid, std::optional<TimePoint> written);

  // The host's boot time (btime of /proc/stat), nullopt if unknown.
  std::optional<TimePoint> boot_time();

 private:
  const HostRoot& host_;
  std::optional<TimePoint> boot_time_;
  std::chrono::steady_clock::time_point boot_time_read_{};
};

struct ProcStat {
  int32_t parent = 0;          // field 4
  uint64_t start_ticks = 0;    // field 22: clock ticks after boot
};
// /proc/<pid>/stat text; nullopt if malformed. The command name (field 2) may hold spaces and
// parentheses, so fields are counted from the last ')'.
std::optional<ProcStat> parse_proc_stat(std::string_view text);
// btime of /proc/stat text.
std::optional<int64_t> parse_boot_seconds(std::string_view text);

}  // namespace edgeguard::login
