#pragma once
// uid -> user name from the host's /etc/passwd (through HostRoot, so a module names host users,
// not its image's). Cached: the file is re-read at most every `refresh` and only when its
// modification time changed, so a name costs a hash lookup on the hot path.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/host_root.h"

namespace edgeguard {

// uid -> name from passwd(5) text; the first entry of a uid wins, as for getpwuid.
std::unordered_map<uint32_t, std::string> names_by_uid(std::string_view passwd_text);

class UserNames {
 public:
  explicit UserNames(const HostRoot& host, std::chrono::seconds refresh = std::chrono::seconds(30));
  // Not thread-safe: the caller serialises.
  std::optional<std::string_view> name_of(uint32_t uid);

 private:
  void reload_if_changed(std::chrono::steady_clock::time_point now);

  const HostRoot& host_;
  std::chrono::seconds refresh_;
  std::chrono::steady_clock::time_point checked_{};
  int64_t mtime_ns_ = -1;
  std::unordered_map<uint32_t, std::string> names_;
};

}  // namespace edgeguard
