#include "docker_daemon.h"

#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "collectors/docker/docker_client.h"
#include "core/host_root.h"

namespace edgeguard::test {
namespace {

std::string tail(const std::filesystem::path& file, size_t bytes) {
  const auto text = read_whole_file(file);
  if (!text) return "(no log)";
  return text->size() > bytes ? text->substr(text->size() - bytes) : *text;
}

std::string trim_text(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r')) text.pop_back();
  return text;
}

struct MountPoint {
  std::string type;
  std::filesystem::path path;
};

// Mount points from /proc/self/mountinfo (octal escapes decoded).
std::vector<MountPoint> mount_points() {
  std::vector<MountPoint> out;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, devices, root, mount_point, options, field;
    fields >> id >> parent >> devices >> root >> mount_point >> options;
    while (fields >> field && field != "-") {
    }
    std::string type;
    fields >> type;
    std::string decoded;
    for (size_t i = 0; i < mount_point.size(); ++i) {
      if (mount_point[i] == '\\' && i + 3 < mount_point.size()) {
        decoded += static_cast<char>(std::stoi(mount_point.substr(i + 1, 3), nullptr, 8));
        i += 3;
      } else {
        decoded += mount_point[i];
      }
    }
    out.push_back({type, decoded});
  }
  return out;
}

// Processes whose command line contains `needle`.
std::vector<pid_t> pids_with_command_line(const std::string& needle) {
  std::vector<pid_t> pids;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
    const auto cmdline = read_whole_file(entry.path() / "cmdline");
    if (cmdline && cmdline->find(needle) != std::string::npos) pids.push_back(std::stoi(name));
  }
  return pids;
}

// Whether `pid` exists in the sense dockerd checks it (kill(pid, 0); a zombie counts).
bool exists(pid_t pid) { return kill(pid, 0) == 0 || errno == EPERM; }

}  // namespace

DockerDaemon::DockerDaemon(bool start_now) {
  // Short: unix socket paths (ours and containerd's under the exec root) must fit in 108 bytes.
  std::string pattern = "/tmp/egd-XXXXXX";
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  dir_ = pattern;
  socket_ = dir_ / "docker.sock";
  cgroup_parent_ = "edgeguard-test-" + dir_.filename().string().substr(4);
  std::filesystem::create_directories(dir_ / "data");
  std::filesystem::create_directories(dir_ / "exec");
  if (start_now) {
    try {
      start();
    } catch (...) {
      remove_everything();
      throw;
    }
  }
}

DockerDaemon::~DockerDaemon() { remove_everything(); }

void DockerDaemon::start() {
  if (running()) return;
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{// Dies with the test process even if the test crashes before its teardown.
                               "/usr/bin/setpriv", "--pdeathsig", "KILL", "/usr/sbin/dockerd",
                               "--host", "unix://" + socket_.string(), "--data-root", (dir_ / "data").string(),
                               "--exec-root", (dir_ / "exec").string(), "--pidfile", (dir_ / "docker.pid").string(),
                               "--cgroup-parent", "/" + cgroup_parent_, "--iptables=false", "--ip6tables=false",
                               "--bridge=none", "--log-level=warn"},
      (dir_ / "dockerd.log").string(), (dir_ / "dockerd.log").string());
  docker::DockerClient client(socket_, std::chrono::seconds(2));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  std::string last_error;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!process_->running()) {
      throw std::runtime_error("dockerd exited while starting: " + tail(dir_ / "dockerd.log", 2000));
    }
    try {
      client.version();
      return;
    } catch (const std::exception& error) {
      last_error = error.what();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  throw std::runtime_error("dockerd did not answer within 90 s (" + last_error + "): " + tail(dir_ / "dockerd.log", 2000));
}

bool DockerDaemon::running() const { return process_ && process_->running(); }

pid_t DockerDaemon::pid() const { return process_ ? process_->pid() : -1; }

