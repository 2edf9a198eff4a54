#pragma once
// Shared by the firewall unit tests: fixture files and row lookup.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "collectors/firewall/firewall_rule.h"
#include "core/host_root.h"

namespace edgeguard::firewall::testing {

inline std::string fixture(const std::string& name) {
  const auto text = read_whole_file(std::string(EDGEGUARD_TEST_DIR) + "/fixtures/firewall/" + name);
  if (!text) ADD_FAILURE() << "missing fixture " << name;
  return text.value_or("");
}

// The row of `chain` in `table` at `priority`; fails the test if there is not exactly one.
inline const FirewallRule& row(const std::vector<FirewallRule>& rows, const std::string& table,
                               const std::string& chain, int64_t priority) {
  const FirewallRule* found = nullptr;
  int count = 0;
  for (const auto& candidate : rows) {
    if (candidate.table == table && candidate.chain == chain && candidate.priority == priority) {
      found = &candidate;
      ++count;
    }
  }
  if (count != 1) {
    ADD_FAILURE() << count << " rows for " << table << " " << chain << " #" << priority;
    static const FirewallRule none;
    return none;
  }
  return *found;
}

inline std::string detail(const FirewallRule& rule, const std::string& key) {
  const auto found = rule.details.find(key);
  return found == rule.details.end() ? std::string("<absent>") : found->second;
}

inline size_t count_chain(const std::vector<FirewallRule>& rows, const std::string& table, const std::string& chain) {
  size_t count = 0;
  for (const auto& candidate : rows) count += candidate.table == table && candidate.chain == chain;
  return count;
}

}  // namespace edgeguard::firewall::testing
