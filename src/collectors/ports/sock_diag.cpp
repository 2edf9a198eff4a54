#include "collectors/ports/sock_diag.h"

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "collectors/collector.h"

namespace edgeguard {
namespace {

constexpr size_t kHeaderSize = sizeof(nlmsghdr);
constexpr size_t kReceiveBuffer = 64 * 1024;
constexpr int kMaxAttempts = 3;  // dumps interrupted by a concurrent table change are repeated

// A negative errno from the kernel; anything out of errno's range (INT_MIN included, which
// cannot even be negated) is a protocol error.
int errno_of(int32_t negative) { return negative < 0 && negative > -4096 ? -negative : EPROTO; }

size_t aligned(size_t length) { return (length + NLMSG_ALIGNTO - 1) & ~static_cast<size_t>(NLMSG_ALIGNTO - 1); }

std::string describe(int family, Transport transport) {
  return std::string("netlink sock_diag dump of ") + (family == AF_INET6 ? "IPv6 " : "IPv4 ") +
         std::string(to_string(transport)) + " sockets";
}

class Descriptor {
 public:
  explicit Descriptor(int fd) : fd_(fd) {}
  ~Descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

std::vector<uint8_t> sock_diag_request(int family, Transport transport, uint32_t states, uint32_t sequence) {
  inet_diag_req_v2 request{};
  request.sdiag_family = static_cast<uint8_t>(family);
  request.sdiag_protocol = transport == Transport::Tcp ? IPPROTO_TCP : IPPROTO_UDP;
  request.idiag_states = states;
  nlmsghdr header{};
  header.nlmsg_len = static_cast<uint32_t>(NLMSG_LENGTH(sizeof(request)));
  header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  header.nlmsg_seq = sequence;
  std::vector<uint8_t> bytes(header.nlmsg_len, 0);
  std::memcpy(bytes.data(), &header, sizeof(header));
  std::memcpy(bytes.data() + NLMSG_HDRLEN, &request, sizeof(request));
  return bytes;
}

SockDiagBatch parse_sock_diag_reply(std::span<const uint8_t> bytes, Transport transport, uint32_t sequence) {
  SockDiagBatch batch;
  const auto malformed = [&](std::string what) {
    ++batch.malformed;
    if (batch.problem.empty()) batch.problem = std::move(what);
  };
  size_t offset = 0;
  while (bytes.size() - offset >= kHeaderSize) {
    nlmsghdr header{};
    std::memcpy(&header, bytes.data() + offset, kHeaderSize);
    if (header.nlmsg_len < kHeaderSize || header.nlmsg_len > bytes.size() - offset) {
      malformed("netlink message length " + std::to_string(header.nlmsg_len) + " at offset " + std::to_string(offset) +
                " does not fit the " + std::to_string(bytes.size()) + "-byte reply");
      return batch;  // no way to find the next message
    }
    static_assert(NLMSG_HDRLEN == kHeaderSize);
    const auto payload = bytes.subspan(offset + NLMSG_HDRLEN, header.nlmsg_len - NLMSG_HDRLEN);
    offset += std::min(aligned(header.nlmsg_len), bytes.size() - offset);
    if (header.nlmsg_seq != sequence) continue;
    if (header.nlmsg_flags & NLM_F_DUMP_INTR) batch.interrupted = true;

    if (header.nlmsg_type == NLMSG_DONE) {
      batch.done = true;
      int32_t status = 0;
      if (payload.size() >= sizeof(status)) std::memcpy(&status, payload.data(), sizeof(status));
      if (status < 0) batch.error = errno_of(status);
      return batch;
    }
    if (header.nlmsg_type == NLMSG_ERROR) {
      int32_t error = 0;
      if (payload.size() < sizeof(error)) {
        malformed("NLMSG_ERROR without an error code");
        batch.error = EPROTO;
      } else {
        std::memcpy(&error, payload.data(), sizeof(error));
        batch.error = error < 0 ? errno_of(error) : (error == 0 ? 0 : EPROTO);
      }
      batch.done = true;
      return batch;
    }
    if (header.nlmsg_type != SOCK_DIAG_BY_FAMILY) {
      malformed("unexpected netlink message type " + std::to_string(header.nlmsg_type));
      continue;
    }
    inet_diag_msg message{};
    if (payload.size() < sizeof(message)) {
      malformed("inet_diag_msg of " + std::to_string(payload.size()) + " bytes, expected " +
                std::to_string(sizeof(message)));
      continue;
    }
    std::memcpy(&message, payload.data(), sizeof(message));
    if (message.idiag_family != AF_INET && message.idiag_family != AF_INET6) {
      malformed("inet_diag_msg of address family " + std::to_string(message.idiag_family));
      continue;
    }
    SocketRecord socket;
    socket.transport = transport;
    socket.family = message.idiag_family;
    socket.state = message.idiag_state;
    const size_t address_size = socket.family == AF_INET6 ? 16 : 4;
    std::memcpy(socket.local.data(), message.id.idiag_src, address_size);
    std::memcpy(socket.remote.data(), message.id.idiag_dst, address_size);
    socket.local_port = ntohs(message.id.idiag_sport);
    socket.remote_port = ntohs(message.id.idiag_dport);
    socket.interface_index = message.id.idiag_if;
    socket.uid = message.idiag_uid;
    socket.inode = message.idiag_inode;
    batch.sockets.push_back(socket);
  }
  if (offset != bytes.size()) malformed(std::to_string(bytes.size() - offset) + " trailing byte(s) after the last message");
  return batch;
}

SockDiagDump dump_sockets(int family, Transport transport, uint32_t states) {
  const Descriptor socket(::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
  if (socket.get() < 0) throw CollectorError(describe(family, transport) + ": socket: " + std::strerror(errno));
  const timeval timeout{5, 0};
  ::setsockopt(socket.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  std::vector<uint8_t> buffer(kReceiveBuffer);
  for (int attempt = 1;; ++attempt) {
    const auto sequence = static_cast<uint32_t>(attempt);
    const auto request = sock_diag_request(family, transport, states, sequence);
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    if (::sendto(socket.get(), request.data(), request.size(), 0, reinterpret_cast<const sockaddr*>(&kernel),
                 sizeof(kernel)) < 0) {
      throw CollectorError(describe(family, transport) + ": send: " + std::strerror(errno));
    }
    SockDiagDump dump;
    bool interrupted = false;
    while (true) {
      const ssize_t n = ::recv(socket.get(), buffer.data(), buffer.size(), MSG_TRUNC);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw CollectorError(describe(family, transport) + ": receive: " + std::strerror(errno));
      }
      if (static_cast<size_t>(n) > buffer.size()) {
        throw CollectorError(describe(family, transport) + ": a " + std::to_string(n) + "-byte reply exceeds the " +
                             std::to_string(buffer.size()) + "-byte buffer");
      }
      auto batch = parse_sock_diag_reply(std::span<const uint8_t>(buffer.data(), static_cast<size_t>(n)), transport,
                                         sequence);
      dump.malformed += batch.malformed;
      interrupted = interrupted || batch.interrupted;
      dump.sockets.insert(dump.sockets.end(), batch.sockets.begin(), batch.sockets.end());
      if (batch.error != 0) {
        throw CollectorError(describe(family, transport) + ": " + std::strerror(batch.error));
      }
      if (batch.done) break;
    }
    if (!interrupted) return dump;
    if (attempt >= kMaxAttempts) return dump;  // still consistent per socket; the set may be a moment stale
  }
}

}  // namespace edgeguard
