#include "collectors/network/connection_poller.h"

#include <dirent.h>
#include <pthread.h>

#include "collectors/process/proc_reader.h"
#include "pipeline/statistics.h"

namespace edgeguard {

ConnectionPoller::ConnectionPoller(const HostRoot& host, kernel::RecordSink& sink, std::chrono::milliseconds interval)
    : host_(host), sink_(sink), interval_(interval) {}

ConnectionPoller::~ConnectionPoller() { stop(); }

void ConnectionPoller::start() {
  stopping_ = false;
  poll_once();  // what exists now is not new
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "eg-connpoll");
    while (!stopping_) {
      const auto until = std::chrono::steady_clock::now() + interval_;
      while (!stopping_ && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      if (!stopping_) poll_once();
    }
  });
}

void ConnectionPoller::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

std::unordered_map<uint64_t, uint32_t> ConnectionPoller::socket_owners() const {
  std::unordered_map<uint64_t, uint32_t> owners;
  for (const uint32_t pid : list_proc_pids(host_)) {
    const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
    DIR* fds = ::opendir(host_.path(dir).c_str());
    if (!fds) continue;
    while (const dirent* entry = ::readdir(fds)) {
      if (entry->d_name[0] == '.') continue;
      char target[64];
      const ssize_t length =
          ::readlinkat(::dirfd(fds), entry->d_name, target, sizeof(target));
      if (length <= 0) continue;
      if (const auto inode = parse_socket_link(std::string_view(target, static_cast<size_t>(length)))) {
        owners.try_emplace(*inode, pid);
      }
    }
    ::closedir(fds);
  }
  return owners;
}

void ConnectionPoller::poll_once() {
  // The host's network namespace is init's.
  const auto sockets = read_tcp_sockets(host_, "/proc/1/net");
  std::unordered_set<uint32_t> listening;
  for (const auto& socket : sockets) {
    if (socket.state == kTcpListen) listening.insert(socket.local_port);
  }
  std::unordered_set<uint64_t> current;
  std::vector<const SocketEntry*> fresh;
  for (const auto& socket : sockets) {
    if (socket.state != kTcpEstablished || socket.inode == 0) continue;
    current.insert(socket.inode);
    if (primed_ && !seen_.count(socket.inode)) fresh.push_back(&socket);
  }
  seen_ = std::move(current);
  primed_ = true;
  if (fresh.empty()) return;

  const auto owners = socket_owners();
  const auto now = Clock::now();
  for (const SocketEntry* socket : fresh) {
    const auto owner = owners.find(socket->inode);
    if (owner == owners.end()) {
      // Its process closed it (or exited) between the two reads.
      sink_.lost(kernel::LostKind::Connection, drop_reason::kConnectionGone, 1);
      continue;
    }
    kernel::Connection record;
    record.direction = listening.count(socket->local_port) ? kernel::Direction::In : kernel::Direction::Out;
    record.family = socket->family;
    record.local_address = socket->local_address;
    record.remote_address = socket->remote_address;
    record.local_port = socket->local_port;
    record.remote_port = socket->remote_port;
    record.pid = owner->second;
    record.uid = socket->uid;
    record.time = now;
    sink_.connection(record);
  }
}

}  // namespace edgeguard
