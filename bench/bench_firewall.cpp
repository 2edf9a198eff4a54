// Cost of the FirewallConfiguration collector on a ruleset of a few hundred rules, in a private
// network namespace (needs root): 300 nft rules, 300 iptables-nft rules, 100 iptables-legacy
// rules. Measures the whole collect() (spawning nft, iptables-nft-save and iptables-legacy-save,
// parsing, events) and each parser alone; "child_cpu_ms" is the CPU the tools used per run.
//   ./build/bench/bench_firewall [--benchmark_repetitions=5]
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "collectors/firewall/firewall_collector.h"
#include "collectors/firewall/firewall_snapshot.h"
#include "collectors/firewall/iptables_save_parser.h"
#include "collectors/firewall/nft_json_parser.h"
#include "collectors/firewall/tool_runner.h"
#include "config/agent_config.h"

using namespace edgeguard;
using namespace edgeguard::firewall;

namespace {

constexpr int kNftRules = 300;
constexpr int kIptablesNftRules = 300;
constexpr int kLegacyRules = 100;

std::string g_nft_json;
std::string g_iptables_nft_save;

void must(const std::vector<std::string>& argv) {
  const auto result = run_tool(argv[0], {argv.begin() + 1, argv.end()});
  if (!result.ok()) throw std::runtime_error(argv[0] + " " + (argv.size() > 1 ? argv[1] : "") + ": " + result.failure());
}

std::string slurp(const std::vector<std::string>& argv) {
  const auto result = run_tool(argv[0], {argv.begin() + 1, argv.end()});
  if (!result.ok()) throw std::runtime_error(argv[0] + ": " + result.failure());
  return result.out;
}

// The namespace with its rules; removed in the destructor.
class BenchNamespace {
 public:
  BenchNamespace() : name_("edgeguard-fwbench-" + std::to_string(getpid())) {
    char pattern[] = "/tmp/edgeguard-fwbench-XXXXXX";
    if (!mkdtemp(pattern)) throw std::runtime_error("mkdtemp");
    dir_ = pattern;
    must({"/usr/sbin/ip", "netns", "add", name_});
    created_ = true;

    std::ofstream nft(dir_ / "rules.nft");
    nft << "table inet bench {\n  chain input {\n    type filter hook input priority 0; policy drop;\n";
    for (int i = 0; i < kNftRules; ++i) {
      nft << "    ip saddr 10." << i / 250 << "." << i % 250 << ".0/24 tcp dport " << 1000 + i
          << " ct state new counter accept comment \"rule " << i << "\"\n";
    }
    nft << "  }\n}\n";
    nft.close();
    std::ofstream ipt(dir_ / "rules.v4");
    ipt << "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n:services - [0:0]\n";
    ipt << "-A INPUT -j services\n";
    for (int i = 1; i < kIptablesNftRules; ++i) {
      ipt << "-A services -s 172.16." << i % 250 << ".0/24 -p udp -m multiport --dports " << 2000 + i << ","
          << 3000 + i << " -m conntrack --ctstate NEW -m comment --comment \"service " << i << "\" -j ACCEPT\n";
    }
    ipt << "COMMIT\n";
    ipt.close();
    std::ofstream legacy(dir_ / "legacy.v4");
    legacy << "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n";
    for (int i = 0; i < kLegacyRules; ++i) {
      legacy << "-A OUTPUT -d 192.168." << i << ".0/24 -p tcp -m tcp --dport " << 4000 + i << " -j REJECT\n";
    }
    legacy << "COMMIT\n";
    legacy.close();

    in_ns({"/usr/sbin/nft", "-f", (dir_ / "rules.nft").string()});
    in_ns({"/bin/sh", "-c", "iptables-nft-restore < " + (dir_ / "rules.v4").string()});
    in_ns({"/bin/sh", "-c", "iptables-legacy-restore < " + (dir_ / "legacy.v4").string()});
  }
  ~BenchNamespace() {
    if (created_) run_tool("/usr/sbin/ip", {"netns", "del", name_});
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  BenchNamespace(const BenchNamespace&) = delete;
  BenchNamespace& operator=(const BenchNamespace&) = delete;

  void in_ns(std::vector<std::string> argv) const {
    argv.insert(argv.begin(), {"/usr/sbin/ip", "netns", "exec", name_});
    must(argv);
  }
  std::string capture(std::vector<std::string> argv) const {
    argv.insert(argv.begin(), {"/usr/sbin/ip", "netns", "exec", name_});
    return slurp(argv);
  }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::filesystem::path dir_;
  bool created_ = false;
};

// This (main) thread inside the namespace for as long as it lives.
class Inside {
 public:
  explicit Inside(const BenchNamespace& ns) {
    original_ = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    const int target = open(("/run/netns/" + ns.name()).c_str(), O_RDONLY | O_CLOEXEC);
    if (original_ < 0 || target < 0 || setns(target, CLONE_NEWNET) != 0) throw std::runtime_error("setns");
    close(target);
  }
  ~Inside() {
    if (setns(original_, CLONE_NEWNET) != 0) std::abort();
    close(original_);
  }
  Inside(const Inside&) = delete;
  Inside& operator=(const Inside&) = delete;

