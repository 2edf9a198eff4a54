#pragma once
// Reads the JSON of `nft -j list ruleset` (libnftables-json(5)) into FirewallRule rows.
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "collectors/firewall/firewall_rule.h"

namespace edgeguard::firewall {

// The document as a whole cannot be read (not JSON, no "nftables" array).
class RulesetFormatError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct NftTable {
  std::string family;
  std::string name;
  bool dormant = false;  // "flags dormant": the table's chains are not attached to their hooks
  // The rows to report, in order: each chain's rules (Priority 0..n-1) and, for a base chain,
  // its policy as the last row (Priority n).
  std::vector<FirewallRule> rows;
};

struct NftRuleset {
  std::vector<NftTable> tables;
  std::vector<std::string> problems;  // objects that could not be read, each naming its place
  size_t lost_rules = 0;              // rules that could not be reported at all
};

// Throws RulesetFormatError when the text is not an nftables JSON document.
NftRuleset parse_nft_json(std::string_view text);

// nft-like text of one expression or statement ("tcp dport { 80, 443 }", "jump DOCKER").
std::string render_nft_expression(const nlohmann::json& expression);

}  // namespace edgeguard::firewall
