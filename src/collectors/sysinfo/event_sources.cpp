#include "collectors/sysinfo/event_sources.h"

#include <bpf/bpf.h>
#include <linux/audit.h>
#include <linux/bpf.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>

namespace edgeguard {
namespace {

constexpr const char* kAvailable = "available";

std::string unavailable(const std::string& why) { return "unavailable: " + why; }
std::string errno_text(int error) { return std::strerror(error); }

class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string probe_btf() {
  struct stat info {};
  if (::stat("/sys/kernel/btf/vmlinux", &info) != 0) return unavailable("/sys/kernel/btf/vmlinux: " + errno_text(errno));
  return kAvailable;
}

// libbpf's feature probes answer "not supported" for any failure, EPERM included, so the
// probe loads a two-instruction program and creates a ring buffer itself (through libbpf's
// thin wrappers, which return -errno) to tell "no permission" from "no kernel support".
std::string probe_ebpf() {
  const bpf_insn program[] = {
      {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0},  // r0 = 0
      {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},                   // return r0
  };
  std::string why;
  const int program_fd = bpf_prog_load(BPF_PROG_TYPE_TRACEPOINT, nullptr, "GPL", program, 2, nullptr);
  if (program_fd >= 0) {
    ::close(program_fd);
  } else {
    why = "tracepoint program: " + errno_text(-program_fd);
  }
  const int ring_fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, nullptr, 0, 0, static_cast<uint32_t>(::getpagesize()), nullptr);
  if (ring_fd >= 0) {
    ::close(ring_fd);
  } else {
    why += (why.empty() ? "" : "; ") + std::string("ring buffer map: ") + errno_text(-ring_fd);
  }
  return why.empty() ? kAvailable : unavailable(why);
}

void probe_audit(std::map<std::string, std::string>& out) {
  const Socket socket(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT));
  if (socket.get() < 0) {
    out["AuditNetlink"] = unavailable("socket(NETLINK_AUDIT): " + errno_text(errno));
    return;
  }
  const timeval timeout{1, 0};
  ::setsockopt(socket.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  nlmsghdr request{};
  request.nlmsg_len = NLMSG_LENGTH(0);
  request.nlmsg_type = AUDIT_GET;
  request.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  request.nlmsg_seq = 1;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(socket.get(), &request, request.nlmsg_len, 0, reinterpret_cast<const sockaddr*>(&kernel),
               sizeof(kernel)) < 0) {
    out["AuditNetlink"] = unavailable("AUDIT_GET: " + errno_text(errno));
    return;
  }
  // The reply and the acknowledgement may come in either order (the kernel sends the reply
  // from a worker); an error acknowledgement ends it.
  char buffer[8192];
  for (int received = 0; received < 4; ++received) {
    const ssize_t n = ::recv(socket.get(), buffer, sizeof(buffer), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      out["AuditNetlink"] = unavailable("no reply to AUDIT_GET: " + errno_text(errno));
      return;
    }
    const size_t length = static_cast<size_t>(n);
    size_t offset = 0;
    while (length - offset >= NLMSG_HDRLEN) {
      nlmsghdr header{};
      std::memcpy(&header, buffer + offset, sizeof(header));
      if (header.nlmsg_len < NLMSG_HDRLEN || header.nlmsg_len > length - offset) break;
      const char* payload = buffer + offset + NLMSG_HDRLEN;
      const size_t payload_size = header.nlmsg_len - NLMSG_HDRLEN;
      offset += std::min<size_t>(NLMSG_ALIGN(header.nlmsg_len), length - offset);
      if (header.nlmsg_type == NLMSG_ERROR) {
        if (payload_size < sizeof(nlmsgerr)) continue;
        nlmsgerr error{};
        std::memcpy(&error, payload, sizeof(error));
        if (error.error != 0) {
          out["AuditNetlink"] = unavailable("AUDIT_GET: " + errno_text(-error.error));
          return;
        }
      } else if (header.nlmsg_type == AUDIT_GET) {
        audit_status status{};  // older kernels send a shorter struct: the rest stays zero
        std::memcpy(&status, payload, std::min(payload_size, sizeof(status)));
        out["AuditNetlink"] = kAvailable;
        out["AuditEnabled"] = std::to_string(status.enabled);
        out["AuditDaemonPid"] = std::to_string(status.pid);
        return;
      }
    }
  }
  out["AuditNetlink"] = unavailable("no AUDIT_GET reply");
}

