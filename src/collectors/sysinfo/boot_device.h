#pragma once
// The device the host's root file system comes from: root= on the kernel command line, resolved
// to a device node where the host's /dev/disk links or /sys/dev/block say which one it is;
// without root= (initramfs-chosen roots, some VMs), the source of "/" in init's mountinfo.
#include <optional>
#include <string>
#include <string_view>

#include "core/host_root.h"

namespace edgeguard {

struct BootDevice {
  std::string device;  // "/dev/mmcblk0p2", or the specification itself when it cannot be resolved
  std::string specification;  // what named it: "UUID=...", "/dev/sda2", "254:0"
  std::string source;         // "cmdline" or "mountinfo"
};

// root= value -> device. Pure apart from the lookups of links under the host root.
std::string resolve_root_specification(const HostRoot& host, std::string_view specification);

// nullopt when neither the command line nor init's mountinfo names the root.
std::optional<BootDevice> find_boot_device(const HostRoot& host, std::string_view cmdline,
                                           std::string_view init_mountinfo);

}  // namespace edgeguard
