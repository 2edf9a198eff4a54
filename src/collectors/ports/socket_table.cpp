#include "collectors/ports/socket_table.h"

#include <arpa/inet.h>
#include <sys/socket.h>

namespace edgeguard {

std::string_view to_string(Transport transport) { return transport == Transport::Tcp ? "TCP" : "UDP"; }

bool is_listening(const SocketRecord& socket) {
  if (socket.transport == Transport::Tcp) return socket.state == kStateListen;
  return socket.state == kStateClose && socket.local_port != 0;
}

std::string local_address_text(const SocketRecord& socket) {
  char text[INET6_ADDRSTRLEN] = {};
  const int family = socket.family == AF_INET6 ? AF_INET6 : AF_INET;
  if (!::inet_ntop(family, socket.local.data(), text, sizeof(text))) return {};
  return text;
}

}  // namespace edgeguard
