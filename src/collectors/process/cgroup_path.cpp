#include "collectors/process/cgroup_path.h"

#include <array>
#include <vector>

#include "core/strings.h"

namespace edgeguard {
namespace {

bool mount_has_controller(std::string_view super_options, std::string_view controller) {
  for (const auto option : split(super_options, ',')) {
    if (option == controller) return true;
  }
  return false;
}

}  // namespace

std::string CgroupHierarchy::describe() const {
  std::string text = subsys_index < 0 ? "cgroup v2" : "cgroup v1 " + controller;
  if (!mount_point.empty()) text += " at " + mount_point;
  return text;
}

CgroupHierarchy choose_cgroup_hierarchy(const HostRoot& host) {
  CgroupHierarchy chosen;
  // /proc/cgroups: "subsys_name hierarchy num_cgroups enabled", one line per controller in the
  // kernel's controller index order; hierarchy 0 means "not on a v1 hierarchy".
  std::vector<std::string_view> v1_controllers;
  const auto cgroups = host.read_file("/proc/cgroups", 64 * 1024);
  if (cgroups) {
    int index = 0;
    std::vector<std::pair<std::string, int>> mounted;
    for (const auto line : split(*cgroups, '\n')) {
      if (line.empty() || line.front() == '#') continue;
      std::vector<std::string_view> fields;
      for (const auto field : split(line, '\t')) {
        if (!field.empty()) fields.push_back(field);
      }
      if (fields.size() >= 4 && fields[1] != "0" && fields[3] == "1") mounted.emplace_back(std::string(fields[0]), index);
      ++index;
    }
    static constexpr std::array<std::string_view, 8> kPreferred = {"pids", "memory", "cpu",     "cpuacct",
                                                                   "blkio", "devices", "freezer", "cpuset"};
    for (const auto name : kPreferred) {
      for (const auto& [controller, controller_index] : mounted) {
        if (controller == name && chosen.subsys_index < 0) {
          chosen.subsys_index = controller_index;
          chosen.controller = controller;
        }
      }
    }
  }
  // Mount point, for the log and for tests: "... - cgroup cgroup rw,pids" / "... - cgroup2 ...".
  const auto mountinfo = host.read_file("/proc/self/mountinfo", 4 * 1024 * 1024);
  if (mountinfo) {
    for (const auto line : split(*mountinfo, '\n')) {
      const size_t dash = line.find(" - ");
      if (dash == std::string_view::npos) continue;
      const auto before = split(line.substr(0, dash), ' ');
      const auto after = split(line.substr(dash + 3), ' ');
      if (before.size() < 5 || after.size() < 3) continue;
      const std::string_view mount_point = before[4];
      if (chosen.subsys_index < 0 && after[0] == "cgroup2" && chosen.mount_point.empty()) {
        chosen.mount_point = std::string(mount_point);
      } else if (chosen.subsys_index >= 0 && after[0] == "cgroup" && mount_has_controller(after[2], chosen.controller)) {
        chosen.mount_point = std::string(mount_point);
      }
    }
  }
  return chosen;
}

}  // namespace edgeguard
