// FirewallConfiguration end to end against the real kernel: every test makes its own network
// namespace, writes rules there with nft, iptables-nft and iptables-legacy, runs the agent (or
// the collector) inside it, and removes the namespace afterwards, whatever happens. The host
// namespace's rules are never read or touched.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <fstream>

#include <nlohmann/json.hpp>

#include "../support/process.h"
#include "../support/temp_dir.h"
#include "collectors/firewall/firewall_collector.h"
#include "config/agent_config.h"

using namespace edgeguard;
using nlohmann::json;

namespace {

// A network namespace of this test alone, deleted in the destructor (also when a test fails).
class TestNamespace {
 public:
  TestNamespace() {
    static std::atomic<int> counter{0};
    name_ = "edgeguard-fw-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
    const auto added = test::run({"ip", "netns", "add", name_});
    if (added.exit_code != 0) throw std::runtime_error("ip netns add " + name_ + ": " + added.err);
  }
  ~TestNamespace() { test::run({"ip", "netns", "del", name_}); }
  TestNamespace(const TestNamespace&) = delete;
  TestNamespace& operator=(const TestNamespace&) = delete;

  const std::string& name() const { return name_; }

  test::CommandResult exec(std::vector<std::string> argv) const {
    argv.insert(argv.begin(), {"ip", "netns", "exec", name_});
    return test::run(argv);
  }
  // Runs a firewall command in the namespace and fails the test if it fails.
  void must(const std::vector<std::string>& argv) const {
    const auto result = exec(argv);
    ASSERT_EQ(result.exit_code, 0) << argv[0] << ": " << result.err;
  }

 private:
  std::string name_;
};

// Moves this (main) thread into the namespace for the collector run in-process, and back.
// /proc/self/net, which the collector reads, follows the thread group leader: the main thread.
class InsideNamespace {
 public:
  explicit InsideNamespace(const TestNamespace& ns) {
    if (syscall(SYS_gettid) != getpid()) throw std::runtime_error("InsideNamespace needs the main thread");
    original_ = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    const int target = open(("/run/netns/" + ns.name()).c_str(), O_RDONLY | O_CLOEXEC);
    if (original_ < 0 || target < 0 || setns(target, CLONE_NEWNET) != 0) {
      if (target >= 0) close(target);
      throw std::runtime_error("cannot enter network namespace " + ns.name());
    }
    close(target);
  }
  ~InsideNamespace() {
    if (setns(original_, CLONE_NEWNET) != 0) std::abort();  // never run later tests in the wrong namespace
    close(original_);
  }
  InsideNamespace(const InsideNamespace&) = delete;
  InsideNamespace& operator=(const InsideNamespace&) = delete;

 private:
  int original_ = -1;
};

struct AgentRun {
  test::CommandResult process;
  std::vector<json> rows;   // FirewallConfiguration payload items, in order
  int empty_snapshots = 0;  // FirewallConfiguration events with IsEmpty true
  std::string output_file;
};

// `edgeguard run --once` inside the namespace.
AgentRun run_agent(const TestNamespace& ns, const test::TempDir& dir, const std::vector<std::string>& prefix = {}) {
  AgentRun run;
  run.output_file = (dir / "out.jsonl").string();
  std::vector<std::string> argv = prefix;
  for (const auto& arg : {test::edgeguard_binary(), std::string("run"), std::string("--once"), std::string("--state-dir"),
                          (dir / "state").string(), std::string("--output"), run.output_file}) {
    argv.push_back(arg);
  }
  run.process = ns.exec(argv);
  std::ifstream in(run.output_file);
  std::string line;
  while (std::getline(in, line)) {
    const auto message = json::parse(line);
    for (const auto& event : message["Events"]) {
      if (event["Name"] != "FirewallConfiguration") continue;
      if (event["IsEmpty"] == true) ++run.empty_snapshots;
      for (const auto& item : event["Payload"]) run.rows.push_back(item);
    }
  }
  return run;
}

std::vector<json> rows_of(const std::vector<json>& rows, const std::string& backend, const std::string& family,
                          const std::string& table, const std::string& chain) {
  std::vector<json> out;
  for (const auto& row : rows) {
    const auto& extra = row["ExtraDetails"];
    if (extra["Backend"] == backend && extra["Family"] == family && extra["Table"] == table && row["ChainName"] == chain) {
      out.push_back(row);
    }
  }
  return out;
}

std::string dump(const std::vector<json>& rows) { return json(rows).dump(1); }

void expect_valid(const AgentRun& run) {
  const auto validation = test::validate_messages({run.output_file});
  EXPECT_EQ(validation.exit_code, 0) << validation.out << validation.err;
}

}  // namespace

