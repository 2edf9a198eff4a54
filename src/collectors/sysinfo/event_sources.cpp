#include "collectors/sysinfo/event_sources.h"

#include <bpf/libbpf.h>
#include <linux/audit.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

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

std::string probe_ebpf() {
  const int program = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_TRACEPOINT, nullptr);
  const int ring_buffer = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, nullptr);
  if (program == 1 && ring_buffer == 1) return kAvailable;
  std::string why;
  const auto describe = [&](const char* what, int result) {
    if (result == 1) return;
    if (!why.empty()) why += "; ";
    why += std::string(what) + (result == 0 ? " not supported by the kernel" : ": " + errno_text(-result));
  };
  describe("tracepoint programs", program);
  describe("ring buffer maps", ring_buffer);
  return unavailable(why);
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
  alignas(nlmsghdr) char buffer[8192];
  for (int received = 0; received < 4; ++received) {
    const ssize_t n = ::recv(socket.get(), buffer, sizeof(buffer), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      out["AuditNetlink"] = unavailable("no reply to AUDIT_GET: " + errno_text(errno));
      return;
    }
    size_t left = static_cast<size_t>(n);
    for (auto* header = reinterpret_cast<nlmsghdr*>(buffer); NLMSG_OK(header, left); header = NLMSG_NEXT(header, left)) {
      if (header->nlmsg_type == NLMSG_ERROR) {
        if (header->nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr))) continue;
        nlmsgerr error{};
        std::memcpy(&error, NLMSG_DATA(header), sizeof(error));
        if (error.error != 0) {
          out["AuditNetlink"] = unavailable("AUDIT_GET: " + errno_text(-error.error));
          return;
        }
      } else if (header->nlmsg_type == AUDIT_GET) {
        audit_status status{};
        const size_t size = header->nlmsg_len - NLMSG_LENGTH(0);
        std::memcpy(&status, NLMSG_DATA(header), std::min(size, sizeof(status)));
        out["AuditNetlink"] = kAvailable;
        out["AuditEnabled"] = std::to_string(status.enabled);
        out["AuditDaemonPid"] = std::to_string(status.pid);
        return;
      }
    }
  }
  out["AuditNetlink"] = unavailable("no AUDIT_GET reply");
}

std::string probe_proc_connector() {
  const Socket socket(::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR));
  if (socket.get() < 0) return unavailable("socket(NETLINK_CONNECTOR): " + errno_text(errno));
  sockaddr_nl address{};
  address.nl_family = AF_NETLINK;
  address.nl_groups = CN_IDX_PROC;
  // Binding to the group proves the connector and the permission; listening is not switched
  // on (no PROC_CN_MCAST_LISTEN), so the kernel starts no event flow for this probe.
  if (::bind(socket.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    return unavailable("bind to CN_IDX_PROC: " + errno_text(errno));
  }
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
