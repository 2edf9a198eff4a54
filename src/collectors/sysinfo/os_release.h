#pragma once
// os-release(5): newline-separated shell-style assignments (KEY=value, value optionally in
// double or single quotes, backslash escapes inside double quotes and unquoted values, no
// expansion, "#" comment lines).
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/common/line_problem.h"

namespace edgeguard {

struct OsRelease {
  std::map<std::string, std::string, std::less<>> values;  // a later assignment wins, as in a shell
  std::vector<LineProblem> problems;

  // The value, or "" when absent.
  std::string get(std::string_view key) const;
};

OsRelease parse_os_release(std::string_view text);

}  // namespace edgeguard
