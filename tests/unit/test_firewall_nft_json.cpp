// `nft -j -t -s list ruleset` output (fixtures dumped by the real tool, see
// tests/fixtures/firewall/generate.sh) into FirewallConfiguration rows.
#include <gtest/gtest.h>

#include "collectors/firewall/nft_json_parser.h"
#include "firewall_test_helpers.h"

using namespace edgeguard::firewall;
using edgeguard::firewall::testing::count_chain;
using edgeguard::firewall::testing::detail;
using edgeguard::firewall::testing::fixture;
using edgeguard::firewall::testing::row;

namespace {

const NftTable& table(const NftRuleset& ruleset, const std::string& family, const std::string& name) {
  for (const auto& candidate : ruleset.tables) {
    if (candidate.family == family && candidate.name == name) return candidate;
  }
  ADD_FAILURE() << "no table " << family << " " << name;
  static const NftTable none;
  return none;
}

}  // namespace

TEST(NftJson, DefaultDenyRuleset) {
  const auto ruleset = parse_nft_json(fixture("default-deny.nft.json"));
  EXPECT_TRUE(ruleset.problems.empty());
  ASSERT_EQ(ruleset.tables.size(), 2u);
  const auto& rows = table(ruleset, "inet", "filter").rows;

  EXPECT_EQ(count_chain(rows, "filter", "input"), 14u);  // 13 rules and the policy
  const auto& established = row(rows, "filter", "input", 0);
  EXPECT_EQ(established.action, "Allow");
  EXPECT_EQ(established.direction, "In");
  EXPECT_TRUE(established.enabled);
  EXPECT_EQ(established.backend, "nftables");
  EXPECT_EQ(established.family, "inet");
  EXPECT_EQ(detail(established, "Rule"), "ct state established,related accept");
  EXPECT_EQ(detail(established, "Comment"), "return traffic");
  EXPECT_EQ(detail(established, "Handle"), "6");
  EXPECT_EQ(detail(established, "Hook"), "input");

  const auto& blocklist = row(rows, "filter", "input", 3);
  EXPECT_EQ(blocklist.source_address, "@blocklist_v4");
  EXPECT_EQ(blocklist.action, "Deny");

  const auto& icmp = row(rows, "filter", "input", 4);
  EXPECT_EQ(icmp.protocol, "ICMP");
  EXPECT_EQ(detail(icmp, "Rule"),
            "ip protocol icmp icmp type { destination-unreachable, echo-request, time-exceeded } "
            "limit rate 10/second burst 5 accept");
  EXPECT_EQ(row(rows, "filter", "input", 5).protocol, "ICMPV6");

  const auto& ssh = row(rows, "filter", "input", 6);
  EXPECT_EQ(ssh.source_address, "10.20.0.0/16");
  EXPECT_EQ(ssh.destination_port, "22");
  EXPECT_EQ(ssh.protocol, "TCP");
  EXPECT_EQ(ssh.action, "Allow");
  EXPECT_FALSE(ssh.destination_address);
  EXPECT_FALSE(ssh.source_port);

  const auto& web = row(rows, "filter", "input", 7);
  EXPECT_EQ(web.destination_port, "80,443,8000-8100");
  EXPECT_EQ(web.protocol, "TCP");

  const auto& mdns = row(rows, "filter", "input", 8);
  EXPECT_EQ(mdns.source_address, "fd00::/8");
  EXPECT_EQ(mdns.destination_port, "5353");
  EXPECT_EQ(mdns.protocol, "UDP");

  const auto& telnet = row(rows, "filter", "input", 9);
  EXPECT_EQ(telnet.action, "Deny");
  EXPECT_EQ(detail(telnet, "Verdict"), "reject with tcp reset");

  const auto& logged = row(rows, "filter", "input", 10);
  EXPECT_EQ(logged.destination_port, "1024-65535");
  EXPECT_EQ(logged.destination_address, "10.20.30.40");
  EXPECT_EQ(logged.action, "Deny");
  EXPECT_EQ(detail(logged, "Rule"), "tcp dport 1024-65535 ip daddr 10.20.30.40 log prefix \"high port: \" counter drop");

  const auto& jump = row(rows, "filter", "input", 11);
  EXPECT_EQ(jump.action, "Other");
  EXPECT_EQ(detail(jump, "Verdict"), "jump udp_checks");
  EXPECT_EQ(jump.source_port, "!53");
  EXPECT_EQ(jump.source_address, "!10.0.0.0/8");
  EXPECT_EQ(jump.protocol, "UDP");

  EXPECT_EQ(detail(row(rows, "filter", "input", 12), "Verdict"), "reject with icmpx admin-prohibited");

  const auto& policy = row(rows, "filter", "input", 13);
  EXPECT_EQ(policy.action, "Deny");
  EXPECT_EQ(policy.direction, "In");
  EXPECT_EQ(detail(policy, "Policy"), "drop");
  EXPECT_EQ(detail(policy, "ChainType"), "filter");
  EXPECT_EQ(detail(policy, "ChainPriority"), "0");
  EXPECT_EQ(detail(policy, "Rule"), "<absent>");

  // A regular chain: no direction, no policy row.
  EXPECT_EQ(count_chain(rows, "filter", "udp_checks"), 2u);
  EXPECT_FALSE(row(rows, "filter", "udp_checks", 0).direction);
  EXPECT_EQ(detail(row(rows, "filter", "udp_checks", 1), "Verdict"), "return");
  EXPECT_EQ(detail(row(rows, "filter", "udp_checks", 1), "Hook"), "<absent>");

  // A base chain without rules is its policy alone.
  const auto& forward = row(rows, "filter", "forward", 0);
  EXPECT_EQ(forward.action, "Deny");
  EXPECT_FALSE(forward.direction);

  const auto& egress = row(rows, "filter", "output", 0);
  EXPECT_EQ(egress.direction, "Out");
  EXPECT_EQ(egress.destination_port, "1025-65535");  // "tcp dport > 1024"
  EXPECT_EQ(egress.destination_address, "203.0.113.0/24");
  EXPECT_EQ(detail(egress, "OutInterface"), "eth0");
  EXPECT_EQ(detail(row(rows, "filter", "output", 1), "Verdict"), "goto udp_checks");
  EXPECT_EQ(row(rows, "filter", "output", 2).action, "Allow");

  const auto& nat = table(ruleset, "ip", "nat").rows;
  const auto& dnat = row(nat, "nat", "prerouting", 0);
  EXPECT_EQ(dnat.action, "Other");
  EXPECT_EQ(detail(dnat, "Verdict"), "dnat to 10.20.0.5:80");
  EXPECT_EQ(detail(dnat, "InInterface"), "eth0");
  EXPECT_EQ(dnat.destination_port, "8080");
  EXPECT_FALSE(dnat.direction);
  EXPECT_EQ(detail(row(nat, "nat", "postrouting", 0), "Verdict"), "masquerade");
  EXPECT_EQ(detail(row(nat, "nat", "postrouting", 1), "ChainPriority"), "100");
}

