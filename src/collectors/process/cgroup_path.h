#pragma once
// Container attribution from cgroup paths: docker (cgroupfs and systemd drivers), containerd,
// CRI-O and podman, on cgroup v1 and v2, including systemd slices and nested containers.
#include <optional>
#include <string>
#include <string_view>

#include "core/host_root.h"

namespace edgeguard {

// The id (64 lowercase hex) of the innermost container named by a cgroup path such as
// "/docker/<id>", "/system.slice/docker-<id>.scope",
// "/kubepods.slice/.../cri-containerd-<id>.scope" or "/kubepods/besteffort/pod<uid>/<id>".
std::optional<std::string> container_id_from_cgroup(std::string_view path);

// The container id found in any hierarchy of a /proc/<pid>/cgroup file ("4:pids:/docker/<id>").
std::optional<std::string> container_id_from_proc_cgroup(std::string_view text);

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
