#pragma once
// Loads edgeguard's eBPF programs (bpf/edgeguard.bpf.c) in a short-lived child process and takes
// back their file descriptors. Relocating the programs (CO-RE) and finding their attach points
// needs the kernel's whole BTF in memory (5-6 MB, more on big kernels); done in the child, that
// never adds to the agent's own memory. The programs and maps live on as long as their
// descriptors, which this object owns.
#include <cstddef>
#include <cstdint>

namespace edgeguard::kernel {

struct ProbeLoadOptions {
  int cgroup_subsys = -1;  // -1: cgroup v2; else the v1 controller to read the cgroup from
  long nr_connect = -1;
  long nr_accept = -1;
  long nr_accept4 = -1;
  uint32_t cpus = 1;        // possible CPUs (sizes the exec scratch map)
  uint32_t ring_bytes = 0;  // size of the ring buffer (a power of two, a multiple of the page size)
};

enum class Probe { Exec, Fork, Exit, SysExit };

class LoadedProbes {
 public:
  // Throws CollectorError saying why the kernel or libbpf refused (libbpf's last warning included).
  explicit LoadedProbes(const ProbeLoadOptions& options);
  ~LoadedProbes();
  LoadedProbes(const LoadedProbes&) = delete;
  LoadedProbes& operator=(const LoadedProbes&) = delete;

  // Attaches a program; returns the link's descriptor (close it to detach) or -errno.
  int attach(Probe probe) const;
  int events_map() const { return fds_[kEvents]; }
  int drops_map() const { return fds_[kDrops]; }

  // The programs' run-time settings, in the maps' shared memory.
  volatile uint32_t& max_args() const;
  volatile uint32_t& capture_exec() const;
  volatile uint32_t& capture_conn() const;
  volatile uint32_t& simulate_every() const;

 private:
  void release();

  enum Slot { kExecProg, kForkProg, kExitProg, kSysExitProg, kEvents, kDrops, kData, kBss, kSlots };
  int fds_[kSlots];
  void* data_ = nullptr;  // .data section (mmap'ed map value)
  size_t data_bytes_ = 0;
  void* bss_ = nullptr;  // .bss section
  size_t bss_bytes_ = 0;
};

}  // namespace edgeguard::kernel
