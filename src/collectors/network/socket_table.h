#pragma once
// The kernel's TCP socket tables of one network namespace (/proc/<pid>/net/tcp and tcp6, parsed
// by the ListeningPorts parser) and the socket behind a process's file descriptor. Used to
// complete what audit records lack (the local side of a connection) and to find new
// connections by polling when no better source exists.
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "collectors/ports/socket_table.h"
#include "core/host_root.h"

namespace edgeguard {

// Both tables of a network namespace: "/proc/net" (the agent's) or "/proc/<pid>/net".
std::vector<SocketRecord> read_tcp_sockets(const HostRoot& host, std::string_view net_dir);

// The inode of the socket behind descriptor `fd` of process `pid` ("socket:[inode]").
std::optional<uint64_t> socket_inode_of_fd(const HostRoot& host, uint32_t pid, int64_t fd);

}  // namespace edgeguard