TEST(FirewallIntegration, NftRuleWithItsChainPolicy) {
  TestNamespace ns;
  test::TempDir dir;
  std::ofstream(dir / "rules.nft") << "table inet edgeguard_test {\n"
                                      "  chain input {\n"
                                      "    type filter hook input priority 0; policy drop;\n"
                                      "    ip saddr 192.0.2.0/24 tcp dport 2222 accept comment \"maintenance\"\n"
                                      "    udp dport { 5683, 6000-6010 } drop\n"
                                      "  }\n"
                                      "}\n";
  ns.must({"nft", "-f", (dir / "rules.nft").string()});

  const auto run = run_agent(ns, dir);
  ASSERT_EQ(run.process.exit_code, 0) << run.process.err;
  EXPECT_EQ(run.empty_snapshots, 0);
  const auto rows = rows_of(run.rows, "nftables", "inet", "edgeguard_test", "input");
  ASSERT_EQ(rows.size(), 3u) << dump(run.rows);
  EXPECT_EQ(run.rows.size(), 3u) << "a fresh namespace has no other rules: " << dump(run.rows);

  const auto& rule = rows[0];
  EXPECT_EQ(rule["Priority"], 0);
  EXPECT_EQ(rule["Direction"], "In");
  EXPECT_EQ(rule["Action"], "Allow");
  EXPECT_EQ(rule["Enabled"], true);
  EXPECT_EQ(rule["SourceAddress"], "192.0.2.0/24");
  EXPECT_EQ(rule["DestinationPort"], "2222");
  EXPECT_EQ(rule["Protocol"], "TCP");
  EXPECT_FALSE(rule.contains("DestinationAddress"));
  EXPECT_EQ(rule["ExtraDetails"]["Comment"], "maintenance");

  EXPECT_EQ(rows[1]["Priority"], 1);
  EXPECT_EQ(rows[1]["Action"], "Deny");
  EXPECT_EQ(rows[1]["DestinationPort"], "5683,6000-6010");
  EXPECT_EQ(rows[1]["Protocol"], "UDP");

  const auto& policy = rows[2];
  EXPECT_EQ(policy["Priority"], 2);
  EXPECT_EQ(policy["Action"], "Deny");
  EXPECT_EQ(policy["Direction"], "In");
  EXPECT_EQ(policy["ExtraDetails"]["Policy"], "drop");
  expect_valid(run);
}

TEST(FirewallIntegration, IptablesNftRuleIsReportedOnceWithItsMatches) {
  TestNamespace ns;
  test::TempDir dir;
  ns.must({"iptables-nft", "-A", "INPUT", "-s", "198.51.100.7", "-p", "udp", "-m", "multiport", "--dports",
           "5683,5684", "-m", "conntrack", "--ctstate", "NEW", "-j", "DROP"});
  ns.must({"iptables-nft", "-A", "INPUT", "-p", "tcp", "--dport", "22", "-j", "ACCEPT"});
  ns.must({"iptables-nft", "-P", "INPUT", "DROP"});

  const auto run = run_agent(ns, dir);
  ASSERT_EQ(run.process.exit_code, 0) << run.process.err;
  const auto rows = rows_of(run.rows, "iptables-nft", "ip", "filter", "INPUT");
  ASSERT_EQ(rows.size(), 3u) << dump(run.rows);
  const auto& rule = rows[0];
  EXPECT_EQ(rule["Priority"], 0);
  EXPECT_EQ(rule["Direction"], "In");
  EXPECT_EQ(rule["Action"], "Deny");
  EXPECT_EQ(rule["SourceAddress"], "198.51.100.7");
  EXPECT_EQ(rule["DestinationPort"], "5683,5684");
  EXPECT_EQ(rule["Protocol"], "UDP");
  EXPECT_EQ(rule["ExtraDetails"]["Target"], "DROP");
  EXPECT_NE(rule["ExtraDetails"]["Rule"].get<std::string>().find("--ctstate NEW"), std::string::npos);
  EXPECT_EQ(rows[1]["DestinationPort"], "22");
  EXPECT_EQ(rows[1]["Action"], "Allow");
  EXPECT_EQ(rows[2]["Priority"], 2);
  EXPECT_EQ(rows[2]["Action"], "Deny");
  EXPECT_EQ(rows[2]["ExtraDetails"]["Policy"], "DROP");

  // Once: nothing of iptables-nft's table comes from the nftables side as well.
  for (const auto& row : run.rows) {
    EXPECT_NE(row["ExtraDetails"]["Backend"], "nftables") << row.dump();
  }
  EXPECT_EQ(rows_of(run.rows, "iptables-nft", "ip", "filter", "OUTPUT").size(), 1u);  // its policy
  expect_valid(run);
}

