#pragma once
// The messages a sink is about to write, recorded in the store (unsynced, with no fsync of its
// own) before the sink writes them, and deleted in the transaction that removes their events
// once the sink acknowledged them. A batch of several messages is acknowledged at once (one
// fsync for a file); if the agent dies in between, the record says where each message would
// be in the sink's output and what it holds, so that on restart the messages that were written
// whole are recognised there and their events are not sent again. A message that cannot be
// recognised is sent again: a damaged or missing record costs duplicates, never events.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace edgeguard {

struct RecordedMessage {
  uint64_t size = 0;             // bytes of the message body
  uint32_t crc32 = 0;            // crc32_of() the body (core/crc32.h)
  std::vector<int64_t> seqs;     // the store's events it carries
};

struct DeliveryRecord {
  uint64_t position = 0;  // where the sink's output ended before the batch
  std::vector<RecordedMessage> messages;
};

// The store's state key of the record.
inline constexpr std::string_view kDeliveryRecordKey = "pipeline.delivery";

std::string serialize_delivery_record(const DeliveryRecord& record);
// nullopt (with `error` saying why) when the text is not a record this version wrote.
std::optional<DeliveryRecord> parse_delivery_record(std::string_view text, std::string* error = nullptr);

}  // namespace edgeguard
