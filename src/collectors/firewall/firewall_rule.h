#pragma once
// One row of the FirewallConfiguration event: a rule, or a base chain's policy written as the
// chain's last rule. Both readers (nftables JSON, iptables-save) produce these.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace edgeguard::firewall {

// Where a rule was read from; reported as ExtraDetails "Backend".
inline constexpr std::string_view kBackendNftables = "nftables";
inline constexpr std::string_view kBackendIptablesNft = "iptables-nft";
inline constexpr std::string_view kBackendIptablesLegacy = "iptables-legacy";

// Schema v1.0 "Action" values.
inline constexpr std::string_view kAllow = "Allow";
inline constexpr std::string_view kDeny = "Deny";
inline constexpr std::string_view kOther = "Other";

struct FirewallRule {
  std::string backend;
  std::string family;  // nftables family: ip, ip6, inet, arp, bridge, netdev (iptables: ip; ip6tables: ip6)
  std::string table;
  std::string chain;
  std::optional<std::string> direction;  // "In" / "Out"
  int64_t priority = 0;                  // position in its chain, from 0; a policy comes last
  std::string action{kOther};
  bool enabled = true;
  std::optional<std::string> source_address;
  std::optional<std::string> destination_address;
  std::optional<std::string> source_port;
  std::optional<std::string> destination_port;
  std::optional<std::string> protocol;
  // ExtraDetails besides Backend, Family and Table (which come from the fields above).
  std::map<std::string, std::string> details;
};

// Longest value of a string field or ExtraDetails entry; longer ones are cut (at a UTF-8
// character boundary), end in "...", and the item gets ExtraDetails "Truncated" naming them.
inline constexpr size_t kMaxFieldBytes = 1024;

// The schema v1.0 payload item.
nlohmann::json to_payload_item(const FirewallRule& rule);

// "Allow" for accept, "Deny" for drop and reject (any case), else "Other".
std::string_view action_for_verdict(std::string_view verdict);

// "In" for the input hook, "Out" for the output hook (any case), else nothing.
std::optional<std::string> direction_for_hook(std::string_view hook);

// Protocol names as the schema's examples write them: "TCP", "UDP", "ICMP", "ICMPV6"...
std::string protocol_name(std::string_view name);

}  // namespace edgeguard::firewall
