#pragma once
// Small /proc text formats SystemInformation reads: /proc/meminfo, the kernel command line and
// /proc/<pid>/mountinfo.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/common/line_problem.h"

namespace edgeguard {

struct MemInfo {
  std::map<std::string, uint64_t, std::less<>> kib;  // "MemTotal" -> 16318480 (kB as the kernel writes)
  std::vector<LineProblem> problems;
  std::optional<uint64_t> get(std::string_view key) const;
};

MemInfo parse_meminfo(std::string_view text);

struct KernelParameter {
  std::string name;
  std::optional<std::string> value;  // nullopt for a bare flag such as "quiet"
  bool operator==(const KernelParameter&) const = default;
};

// Splits a kernel command line as the kernel does (blanks separate, double quotes group and are
// removed). Parameters after a lone "--" belong to init and are left out.
std::vector<KernelParameter> parse_kernel_cmdline(std::string_view text);

// The value of the last `name=` parameter (the one the kernel acts on), if any.
std::optional<std::string> kernel_parameter(const std::vector<KernelParameter>& parameters, std::string_view name);

struct MountInfoEntry {
  unsigned major = 0;
  unsigned minor = 0;
  std::string root;         // field 4
  std::string mount_point;  // field 5, octal escapes (\040) decoded
  std::string fs_type;
  std::string source;       // octal escapes decoded
};

struct MountInfo {
  std::vector<MountInfoEntry> entries;
  std::vector<LineProblem> problems;
};

MountInfo parse_mountinfo(std::string_view text);

}  // namespace edgeguard