TEST(NftJson, IptablesNftTablesShowXtExpressionsByNameOnly) {
  const auto ruleset = parse_nft_json(fixture("docker-iotedge.nft.json"));
  EXPECT_TRUE(ruleset.problems.empty());
  const auto& filter = table(ruleset, "ip", "filter").rows;
  const auto& established = row(filter, "filter", "FORWARD", 2);
  EXPECT_EQ(established.action, "Allow");
  EXPECT_EQ(detail(established, "Rule"), "meta oifname br-1a2b3c4d5e6f xt match conntrack counter accept");
  const auto& dnat = row(table(ruleset, "ip", "nat").rows, "nat", "DOCKER", 2);
  EXPECT_EQ(detail(dnat, "Verdict"), "xt target DNAT");
  EXPECT_EQ(dnat.action, "Other");
  EXPECT_EQ(dnat.destination_port, "8883");
}

TEST(NftJson, Ipv6Family) {
  const auto ruleset = parse_nft_json(fixture("ipv6.nft.json"));
  const auto& rows = table(ruleset, "ip6", "filter").rows;
  const auto& mqtt = row(rows, "filter", "ufw6-user-input", 1);
  EXPECT_EQ(mqtt.source_address, "2001:db8:10::/48");
  EXPECT_EQ(mqtt.destination_port, "8883");
  EXPECT_EQ(mqtt.protocol, "TCP");
  EXPECT_EQ(mqtt.family, "ip6");
  const auto& coap = row(rows, "filter", "ufw6-user-input", 2);
  EXPECT_EQ(coap.source_address, "!2001:db8::/32");
  EXPECT_EQ(coap.action, "Deny");  // xt target REJECT
}

