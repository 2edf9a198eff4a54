#include "transport/edgehub/edgehub_sink.h"

#include "core/log.h"
#include "transport/edgehub/topics.h"

namespace edgeguard::edgehub {

size_t edgehub_message_size(const Channel& channel, size_t body_size) {
  size_t size = body_size;
  for (const auto& [key, value] : message_properties(channel)) size += key.size() + value.size();
  return size;
}

EdgeHubSink::EdgeHubSink(EdgeHubConnection& connection, const ModuleTwinClient* twin,
                         std::chrono::milliseconds send_timeout)
    : connection_(connection), twin_(twin), send_timeout_(send_timeout) {}

bool EdgeHubSink::ready() { return connection_.connected() && (!twin_ || twin_->first_twin_settled()); }

std::string EdgeHubSink::describe() const { return "edgeHub " + connection_.endpoint(); }

bool EdgeHubSink::send(const OutgoingMessage& message) {
  const size_t size = edgehub_message_size(message.channel, message.body.size());
  if (size > kEdgeHubMessageLimit) {
    // The pipeline's message limit keeps bodies well below this; sending it would only make
    // edgeHub reject it.
    log::get("edgehub")->error("a message of {} bytes with its properties exceeds edgeHub's {} byte limit; not sent",
                               size, kEdgeHubMessageLimit);
    return false;
  }
  const auto& id = connection_.settings().identity;
  const std::string topic = telemetry_topic(id.device_id, id.module_id, message.channel);
  if (!connection_.publish_and_wait(topic, message.body, send_timeout_)) return false;
  messages_.fetch_add(1);
  topic_bytes_.fetch_add(topic.size());
  payload_bytes_.fetch_add(message.body.size());
  return true;
}

WireCounters EdgeHubSink::counters() const { return {messages_.load(), topic_bytes_.load(), payload_bytes_.load()}; }

}  // namespace edgeguard::edgehub
