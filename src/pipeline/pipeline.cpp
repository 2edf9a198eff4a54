#include "pipeline/pipeline.h"

#include <algorithm>
#include <unordered_map>

#include "core/crc32.h"
#include "core/log.h"
#include "pipeline/delivery_record.h"
#include "pipeline/message_builder.h"

namespace edgeguard {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr size_t kPageRows = 512;
constexpr size_t kIngestBatch = 512;
constexpr auto kIngestLinger = std::chrono::milliseconds(200);
// The store's record of the batch being sent (pipeline/delivery_record.h); no value erases it.
StateChange delivery_record_change(std::optional<std::string> value) {
  return StateChange{std::string(kDeliveryRecordKey), std::move(value)};
}

// A backlog is sent in batches of messages up to this many bytes, acknowledged at once (one
// fsync for the file sink): a slow fsync then limits throughput per batch, not per message.
constexpr size_t kBatchBytes = 2 * 1024 * 1024;

std::shared_ptr<spdlog::logger> logger() { return log::get("pipeline"); }

}  // namespace

Pipeline::Pipeline(const AgentConfig& config, EventStore& store, Sink& sink, Statistics& statistics,
                   AgentIdentity identity, size_t intake_capacity)
    : store_(store),
      sink_(sink),
      statistics_(statistics),
      identity_(std::move(identity)),
      intake_(intake_capacity),
      config_(config),
      aggregator_(config) {
  store_.set_max_bytes(static_cast<uint64_t>(config.max_local_cache_size_bytes));
  aggregator_.restore(store_.state_with_prefix(Aggregator::kStatePrefix));
  recover_interrupted_delivery();
  envelope_overhead_ = std::max(
      MessageBuilder(identity_.agent_id, identity_.agent_version, Channel{}, 0).overhead(),
      MessageBuilder(identity_.agent_id, identity_.agent_version, Channel{"x"}, 0).overhead());
}

Pipeline::~Pipeline() {
  if (ingest_thread_.joinable() || sender_thread_.joinable()) stop(std::chrono::milliseconds(0));
}

bool Pipeline::submit(Event event) {
  IntakeItem item;
  const bool state_only = event.is_state_only();
  item.state = std::move(event.state);
  // Only collector state, no event: nothing to count if the queue refuses it; the collector
  // sends newer state later.
  if (state_only) return intake_.push(std::move(item));
  bool aggregated = false;
  size_t limit = 0;
  {
    std::lock_guard lock(config_mutex_);
    item.priority = config_.priority_of(event.name);
    const auto aggregation = config_.aggregation.find(event.name);
    aggregated = aggregation != config_.aggregation.end() && aggregation->second.enabled;
    limit = config_.effective_message_limit();
  }
  // An event that is not taken (Off, or too large: counted) still has its state committed, so
  // the collector does not read the same input again after a restart.
  const auto keep_state_only = [&] {
    if (item.state) intake_.push(IntakeItem{item.priority, std::nullopt, {}, std::move(item.state)});
    return false;
  };
  if (item.priority == Priority::Off) return keep_state_only();
  if (aggregated) {
    item.raw = std::move(event);
  } else {
    // Serialized here, on the collector's thread, so the ingest thread only writes.
    auto ready = prepare(event, item.priority, limit);
    if (!ready) return keep_state_only();
    item.ready = std::move(*ready);
  }
  const Priority priority = item.priority;
  if (!intake_.push(std::move(item))) {
    statistics_.dropped(priority, drop_reason::kIntakeQueueFull);
    log_drop(priority, drop_reason::kIntakeQueueFull, 1);
    return false;
  }
  return true;
}

std::optional<PendingEvent> Pipeline::prepare(const Event& event, Priority priority, size_t message_limit) {
  std::string body = serialize_event(event);
  if (body.size() + envelope_overhead_ > message_limit) {
    statistics_.dropped(priority, drop_reason::kOversizeEvent);
    logger()->warn("dropped a {} event of {} bytes: larger than a whole message ({} bytes)", event.name, body.size(),
                   message_limit);
    return std::nullopt;
  }
  return PendingEvent{priority, event.channel.output, std::move(body)};
}

