#pragma once
// The kernel's TCP socket tables as /proc/<pid>/net/tcp and tcp6 show them (per network
// namespace), and the socket behind a process's file descriptor. Used to complete what audit
// records lack (the local side of a connection) and to find new connections by polling when no
// better source exists.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/host_root.h"

namespace edgeguard {

inline constexpr int kTcpEstablished = 1;
inline constexpr int kTcpListen = 10;

struct SocketEntry {
  int family = 0;  // AF_INET or AF_INET6
  std::array<uint8_t, 16> local_address{};   // network byte order
  std::array<uint8_t, 16> remote_address{};
  uint16_t local_port = 0;
  uint16_t remote_port = 0;
  int state = 0;  // kTcpEstablished, kTcpListen...
  uint32_t uid = 0;
  uint64_t inode = 0;
};

// Parses the text of /proc/net/tcp (family AF_INET) or /proc/net/tcp6 (AF_INET6). Lines that do
// not parse are skipped and counted in `bad_lines` when given.
std::vector<SocketEntry> parse_proc_net_tcp(std::string_view text, int family, size_t* bad_lines = nullptr);

// Both tables of a network namespace: "/proc/net" (the agent's) or "/proc/<pid>/net".
std::vector<SocketEntry> read_tcp_sockets(const HostRoot& host, std::string_view net_dir);

// The inode of the socket behind descriptor `fd` of process `pid` ("socket:[inode]").
std::optional<uint64_t> socket_inode_of_fd(const HostRoot& host, uint32_t pid, int64_t fd);

// Parses the target of a /proc/<pid>/fd link: "socket:[12345]" -> 12345.
std::optional<uint64_t> parse_socket_link(std::string_view target);

}  // namespace edgeguard
