#include "collectors/users/local_users_collector.h"

#include <cerrno>

#include "collectors/common/host_file.h"
#include "collectors/common/snapshot_events.h"
#include "core/log.h"
#include "core/strings.h"

namespace edgeguard {
namespace {

auto logger() { return log::get("collector.users"); }

constexpr size_t kMaxLoggedProblems = 20;

void log_problems(const std::string& where, const std::vector<LineProblem>& problems, const char* consequence) {
  for (size_t i = 0; i < problems.size() && i < kMaxLoggedProblems; ++i) {
    logger()->error("{}:{}: {}; {}", where, problems[i].line, problems[i].message, consequence);
  }
  if (problems.size() > kMaxLoggedProblems) {
    logger()->error("{}: {} more unusable line(s) not shown", where, problems.size() - kMaxLoggedProblems);
  }
}

}  // namespace

nlohmann::json local_user_payload(const LocalUser& user) {
  std::vector<std::string> ids;
  ids.reserve(user.group_ids.size());
  for (const auto gid : user.group_ids) ids.push_back(std::to_string(gid));
  nlohmann::json item{{"UserName", user.name},
                      {"UserId", std::to_string(user.uid)},
                      {"GroupNames", join(user.group_names, ";")},
                      {"GroupIds", join(ids, ";")}};
  nlohmann::json extra = nlohmann::json::object();
  extra["HomeDirectory"] = user.home;
  extra["Shell"] = user.shell;
  if (!user.unknown_group_ids.empty()) {
    std::vector<std::string> unknown;
    for (const auto gid : user.unknown_group_ids) unknown.push_back(std::to_string(gid));
    extra["UnknownGroupIds"] = join(unknown, ";");
  }
  item["ExtraDetails"] = std::move(extra);
  return item;
}

std::vector<Event> LocalUsersCollector::collect(const CollectorContext& context) {
  const auto passwd_file = read_host_file(context.host, "/etc/passwd");
  if (!passwd_file.text) throw CollectorError("LocalUsers: " + passwd_file.describe_error());
  if (passwd_file.truncated) {
    logger()->error("{}: longer than {} bytes; the users after that are left out", passwd_file.where, kMaxHostFileBytes);
  }
  const auto passwd = parse_passwd(*passwd_file.text);
  if (!passwd.problems.empty()) {
    log_problems(passwd_file.where, passwd.problems, "user left out");
    statistics_.dropped(context.config.priority_of("LocalUsers"), drop_reason::kParseFailure, passwd.problems.size());
  }
  if (passwd.compat_lines > 0) {
    logger()->debug("{}: {} NIS compat line(s) name no local account; not reported", passwd_file.where,
                    passwd.compat_lines);
  }

  AccountFile<GroupEntry> group;
  const auto group_file = read_host_file(context.host, "/etc/group");
  if (group_file.text) {
    group = parse_group(*group_file.text);
    log_problems(group_file.where, group.problems, "its members' group left out");
  } else {
    logger()->error("LocalUsers: {}; groups are reported by number only", group_file.describe_error());
  }

  std::vector<nlohmann::json> items;
  for (const auto& user : resolve_local_users(passwd.entries, group.entries)) items.push_back(local_user_payload(user));
  return make_snapshot_events("LocalUsers", std::move(items), context.config.effective_message_limit());
}

}  // namespace edgeguard
