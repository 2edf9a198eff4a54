#pragma once
// Every live process the agent knows: what it runs and in which container. Fed by exec, fork
// and exit records, so a connection names the right program even for short-lived processes,
// and pid reuse is caught by the start time that goes with every pid.
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "collectors/process/command_line.h"

namespace edgeguard {

// What a process runs; shared by a parent and the children it forks until they exec.
struct ProcessImage {
  std::string executable;
  CommandLine command_line;  // already joined and cut to commandLineMaxBytes
  std::string container_id;  // empty: not in a container (or unknown)
};

struct ProcessEntry {
  uint64_t start = 0;  // clock ticks since boot; 0 = unknown
  uint32_t ppid = 0;
  uint32_t uid = 0;
  std::shared_ptr<const ProcessImage> image;
};

class ProcessTable {
 public:
  explicit ProcessTable(size_t capacity = 1 << 16) : capacity_(capacity) {}

  void set(uint32_t pid, ProcessEntry entry);
  // The entry of `pid` if it is the same process: `start` (0 = unknown) must match.
  const ProcessEntry* find(uint32_t pid, uint64_t start) const;
  // A new process `pid` forked by `ppid`: it runs its parent's image until it execs.
  void fork(uint32_t pid, uint32_t ppid, uint64_t start, uint64_t parent_start);
  void erase(uint32_t pid, uint64_t start);
  size_t size() const { return entries_.size(); }
  bool full() const { return entries_.size() >= capacity_; }
  // Forgets every entry for which keep(pid) is false.
  template <typename Keep>
  size_t prune(Keep keep) {
    size_t removed = 0;
    for (auto it = entries_.begin(); it != entries_.end();) {
      if (keep(it->first)) {
        ++it;
      } else {
        it = entries_.erase(it);
        ++removed;
      }
    }
    return removed;
  }

 private:
  static bool same(uint64_t a, uint64_t b) { return a == 0 || b == 0 || a == b; }
  size_t capacity_;
  std::unordered_map<uint32_t, ProcessEntry> entries_;
};

}  // namespace edgeguard
