#include "collectors/firewall/firewall_snapshot.h"

#include <map>
#include <utility>

namespace edgeguard::firewall {
namespace {

bool is_xtables_table_name(const std::string& name) {
  return name == "filter" || name == "nat" || name == "mangle" || name == "raw" || name == "security";
}

// Room left in a message for the envelope around the events (AgentVersion, AgentId,
// MessageSchemaVersion, brackets): about 130 bytes today, with margin.
constexpr size_t kEnvelopeReserve = 512;

}  // namespace

std::set<std::string> iptables_nft_candidate_families(const NftRuleset& ruleset) {
  std::set<std::string> families;
  for (const auto& table : ruleset.tables) {
    if ((table.family == "ip" || table.family == "ip6") && is_xtables_table_name(table.name)) {
      families.insert(table.family);
    }
  }
  return families;
}

// Why iptables-nft's tables are read from iptables-nft-save rather than from the nftables JSON:
// iptables-nft stores every match and target it cannot express natively (conntrack, multiport,
// comment, REJECT, LOG, DNAT...) as an "xt" compat expression, which nft lists only by name
// ({"xt": {"type": "match", "name": "conntrack"}}) without its arguments. iptables-nft-save
// decodes them, and shows the rules as the tool that wrote them (Docker, ufw, an admin's
// iptables script) does. A table it calls incompatible was written natively with nft and is
// read from the JSON. Either way every rule is reported once.
std::vector<FirewallRule> assemble_snapshot(const NftRuleset* nftables, const std::vector<IptablesDump>& iptables_nft,
                                            const std::vector<IptablesDump>& iptables_legacy) {
  std::map<std::pair<std::string, std::string>, const IptablesTable*> from_iptables_nft;
  if (nftables) {
    for (const auto& dump : iptables_nft) {
      for (const auto& table : dump.tables) {
        if (dump.incompatible_tables.contains(table.name)) continue;
        from_iptables_nft.emplace(std::make_pair(dump.family, table.name), &table);
      }
    }
  }
  std::vector<FirewallRule> rows;
  if (nftables) {
    for (const auto& table : nftables->tables) {
      const auto found = from_iptables_nft.find({table.family, table.name});
      // iptables-nft-save prints a table only if it exists in nftables; one it printed that the
      // JSON does not have (changed in between) is left out with it.
      const auto& source = found != from_iptables_nft.end() ? found->second->rows : table.rows;
      rows.insert(rows.end(), source.begin(), source.end());
    }
  }
  for (const auto& dump : iptables_legacy) {
    for (const auto& table : dump.tables) {
      if (table.pristine) continue;
      rows.insert(rows.end(), table.rows.begin(), table.rows.end());
    }
  }
  return rows;
}

std::vector<Event> make_firewall_events(const std::vector<FirewallRule>& rows, size_t message_limit) {
  if (rows.empty()) return {make_empty_snapshot(kEventName)};
  const size_t fixed = serialize_event(make_event(kEventName, EventCategory::Periodic, EventKind::Security)).size();
  const size_t budget = message_limit > fixed + kEnvelopeReserve ? message_limit - fixed - kEnvelopeReserve : 0;

  std::vector<Event> events;
  nlohmann::json payload = nlohmann::json::array();
  size_t size = 0;
  for (const auto& row : rows) {
    nlohmann::json item = to_payload_item(row);
    // As serialize_event writes it: bytes that are not UTF-8 are replaced, not rejected.
    const size_t item_size = item.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).size() + 1;
    if (!payload.empty() && size + item_size > budget) {
      events.push_back(make_event(kEventName, EventCategory::Periodic, EventKind::Security, std::move(payload)));
      payload = nlohmann::json::array();
      size = 0;
    }
    payload.push_back(std::move(item));
    size += item_size;
  }
  events.push_back(make_event(kEventName, EventCategory::Periodic, EventKind::Security, std::move(payload)));
  return events;
}

}  // namespace edgeguard::firewall
