// One snapshot from nftables, iptables-nft and iptables-legacy: every rule once, cut into
// FirewallConfiguration events that fit a message and validate against the v1.0 schema.
#include <gtest/gtest.h>

#include <fstream>

#include "../support/process.h"
#include "../support/temp_dir.h"
#include "collectors/firewall/firewall_snapshot.h"
#include "firewall_test_helpers.h"
#include "pipeline/message_builder.h"

using namespace edgeguard;
using namespace edgeguard::firewall;
using edgeguard::firewall::testing::count_chain;
using edgeguard::firewall::testing::detail;
using edgeguard::firewall::testing::fixture;
using edgeguard::firewall::testing::row;

namespace {

size_t count_backend(const std::vector<FirewallRule>& rows, std::string_view backend) {
  size_t count = 0;
  for (const auto& candidate : rows) count += candidate.backend == backend;
  return count;
}

// The events as messages of at most `limit` bytes (as the pipeline builds them), one per line.
std::filesystem::path write_messages(const test::TempDir& dir, const std::vector<Event>& events, size_t limit) {
  const auto file = dir / "messages.jsonl";
  std::ofstream out(file);
  int64_t seq = 0;
  for (const auto& event : events) {
    MessageBuilder builder("072f3eca-3db0-45ba-8174-fa383bc93caf", "0.1.0", Channel{}, limit);
    const std::string body = serialize_event(event);
    EXPECT_TRUE(builder.can_ever_fit(body.size())) << body.size() << " bytes";
    builder.add(++seq, Priority::Low, body);
    const auto message = builder.finish();
    EXPECT_LE(message.body.size(), limit);
    out << message.body << "\n";
  }
  return file;
}

}  // namespace

TEST(FirewallSnapshot, IptablesNftTablesAreReadFromItsDumpNotTwice) {
  const auto nft = parse_nft_json(fixture("docker-iotedge.nft.json"));
  EXPECT_EQ(iptables_nft_candidate_families(nft), std::set<std::string>{"ip"});
  const std::vector<IptablesDump> dumps{
      parse_iptables_save(fixture("docker-iotedge.iptables-nft-save"), kBackendIptablesNft, "ip")};
  const auto rows = assemble_snapshot(&nft, dumps, {});
  EXPECT_EQ(rows.size(), 39u);
  EXPECT_EQ(count_backend(rows, kBackendIptablesNft), 39u);
  EXPECT_EQ(count_backend(rows, kBackendNftables), 0u);
  // The conntrack match decoded, not "xt match conntrack".
  EXPECT_EQ(detail(row(rows, "filter", "FORWARD", 2), "Rule"),
            "-o br-1a2b3c4d5e6f -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT");
}

TEST(FirewallSnapshot, WithoutTheDumpTheNftablesViewIsReported) {
  const auto nft = parse_nft_json(fixture("docker-iotedge.nft.json"));
  const auto rows = assemble_snapshot(&nft, {}, {});
  EXPECT_EQ(count_backend(rows, kBackendNftables), rows.size());
  EXPECT_EQ(count_chain(rows, "filter", "FORWARD"), 11u);
  EXPECT_EQ(count_chain(rows, "nat", "DOCKER"), 5u);
}

TEST(FirewallSnapshot, NftTablesNextToIptablesNftAndAnIncompatibleTable) {
  const auto nft = parse_nft_json(fixture("mixed.nft.json"));
  EXPECT_EQ(iptables_nft_candidate_families(nft), std::set<std::string>{"ip"});
  const std::vector<IptablesDump> dumps{
      parse_iptables_save(fixture("mixed.iptables-nft-save"), kBackendIptablesNft, "ip")};
  const auto rows = assemble_snapshot(&nft, dumps, {});

  // ip filter: iptables-nft's own table, from its dump (its OUTPUT and FORWARD policies too).
  const auto& mqtt = row(rows, "filter", "INPUT", 0);
  EXPECT_EQ(mqtt.backend, kBackendIptablesNft);
  EXPECT_EQ(detail(mqtt, "Comment"), "MQTT from the plant network");
  EXPECT_EQ(mqtt.destination_port, "8883");
  EXPECT_EQ(row(rows, "filter", "INPUT", 1).action, "Deny");

  // ip nat: written by nft and extended by iptables-nft; iptables-nft-save calls it
  // incompatible, so all of it comes from nftables, the iptables rule included.
  EXPECT_EQ(count_chain(rows, "nat", "prerouting"), 2u);
  const auto& redirect = row(rows, "nat", "PREROUTING", 0);
  EXPECT_EQ(redirect.backend, kBackendNftables);
  EXPECT_EQ(redirect.destination_port, "2222");
  EXPECT_EQ(detail(redirect, "Verdict"), "xt target REDIRECT");

  // inet filter: nft's own.
  EXPECT_EQ(count_chain(rows, "filter", "input"), 14u);
  size_t redirects = 0;
  for (const auto& candidate : rows) redirects += candidate.destination_port == "2222";
  EXPECT_EQ(redirects, 1u);
}

