// The eBPF source: bpf/edgeguard.bpf.c loaded through its libbpf skeleton (CO-RE, BTF-typed
// tracepoints only), records read from one BPF ring buffer, loss read from per-CPU counters.
#include "collectors/process/kernel_source.h"

#if EDGEGUARD_HAVE_BPF

#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <pthread.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "collectors/collector.h"
#include "collectors/process/bpf_loader.h"
#include "collectors/process/cgroup_path.h"
#include "collectors/process/proc_reader.h"
#include "collectors/process/ring_buffer_reader.h"
#include "core/log.h"
#include "edgeguard_events.h"
#include "pipeline/statistics.h"


namespace edgeguard::kernel {
namespace {

// The ring buffer is all resident (mapped once: ring_buffer_reader.h): 1 MiB of RSS. It holds
// ~3,000 exec records of typical size; the reader is woken at 64 KiB, so ~0.7 s of a 1,300
// exec/s storm (with its fork and exit records) fits while the reader is kept off the CPU.
constexpr size_t kRingBufferBytes = 1u << 20;
constexpr int kPollMilliseconds = 100;

std::shared_ptr<spdlog::logger> logger() { return log::get("collector.kernel.ebpf"); }

// libbpf's messages go to our log; the last warning is kept to explain a failure.
thread_local std::string t_last_libbpf_warning;

int libbpf_print(enum libbpf_print_level level, const char* format, va_list args) {
  char line[1024];
  // libbpf hands us its own format strings: a variable format is the point of this callback.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  const int n = std::vsnprintf(line, sizeof(line), format, args);
#pragma GCC diagnostic pop
  if (n <= 0) return n;
  std::string text(line, std::min(static_cast<size_t>(n), sizeof(line) - 1));
  while (!text.empty() && text.back() == '\n') text.pop_back();
  if (level == LIBBPF_WARN) {
    t_last_libbpf_warning = text;
    logger()->debug("libbpf: {}", text);
  } else {
    logger()->trace("libbpf: {}", text);
  }
  return n;
}

std::string error_text(int error) {
  std::string text = std::strerror(error < 0 ? -error : error);
  if (!t_last_libbpf_warning.empty()) text += " (libbpf: " + t_last_libbpf_warning + ")";
  return text;
}

// Kernel boot-time nanoseconds to wall-clock time.
class BootClock {
 public:
  void refresh() {
    timespec boot{};
    clock_gettime(CLOCK_BOOTTIME, &boot);
    const auto boot_ns = std::chrono::nanoseconds(static_cast<int64_t>(boot.tv_sec) * 1000000000 + boot.tv_nsec);
    offset_ = Clock::now().time_since_epoch() - std::chrono::duration_cast<Clock::duration>(boot_ns);
  }
  TimePoint to_time(uint64_t boot_ns) const {
    return TimePoint(offset_ + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::nanoseconds(static_cast<int64_t>(boot_ns))));
  }

 private:
  Clock::duration offset_{};
};

// "c\0b\0a\0" (leaf first) -> "/a/b/c". At most EG_PATH_DEPTH (or EG_CGROUP_DEPTH) parts come.
std::string join_components_reversed(const char* data, size_t bytes) {
  std::array<std::string_view, 64> parts;
  size_t count = 0;
  size_t total = 0;
  size_t start = 0;
  for (size_t i = 0; i < bytes && count < parts.size(); ++i) {
    if (data[i] == '\0') {
      parts[count++] = std::string_view(data + start, i - start);
      total += i - start + 1;
      start = i + 1;
    }
  }
  std::string path;
  path.reserve(total);
  for (size_t i = count; i-- > 0;) {
    // The root of a pseudo file system names itself "/" (e.g. memfd files): no doubled slash.
    if (parts[i] == "/") continue;
    path.push_back('/');
    path.append(parts[i]);
  }
  if (path.empty()) path = "/";
  return path;
}

std::string fixed_string(const char* data, size_t size) { return std::string(data, ::strnlen(data, size)); }

class EbpfSource final : public KernelSource {
 public:
  explicit EbpfSource(const HostRoot& host) : host_(host) {}
  ~EbpfSource() override { stop(); }

