// iptables-save / ip6tables-save output (fixtures dumped by the real tools, see
// tests/fixtures/firewall/generate.sh) into FirewallConfiguration rows.
#include <gtest/gtest.h>

#include "collectors/firewall/iptables_save_parser.h"
#include "firewall_test_helpers.h"

using namespace edgeguard::firewall;
using edgeguard::firewall::testing::count_chain;
using edgeguard::firewall::testing::detail;
using edgeguard::firewall::testing::fixture;
using edgeguard::firewall::testing::row;

namespace {

std::vector<FirewallRule> all_rows(const IptablesDump& dump) {
  std::vector<FirewallRule> rows;
  for (const auto& table : dump.tables) rows.insert(rows.end(), table.rows.begin(), table.rows.end());
  return rows;
}

}  // namespace

TEST(IptablesSave, DockerOnAnIotEdgeDevice) {
  const auto dump = parse_iptables_save(fixture("docker-iotedge.iptables-legacy-save"), kBackendIptablesLegacy, "ip");
  EXPECT_TRUE(dump.problems.empty()) << dump.problems.front();
  EXPECT_EQ(dump.lost_rules, 0u);
  ASSERT_EQ(dump.tables.size(), 2u);
  EXPECT_EQ(dump.tables[0].name, "filter");
  EXPECT_EQ(dump.tables[1].name, "nat");
  for (const auto& table : dump.tables) {
    EXPECT_TRUE(table.committed);
    EXPECT_FALSE(table.pristine);
  }
  const auto rows = all_rows(dump);
  // 20 filter rules + 3 built-in policies, 12 nat rules + 4 built-in policies.
  EXPECT_EQ(rows.size(), 39u);

  const auto& jump = row(rows, "filter", "FORWARD", 0);
  EXPECT_EQ(jump.action, "Other");
  EXPECT_EQ(detail(jump, "Target"), "DOCKER-USER");
  EXPECT_EQ(detail(jump, "Rule"), "-j DOCKER-USER");
  EXPECT_FALSE(jump.direction);
  EXPECT_EQ(jump.backend, "iptables-legacy");
  EXPECT_EQ(jump.family, "ip");

  const auto& established = row(rows, "filter", "FORWARD", 2);
  EXPECT_EQ(established.action, "Allow");
  EXPECT_EQ(detail(established, "OutInterface"), "br-1a2b3c4d5e6f");
  EXPECT_EQ(detail(established, "Rule"), "-o br-1a2b3c4d5e6f -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT");

  const auto& forward_policy = row(rows, "filter", "FORWARD", 10);
  EXPECT_EQ(forward_policy.action, "Deny");
  EXPECT_EQ(detail(forward_policy, "Policy"), "DROP");
  EXPECT_EQ(detail(forward_policy, "Rule"), "<absent>");
  EXPECT_EQ(count_chain(rows, "filter", "FORWARD"), 11u);

  const auto& edge_hub = row(rows, "filter", "DOCKER", 0);
  EXPECT_EQ(edge_hub.action, "Allow");
  EXPECT_EQ(edge_hub.destination_address, "172.18.0.3");  // a /32 is written as the address
  EXPECT_EQ(edge_hub.destination_port, "8883");
  EXPECT_EQ(edge_hub.protocol, "TCP");
  EXPECT_FALSE(edge_hub.source_address);
  EXPECT_FALSE(edge_hub.source_port);
  EXPECT_EQ(detail(edge_hub, "InInterface"), "!br-1a2b3c4d5e6f");
  EXPECT_EQ(detail(edge_hub, "OutInterface"), "br-1a2b3c4d5e6f");
  // A user chain has no policy row.
  EXPECT_EQ(count_chain(rows, "filter", "DOCKER"), 3u);

  const auto& isolation = row(rows, "filter", "DOCKER-ISOLATION-STAGE-2", 0);
  EXPECT_EQ(isolation.action, "Deny");

  const auto& input_policy = row(rows, "filter", "INPUT", 0);
  EXPECT_EQ(input_policy.direction, "In");
  EXPECT_EQ(input_policy.action, "Allow");
  EXPECT_EQ(row(rows, "filter", "OUTPUT", 0).direction, "Out");

  const auto& dnat = row(rows, "nat", "DOCKER", 2);
  EXPECT_EQ(dnat.action, "Other");
  EXPECT_EQ(detail(dnat, "Target"), "DNAT");
  EXPECT_EQ(detail(dnat, "TargetOptions"), "--to-destination 172.18.0.3:8883");
  EXPECT_EQ(dnat.destination_port, "8883");

  const auto& local = row(rows, "nat", "OUTPUT", 0);
  EXPECT_EQ(local.direction, "Out");
  EXPECT_EQ(local.destination_address, "!127.0.0.0/8");
  EXPECT_EQ(detail(local, "Target"), "DOCKER");

  const auto& masquerade = row(rows, "nat", "POSTROUTING", 2);
  EXPECT_EQ(masquerade.source_address, "172.18.0.3");
  EXPECT_EQ(masquerade.destination_address, "172.18.0.3");
  EXPECT_EQ(row(rows, "nat", "POSTROUTING", 5).action, "Allow");  // the policy after 5 rules
}