// Sends one PROC_CN_MCAST_{LISTEN,IGNORE} control message.
bool send_proc_connector_control(int fd, proc_cn_mcast_op operation) {
  nlmsghdr header{};
  header.nlmsg_len = static_cast<uint32_t>(NLMSG_LENGTH(sizeof(cn_msg) + sizeof(proc_cn_mcast_op)));
  header.nlmsg_type = NLMSG_DONE;
  cn_msg message{};
  message.id.idx = CN_IDX_PROC;
  message.id.val = CN_VAL_PROC;
  message.seq = 0;
  message.ack = 0;
  message.len = sizeof(proc_cn_mcast_op);
  alignas(nlmsghdr) char request[NLMSG_SPACE(sizeof(cn_msg) + sizeof(proc_cn_mcast_op))] = {};
  std::memcpy(request, &header, sizeof(header));
  std::memcpy(request + NLMSG_HDRLEN, &message, sizeof(message));
  std::memcpy(request + NLMSG_HDRLEN + sizeof(cn_msg), &operation, sizeof(operation));
  return ::send(fd, request, header.nlmsg_len, 0) >= 0;
}

// Asks for PROC_CN_MCAST_LISTEN and returns the kernel's answer: the error in its
// acknowledgement (0 = accepted), or nullopt when none came. The kernel ignores requests from
// outside the initial pid and user namespaces without answering.
std::optional<uint32_t> proc_connector_listen(int fd) {
  if (!send_proc_connector_control(fd, PROC_CN_MCAST_LISTEN)) return std::nullopt;
  // Other listeners' events and acknowledgements share the group: look for ours, briefly.
  alignas(nlmsghdr) char buffer[8192];
  // The kernel queues the acknowledgement before send() returns; the wait only covers
  // other listeners' traffic in between.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
  while (std::chrono::steady_clock::now() < deadline) {
    const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::nullopt;  // timed out (SO_RCVTIMEO)
    }
    const size_t length = static_cast<size_t>(n);
    if (length < NLMSG_HDRLEN + sizeof(cn_msg) + sizeof(proc_event)) continue;
    cn_msg reply{};
    std::memcpy(&reply, buffer + NLMSG_HDRLEN, sizeof(reply));
    // The kernel answers with ack = our ack + 1 but replaces seq with its own event counter.
    if (reply.id.idx != CN_IDX_PROC || reply.id.val != CN_VAL_PROC || reply.ack != 1) {
      continue;
    }
    proc_event event{};
    std::memcpy(&event, buffer + NLMSG_HDRLEN + sizeof(cn_msg), sizeof(event));
    if (event.what != proc_event::PROC_EVENT_NONE) continue;
    return event.event_data.ack.err;
  }
  return std::nullopt;
}

std::string probe_proc_connector() {
  const Socket socket(::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR));
  if (socket.get() < 0) return unavailable("socket(NETLINK_CONNECTOR): " + errno_text(errno));
  sockaddr_nl address{};
  address.nl_family = AF_NETLINK;
  address.nl_groups = CN_IDX_PROC;
  if (::bind(socket.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    return unavailable("bind to CN_IDX_PROC: " + errno_text(errno));
  }
  const timeval timeout{0, 50 * 1000};
  ::setsockopt(socket.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  const auto listen = proc_connector_listen(socket.get());
  if (!listen) return unavailable("PROC_CN_MCAST_LISTEN not acknowledged (outside the initial pid or user namespace?)");
  if (*listen != 0) return unavailable("PROC_CN_MCAST_LISTEN: " + errno_text(static_cast<int>(*listen)));
  // Balance the listener count the kernel keeps (kernels before 6.6 do not drop it on close).
  // Not waited for: from 6.6 on, a socket set to IGNORE is no longer sent acknowledgements.
  send_proc_connector_control(socket.get(), PROC_CN_MCAST_IGNORE);
  return kAvailable;
}

}  // namespace

std::map<std::string, std::string> probe_kernel_event_sources() {
  std::map<std::string, std::string> out;
  out["KernelBtf"] = probe_btf();
  out["Ebpf"] = probe_ebpf();
  probe_audit(out);
  out["ProcConnector"] = probe_proc_connector();
  return out;
}

}  // namespace edgeguard
