#pragma once
// Folds identical ProcessCreate / ConnectionCreate events inside a window into one Triggered
// event whose ExtraDetails carry HitCount and the window's start and end (as strings, so the
// message stays valid against schema v1.0). The open windows are persisted with the events.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/agent_config.h"
#include "core/event.h"
#include "pipeline/event_store.h"

namespace edgeguard {

class Aggregator {
 public:
  explicit Aggregator(const AgentConfig& config);

  // Settings for each aggregatable event type. Types whose aggregation was switched off are
  // closed by the next take_due().
  void configure(const AgentConfig& config);

  // Absorbs the event if its type is aggregated, recording the state change to persist.
  bool absorb(const Event& event, std::vector<StateChange>& changes);

  // The aggregated events of every window that has closed by `now` (all of them when
  // `close_all`), recording the state changes that forget them.
  std::vector<Event> take_due(TimePoint now, bool close_all, std::vector<StateChange>& changes);

  // When the next window closes, if any is open.
  std::optional<TimePoint> next_due() const;

  // Reloads open windows persisted by a previous run.
  void restore(const std::map<std::string, std::string>& state);

  static constexpr const char* kStatePrefix = "aggregation/";

 private:
  struct Entry {
    nlohmann::json payload;  // normalised payload (pids zeroed, source port cleared)
    uint64_t hits = 0;
    TimePoint first{};
    TimePoint last{};
  };
  struct Window {
    TimePoint opened{};
    std::map<std::string, Entry> entries;  // keyed by the normalised payload text
  };

  static nlohmann::json normalise(const Event& event);
  static std::string state_key(const std::string& name, const std::string& key);
  static std::string encode(const Entry& entry);
  Event emit(const std::string& name, const Entry& entry) const;

  std::map<std::string, Aggregation, std::less<>> settings_;
  std::map<std::string, Window, std::less<>> windows_;
};

}  // namespace edgeguard
