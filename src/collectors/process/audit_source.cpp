// The Linux audit source, for kernels without usable eBPF. Beside a running auditd it reads the
// read-only multicast group (kernel 3.16+) and leaves auditd's settings alone; without one it
// registers as the audit daemon (unicast) and raises the backlog. Either way it adds only the
// rules it needs, tagged with its key, and removes them on exit.
#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <pthread.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <thread>

#include "collectors/collector.h"
#include "collectors/network/socket_table.h"
#include "collectors/process/audit_netlink.h"
#include "collectors/process/audit_record.h"
#include "collectors/process/kernel_source.h"
#include "core/log.h"
#include "pipeline/statistics.h"

namespace edgeguard::kernel {
namespace {

constexpr const char* kRuleKey = "edgeguard";
constexpr uint32_t kBacklogLimit = 65536;       // records the kernel may queue for us
constexpr int kReceiveBuffer = 32 * 1024 * 1024;  // bytes
constexpr int kPollMilliseconds = 200;

std::shared_ptr<spdlog::logger> logger() { return log::get("collector.kernel.audit"); }

std::string errno_text(int error) { return std::strerror(error < 0 ? -error : error); }

bool is_exec(long number) {
  return number == SYS_execve
#ifdef SYS_execveat
         || number == SYS_execveat
#endif
      ;
}
bool is_connect(long number) { return number == SYS_connect; }
bool is_accept(long number) { return number == SYS_accept || number == SYS_accept4; }

class AuditSource final : public KernelSource {
 public:
  explicit AuditSource(const HostRoot& host)
      : host_(host), assembler_([this](audit::AuditEvent& event) { on_event(event); }, 4096) {}
  ~AuditSource() override { stop(); }

  std::string_view name() const override { return "audit"; }

  std::string describe() const override {
    return (unicast_ ? std::string("audit netlink, registered as the audit daemon")
                     : "audit netlink, multicast beside auditd (pid " + std::to_string(auditd_pid_) + ")") +
           ", backlog limit " + std::to_string(backlog_limit_);
  }

