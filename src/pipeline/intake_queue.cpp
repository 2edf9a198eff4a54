#include "pipeline/intake_queue.h"

namespace edgeguard {

bool IntakeQueue::push(IntakeItem item) {
  bool was_empty = false;
  {
    std::lock_guard lock(mutex_);
    if (closed_ || items_.size() >= capacity_) return false;
    was_empty = items_.empty();
    items_.push_back(std::move(item));
  }
  // The consumer takes everything at once, so it only ever waits on an empty queue: waking it
  // on the first item is enough, and saves a futex call per event under load.
  if (was_empty) ready_.notify_one();
  return true;
}

void IntakeQueue::wait(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  ready_.wait_for(lock, timeout, [&] { return !items_.empty() || closed_ || woken_; });
  woken_ = false;
}

std::vector<IntakeItem> IntakeQueue::pop_all() {
  std::lock_guard lock(mutex_);
  std::vector<IntakeItem> out;
  out.swap(items_);
  return out;
}

void IntakeQueue::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  ready_.notify_all();
}

void IntakeQueue::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  ready_.notify_all();
}

size_t IntakeQueue::size() const {
  std::lock_guard lock(mutex_);
  return items_.size();
}

}  // namespace edgeguard