void Pipeline::start() {
  stopping_ = false;
  ingest_thread_ = std::thread([this] { ingest_loop(); });
  sender_thread_ = std::thread([this] { sender_loop(); });
}

void Pipeline::stop(std::chrono::milliseconds deadline) {
  stopping_ = true;
  intake_.close();
  {
    std::lock_guard lock(sender_mutex_);
    size_trigger_ = true;
  }
  sender_wake_.notify_all();
  if (ingest_thread_.joinable()) ingest_thread_.join();
  if (sender_thread_.joinable()) sender_thread_.join();
  ingest_pending(false);
  const auto until = SteadyClock::now() + deadline;
  if (deadline.count() > 0) {
    if (drain(Priority::High, Priority::Low, until)) drain(Priority::Low, Priority::High, until);
  }
}

bool Pipeline::flush_all(bool close_aggregation_windows) {
  ingest_pending(close_aggregation_windows);
  const auto forever = SteadyClock::time_point::max();
  return drain(Priority::High, Priority::Low, forever) && drain(Priority::Low, Priority::High, forever);
}

void Pipeline::apply_config(const AgentConfig& config) {
  {
    std::lock_guard lock(config_mutex_);
    config_ = config;
  }
  store_.set_max_bytes(static_cast<uint64_t>(config.max_local_cache_size_bytes));
  {
    std::lock_guard lock(ingest_mutex_);
    aggregator_.configure(config);
  }
  intake_.wake();  // closes windows of types whose aggregation was switched off
  {
    std::lock_guard lock(sender_mutex_);
    config_changed_ = true;
  }
  sender_wake_.notify_all();
}

void Pipeline::sink_ready() {
  {
    std::lock_guard lock(sender_mutex_);
    sink_ready_ = true;
  }
  sender_wake_.notify_all();
}

AgentConfig Pipeline::config() const {
  std::lock_guard lock(config_mutex_);
  return config_;
}

void Pipeline::log_drop(Priority priority, std::string_view reason, uint64_t count) {
  // At most one line per second per process for drops: a storm must not become a log storm,
  // and the counts reach the operator in DroppedEventsStatistics anyway.
  static std::atomic<int64_t> last_logged{0};
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(SteadyClock::now().time_since_epoch()).count();
  int64_t previous = last_logged.load();
  if (now != previous && last_logged.compare_exchange_strong(previous, now)) {
    logger()->warn("dropped {} {}-priority event(s): {} (totals in DroppedEventsStatistics)", count,
                   to_string(priority), reason);
  }
}

void Pipeline::ingest_loop() {
  while (true) {
    auto timeout = std::chrono::milliseconds(1000);
    {
      std::lock_guard lock(ingest_mutex_);
      if (const auto due = aggregator_.next_due()) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*due - Clock::now());
        timeout = std::clamp(left, std::chrono::milliseconds(0), timeout);
      }
    }
    intake_.wait(timeout);
    if (stopping_ && intake_.size() == 0) break;
    // Streaming collectors submit one event at a time and every ingest is one store transaction
    // (one fsync): when a few arrived, wait a moment for the rest of the burst.
    if (intake_.size() > 0 && intake_.size() < kIngestBatch && !stopping_) std::this_thread::sleep_for(kIngestLinger);
    ingest_pending(false);
  }
}

