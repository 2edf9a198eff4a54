#pragma once
// Owns time, priorities, the store and batching: collectors submit events, the ingest thread
// aggregates and persists them, the sender thread batches them into messages on the configured
// schedule and removes them from the store once the sink acknowledged the message.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "config/agent_config.h"
#include "pipeline/aggregator.h"
#include "pipeline/event_store.h"
#include "pipeline/intake_queue.h"
#include "pipeline/statistics.h"
#include "transport/sink.h"

namespace edgeguard {

struct AgentIdentity {
  std::string agent_id;
  std::string agent_version;
};

class Pipeline {
 public:
  Pipeline(const AgentConfig& config, EventStore& store, Sink& sink, Statistics& statistics, AgentIdentity identity,
           size_t intake_capacity = 65536);
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Any thread, never blocks. Events whose priority is Off are discarded (not collected); a
  // full intake queue drops the event and counts it. Returns whether the event was taken.
  // An event's collector state is committed in the transaction that stores the event.
  bool submit(Event event);

  void start();
  // Stops the threads, persists what is queued and sends what the sink takes within
  // `deadline`. Whatever is not sent stays in the store for the next run.
  void stop(std::chrono::milliseconds deadline);

  // With the threads stopped (or never started): persist everything submitted, optionally
  // close every aggregation window, and send everything in the store. False if the sink failed.
  bool flush_all(bool close_aggregation_windows);

  // The sink can take messages again (e.g. it reconnected): retry now rather than at the end
  // of the back-off that grew while it was down.
  void sink_ready();

  // Takes effect without a restart: priorities, frequencies, sizes, aggregation.
  void apply_config(const AgentConfig& config);
  AgentConfig config() const;
  Statistics& statistics() { return statistics_; }
  // Any thread: persists everything submitted so far (ingest is serialised, so this keeps the
  // order of events even while the ingest thread runs).
  void settle() { ingest_pending(false); }
  // Events submitted but not yet ingested.
  size_t intake_depth() const { return intake_.size(); }

 private:
  void ingest_loop();
  void sender_loop();
  // Takes everything queued and persists it. Taking and persisting happen under one lock, so
  // events reach the store in the order they were submitted whichever thread does it.
  void ingest_pending(bool close_windows);
  // The serialized event, or nullopt (counted) when it cannot fit in any message.
  std::optional<PendingEvent> prepare(const Event& event, Priority priority, size_t message_limit);
  // The next message from `primary` (padded with `pad`), its events marked in flight; nullopt
  // when nothing is left. Stored events too large for any message are dropped (counted).
  std::optional<OutgoingMessage> build_message(Priority primary, std::optional<Priority> pad, size_t limit,
                                               bool& dropped_oversize);
  // Sends up to `max_messages` messages from `primary` (padded with `pad`) as one batch of at
  // most kBatchBytes. nullopt: nothing to send; false: the sink failed (what it did not
  // acknowledge stays in the store).
  std::optional<bool> send_batch(Priority primary, std::optional<Priority> pad, size_t max_messages);
  // Records the batch in the store before the sink writes it (pipeline/delivery_record.h), if
  // the sink can tell afterwards what it wrote. False: not recorded.
  bool record_delivery(const std::vector<OutgoingMessage>& batch);
  // After a crash: the events of the messages the sink has whole leave the store.
  void recover_interrupted_delivery();
  // Sends until `primary` is empty, the deadline passes, or (from the sender thread) a stop
  // is requested. False if the sink failed.
  bool drain(Priority primary, std::optional<Priority> pad, std::chrono::steady_clock::time_point deadline,
             bool yield_to_stop = false);
  bool drain_full_messages();
  void log_drop(Priority priority, std::string_view reason, uint64_t count);

  EventStore& store_;
  Sink& sink_;
  Statistics& statistics_;
  AgentIdentity identity_;
  IntakeQueue intake_;

  mutable std::mutex config_mutex_;
  AgentConfig config_;
  size_t envelope_overhead_ = 0;  // bytes a message adds around its events

  std::mutex ingest_mutex_;  // serialises ingest(); guards aggregator_
  Aggregator aggregator_;

  std::mutex sender_mutex_;
  std::condition_variable sender_wake_;
  bool size_trigger_ = false;
  bool config_changed_ = false;
  bool sink_ready_ = false;

  std::atomic<bool> stopping_{false};
  std::thread ingest_thread_;
  std::thread sender_thread_;
};

}  // namespace edgeguard
