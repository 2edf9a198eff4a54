#include "collectors/ports/socket_owners.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "core/strings.h"

namespace edgeguard {
namespace {

class Directory {
 public:
  explicit Directory(const std::string& path) : dir_(::opendir(path.c_str())) {}
  ~Directory() {
    if (dir_) ::closedir(dir_);
  }
  Directory(const Directory&) = delete;
  Directory& operator=(const Directory&) = delete;
  DIR* get() const { return dir_; }

 private:
  DIR* dir_;
};

std::optional<int> parse_pid(const char* name) {
  const auto pid = parse_integer<int>(name);
  if (!pid || *pid <= 0) return std::nullopt;
  return pid;
}

std::string read_link(const std::string& path) {
  char buffer[4096];
  const ssize_t n = ::readlink(path.c_str(), buffer, sizeof(buffer));
  return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : std::string();
}

}  // namespace

std::optional<uint64_t> parse_socket_link(std::string_view target) {
  constexpr std::string_view kPrefix = "socket:[";
  if (!starts_with(target, kPrefix) || target.size() < kPrefix.size() + 2 || target.back() != ']') return std::nullopt;
  const auto digits = target.substr(kPrefix.size(), target.size() - kPrefix.size() - 1);
  return parse_integer<uint64_t>(digits);
}

std::unordered_map<uint64_t, SocketOwner> find_socket_owners(const HostRoot& host,
                                                             const std::unordered_set<uint64_t>& inodes) {
  std::unordered_map<uint64_t, SocketOwner> owners;
  if (inodes.empty()) return owners;
  const std::string proc = host.path("/proc").string();
  std::vector<int> pids;
  {
    const Directory directory(proc);
    if (!directory.get()) return owners;
    while (const dirent* entry = ::readdir(directory.get())) {
      if (const auto pid = parse_pid(entry->d_name)) pids.push_back(*pid);
    }
  }
  std::sort(pids.begin(), pids.end());
  char target[64];
  for (const int pid : pids) {
    const std::string base = proc + "/" + std::to_string(pid);
    const Directory fds(base + "/fd");
    if (!fds.get()) continue;  // gone, or not ours to read
    bool owns_one = false;
    while (const dirent* entry = ::readdir(fds.get())) {
      if (entry->d_name[0] == '.') continue;
      const ssize_t n = ::readlinkat(::dirfd(fds.get()), entry->d_name, target, sizeof(target));
      if (n <= 0) continue;
      const auto inode = parse_socket_link(std::string_view(target, static_cast<size_t>(n)));
      if (!inode || !inodes.contains(*inode) || owners.contains(*inode)) continue;
      owners[*inode].pid = pid;
      owns_one = true;
    }
    if (owns_one) {
      const std::string executable = read_link(base + "/exe");
      auto comm = read_whole_file(base + "/comm", 256);
      const std::string command = comm ? std::string(trim(*comm)) : std::string();
      for (auto& [inode, owner] : owners) {
        if (owner.pid == pid) {
          owner.executable = executable;
          owner.command = command;
        }
      }
    }
    if (owners.size() == inodes.size()) break;
  }
  return owners;
}

}  // namespace edgeguard
