#include "pipeline/statistics.h"

namespace edgeguard {

void Statistics::collected(Priority priority, uint64_t count) {
  if (count == 0) return;
  std::lock_guard lock(mutex_);
  for (auto* s : {&period_, &total_}) (priority == Priority::High ? s->high : s->low).collected += count;
}

void Statistics::add(StatisticsSnapshot& s, Priority priority, std::string_view reason, uint64_t count) {
  QueueCounters& queue = priority == Priority::High ? s.high : s.low;
  queue.dropped += count;
  auto it = queue.dropped_by_reason.find(reason);
  if (it == queue.dropped_by_reason.end()) it = queue.dropped_by_reason.emplace(std::string(reason), 0).first;
  it->second += count;
}

void Statistics::dropped(Priority priority, std::string_view reason, uint64_t count) {
  if (count == 0) return;
  std::lock_guard lock(mutex_);
  add(period_, priority, reason, count);
  add(total_, priority, reason, count);
}

void Statistics::message_sent(size_t bytes) {
  std::lock_guard lock(mutex_);
  for (auto* s : {&period_, &total_}) {
    ++s->messages_sent;
    s->bytes_sent += bytes;
    if (bytes < 4096) ++s->messages_under_4kb;
  }
}

void Statistics::message_failed() {
  std::lock_guard lock(mutex_);
  ++period_.messages_failed;
  ++total_.messages_failed;
}

StatisticsSnapshot Statistics::take() {
  std::lock_guard lock(mutex_);
  StatisticsSnapshot out = std::move(period_);
  period_ = {};
  return out;
}

StatisticsSnapshot Statistics::totals() const {
  std::lock_guard lock(mutex_);
  return total_;
}

}  // namespace edgeguard
