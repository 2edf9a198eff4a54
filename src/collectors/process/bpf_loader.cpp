#include "collectors/process/bpf_loader.h"

#if EDGEGUARD_HAVE_BPF

#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <string>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "collectors/collector.h"

#ifdef __clang__
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Woverlength-strings"
#endif
#include "edgeguard.skel.h"
#ifdef __clang__
#pragma clang diagnostic pop
#endif

namespace edgeguard::kernel {
namespace {

// What the child sends back with the descriptors.
struct LoadReply {
  int32_t error = 0;  // errno-style; 0: loaded
  uint32_t data_bytes = 0;
  uint32_t bss_bytes = 0;
  char what[128] = {};     // the step that failed
  char libbpf[384] = {};   // libbpf's last warning
};

constexpr int kDescriptors = 8;

char g_last_warning[sizeof(LoadReply::libbpf)];

// Runs in the child only: keeps libbpf's last warning for the reply.
int remember_warning(enum libbpf_print_level level, const char* format, va_list args) {
  if (level != LIBBPF_WARN) return 0;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  std::vsnprintf(g_last_warning, sizeof(g_last_warning), format, args);
#pragma GCC diagnostic pop
  const size_t n = std::strlen(g_last_warning);
  if (n > 0 && g_last_warning[n - 1] == '\n') g_last_warning[n - 1] = '\0';
  return 0;
}

void send_reply(int socket, const LoadReply& reply, const int* fds, int count) {
  iovec data{const_cast<LoadReply*>(&reply), sizeof(reply)};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kDescriptors)] = {};
  msghdr message{};
  message.msg_iov = &data;
  message.msg_iovlen = 1;
  if (count > 0) {
    message.msg_control = control;
    message.msg_controllen = CMSG_SPACE(sizeof(int) * static_cast<size_t>(count));
    cmsghdr* header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int) * static_cast<size_t>(count));
    std::memcpy(CMSG_DATA(header), fds, sizeof(int) * static_cast<size_t>(count));
  }
  while (::sendmsg(socket, &message, MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
}

// The child: load, send the descriptors, exit without running the parent's exit handlers.
[[noreturn]] void load_and_send(int socket, const ProbeLoadOptions& options) {
  libbpf_set_print(remember_warning);
  LoadReply reply;
  const auto fail = [&](const char* what, int error) {
    reply.error = error < 0 ? -error : error;
    if (reply.error == 0) reply.error = EINVAL;
    std::snprintf(reply.what, sizeof(reply.what), "%s", what);
    std::snprintf(reply.libbpf, sizeof(reply.libbpf), "%s", g_last_warning);
    send_reply(socket, reply, nullptr, 0);
    ::_exit(0);
  };
  edgeguard_bpf* skeleton = edgeguard_bpf::open();
  if (!skeleton) fail("cannot open the BPF object", errno);
  skeleton->rodata->cfg_cgroup_subsys = options.cgroup_subsys;
  skeleton->rodata->cfg_nr_connect = options.nr_connect;
  skeleton->rodata->cfg_nr_accept = options.nr_accept;
  skeleton->rodata->cfg_nr_accept4 = options.nr_accept4;
  if (int error = bpf_map__set_max_entries(skeleton->maps.exec_scratch, options.cpus)) {
    fail("cannot size the exec scratch map", error);
  }
  if (int error = bpf_map__set_max_entries(skeleton->maps.events, options.ring_bytes)) {
    fail("cannot size the ring buffer", error);
  }
  if (int error = edgeguard_bpf::load(skeleton)) {
    fail("the kernel refused the BPF programs (needs Linux 5.8+ with BTF, CAP_BPF and CAP_PERFMON)", error);
  }
  const int fds[kDescriptors] = {
      bpf_program__fd(skeleton->progs.eg_exec), bpf_program__fd(skeleton->progs.eg_fork),
      bpf_program__fd(skeleton->progs.eg_exit), bpf_program__fd(skeleton->progs.eg_sys_exit),
      bpf_map__fd(skeleton->maps.events),       bpf_map__fd(skeleton->maps.drops),
      bpf_map__fd(skeleton->maps.data),         bpf_map__fd(skeleton->maps.bss)};
  reply.data_bytes = static_cast<uint32_t>(bpf_map__value_size(skeleton->maps.data));
  reply.bss_bytes = static_cast<uint32_t>(bpf_map__value_size(skeleton->maps.bss));
  send_reply(socket, reply, fds, kDescriptors);
  ::_exit(0);
}

size_t page_rounded(size_t bytes) {
  const auto page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  return (bytes + page - 1) / page * page;
}

}  // namespace

