// netlink sock_diag reply parser: any datagram, no read outside it, at most one socket per
// inet_diag_msg that fits.
#include <linux/inet_diag.h>
#include <linux/netlink.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "collectors/ports/sock_diag.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const auto transport = (data[0] & 1) ? edgeguard::Transport::Udp : edgeguard::Transport::Tcp;
  const uint32_t sequence = data[0] >> 1;
  const std::span<const uint8_t> bytes(data + 1, size - 1);
  const auto batch = edgeguard::parse_sock_diag_reply(bytes, transport, sequence);
  if (batch.sockets.size() > bytes.size() / (NLMSG_HDRLEN + sizeof(inet_diag_msg))) std::abort();
  for (const auto& socket : batch.sockets) {
    if (edgeguard::local_address_text(socket).empty()) std::abort();
  }
  if (batch.malformed > 0 && batch.problem.empty()) std::abort();
  return 0;
}
