#pragma once
// /etc/passwd and /etc/group as the host's C library reads them (nss "files"): colon-separated,
// "#" comments and blank lines skipped, the last field running to the end of the line, NIS
// compat entries ("+", "+name", "-name", "+@netgroup") standing for accounts that are not
// local. Bytes are kept as they are (the event serializer replaces invalid UTF-8).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/common/line_problem.h"

namespace edgeguard {

struct PasswdEntry {
  std::string name;
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string home;
  std::string shell;
  size_t line = 0;
};

struct GroupEntry {
  std::string name;
  uint32_t gid = 0;
  std::vector<std::string> members;
  size_t line = 0;
};

template <typename Entry>
struct AccountFile {
  std::vector<Entry> entries;
  std::vector<LineProblem> problems;  // lines that look like accounts but cannot be used
  size_t compat_lines = 0;            // NIS "+"/"-" entries: not local, not reported
};

AccountFile<PasswdEntry> parse_passwd(std::string_view text);
AccountFile<GroupEntry> parse_group(std::string_view text);

// A user with the groups the system gives it: the primary group first, then every group that
// lists the user as a member, in /etc/group order, each gid once.
struct LocalUser {
  std::string name;
  uint32_t uid = 0;
  std::vector<uint32_t> group_ids;
  std::vector<std::string> group_names;  // a gid with no /etc/group entry is named by its number, as id(1) does
  std::vector<uint32_t> unknown_group_ids;
  std::string home;
  std::string shell;
};

std::vector<LocalUser> resolve_local_users(const std::vector<PasswdEntry>& users, const std::vector<GroupEntry>& groups);

}  // namespace edgeguard
