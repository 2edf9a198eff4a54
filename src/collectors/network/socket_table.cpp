#include "collectors/network/socket_table.h"

#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "collectors/ports/proc_net.h"
#include "collectors/ports/socket_owners.h"

namespace edgeguard {

std::vector<SocketRecord> read_tcp_sockets(const HostRoot& host, std::string_view net_dir) {
  std::vector<SocketRecord> all;
  const std::string dir(net_dir);
  for (const auto& [file, family] : {std::pair{"/tcp", AF_INET}, std::pair{"/tcp6", AF_INET6}}) {
    const auto text = host.read_file(dir + file, 64 * 1024 * 1024);
    if (!text) continue;
    auto table = parse_proc_net(*text, Transport::Tcp, family);
    all.insert(all.end(), std::make_move_iterator(table.sockets.begin()), std::make_move_iterator(table.sockets.end()));
  }
  return all;
}

std::optional<uint64_t> socket_inode_of_fd(const HostRoot& host, uint32_t pid, int64_t fd) {
  if (fd < 0) return std::nullopt;
  const auto link = host.path("/proc/" + std::to_string(pid) + "/fd/" + std::to_string(fd));
  char target[128];
  const ssize_t length = ::readlink(link.c_str(), target, sizeof(target));
  if (length <= 0) return std::nullopt;
  return parse_socket_link(std::string_view(target, static_cast<size_t>(length)));
}

}  // namespace edgeguard
