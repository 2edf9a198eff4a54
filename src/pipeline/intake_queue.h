#pragma once
// The one bounded queue between collectors (any thread) and the pipeline. Full means the event
// is dropped and counted, never that a collector blocks.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <vector>

#include "core/event.h"

namespace edgeguard {

class IntakeQueue {
 public:
  explicit IntakeQueue(size_t capacity) : capacity_(capacity) {}

  // False when the queue is full or closed (the caller counts the drop).
  bool push(Event event);
  // Waits up to `timeout` for events, then takes everything queued.
  std::vector<Event> pop_all(std::chrono::milliseconds timeout);
  void close();
  void wake();
  size_t size() const;

 private:
  size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::vector<Event> events_;
  bool closed_ = false;
  bool woken_ = false;
};

}  // namespace edgeguard
