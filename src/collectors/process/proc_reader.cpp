#include "collectors/process/proc_reader.h"

#include <dirent.h>
#include <unistd.h>

#include "core/strings.h"

namespace edgeguard {
namespace {

template <typename T>
std::optional<T> parse_number(std::string_view text) {
  return parse_integer<T>(trim(text));
}

// The first whitespace-separated field of `text`.
std::string_view first_field(std::string_view text) {
  text = trim(text);
  const size_t end = text.find_first_of(" \t");
  return end == std::string_view::npos ? text : text.substr(0, end);
}

}  // namespace

std::optional<ProcStatus> parse_proc_status(std::string_view text) {
  ProcStatus status;
  bool have_ppid = false;
  bool have_uid = false;
  for (const auto line : split(text, '\n')) {
    if (starts_with(line, "PPid:")) {
      const auto value = parse_number<uint32_t>(first_field(line.substr(5)));
      if (!value) return std::nullopt;
      status.ppid = *value;
      have_ppid = true;
    } else if (starts_with(line, "Uid:")) {
      // "Uid:\treal\teffective\tsaved\tfs"
      std::vector<std::string_view> ids;
      for (const auto field : split(line.substr(4), '\t')) {
        if (!trim(field).empty()) ids.push_back(trim(field));
      }
      if (ids.size() < 2) return std::nullopt;
      const auto real = parse_number<uint32_t>(ids[0]);
      const auto effective = parse_number<uint32_t>(ids[1]);
      if (!real || !effective) return std::nullopt;
      status.uid = *real;
      status.euid = *effective;
      have_uid = true;
    }
  }
  if (!have_ppid || !have_uid) return std::nullopt;
  return status;
}

std::optional<uint64_t> parse_proc_stat_start(std::string_view text) {
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so start after the last ')'.
  const size_t close = text.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  std::string_view rest = text.substr(close + 1);
  // Field 3 (state) is the first after ')'; the start time is field 22.
  int field = 2;
  while (!rest.empty()) {
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    if (rest.empty()) break;
    const size_t end = rest.find(' ');
    const std::string_view value = rest.substr(0, end);
    if (++field == 22) return parse_number<uint64_t>(value);
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end);
  }
  return std::nullopt;
}

std::optional<ProcProcess> read_proc_process(const HostRoot& host, uint32_t pid, size_t max_argument_bytes) {
  const std::string base = "/proc/" + std::to_string(pid);
  ProcProcess process;
  process.pid = pid;
  const auto stat = host.read_file(base + "/stat", 4096);
  if (!stat) return std::nullopt;
  const auto start = parse_proc_stat_start(*stat);
  if (!start) return std::nullopt;
  process.start = *start;
  const auto status_text = host.read_file(base + "/status", 64 * 1024);
  const auto status = status_text ? parse_proc_status(*status_text) : std::nullopt;
  if (!status) return std::nullopt;
  process.ppid = status->ppid;
  process.uid = status->uid;
  process.euid = status->euid;

  char target[4096];
  const auto exe = host.path(base + "/exe");
  const ssize_t length = ::readlink(exe.c_str(), target, sizeof(target));
  if (length > 0) process.executable.assign(target, static_cast<size_t>(length));

  const auto arguments = host.read_file(base + "/cmdline", max_argument_bytes + 1);
  if (arguments) {
    process.arguments = *arguments;
    if (process.arguments.size() > max_argument_bytes) process.arguments_cut = true;
  }
  if (auto cgroup = host.read_file(base + "/cgroup", 64 * 1024)) process.cgroup = std::move(*cgroup);
  // The pid may have been reused while we read: the start time must not have changed.
  const auto again = host.read_file(base + "/stat", 4096);
  if (!again || parse_proc_stat_start(*again) != start) return std::nullopt;
  return process;
}

std::vector<uint32_t> list_proc_pids(const HostRoot& host) {
  std::vector<uint32_t> pids;
  DIR* dir = ::opendir(host.path("/proc").c_str());
  if (!dir) return pids;
  while (const dirent* entry = ::readdir(dir)) {
    if (const auto pid = parse_number<uint32_t>(entry->d_name)) pids.push_back(*pid);
  }
  ::closedir(dir);
  return pids;
}

uint64_t boot_ns_to_ticks(uint64_t nanoseconds) {
  static const uint64_t ns_per_tick = [] {
    const long ticks = ::sysconf(_SC_CLK_TCK);
    return static_cast<uint64_t>(1000000000 / (ticks > 0 ? ticks : 100));
  }();
  return nanoseconds / ns_per_tick;
}

}  // namespace edgeguard
