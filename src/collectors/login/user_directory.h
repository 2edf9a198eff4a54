#pragma once
// User names to user ids from the host's /etc/passwd, re-read when the file changes.
#include <map>
#include <optional>
#include <string>

#include <sys/types.h>

#include "core/host_root.h"

namespace edgeguard::login {

class UserDirectory {
 public:
  explicit UserDirectory(const HostRoot& host) : host_(host) {}
  // The uid of `user` as text ("1000"); nullopt for a name the host does not know (a failed
  // attempt with an invented name) or when /etc/passwd cannot be read.
  std::optional<std::string> uid_of(const std::string& user);

 private:
  void reload_if_changed();

  const HostRoot& host_;
  std::map<std::string, std::string, std::less<>> uids_;
  // Identity of the file last read: inode, size and modification time.
  ino_t inode_ = 0;
  off_t size_ = -1;
  struct timespec mtime_{};
};

// name -> uid (as text) from passwd(5) text; what is not a local account entry (NIS "+" entries,
// comments, garbage) is skipped.
std::map<std::string, std::string, std::less<>> uids_by_name(std::string_view passwd_text);

}  // namespace edgeguard::login
