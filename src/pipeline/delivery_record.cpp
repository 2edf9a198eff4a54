#include "pipeline/delivery_record.h"

#include <nlohmann/json.hpp>

namespace edgeguard {
namespace {

constexpr int kVersion = 1;
constexpr int64_t kMaxEvents = 1'000'000;

// Seqs of a message are nearly always one run: stored as [first, last] pairs.
nlohmann::json runs_of(const std::vector<int64_t>& seqs) {
  nlohmann::json runs = nlohmann::json::array();
  for (size_t i = 0; i < seqs.size();) {
    size_t j = i;
    while (j + 1 < seqs.size() && seqs[j + 1] == seqs[j] + 1) ++j;
    runs.push_back({seqs[i], seqs[j]});
    i = j + 1;
  }
  return runs;
}

}  // namespace

std::string serialize_delivery_record(const DeliveryRecord& record) {
  nlohmann::json messages = nlohmann::json::array();
  for (const auto& message : record.messages) {
    messages.push_back({{"size", message.size}, {"crc32", message.crc32}, {"seqs", runs_of(message.seqs)}});
  }
  return nlohmann::json{{"version", kVersion}, {"position", record.position}, {"messages", messages}}.dump();
}

std::optional<DeliveryRecord> parse_delivery_record(std::string_view text, std::string* error) {
  const auto fail = [&](std::string why) -> std::optional<DeliveryRecord> {
    if (error) *error = std::move(why);
    return std::nullopt;
  };
  const auto document = nlohmann::json::parse(text, nullptr, false);
  if (document.is_discarded() || !document.is_object()) return fail("not a JSON object");
  const auto version = document.find("version");
  if (version == document.end() || !version->is_number_integer() || *version != kVersion) {
    return fail("not version " + std::to_string(kVersion));
  }
  const auto position = document.find("position");
  const auto messages = document.find("messages");
  if (position == document.end() || !position->is_number_unsigned()) return fail("no position");
  if (messages == document.end() || !messages->is_array()) return fail("no messages");
  DeliveryRecord record;
  record.position = position->get<uint64_t>();
  int64_t total = 0;
  for (const auto& entry : *messages) {
    if (!entry.is_object()) return fail("a message is not an object");
    const auto size = entry.find("size");
    const auto crc = entry.find("crc32");
    const auto seqs = entry.find("seqs");
    if (size == entry.end() || !size->is_number_unsigned() || crc == entry.end() || !crc->is_number_unsigned() ||
        crc->get<uint64_t>() > UINT32_MAX || seqs == entry.end() || !seqs->is_array()) {
      return fail("a message lacks its size, crc32 or seqs");
    }
    RecordedMessage message;
    message.size = size->get<uint64_t>();
    message.crc32 = static_cast<uint32_t>(crc->get<uint64_t>());
    for (const auto& run : *seqs) {
      if (!run.is_array() || run.size() != 2 || !run[0].is_number_integer() || !run[1].is_number_integer()) {
        return fail("a run of seqs is not [first, last]");
      }
      const auto first = run[0].get<int64_t>();
      const auto last = run[1].get<int64_t>();
      // More events than any batch can hold: not a record this agent wrote.
      if (first <= 0 || last < first || last - first >= kMaxEvents - total) return fail("a run of seqs is out of range");
      total += last - first + 1;
      for (int64_t seq = first; seq <= last; ++seq) message.seqs.push_back(seq);
    }
    record.messages.push_back(std::move(message));
  }
  return record;
}

}  // namespace edgeguard
