#pragma once
// Reads the output of iptables-save / ip6tables-save (legacy and nf_tables variants alike:
// both print the format iptables-restore reads) into FirewallRule rows.
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/firewall/firewall_rule.h"

namespace edgeguard::firewall {

struct IptablesTable {
  std::string name;
  // The rows to report, in order: each chain's rules (Priority 0..n-1) and, for a built-in
  // chain, its policy as the last row (Priority n).
  std::vector<FirewallRule> rows;
  // True when the table only has built-in chains with an ACCEPT policy and no rules: the state
  // the kernel creates a legacy table in on first access, which filters nothing.
  bool pristine = false;
  bool committed = false;  // its COMMIT line was seen
};

struct IptablesDump {
  std::string backend;  // kBackendIptablesNft or kBackendIptablesLegacy
  std::string family;   // "ip" (iptables-save) or "ip6" (ip6tables-save)
  std::vector<IptablesTable> tables;
  // Tables iptables-nft-save names as incompatible ("use 'nft' tool"): whatever it prints for
  // them is not the real ruleset; they must be read from nftables.
  std::set<std::string> incompatible_tables;
  // What could not be read, each naming its line.
  std::vector<std::string> problems;
  size_t lost_rules = 0;  // lines that could not be reported at all
};

// `backend` and `family` label the rows ("iptables-legacy"/"iptables-nft", "ip"/"ip6").
IptablesDump parse_iptables_save(std::string_view text, std::string_view backend, std::string_view family);

// "1000:2000" -> "1000-2000", "22,80:90" -> "22,80-90" (iptables writes ranges with a colon).
std::string iptables_port_list(std::string_view text);

}  // namespace edgeguard::firewall
