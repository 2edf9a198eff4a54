#include "collectors/process/user_names.h"

#include <sys/stat.h>

#include "collectors/users/account_files.h"

namespace edgeguard {

std::unordered_map<uint32_t, std::string> names_by_uid(std::string_view passwd_text) {
  std::unordered_map<uint32_t, std::string> names;
  for (auto& entry : parse_passwd(passwd_text).entries) names.try_emplace(entry.uid, std::move(entry.name));
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
  names_ = names_by_uid(*text);
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
