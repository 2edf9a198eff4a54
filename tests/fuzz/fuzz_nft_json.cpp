// libFuzzer target: `nft -j list ruleset` JSON through the firewall collector's whole pure path
// (parse, rows, snapshot assembly, payload items, events).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "collectors/firewall/firewall_snapshot.h"
#include "collectors/firewall/nft_json_parser.h"

using namespace edgeguard::firewall;

namespace {

void check(const FirewallRule& row) {
  if (row.action != kAllow && row.action != kDeny && row.action != kOther) __builtin_trap();
  if (row.priority < 0) __builtin_trap();
  if (row.direction && *row.direction != "In" && *row.direction != "Out") __builtin_trap();
  const auto item = to_payload_item(row);
  for (const auto& [key, value] : item["ExtraDetails"].items()) {
    if (!value.is_string() || value.get<std::string>().size() > kMaxFieldBytes) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  NftRuleset ruleset;
  try {
    ruleset = parse_nft_json(text);
  } catch (const RulesetFormatError&) {
    return 0;
  }
  const auto rows = assemble_snapshot(&ruleset, {}, {});
  for (const auto& row : rows) check(row);
  (void)iptables_nft_candidate_families(ruleset);
  const auto events = make_firewall_events(rows, 8192);
  if (events.empty()) __builtin_trap();
  return 0;
}
