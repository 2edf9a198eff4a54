#pragma once
// Puts the rows read from nftables, iptables-nft and iptables-legacy together into one
// snapshot, each rule once, and cuts it into FirewallConfiguration events that fit a message.
#include <set>
#include <string>
#include <vector>

#include "collectors/firewall/firewall_rule.h"
#include "collectors/firewall/iptables_save_parser.h"
#include "collectors/firewall/nft_json_parser.h"
#include "core/event.h"

namespace edgeguard::firewall {

inline constexpr const char* kEventName = "FirewallConfiguration";

// The families ("ip", "ip6") that have an nftables table named like an iptables table (filter,
// nat, mangle, raw, security): iptables-nft may own it, so its *-nft-save must be read.
std::set<std::string> iptables_nft_candidate_families(const NftRuleset& ruleset);

// Every rule once, in the order the kernel lists the tables:
// - an nftables table that iptables-nft-save printed (and did not call incompatible) is
//   reported from that dump instead of from the nftables JSON (see the .cpp for why);
// - iptables-legacy tables follow, except pristine ones (nobody configured them).
std::vector<FirewallRule> assemble_snapshot(const NftRuleset* nftables, const std::vector<IptablesDump>& iptables_nft,
                                            const std::vector<IptablesDump>& iptables_legacy);

// One event per slice of rows whose serialised event stays within `message_limit` together
// with the message envelope; an IsEmpty snapshot when there are no rows. A single row larger
// than that still gets its own event (the pipeline then counts it as OversizeEvent).
std::vector<Event> make_firewall_events(const std::vector<FirewallRule>& rows, size_t message_limit);

}  // namespace edgeguard::firewall
