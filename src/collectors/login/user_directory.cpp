#include "collectors/login/user_directory.h"

#include <sys/stat.h>

#include "collectors/users/account_files.h"

namespace edgeguard::login {

std::map<std::string, std::string, std::less<>> uids_by_name(std::string_view passwd_text) {
  std::map<std::string, std::string, std::less<>> out;
  for (auto& entry : parse_passwd(passwd_text).entries) {
    out.emplace(std::move(entry.name), std::to_string(entry.uid));  // the first entry of a name wins, as getpwnam
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
  uids_ = text ? uids_by_name(*text) : decltype(uids_){};
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
