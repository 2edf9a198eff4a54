#include "pipeline/message_builder.h"

#include <nlohmann/json.hpp>

namespace edgeguard {

MessageBuilder::MessageBuilder(const std::string& agent_id, const std::string& agent_version, Channel channel,
                               size_t limit)
    : channel_(std::move(channel)), limit_(limit) {
  const std::string schema = channel_.is_security() ? "1.0" : kExtensionSchemaVersion;
  prefix_ = "{\"AgentVersion\":" + nlohmann::json(agent_version).dump() + ",\"AgentId\":" +
            nlohmann::json(agent_id).dump() + ",\"MessageSchemaVersion\":\"" + schema + "\",\"Events\":[";
  size_ = overhead();
}

bool MessageBuilder::fits(size_t body_size) const { return size_ + body_size + (seqs_.empty() ? 0 : 1) <= limit_; }

void MessageBuilder::add(int64_t seq, Priority priority, const std::string& body) {
  if (!seqs_.empty()) {
    body_.push_back(',');
    ++size_;
  } else {
    body_.reserve(limit_);
    body_.append(prefix_);
  }
  body_.append(body);
  size_ += body.size();
  seqs_.push_back(seq);
  if (priority == Priority::High) priority_ = Priority::High;
}

OutgoingMessage MessageBuilder::finish() {
  OutgoingMessage message;
  message.channel = channel_;
  message.priority = priority_;
  body_.append("]}");
  message.body = std::move(body_);
  message.seqs = std::move(seqs_);
  body_.clear();
  seqs_.clear();
  size_ = overhead();
  priority_ = Priority::Low;
  return message;
}

}  // namespace edgeguard
