#pragma once
// What /proc says about one process (through HostRoot, so a module reads the host's /proc).
// Used for processes the kernel sources did not show us being born, and by the proc connector
// source, which only learns pids from the kernel.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/host_root.h"

namespace edgeguard {

struct ProcStatus {
  uint32_t ppid = 0;
  uint32_t uid = 0;
  uint32_t euid = 0;
};
// Parses /proc/<pid>/status text (PPid: and Uid: lines).
std::optional<ProcStatus> parse_proc_status(std::string_view text);
// The start time (field 22, clock ticks since boot) from /proc/<pid>/stat text.
std::optional<uint64_t> parse_proc_stat_start(std::string_view text);

struct ProcProcess {
  uint32_t pid = 0;
  uint32_t ppid = 0;
  uint32_t uid = 0;
  uint32_t euid = 0;
  uint64_t start = 0;       // clock ticks since boot
  std::string executable;   // readlink of /proc/<pid>/exe; empty for kernel threads
  std::string arguments;    // /proc/<pid>/cmdline, at most max_argument_bytes + 1 bytes
  bool arguments_cut = false;
  std::string cgroup;       // /proc/<pid>/cgroup text
};

// nullopt when the process is gone (or was never there).
std::optional<ProcProcess> read_proc_process(const HostRoot& host, uint32_t pid, size_t max_argument_bytes);

// Pids of every process in /proc.
std::vector<uint32_t> list_proc_pids(const HostRoot& host);

// Nanoseconds since boot (CLOCK_BOOTTIME) to /proc clock ticks.
uint64_t boot_ns_to_ticks(uint64_t nanoseconds);

}  // namespace edgeguard
