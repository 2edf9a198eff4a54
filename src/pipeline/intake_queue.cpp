#include "pipeline/intake_queue.h"

namespace edgeguard {

bool IntakeQueue::push(Event event) {
  {
    std::lock_guard lock(mutex_);
    if (closed_ || events_.size() >= capacity_) return false;
    events_.push_back(std::move(event));
  }
  ready_.notify_one();
  return true;
}

std::vector<Event> IntakeQueue::pop_all(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  ready_.wait_for(lock, timeout, [&] { return !events_.empty() || closed_ || woken_; });
  woken_ = false;
  std::vector<Event> out;
  out.swap(events_);
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
  return events_.size();
}

}  // namespace edgeguard
