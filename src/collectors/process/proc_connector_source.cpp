// The last-resort source: the netlink proc connector (CONFIG_PROC_EVENTS) says which pid forked,
// exec'd or exited; everything else is read from /proc right away. A process that exits before
// its /proc entry is read is lost (and counted). Connections come from polling the socket tables.
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <pthread.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "collectors/collector.h"
#include "collectors/network/connection_poller.h"
#include "collectors/process/kernel_source.h"
#include "collectors/process/proc_reader.h"
#include "core/log.h"
#include "pipeline/statistics.h"

namespace edgeguard::kernel {
namespace {

constexpr int kPollMilliseconds = 200;
constexpr auto kConnectionPollInterval = std::chrono::milliseconds(500);
constexpr int kReceiveBuffer = 8 * 1024 * 1024;

std::shared_ptr<spdlog::logger> logger() { return log::get("collector.kernel.procconnector"); }

class ProcConnectorSource final : public KernelSource {
 public:
  explicit ProcConnectorSource(const HostRoot& host) : host_(host) {}
  ~ProcConnectorSource() override { stop(); }

  std::string_view name() const override { return "procconnector"; }
  std::string describe() const override {
    return "netlink proc connector with /proc, connections polled every " +
           std::to_string(kConnectionPollInterval.count()) + " ms";
  }

