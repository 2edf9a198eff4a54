#include "collectors/process/kernel_event_processor.h"

#include <sys/socket.h>

#include "collectors/network/connection_create_event.h"
#include "collectors/process/cgroup_path.h"
#include "collectors/process/proc_reader.h"
#include "core/cgroup_container_id.h"
#include "collectors/process/process_create_event.h"
#include "core/log.h"

namespace edgeguard {
namespace {

constexpr size_t kCgroupCacheLimit = 4096;

std::shared_ptr<spdlog::logger> logger() { return log::get("collector.kernel"); }

}  // namespace

ProcessorSettings ProcessorSettings::from(const AgentConfig& config) {
  ProcessorSettings settings;
  settings.process_priority = config.priority_of("ProcessCreate");
  settings.connection_priority = config.priority_of("ConnectionCreate");
  settings.include_loopback = config.connection_include_loopback;
  settings.command_line_max_bytes = static_cast<size_t>(config.command_line_max_bytes);
  return settings;
}

KernelEventProcessor::KernelEventProcessor(const HostRoot& host, Statistics& statistics,
                                           const ContainerCatalog& containers, EventSubmitter submit,
                                           std::string source_name)
    : host_(host),
      statistics_(statistics),
      containers_(containers),
      submit_(std::move(submit)),
      source_name_(std::move(source_name)),
      users_(host) {}

void KernelEventProcessor::configure(const ProcessorSettings& settings) {
  std::lock_guard lock(mutex_);
  settings_ = settings;
}

ProcessorCounters KernelEventProcessor::counters() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

void KernelEventProcessor::seed_from_proc() {
  size_t max_arguments;
  {
    std::lock_guard lock(mutex_);
    max_arguments = settings_.command_line_max_bytes;
  }
  for (const uint32_t pid : list_proc_pids(host_)) {
    auto process = read_proc_process(host_, pid, max_arguments);
    if (!process || process->executable.empty()) continue;  // gone, or a kernel thread
    auto image = std::make_shared<ProcessImage>();
    image->executable = std::move(process->executable);
    image->command_line = make_command_line(process->arguments, max_arguments, process->arguments_cut);
    image->container_id = container_id_from_proc_cgroup(process->cgroup);
    std::lock_guard lock(mutex_);
    // A record that arrived meanwhile is fresher than what we read.
    if (table_.find(pid, 0)) continue;
    table_.set(pid, ProcessEntry{process->start, process->ppid, process->uid, std::move(image)});
  }
}

std::string KernelEventProcessor::container_of(const kernel::ProcessExec& record) {
  if (record.cgroup_id != 0) {
    const auto it = container_by_cgroup_.find(record.cgroup_id);
    if (it != container_by_cgroup_.end()) return it->second;
    if (container_by_cgroup_.size() >= kCgroupCacheLimit) container_by_cgroup_.clear();
    std::string id = container_id_from_cgroup_path(record.cgroup_path);
    container_by_cgroup_.emplace(record.cgroup_id, id);
    return id;
  }
  if (!record.proc_cgroup.empty()) return container_id_from_proc_cgroup(record.proc_cgroup);
  if (!record.cgroup_path.empty()) return container_id_from_cgroup_path(record.cgroup_path);
  return {};
}

void KernelEventProcessor::prune_if_full() {
  if (!table_.full()) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_prune_ < std::chrono::seconds(10)) return;
  last_prune_ = now;
  // Exits were missed (counted where they were lost); forget the processes that are gone.
  const size_t removed = table_.prune([&](uint32_t pid) { return host_.exists("/proc/" + std::to_string(pid)); });
  logger()->warn("process table was full ({} entries); forgot {} processes that have exited", table_.size() + removed,
                 removed);
}

void KernelEventProcessor::exec(kernel::ProcessExec& record) {
  std::lock_guard lock(mutex_);
  ++counters_.execs;
  prune_if_full();
  auto image = std::make_shared<ProcessImage>();
  image->executable = std::move(record.executable);
  image->command_line = make_command_line(record.arguments, settings_.command_line_max_bytes, record.arguments_cut);
  image->container_id = container_of(record);
  if (record.cgroup_id == 0 && record.proc_cgroup.empty() && record.cgroup_path.empty()) {
    // The source could not tell (the process was gone before /proc was read): a process runs
    // in its parent's container unless it was moved, so that is the best answer there is.
    if (const ProcessEntry* parent = table_.find(record.ppid, 0)) image->container_id = parent->image->container_id;
  }
  table_.set(record.pid, ProcessEntry{record.start, record.ppid, record.uid, image});

  if (settings_.process_priority == Priority::Off) return;
  ProcessCreateFacts facts;
  facts.executable = image->executable;
  facts.pid = record.pid;
  facts.ppid = record.ppid;
  facts.uid = record.uid;
  facts.euid = record.euid;
  facts.user_name = users_.name_of(record.uid);
  facts.command_line = &image->command_line;
  facts.container_id = image->container_id;
  facts.time = record.time;
  if (submit_(make_process_create_event(facts, containers_))) ++counters_.submitted;
}