TEST(IptablesSave, LegacyAndNftVariantsReadTheSame) {
  const auto legacy = all_rows(parse_iptables_save(fixture("docker-iotedge.iptables-legacy-save"), kBackendIptablesLegacy, "ip"));
  const auto nft = all_rows(parse_iptables_save(fixture("docker-iotedge.iptables-nft-save"), kBackendIptablesNft, "ip"));
  ASSERT_EQ(legacy.size(), nft.size());
  for (size_t i = 0; i < legacy.size(); ++i) {
    EXPECT_EQ(nft[i].backend, "iptables-nft");
    FirewallRule same = nft[i];
    same.backend = legacy[i].backend;
    EXPECT_EQ(to_payload_item(same), to_payload_item(legacy[i])) << i;
  }
}

TEST(IptablesSave, UfwChains) {
  const auto dump = parse_iptables_save(fixture("ufw.iptables-legacy-save"), kBackendIptablesLegacy, "ip");
  EXPECT_TRUE(dump.problems.empty());
  ASSERT_EQ(dump.tables.size(), 1u);
  const auto& rows = dump.tables[0].rows;

  const auto& input_policy = row(rows, "filter", "INPUT", 6);
  EXPECT_EQ(input_policy.action, "Deny");
  EXPECT_EQ(input_policy.direction, "In");
  EXPECT_EQ(row(rows, "filter", "OUTPUT", 6).action, "Allow");

  // The rate-limited SSH: a rule without a target only counts ("recent --set").
  const auto& counting = row(rows, "filter", "ufw-user-input", 0);
  EXPECT_EQ(counting.action, "Other");
  EXPECT_EQ(detail(counting, "Target"), "<absent>");
  EXPECT_EQ(counting.destination_port, "22");
  EXPECT_EQ(detail(row(rows, "filter", "ufw-user-input", 1), "Target"), "ufw-user-limit");

  const auto& web = row(rows, "filter", "ufw-user-input", 3);
  EXPECT_EQ(web.action, "Allow");
  EXPECT_EQ(web.destination_port, "80,443");
  EXPECT_EQ(web.protocol, "TCP");
  EXPECT_EQ(detail(web, "Comment"), "'dapp_Nginx%20Full'");  // unescaped as iptables-restore reads it

  const auto& mqtt = row(rows, "filter", "ufw-user-input", 4);
  EXPECT_EQ(mqtt.source_address, "192.168.1.0/24");
  EXPECT_EQ(mqtt.destination_port, "1883");

  EXPECT_EQ(row(rows, "filter", "ufw-user-input", 5).destination_port, "60000-61000");
  const auto& blocked = row(rows, "filter", "ufw-user-input", 6);
  EXPECT_EQ(blocked.source_address, "203.0.113.9");
  EXPECT_EQ(blocked.action, "Deny");

  const auto& log = row(rows, "filter", "ufw-user-limit", 0);
  EXPECT_EQ(log.action, "Other");
  EXPECT_EQ(detail(log, "Target"), "LOG");
  EXPECT_EQ(detail(log, "TargetOptions"), "--log-prefix \"[UFW LIMIT BLOCK] \"");
  const auto& reject = row(rows, "filter", "ufw-user-limit", 1);
  EXPECT_EQ(reject.action, "Deny");
  EXPECT_EQ(detail(reject, "Target"), "REJECT");

  const auto& dhcp = row(rows, "filter", "ufw-before-input", 8);
  EXPECT_EQ(dhcp.source_port, "67");
  EXPECT_EQ(dhcp.destination_port, "68");
  EXPECT_EQ(dhcp.protocol, "UDP");
  EXPECT_EQ(row(rows, "filter", "ufw-before-input", 4).protocol, "ICMP");
}

