// /proc/net/{tcp,tcp6,udp,udp6} parser: the first byte picks the table, and every socket it
// returns must format as an address and a payload item.
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "collectors/ports/listening_ports_collector.h"
#include "collectors/ports/proc_net.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const int family = (data[0] & 1) ? AF_INET6 : AF_INET;
  const auto transport = (data[0] & 2) ? edgeguard::Transport::Udp : edgeguard::Transport::Tcp;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const auto table = edgeguard::parse_proc_net(text, transport, family);
  for (const auto& socket : table.sockets) {
    if (socket.family != family || socket.transport != transport) std::abort();
    if (edgeguard::local_address_text(socket).empty()) std::abort();
  }
  for (const auto& item : edgeguard::listening_port_payloads(table.sockets, {})) {
    if (!item.contains("LocalPort") || !item.contains("Protocol")) std::abort();
  }
  return 0;
}
