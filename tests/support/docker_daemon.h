#pragma once
// A private Docker engine for integration tests: dockerd from Debian's docker.io on its own
// socket, data root, exec root, pid file and cgroup parent, all under one mkdtemp directory,
// with no iptables rules and no bridge (the host's network is untouched). It is stopped by its
// PID and everything it made is removed (containers, mounts, cgroups, files) even when a test
// fails. Several may run at once (other worktrees' tests): nothing has a fixed name.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "process.h"

namespace edgeguard::test {

class DockerDaemon {
 public:
  // Starts the engine now, or later with start() when `start_now` is false (an engine that
  // comes up after the agent).
  explicit DockerDaemon(bool start_now = true);
  ~DockerDaemon();
  DockerDaemon(const DockerDaemon&) = delete;
  DockerDaemon& operator=(const DockerDaemon&) = delete;

  // Starts dockerd and waits until it answers; throws with the end of its log if it does not.
  void start();
  // SIGTERM by PID, then SIGKILL if it has not exited within `grace`; returns once the engine's
  // own containerd is gone too, so start() can follow at once. dockerd bounds its shutdown
  // itself (about 15 s for the containers, 10 s for containerd); the default grace leaves room
  // for that on a loaded machine (a dockerd killed halfway leaves its containers running). The
  // data root stays, so start() brings the same containers back.
  void stop(std::chrono::seconds grace = std::chrono::seconds(60));
  bool running() const;
  pid_t pid() const;

  const std::filesystem::path& socket() const { return socket_; }
  const std::filesystem::path& directory() const { return dir_; }
  const std::string& cgroup_parent() const { return cgroup_parent_; }

  // /usr/bin/docker (Debian's CLI, whatever else is in PATH) against this engine.
  CommandResult cli(const std::vector<std::string>& args, std::chrono::milliseconds timeout = std::chrono::seconds(120));
  // Like cli() but throws with the CLI's stderr when it fails; returns its trimmed stdout.
  std::string must(const std::vector<std::string>& args);
  // A tiny image from Debian's busybox-static (docker import: no registry is reachable).
  void import_busybox(const std::string& tag);

  // Every pid in the container's cgroup (read from the cgroup file system).
  std::vector<pid_t> container_pids(const std::string& container_id) const;

 private:
  void remove_everything();
  void kill_leftovers();
  void unmount_leftovers();
  void remove_cgroups();

  std::filesystem::path dir_;
  std::filesystem::path socket_;
  std::string cgroup_parent_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace edgeguard::test
