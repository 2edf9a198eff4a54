#pragma once
// The kernel's socket tables through netlink sock_diag (NETLINK_SOCK_DIAG, inet_diag_req_v2):
// exact, cheap, and in the network namespace of the calling process. The reply parser works on
// bytes and checks every length itself (no netlink library is in the dependencies, and the
// format is a few fixed structs), so it can be fuzzed.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "collectors/ports/socket_table.h"

namespace edgeguard {

// A dump request for one address family and transport, for sockets in `states` (a mask of
// 1 << state).
std::vector<uint8_t> sock_diag_request(int family, Transport transport, uint32_t states, uint32_t sequence);

struct SockDiagBatch {
  std::vector<SocketRecord> sockets;
  bool done = false;         // NLMSG_DONE: the dump is complete
  bool interrupted = false;  // NLM_F_DUMP_INTR: the tables changed during the dump; repeat it
  int error = 0;             // errno of an NLMSG_ERROR (or a negative NLMSG_DONE status)
  size_t malformed = 0;      // messages that were cut short or of the wrong shape, skipped
  std::string problem;       // what the first malformed message looked like
};

// Parses one datagram of the reply. Messages of another sequence number are ignored.
SockDiagBatch parse_sock_diag_reply(std::span<const uint8_t> bytes, Transport transport, uint32_t sequence);

struct SockDiagDump {
  std::vector<SocketRecord> sockets;
  size_t malformed = 0;
};

// Runs one dump to its end. Throws CollectorError naming the request on failure (e.g. ENOENT
// when the kernel has no inet_diag handler for the transport, udp_diag not loaded).
SockDiagDump dump_sockets(int family, Transport transport, uint32_t states);

}  // namespace edgeguard
