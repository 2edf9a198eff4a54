#pragma once
// Where finished messages go. A sink only moves messages: send() returns true only once the
// message is durably accepted (fsync for files, PUBACK for MQTT); until then the events that
// make it up stay in the store.
#include <cstdint>
#include <optional>
#include <span>
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

struct WrittenMessage {
  uint64_t size = 0;
  uint32_t crc32 = 0;
};

class Sink {
 public:
  virtual ~Sink() = default;
  // Blocks until the message is acknowledged (true) or has failed (false).
  virtual bool send(const OutgoingMessage& message) = 0;
  // Sends the messages in order and returns how many of the first ones were acknowledged (all
  // of them, or the ones before the first failure). A sink that can acknowledge several at
  // once (one fsync for a file) overrides this; by default each is sent on its own.
  virtual size_t send_batch(std::span<const OutgoingMessage> messages) {
    size_t acknowledged = 0;
    while (acknowledged < messages.size() && send(messages[acknowledged])) ++acknowledged;
    return acknowledged;
  }
  // A sink whose output can be read back (a file) says where the next message will start, and
  // after a crash, how many of the messages that were being written from `position` (size and
  // CRC-32 of each, in order) are there whole and durable. The pipeline records a batch this
  // way before sending it, so that a crash repeats none of the messages that made it out.
  // Other sinks: nullopt, and each unacknowledged message is sent again.
  virtual std::optional<uint64_t> output_position() { return std::nullopt; }
  virtual size_t count_written(uint64_t /*position*/, std::span<const WrittenMessage> /*messages*/) { return 0; }
  // False while the sink cannot take messages (e.g. not connected); the pipeline then waits.
  virtual bool ready() { return true; }
  virtual std::string describe() const = 0;
};

}  // namespace edgeguard
