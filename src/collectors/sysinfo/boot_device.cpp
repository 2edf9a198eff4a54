#include "collectors/sysinfo/boot_device.h"

#include <charconv>

#include "collectors/common/host_file.h"
#include "collectors/sysinfo/proc_text.h"
#include "core/strings.h"

namespace edgeguard {
namespace {

std::string basename_of(std::string_view path) {
  const size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

// /sys/dev/block/MAJ:MIN links to .../block/<disk>[/<partition>]; the kernel names the node
// /dev/<last component>.
std::optional<std::string> device_from_numbers(const HostRoot& host, unsigned major, unsigned minor) {
  int error = 0;
  const auto resolved = resolve_host_path(host, "/sys/dev/block/" + std::to_string(major) + ":" + std::to_string(minor), error);
  if (!resolved || !host.exists(*resolved)) return std::nullopt;
  const std::string name = basename_of(*resolved);
  if (name.empty() || name.find(':') != std::string::npos) return std::nullopt;
  return "/dev/" + name;
}

std::optional<std::string> follow_link(const HostRoot& host, const std::string& host_path) {
  int error = 0;
  const auto resolved = resolve_host_path(host, host_path, error);
  if (!resolved || !host.exists(*resolved)) return std::nullopt;
  return resolved;
}

// The kernel's own forms: "major:minor" in decimal, or the encoded device number in hex.
std::optional<std::pair<unsigned, unsigned>> device_numbers(std::string_view text) {
  const auto parse = [](std::string_view digits, int base, unsigned& out) {
    if (digits.empty()) return false;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), out, base);
    return error == std::errc() && end == digits.data() + digits.size();
  };
  const size_t colon = text.find(':');
  unsigned major = 0;
  unsigned minor = 0;
  if (colon != std::string_view::npos) {
    if (parse(text.substr(0, colon), 10, major) && parse(text.substr(colon + 1), 10, minor)) return std::pair{major, minor};
    return std::nullopt;
  }
  unsigned encoded = 0;
  if (text.size() > 8 || !parse(text, 16, encoded)) return std::nullopt;
  // new_decode_dev(): minor = low 8 bits | bits 20.., major = bits 8..19.
  major = (encoded & 0xfff00u) >> 8;
  minor = (encoded & 0xffu) | ((encoded >> 12) & 0xfff00u);
  return std::pair{major, minor};
}

}  // namespace

std::string resolve_root_specification(const HostRoot& host, std::string_view specification) {
  struct Tag {
    std::string_view prefix;
    std::string_view directory;
  };
  static constexpr Tag kTags[] = {{"UUID=", "/dev/disk/by-uuid/"},
                                  {"PARTUUID=", "/dev/disk/by-partuuid/"},
                                  {"LABEL=", "/dev/disk/by-label/"},
                                  {"PARTLABEL=", "/dev/disk/by-partlabel/"}};
  for (const auto& tag : kTags) {
    if (!starts_with(specification, tag.prefix)) continue;
    const auto value = specification.substr(tag.prefix.size());
    // "PARTUUID=<uuid>/PARTNROFF=<n>" names a sibling partition: left as written.
    if (value.empty() || value.find('/') != std::string_view::npos || value == "." || value == "..") break;
    for (const auto& name : {std::string(value), to_lower(value)}) {
      if (auto device = follow_link(host, std::string(tag.directory) + name)) return *device;
    }
    break;
  }
  if (starts_with(specification, "/dev/")) {
    if (auto device = follow_link(host, std::string(specification))) return *device;
    return std::string(specification);
  }
  if (const auto numbers = device_numbers(specification)) {
    if (auto device = device_from_numbers(host, numbers->first, numbers->second)) return *device;
  }
  return std::string(specification);
}

std::optional<BootDevice> find_boot_device(const HostRoot& host, std::string_view cmdline,
                                           std::string_view init_mountinfo) {
  if (auto root = kernel_parameter(parse_kernel_cmdline(cmdline), "root"); root && !root->empty()) {
    return BootDevice{resolve_root_specification(host, *root), *root, "cmdline"};
  }
  const MountInfo mounts = parse_mountinfo(init_mountinfo);
  const MountInfoEntry* root_mount = nullptr;
  for (const auto& entry : mounts.entries) {
    if (entry.mount_point == "/") root_mount = &entry;  // the last one is on top
  }
  if (!root_mount) return std::nullopt;
  const std::string numbers = std::to_string(root_mount->major) + ":" + std::to_string(root_mount->minor);
  // Major 0 is an unnamed device (overlay, tmpfs, nfs...): its source is the best name there is.
  if (root_mount->major != 0) {
    if (auto device = device_from_numbers(host, root_mount->major, root_mount->minor)) {
      return BootDevice{*device, numbers, "mountinfo"};
    }
  }
  if (root_mount->source.empty() || root_mount->source == "none") return std::nullopt;
  return BootDevice{root_mount->source, numbers, "mountinfo"};
}

}  // namespace edgeguard