  std::string_view name() const override { return "ebpf"; }

  std::string describe() const override {
    return "eBPF CO-RE (tp_btf), ring buffer " + std::to_string(kRingBufferBytes >> 20) + " MiB, " +
           hierarchy_.describe();
  }

  void start(RecordSink& sink, const SourceSettings& settings) override {
    sink_ = &sink;
    libbpf_set_print(libbpf_print);
    t_last_libbpf_warning.clear();
    hierarchy_ = choose_cgroup_hierarchy(host_);

    const int cpus = libbpf_num_possible_cpus();
    if (cpus <= 0) throw CollectorError("eBPF: cannot count the possible CPUs: " + error_text(cpus));
    cpus_ = static_cast<size_t>(cpus);
    ProbeLoadOptions options;
    options.cgroup_subsys = hierarchy_.subsys_index;
    options.nr_connect = SYS_connect;
    options.nr_accept = SYS_accept;
    options.nr_accept4 = SYS_accept4;
    options.cpus = static_cast<uint32_t>(cpus);
    options.ring_bytes = static_cast<uint32_t>(kRingBufferBytes);
    probes_ = std::make_unique<LoadedProbes>(options);
    apply(settings);
    for (const Probe probe : {Probe::Exec, Probe::Fork, Probe::Exit}) {
      const int link = probes_->attach(probe);
      if (link < 0) fail(std::string("cannot attach the ") + probe_name(probe) + " probe", link);
      links_.push_back(link);
    }
    {
      std::lock_guard lock(mutex_);
      update_connection_probe(settings.connections);
    }
    try {
      ring_ = std::make_unique<RingBufferReader>(probes_->events_map());
    } catch (const CollectorError&) {
      detach_all();
      probes_.reset();
      throw;
    }
    stopping_ = false;
    thread_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "eg-ebpf");  // its CPU time shows apart in /proc
      run();
    });
    logger()->info("eBPF probes attached ({})", describe());
  }

  void stop() override {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
    std::lock_guard lock(mutex_);
    ring_.reset();
    detach_all();
    probes_.reset();
  }

  void configure(const SourceSettings& settings) override {
    std::lock_guard lock(mutex_);
    if (!probes_) return;
    apply(settings);
    update_connection_probe(settings.connections);
  }

 private:
  [[noreturn]] void fail(const std::string& what, int error) {
    const std::string message = "eBPF: " + what + ": " + error_text(error);
    detach_all();
    probes_.reset();
    throw CollectorError(message);
  }

  void detach_all() {
    if (connection_link_ >= 0) ::close(connection_link_);
    connection_link_ = -1;
    for (const int link : links_) ::close(link);
    links_.clear();
  }

  static const char* probe_name(Probe probe) {
    switch (probe) {
      case Probe::Exec: return "exec (tp_btf/sched_process_exec)";
      case Probe::Fork: return "fork (tp_btf/sched_process_fork)";
      case Probe::Exit: return "exit (tp_btf/sched_process_exit)";
      case Probe::SysExit: return "connection (tp_btf/sys_exit)";
    }
    return "?";
  }

  void apply(const SourceSettings& settings) {
    const uint64_t max_arguments = std::min<uint64_t>(settings.max_argument_bytes + 1, EG_ARGS_MAX);
    probes_->max_args() = static_cast<uint32_t>(max_arguments);
    probes_->simulate_every() = static_cast<uint32_t>(std::min<uint64_t>(settings.simulate_drop_every, UINT32_MAX));
    // Exec, fork and exit also name the processes behind connections.
    probes_->capture_exec() = settings.processes || settings.connections ? 1u : 0u;
    probes_->capture_conn() = settings.connections ? 1u : 0u;
  }

  // The syscall-exit probe runs on every syscall: attached only while connections are wanted.
  void update_connection_probe(bool wanted) {
    if (wanted && connection_link_ < 0) {
      const int link = probes_->attach(Probe::SysExit);
      if (link < 0) {
        logger()->error("eBPF: cannot attach the connection probe (tp_btf/sys_exit): {}; ConnectionCreate "
                        "events are not collected",
                        error_text(link));
      } else {
        connection_link_ = link;
      }
    } else if (!wanted && connection_link_ >= 0) {
      ::close(connection_link_);
      connection_link_ = -1;
    }
  }

  void run() {
    auto last_drop_check = std::chrono::steady_clock::now();
    clock_.refresh();
    while (!stopping_) {
      // Records are written without waking us until enough wait (see cfg_wakeup_bytes), so
      // poll with a timeout and then take whatever is there.
      const int waited = ring_->wait(kPollMilliseconds);
      if (waited < 0 && waited != -EINTR) {
        logger()->error("eBPF: waiting for the ring buffer failed: {}", std::strerror(-waited));
        std::this_thread::sleep_for(std::chrono::milliseconds(kPollMilliseconds));
      }
      ring_->consume(handle_record_);
      const auto now = std::chrono::steady_clock::now();
      if (now - last_drop_check >= std::chrono::seconds(1)) {
        last_drop_check = now;
        clock_.refresh();
        report_drops();
      }
    }
    ring_->consume(handle_record_);
    report_drops();
  }

  void report_drops() {
    std::vector<uint64_t> values(cpus_);
    uint64_t totals[EG_DROP_SLOTS] = {};
    for (uint32_t slot = 0; slot < EG_DROP_SLOTS; ++slot) {
      // A per-CPU map's lookup fills one 8-byte value per possible CPU.
      if (bpf_map_lookup_elem(probes_->drops_map(), &slot, values.data()) != 0) {
        continue;
      }
      for (const uint64_t value : values) totals[slot] += value;
    }
    const auto delta = [&](uint32_t slot) {
      const uint64_t d = totals[slot] - reported_[slot];
      reported_[slot] = totals[slot];
      return d;
    };
    sink_->lost(LostKind::Process, drop_reason::kKernelBuffer, delta(EG_DROP_EXEC_RINGBUF) + delta(EG_DROP_EXEC_READ));
    sink_->lost(LostKind::Connection, drop_reason::kKernelBuffer, delta(EG_DROP_CONN_RINGBUF));
    sink_->lost(LostKind::Process, drop_reason::kSimulated, delta(EG_DROP_EXEC_SIMULATED));
    sink_->lost(LostKind::Connection, drop_reason::kSimulated, delta(EG_DROP_CONN_SIMULATED));
    if (const uint64_t table = delta(EG_DROP_TABLE_RINGBUF)) {
      // Not events: fork/exit records keep the process table right. Entries are checked against
      // the process start time, so a missed one cannot misname a process.
      logger()->warn("eBPF: ring buffer full, {} fork/exit record(s) lost", table);
    }
  }

  void handle(const char* data, size_t size) {
    eg_header header{};
    if (size < sizeof(header)) {
      sink_->lost(LostKind::Unknown, drop_reason::kParseFailure, 1);
      return;
    }
    std::memcpy(&header, data, sizeof(header));
    switch (header.type) {
      case EG_EVENT_EXEC: return handle_exec(data, size);
      case EG_EVENT_FORK: {
        eg_fork_event e{};
        if (size < sizeof(e)) break;
        std::memcpy(&e, data, sizeof(e));
        sink_->fork(ProcessFork{e.pid, e.ppid, boot_ns_to_ticks(e.start_ns), boot_ns_to_ticks(e.parent_start_ns)});
        return;
      }
      case EG_EVENT_EXIT: {
        eg_exit_event e{};
        if (size < sizeof(e)) break;
        std::memcpy(&e, data, sizeof(e));
        sink_->exit(ProcessExit{e.pid, boot_ns_to_ticks(e.start_ns)});
        return;
      }
      case EG_EVENT_CONNECT:
      case EG_EVENT_ACCEPT: return handle_connection(data, size, header.type);
      default: break;
    }
    logger()->debug("eBPF: malformed record (type {}, {} bytes)", header.type, size);
    sink_->lost(LostKind::Unknown, drop_reason::kParseFailure, 1);
  }

  void handle_exec(const char* data, size_t size) {
    if (size < EG_EXEC_HEADER_SIZE) {
      sink_->lost(LostKind::Process, drop_reason::kParseFailure, 1);
      return;
    }
    eg_exec_event& e = *exec_header_;  // the header part only; data[] is read in place
    std::memcpy(&e, data, EG_EXEC_HEADER_SIZE);
    const char* body = data + EG_EXEC_HEADER_SIZE;
    const size_t body_bytes = size - EG_EXEC_HEADER_SIZE;
    if (static_cast<uint64_t>(e.path_bytes) + e.cgroup_bytes + e.args_bytes > body_bytes) {
      logger()->debug("eBPF: exec record of pid {} is inconsistent ({} bytes)", e.pid, size);
      sink_->lost(LostKind::Process, drop_reason::kParseFailure, 1);
      return;
    }
    ProcessExec record;
    record.pid = e.pid;
    record.ppid = e.ppid;
    record.uid = e.uid;
    record.euid = e.euid;
    record.start = boot_ns_to_ticks(e.start_ns);
    record.executable = join_components_reversed(body, e.path_bytes);
    record.cgroup_id = e.cgroup_id;
    record.cgroup_path = join_components_reversed(body + e.path_bytes, e.cgroup_bytes);
    record.arguments.assign(body + e.path_bytes + e.cgroup_bytes, e.args_bytes);
    record.arguments_cut = e.args_total > e.args_bytes;
    if ((e.flags & EG_EXEC_ARGS_UNREADABLE) != 0) {
      // The argv pages were not readable in the probe (rare: swapped out); /proc still has them.
      if (auto process = read_proc_process(host_, e.pid, EG_ARGS_MAX);
          process && process->start == record.start) {
        record.arguments = std::move(process->arguments);
        record.arguments_cut = process->arguments_cut;
      } else {
        record.arguments = fixed_string(e.comm, sizeof(e.comm));
        record.arguments.push_back('\0');
        record.arguments_cut = true;
      }
    }
    record.time = clock_.to_time(e.hdr.time_ns);
    sink_->exec(record);
  }

  void handle_connection(const char* data, size_t size, uint32_t type) {
    eg_conn_event e{};
    if (size < sizeof(e)) {
      sink_->lost(LostKind::Connection, drop_reason::kParseFailure, 1);
      return;
    }
    std::memcpy(&e, data, sizeof(e));
    Connection record;
    record.direction = type == EG_EVENT_ACCEPT ? Direction::In : Direction::Out;
    record.family = e.family;
    std::memcpy(record.local_address.data(), e.local_addr, sizeof(e.local_addr));
    std::memcpy(record.remote_address.data(), e.remote_addr, sizeof(e.remote_addr));
    record.local_port = e.local_port;
    record.remote_port = e.remote_port;
    record.pid = e.pid;
    record.uid = e.uid;
    record.start = boot_ns_to_ticks(e.start_ns);
    record.comm = fixed_string(e.comm, sizeof(e.comm));
    record.time = clock_.to_time(e.hdr.time_ns);
    sink_->connection(record);
  }

  const HostRoot& host_;
  RecordSink* sink_ = nullptr;
  CgroupHierarchy hierarchy_;
  std::unique_ptr<LoadedProbes> probes_;
  std::vector<int> links_;    // link descriptors: closing one detaches its program
  int connection_link_ = -1;
  std::unique_ptr<RingBufferReader> ring_;
  const RecordHandler handle_record_ = [this](const char* data, size_t size) { handle(data, size); };
  size_t cpus_ = 1;
  uint64_t reported_[EG_DROP_SLOTS] = {};
  BootClock clock_;
  std::unique_ptr<eg_exec_event> exec_header_ = std::make_unique<eg_exec_event>();
  std::mutex mutex_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace

std::unique_ptr<KernelSource> make_ebpf_source(const HostRoot& host) { return std::make_unique<EbpfSource>(host); }

}  // namespace edgeguard::kernel

#else  // !EDGEGUARD_HAVE_BPF

#include "collectors/collector.h"

namespace edgeguard::kernel {

std::unique_ptr<KernelSource> make_ebpf_source(const HostRoot&) {
  throw CollectorError("eBPF: this build has no eBPF programs (no bpf/<arch>/vmlinux.h, clang or bpftool at build time)");
}

}  // namespace edgeguard::kernel

#endif