LoadedProbes::LoadedProbes(const ProbeLoadOptions& options) {
  for (int& fd : fds_) fd = -1;
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
    throw CollectorError(std::string("eBPF: cannot create the loader's socket: ") + std::strerror(errno));
  }
  const pid_t child = ::fork();
  if (child < 0) {
    const int error = errno;
    ::close(pair[0]);
    ::close(pair[1]);
    throw CollectorError(std::string("eBPF: cannot start the loader process: ") + std::strerror(error));
  }
  if (child == 0) {
    ::close(pair[0]);
    load_and_send(pair[1], options);
  }
  ::close(pair[1]);

  LoadReply reply;
  iovec data{&reply, sizeof(reply)};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kDescriptors)] = {};
  msghdr message{};
  message.msg_iov = &data;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof(control);
  ssize_t received;
  do {
    received = ::recvmsg(pair[0], &message, MSG_CMSG_CLOEXEC);
  } while (received < 0 && errno == EINTR);
  const int receive_error = errno;
  ::close(pair[0]);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }

  int count = 0;
  for (cmsghdr* header = CMSG_FIRSTHDR(&message); header; header = CMSG_NXTHDR(&message, header)) {
    if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) continue;
    count = static_cast<int>((header->cmsg_len - CMSG_LEN(0)) / sizeof(int));
    std::memcpy(fds_, CMSG_DATA(header), sizeof(int) * static_cast<size_t>(std::min(count, int{kSlots})));
  }
  if (received != static_cast<ssize_t>(sizeof(reply))) {
    release();
    std::string why = received < 0 ? std::strerror(receive_error)
                      : WIFSIGNALED(status) ? "it was killed by signal " + std::to_string(WTERMSIG(status))
                                            : "it exited with status " + std::to_string(WEXITSTATUS(status));
    throw CollectorError("eBPF: the loader process gave no answer: " + why);
  }
  if (reply.error != 0 || count != kSlots) {
    release();
    reply.what[sizeof(reply.what) - 1] = '\0';
    reply.libbpf[sizeof(reply.libbpf) - 1] = '\0';
    std::string text = std::string("eBPF: ") + reply.what + ": " + std::strerror(reply.error ? reply.error : EPROTO);
    if (reply.libbpf[0] != '\0') text += std::string(" (libbpf: ") + reply.libbpf + ")";
    throw CollectorError(text);
  }
  data_bytes_ = page_rounded(reply.data_bytes);
  bss_bytes_ = page_rounded(reply.bss_bytes);
  data_ = ::mmap(nullptr, data_bytes_, PROT_READ | PROT_WRITE, MAP_SHARED, fds_[kData], 0);
  bss_ = ::mmap(nullptr, bss_bytes_, PROT_READ | PROT_WRITE, MAP_SHARED, fds_[kBss], 0);
  if (data_ == MAP_FAILED || bss_ == MAP_FAILED || reply.data_bytes < sizeof(edgeguard_bpf::edgeguard_bpf__data) ||
      reply.bss_bytes < sizeof(edgeguard_bpf::edgeguard_bpf__bss)) {
    const int error = errno;
    release();
    throw CollectorError(std::string("eBPF: cannot map the programs' settings: ") + std::strerror(error));
  }
}

LoadedProbes::~LoadedProbes() { release(); }

void LoadedProbes::release() {
  if (data_ && data_ != MAP_FAILED) ::munmap(data_, data_bytes_);
  if (bss_ && bss_ != MAP_FAILED) ::munmap(bss_, bss_bytes_);
  data_ = bss_ = nullptr;
  for (int& fd : fds_) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
}

int LoadedProbes::attach(Probe probe) const {
  const int program = fds_[static_cast<int>(probe)];
  // BTF-typed tracepoints attach by program alone: the kernel knows the target from the load.
  const int link = bpf_raw_tracepoint_open(nullptr, program);
  return link >= 0 ? link : -errno;
}

volatile uint32_t& LoadedProbes::max_args() const {
  return static_cast<edgeguard_bpf::edgeguard_bpf__data*>(data_)->cfg_max_args;
}
volatile uint32_t& LoadedProbes::capture_exec() const {
  return static_cast<edgeguard_bpf::edgeguard_bpf__data*>(data_)->cfg_capture_exec;
}
volatile uint32_t& LoadedProbes::capture_conn() const {
  return static_cast<edgeguard_bpf::edgeguard_bpf__data*>(data_)->cfg_capture_conn;
}
volatile uint32_t& LoadedProbes::simulate_every() const {
  return static_cast<edgeguard_bpf::edgeguard_bpf__bss*>(bss_)->cfg_simulate_every;
}

}  // namespace edgeguard::kernel

#endif