TEST(IptablesSave, Ipv6) {
  const auto dump = parse_iptables_save(fixture("ipv6.ip6tables-nft-save"), kBackendIptablesNft, "ip6");
  EXPECT_TRUE(dump.problems.empty());
  ASSERT_EQ(dump.tables.size(), 1u);
  const auto& rows = dump.tables[0].rows;
  EXPECT_EQ(rows.front().family, "ip6");
  EXPECT_EQ(rows.front().backend, "iptables-nft");

  const auto& icmp = row(rows, "filter", "ufw6-before-input", 3);
  EXPECT_EQ(icmp.protocol, "ICMPV6");
  EXPECT_EQ(icmp.action, "Allow");

  const auto& dhcp = row(rows, "filter", "ufw6-before-input", 6);
  EXPECT_EQ(dhcp.source_address, "fe80::/10");
  EXPECT_EQ(dhcp.destination_address, "fe80::/10");
  EXPECT_EQ(dhcp.source_port, "547");
  EXPECT_EQ(dhcp.destination_port, "546");
  EXPECT_EQ(row(rows, "filter", "ufw6-before-input", 7).destination_address, "ff02::fb");  // /128 dropped

  const auto& mqtt = row(rows, "filter", "ufw6-user-input", 1);
  EXPECT_EQ(mqtt.source_address, "2001:db8:10::/48");
  EXPECT_EQ(mqtt.destination_port, "8883");

  const auto& coap = row(rows, "filter", "ufw6-user-input", 2);
  EXPECT_EQ(coap.source_address, "!2001:db8::/32");
  EXPECT_EQ(coap.destination_port, "5683,5684");
  EXPECT_EQ(coap.protocol, "UDP");
  EXPECT_EQ(coap.action, "Deny");
  EXPECT_EQ(detail(coap, "TargetOptions"), "--reject-with icmp6-port-unreachable");

  const auto& low_ports = row(rows, "filter", "ufw6-user-input", 3);
  EXPECT_EQ(low_ports.destination_port, "!1024-65535");
  EXPECT_EQ(low_ports.destination_address, "2001:db8::7");

  EXPECT_EQ(row(rows, "filter", "INPUT", 1).action, "Deny");
  EXPECT_EQ(row(rows, "filter", "OUTPUT", 1).action, "Allow");
}

TEST(IptablesSave, IncompatibleTablesAreNamed) {
  const auto dump = parse_iptables_save(fixture("mixed.iptables-nft-save"), kBackendIptablesNft, "ip");
  EXPECT_EQ(dump.incompatible_tables, std::set<std::string>{"nat"});
  ASSERT_EQ(dump.tables.size(), 2u);
  const auto& mqtt = row(dump.tables[0].rows, "filter", "INPUT", 0);
  EXPECT_EQ(detail(mqtt, "Comment"), "MQTT from the plant network");
  EXPECT_EQ(mqtt.source_address, "198.51.100.0/24");

  const auto plain = parse_iptables_save("# Table `nat' is incompatible, use 'nft' tool.\n", kBackendIptablesNft, "ip");
  EXPECT_EQ(plain.incompatible_tables, std::set<std::string>{"nat"});
  EXPECT_TRUE(plain.tables.empty());
}

TEST(IptablesSave, PristineTables) {
  const auto pristine = parse_iptables_save("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n",
                                            kBackendIptablesLegacy, "ip");
  ASSERT_EQ(pristine.tables.size(), 1u);
  EXPECT_TRUE(pristine.tables[0].pristine);
  EXPECT_EQ(pristine.tables[0].rows.size(), 3u);  // still read: the caller decides

  const auto policy = parse_iptables_save("*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n",
                                          kBackendIptablesLegacy, "ip");
  EXPECT_FALSE(policy.tables[0].pristine);
  const auto chain = parse_iptables_save("*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:mine - [0:0]\nCOMMIT\n",
                                         kBackendIptablesLegacy, "ip");
  EXPECT_FALSE(chain.tables[0].pristine);
}

