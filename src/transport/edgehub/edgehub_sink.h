#pragma once
// Delivers finished messages to edgeHub: security messages marked with $.ifid on the module's
// telemetry topic, extension messages on their named module output ($.on). send() returns
// true only after edgeHub's PUBACK, so the events stay stored until then.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "transport/edgehub/edgehub_connection.h"
#include "transport/edgehub/module_twin.h"
#include "transport/sink.h"

namespace edgeguard::edgehub {

// edgeHub rejects a message when body + the lengths of all property names and values exceed
// this (reference section 4.2).
inline constexpr size_t kEdgeHubMessageLimit = 262144;

struct WireCounters {
  uint64_t messages = 0;
  uint64_t topic_bytes = 0;    // topic incl. the property bag
  uint64_t payload_bytes = 0;  // message bodies
};

class EdgeHubSink : public Sink {
 public:
  // With a twin client, the sink becomes ready only once the first twin was handled (or
  // waiting for it timed out), so the first messages follow the remote configuration.
  EdgeHubSink(EdgeHubConnection& connection, const ModuleTwinClient* twin,
              std::chrono::milliseconds send_timeout = std::chrono::seconds(30));

  bool send(const OutgoingMessage& message) override;
  bool ready() override;
  std::string describe() const override;

  WireCounters counters() const;

 private:
  EdgeHubConnection& connection_;
  const ModuleTwinClient* twin_;
  std::chrono::milliseconds send_timeout_;
  std::atomic<uint64_t> messages_{0};
  std::atomic<uint64_t> topic_bytes_{0};
  std::atomic<uint64_t> payload_bytes_{0};
};

// What edgeHub counts against kEdgeHubMessageLimit for a message on `channel`.
size_t edgehub_message_size(const Channel& channel, size_t body_size);

}  // namespace edgeguard::edgehub
