#pragma once
// LocalUsers (schema messageEventSecurityLocalUsers_v1_0.json): every account in the host's
// /etc/passwd with its primary and supplementary groups from /etc/group.
#include "collectors/collector.h"
#include "collectors/users/account_files.h"
#include "pipeline/statistics.h"

namespace edgeguard {

// One payload item: UserName, UserId, GroupNames and GroupIds (";"-joined, primary first), and
// ExtraDetails HomeDirectory, Shell and, when a gid has no group entry, UnknownGroupIds.
nlohmann::json local_user_payload(const LocalUser& user);

class LocalUsersCollector : public PeriodicCollector {
 public:
  explicit LocalUsersCollector(Statistics& statistics) : statistics_(statistics) {}
  std::string_view name() const override { return "LocalUsers"; }
  std::vector<std::string> event_names() const override { return {"LocalUsers"}; }
  // Throws CollectorError when /etc/passwd cannot be read. A passwd line that cannot be parsed
  // is a user left out: logged with file and line, counted as dropped (ParseFailure).
  std::vector<Event> collect(const CollectorContext& context) override;

 private:
  Statistics& statistics_;
};

}  // namespace edgeguard
