#pragma once
// The one bounded queue between collectors (any thread) and the pipeline. Full means the event
// is dropped and counted, never that a collector blocks.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <vector>

#include "core/event.h"
#include "pipeline/event_store.h"

namespace edgeguard {

// An event on its way to the store: serialized already on the thread that submitted it, or
// kept whole when its type is aggregated (the aggregator needs the payload).
struct IntakeItem {
  Priority priority = Priority::Low;
  std::optional<Event> raw;
  PendingEvent ready;
  std::optional<CollectorState> state;  // committed with the event (or alone)

  bool carries_event() const { return raw.has_value() || !ready.body.empty(); }
};

class IntakeQueue {
 public:
  explicit IntakeQueue(size_t capacity) : capacity_(capacity) {}

  // False when the queue is full or closed (the caller counts the drop).
  bool push(IntakeItem item);
  // Waits up to `timeout` for an item (or close/wake), without taking anything.
  void wait(std::chrono::milliseconds timeout);
  // Takes everything queued, at once.
  std::vector<IntakeItem> pop_all();
  void close();
  void wake();
  size_t size() const;

 private:
  size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::vector<IntakeItem> items_;
  bool closed_ = false;
  bool woken_ = false;
};

}  // namespace edgeguard
