#include "core/cgroup_container_id.h"

namespace edgeguard {
namespace {

constexpr size_t kIdLength = 64;

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// A run of exactly 64 lowercase hex digits inside one path segment, bounded by non-hex
// characters or the segment's ends ("docker-<id>.scope", "<id>").
std::string_view id_in_segment(std::string_view segment) {
  if (segment.size() < kIdLength) return {};
  // The conmon monitor of a Podman or CRI-O container lives beside it, not inside it.
  if (segment.starts_with("libpod-conmon-") || segment.starts_with("crio-conmon-")) return {};
  size_t run_start = 0;
  for (size_t i = 0; i <= segment.size(); ++i) {
    if (i < segment.size() && is_hex(segment[i])) continue;
    if (i - run_start == kIdLength) return segment.substr(run_start, kIdLength);
    run_start = i + 1;
  }
  return {};
}

}  // namespace

std::string container_id_from_cgroup_path(std::string_view path) {
  while (!path.empty()) {
    const size_t slash = path.find('/');
    const std::string_view segment = path.substr(0, slash);
    const std::string_view id = id_in_segment(segment);
    if (!id.empty()) return std::string(id);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return {};
}

std::string container_id_from_proc_cgroup(std::string_view text) {
  while (!text.empty()) {
    const size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    // "hierarchy-id:controller-list:path"; the path itself may contain ':'.
    const size_t first = line.find(':');
    if (first == std::string_view::npos) continue;
    const size_t second = line.find(':', first + 1);
    if (second == std::string_view::npos) continue;
    std::string id = container_id_from_cgroup_path(line.substr(second + 1));
    if (!id.empty()) return id;
  }
  return {};
}

}  // namespace edgeguard
