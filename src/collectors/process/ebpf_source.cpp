// The eBPF source: bpf/edgeguard.bpf.c loaded through its libbpf skeleton (CO-RE, BTF-typed
// tracepoints only), records read from one BPF ring buffer, loss read from per-CPU counters.
#include "collectors/process/kernel_source.h"

#if EDGEGUARD_HAVE_BPF

#include <sys/syscall.h>
#include <time.h>

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
#include "collectors/process/cgroup_path.h"
#include "collectors/process/proc_reader.h"
#include "core/log.h"
#include "edgeguard_events.h"
#include "pipeline/statistics.h"

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

// The ring buffer is mapped twice into the agent (libbpf maps its data area twice so records
// never wrap) and all of it is resident: 1 MiB costs 2 MiB of RSS. It holds ~3,000 exec records
// of typical size; the reader is woken at 64 KiB, so ~0.7 s of a 1,300 exec/s storm (with its
// fork and exit records) fits while the reader is kept off the CPU.
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

    skeleton_ = edgeguard_bpf::open();
    if (!skeleton_) throw CollectorError("eBPF: cannot open the BPF object: " + error_text(errno));
    skeleton_->rodata->cfg_cgroup_subsys = hierarchy_.subsys_index;
    skeleton_->rodata->cfg_nr_connect = SYS_connect;
    skeleton_->rodata->cfg_nr_accept = SYS_accept;
    skeleton_->rodata->cfg_nr_accept4 = SYS_accept4;
    const int cpus = libbpf_num_possible_cpus();
    if (cpus <= 0) fail("cannot count the possible CPUs", cpus);
    cpus_ = static_cast<size_t>(cpus);
    if (int error = bpf_map__set_max_entries(skeleton_->maps.exec_scratch, static_cast<uint32_t>(cpus))) {
      fail("cannot size the exec scratch map", error);
    }
    if (int error = bpf_map__set_max_entries(skeleton_->maps.events, kRingBufferBytes)) {
      fail("cannot size the ring buffer", error);
    }
    if (int error = edgeguard_bpf::load(skeleton_)) {
      fail("the kernel refused the BPF programs (needs Linux 5.8+ with BTF, CAP_BPF and CAP_PERFMON)", error);
    }
    apply(settings);
    for (bpf_program* program : {skeleton_->progs.eg_exec, skeleton_->progs.eg_fork, skeleton_->progs.eg_exit}) {
      bpf_link* link = bpf_program__attach(program);
      if (!link) fail(std::string("cannot attach ") + bpf_program__name(program), -errno);
      links_.push_back(link);
    }
    {
      std::lock_guard lock(mutex_);
      update_connection_probe(settings.connections);
    }
    ring_ = ring_buffer__new(bpf_map__fd(skeleton_->maps.events), &EbpfSource::on_record, this, nullptr);
    if (!ring_) fail("cannot map the ring buffer", -errno);
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
    if (ring_) ring_buffer__free(ring_);
    ring_ = nullptr;
    if (connection_link_) bpf_link__destroy(connection_link_);
    connection_link_ = nullptr;
    for (bpf_link* link : links_) bpf_link__destroy(link);
    links_.clear();
    if (skeleton_) edgeguard_bpf::destroy(skeleton_);
    skeleton_ = nullptr;
  }

  void configure(const SourceSettings& settings) override {
    std::lock_guard lock(mutex_);
    if (!skeleton_) return;
    apply(settings);
    update_connection_probe(settings.connections);
  }

 private:
  [[noreturn]] void fail(const std::string& what, int error) {
    const std::string message = "eBPF: " + what + ": " + error_text(error);
    if (connection_link_) bpf_link__destroy(connection_link_);
    connection_link_ = nullptr;
    for (bpf_link* link : links_) bpf_link__destroy(link);
    links_.clear();
    if (skeleton_) edgeguard_bpf::destroy(skeleton_);
    skeleton_ = nullptr;
    throw CollectorError(message);
  }

  void apply(const SourceSettings& settings) {
    const uint64_t max_arguments = std::min<uint64_t>(settings.max_argument_bytes + 1, EG_ARGS_MAX);
    __atomic_store_n(&skeleton_->data->cfg_max_args, static_cast<uint32_t>(max_arguments), __ATOMIC_RELAXED);
    __atomic_store_n(&skeleton_->bss->cfg_simulate_every,
                     static_cast<uint32_t>(std::min<uint64_t>(settings.simulate_drop_every, UINT32_MAX)),
                     __ATOMIC_RELAXED);
    // Exec, fork and exit also name the processes behind connections.
    __atomic_store_n(&skeleton_->data->cfg_capture_exec, settings.processes || settings.connections ? 1u : 0u,
                     __ATOMIC_RELAXED);
    __atomic_store_n(&skeleton_->data->cfg_capture_conn, settings.connections ? 1u : 0u, __ATOMIC_RELAXED);
  }

  // The syscall-exit probe runs on every syscall: attached only while connections are wanted.
  void update_connection_probe(bool wanted) {
    if (wanted && !connection_link_) {
      connection_link_ = bpf_program__attach(skeleton_->progs.eg_sys_exit);
      if (!connection_link_) {
        logger()->error("eBPF: cannot attach the connection probe (tp_btf/sys_exit): {}; ConnectionCreate "
                        "events are not collected",
                        error_text(-errno));
      }
    } else if (!wanted && connection_link_) {
      bpf_link__destroy(connection_link_);
      connection_link_ = nullptr;
    }
  }

  void run() {
    auto last_drop_check = std::chrono::steady_clock::now();
    clock_.refresh();
    while (!stopping_) {
      // Records are written without waking us until enough wait (see cfg_wakeup_bytes), so
      // poll with a timeout and then take whatever is there.
      const int polled = ring_buffer__poll(ring_, kPollMilliseconds);
      if (polled < 0 && polled != -EINTR) {
        logger()->error("eBPF: reading the ring buffer failed: {}", std::strerror(-polled));
        std::this_thread::sleep_for(std::chrono::milliseconds(kPollMilliseconds));
      }
      ring_buffer__consume(ring_);
      const auto now = std::chrono::steady_clock::now();
      if (now - last_drop_check >= std::chrono::seconds(1)) {
        last_drop_check = now;
        clock_.refresh();
        report_drops();
      }
    }
    ring_buffer__consume(ring_);
    report_drops();
  }

  void report_drops() {
    std::vector<uint64_t> values(cpus_);
    uint64_t totals[EG_DROP_SLOTS] = {};
    for (uint32_t slot = 0; slot < EG_DROP_SLOTS; ++slot) {
      if (bpf_map__lookup_elem(skeleton_->maps.drops, &slot, sizeof(slot), values.data(),
                               values.size() * sizeof(uint64_t), 0) != 0) {
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

  static int on_record(void* context, void* data, size_t size) {
    static_cast<EbpfSource*>(context)->handle(static_cast<const char*>(data), size);
    return 0;
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
  edgeguard_bpf* skeleton_ = nullptr;
  std::vector<bpf_link*> links_;
  bpf_link* connection_link_ = nullptr;
  ring_buffer* ring_ = nullptr;
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
