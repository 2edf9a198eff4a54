#pragma once
// Assembles stored events into one message document without re-parsing them: the envelope
// (AgentVersion, AgentId, MessageSchemaVersion) around the events' JSON text.
#include <cstdint>
#include <string>
#include <vector>

#include "core/event.h"
#include "transport/sink.h"

namespace edgeguard {

// MessageSchemaVersion of extension messages (schemas/extension_message.schema.json).
inline constexpr const char* kExtensionSchemaVersion = "edgeguard-extension-1.0";

class MessageBuilder {
 public:
  MessageBuilder(const std::string& agent_id, const std::string& agent_version, Channel channel, size_t limit);

  // Bytes of the envelope around the events.
  size_t overhead() const { return prefix_.size() + 2; }
  // Whether an event of `body_size` bytes can ever be sent in a message of this limit.
  bool can_ever_fit(size_t body_size) const { return overhead() + body_size <= limit_; }
  bool fits(size_t body_size) const;
  void add(int64_t seq, Priority priority, const std::string& body);
  bool empty() const { return seqs_.empty(); }
  size_t size() const { return size_; }
  const Channel& channel() const { return channel_; }

  OutgoingMessage finish();

 private:
  Channel channel_;
  size_t limit_;
  std::string prefix_;
  std::string body_;
  size_t size_ = 0;
  Priority priority_ = Priority::Low;
  std::vector<int64_t> seqs_;
};

}  // namespace edgeguard
