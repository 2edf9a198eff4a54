// /etc/passwd and /etc/group parsers and the group resolution: the first byte splits the input
// into a passwd part and a group part.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "collectors/users/account_files.h"
#include "collectors/users/local_users_collector.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t split = std::min<size_t>(data[0] * 16u, size - 1);
  const std::string_view passwd_text(reinterpret_cast<const char*>(data) + 1, split);
  const std::string_view group_text(reinterpret_cast<const char*>(data) + 1 + split, size - 1 - split);
  const auto passwd = edgeguard::parse_passwd(passwd_text);
  const auto group = edgeguard::parse_group(group_text);
  for (const auto& entry : passwd.entries) {
    if (entry.name.empty() || entry.uid == 0xffffffffu || entry.gid == 0xffffffffu) std::abort();
  }
  for (const auto& entry : group.entries) {
    if (entry.name.empty() || entry.gid == 0xffffffffu) std::abort();
  }
  const auto users = edgeguard::resolve_local_users(passwd.entries, group.entries);
  if (users.size() != passwd.entries.size()) std::abort();
  for (const auto& user : users) {
    // Aligned lists, primary group first, no gid twice.
    if (user.group_ids.empty() || user.group_ids.size() != user.group_names.size()) std::abort();
    for (size_t i = 0; i < user.group_ids.size(); ++i) {
      for (size_t j = i + 1; j < user.group_ids.size(); ++j) {
        if (user.group_ids[i] == user.group_ids[j]) std::abort();
      }
    }
    (void)edgeguard::local_user_payload(user).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return 0;
}
