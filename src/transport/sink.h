#pragma once
// Where finished messages go. A sink only moves messages: send() returns true only once the
// message is durably accepted (fsync for files, PUBACK for MQTT); until then the events that
// make it up stay in the store.
#include <cstdint>
#include <string>
#include <vector>

#include "core/event.h"

namespace edgeguard {

struct OutgoingMessage {
  Channel channel;  // security (marked) or an extension output
  Priority priority = Priority::Low;
  std::string body;  // the JSON document
  std::vector<int64_t> seqs;  // store rows it carries
};

class Sink {
 public:
  virtual ~Sink() = default;
  // Blocks until the message is acknowledged (true) or has failed (false).
  virtual bool send(const OutgoingMessage& message) = 0;
  // False while the sink cannot take messages (e.g. not connected); the pipeline then waits.
  virtual bool ready() { return true; }
  virtual std::string describe() const = 0;
};

}  // namespace edgeguard
