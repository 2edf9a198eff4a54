#pragma once
// FirewallConfiguration: the rules of the network namespace the agent runs in (the host's, for
// an IoT Edge module on the host network), from nftables, iptables-nft and iptables-legacy.
#include <chrono>
#include <filesystem>
#include <vector>

#include "collectors/collector.h"
#include "collectors/firewall/tool_runner.h"
#include "pipeline/statistics.h"

namespace edgeguard {

struct FirewallCollectorOptions {
  // Where nft and the iptables-save programs are looked for (never the agent's PATH).
  std::vector<std::filesystem::path> tool_dirs{"/usr/sbin", "/usr/bin", "/sbin", "/bin"};
  // This process's network namespace: ip_tables_names / ip6_tables_names list its legacy tables.
  std::filesystem::path proc_net = "/proc/self/net";
  firewall::ToolLimits limits;
};

class FirewallCollector : public PeriodicCollector {
 public:
  explicit FirewallCollector(Statistics& statistics, FirewallCollectorOptions options = {});
  std::string_view name() const override { return "FirewallConfiguration"; }
  std::vector<std::string> event_names() const override { return {"FirewallConfiguration"}; }
  std::vector<Event> collect(const CollectorContext& context) override;

 private:
  Statistics& statistics_;
  FirewallCollectorOptions options_;
};

}  // namespace edgeguard
