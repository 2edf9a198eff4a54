#include "collectors/firewall/tool_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <system_error>

namespace edgeguard::firewall {
namespace {

std::system_error system_error(const std::string& what, int code = errno) {
  return std::system_error(code, std::generic_category(), what);
}

// Both ends of a pipe, closed when it goes out of scope.
struct Pipe {
  std::array<int, 2> fds{-1, -1};
  Pipe() {
    if (pipe2(fds.data(), O_CLOEXEC) != 0) throw system_error("pipe2");
  }
  ~Pipe() {
    close_read();
    close_write();
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  void close_read() {
    if (fds[0] >= 0) close(fds[0]);
    fds[0] = -1;
  }
  void close_write() {
    if (fds[1] >= 0) close(fds[1]);
    fds[1] = -1;
  }
};

struct SpawnSetup {
  posix_spawn_file_actions_t actions{};
  posix_spawnattr_t attributes{};
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attributes);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

std::string first_line(const std::string& text) {
  const size_t start = text.find_first_not_of(" \t\r\n");
  if (start == std::string::npos) return {};
  const size_t end = text.find('\n', start);
  return text.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

}  // namespace

std::string ToolResult::failure() const {
  if (timed_out) return "did not finish in time and was killed";
  if (too_much_output) return "printed more output than the agent reads and was stopped";
  std::string what = exit_code >= 0 ? "exit status " + std::to_string(exit_code)
                                     : "killed by signal " + std::to_string(signal);
  const std::string message = first_line(err);
  if (!message.empty()) what += ": " + message;
  return what;
}

ToolResult run_tool(const std::filesystem::path& program, const std::vector<std::string>& arguments,
                    const ToolLimits& limits) {
  Pipe out;
  Pipe err;
  SpawnSetup setup;
  int rc = posix_spawn_file_actions_addopen(&setup.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  if (rc == 0) rc = posix_spawn_file_actions_adddup2(&setup.actions, out.fds[1], STDOUT_FILENO);
  if (rc == 0) rc = posix_spawn_file_actions_adddup2(&setup.actions, err.fds[1], STDERR_FILENO);
  // Descriptors the agent opened without O_CLOEXEC (store, sockets) stay out of the child.
  if (rc == 0) rc = posix_spawn_file_actions_addclosefrom_np(&setup.actions, STDERR_FILENO + 1);
  // The agent blocks SIGTERM/SIGINT and ignores SIGPIPE; the tool gets the defaults back.
  sigset_t empty;
  sigemptyset(&empty);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGINT);
  if (rc == 0) rc = posix_spawnattr_setsigmask(&setup.attributes, &empty);
  if (rc == 0) rc = posix_spawnattr_setsigdefault(&setup.attributes, &defaults);
  if (rc == 0) rc = posix_spawnattr_setflags(&setup.attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  if (rc != 0) throw system_error("preparing to start " + program.string(), rc);

  std::vector<std::string> argv_storage{program.string()};
  argv_storage.insert(argv_storage.end(), arguments.begin(), arguments.end());
  std::vector<char*> argv;
  for (auto& argument : argv_storage) argv.push_back(argument.data());
  argv.push_back(nullptr);
  // A fixed environment: C locale for stable messages, no LD_* or PATH from the agent's.
  std::string path_entry = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
  std::string locale_entry = "LC_ALL=C";
  std::array<char*, 3> envp{path_entry.data(), locale_entry.data(), nullptr};

  pid_t pid = -1;
  rc = posix_spawn(&pid, argv_storage[0].c_str(), &setup.actions, &setup.attributes, argv.data(), envp.data());
  if (rc != 0) throw system_error("cannot start " + program.string(), rc);
  out.close_write();
  err.close_write();

  ToolResult result;
  const auto deadline = std::chrono::steady_clock::now() + limits.timeout;
  std::array<pollfd, 2> fds{pollfd{out.fds[0], POLLIN, 0}, pollfd{err.fds[0], POLLIN, 0}};
  int open_fds = 2;
  bool stop = false;
  while (open_fds > 0 && !stop) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      break;
    }
    const int ready = poll(fds.data(), fds.size(), static_cast<int>(left.count()));
    if (ready < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      throw system_error("poll on the output of " + program.string(), error);
    }
    for (size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buffer[65536];
      const ssize_t n = read(fds[i].fd, buffer, sizeof(buffer));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        fds[i].fd = -1;
        --open_fds;
        continue;
      }
      std::string& target = i == 0 ? result.out : result.err;
      target.append(buffer, static_cast<size_t>(n));
      if (result.out.size() + result.err.size() > limits.max_output_bytes) {
        result.too_much_output = true;
        stop = true;
        break;
      }
    }
  }
  if (result.timed_out || result.too_much_output) kill(pid, SIGKILL);
  // A tool that closed its output but does not exit is killed at the same deadline.
  int status = 0;
  while (true) {
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) throw system_error("waiting for " + program.string());
    if (done == 0 && std::chrono::steady_clock::now() >= deadline && !result.timed_out) {
      result.timed_out = true;
      kill(pid, SIGKILL);
    }
    if (done == 0) usleep(1000);
  }
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
  return result;
}

std::optional<std::filesystem::path> find_tool(const std::vector<std::filesystem::path>& dirs,
                                               const std::string& name) {
  for (const auto& dir : dirs) {
    const auto candidate = dir / name;
    struct stat info {};
    if (stat(candidate.c_str(), &info) == 0 && S_ISREG(info.st_mode) && access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return std::nullopt;
}

}  // namespace edgeguard::firewall