TEST(NftJson, EmptyRuleset) {
  const auto ruleset = parse_nft_json(
      R"({"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}]})");
  EXPECT_TRUE(ruleset.tables.empty());
  EXPECT_TRUE(ruleset.problems.empty());
}

TEST(NftJson, DormantTableRulesAreDisabled) {
  const auto ruleset = parse_nft_json(R"({"nftables": [
    {"table": {"family": "inet", "name": "t", "handle": 1, "flags": ["dormant"]}},
    {"chain": {"family": "inet", "table": "t", "name": "in", "handle": 1, "type": "filter", "hook": "input", "prio": 0, "policy": "drop"}},
    {"rule": {"family": "inet", "table": "t", "chain": "in", "handle": 2, "expr": [{"accept": null}]}}]})");
  ASSERT_EQ(ruleset.tables.size(), 1u);
  ASSERT_EQ(ruleset.tables[0].rows.size(), 2u);
  EXPECT_FALSE(ruleset.tables[0].rows[0].enabled);
  EXPECT_FALSE(ruleset.tables[0].rows[1].enabled);
  EXPECT_TRUE(parse_nft_json(R"({"nftables": [{"table": {"family": "ip", "name": "x", "flags": "dormant"}}]})")
                  .tables[0]
                  .dormant);
}

TEST(NftJson, VerdictMapsConcatenationsAndComparisons) {
  const auto ruleset = parse_nft_json(R"({"nftables": [
    {"chain": {"family": "ip", "table": "t", "name": "c", "hook": "output", "type": "filter", "prio": 0, "policy": "accept"}},
    {"rule": {"family": "ip", "table": "t", "chain": "c", "expr": [{"vmap": {"key": {"payload": {"protocol": "tcp", "field": "dport"}}, "data": {"set": [[22, {"accept": null}], [23, {"drop": null}]]}}}]}},
    {"rule": {"family": "ip", "table": "t", "chain": "c", "expr": [{"match": {"op": "==", "left": {"concat": [{"payload": {"protocol": "ip", "field": "saddr"}}, {"payload": {"protocol": "tcp", "field": "dport"}}]}, "right": {"set": [{"concat": ["10.0.0.1", 22]}]}}}, {"accept": null}]}},
    {"rule": {"family": "ip", "table": "t", "chain": "c", "expr": [{"match": {"op": "<", "left": {"payload": {"protocol": "th", "field": "sport"}}, "right": 1024}}, {"match": {"op": "==", "left": {"meta": {"key": "l4proto"}}, "right": {"set": ["tcp", "udp"]}}}, {"counter": null}]}},
    {"rule": {"family": "ip", "table": "t", "chain": "c", "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "daddr"}}, "right": {"range": ["10.0.0.1", "10.0.0.9"]}}}, {"drop": null}, {"accept": null}]}}]})");
  EXPECT_TRUE(ruleset.problems.empty());
  ASSERT_EQ(ruleset.tables.size(), 1u);
  const auto& rows = ruleset.tables[0].rows;
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0].action, "Other");
  EXPECT_EQ(detail(rows[0], "Verdict"), "tcp dport vmap { 22 : accept, 23 : drop }");
  EXPECT_EQ(rows[0].direction, "Out");
  // A concatenation does not fit the single-valued fields; the rule text keeps it.
  EXPECT_FALSE(rows[1].source_address);
  EXPECT_EQ(detail(rows[1], "Rule"), "ip saddr . tcp dport { 10.0.0.1 . 22 } accept");
  EXPECT_EQ(rows[2].source_port, "0-1023");
  EXPECT_EQ(rows[2].protocol, "TCP,UDP");
  EXPECT_EQ(rows[2].action, "Other");  // counts only
  EXPECT_EQ(detail(rows[2], "Verdict"), "<absent>");
  EXPECT_EQ(rows[3].destination_address, "10.0.0.1-10.0.0.9");
  EXPECT_EQ(rows[3].action, "Deny");  // the first verdict decides
  EXPECT_EQ(rows[4].priority, 4);
  EXPECT_EQ(detail(rows[4], "Policy"), "accept");
}

