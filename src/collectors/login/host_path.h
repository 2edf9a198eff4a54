#pragma once
#include <filesystem>
#include <optional>
#include <string_view>

#include "core/host_root.h"

namespace edgeguard::login {

// Where an existing host path is, as this process sees it, with symbolic links followed the way
// the host follows them: an absolute link target starts again at the host root, not at ours
// (/host/var/run -> /run must mean /host/run). nullopt when a component is missing or after 40
// links (a loop). HostRoot::path() alone would escape the host root through such a link.
std::optional<std::filesystem::path> resolve_host_path(const HostRoot& host, std::string_view host_path);

}  // namespace edgeguard::login
