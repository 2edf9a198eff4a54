#pragma once
// Which cgroup hierarchy the kernel probes follow to attribute processes to containers (the
// ids themselves come from core/cgroup_container_id.h).
#include <optional>
#include <string>
#include <string_view>

#include "core/host_root.h"

namespace edgeguard {

// Which cgroup hierarchy the kernel probes follow: a v1 controller when v1 hierarchies are
// mounted (hybrid hosts put containers there), else the v2 default hierarchy.
struct CgroupHierarchy {
  int subsys_index = -1;   // kernel controller index (line order of /proc/cgroups); -1 = v2
  std::string controller;  // "pids", "memory"...; empty for v2
  std::string mount_point; // where it is mounted on the host (for tests and the log), may be empty
  std::string describe() const;
};

// From the host's /proc/cgroups and /proc/self/mountinfo.
CgroupHierarchy choose_cgroup_hierarchy(const HostRoot& host);

}  // namespace edgeguard
