#include "core/host_root.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace edgeguard {

HostRoot::HostRoot(std::filesystem::path root) : root_(root.empty() ? std::filesystem::path("/") : std::move(root)) {
  if (root_ != "/") {
    std::string text = root_.string();
    while (text.size() > 1 && text.back() == '/') text.pop_back();
    root_ = text;
  }
}

std::filesystem::path HostRoot::path(std::string_view host_path) const {
  while (!host_path.empty() && host_path.front() == '/') host_path.remove_prefix(1);
  if (root_ == "/") return std::filesystem::path("/") / host_path;
  return root_ / host_path;
}

std::optional<std::string> HostRoot::read_file(std::string_view host_path, size_t max_bytes) const {
  return read_whole_file(path(host_path), max_bytes);
}

bool HostRoot::exists(std::string_view host_path) const {
  std::error_code ec;
  return std::filesystem::exists(path(host_path), ec);
}

std::optional<std::string> read_whole_file(const std::filesystem::path& path, size_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return std::nullopt;
  std::string out;
  char buffer[16384];
  while (out.size() < max_bytes) {
    const ssize_t n = ::read(fd, buffer, std::min(sizeof(buffer), max_bytes - out.size()));
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    out.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

}  // namespace edgeguard
