#pragma once
// Which process holds a socket: /proc/<pid>/fd/<n> links read "socket:[<inode>]". Like ss -p
// and osquery's listening_ports, this walks every process's descriptors, so it stops as soon as
// every wanted inode is found.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "core/host_root.h"

namespace edgeguard {

struct SocketOwner {
  int pid = 0;              // the lowest pid holding it (a forking server's parent, usually)
  std::string executable;   // /proc/<pid>/exe; may end in " (deleted)"
  std::string command;      // /proc/<pid>/comm
};

// "socket:[12345]" -> 12345.
std::optional<uint64_t> parse_socket_link(std::string_view target);

std::unordered_map<uint64_t, SocketOwner> find_socket_owners(const HostRoot& host,
                                                             const std::unordered_set<uint64_t>& inodes);

}  // namespace edgeguard
