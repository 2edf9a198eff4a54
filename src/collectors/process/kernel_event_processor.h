#pragma once
// The enrichment layer between the kernel sources and the pipeline: keeps the process table,
// names users and containers, and turns records into ProcessCreate and ConnectionCreate events.
// Every record lost on the way is counted in Statistics with its reason.
#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

#include "collectors/collector.h"
#include "collectors/process/kernel_records.h"
#include "collectors/process/process_table.h"
#include "collectors/process/user_names.h"
#include "core/container_catalog.h"
#include "core/event.h"
#include "core/host_root.h"
#include "pipeline/statistics.h"

namespace edgeguard {

struct ProcessorSettings {
  Priority process_priority = Priority::Low;
  Priority connection_priority = Priority::Low;
  bool include_loopback = true;
  size_t command_line_max_bytes = 4096;

  static ProcessorSettings from(const AgentConfig& config);
  bool operator==(const ProcessorSettings&) const = default;
};

// Totals since start, for the log and tests.
struct ProcessorCounters {
  uint64_t execs = 0;
  uint64_t connections = 0;
  uint64_t submitted = 0;
  uint64_t lost = 0;
};

class KernelEventProcessor final : public kernel::RecordSink {
 public:
  KernelEventProcessor(const HostRoot& host, Statistics& statistics, const ContainerCatalog& containers,
                       EventSubmitter submit, std::string source_name);

  void configure(const ProcessorSettings& settings);
  // Fills the process table with what runs now, so connections of older processes are named.
  void seed_from_proc();
  ProcessorCounters counters() const;

  void exec(kernel::ProcessExec& record) override;
  void fork(const kernel::ProcessFork& record) override;
  void exit(const kernel::ProcessExit& record) override;
  void connection(kernel::Connection& record) override;
  void lost(kernel::LostKind kind, std::string_view reason, uint64_t count) override;

 private:
  std::string container_of(const kernel::ProcessExec& record);
  // The table entry of a process, read from /proc when the table does not know it.
  const ProcessEntry* find_process(uint32_t pid, uint64_t start);
  void prune_if_full();

  const HostRoot& host_;
  Statistics& statistics_;
  const ContainerCatalog& containers_;
  EventSubmitter submit_;
  std::string source_name_;

  mutable std::mutex mutex_;
  ProcessorSettings settings_;
  ProcessTable table_;
  UserNames users_;
  std::unordered_map<uint64_t, std::string> container_by_cgroup_;  // cgroup id -> container id ("" = none)
  ProcessorCounters counters_;
  std::chrono::steady_clock::time_point last_loss_log_{};
  std::chrono::steady_clock::time_point last_prune_{};
  uint64_t unlogged_losses_ = 0;
};

}  // namespace edgeguard
