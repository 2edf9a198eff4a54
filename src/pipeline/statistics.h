#pragma once
// Counters of everything collected, dropped and sent, per queue and per reason. Read and reset
// every snapshot period into DroppedEventsStatistics and MessageStatistics events.
#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "core/event.h"

namespace edgeguard {

// Why an event was lost. Every place that can lose an event uses one of these.
namespace drop_reason {
inline constexpr std::string_view kIntakeQueueFull = "IntakeQueueFull";
inline constexpr std::string_view kCacheEviction = "CacheEviction";
inline constexpr std::string_view kOversizeEvent = "OversizeEvent";
inline constexpr std::string_view kStoreFailure = "StoreFailure";
inline constexpr std::string_view kKernelBuffer = "KernelBufferFull";
inline constexpr std::string_view kAuditLost = "AuditLost";
inline constexpr std::string_view kParseFailure = "ParseFailure";
inline constexpr std::string_view kSimulated = "SimulatedDrop";
// A process exited before /proc could be read for it (proc connector source).
inline constexpr std::string_view kProcessGone = "ProcessGone";
// A socket closed before its addresses could be read (audit and proc connector sources).
inline constexpr std::string_view kConnectionGone = "ConnectionGone";
}  // namespace drop_reason

struct QueueCounters {
  uint64_t collected = 0;
  uint64_t dropped = 0;
  std::map<std::string, uint64_t, std::less<>> dropped_by_reason;
};

struct StatisticsSnapshot {
  QueueCounters high;
  QueueCounters low;
  uint64_t messages_sent = 0;
  uint64_t messages_under_4kb = 0;
  uint64_t messages_failed = 0;
  uint64_t bytes_sent = 0;
};

class Statistics {
 public:
  void collected(Priority priority, uint64_t count = 1);
  void dropped(Priority priority, std::string_view reason, uint64_t count = 1);
  void message_sent(size_t bytes);
  void message_failed();

  // Counters since the last take(), then reset (the reference agents' "reset on read").
  StatisticsSnapshot take();
  // Totals since the agent started (never reset), for logs and tests.
  StatisticsSnapshot totals() const;

 private:
  static void add(StatisticsSnapshot& s, Priority priority, std::string_view reason, uint64_t count);
  mutable std::mutex mutex_;
  StatisticsSnapshot period_;
  StatisticsSnapshot total_;
};

}  // namespace edgeguard
