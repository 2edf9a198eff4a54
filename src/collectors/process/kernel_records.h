#pragma once
// What every kernel event source (eBPF, audit, proc connector) delivers, before enrichment:
// plain facts about one exec, fork, exit or connection, in the source's own terms.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/event.h"

namespace edgeguard::kernel {

struct ProcessExec {
  uint32_t pid = 0;
  uint32_t ppid = 0;
  uint32_t uid = 0;
  uint32_t euid = 0;
  // With `pid`, names one process across pid reuse: start time in clock ticks since boot as in
  // /proc/<pid>/stat (0 when the source cannot tell).
  uint64_t start = 0;
  std::string executable;     // full path
  std::string arguments;      // argv as NUL-separated bytes, like /proc/<pid>/cmdline
  bool arguments_cut = false;  // the source had more argv than it delivered
  std::string cgroup_path;    // in the tracked hierarchy (eBPF); empty when unknown
  uint64_t cgroup_id = 0;     // kernfs id of that cgroup (0 = unknown); a cache key only
  std::string proc_cgroup;    // the /proc/<pid>/cgroup text (sources that read /proc)
  TimePoint time{};
};

struct ProcessFork {
  uint32_t pid = 0;
  uint32_t ppid = 0;
  uint64_t start = 0;
  uint64_t parent_start = 0;
};

struct ProcessExit {
  uint32_t pid = 0;
  uint64_t start = 0;
};

enum class Direction { In, Out };

struct Connection {
  Direction direction = Direction::Out;
  int family = 0;  // AF_INET or AF_INET6
  std::string_view protocol = "TCP";
  std::array<uint8_t, 16> local_address{};  // network byte order; 4 bytes used for AF_INET
  std::array<uint8_t, 16> remote_address{};
  uint16_t local_port = 0;
  uint16_t remote_port = 0;
  uint32_t pid = 0;
  uint32_t uid = 0;
  bool uid_known = true;
  uint64_t start = 0;
  // What the source itself says about the process, used when the process table does not know
  // it (audit: exe= and the PROCTITLE record). Empty when the source says nothing.
  std::string executable;
  std::string arguments;  // NUL-separated
  std::string comm;       // the kernel's short process name, if the source has it
  TimePoint time{};
};

// Which reported event type a lost record would have become.
enum class LostKind { Process, Connection, Unknown };

// Receives records from one source. Called from the source's thread(s); implementations are
// thread-safe.
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual void exec(ProcessExec& record) = 0;
  virtual void fork(const ProcessFork& record) = 0;
  virtual void exit(const ProcessExit& record) = 0;
  virtual void connection(Connection& record) = 0;
  // `count` records were lost at the source for `reason` (a drop_reason constant).
  virtual void lost(LostKind kind, std::string_view reason, uint64_t count) = 0;
};

}  // namespace edgeguard::kernel