  void start(RecordSink& sink, const SourceSettings& settings) override {
    sink_ = &sink;
    try {
      control_ = std::make_unique<audit::AuditSocket>();
      events_ = std::make_unique<audit::AuditSocket>();
    } catch (const std::system_error& error) {
      throw CollectorError(std::string("audit: cannot open the audit netlink socket: ") + error.what());
    }
    int error = 0;
    const auto status = control_->status(&error);
    if (!status) {
      throw CollectorError("audit: the kernel did not answer AUDIT_GET: " + errno_text(error) +
                           " (needs CONFIG_AUDIT, CAP_AUDIT_CONTROL and the initial user and pid namespace)");
    }
    if (status->enabled == 2) {
      throw CollectorError("audit: the audit configuration is locked (enabled=2, auditctl -e 2); rules cannot be added");
    }
    lost_seen_ = status->lost;
    auditd_pid_ = status->pid;
    events_->set_receive_buffer(kReceiveBuffer);
    if (status->pid != 0) {
      if (const int join = events_->join_multicast()) {
        throw CollectorError("audit: auditd (pid " + std::to_string(status->pid) +
                             ") owns the audit stream and the multicast group cannot be joined: " + errno_text(join) +
                             " (needs kernel 3.16+ and CAP_AUDIT_READ)");
      }
      unicast_ = false;
    } else {
      // No audit daemon: we are it. The stream comes to the socket that registers.
      audit_status set{};
      set.mask = AUDIT_STATUS_PID;
      set.pid = static_cast<uint32_t>(::getpid());
      if (const int refused = events_->set_status(set)) {
        throw CollectorError("audit: cannot register as the audit daemon (AUDIT_SET pid): " + errno_text(refused));
      }
      unicast_ = true;
    }
    adjust_kernel_settings(*status);
    {
      std::lock_guard lock(mutex_);
      settings_ = settings;
      assembler_.set_max_argument_bytes(settings.max_argument_bytes);
      update_rules(settings);
    }
    stopping_ = false;
    thread_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "eg-audit");
      run();
    });
    logger()->info("audit source started ({})", describe());
  }

  void stop() override {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
    std::lock_guard lock(mutex_);
    if (!control_) return;
    remove_rules();
    restore_kernel_settings();
    if (unicast_) {
      audit_status release{};
      release.mask = AUDIT_STATUS_PID;
      release.pid = 0;
      if (const int error = events_->set_status(release)) {
        logger()->error("audit: could not give the audit stream back: {}", errno_text(error));
      }
      unicast_ = false;
    }
    events_.reset();
    control_.reset();
  }

  void configure(const SourceSettings& settings) override {
    std::lock_guard lock(mutex_);
    if (!control_) return;
    settings_ = settings;
    assembler_.set_max_argument_bytes(settings.max_argument_bytes);
    update_rules(settings);
  }

 private:
  // Auditing must be on for the rules to fire, and the backlog deep enough for an exec storm.
  // What we change is put back at exit, unless someone (auditctl) changed it again meanwhile.
  void adjust_kernel_settings(const audit_status& status) {
    audit_status set{};
    if (status.enabled == 0) {
      set.mask |= AUDIT_STATUS_ENABLED;
      set.enabled = 1;
    }
    if (status.backlog_limit < kBacklogLimit) {
      set.mask |= AUDIT_STATUS_BACKLOG_LIMIT;
      set.backlog_limit = kBacklogLimit;
    }
    backlog_limit_ = std::max(status.backlog_limit, kBacklogLimit);
    if (set.mask == 0) return;
    if (const int error = control_->set_status(set)) {
      logger()->warn("audit: cannot enable auditing or raise the backlog limit to {}: {}", kBacklogLimit,
                     errno_text(error));
      return;
    }
    changed_ = set;
    original_ = status;
    if (set.mask & AUDIT_STATUS_ENABLED) logger()->info("audit: auditing was disabled; enabled it until exit");
    if (set.mask & AUDIT_STATUS_BACKLOG_LIMIT) {
      logger()->info("audit: raised the backlog limit from {} to {} until exit", status.backlog_limit, kBacklogLimit);
    }
  }

  void restore_kernel_settings() {
    if (changed_.mask == 0) return;
    const auto now = control_->status();
    audit_status restore{};
    if ((changed_.mask & AUDIT_STATUS_ENABLED) && now && now->enabled == changed_.enabled) {
      restore.mask |= AUDIT_STATUS_ENABLED;
      restore.enabled = original_.enabled;
    }
    if ((changed_.mask & AUDIT_STATUS_BACKLOG_LIMIT) && now && now->backlog_limit == changed_.backlog_limit) {
      restore.mask |= AUDIT_STATUS_BACKLOG_LIMIT;
      restore.backlog_limit = original_.backlog_limit;
    }
    changed_ = {};
    if (restore.mask == 0) return;
    if (const int error = control_->set_status(restore)) {
      logger()->error("audit: could not restore the kernel's audit settings: {}", errno_text(error));
    }
  }

  std::vector<std::pair<std::string, audit::AuditRule>> wanted_rules(const SourceSettings& settings) const {
    std::vector<std::pair<std::string, audit::AuditRule>> rules;
    // Exec records also name the processes behind connections.
    if (settings.processes || settings.connections) {
      std::vector<int> exec = {SYS_execve};
#ifdef SYS_execveat
      exec.push_back(SYS_execveat);
#endif
      rules.emplace_back("exec", audit::AuditRule(exec, kRuleKey).success());
    }
    if (settings.connections) {
      rules.emplace_back("connect", audit::AuditRule({SYS_connect}, kRuleKey).success());
      // A non-blocking connect returns EINPROGRESS, yet the connection is under way.
      rules.emplace_back("connect-inprogress", audit::AuditRule({SYS_connect}, kRuleKey).exit_equals(-EINPROGRESS));
      rules.emplace_back("accept", audit::AuditRule({SYS_accept, SYS_accept4}, kRuleKey).success());
    }
    return rules;
  }

  void update_rules(const SourceSettings& settings) {
    const auto wanted = wanted_rules(settings);
    // Remove rules no longer wanted.
    for (auto it = installed_.begin(); it != installed_.end();) {
      bool keep = false;
      for (const auto& [name, rule] : wanted) keep = keep || name == it->first;
      if (keep) {
        ++it;
        continue;
      }
      delete_rule(it->first, it->second);
      it = installed_.erase(it);
    }
    for (const auto& [name, rule] : wanted) {
      bool present = false;
      for (const auto& [installed_name, installed_rule] : installed_) present = present || installed_name == name;
      if (present) continue;
      const auto bytes = rule.bytes();
      const int error = control_->request(AUDIT_ADD_RULE, bytes.data(), bytes.size());
      if (error != 0 && error != -EEXIST) {
        logger()->error("audit: cannot add rule {}: {}", rule.describe(), errno_text(error));
        continue;
      }
      // EEXIST: a rule with our key left by an earlier run that could not clean up; it is ours.
      logger()->debug("audit: rule {} {}", rule.describe(), error == -EEXIST ? "was already there" : "added");
      installed_.emplace_back(name, rule);
    }
  }

  void delete_rule(const std::string&, const audit::AuditRule& rule) {
    const auto bytes = rule.bytes();
    if (const int error = control_->request(AUDIT_DEL_RULE, bytes.data(), bytes.size()); error != 0 && error != -ENOENT) {
      logger()->error("audit: cannot remove rule {}: {}", rule.describe(), errno_text(error));
    }
  }

  void remove_rules() {
    for (const auto& [name, rule] : installed_) delete_rule(name, rule);
    installed_.clear();
  }

  void run() {
    // Records come one per datagram (several per exec): take them by the batch, one system
    // call and one lock for up to kBatch records.
    constexpr size_t kBatch = 32;
    constexpr size_t kRecordMax = 10 * 1024;  // the kernel caps a record at 8970 bytes
    std::vector<char> storage(kBatch * kRecordMax);
    std::array<iovec, kBatch> vectors{};
    std::array<mmsghdr, kBatch> messages{};
    auto last_check = std::chrono::steady_clock::now();
    while (!stopping_) {
      pollfd pfd{events_->fd(), POLLIN, 0};
      const int ready = ::poll(&pfd, 1, kPollMilliseconds);
      if (ready > 0) {
        // Drain what is queued before looking at anything else.
        for (int round = 0; round < 256 && !stopping_; ++round) {
          for (size_t i = 0; i < kBatch; ++i) {
            vectors[i] = iovec{storage.data() + i * kRecordMax, kRecordMax};
            messages[i] = mmsghdr{};
            messages[i].msg_hdr.msg_iov = &vectors[i];
            messages[i].msg_hdr.msg_iovlen = 1;
          }
          const int received = ::recvmmsg(events_->fd(), messages.data(), kBatch, MSG_DONTWAIT, nullptr);
          if (received < 0) {
            if (errno == EAGAIN || errno == EINTR) break;
            if (errno == ENOBUFS) {
              // Our receive buffer overflowed: the kernel dropped records for us (how many is
              // not said; at least one event).
              std::lock_guard lock(mutex_);
              sink_->lost(LostKind::Unknown, drop_reason::kAuditLost, 1);
              logger()->warn("audit: the receive buffer overflowed; records were lost");
              continue;
            }
            logger()->error("audit: reading the record stream failed: {}", errno_text(errno));
            break;
          }
          std::lock_guard lock(mutex_);
          for (int i = 0; i < received; ++i) {
            handle_datagram(storage.data() + static_cast<size_t>(i) * kRecordMax, messages[static_cast<size_t>(i)].msg_len);
          }
          if (static_cast<size_t>(received) < kBatch) break;
        }
      }
      const auto now = std::chrono::steady_clock::now();
      if (now - last_check >= std::chrono::seconds(1)) {
        last_check = now;
        std::lock_guard lock(mutex_);
        check_lost();
        // Events whose end-of-event record never came (or single records): give them out.
        assembler_.flush_older(Clock::now() - std::chrono::seconds(2));
      }
    }
    std::lock_guard lock(mutex_);
    assembler_.flush_all();
    check_lost();
  }

  void check_lost() {
    const auto status = control_->status();
    if (!status) return;
    // The kernel's counter of records lost (backlog overflow, rate limit, failed sends).
    const uint32_t delta = status->lost - lost_seen_;
    lost_seen_ = status->lost;
    if (delta) {
      sink_->lost(LostKind::Unknown, drop_reason::kAuditLost, delta);
      logger()->warn("audit: the kernel lost {} record(s) (backlog {} of {})", delta, status->backlog,
                     status->backlog_limit);
    }
  }

  // One record per datagram (called with mutex_ held). Its nlmsg_len is not to be trusted: the kernel sets it to the
  // payload length for audit records (a documented quirk of kauditd), so the payload is whatever
  // follows the header.
  void handle_datagram(const char* data, size_t size) {
    if (size < NLMSG_HDRLEN) return;
    nlmsghdr header{};
    std::memcpy(&header, data, sizeof(header));
    const int type = header.nlmsg_type;
    if (type < audit::kSyscallRecord || type >= 2100) return;  // replies, user-space and AVC records
    std::string_view text(data + NLMSG_HDRLEN, size - NLMSG_HDRLEN);
    while (!text.empty() && (text.back() == '\0' || text.back() == '\n')) text.remove_suffix(1);
    if (!assembler_.add(type, text) && (type == audit::kSyscallRecord || type == audit::kExecveRecord)) {
      logger()->debug("audit: record of type {} not understood: {:.300}", type, text);
    }
  }

  // Called by the assembler (under mutex_) with one complete event.
  void on_event(audit::AuditEvent& event) {
    if (!event.syscall) {
      if (event.malformed) sink_->lost(LostKind::Unknown, drop_reason::kParseFailure, 1);
      return;
    }
    const audit::SyscallInfo& call = *event.syscall;
    if (is_exec(call.number)) {
      if (!call.success) return;
      if (!settings_.processes && !settings_.connections) return;
      if (simulate_drop()) {
        sink_->lost(LostKind::Process, drop_reason::kSimulated, 1);
        return;
      }
      if (!event.has_execve) {
        sink_->lost(LostKind::Process, drop_reason::kParseFailure, 1);
        return;
      }
      ProcessExec record;
      record.pid = call.pid;
      record.ppid = call.ppid;
      record.uid = call.uid;
      record.euid = call.euid;
      record.executable = call.exe;
      record.arguments = std::move(event.arguments);
      record.arguments_cut = event.arguments_cut;
      // The container: the process may already be gone; then it inherits its parent's.
      if (auto cgroup = host_.read_file("/proc/" + std::to_string(call.pid) + "/cgroup", 64 * 1024)) {
        record.proc_cgroup = std::move(*cgroup);
      }
      record.time = event.time;
      sink_->exec(record);
      return;
    }
    const bool outbound = is_connect(call.number);
    if (!outbound && !is_accept(call.number)) return;
    if (!settings_.connections) return;
    if (event.sockaddr && event.sockaddr->family != AF_INET && event.sockaddr->family != AF_INET6) return;
    if (simulate_drop()) {
      sink_->lost(LostKind::Connection, drop_reason::kSimulated, 1);
      return;
    }
    // Audit names only the peer; the socket itself (via the descriptor) gives both ends and
    // tells TCP from UDP.
    const int64_t fd = outbound ? static_cast<int64_t>(call.a0) : call.exit;
    const auto inode = socket_inode_of_fd(host_, call.pid, fd);
    logger()->debug("audit: {} by pid {} fd {} inode {} sockaddr {}", outbound ? "connect" : "accept", call.pid, fd,
                    inode.value_or(0), event.sockaddr ? event.sockaddr->family : -1);
    std::optional<SocketRecord> socket;
    if (inode) {
      for (const auto& entry : read_tcp_sockets(host_, "/proc/" + std::to_string(call.pid) + "/net")) {
        if (entry.inode == *inode) socket = entry;
      }
    }
    if (!socket) {
      if (!inode && event.sockaddr) {
        // Closed before we could look: TCP or UDP cannot be told any more.
        sink_->lost(LostKind::Connection, drop_reason::kConnectionGone, 1);
      }
      return;  // a UDP or other non-TCP socket
    }
    Connection record;
    record.direction = outbound ? Direction::Out : Direction::In;
    record.family = socket->family;
    record.local_address = socket->local;
    record.remote_address = socket->remote;
    record.local_port = socket->local_port;
    record.remote_port = socket->remote_port;
    record.pid = call.pid;
    record.uid = call.uid;
    record.executable = call.exe;
    record.arguments = std::move(event.proctitle);
    record.comm = call.comm;
    record.time = event.time;
    sink_->connection(record);
  }

  bool simulate_drop() {
    if (settings_.simulate_drop_every == 0) return false;
    return ++simulated_seen_ % settings_.simulate_drop_every == 0;
  }

  const HostRoot& host_;
  RecordSink* sink_ = nullptr;
  std::unique_ptr<audit::AuditSocket> control_;
  std::unique_ptr<audit::AuditSocket> events_;
  audit::EventAssembler assembler_;
  std::vector<std::pair<std::string, audit::AuditRule>> installed_;
  SourceSettings settings_;
  audit_status original_{};
  audit_status changed_{};
  uint32_t lost_seen_ = 0;
  uint32_t auditd_pid_ = 0;
  uint32_t backlog_limit_ = 0;
  bool unicast_ = false;
  uint64_t simulated_seen_ = 0;
  std::mutex mutex_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace

std::unique_ptr<KernelSource> make_audit_source(const HostRoot& host) { return std::make_unique<AuditSource>(host); }

}  // namespace edgeguard::kernel
