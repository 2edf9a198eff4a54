// libFuzzer target: iptables-save / ip6tables-save text through the firewall collector's whole
// pure path (parse, rows, snapshot assembly with and without nftables, payload items, events).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "collectors/firewall/firewall_snapshot.h"
#include "collectors/firewall/iptables_save_parser.h"

using namespace edgeguard::firewall;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto legacy = parse_iptables_save(text, kBackendIptablesLegacy, "ip");
  const auto nft = parse_iptables_save(text, kBackendIptablesNft, "ip6");
  if (legacy.tables.size() != nft.tables.size() || legacy.lost_rules != nft.lost_rules) __builtin_trap();

  // As the iptables-nft view of a ruleset that has every table it names.
  NftRuleset ruleset;
  for (const auto& table : nft.tables) ruleset.tables.push_back(NftTable{"ip6", table.name, false, {}});
  // The parser keeps each table once, as nftables lists it once.
  for (size_t i = 1; i < nft.tables.size(); ++i) {
    if (nft.tables[i - 1].name == nft.tables[i].name) __builtin_trap();
  }
  const auto rows = assemble_snapshot(&ruleset, {nft}, {legacy});
  for (const auto& row : rows) {
    if (row.action != kAllow && row.action != kDeny && row.action != kOther) __builtin_trap();
    if (row.priority < 0) __builtin_trap();
  }
  // Serialises every row as a payload item.
  if (make_firewall_events(rows, 8192).empty()) __builtin_trap();
  (void)iptables_port_list(text.substr(0, 64));
  return 0;
}
