#pragma once
// ListeningPorts (schema messageEventSecurityListeningPorts_v1_0.json): TCP sockets in LISTEN
// and unconnected bound UDP sockets, IPv4 and IPv6, with the owning process in ExtraDetails.
// With host root "/" the agent shares the host's network namespace and asks the kernel through
// netlink sock_diag; with another host root it reads the host's /proc/net tables under it
// (init's, /proc/1/net, when present: /proc/net is the reader's own namespace).
#include <unordered_map>
#include <vector>

#include "collectors/collector.h"
#include "collectors/ports/socket_owners.h"
#include "collectors/ports/socket_table.h"
#include "pipeline/statistics.h"

namespace edgeguard {

// Payload items for the listening sockets among `sockets`, sorted (protocol, port, address)
// and without duplicates (SO_REUSEPORT groups of one process read as one).
std::vector<nlohmann::json> listening_port_payloads(const std::vector<SocketRecord>& sockets,
                                                    const std::unordered_map<uint64_t, SocketOwner>& owners);

class ListeningPortsCollector : public PeriodicCollector {
 public:
  explicit ListeningPortsCollector(Statistics& statistics) : statistics_(statistics) {}
  std::string_view name() const override { return "ListeningPorts"; }
  std::vector<std::string> event_names() const override { return {"ListeningPorts"}; }
  // Throws CollectorError when no socket table at all can be read.
  std::vector<Event> collect(const CollectorContext& context) override;

 private:
  Statistics& statistics_;
};

}  // namespace edgeguard