TEST(FirewallSnapshot, PristineLegacyTablesAreLeftOut) {
  std::vector<IptablesDump> legacy;
  legacy.push_back(parse_iptables_save(
      "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n"
      "*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A PREROUTING -p udp --dport 53 -j CT --notrack\nCOMMIT\n",
      kBackendIptablesLegacy, "ip"));
  const NftRuleset empty;
  const auto rows = assemble_snapshot(&empty, {}, legacy);
  ASSERT_EQ(rows.size(), 3u);
  for (const auto& candidate : rows) EXPECT_EQ(candidate.table, "raw");
  EXPECT_EQ(rows[0].destination_port, "53");
  EXPECT_TRUE(assemble_snapshot(&empty, {}, {}).empty());
}

TEST(FirewallSnapshot, NoRulesIsAnEmptySnapshot) {
  const auto events = make_firewall_events({}, 204800);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(events[0].is_empty());
  EXPECT_EQ(events[0].name, "FirewallConfiguration");
  EXPECT_EQ(events[0].category, EventCategory::Periodic);
}

TEST(FirewallSnapshot, LargeRulesetsAreCutIntoEventsThatFitAMessage) {
  // Every fixture together, repeated: a few hundred rules.
  const auto nft = parse_nft_json(fixture("default-deny.nft.json"));
  const auto ufw = parse_iptables_save(fixture("ufw.iptables-legacy-save"), kBackendIptablesLegacy, "ip");
  const auto ipv6 = parse_iptables_save(fixture("ipv6.ip6tables-nft-save"), kBackendIptablesLegacy, "ip6");
  std::vector<FirewallRule> rows;
  for (int i = 0; i < 4; ++i) {
    const auto some = assemble_snapshot(&nft, {}, {ufw, ipv6});
    rows.insert(rows.end(), some.begin(), some.end());
  }
  ASSERT_GT(rows.size(), 300u);

  constexpr size_t kLimit = 8192;  // the smallest maxMessageSizeInBytes
  const auto events = make_firewall_events(rows, kLimit);
  ASSERT_GT(events.size(), 1u);
  size_t items = 0;
  for (const auto& event : events) {
    EXPECT_FALSE(event.is_empty());
    for (const auto& item : event.payload) {
      EXPECT_EQ(item, to_payload_item(rows[items])) << items;  // all of them, in order
      ++items;
    }
  }
  EXPECT_EQ(items, rows.size());

  test::TempDir dir;
  const auto file = write_messages(dir, events, kLimit);
  const auto validation = test::validate_messages({file.string()});
  EXPECT_EQ(validation.exit_code, 0) << validation.out << validation.err;

  EXPECT_EQ(make_firewall_events(rows, 204800).size(), 1u);  // the default limit holds them all
}

TEST(FirewallSnapshot, PayloadItemsFollowTheSchema) {
  FirewallRule rule;
  rule.backend = kBackendNftables;
  rule.family = "inet";
  rule.table = "filter";
  rule.chain = "input";
  rule.direction = "In";
  rule.priority = 3;
  rule.action = "Deny";
  rule.source_address = "10.0.0.0/8";
  rule.destination_port = "22";
  rule.protocol = "TCP";
  rule.details["Comment"] = std::string(3000, 'x') + "\xc3\xa9";
  const auto item = to_payload_item(rule);
  EXPECT_EQ(item["Priority"], 3);
  EXPECT_EQ(item["Direction"], "In");
  EXPECT_EQ(item["ChainName"], "input");
  EXPECT_EQ(item["Enabled"], true);
  EXPECT_EQ(item["Action"], "Deny");
  EXPECT_EQ(item["SourceAddress"], "10.0.0.0/8");
  EXPECT_EQ(item["DestinationPort"], "22");
  EXPECT_EQ(item["Protocol"], "TCP");
  EXPECT_FALSE(item.contains("DestinationAddress"));
  EXPECT_FALSE(item.contains("SourcePort"));
  EXPECT_EQ(item["ExtraDetails"]["Backend"], "nftables");
  EXPECT_EQ(item["ExtraDetails"]["Family"], "inet");
  EXPECT_EQ(item["ExtraDetails"]["Table"], "filter");
  EXPECT_EQ(item["ExtraDetails"]["Comment"].get<std::string>().size(), kMaxFieldBytes);
  EXPECT_EQ(item["ExtraDetails"]["Truncated"], "Comment");

  test::TempDir dir;
  const auto file = write_messages(
      dir, {make_event("FirewallConfiguration", EventCategory::Periodic, EventKind::Security, nlohmann::json::array({item}))},
      204800);
  EXPECT_EQ(test::validate_messages({file.string()}).exit_code, 0);
}

TEST(FirewallRule, Vocabulary) {
  EXPECT_EQ(action_for_verdict("ACCEPT"), "Allow");
  EXPECT_EQ(action_for_verdict("accept"), "Allow");
  EXPECT_EQ(action_for_verdict("DROP"), "Deny");
  EXPECT_EQ(action_for_verdict("reject"), "Deny");
  EXPECT_EQ(action_for_verdict("RETURN"), "Other");
  EXPECT_EQ(action_for_verdict("jump"), "Other");
  EXPECT_EQ(direction_for_hook("input"), "In");
  EXPECT_EQ(direction_for_hook("output"), "Out");
  EXPECT_FALSE(direction_for_hook("forward"));
  EXPECT_FALSE(direction_for_hook("prerouting"));
  EXPECT_EQ(protocol_name("tcp"), "TCP");
  EXPECT_EQ(protocol_name("ipv6-icmp"), "ICMPV6");
  EXPECT_EQ(protocol_name("icmpv6"), "ICMPV6");
  EXPECT_EQ(protocol_name("47"), "47");
}
