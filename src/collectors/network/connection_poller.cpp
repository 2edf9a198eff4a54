#include "collectors/network/connection_poller.h"

#include <pthread.h>

#include "collectors/ports/socket_owners.h"
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

void ConnectionPoller::poll_once() {
  // The host's network namespace is init's.
  const auto sockets = read_tcp_sockets(host_, "/proc/1/net");
  std::unordered_set<uint32_t> listening;
  for (const auto& socket : sockets) {
    if (socket.state == kStateListen) listening.insert(socket.local_port);
  }
  std::unordered_set<uint64_t> current;
  std::vector<const SocketRecord*> fresh;
  for (const auto& socket : sockets) {
    if (socket.state != kStateEstablished || socket.inode == 0) continue;
    current.insert(socket.inode);
    if (primed_ && !seen_.count(socket.inode)) fresh.push_back(&socket);
  }
  seen_ = std::move(current);
  primed_ = true;
  if (fresh.empty()) return;

  std::unordered_set<uint64_t> wanted;
  for (const SocketRecord* socket : fresh) wanted.insert(socket->inode);
  const auto owners = find_socket_owners(host_, wanted);
  const auto now = Clock::now();
  for (const SocketRecord* socket : fresh) {
    const auto owner = owners.find(socket->inode);
    if (owner == owners.end()) {
      // Its process closed it (or exited) between the two reads.
      sink_.lost(kernel::LostKind::Connection, drop_reason::kConnectionGone, 1);
      continue;
    }
    kernel::Connection record;
    record.direction = listening.count(socket->local_port) ? kernel::Direction::In : kernel::Direction::Out;
    record.family = socket->family;
    record.local_address = socket->local;
    record.remote_address = socket->remote;
    record.local_port = socket->local_port;
    record.remote_port = socket->remote_port;
    record.pid = static_cast<uint32_t>(owner->second.pid);
    record.uid = socket->uid;
    record.time = now;
    sink_.connection(record);
  }
}

}  // namespace edgeguard