TEST(FirewallIntegration, IptablesLegacyRulesIpv4AndIpv6) {
  TestNamespace ns;
  test::TempDir dir;
  ns.must({"iptables-legacy", "-A", "OUTPUT", "-d", "203.0.113.0/24", "-p", "tcp", "--dport", "1000:2000", "-j",
           "REJECT"});
  ns.must({"ip6tables-legacy", "-N", "ssh-in"});
  ns.must({"ip6tables-legacy", "-A", "INPUT", "-j", "ssh-in"});
  ns.must({"ip6tables-legacy", "-A", "ssh-in", "-s", "2001:db8::/32", "-p", "tcp", "--dport", "22", "-j", "ACCEPT"});

  const auto run = run_agent(ns, dir);
  ASSERT_EQ(run.process.exit_code, 0) << run.process.err;

  const auto output = rows_of(run.rows, "iptables-legacy", "ip", "filter", "OUTPUT");
  ASSERT_EQ(output.size(), 2u) << dump(run.rows);
  EXPECT_EQ(output[0]["Direction"], "Out");
  EXPECT_EQ(output[0]["Action"], "Deny");
  EXPECT_EQ(output[0]["DestinationAddress"], "203.0.113.0/24");
  EXPECT_EQ(output[0]["DestinationPort"], "1000-2000");
  EXPECT_EQ(output[0]["Protocol"], "TCP");
  EXPECT_EQ(output[1]["Priority"], 1);
  EXPECT_EQ(output[1]["Action"], "Allow");

  const auto jump = rows_of(run.rows, "iptables-legacy", "ip6", "filter", "INPUT");
  ASSERT_EQ(jump.size(), 2u) << dump(run.rows);
  EXPECT_EQ(jump[0]["Action"], "Other");
  EXPECT_EQ(jump[0]["ExtraDetails"]["Target"], "ssh-in");
  const auto ssh = rows_of(run.rows, "iptables-legacy", "ip6", "filter", "ssh-in");
  ASSERT_EQ(ssh.size(), 1u);  // a user chain has no policy
  EXPECT_EQ(ssh[0]["SourceAddress"], "2001:db8::/32");
  EXPECT_EQ(ssh[0]["DestinationPort"], "22");
  EXPECT_EQ(ssh[0]["Action"], "Allow");
  EXPECT_FALSE(ssh[0].contains("Direction"));
  expect_valid(run);
}

TEST(FirewallIntegration, AllThreeTogether) {
  TestNamespace ns;
  test::TempDir dir;
  ns.must({"nft", "add", "table", "ip", "edgeguard_nat"});
  ns.must({"nft", "add", "chain", "ip", "edgeguard_nat", "pre", "{ type nat hook prerouting priority -100; }"});
  ns.must({"nft", "add", "rule", "ip", "edgeguard_nat", "pre", "tcp", "dport", "8080", "dnat", "to", "10.9.0.2:80"});
  ns.must({"iptables-nft", "-A", "FORWARD", "-i", "eth9", "-j", "ACCEPT"});
  ns.must({"iptables-legacy", "-A", "INPUT", "-p", "icmp", "-j", "ACCEPT"});

  const auto run = run_agent(ns, dir);
  ASSERT_EQ(run.process.exit_code, 0) << run.process.err;
  const auto dnat = rows_of(run.rows, "nftables", "ip", "edgeguard_nat", "pre");
  ASSERT_EQ(dnat.size(), 2u) << dump(run.rows);
  EXPECT_EQ(dnat[0]["Action"], "Other");
  EXPECT_EQ(dnat[0]["ExtraDetails"]["Verdict"], "dnat to 10.9.0.2:80");
  EXPECT_EQ(dnat[1]["Action"], "Allow");
  const auto forward = rows_of(run.rows, "iptables-nft", "ip", "filter", "FORWARD");
  ASSERT_EQ(forward.size(), 2u);
  EXPECT_EQ(forward[0]["ExtraDetails"]["InInterface"], "eth9");
  const auto icmp = rows_of(run.rows, "iptables-legacy", "ip", "filter", "INPUT");
  ASSERT_EQ(icmp.size(), 2u);
  EXPECT_EQ(icmp[0]["Protocol"], "ICMP");
  expect_valid(run);
}

TEST(FirewallIntegration, NoRulesIsAnEmptySnapshot) {
  TestNamespace ns;
  test::TempDir dir;
  const auto run = run_agent(ns, dir);
  ASSERT_EQ(run.process.exit_code, 0) << run.process.err;
  EXPECT_EQ(run.empty_snapshots, 1);
  EXPECT_TRUE(run.rows.empty()) << dump(run.rows);
  expect_valid(run);
}

