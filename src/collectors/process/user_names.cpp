#include "collectors/process/user_names.h"

#include <sys/stat.h>

#include <charconv>

#include "core/strings.h"

namespace edgeguard {

std::unordered_map<uint32_t, std::string> parse_passwd(std::string_view text) {
  std::unordered_map<uint32_t, std::string> names;
  for (const auto line : split(text, '\n')) {
    if (line.empty() || line.front() == '#') continue;
    const auto fields = split(line, ':');
    if (fields.size() < 3 || fields[0].empty()) continue;
    uint32_t uid = 0;
    const auto [end, error] = std::from_chars(fields[2].data(), fields[2].data() + fields[2].size(), uid);
    if (error != std::errc() || end != fields[2].data() + fields[2].size()) continue;
    names.try_emplace(uid, std::string(fields[0]));
  }
  return names;
}

UserNames::UserNames(const HostRoot& host, std::chrono::seconds refresh) : host_(host), refresh_(refresh) {}

void UserNames::reload_if_changed(std::chrono::steady_clock::time_point now) {
  checked_ = now;
  struct stat info {};
  if (::stat(host_.path("/etc/passwd").c_str(), &info) != 0) {
    names_.clear();
    mtime_ns_ = -1;
    return;
  }
  const int64_t mtime = static_cast<int64_t>(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec;
  if (mtime == mtime_ns_) return;
  const auto text = host_.read_file("/etc/passwd", 16 * 1024 * 1024);
  if (!text) return;
  names_ = parse_passwd(*text);
  mtime_ns_ = mtime;
}

std::optional<std::string_view> UserNames::name_of(uint32_t uid) {
  const auto now = std::chrono::steady_clock::now();
  if (checked_ == std::chrono::steady_clock::time_point{} || now - checked_ >= refresh_) reload_if_changed(now);
  auto it = names_.find(uid);
  if (it == names_.end()) {
    // A user added since the last look: check the file again, but not more than once a second.
    if (now - checked_ < std::chrono::seconds(1)) return std::nullopt;
    reload_if_changed(now);
    it = names_.find(uid);
    if (it == names_.end()) return std::nullopt;
  }
  return std::string_view(it->second);
}

}  // namespace edgeguard
