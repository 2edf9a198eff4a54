#include "core/self_container.h"

#include <array>

#include "core/cgroup_container_id.h"
#include "core/host_root.h"

namespace edgeguard {
namespace {

constexpr size_t kIdLength = 64;

bool is_container_id(std::string_view text) {
  if (text.size() != kIdLength) return false;
  for (const char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Field `index` (0-based) of a space-separated mountinfo line.
std::string_view field(std::string_view line, size_t index) {
  for (size_t i = 0; i < index; ++i) {
    const size_t space = line.find(' ');
    if (space == std::string_view::npos) return {};
    line.remove_prefix(space + 1);
  }
  return line.substr(0, line.find(' '));
}

// ".../containers/<id>/<file>" -> id.
std::string_view id_in_root(std::string_view root) {
  constexpr std::string_view kMarker = "containers/";
  for (size_t at = root.find(kMarker); at != std::string_view::npos; at = root.find(kMarker, at + 1)) {
    if (at != 0 && root[at - 1] != '/') continue;
    const std::string_view rest = root.substr(at + kMarker.size());
    const size_t slash = rest.find('/');
    if (slash == std::string_view::npos) continue;
    if (is_container_id(rest.substr(0, slash))) return rest.substr(0, slash);
  }
  return {};
}

}  // namespace

std::string container_id_from_mountinfo(std::string_view text) {
  static constexpr std::array<std::string_view, 3> kEngineFiles = {"/etc/hostname", "/etc/hosts", "/etc/resolv.conf"};
  while (!text.empty()) {
    const size_t newline = text.find('\n');
    const std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    // "mount-id parent-id major:minor root mount-point options ..."
    const std::string_view mount_point = field(line, 4);
    bool engine_file = false;
    for (const auto file : kEngineFiles) engine_file = engine_file || mount_point == file;
    if (!engine_file) continue;
    const std::string_view id = id_in_root(field(line, 3));
    if (!id.empty()) return std::string(id);
  }
  return {};
}

std::string own_container_id(const std::filesystem::path& proc) {
  if (const auto cgroup = read_whole_file(proc / "cgroup")) {
    std::string id = container_id_from_proc_cgroup(*cgroup);
    if (!id.empty()) return id;
  }
  if (const auto mountinfo = read_whole_file(proc / "mountinfo")) return container_id_from_mountinfo(*mountinfo);
  return {};
}

}  // namespace edgeguard
