#pragma once
// One socket as both sources (netlink sock_diag and /proc/net/{tcp,udp}[6]) describe it.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace edgeguard {

enum class Transport : uint8_t { Tcp, Udp };

std::string_view to_string(Transport transport);  // "TCP" / "UDP" (the schema's examples)

// Kernel socket states (include/net/tcp_states.h); UDP uses the same numbers.
inline constexpr uint8_t kStateEstablished = 1;
inline constexpr uint8_t kStateClose = 7;   // an unconnected UDP socket
inline constexpr uint8_t kStateListen = 10;

struct SocketRecord {
  Transport transport = Transport::Tcp;
  int family = 0;                      // AF_INET or AF_INET6
  std::array<uint8_t, 16> local{};     // network byte order; IPv4 in the first 4 bytes
  uint16_t local_port = 0;
  std::array<uint8_t, 16> remote{};
  uint16_t remote_port = 0;
  uint8_t state = 0;
  uint32_t uid = 0;
  uint64_t inode = 0;
  uint32_t interface_index = 0;  // SO_BINDTODEVICE / scope; 0 when none (or unknown)
};

// A listening TCP socket, or an unconnected UDP socket bound to a port (what `ss -l` shows).
bool is_listening(const SocketRecord& socket);

// inet_ntop text: "0.0.0.0", "::", "::1", "fe80::1", "::ffff:127.0.0.1".
std::string local_address_text(const SocketRecord& socket);

}  // namespace edgeguard
