#include "collectors/network/socket_table.h"

#include <sys/socket.h>
#include <unistd.h>

#include <charconv>
#include <cstring>

#include "core/strings.h"

namespace edgeguard {
namespace {

template <typename T>
std::optional<T> parse_hex(std::string_view text) {
  T value{};
  if (text.empty()) return std::nullopt;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

template <typename T>
std::optional<T> parse_decimal(std::string_view text) {
  T value{};
  if (text.empty()) return std::nullopt;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// "0100007F:1F90": the address as 32-bit words printed in host order, then the port.
bool parse_endpoint(std::string_view text, int family, std::array<uint8_t, 16>& address, uint16_t& port) {
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos) return false;
  const std::string_view hex = text.substr(0, colon);
  const size_t words = family == AF_INET ? 1 : 4;
  if (hex.size() != words * 8) return false;
  address.fill(0);
  for (size_t i = 0; i < words; ++i) {
    const auto word = parse_hex<uint32_t>(hex.substr(i * 8, 8));
    if (!word) return false;
    std::memcpy(address.data() + i * 4, &*word, 4);
  }
  const auto value = parse_hex<uint16_t>(text.substr(colon + 1));
  if (!value) return false;
  port = *value;
  return true;
}

}  // namespace

std::vector<SocketEntry> parse_proc_net_tcp(std::string_view text, int family, size_t* bad_lines) {
  std::vector<SocketEntry> entries;
  bool header = true;
  for (const auto line : split(text, '\n')) {
    if (header) {  // "  sl  local_address rem_address   st ..."
      header = false;
      continue;
    }
    if (trim(line).empty()) continue;
    std::vector<std::string_view> fields;
    for (const auto field : split(line, ' ')) {
      if (!field.empty()) fields.push_back(field);
    }
    SocketEntry entry;
    entry.family = family;
    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...
    const auto state = fields.size() >= 10 ? parse_hex<int>(fields[3]) : std::nullopt;
    const auto uid = fields.size() >= 10 ? parse_decimal<uint32_t>(fields[7]) : std::nullopt;
    const auto inode = fields.size() >= 10 ? parse_decimal<uint64_t>(fields[9]) : std::nullopt;
    if (!state || !uid || !inode || !parse_endpoint(fields[1], family, entry.local_address, entry.local_port) ||
        !parse_endpoint(fields[2], family, entry.remote_address, entry.remote_port)) {
      if (bad_lines) ++*bad_lines;
      continue;
    }
    entry.state = *state;
    entry.uid = *uid;
    entry.inode = *inode;
    entries.push_back(entry);
  }
  return entries;
}

std::vector<SocketEntry> read_tcp_sockets(const HostRoot& host, std::string_view net_dir) {
  std::vector<SocketEntry> all;
  const std::string dir(net_dir);
  if (const auto v4 = host.read_file(dir + "/tcp", 64 * 1024 * 1024)) all = parse_proc_net_tcp(*v4, AF_INET);
  if (const auto v6 = host.read_file(dir + "/tcp6", 64 * 1024 * 1024)) {
    auto more = parse_proc_net_tcp(*v6, AF_INET6);
    all.insert(all.end(), more.begin(), more.end());
  }
  return all;
}

std::optional<uint64_t> parse_socket_link(std::string_view target) {
  constexpr std::string_view kPrefix = "socket:[";
  if (!starts_with(target, kPrefix) || !ends_with(target, "]")) return std::nullopt;
  return parse_decimal<uint64_t>(target.substr(kPrefix.size(), target.size() - kPrefix.size() - 1));
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