void KernelEventProcessor::fork(const kernel::ProcessFork& record) {
  std::lock_guard lock(mutex_);
  prune_if_full();
  table_.fork(record.pid, record.ppid, record.start, record.parent_start);
}

void KernelEventProcessor::exit(const kernel::ProcessExit& record) {
  std::lock_guard lock(mutex_);
  table_.erase(record.pid, record.start);
}

const ProcessEntry* KernelEventProcessor::find_process(uint32_t pid, uint64_t start) {
  if (const ProcessEntry* entry = table_.find(pid, start)) return entry;
  auto process = read_proc_process(host_, pid, settings_.command_line_max_bytes);
  if (!process || (start != 0 && process->start != start)) return nullptr;
  auto image = std::make_shared<ProcessImage>();
  image->executable = std::move(process->executable);
  image->command_line = make_command_line(process->arguments, settings_.command_line_max_bytes, process->arguments_cut);
  image->container_id = container_id_from_proc_cgroup(process->cgroup);
  prune_if_full();
  table_.set(pid, ProcessEntry{process->start, process->ppid, process->uid, std::move(image)});
  return table_.find(pid, start);
}

void KernelEventProcessor::connection(kernel::Connection& record) {
  std::lock_guard lock(mutex_);
  ++counters_.connections;
  if (settings_.connection_priority == Priority::Off) return;
  if (!settings_.include_loopback && is_loopback_address(record.family, record.remote_address)) return;

  const ProcessEntry* entry = find_process(record.pid, record.start);
  // A source that names the executable itself (audit) vouches for the process: a table entry
  // that disagrees is a stale one from before a pid reuse.
  if (entry && !record.executable.empty() && entry->image->executable != record.executable) entry = nullptr;

  CommandLine own_command_line;
  ConnectionCreateFacts facts;
  facts.connection = &record;
  std::string_view container_id;
  if (entry) {
    facts.executable = entry->image->executable;
    facts.command_line = &entry->image->command_line;
    container_id = entry->image->container_id;
  } else {
    facts.executable = record.executable;
    if (!record.arguments.empty()) {
      own_command_line = make_command_line(record.arguments, settings_.command_line_max_bytes);
      facts.command_line = &own_command_line;
    }
  }
  facts.container_id = container_id;
  facts.process_name = record.comm;
  if (record.uid_known) facts.user_name = users_.name_of(record.uid);
  if (submit_(make_connection_create_event(facts, containers_))) ++counters_.submitted;
}

void KernelEventProcessor::lost(kernel::LostKind kind, std::string_view reason, uint64_t count) {
  if (count == 0) return;
  std::lock_guard lock(mutex_);
  Priority priority = Priority::Off;
  switch (kind) {
    case kernel::LostKind::Process: priority = settings_.process_priority; break;
    case kernel::LostKind::Connection: priority = settings_.connection_priority; break;
    case kernel::LostKind::Unknown:
      // Either type: count it where it matters most.
      if (settings_.process_priority == Priority::High || settings_.connection_priority == Priority::High) {
        priority = Priority::High;
      } else if (settings_.process_priority == Priority::Low || settings_.connection_priority == Priority::Low) {
        priority = Priority::Low;
      }
      break;
  }
  if (priority == Priority::Off) return;  // such events are not collected at all
  statistics_.dropped(priority, reason, count);
  counters_.lost += count;
  unlogged_losses_ += count;
  // One line per 10 s at most: the counts reach the operator in DroppedEventsStatistics anyway.
  const auto now = std::chrono::steady_clock::now();
  if (now - last_loss_log_ >= std::chrono::seconds(10)) {
    logger()->warn("{}: lost {} kernel event(s) since the last report, latest reason {} (totals in "
                   "DroppedEventsStatistics)",
                   source_name_, unlogged_losses_, reason);
    last_loss_log_ = now;
    unlogged_losses_ = 0;
  }
}

}  // namespace edgeguard
