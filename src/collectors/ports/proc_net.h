#pragma once
// /proc/net/{tcp,tcp6,udp,udp6}: one socket per line after the header,
//   sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
// Addresses are hex words the kernel prints with %08X from memory, i.e. in the byte order of the
// machine that wrote the file; they are decoded in this machine's order (the file always comes
// from the kernel the agent runs on).
#include <string_view>
#include <vector>

#include "collectors/common/line_problem.h"
#include "collectors/ports/socket_table.h"

namespace edgeguard {

struct ProcNetTable {
  std::vector<SocketRecord> sockets;  // every socket in the file, listening or not
  std::vector<LineProblem> problems;
};

// `family` is AF_INET for tcp/udp and AF_INET6 for tcp6/udp6.
ProcNetTable parse_proc_net(std::string_view text, Transport transport, int family);

}  // namespace edgeguard
