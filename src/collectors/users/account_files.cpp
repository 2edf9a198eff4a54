#include "collectors/users/account_files.h"

#include <unordered_map>
#include <unordered_set>

#include "core/strings.h"

namespace edgeguard {
namespace {

// (uid_t)-1 means "no id" to every system call, so no account can have it.
constexpr uint32_t kNoId = 0xffffffffu;

bool parse_id(std::string_view text, uint32_t& out) {
  const auto value = parse_integer<uint32_t>(text);
  if (!value || *value == kNoId) return false;
  out = *value;
  return true;
}

// Splits off the first `count - 1` colon-separated fields; the last one keeps the rest of the
// line, colons and all (glibc's parser does the same for pw_shell and gr_mem).
std::vector<std::string_view> fields(std::string_view line, size_t count) {
  std::vector<std::string_view> out;
  while (out.size() + 1 < count) {
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) break;
    out.push_back(line.substr(0, colon));
    line.remove_prefix(colon + 1);
  }
  out.push_back(line);
  return out;
}

// Calls `entry(number, line)` for each line that is not blank, a comment or a NIS entry.
template <typename Result, typename Handler>
void for_each_account_line(std::string_view text, Result& result, Handler entry) {
  size_t number = 0;
  for (auto line : split(text, '\n')) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (trim(line).empty() || line.front() == '#') continue;
    if (line.front() == '+' || line.front() == '-') {
      ++result.compat_lines;
      continue;
    }
    entry(number, line);
  }
}

}  // namespace

AccountFile<PasswdEntry> parse_passwd(std::string_view text) {
  AccountFile<PasswdEntry> result;
  for_each_account_line(text, result, [&](size_t number, std::string_view line) {
    const auto parts = fields(line, 7);
    if (parts.size() < 4) {
      result.problems.push_back({number, "expected name:password:uid:gid:gecos:home:shell"});
      return;
    }
    PasswdEntry entry;
    entry.line = number;
    entry.name = std::string(parts[0]);
    if (entry.name.empty()) {
      result.problems.push_back({number, "empty user name"});
      return;
    }
    if (!parse_id(parts[2], entry.uid)) {
      result.problems.push_back({number, "user " + quoted(entry.name) + ": uid " + quoted(parts[2]) + " is not a number below 4294967295"});
      return;
    }
    if (!parse_id(parts[3], entry.gid)) {
      result.problems.push_back({number, "user " + quoted(entry.name) + ": gid " + quoted(parts[3]) + " is not a number below 4294967295"});
      return;
    }
    if (parts.size() > 5) entry.home = std::string(parts[5]);
    if (parts.size() > 6) entry.shell = std::string(parts[6]);
    result.entries.push_back(std::move(entry));
  });
  return result;
}

AccountFile<GroupEntry> parse_group(std::string_view text) {
  AccountFile<GroupEntry> result;
  for_each_account_line(text, result, [&](size_t number, std::string_view line) {
    const auto parts = fields(line, 4);
    if (parts.size() < 3) {
      result.problems.push_back({number, "expected name:password:gid:members"});
      return;
    }
    GroupEntry entry;
    entry.line = number;
    entry.name = std::string(parts[0]);
    if (entry.name.empty()) {
      result.problems.push_back({number, "empty group name"});
      return;
    }
    if (!parse_id(parts[2], entry.gid)) {
      result.problems.push_back({number, "group " + quoted(entry.name) + ": gid " + quoted(parts[2]) + " is not a number below 4294967295"});
      return;
    }
    if (parts.size() > 3) {
      for (const auto member : split(parts[3], ',')) {
        const auto name = trim(member);
        if (!name.empty()) entry.members.emplace_back(name);
      }
    }
    result.entries.push_back(std::move(entry));
  });
  return result;
}

std::vector<LocalUser> resolve_local_users(const std::vector<PasswdEntry>& users, const std::vector<GroupEntry>& groups) {
  // getgrgid(): the first entry with a gid names it.
  std::unordered_map<uint32_t, const GroupEntry*> by_gid;
  // member name -> indexes of the groups that list it, in file order.
  std::unordered_map<std::string_view, std::vector<size_t>> memberships;
  for (size_t i = 0; i < groups.size(); ++i) {
    by_gid.try_emplace(groups[i].gid, &groups[i]);
    for (const auto& member : groups[i].members) {
      auto& list = memberships[member];
      if (list.empty() || list.back() != i) list.push_back(i);
    }
  }

  std::vector<LocalUser> out;
  out.reserve(users.size());
  for (const auto& user : users) {
    LocalUser local;
    local.name = user.name;
    local.uid = user.uid;
    local.home = user.home;
    local.shell = user.shell;
    std::unordered_set<uint32_t> seen;
    seen.insert(user.gid);
    local.group_ids.push_back(user.gid);
    if (const auto it = by_gid.find(user.gid); it != by_gid.end()) {
      local.group_names.push_back(it->second->name);
    } else {
      local.group_names.push_back(std::to_string(user.gid));
      local.unknown_group_ids.push_back(user.gid);
    }
    if (const auto it = memberships.find(user.name); it != memberships.end()) {
      for (const size_t index : it->second) {
        const GroupEntry& group = groups[index];
        if (!seen.insert(group.gid).second) continue;
        local.group_ids.push_back(group.gid);
        local.group_names.push_back(group.name);
      }
    }
    out.push_back(std::move(local));
  }
  return out;
}

}  // namespace edgeguard