TEST(FirewallIntegration, WithoutPrivilegeTheAgentSaysWhyAndKeepsRunning) {
  TestNamespace ns;
  test::TempDir dir;
  ns.must({"nft", "add", "table", "inet", "edgeguard_test"});
  ASSERT_EQ(chown(dir.path().c_str(), 65534, 65534), 0);
  const auto run = run_agent(ns, dir, {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"});
  EXPECT_EQ(run.process.exit_code, 0) << run.process.err;
  EXPECT_NE(run.process.err.find("collector FirewallConfiguration failed"), std::string::npos) << run.process.err;
  EXPECT_NE(run.process.err.find("Operation not permitted"), std::string::npos) << run.process.err;
  EXPECT_TRUE(run.rows.empty());
  EXPECT_EQ(run.empty_snapshots, 0);  // no snapshot is not an empty one
  expect_valid(run);                  // the other collectors' messages still went out
}

// The collector itself, in-process inside the namespace, with tool directories of the test's
// making: what it says when a tool is missing or misbehaves.
class FirewallCollectorIntegration : public ::testing::Test {
 protected:
  std::vector<Event> collect(FirewallCollectorOptions options) {
    InsideNamespace inside(ns_);
    FirewallCollector collector(statistics_, std::move(options));
    const HostRoot host;
    return collector.collect(CollectorContext{host, config_});
  }
  std::string error_of(FirewallCollectorOptions options) {
    try {
      collect(std::move(options));
    } catch (const CollectorError& error) {
      return error.what();
    }
    return "no error";
  }
  FirewallCollectorOptions with_tools(const std::vector<std::pair<std::string, std::string>>& links) {
    for (const auto& [name, target] : links) std::filesystem::create_symlink(target, tools_ / name);
    FirewallCollectorOptions options;
    options.tool_dirs = {tools_.path()};
    return options;
  }

  TestNamespace ns_;
  test::TempDir tools_;
  Statistics statistics_;
  AgentConfig config_ = AgentConfig::defaults();
};

TEST_F(FirewallCollectorIntegration, MissingNft) {
  const auto error = error_of(with_tools({}));
  EXPECT_NE(error.find("no nft program in " + tools_.path().string()), std::string::npos) << error;
}

TEST_F(FirewallCollectorIntegration, LegacyTablesWithoutTheLegacyTool) {
  ns_.must({"iptables-legacy", "-A", "INPUT", "-j", "DROP"});
  const auto error = error_of(with_tools({{"nft", "/usr/sbin/nft"}}));
  EXPECT_NE(error.find("legacy iptables tables (filter)"), std::string::npos) << error;
  EXPECT_NE(error.find("iptables-legacy-save"), std::string::npos) << error;
}

TEST_F(FirewallCollectorIntegration, IptablesNftWithoutItsSaveToolFallsBackToTheNftablesView) {
  ns_.must({"iptables-nft", "-A", "INPUT", "-p", "tcp", "--dport", "22", "-j", "ACCEPT"});
  const auto events = collect(with_tools({{"nft", "/usr/sbin/nft"}}));
  ASSERT_EQ(events.size(), 1u);
  std::vector<json> input;
  for (const auto& item : events[0].payload) {
    if (item["ChainName"] == "INPUT") input.push_back(item);
  }
  ASSERT_EQ(input.size(), 2u) << events[0].payload.dump(1);
  EXPECT_EQ(input[0]["ExtraDetails"]["Backend"], "nftables");
  EXPECT_EQ(input[0]["DestinationPort"], "22");
  EXPECT_EQ(input[0]["Action"], "Allow");
}

TEST_F(FirewallCollectorIntegration, FailingToolIsNamedWithItsExitStatus) {
  const auto error = error_of(with_tools({{"nft", "/bin/false"}}));
  EXPECT_NE(error.find("nft -j -t -s list ruleset` failed (exit status 1)"), std::string::npos) << error;
}

TEST_F(FirewallCollectorIntegration, OutputThatIsNotTheRulesetIsAParseFailureCounted) {
  // echo prints its arguments: "-j -t -s list ruleset" is not JSON.
  const auto error = error_of(with_tools({{"nft", "/bin/echo"}}));
  EXPECT_NE(error.find("nftables JSON is malformed"), std::string::npos) << error;
  const auto totals = statistics_.totals();
  EXPECT_EQ(totals.low.dropped_by_reason.at("ParseFailure"), 1u);  // FirewallConfiguration is Low by default
}

TEST_F(FirewallCollectorIntegration, LegacyDumpWithoutTheListedTableIsAnError) {
  ns_.must({"iptables-legacy", "-A", "INPUT", "-j", "DROP"});
  // env prints its environment, not an iptables-save dump: two unreadable lines, no table.
  const auto error = error_of(with_tools({{"nft", "/usr/sbin/nft"}, {"iptables-legacy-save", "/usr/bin/env"}}));
  EXPECT_NE(error.find("did not print the table filter that /proc/self/net/ip_tables_names lists"), std::string::npos)
      << error;
  // The two lines and the snapshot.
  EXPECT_EQ(statistics_.totals().low.dropped_by_reason.at("ParseFailure"), 3u);
}
