#pragma once
// One kernel event source. Sources are tried best first (eBPF, audit, proc connector); each
// reads on its own thread and hands records to a RecordSink.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "collectors/process/kernel_records.h"
#include "core/host_root.h"

namespace edgeguard::kernel {

// What the source should capture; may change while it runs.
struct SourceSettings {
  bool processes = true;    // exec (and fork/exit, to keep the process table right)
  bool connections = true;  // TCP connect/accept
  size_t max_argument_bytes = 4096;  // argv bytes worth delivering (commandLineMaxBytes)
  uint64_t simulate_drop_every = 0;  // drop and count every n-th exec/connection record
  bool operator==(const SourceSettings&) const = default;
};

class KernelSource {
 public:
  virtual ~KernelSource() = default;
  virtual std::string_view name() const = 0;  // "ebpf", "audit", "procconnector"
  // Starts delivering records. Throws CollectorError naming what failed if it cannot run here.
  virtual void start(RecordSink& sink, const SourceSettings& settings) = 0;
  virtual void stop() = 0;
  virtual void configure(const SourceSettings& settings) = 0;
  // A short description for the log and SystemInformation ("eBPF ring buffer 4 MiB, cgroup v1 pids").
  virtual std::string describe() const = 0;
};

std::unique_ptr<KernelSource> make_ebpf_source(const HostRoot& host);
std::unique_ptr<KernelSource> make_audit_source(const HostRoot& host);
std::unique_ptr<KernelSource> make_proc_connector_source(const HostRoot& host);

}  // namespace edgeguard::kernel