TEST(NftJson, MalformedDocumentsAreErrorsThatSayWhere) {
  try {
    parse_nft_json(R"({"nftables": [{"table": )");
    FAIL() << "no error";
  } catch (const RulesetFormatError& error) {
    EXPECT_NE(std::string(error.what()).find("malformed"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("column 25"), std::string::npos) << error.what();
  }
  EXPECT_THROW(parse_nft_json(""), RulesetFormatError);
  EXPECT_THROW(parse_nft_json(R"({"tables": []})"), RulesetFormatError);
  EXPECT_THROW(parse_nft_json(R"([1, 2])"), RulesetFormatError);
}

TEST(NftJson, BadObjectsAreNamedAndCounted) {
  const auto ruleset = parse_nft_json(R"({"nftables": [
    42,
    {"table": {"family": "ip"}},
    {"chain": {"family": "ip", "table": "t"}},
    {"rule": {"family": "ip", "table": "t", "expr": [{"accept": null}]}},
    {"rule": {"family": "ip", "table": "t", "chain": "c", "expr": {"accept": null}}},
    {"rule": {"family": "ip", "table": "t", "chain": "c", "expr": [7, {"weird": {"a": [1, {"b": null}]}}, {"accept": null}]}},
    {"set": {"family": "ip", "table": "t", "name": "s"}}]})");
  ASSERT_EQ(ruleset.problems.size(), 5u);
  EXPECT_EQ(ruleset.problems[0], "nftables[0]: not an object with one member");
  EXPECT_EQ(ruleset.problems[1], "nftables[1]: table without family or name");
  EXPECT_EQ(ruleset.problems[2], "nftables[2]: chain without family, table or name");
  EXPECT_EQ(ruleset.problems[3], "nftables[3]: rule without family, table, chain or expr list");
  EXPECT_EQ(ruleset.problems[4], "nftables[4]: rule without family, table, chain or expr list");
  EXPECT_EQ(ruleset.lost_rules, 2u);
  // The readable rule is still reported, unknown expressions as text.
  ASSERT_EQ(ruleset.tables.size(), 1u);
  ASSERT_EQ(ruleset.tables[0].rows.size(), 1u);
  EXPECT_EQ(ruleset.tables[0].rows[0].action, "Allow");
  EXPECT_EQ(detail(ruleset.tables[0].rows[0], "Rule"), "7 weird a 1,b accept");
}

TEST(NftJson, DeepNestingIsBounded) {
  std::string deep;
  for (int i = 0; i < 5000; ++i) deep += R"({"x": )";
  deep += "1";
  for (int i = 0; i < 5000; ++i) deep += "}";
  const auto ruleset =
      parse_nft_json(R"({"nftables": [{"rule": {"family": "ip", "table": "t", "chain": "c", "expr": [)" + deep + "]}}]}");
  ASSERT_EQ(ruleset.tables.size(), 1u);
  EXPECT_NE(detail(ruleset.tables[0].rows[0], "Rule").find("..."), std::string::npos);
}