void Pipeline::ingest_pending(bool close_windows) {
  const size_t limit = config().effective_message_limit();
  std::lock_guard lock(ingest_mutex_);
  std::vector<IntakeItem> items = intake_.pop_all();
  std::vector<PendingEvent> pending;
  pending.reserve(items.size());
  uint64_t absorbed[2] = {0, 0};
  const auto queue_index = [](Priority p) { return p == Priority::High ? 0 : 1; };
  const auto add = [&](const Event& event, Priority priority) {
    if (auto ready = prepare(event, priority, limit)) pending.push_back(std::move(*ready));
  };

  std::vector<StateChange> changes;
  for (IntakeItem& item : items) {
    if (item.state) changes.push_back(StateChange{std::move(item.state->key), std::move(item.state->value)});
    if (!item.carries_event()) continue;
    if (!item.raw) {
      pending.push_back(std::move(item.ready));
    } else if (aggregator_.absorb(*item.raw)) {
      ++absorbed[queue_index(item.priority)];
    } else {
      add(*item.raw, item.priority);
    }
  }
  const AgentConfig config = this->config();
  for (const Event& event : aggregator_.take_due(Clock::now(), close_windows)) {
    const Priority priority = config.priority_of(event.name);
    add(event, priority == Priority::Off ? Priority::Low : priority);
  }
  for (auto& change : aggregator_.take_state_changes()) changes.push_back(std::move(change));
  if (pending.empty() && changes.empty()) return;
  // An aggregation window entry hit many times in this batch needs only its last value stored.
  if (changes.size() > 1) {
    std::unordered_map<std::string_view, size_t> last;
    for (size_t i = 0; i < changes.size(); ++i) last[changes[i].key] = i;
    if (last.size() < changes.size()) {
      std::vector<bool> keep(changes.size(), false);
      for (const auto& [key, index] : last) keep[index] = true;
      std::vector<StateChange> kept;
      kept.reserve(last.size());
      for (size_t i = 0; i < changes.size(); ++i) {
        if (keep[i]) kept.push_back(std::move(changes[i]));
      }
      changes = std::move(kept);
    }
  }

  EvictionReport evicted;
  try {
    evicted = store_.insert(pending, changes);
  } catch (const StoreError& error) {
    logger()->error("cannot persist {} event(s): {}", pending.size() + absorbed[0] + absorbed[1], error.what());
    uint64_t lost[2] = {absorbed[0], absorbed[1]};
    for (const auto& event : pending) ++lost[queue_index(event.priority)];
    statistics_.dropped(Priority::High, drop_reason::kStoreFailure, lost[0]);
    statistics_.dropped(Priority::Low, drop_reason::kStoreFailure, lost[1]);
    return;
  }
  uint64_t collected[2] = {absorbed[0], absorbed[1]};
  for (const auto& event : pending) ++collected[queue_index(event.priority)];
  statistics_.collected(Priority::High, collected[0]);
  statistics_.collected(Priority::Low, collected[1]);
  if (evicted.high || evicted.low) {
    statistics_.dropped(Priority::High, drop_reason::kCacheEviction, evicted.high);
    statistics_.dropped(Priority::Low, drop_reason::kCacheEviction, evicted.low);
    log_drop(evicted.low ? Priority::Low : Priority::High, drop_reason::kCacheEviction, evicted.high + evicted.low);
  }
  if (store_.bytes() >= limit) {
    {
      std::lock_guard sender_lock(sender_mutex_);
      size_trigger_ = true;
    }
    sender_wake_.notify_all();
  }
}

std::optional<OutgoingMessage> Pipeline::build_message(Priority primary, std::optional<Priority> pad, size_t limit,
                                                       bool& dropped_oversize) {
  auto first = store_.oldest(primary, 1);
  if (first.empty()) return std::nullopt;
  MessageBuilder builder(identity_.agent_id, identity_.agent_version, Channel{first.front().channel}, limit);
  std::vector<int64_t> oversize;
  bool full = false;

  const auto fill = [&](Priority priority) {
    int64_t after = 0;
    while (!full) {
      const auto rows = store_.oldest(priority, kPageRows, after);
      if (rows.empty()) return;
      for (const auto& row : rows) {
        after = row.seq;
        if (row.channel != builder.channel().output) continue;
        if (!builder.can_ever_fit(row.body.size())) {
          oversize.push_back(row.seq);
          statistics_.dropped(priority, drop_reason::kOversizeEvent);
          continue;
        }
        if (!builder.fits(row.body.size())) {
          full = true;
          return;
        }
        builder.add(row.seq, priority, row.body);
      }
    }
  };
  fill(primary);
  if (!full && pad) fill(*pad);
  if (!oversize.empty()) {
    logger()->warn("dropped {} stored event(s) larger than a whole message ({} bytes)", oversize.size(), limit);
    store_.remove(oversize);
    dropped_oversize = true;
  }
  if (builder.empty()) return std::nullopt;
  OutgoingMessage message = builder.finish();
  // The next message of the batch is built from the events after these.
  store_.mark_in_flight(message.seqs);
  return message;
}