 private:
  int original_ = -1;
};

double children_cpu_ms() {
  rusage usage{};
  getrusage(RUSAGE_CHILDREN, &usage);
  return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e3 + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e3;
}

void BM_CollectFirewall(benchmark::State& state) {
  Statistics statistics;
  FirewallCollector collector(statistics);
  const HostRoot host;
  const AgentConfig config = AgentConfig::defaults();
  size_t rows = 0;
  size_t events = 0;
  const double cpu_before = children_cpu_ms();
  for (auto _ : state) {
    const auto collected = collector.collect(CollectorContext{host, config});
    events = collected.size();
    rows = 0;
    for (const auto& event : collected) rows += event.payload.size();
    benchmark::DoNotOptimize(rows);
  }
  state.counters["rows"] = static_cast<double>(rows);
  state.counters["events"] = static_cast<double>(events);
  state.counters["child_cpu_ms"] = (children_cpu_ms() - cpu_before) / static_cast<double>(state.iterations());
}

void BM_ParseNftJson(benchmark::State& state) {
  for (auto _ : state) {
    auto ruleset = parse_nft_json(g_nft_json);
    benchmark::DoNotOptimize(ruleset);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * g_nft_json.size()));
  state.counters["rules"] = kNftRules;
}

void BM_ParseIptablesSave(benchmark::State& state) {
  for (auto _ : state) {
    auto dump = parse_iptables_save(g_iptables_nft_save, kBackendIptablesNft, "ip");
    benchmark::DoNotOptimize(dump);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * g_iptables_nft_save.size()));
  state.counters["rules"] = kIptablesNftRules;
}

void BM_MakeEvents(benchmark::State& state) {
  const auto nft = parse_nft_json(g_nft_json);
  const std::vector<IptablesDump> dumps{parse_iptables_save(g_iptables_nft_save, kBackendIptablesNft, "ip")};
  const auto rows = assemble_snapshot(&nft, dumps, {});
  for (auto _ : state) {
    auto events = make_firewall_events(rows, AgentConfig::defaults().effective_message_limit());
    benchmark::DoNotOptimize(events);
  }
  state.counters["rows"] = static_cast<double>(rows.size());
}

BENCHMARK(BM_CollectFirewall)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_ParseNftJson)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ParseIptablesSave)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MakeEvents)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  if (geteuid() != 0) {
    std::fprintf(stderr, "bench_firewall needs root: it makes a network namespace for its rules\n");
    return 1;
  }
  benchmark::Initialize(&argc, argv);
  try {
    BenchNamespace ns;
    g_nft_json = ns.capture({"/usr/sbin/nft", "-j", "-t", "-s", "list", "ruleset"});
    g_iptables_nft_save = ns.capture({"/usr/sbin/iptables-nft-save"});
    Inside inside(ns);
    benchmark::RunSpecifiedBenchmarks();
  } catch (const std::exception& error) {
    std::fprintf(stderr, "bench_firewall: %s\n", error.what());
    return 1;
  }
  benchmark::Shutdown();
  return 0;
}