TEST(IptablesSave, CountersQuotesAndNegation) {
  const auto dump = parse_iptables_save(
      "*filter\n"
      ":INPUT ACCEPT [10:600]\n"
      "[5:300] -A INPUT ! -p udp -m comment --comment \"say \\\"hi\\\" -j DROP\" -j ACCEPT\n"
      "-A INPUT -m iprange --src-range 10.0.0.1-10.0.0.9 -m set --match-set trusted dst -g mine\n"
      "-A INPUT -p tcp -m tcp --dport 22: -j DROP\n"
      "-A INPUT -m comment --comment \"open quote -j DROP\n"
      "COMMIT\n",
      kBackendIptablesLegacy, "ip");
  EXPECT_TRUE(dump.problems.empty());
  ASSERT_EQ(dump.tables.size(), 1u);
  const auto& rows = dump.tables[0].rows;
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0].protocol, "!UDP");
  EXPECT_EQ(rows[0].action, "Allow");  // the -j DROP inside the quoted comment is text
  EXPECT_EQ(detail(rows[0], "Comment"), "say \"hi\" -j DROP");
  EXPECT_EQ(rows[1].source_address, "10.0.0.1-10.0.0.9");
  EXPECT_EQ(rows[1].destination_address, "@trusted");
  EXPECT_EQ(rows[1].action, "Other");
  EXPECT_EQ(detail(rows[1], "Goto"), "mine");
  EXPECT_EQ(rows[2].destination_port, "22-65535");
  EXPECT_EQ(rows[3].action, "Other");  // the unterminated quote runs to the end of the line
  EXPECT_EQ(detail(rows[3], "Comment"), "open quote -j DROP");
  EXPECT_EQ(rows[4].priority, 4);
  EXPECT_EQ(detail(rows[4], "Policy"), "ACCEPT");
}

TEST(IptablesSave, BadLinesAreNamedAndCounted) {
  const auto dump = parse_iptables_save(
      "-A INPUT -j ACCEPT\n"
      "*filter\n"
      ":INPUT DROP [0:0]\n"
      "this is not iptables-save output\n"
      "-A INPUT -s 10.0.0.1/32 -j ACCEPT\n"
      "-A\n"
      "*nat\n"
      ":PREROUTING ACCEPT [0:0]\n",
      kBackendIptablesLegacy, "ip");
  ASSERT_EQ(dump.problems.size(), 5u);
  EXPECT_EQ(dump.problems[0], "line 1: rule for chain INPUT outside a table");
  EXPECT_EQ(dump.problems[1], "line 4: unrecognised line \"this is not iptables-save output\"");
  EXPECT_EQ(dump.problems[2], "line 6: unrecognised line \"-A\"");
  EXPECT_EQ(dump.problems[3], "line 7: table filter has no COMMIT line before the next table");
  EXPECT_NE(dump.problems[4].find("table nat has no COMMIT line"), std::string::npos) << dump.problems[4];
  EXPECT_EQ(dump.lost_rules, 3u);
  // What could be read is still reported.
  ASSERT_EQ(dump.tables.size(), 2u);
  EXPECT_FALSE(dump.tables[0].committed);
  EXPECT_EQ(row(dump.tables[0].rows, "filter", "INPUT", 0).source_address, "10.0.0.1");
  EXPECT_EQ(row(dump.tables[0].rows, "filter", "INPUT", 1).action, "Deny");
}

TEST(IptablesSave, ATableTwiceIsAProblem) {
  const auto dump = parse_iptables_save(
      "*filter\n:INPUT DROP [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j DROP\n-A INPUT -j DROP\nCOMMIT\n",
      kBackendIptablesLegacy, "ip");
  ASSERT_EQ(dump.tables.size(), 1u);
  EXPECT_EQ(dump.tables[0].rows.size(), 2u);
  EXPECT_EQ(dump.tables[0].rows[1].action, "Deny");
  ASSERT_EQ(dump.problems.size(), 1u);
  EXPECT_EQ(dump.problems[0], "line 9: table filter appears a second time; its 2 rule(s) there are left out");
  EXPECT_EQ(dump.lost_rules, 2u);
}

TEST(IptablesSave, PortLists) {
  EXPECT_EQ(iptables_port_list("22"), "22");
  EXPECT_EQ(iptables_port_list("1000:2000"), "1000-2000");
  EXPECT_EQ(iptables_port_list("22,80,8000:8100"), "22,80,8000-8100");
  EXPECT_EQ(iptables_port_list(":1023"), "0-1023");
  EXPECT_EQ(iptables_port_list("1024:"), "1024-65535");
}
