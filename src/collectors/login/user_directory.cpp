#include "collectors/login/user_directory.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>

#include "core/strings.h"

namespace edgeguard::login {

std::map<std::string, std::string, std::less<>> parse_passwd(std::string_view text) {
  std::map<std::string, std::string, std::less<>> out;
  for (const auto line : split(text, '\n')) {
    const auto fields = split(line, ':');
    if (fields.size() < 4 || fields[0].empty() || fields[2].empty()) continue;
    if (!std::all_of(fields[2].begin(), fields[2].end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
      continue;
    }
    out.emplace(std::string(fields[0]), std::string(fields[2]));  // the first entry of a name wins, as getpwnam
  }
  return out;
}

void UserDirectory::reload_if_changed() {
  struct stat st{};
  if (stat(host_.path("/etc/passwd").c_str(), &st) != 0) {
    uids_.clear();
    inode_ = 0;
    size_ = -1;
    return;
  }
  if (st.st_ino == inode_ && st.st_size == size_ && st.st_mtim.tv_sec == mtime_.tv_sec &&
      st.st_mtim.tv_nsec == mtime_.tv_nsec) {
    return;
  }
  const auto text = host_.read_file("/etc/passwd");
  uids_ = text ? parse_passwd(*text) : decltype(uids_){};
  inode_ = st.st_ino;
  size_ = st.st_size;
  mtime_ = st.st_mtim;
}

std::optional<std::string> UserDirectory::uid_of(const std::string& user) {
  reload_if_changed();
  const auto it = uids_.find(user);
  if (it == uids_.end()) return std::nullopt;
  return it->second;
}

}  // namespace edgeguard::login
