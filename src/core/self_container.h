#pragma once
// Which container the agent itself runs in, so the deployment analysis can recognise its own
// module by container id rather than by name and image.
#include <filesystem>
#include <string>
#include <string_view>

namespace edgeguard {

// The 64-hex id of the container whose /etc/hostname, /etc/hosts or /etc/resolv.conf the
// engine bind-mounted from its data root (".../containers/<id>/hostname") in the text of
// /proc/<pid>/mountinfo, or "". Docker and Moby do this for every container, and unlike the
// cgroup path it is visible inside a private cgroup namespace (cgroup v2).
std::string container_id_from_mountinfo(std::string_view text);

// The agent's own container id: from /proc/self/cgroup, else /proc/self/mountinfo; "" when the
// agent does not run in a container (or neither file tells). `proc` is /proc/self unless a test
// says otherwise.
std::string own_container_id(const std::filesystem::path& proc = "/proc/self");

}  // namespace edgeguard
