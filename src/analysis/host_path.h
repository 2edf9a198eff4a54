#pragma once
// Which host paths are sensitive to bind into a module, from the rules' host-path tables.
#include <optional>
#include <string>
#include <string_view>

#include "analysis/rule_catalog.h"

namespace edgeguard::analysis {

// An absolute host path made comparable: "//", "." and ".." resolved lexically, no trailing
// "/", and /var/run read as /run (it is a symlink to /run on current distributions, and the
// engine resolves it when it binds). Empty for a relative path (a volume name).
std::string normalise_host_path(std::string_view path);

struct HostPathExposure {
  Severity severity = Severity::Low;
  std::string what;             // what the bind exposes, for the message
  bool agent_may_read = false;  // the security agent may bind this read-only
};

// What binding `source` into module `module` exposes; nullopt when nothing sensitive (or an
// expected IoT Edge socket of that module, or a harmless read-only file such as /etc/localtime).
// A bind of a directory above a sensitive path exposes that path too.
std::optional<HostPathExposure> classify_host_path(const RuleCatalog& catalog, const std::string& module,
                                                   std::string_view source, bool read_only);

}  // namespace edgeguard::analysis
