#pragma once
// Reading host files so that symlinks resolve inside the host root, the way the host itself
// would resolve them. With a host root such as "/host", a link like /etc/os-release ->
// /usr/lib/os-release must land in /host/usr/lib/os-release, never in the agent's own
// container file system. On a bare host ("/") this is a plain read.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/host_root.h"

namespace edgeguard {

struct HostFileResult {
  std::optional<std::string> text;  // nullopt when it could not be read
  int error = 0;                    // errno when text is nullopt
  bool truncated = false;           // the file is longer than max_bytes; text holds the first max_bytes
  std::string where;                // the path as this process sees it, for messages

  // "open /host/etc/passwd: Permission denied"
  std::string describe_error() const;
};

inline constexpr size_t kMaxHostFileBytes = 8 * 1024 * 1024;

// Reads a host file (given as an absolute host path), following symlinks inside the host root
// (openat2 RESOLVE_IN_ROOT; on kernels before 5.6, an equivalent walk with lstat/readlink).
HostFileResult read_host_file(const HostRoot& host, std::string_view host_path, size_t max_bytes = kMaxHostFileBytes);

// The host path a host path finally names after following every symlink inside the host root
// (lexically, by lstat/readlink; ".." never climbs above the root). nullopt with `error` set on
// ELOOP (more than 40 links), ENOENT or another lstat failure of an intermediate component. A
// missing last component is not an error: the path is returned as resolved so far.
std::optional<std::string> resolve_host_path(const HostRoot& host, std::string_view host_path, int& error);

}  // namespace edgeguard