std::optional<bool> Pipeline::send_batch(Priority primary, std::optional<Priority> pad, size_t max_messages) {
  const size_t limit = config().effective_message_limit();
  std::vector<OutgoingMessage> batch;
  size_t batch_bytes = 0;
  bool dropped_oversize = false;
  while (batch.size() < std::max<size_t>(max_messages, 1) && (batch.empty() || batch_bytes + limit <= kBatchBytes)) {
    auto message = build_message(primary, pad, limit, dropped_oversize);
    if (!message) break;
    batch_bytes += message->body.size();
    batch.push_back(std::move(*message));
  }
  if (batch.empty()) return dropped_oversize ? std::optional<bool>(true) : std::nullopt;

  const bool recorded = record_delivery(batch);
  const size_t acknowledged = sink_.send_batch(batch);
  std::vector<int64_t> delivered;
  for (size_t i = 0; i < acknowledged; ++i) delivered.insert(delivered.end(), batch[i].seqs.begin(), batch[i].seqs.end());
  try {
    const StateChange forget_record = delivery_record_change(std::nullopt);
    if (!delivered.empty() || recorded) {
      store_.remove(delivered, recorded ? std::span(&forget_record, 1) : std::span<const StateChange>{});
    }
  } catch (const StoreError& error) {
    // The messages were delivered; if their events cannot be deleted they will be sent again.
    logger()->error("delivered message(s) could not be removed from the store: {}", error.what());
  }
  // Whatever was not acknowledged stays in the store, to be sent again.
  store_.clear_in_flight();
  for (size_t i = 0; i < acknowledged; ++i) {
    statistics_.message_sent(batch[i].body.size());
    logger()->debug("sent a {}-priority message of {} bytes with {} event(s) to {}", to_string(batch[i].priority),
                    batch[i].body.size(), batch[i].seqs.size(), sink_.describe());
  }
  if (acknowledged < batch.size()) {
    statistics_.message_failed();
    return false;
  }
  return true;
}

bool Pipeline::record_delivery(const std::vector<OutgoingMessage>& batch) {
  const auto position = sink_.output_position();
  if (!position) return false;
  DeliveryRecord record;
  record.position = *position;
  for (const auto& message : batch) {
    record.messages.push_back(RecordedMessage{message.body.size(), crc32_of(message.body), message.seqs});
  }
  try {
    store_.remove({}, std::vector<StateChange>{delivery_record_change(serialize_delivery_record(record))});
    return true;
  } catch (const StoreError& error) {
    // Sending goes on: only a crash before the acknowledgement would then repeat messages.
    logger()->warn("cannot record the messages about to be sent: {}", error.what());
    return false;
  }
}

void Pipeline::recover_interrupted_delivery() {
  const auto state = store_.state_with_prefix(std::string(kDeliveryRecordKey));
  const auto found = state.find(std::string(kDeliveryRecordKey));
  if (found == state.end()) return;
  std::string error;
  const auto record = parse_delivery_record(found->second, &error);
  std::vector<int64_t> delivered;
  size_t written = 0;
  if (!record) {
    logger()->warn("the record of the last messages sent is unreadable ({}): they are sent again", error);
  } else {
    std::vector<WrittenMessage> expected;
    for (const auto& message : record->messages) expected.push_back(WrittenMessage{message.size, message.crc32});
    written = sink_.count_written(record->position, expected);
    for (size_t i = 0; i < written; ++i) {
      delivered.insert(delivered.end(), record->messages[i].seqs.begin(), record->messages[i].seqs.end());
    }
  }
  try {
    const StateChange forget_record = delivery_record_change(std::nullopt);
    store_.remove(delivered, std::span(&forget_record, 1));
  } catch (const StoreError& store_error) {
    logger()->error("cannot settle the messages sent before the agent stopped: {}", store_error.what());
    return;
  }
  if (record) {
    logger()->info("{} of the {} message(s) being sent when the agent stopped reached {}; the rest are sent again",
                   written, record->messages.size(), sink_.describe());
  }
}

