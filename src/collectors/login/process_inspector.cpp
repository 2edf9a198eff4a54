#include "collectors/login/process_inspector.h"

#include <unistd.h>

#include <vector>

#include "core/strings.h"

namespace edgeguard::login {
namespace {

// The process start time comes from whole seconds of btime plus clock ticks, and the record
// time from the writer's clock: allow for the rounding.
constexpr auto kClockSlack = std::chrono::seconds(2);
constexpr auto kBootTimeRefresh = std::chrono::seconds(30);

}  // namespace

std::optional<ProcStat> parse_proc_stat(std::string_view text) {
  const size_t close = text.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  // After ") " come fields 3, 4, ...
  const std::string_view rest = text.substr(close + 1);
  std::optional<int32_t> parent;
  int field = 2;
  size_t pos = 0;
  while (pos < rest.size()) {
    while (pos < rest.size() && (rest[pos] == ' ' || rest[pos] == '\n')) ++pos;
    size_t end = pos;
    while (end < rest.size() && rest[end] != ' ' && rest[end] != '\n') ++end;
    if (end == pos) break;
    ++field;
    const std::string_view value = rest.substr(pos, end - pos);
    if (field == 4) parent = parse_integer<int32_t>(value);
    if (field == 22) {
      const auto ticks = parse_integer<uint64_t>(value);
      if (!parent || !ticks) return std::nullopt;
      return ProcStat{*parent, *ticks};
    }
    pos = end;
  }
  return std::nullopt;
}

std::optional<int64_t> parse_boot_seconds(std::string_view stat_text) {
  for (const auto line : split(stat_text, '\n')) {
    if (starts_with(line, "btime ")) return parse_integer<int64_t>(trim(line.substr(6)));
  }
  return std::nullopt;
}

std::optional<TimePoint> ProcessInspector::boot_time() {
  const auto now = std::chrono::steady_clock::now();
  if (boot_time_ && now - boot_time_read_ < kBootTimeRefresh) return boot_time_;
  // The host's /proc when the host root has it; btime is the same in every pid namespace of
  // the kernel, so our own /proc answers otherwise.
  auto text = host_.read_file("/proc/stat", 1 << 20);
  if (!text || !parse_boot_seconds(*text)) text = read_whole_file("/proc/stat", 1 << 20);
  const auto seconds = text ? parse_boot_seconds(*text) : std::nullopt;
  if (!seconds) return std::nullopt;
  boot_time_ = TimePoint(std::chrono::seconds(*seconds));
  boot_time_read_ = now;
  return boot_time_;
}

std::optional<ProcessFacts> ProcessInspector::process(int32_t pid, std::optional<TimePoint> written) {
  if (pid <= 0) return std::nullopt;
  const std::string proc = "/proc/" + std::to_string(pid);
  const auto read_stat = [&]() -> std::optional<ProcStat> {
    const auto text = host_.read_file(proc + "/stat", 4096);
    return text ? parse_proc_stat(*text) : std::nullopt;
  };
  // stat is read before and after the link: the same start time means the link belongs to that
  // one process, not to a successor that took the pid in between.
  const auto before = read_stat();
  if (!before) return std::nullopt;
  if (written) {
    const auto boot = boot_time();
    const long hz = sysconf(_SC_CLK_TCK);
    if (!boot || hz <= 0) return std::nullopt;
    const auto started = *boot + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                                     static_cast<double>(before->start_ticks) / static_cast<double>(hz)));
    if (started > *written + kClockSlack) return std::nullopt;
  }
  const std::string exe = host_.path(proc + "/exe").string();
  std::string target(4096, '\0');
  const ssize_t n = readlink(exe.c_str(), target.data(), target.size());
  if (n <= 0 || static_cast<size_t>(n) >= target.size()) return std::nullopt;  // gone, or a kernel thread
  target.resize(static_cast<size_t>(n));
  const auto after = read_stat();
  if (!after || after->start_ticks != before->start_ticks) return std::nullopt;
  return ProcessFacts{std::move(target), before->parent};
}

}  // namespace edgeguard::login
