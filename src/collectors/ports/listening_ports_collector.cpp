#include "collectors/ports/listening_ports_collector.h"

#include <net/if.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <set>
#include <tuple>
#include <unordered_set>

#include "collectors/common/host_file.h"
#include "collectors/common/snapshot_events.h"
#include "collectors/ports/proc_net.h"
#include "collectors/ports/sock_diag.h"
#include "core/log.h"
#include "core/strings.h"

namespace edgeguard {
namespace {

auto logger() { return log::get("collector.ports"); }

constexpr size_t kMaxLoggedProblems = 20;

struct Table {
  int family;
  Transport transport;
  const char* file;  // under /proc/net
};
constexpr Table kTables[] = {{AF_INET, Transport::Tcp, "tcp"},
                             {AF_INET6, Transport::Tcp, "tcp6"},
                             {AF_INET, Transport::Udp, "udp"},
                             {AF_INET6, Transport::Udp, "udp6"}};

uint32_t listening_states(Transport transport) {
  return transport == Transport::Tcp ? (1u << kStateListen) : (1u << kStateClose);
}

struct Collected {
  std::vector<SocketRecord> sockets;
  uint64_t unparsed = 0;  // socket records that could not be read, counted as dropped
  size_t tables_read = 0;  // none read: the collector fails rather than report "no sockets"
  std::vector<std::string> failures;
};

void read_proc_table(const HostRoot& host, const Table& table, Collected& out) {
  // /proc/net is a link to /proc/self/net: the namespace of whoever reads it. Under a host root
  // other than "/", init's table is the host's.
  std::string path = std::string("/proc/net/") + table.file;
  if (!host.is_real_root() && host.exists(std::string("/proc/1/net/") + table.file)) {
    path = std::string("/proc/1/net/") + table.file;
  }
  const auto file = read_host_file(host, path);
  if (!file.text) {
    if (file.error == ENOENT && table.family == AF_INET6) {
      // IPv6 switched off: nothing to miss, but no proof that the tables are readable either.
      logger()->debug("{} does not exist (IPv6 is off); no IPv6 {} sockets", file.where, to_string(table.transport));
      return;
    }
    out.failures.push_back(file.describe_error());
    return;
  }
  if (file.truncated) {
    logger()->error("{}: longer than {} bytes; the sockets after that are left out", file.where, kMaxHostFileBytes);
  }
  auto parsed = parse_proc_net(*file.text, table.transport, table.family);
  for (size_t i = 0; i < parsed.problems.size() && i < kMaxLoggedProblems; ++i) {
    logger()->error("{}:{}: {}; socket left out", file.where, parsed.problems[i].line, parsed.problems[i].message);
  }
  if (parsed.problems.size() > kMaxLoggedProblems) {
    logger()->error("{}: {} more unusable line(s) not shown", file.where, parsed.problems.size() - kMaxLoggedProblems);
  }
  ++out.tables_read;
  out.unparsed += parsed.problems.size();
  out.sockets.insert(out.sockets.end(), parsed.sockets.begin(), parsed.sockets.end());
}

Collected collect_sockets(const HostRoot& host) {
  Collected out;
  for (const auto& table : kTables) {
    if (!host.is_real_root()) {
      read_proc_table(host, table, out);
      continue;
    }
    try {
      auto dump = dump_sockets(table.family, table.transport, listening_states(table.transport));
      if (dump.malformed > 0) {
        logger()->error("netlink sock_diag: {} malformed {} message(s) skipped", dump.malformed,
                        to_string(table.transport));
      }
      ++out.tables_read;
      out.unparsed += dump.malformed;
      out.sockets.insert(out.sockets.end(), dump.sockets.begin(), dump.sockets.end());
    } catch (const CollectorError& error) {
      logger()->warn("{}; reading {} instead", error.what(), host.path(std::string("/proc/net/") + table.file).string());
      read_proc_table(host, table, out);
    }
  }
  return out;
}

std::string interface_name(uint32_t index) {
  char name[IF_NAMESIZE] = {};
  if (::if_indextoname(index, name)) return name;
  return std::to_string(index);
}

}  // namespace

std::vector<nlohmann::json> listening_port_payloads(const std::vector<SocketRecord>& sockets,
                                                    const std::unordered_map<uint64_t, SocketOwner>& owners) {
  std::vector<const SocketRecord*> listening;
  for (const auto& socket : sockets) {
    if (is_listening(socket)) listening.push_back(&socket);
  }
  const auto key = [](const SocketRecord* s) {
    return std::tuple(s->transport, s->local_port, s->family, s->local, s->interface_index, s->inode);
  };
  std::sort(listening.begin(), listening.end(), [&](const auto* a, const auto* b) { return key(a) < key(b); });

  std::vector<nlohmann::json> items;
  std::set<std::string> seen;
  for (const SocketRecord* socket : listening) {
    nlohmann::json item{{"Protocol", to_string(socket->transport)},
                        {"LocalAddress", local_address_text(*socket)},
                        {"LocalPort", std::to_string(socket->local_port)}};
    nlohmann::json extra{{"UserId", std::to_string(socket->uid)}};
    if (const auto owner = owners.find(socket->inode); socket->inode != 0 && owner != owners.end()) {
      extra["Pid"] = std::to_string(owner->second.pid);
      if (!owner->second.executable.empty()) extra["Executable"] = owner->second.executable;
      if (!owner->second.command.empty()) extra["CommandName"] = owner->second.command;
    }
    if (socket->interface_index != 0) extra["Interface"] = interface_name(socket->interface_index);
    item["ExtraDetails"] = std::move(extra);
    if (!seen.insert(item.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)).second) continue;
    items.push_back(std::move(item));
  }
  return items;
}

std::vector<Event> ListeningPortsCollector::collect(const CollectorContext& context) {
  Collected collected = collect_sockets(context.host);
  for (const auto& failure : collected.failures) logger()->error("ListeningPorts: {}", failure);
  if (collected.tables_read == 0) {
    throw CollectorError("ListeningPorts: no socket table could be read: " + join(collected.failures, "; "));
  }
  if (collected.unparsed > 0) {
    statistics_.dropped(context.config.priority_of("ListeningPorts"), drop_reason::kParseFailure, collected.unparsed);
  }
  std::unordered_set<uint64_t> inodes;
  for (const auto& socket : collected.sockets) {
    if (socket.inode != 0 && is_listening(socket)) inodes.insert(socket.inode);
  }
  const auto owners = find_socket_owners(context.host, inodes);
  return make_snapshot_events("ListeningPorts", listening_port_payloads(collected.sockets, owners),
                              context.config.effective_message_limit());
}

}  // namespace edgeguard