bool Pipeline::drain(Priority primary, std::optional<Priority> pad, SteadyClock::time_point deadline,
                     bool yield_to_stop) {
  while (SteadyClock::now() < deadline && !(yield_to_stop && stopping_)) {
    const auto sent = send_batch(primary, pad, SIZE_MAX);
    if (!sent) return true;
    if (!*sent) return false;
  }
  return true;
}

bool Pipeline::drain_full_messages() {
  const size_t limit = config().effective_message_limit();
  while (!stopping_ && store_.bytes() >= limit) {
    const Priority primary = store_.count(Priority::High) ? Priority::High : Priority::Low;
    // Only as many messages as the store fills: a part-filled one waits for its schedule.
    const size_t full = static_cast<size_t>(store_.bytes() / limit);
    const auto sent = send_batch(primary, primary == Priority::High ? Priority::Low : Priority::High, full);
    if (!sent) return true;
    if (!*sent) return false;
  }
  return true;
}

void Pipeline::sender_loop() {
  auto config = this->config();
  auto next_high = SteadyClock::now() + config.high_priority_message_frequency.value;
  auto next_low = SteadyClock::now() + config.low_priority_message_frequency.value;
  bool high_pending = false;
  bool low_pending = false;
  auto backoff = std::chrono::milliseconds(1000);
  SteadyClock::time_point retry_at{};  // epoch: no retry pending

  while (!stopping_) {
    {
      std::unique_lock lock(sender_mutex_);
      auto wake_at = std::min(next_high, next_low);
      if (retry_at != SteadyClock::time_point{}) wake_at = std::min(wake_at, retry_at);
      sender_wake_.wait_until(lock, wake_at,
                              [&] { return size_trigger_ || config_changed_ || sink_ready_ || stopping_.load(); });
      if (sink_ready_) {
        sink_ready_ = false;
        retry_at = {};
        backoff = std::chrono::milliseconds(1000);
      }
      if (config_changed_) {
        config_changed_ = false;
        const auto updated = this->config();
        // A new frequency counts from now, never later than the old schedule would have sent.
        if (updated.high_priority_message_frequency != config.high_priority_message_frequency) {
          next_high = std::min(next_high, SteadyClock::now() + updated.high_priority_message_frequency.value);
        }
        if (updated.low_priority_message_frequency != config.low_priority_message_frequency) {
          next_low = std::min(next_low, SteadyClock::now() + updated.low_priority_message_frequency.value);
        }
        config = updated;
      }
      size_trigger_ = false;
    }
    if (stopping_) break;
    const auto now = SteadyClock::now();
    if (now >= next_high) {
      high_pending = true;
      next_high = now + config.high_priority_message_frequency.value;
    }
    if (now >= next_low) {
      low_pending = true;
      next_low = now + config.low_priority_message_frequency.value;
    }
    if (retry_at != SteadyClock::time_point{} && now < retry_at) continue;
    retry_at = {};

    bool ok = true;
    if (!sink_.ready()) {
      ok = false;
    } else {
      ok = drain_full_messages();
      if (ok && low_pending) {
        ok = drain(Priority::Low, Priority::High, SteadyClock::time_point::max(), true);
        if (ok) low_pending = false;
      }
      if (ok && high_pending) {
        ok = drain(Priority::High, Priority::Low, SteadyClock::time_point::max(), true);
        if (ok) high_pending = false;
      }
    }
    if (ok) {
      backoff = std::chrono::milliseconds(1000);
    } else {
      retry_at = SteadyClock::now() + backoff;
      logger()->warn("the sink ({}) did not take the message; retrying in {} ms", sink_.describe(), backoff.count());
      backoff = std::min(backoff * 2, std::chrono::milliseconds(60000));
    }
  }
}

}  // namespace edgeguard
