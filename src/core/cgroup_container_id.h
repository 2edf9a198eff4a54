#pragma once
// Which container a process runs in, from its cgroup membership (/proc/<pid>/cgroup). Shared by
// the kernel collectors (which name the container of every process and connection event) and
// the container-engine collector's tests.
#include <string>
#include <string_view>

namespace edgeguard {

// The 64-hex container id a cgroup path names, or "" when it names none. Understands the
// layouts of Docker/Moby with the cgroupfs driver ("/docker/<id>", any --cgroup-parent
// "/<parent>/<id>") and the systemd driver ("/system.slice/docker-<id>.scope"), containerd
// and CRI-O under Kubernetes ("cri-containerd-<id>.scope", "crio-<id>.scope",
// "/kubepods/.../<id>") and Podman ("libpod-<id>.scope"; "libpod-conmon-<id>.scope" is the
// monitor outside the container, not the container). Nested containers: the outermost id, the
// one the host's engine knows.
std::string container_id_from_cgroup_path(std::string_view path);

// The same from the whole text of /proc/<pid>/cgroup (cgroup v1 lines "n:controllers:path" and
// the v2 line "0::path"): the first line whose path names a container.
std::string container_id_from_proc_cgroup(std::string_view text);

}  // namespace edgeguard
