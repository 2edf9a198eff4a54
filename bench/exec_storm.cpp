// The exec-storm benchmark of the kernel event sources (run as root: build/bench/exec_storm).
//
// Two workers fork+exec /bin/true with a unique argv as fast as the machine allows, for at least
// 20,000 execs, in one run per monitor:
//   (a) no monitor, (b) edgeguard on the eBPF source, (c) auditd with an execve rule,
//   (d) edgeguard on the audit source, (e) edgeguard on the proc connector source.
// For each: execs/s, events captured with the exact argv (counted by unique argv), the monitor's
// CPU time per captured event and its peak RSS. Budgets (eBPF): 100 % captured, at most 5 %
// slower than no monitor, at most 10 us agent CPU per exec event, RSS under 20 MB; the audit
// source must also capture 100 %.
//
// Options: --execs N (default 20000), --workers N (default 2), --rounds N (default 3: (a) and
//          (b) alternate and their medians are compared), --only a,b,c,d,e, --aggregation
//          (ProcessCreate aggregation on, window PT10S), --no-connections (ConnectionCreate Off:
//          the syscall-exit probe is not attached).
// Everything it starts (agent, auditd, audit rule, files) is stopped or removed at the end.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

struct Options {
  int execs = 20000;
  int workers = 2;
  std::string only = "a,b,c,d,e";
  bool aggregation = false;
  bool connections = true;
  int rounds = 3;
};

