#include "collectors/login/host_path.h"

#include <sys/stat.h>
#include <unistd.h>

#include <deque>
#include <string>
#include <vector>

namespace edgeguard::login {
namespace {

constexpr int kMaxLinks = 40;  // as the kernel's MAXSYMLINKS

void push_components(std::deque<std::string>& into, std::string_view path, bool front) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t end = std::min(path.find('/', start), path.size());
    if (end > start) parts.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  if (front) {
    into.insert(into.begin(), parts.begin(), parts.end());
  } else {
    into.insert(into.end(), parts.begin(), parts.end());
  }
}

}  // namespace

std::optional<std::filesystem::path> resolve_host_path(const HostRoot& host, std::string_view host_path) {
  std::deque<std::string> pending;
  push_components(pending, host_path, false);
  std::vector<std::string> resolved;
  int links = 0;
  const auto real_path = [&] {
    std::filesystem::path out = host.root();
    for (const auto& part : resolved) out /= part;
    return out;
  };
  while (!pending.empty()) {
    std::string part = std::move(pending.front());
    pending.pop_front();
    if (part == ".") continue;
    if (part == "..") {
      if (!resolved.empty()) resolved.pop_back();
      continue;
    }
    resolved.push_back(part);
    const std::string candidate = real_path().string();
    struct stat st{};
    if (lstat(candidate.c_str(), &st) != 0) return std::nullopt;
    if (!S_ISLNK(st.st_mode)) continue;
    if (++links > kMaxLinks) return std::nullopt;
    std::string target(4096, '\0');
    const ssize_t n = readlink(candidate.c_str(), target.data(), target.size());
    if (n <= 0 || static_cast<size_t>(n) >= target.size()) return std::nullopt;
    target.resize(static_cast<size_t>(n));
    resolved.pop_back();
    if (target.front() == '/') resolved.clear();
    push_components(pending, target, true);
  }
  return real_path();
}

}  // namespace edgeguard::login