  void start(RecordSink& sink, const SourceSettings& settings) override {
    sink_ = &sink;
    fd_ = ::socket(PF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR);
    if (fd_ < 0) {
      throw CollectorError(std::string("procconnector: cannot open the connector socket: ") + std::strerror(errno));
    }
    sockaddr_nl address{};
    address.nl_family = AF_NETLINK;
    address.nl_groups = CN_IDX_PROC;
    address.nl_pid = 0;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
      const int error = errno;
      close_socket();
      throw CollectorError(std::string("procconnector: cannot join the proc connector group: ") + std::strerror(error) +
                           " (needs CONFIG_PROC_EVENTS and CAP_NET_ADMIN)");
    }
    int buffer = kReceiveBuffer;
    if (::setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &buffer, sizeof(buffer)) != 0) {
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof(buffer));
    }
    if (const int error = send_operation(PROC_CN_MCAST_LISTEN)) {
      close_socket();
      throw CollectorError(std::string("procconnector: cannot subscribe to process events: ") + std::strerror(error));
    }
    {
      std::lock_guard lock(mutex_);
      settings_ = settings;
    }
    stopping_ = false;
    thread_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "eg-procconn");
      run();
    });
    update_poller(settings.connections);
    logger()->info("proc connector source started ({})", describe());
  }

  void stop() override {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
    if (poller_) poller_->stop();
    poller_.reset();
    if (fd_ >= 0) send_operation(PROC_CN_MCAST_IGNORE);
    close_socket();
  }

  void configure(const SourceSettings& settings) override {
    {
      std::lock_guard lock(mutex_);
      settings_ = settings;
    }
    update_poller(settings.connections);
  }

 private:
  void close_socket() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  void update_poller(bool wanted) {
    std::lock_guard lock(poller_mutex_);
    if (wanted && !poller_) {
      poller_ = std::make_unique<ConnectionPoller>(host_, *sink_, kConnectionPollInterval);
      poller_->start();
    } else if (!wanted && poller_) {
      poller_->stop();
      poller_.reset();
    }
  }

  int send_operation(proc_cn_mcast_op operation) {
    char message[NLMSG_SPACE(sizeof(cn_msg) + sizeof(proc_cn_mcast_op))] = {};
    nlmsghdr header{};
    header.nlmsg_len = NLMSG_LENGTH(sizeof(cn_msg) + sizeof(operation));
    header.nlmsg_type = NLMSG_DONE;
    header.nlmsg_pid = 0;
    cn_msg cn{};
    cn.id.idx = CN_IDX_PROC;
    cn.id.val = CN_VAL_PROC;
    cn.len = sizeof(operation);
    std::memcpy(message, &header, sizeof(header));
    std::memcpy(message + NLMSG_HDRLEN, &cn, sizeof(cn));
    std::memcpy(message + NLMSG_HDRLEN + sizeof(cn), &operation, sizeof(operation));
    if (::send(fd_, message, header.nlmsg_len, 0) < 0) return errno;
    return 0;
  }

  void run() {
    // On the heap of this thread only: a thread_local array would be zeroed in every thread.
    std::vector<char> storage(1 << 16);
    char* buffer = storage.data();
    while (!stopping_) {
      pollfd pfd{fd_, POLLIN, 0};
      if (::poll(&pfd, 1, kPollMilliseconds) <= 0) continue;
      for (int i = 0; i < 4096 && !stopping_; ++i) {
        const ssize_t n = ::recv(fd_, buffer, storage.size(), MSG_DONTWAIT);
        if (n < 0) {
          if (errno == EAGAIN || errno == EINTR) break;
          if (errno == ENOBUFS) {
            // The socket overflowed: some process events were dropped (how many is not said).
            sink_->lost(LostKind::Process, drop_reason::kKernelBuffer, 1);
            logger()->warn("procconnector: the receive buffer overflowed; process events were lost");
            continue;
          }
          logger()->error("procconnector: reading events failed: {}", std::strerror(errno));
          break;
        }
        handle(buffer, static_cast<size_t>(n));
      }
    }
  }

  void handle(const char* data, size_t size) {
    // Copied out rather than cast in place: the buffer has no alignment guarantee.
    size_t offset = 0;
    while (offset + NLMSG_HDRLEN <= size) {
      nlmsghdr header{};
      std::memcpy(&header, data + offset, sizeof(header));
      if (header.nlmsg_len < NLMSG_HDRLEN || offset + header.nlmsg_len > size) {
        sink_->lost(LostKind::Unknown, drop_reason::kParseFailure, 1);
        return;
      }
      const char* payload = data + offset + NLMSG_HDRLEN;
      const size_t payload_size = header.nlmsg_len - NLMSG_HDRLEN;
      offset += NLMSG_ALIGN(header.nlmsg_len);
      if (header.nlmsg_type == NLMSG_ERROR || header.nlmsg_type == NLMSG_NOOP) continue;
      if (payload_size < sizeof(cn_msg) + offsetof(proc_event, event_data)) {
        sink_->lost(LostKind::Unknown, drop_reason::kParseFailure, 1);
        continue;
      }
      proc_event event{};
      std::memcpy(&event, payload + sizeof(cn_msg), std::min(sizeof(event), payload_size - sizeof(cn_msg)));
      handle_event(event);
    }
  }

  void handle_event(const proc_event& event) {
    switch (event.what) {
      case proc_event::PROC_EVENT_FORK: {
        const auto& fork = event.event_data.fork;
        if (fork.child_pid != fork.child_tgid) return;  // a thread
        sink_->fork(ProcessFork{static_cast<uint32_t>(fork.child_tgid), static_cast<uint32_t>(fork.parent_tgid), 0, 0});
        return;
      }
      case proc_event::PROC_EVENT_EXIT: {
        const auto& exit = event.event_data.exit;
        if (exit.process_pid != exit.process_tgid) return;
        sink_->exit(ProcessExit{static_cast<uint32_t>(exit.process_tgid), 0});
        return;
      }
      case proc_event::PROC_EVENT_EXEC: handle_exec(static_cast<uint32_t>(event.event_data.exec.process_tgid)); return;
      default: return;
    }
  }

  void handle_exec(uint32_t pid) {
    SourceSettings settings;
    {
      std::lock_guard lock(mutex_);
      settings = settings_;
    }
    if (!settings.processes && !settings.connections) return;
    if (settings.simulate_drop_every != 0 && ++simulated_seen_ % settings.simulate_drop_every == 0) {
      sink_->lost(LostKind::Process, drop_reason::kSimulated, 1);
      return;
    }
    auto process = read_proc_process(host_, pid, settings.max_argument_bytes);
    if (!process || process->executable.empty()) {
      // It exited (or exec'd again) before /proc could be read: what it ran is unknown.
      sink_->lost(LostKind::Process, drop_reason::kProcessGone, 1);
      return;
    }
    ProcessExec record;
    record.pid = pid;
    record.ppid = process->ppid;
    record.uid = process->uid;
    record.euid = process->euid;
    record.start = process->start;
    record.executable = std::move(process->executable);
    record.arguments = std::move(process->arguments);
    record.arguments_cut = process->arguments_cut;
    record.proc_cgroup = std::move(process->cgroup);
    record.time = Clock::now();
    sink_->exec(record);
  }

  const HostRoot& host_;
  RecordSink* sink_ = nullptr;
  int fd_ = -1;
  std::mutex mutex_;
  SourceSettings settings_;
  uint64_t simulated_seen_ = 0;
  std::mutex poller_mutex_;
  std::unique_ptr<ConnectionPoller> poller_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace

std::unique_ptr<KernelSource> make_proc_connector_source(const HostRoot& host) {
  return std::make_unique<ProcConnectorSource>(host);
}

}  // namespace edgeguard::kernel
