#include "collectors/common/host_file.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <vector>

#include "core/strings.h"

namespace edgeguard {
namespace {

constexpr int kMaxSymlinks = 40;  // the kernel's own limit (MAXSYMLINKS)

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string relative_part(std::string_view host_path) {
  while (!host_path.empty() && host_path.front() == '/') host_path.remove_prefix(1);
  return host_path.empty() ? std::string(".") : std::string(host_path);
}

void read_all(int fd, size_t max_bytes, HostFileResult& result) {
  std::string out;
  char buffer[16384];
  // One byte more than allowed tells a file of exactly max_bytes from a longer one.
  while (out.size() <= max_bytes) {
    const ssize_t n = ::read(fd, buffer, std::min(sizeof(buffer), max_bytes + 1 - out.size()));
    if (n < 0) {
      if (errno == EINTR) continue;
      result.error = errno;
      return;
    }
    if (n == 0) break;
    out.append(buffer, static_cast<size_t>(n));
  }
  if (out.size() > max_bytes) {
    out.resize(max_bytes);
    result.truncated = true;
  }
  result.text = std::move(out);
}

// openat2(RESOLVE_IN_ROOT): the kernel resolves every link as if the root were "/", atomically.
// Returns -1 with errno ENOSYS where the kernel (or a seccomp profile) does not offer it.
int open_in_root(const HostRoot& host, std::string_view host_path) {
  const FileDescriptor root(::open(host.root().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (root.get() < 0) return -1;
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  const std::string relative = relative_part(host_path);
  long fd;
  do {
    fd = ::syscall(SYS_openat2, root.get(), relative.c_str(), &how, sizeof(how));
  } while (fd < 0 && errno == EINTR);
  return static_cast<int>(fd);
}

std::vector<std::string> components(std::string_view path) {
  std::vector<std::string> out;
  for (const auto part : split(path, '/')) {
    if (!part.empty() && part != ".") out.emplace_back(part);
  }
  return out;
}

std::string join_host_path(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& part : parts) out += "/" + part;
  return out.empty() ? "/" : out;
}

}  // namespace

std::string HostFileResult::describe_error() const {
  return "open " + where + ": " + (error ? std::strerror(error) : "unknown error");
}

std::optional<std::string> resolve_host_path(const HostRoot& host, std::string_view host_path, int& error) {
  error = 0;
  std::vector<std::string> resolved;
  std::deque<std::string> pending;
  for (auto& part : components(host_path)) pending.push_back(std::move(part));
  int links = 0;
  while (!pending.empty()) {
    std::string part = std::move(pending.front());
    pending.pop_front();
    if (part == "..") {
      if (!resolved.empty()) resolved.pop_back();
      continue;
    }
    resolved.push_back(part);
    const std::string candidate = join_host_path(resolved);
    struct stat info {};
    if (::lstat(host.path(candidate).c_str(), &info) != 0) {
      if (errno == ENOENT && pending.empty()) return candidate;  // a missing last component is the caller's to report
      error = errno;
      return std::nullopt;
    }
    if (!S_ISLNK(info.st_mode)) continue;
    if (++links > kMaxSymlinks) {
      error = ELOOP;
      return std::nullopt;
    }
    std::vector<char> target(static_cast<size_t>(info.st_size > 0 ? info.st_size : 255) + 1);
    const ssize_t length = ::readlink(host.path(candidate).c_str(), target.data(), target.size());
    if (length < 0) {
      error = errno;
      return std::nullopt;
    }
    const std::string_view link(target.data(), static_cast<size_t>(length));
    resolved.pop_back();
    if (!link.empty() && link.front() == '/') resolved.clear();
    auto link_parts = components(link);
    pending.insert(pending.begin(), link_parts.begin(), link_parts.end());
  }
  return join_host_path(resolved);
}

HostFileResult read_host_file(const HostRoot& host, std::string_view host_path, size_t max_bytes) {
  HostFileResult result;
  result.where = host.path(host_path).string();
  int fd = -1;
  if (host.is_real_root()) {
    fd = ::open(result.where.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  } else {
    fd = open_in_root(host, host_path);
    if (fd < 0 && errno == ENOSYS) {
      int error = 0;
      const auto resolved = resolve_host_path(host, host_path, error);
      if (!resolved) {
        result.error = error;
        return result;
      }
      fd = ::open(host.path(*resolved).c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
    }
  }
  if (fd < 0) {
    result.error = errno;
    return result;
  }
  const FileDescriptor file(fd);
  read_all(file.get(), max_bytes, result);
  return result;
}

}  // namespace edgeguard
