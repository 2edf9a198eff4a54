#pragma once
// Folds identical ProcessCreate / ConnectionCreate events inside a window into one Triggered
// event whose ExtraDetails carry HitCount and the window's start and end (as strings, so the
// message stays valid against schema v1.0). Open windows are persisted with the events, so a
// crash loses no hit. A window holding too many distinct events is closed early: memory stays
// bounded and nothing is dropped.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/agent_config.h"
#include "core/event.h"
#include "pipeline/event_store.h"

namespace edgeguard {

class Aggregator {
 public:
  explicit Aggregator(const AgentConfig& config, size_t max_keys_per_window = 2048);

  // Settings for each aggregatable event type. Types whose aggregation was switched off are
  // closed by the next take_due().
  void configure(const AgentConfig& config);

  // Absorbs the event if its type is aggregated.
  bool absorb(const Event& event);

  // The aggregated events of every window that has closed by `now` (all of them when
  // `close_all`), and of windows that reached the key limit.
  std::vector<Event> take_due(TimePoint now, bool close_all);

  // What changed in the persisted state since the last call (one entry per touched key).
  std::vector<StateChange> take_state_changes();

  // When the next window closes, if any is open.
  std::optional<TimePoint> next_due() const;

  // Reloads open windows persisted by a previous run.
  void restore(const std::map<std::string, std::string>& state);

  static constexpr const char* kStatePrefix = "aggregation/";

 private:
  // An entry's normalised payload (pids zeroed, source port cleared) is its key, as JSON text:
  // a parsed copy would cost several times the text for every distinct event of a window.
  struct Entry {
    uint64_t hits = 0;
    TimePoint first{};
    TimePoint last{};
  };
  struct Window {
    TimePoint opened{};
    std::map<std::string, Entry> entries;  // keyed by the normalised payload's text
    std::set<std::string> dirty;           // entries changed since the last state snapshot
    bool full = false;
  };

  static nlohmann::json normalise(const Event& event);
  static std::string state_key(const std::string& name, const std::string& key);
  static std::string window_key(const std::string& name);
  static std::string encode(const std::string& payload, const Entry& entry);
  Event emit(const std::string& name, const std::string& payload, const Entry& entry) const;

  size_t max_keys_;
  std::map<std::string, Aggregation, std::less<>> settings_;
  std::map<std::string, Window, std::less<>> windows_;
  std::vector<StateChange> closed_changes_;  // erasures of closed windows, not yet taken
};

}  // namespace edgeguard
