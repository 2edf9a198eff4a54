#pragma once
// New TCP connections found by polling the host's socket tables, for the proc connector source
// (which has no connection events): each poll compares the established sockets with the last
// poll's, tells inbound from outbound by the listening ports, and finds the owning process
// through /proc/<pid>/fd. A connection that opens and closes between two polls is not seen.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "collectors/network/socket_table.h"
#include "collectors/process/kernel_records.h"
#include "core/host_root.h"

namespace edgeguard {

class ConnectionPoller {
 public:
  ConnectionPoller(const HostRoot& host, kernel::RecordSink& sink, std::chrono::milliseconds interval);
  ~ConnectionPoller();
  void start();
  void stop();
  // One poll (the first only records what exists). Public for tests.
  void poll_once();

 private:

  const HostRoot& host_;
  kernel::RecordSink& sink_;
  std::chrono::milliseconds interval_;
  bool primed_ = false;
  std::unordered_set<uint64_t> seen_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace edgeguard
