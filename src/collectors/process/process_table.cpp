#include "collectors/process/process_table.h"

namespace edgeguard {

void ProcessTable::set(uint32_t pid, ProcessEntry entry) { entries_[pid] = std::move(entry); }

const ProcessEntry* ProcessTable::find(uint32_t pid, uint64_t start) const {
  const auto it = entries_.find(pid);
  if (it == entries_.end() || !same(it->second.start, start)) return nullptr;
  return &it->second;
}

void ProcessTable::fork(uint32_t pid, uint32_t ppid, uint64_t start, uint64_t parent_start) {
  const ProcessEntry* parent = find(ppid, parent_start);
  if (!parent) {
    // Unknown parent: forget any stale entry under the child's pid; /proc fills it on demand.
    entries_.erase(pid);
    return;
  }
  ProcessEntry child = *parent;
  child.start = start;
  child.ppid = ppid;
  entries_[pid] = std::move(child);
}

void ProcessTable::erase(uint32_t pid, uint64_t start) {
  const auto it = entries_.find(pid);
  if (it != entries_.end() && same(it->second.start, start)) entries_.erase(it);
}

}  // namespace edgeguard