void DockerDaemon::stop(std::chrono::seconds grace) {
  if (!process_) return;
  // dockerd runs its own containerd (config under our exec root). It waits at most 10 s for it
  // on the way out and leaves it to die by its parent-death signal after that; a dockerd
  // started while that containerd still exists takes it for a running one, waits for a socket
  // that never comes and gives up after 15 s ("timeout waiting for containerd to start"). So
  // the engine has stopped when its containerd is gone too.
  const std::string containerd_config = (dir_ / "exec" / "containerd" / "containerd.toml").string();
  std::vector<pid_t> containerd = pids_with_command_line(containerd_config);
  if (process_->running()) {
    process_->signal(SIGTERM);
    if (process_->wait(grace) == INT_MIN) {
      std::fprintf(stderr, "dockerd %d did not stop within %lld s after SIGTERM; killing it\n", process_->pid(),
                   static_cast<long long>(grace.count()));
      process_->signal(SIGKILL);
      process_->wait(std::chrono::seconds(30));
    }
  }
  process_.reset();
  for (const pid_t pid : pids_with_command_line(containerd_config)) {  // one it started on the way out
    if (std::find(containerd.begin(), containerd.end(), pid) == containerd.end()) containerd.push_back(pid);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (const pid_t pid : containerd) {
    while (exists(pid) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!exists(pid)) continue;
    std::fprintf(stderr, "containerd %d of the stopped dockerd still exists; killing it\n", pid);
    const auto cmdline = read_whole_file("/proc/" + std::to_string(pid) + "/cmdline");
    if (cmdline && cmdline->find(dir_.string() + "/") != std::string::npos) kill(pid, SIGKILL);
    const auto killed_by = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (exists(pid) && std::chrono::steady_clock::now() < killed_by) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
}

CommandResult DockerDaemon::cli(const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
  std::vector<std::string> argv = {"/usr/bin/docker", "-H", "unix://" + socket_.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, timeout, {"DOCKER_CONFIG=" + (dir_ / "cli").string()});
}

std::string DockerDaemon::must(const std::vector<std::string>& args) {
  const auto result = cli(args);
  if (result.exit_code != 0) {
    std::string command;
    for (const auto& arg : args) command += " " + arg;
    throw std::runtime_error("docker" + command + " failed (" + std::to_string(result.exit_code) + "): " + result.err);
  }
  return trim_text(result.out);
}

void DockerDaemon::import_busybox(const std::string& tag) {
  const auto rootfs = dir_ / "rootfs";
  std::filesystem::create_directories(rootfs / "bin");
  std::filesystem::copy_file("/usr/bin/busybox", rootfs / "bin" / "busybox",
                             std::filesystem::copy_options::overwrite_existing);
  for (const char* applet : {"sh", "sleep", "id", "true", "cat", "echo", "ls", "ps"}) {
    std::error_code ec;
    std::filesystem::create_symlink("busybox", rootfs / "bin" / applet, ec);
  }
  const auto tar = dir_ / "rootfs.tar";
  const auto packed = run({"/usr/bin/tar", "-C", rootfs.string(), "-cf", tar.string(), "."});
  if (packed.exit_code != 0) throw std::runtime_error("tar failed: " + packed.err);
  must({"import", "--change", "CMD [\"/bin/sh\"]", tar.string(), tag});
}

std::vector<pid_t> DockerDaemon::container_pids(const std::string& container_id) const {
  std::vector<pid_t> pids;
  for (const auto& mount : mount_points()) {
    if (mount.type != "cgroup" && mount.type != "cgroup2") continue;
    std::ifstream procs(mount.path / cgroup_parent_ / container_id / "cgroup.procs");
    pid_t pid = 0;
    while (procs >> pid) {
      if (std::find(pids.begin(), pids.end(), pid) == pids.end()) pids.push_back(pid);
    }
  }
  return pids;
}

void DockerDaemon::kill_leftovers() {
  // Whatever still runs in our cgroup parent (containers whose engine was killed) or names our
  // directory on its command line (containerd and its shims): killed by PID.
  std::vector<pid_t> victims;
  for (const auto& mount : mount_points()) {
    if (mount.type != "cgroup" && mount.type != "cgroup2") continue;
    std::error_code ec;
    const auto parent = mount.path / cgroup_parent_;
    if (!std::filesystem::is_directory(parent, ec)) continue;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(parent, ec)) {
      if (entry.path().filename() != "cgroup.procs") continue;
      std::ifstream procs(entry.path());
      pid_t pid = 0;
      while (procs >> pid) victims.push_back(pid);
    }
  }
  for (const pid_t pid : pids_with_command_line(dir_.string() + "/")) victims.push_back(pid);
  for (const pid_t pid : victims) {
    if (pid > 1 && pid != getpid()) kill(pid, SIGKILL);
  }
  if (!victims.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(200));
}

void DockerDaemon::unmount_leftovers() {
  // dockerd unmounts on a clean stop; after a kill, its netns and overlay mounts stay.
  std::vector<std::filesystem::path> under;
  const std::string prefix = dir_.string() + "/";
  for (const auto& mount : mount_points()) {
    if (mount.path.string().rfind(prefix, 0) == 0) under.push_back(mount.path);
  }
  std::sort(under.begin(), under.end(), [](const auto& a, const auto& b) { return a.string().size() > b.string().size(); });
  for (const auto& path : under) umount2(path.c_str(), MNT_DETACH);
}

void DockerDaemon::remove_cgroups() {
  for (const auto& mount : mount_points()) {
    if (mount.type != "cgroup" && mount.type != "cgroup2") continue;
    std::error_code ec;
    const auto parent = mount.path / cgroup_parent_;
    if (!std::filesystem::is_directory(parent, ec)) continue;
    std::vector<std::filesystem::path> dirs;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(parent, ec)) {
      if (entry.is_directory(ec)) dirs.push_back(entry.path());
    }
    std::sort(dirs.begin(), dirs.end(), [](const auto& a, const auto& b) { return a.string().size() > b.string().size(); });
    for (const auto& dir : dirs) rmdir(dir.c_str());
    rmdir(parent.c_str());
  }
}

void DockerDaemon::remove_everything() {
  if (running()) {
    // Containers first: a clean engine stop then has nothing to wait for.
    const auto ids = cli({"ps", "-aq"}, std::chrono::seconds(30));
    if (ids.exit_code == 0 && !trim_text(ids.out).empty()) {
      std::vector<std::string> args = {"rm", "-f", "-v"};
      std::istringstream list(ids.out);
      std::string id;
      while (list >> id) args.push_back(id);
      cli(args, std::chrono::seconds(60));
    }
  }
  stop();
  kill_leftovers();
  unmount_leftovers();
  remove_cgroups();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

}  // namespace edgeguard::test