struct Result {
  std::string name;
  int execs = 0;
  double seconds = 0;
  std::optional<size_t> captured;
  std::optional<size_t> exact;
  std::optional<double> cpu_us_per_event;
  std::optional<double> source_cpu_us_per_event;  // of which the kernel source thread
  std::optional<double> peak_rss_mb;
  std::string note;
  double rate() const { return seconds > 0 ? execs / seconds : 0; }
};

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = "/tmp/edgeguard-bench-XXXXXX";
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A child process stopped by PID (SIGTERM, then SIGKILL) when it goes out of scope.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::filesystem::path& output) {
    pid_ = fork();
    if (pid_ == 0) {
      const int fd = open(output.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
      if (fd >= 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
      }
      std::vector<char*> args;
      for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
  }
  ~Child() { stop(); }
  pid_t pid() const { return pid_; }
  bool alive() { return pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == 0; }
  int stop() {
    if (pid_ <= 0) return status_;
    kill(pid_, SIGTERM);
    for (int i = 0; i < 200; ++i) {
      if (waitpid(pid_, &status_, WNOHANG) == pid_) {
        pid_ = -1;
        return status_;
      }
      std::this_thread::sleep_for(50ms);
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, &status_, 0);
    pid_ = -1;
    return status_;
  }

 private:
  pid_t pid_ = -1;
  int status_ = 0;
};

int run_command(const std::string& command) { return std::system(command.c_str()); }

// CPU seconds (user + system) and peak RSS of a process.
double cpu_seconds(pid_t pid) {
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; fields >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(field);
    if (i == 15) break;
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// CPU seconds of the threads of `pid` whose name starts with "eg-" (the kernel event sources).
double source_thread_cpu_seconds(pid_t pid) {
  double total = 0;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    const std::string comm = read_file(task.path() / "comm");
    if (comm.rfind("eg-", 0) != 0) continue;
    const std::string stat = read_file(task.path() / "stat");
    const size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(stat.substr(close + 2));
    std::string field;
    double ticks = 0;
    for (int i = 3; fields >> field; ++i) {
      if (i == 14 || i == 15) ticks += std::stod(field);
      if (i == 15) break;
    }
    total += ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  return total;
}

double peak_rss_mb(pid_t pid) {
  std::istringstream status(read_file("/proc/" + std::to_string(pid) + "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

// The storm: `workers` processes, each fork+exec'ing /bin/true <tag>-<worker>-<i> in turn.
double storm(const std::string& tag, int execs, int workers) {
  const auto start = SteadyClock::now();
  std::vector<pid_t> pids;
  for (int w = 0; w < workers; ++w) {
    const int share = execs / workers + (w < execs % workers ? 1 : 0);
    const pid_t worker = fork();
    if (worker == 0) {
      for (int i = 0; i < share; ++i) {
        char argument[96];
        std::snprintf(argument, sizeof(argument), "%s-%d-%d", tag.c_str(), w, i);
        const pid_t child = fork();
        if (child == 0) {
          char* const argv[] = {const_cast<char*>("/bin/true"), argument, nullptr};
          execv("/bin/true", argv);
          _exit(127);
        }
        int status = 0;
        waitpid(child, &status, 0);
      }
      _exit(0);
    }
    pids.push_back(worker);
  }
  for (const pid_t pid : pids) waitpid(pid, nullptr, 0);
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

std::string unique_tag(char run) {
  return std::string("egstorm") + run + std::to_string(getpid()) + "x" +
         std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1000000);
}

// ProcessCreate events of the storm in edgeguard's output: unique argv, and how many of them
// carry exactly the expected Executable and CommandLine.
std::pair<size_t, size_t> count_edgeguard(const std::filesystem::path& output, const std::string& tag,
                                          const std::string& true_path) {
  std::set<std::string> seen;
  size_t exact = 0;
  std::ifstream in(output);
  std::string line;
  const std::string prefix = "/bin/true " + tag + "-";
  while (std::getline(in, line)) {
    if (line.find(tag) == std::string::npos) continue;
    const auto message = nlohmann::json::parse(line, nullptr, false);
    if (message.is_discarded()) continue;
    for (const auto& event : message["Events"]) {
      if (event["Name"] != "ProcessCreate") continue;
      const auto& payload = event["Payload"][0];
      const std::string command_line = payload.value("CommandLine", "");
      if (command_line.rfind(prefix, 0) != 0) continue;
      if (seen.insert(command_line).second && payload.value("Executable", "") == true_path &&
          command_line.find(' ', prefix.size()) == std::string::npos) {
        ++exact;
      }
    }
  }
  return {seen.size(), exact};
}

size_t count_lines_with(const std::filesystem::path& file, const std::string& needle) {
  std::ifstream in(file);
  std::string line;
  size_t count = 0;
  while (std::getline(in, line)) {
    for (size_t at = line.find(needle); at != std::string::npos; at = line.find(needle, at + 1)) ++count;
  }
  return count;
}

// Waits until `count()` stops growing for `quiet` (or reaches `target`).
size_t wait_settled(const std::function<size_t()>& count, size_t target, std::chrono::seconds quiet) {
  size_t last = count();
  auto changed = SteadyClock::now();
  const auto give_up = SteadyClock::now() + 180s;
  while (last < target && SteadyClock::now() - changed < quiet && SteadyClock::now() < give_up) {
    std::this_thread::sleep_for(500ms);
    const size_t now = count();
    if (now != last) {
      last = now;
      changed = SteadyClock::now();
    }
  }
  return last;
}

Result run_edgeguard(const Options& options, const std::string& source, char run, const std::string& true_path) {
  Result result;
  result.name = "edgeguard (" + source + ")";
  TempDir dir;
  const auto output = dir.path() / "out.jsonl";
  const auto log = dir.path() / "agent.log";
  nlohmann::json config = {{"processEventSource", source},
                           {"highPriorityMessageFrequency", "PT1S"},
                           {"lowPriorityMessageFrequency", "PT2S"},
                           {"eventPriorityConnectionCreate", options.connections ? "Low" : "Off"},
                           {"aggregationEnabledProcessCreate", options.aggregation},
                           {"aggregationIntervalProcessCreate", "PT10S"}};
  std::ofstream(dir.path() / "config.json") << config.dump();
  Child agent({EDGEGUARD_BINARY, "run", "--config", (dir.path() / "config.json").string(), "--state-dir",
               (dir.path() / "state").string(), "--output", output.string()},
              log);
  for (int i = 0; i < 200 && read_file(log).find("kernel event source:") == std::string::npos; ++i) {
    if (!agent.alive()) break;
    std::this_thread::sleep_for(50ms);
  }
  if (read_file(log).find("kernel event source: " + source) == std::string::npos) {
    result.note = "the agent did not start the source: " + read_file(log).substr(0, 400);
    return result;
  }
  std::this_thread::sleep_for(1s);  // let the start-up work (seeding /proc) finish
  const double cpu_before = cpu_seconds(agent.pid());
  const double source_cpu_before = source_thread_cpu_seconds(agent.pid());
  const std::string tag = unique_tag(run);
  result.execs = options.execs;
  result.seconds = storm(tag, options.execs, options.workers);
  const auto settled = [&] { return count_lines_with(output, "\"/bin/true " + tag + "-"); };
  wait_settled(settled, static_cast<size_t>(options.execs), options.aggregation ? 25s : 6s);
  const double cpu = cpu_seconds(agent.pid()) - cpu_before;
  const double source_cpu = source_thread_cpu_seconds(agent.pid()) - source_cpu_before;
  result.peak_rss_mb = peak_rss_mb(agent.pid());
  agent.stop();
  const auto [captured, exact] = count_edgeguard(output, tag, true_path);
  result.captured = captured;
  result.exact = exact;
  if (captured) {
    result.cpu_us_per_event = cpu * 1e6 / static_cast<double>(captured);
    result.source_cpu_us_per_event = source_cpu * 1e6 / static_cast<double>(captured);
  }
  const std::string text = read_file(log);
  if (text.find("lost") != std::string::npos || text.find("dropped") != std::string::npos) {
    result.note = "the agent logged losses (see below)";
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.find("lost") != std::string::npos || line.find("dropped") != std::string::npos) {
        result.note += "\n    " + line;
      }
    }
  }
  return result;
}

struct AuditStatus {
  long enabled = -1;
  long pid = -1;
  long backlog_limit = -1;
};

AuditStatus audit_status() {
  AuditStatus status;
  FILE* pipe = popen("auditctl -s", "r");
  if (!pipe) return status;
  char line[256];
  while (fgets(line, sizeof(line), pipe)) {
    long value = 0;
    if (std::sscanf(line, "enabled %ld", &value) == 1) status.enabled = value;
    if (std::sscanf(line, "pid %ld", &value) == 1) status.pid = value;
    if (std::sscanf(line, "backlog_limit %ld", &value) == 1) status.backlog_limit = value;
  }
  pclose(pipe);
  return status;
}

Result run_auditd(const Options& options, char run) {
  Result result;
  result.name = "auditd (execve rule)";
  const AuditStatus before = audit_status();
  if (before.pid > 0) {
    result.note = "an audit daemon (pid " + std::to_string(before.pid) + ") already runs; skipped";
    return result;
  }
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "plugins");
  const auto log = dir.path() / "audit.log";
  {
    std::ofstream conf(dir.path() / "auditd.conf");
    conf << "local_events = yes\nwrite_logs = yes\nlog_file = " << log.string()
         << "\nlog_group = root\nlog_format = RAW\nflush = INCREMENTAL_ASYNC\nfreq = 50\nmax_log_file = 1024\n"
            "num_logs = 1\nmax_log_file_action = IGNORE\nspace_left = 2\nspace_left_action = IGNORE\n"
            "admin_space_left = 1\nadmin_space_left_action = IGNORE\ndisk_full_action = IGNORE\n"
            "disk_error_action = IGNORE\npriority_boost = 4\nname_format = NONE\nq_depth = 2000\n"
            "overflow_action = SYSLOG\nplugin_dir = "
         << (dir.path() / "plugins").string() << "\nend_of_event_timeout = 2\n";
  }
  chmod((dir.path() / "auditd.conf").c_str(), 0640);
  Child auditd({"/usr/sbin/auditd", "-n", "-s", "nochange", "-c", dir.path().string()}, dir.path() / "auditd.out");
  for (int i = 0; i < 100 && audit_status().pid != auditd.pid(); ++i) std::this_thread::sleep_for(50ms);
  if (audit_status().pid != auditd.pid()) {
    result.note = "auditd did not start: " + read_file(dir.path() / "auditd.out").substr(0, 300);
    return result;
  }
  // As a distribution's rules do: auditing on, backlog 8192 (Debian's default rules).
  run_command("auditctl -e 1 >/dev/null; auditctl -b 8192 >/dev/null");
  const std::string rule = "-a always,exit -F arch=b64 -S execve -k edgeguard-bench";
  run_command("auditctl " + rule + " >/dev/null");
  const double cpu_before = cpu_seconds(auditd.pid());
  const std::string tag = unique_tag(run);
  result.execs = options.execs;
  result.seconds = storm(tag, options.execs, options.workers);
  wait_settled([&] { return count_lines_with(log, "a1=\"" + tag + "-"); }, static_cast<size_t>(options.execs), 6s);
  const double cpu = cpu_seconds(auditd.pid()) - cpu_before;
  result.peak_rss_mb = peak_rss_mb(auditd.pid());
  // Leave the kernel as we found it.
  run_command("auditctl " + std::string(rule).replace(0, 2, "-d") + " >/dev/null");
  run_command("auditctl -e " + std::to_string(before.enabled) + " >/dev/null; auditctl -b " +
              std::to_string(before.backlog_limit) + " >/dev/null");
  auditd.stop();
  std::set<std::string> seen;
  {
    std::ifstream in(log);
    std::string line;
    const std::string needle = "a1=\"" + tag + "-";
    while (std::getline(in, line)) {
      const size_t at = line.find(needle);
      if (at == std::string::npos) continue;
      const size_t end = line.find('"', at + 4);
      seen.insert(line.substr(at + 4, end - at - 4));
    }
  }
  result.captured = seen.size();
  result.exact = seen.size();
  if (!seen.empty()) result.cpu_us_per_event = cpu * 1e6 / static_cast<double>(seen.size());
  const auto lost = audit_status();
  (void)lost;
  return result;
}

// The round with the median rate; captured is the worst round's (every round must catch all),
// CPU per event and RSS the median and the largest.
Result median(std::vector<Result> rounds) {
  std::sort(rounds.begin(), rounds.end(), [](const Result& a, const Result& b) { return a.rate() < b.rate(); });
  Result out = rounds[rounds.size() / 2];
  std::vector<double> cpu;
  std::vector<double> source_cpu;
  for (const auto& round : rounds) {
    if (round.source_cpu_us_per_event) source_cpu.push_back(*round.source_cpu_us_per_event);
    if (round.captured && (!out.captured || *round.captured < *out.captured)) {
      out.captured = round.captured;
      out.exact = round.exact;
    }
    if (round.cpu_us_per_event) cpu.push_back(*round.cpu_us_per_event);
    if (round.peak_rss_mb && (!out.peak_rss_mb || *round.peak_rss_mb > *out.peak_rss_mb)) out.peak_rss_mb = round.peak_rss_mb;
    if (!round.note.empty() && out.note.find(round.note) == std::string::npos) out.note += round.note;
  }
  if (!cpu.empty()) {
    std::sort(cpu.begin(), cpu.end());
    out.cpu_us_per_event = cpu[cpu.size() / 2];
  }
  if (!source_cpu.empty()) {
    std::sort(source_cpu.begin(), source_cpu.end());
    out.source_cpu_us_per_event = source_cpu[source_cpu.size() / 2];
  }
  if (rounds.size() > 1) out.name += " (median of " + std::to_string(rounds.size()) + ")";
  return out;
}

void print(const std::vector<Result>& results) {
  const double base = results.empty() || results.front().name.rfind("no monitor", 0) != 0 ? 0 : results.front().rate();
  std::printf("\n%-34s %7s %9s %9s %10s %8s %12s %10s\n", "run", "execs", "execs/s", "slowdown", "captured", "exact",
              "CPU us/event", "peak RSS");
  for (const auto& r : results) {
    std::string slowdown = "-";
    if (base > 0 && r.rate() > 0 && r.name.rfind("no monitor", 0) != 0) {
      char text[32];
      std::snprintf(text, sizeof(text), "%+.1f %%", (base - r.rate()) / base * 100.0);
      slowdown = text;
    }
    char captured[32] = "-";
    char exact[32] = "-";
    char cpu[32] = "-";
    char rss[32] = "-";
    if (r.captured) std::snprintf(captured, sizeof(captured), "%.2f %%", 100.0 * *r.captured / r.execs);
    if (r.exact) std::snprintf(exact, sizeof(exact), "%zu", *r.exact);
    if (r.cpu_us_per_event) std::snprintf(cpu, sizeof(cpu), "%.2f", *r.cpu_us_per_event);
    if (r.peak_rss_mb) std::snprintf(rss, sizeof(rss), "%.1f MB", *r.peak_rss_mb);
    std::printf("%-34s %7d %9.0f %9s %10s %8s %12s %10s\n", r.name.c_str(), r.execs, r.rate(), slowdown.c_str(),
                captured, exact, cpu, rss);
  }
  for (const auto& r : results) {
    if (r.cpu_us_per_event && r.source_cpu_us_per_event) {
      std::printf("%s: CPU per event %.2f us = kernel source thread (read, enrich, build event) %.2f us + the rest "
                  "of the agent (pipeline: serialize, store, send) %.2f us\n",
                  r.name.c_str(), *r.cpu_us_per_event, *r.source_cpu_us_per_event,
                  *r.cpu_us_per_event - *r.source_cpu_us_per_event);
    }
  }
  for (const auto& r : results) {
    if (!r.note.empty()) std::printf("note, %s: %s\n", r.name.c_str(), r.note.c_str());
  }
  for (const auto& r : results) {
    if (r.name.rfind("edgeguard (ebpf)", 0) != 0 || !r.captured) continue;
    const double slowdown = base > 0 ? (base - r.rate()) / base * 100.0 : 0;
    std::printf("\nbudgets, edgeguard on eBPF: captured %s (100 %%), slowdown %s (<= 5 %%), CPU/event %s (<= 10 us), "
                "RSS %s (< 20 MB)\n",
                *r.captured == static_cast<size_t>(r.execs) ? "PASS" : "FAIL", slowdown <= 5.0 ? "PASS" : "FAIL",
                r.cpu_us_per_event && *r.cpu_us_per_event <= 10.0 ? "PASS" : "FAIL",
                r.peak_rss_mb && *r.peak_rss_mb < 20.0 ? "PASS" : "FAIL");
  }
  for (const auto& r : results) {
    if (r.name != "edgeguard (audit)" || !r.captured) continue;
    std::printf("budget, edgeguard on audit: captured %s (100 %%)\n",
                *r.captured == static_cast<size_t>(r.execs) ? "PASS" : "FAIL");
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--execs" && i + 1 < argc) {
      options.execs = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "--workers" && i + 1 < argc) {
      options.workers = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "--only" && i + 1 < argc) {
      options.only = argv[++i];
    } else if (arg == "--aggregation") {
      options.aggregation = true;
    } else if (arg == "--no-connections") {
      options.connections = false;
    } else if (arg == "--rounds" && i + 1 < argc) {
      options.rounds = std::max(1, std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr,
                   "usage: %s [--execs N] [--workers N] [--rounds N] [--only a,b,c,d,e] [--aggregation] "
                   "[--no-connections]\n",
                   argv[0]);
      return 2;
    }
  }
  if (geteuid() != 0) {
    std::fprintf(stderr, "exec_storm: needs root (eBPF, audit)\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  const std::string true_path = std::filesystem::canonical("/bin/true").string();
  const auto wanted = [&](char run) { return options.only.find(run) != std::string::npos; };
  std::printf("exec storm: %d execs of /bin/true with unique argv, %d workers, %u CPUs, %d round(s); edgeguard with "
              "ProcessCreate aggregation %s, ConnectionCreate %s\n",
              options.execs, options.workers, std::thread::hardware_concurrency(), options.rounds,
              options.aggregation ? "on (PT10S)" : "off", options.connections ? "on" : "off");
  double load[3] = {0, 0, 0};
  if (getloadavg(load, 3) > 0) std::printf("load average before: %.2f %.2f %.2f\n", load[0], load[1], load[2]);
  // The machine may be shared: (a) and (b) alternate for --rounds rounds and the medians are
  // compared, so that a burst of someone else's work does not decide the slowdown.
  std::vector<Result> baseline_rounds;
  std::vector<Result> ebpf_rounds;
  for (int round = 0; round < options.rounds; ++round) {
    if (wanted('a')) {
      Result base;
      base.name = "no monitor";
      base.execs = options.execs;
      base.seconds = storm(unique_tag('a'), options.execs, options.workers);
      baseline_rounds.push_back(base);
      std::printf("  round %d: no monitor %.0f execs/s\n", round + 1, base.rate());
    }
    if (wanted('b')) {
      ebpf_rounds.push_back(run_edgeguard(options, "ebpf", 'b', true_path));
      std::printf("  round %d: edgeguard (ebpf) %.0f execs/s\n", round + 1, ebpf_rounds.back().rate());
    }
    std::fflush(stdout);
  }
  std::vector<Result> results;
  if (!baseline_rounds.empty()) results.push_back(median(baseline_rounds));
  if (!ebpf_rounds.empty()) results.push_back(median(ebpf_rounds));
  if (wanted('c')) results.push_back(run_auditd(options, 'c'));
  if (wanted('d')) results.push_back(run_edgeguard(options, "audit", 'd', true_path));
  if (wanted('e')) results.push_back(run_edgeguard(options, "procconnector", 'e', true_path));
  print(results);
  return 0;
}
