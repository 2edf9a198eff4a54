#pragma once
// The persistent, bounded event store (SQLite in WAL mode). An event counts as collected only
// once it is committed here, and leaves only when the sink acknowledged the message carrying
// it. When full, the oldest Low-priority events are evicted first, then the oldest High.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "core/event.h"

struct sqlite3;
struct sqlite3_stmt;

namespace edgeguard {

struct PendingEvent {
  Priority priority = Priority::Low;
  std::string channel;  // Channel::output
  std::string body;     // serialized event JSON
};

struct StoredEvent {
  int64_t seq = 0;
  Priority priority = Priority::Low;
  std::string channel;
  std::string body;
};

struct StateChange {
  std::string key;
  std::optional<std::string> value;
};

struct EvictionReport {
  uint64_t high = 0;
  uint64_t low = 0;
};

class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class EventStore {
 public:
  // Opens (creating if needed) the store at `path`. Throws StoreError naming the file.
  EventStore(const std::filesystem::path& path, uint64_t max_bytes);
  ~EventStore();
  EventStore(const EventStore&) = delete;
  EventStore& operator=(const EventStore&) = delete;

  // Commits the events, and the state changes made while producing them (aggregation windows),
  // in one durable transaction, evicting old events if the cache limit would be exceeded (oldest
  // Low first, then oldest High; an incoming Low never evicts a High: it is dropped instead).
  // A state change with no value erases the key. Returns what was lost, per priority.
  EvictionReport insert(std::span<const PendingEvent> events, std::span<const StateChange> state = {});

  // The oldest events of `priority` after `after_seq` that are not in flight, in order, up to
  // `max_rows`.
  std::vector<StoredEvent> oldest(Priority priority, size_t max_rows, int64_t after_seq = 0);

  // Marks rows as carried by a message being sent (not evicted while in flight unless nothing
  // else is left), and forgets the mark.
  void mark_in_flight(std::span<const int64_t> seqs);
  void clear_in_flight();

  // Deletes the rows a sink acknowledged and applies `state`, in one transaction. It is not
  // synced to the disk before returning: a crash of the agent keeps it, a power loss can at
  // worst bring back delivered events (sent again), never lose one. With no rows, it only
  // records `state` that way (e.g. the messages about to be written: pipeline/delivery_record.h).
  void remove(std::span<const int64_t> seqs, std::span<const StateChange> state = {});

  void set_max_bytes(uint64_t max_bytes);
  // Bytes (sum of event bodies) and counts currently held.
  uint64_t bytes() const;
  uint64_t bytes(Priority priority) const;
  uint64_t count(Priority priority) const;

  // Small persistent key/value state (aggregation windows, counters).
  void put_state(const std::string& key, const std::string& value);
  std::map<std::string, std::string> state_with_prefix(const std::string& prefix);
  void erase_state_with_prefix(const std::string& prefix);

 private:
  struct Totals {
    uint64_t bytes = 0;
    uint64_t count = 0;
  };
  // Events are stored in segments: one row holds a run of events of one priority and channel
  // (a blob of their sizes and bodies), so a batch costs one insert and a delivered message a
  // few small updates, not one row operation per event. Event i of the segment whose key is
  // `first_seq` has the sequence number first_seq + i. Which events have left (delivered or
  // evicted) is a bitmap in its own small table, so marking one never rewrites the bodies.
  struct Segment {
    Priority priority = Priority::Low;
    std::string channel;
    int codec = 0;                  // how the bodies are stored (raw or LZ4)
    std::vector<uint32_t> offsets;  // body i is [offsets[i], offsets[i + 1]) of the bodies
    std::vector<uint8_t> removed;   // one bit per event that left the store
    uint32_t live = 0;
    uint32_t first_live = 0;        // no live event before this index
    bool dirty = false;             // removals not yet written

    uint32_t count() const { return static_cast<uint32_t>(offsets.size() - 1); }
    uint32_t size_of(uint32_t i) const { return offsets[i + 1] - offsets[i]; }
    bool is_removed(uint32_t i) const { return (removed[i / 8] >> (i % 8)) & 1u; }
  };
  using SegmentMap = std::map<int64_t, Segment>;  // by first_seq

  void exec(const char* sql);
  void apply_state_locked(const StateChange& change);
  sqlite3_stmt* prepare(const char* sql);
  void begin_locked();
  void commit_locked();
  void rollback_locked();
  // Rebuilds the in-memory index (segments, totals) from the database.
  void load_index();
  void migrate_row_per_event_table();
  // Writes events[i] for every i in `picked` as segments of at most kSegment* events/bytes.
  void write_segments_locked(std::span<const PendingEvent> events, const std::vector<size_t>& picked);
  // Persists the removals of dirty segments, deleting those with no event left.
  void flush_removals_locked();
  // Marks event `index` of `segment` as gone; returns its size (0 if it was gone already).
  uint64_t remove_event_locked(SegmentMap::iterator segment, uint32_t index);
  SegmentMap::iterator segment_of(int64_t seq);
  void drop_damaged_locked(SegmentMap::iterator segment, const std::string& why);
  std::shared_ptr<const std::string> segment_data(int64_t first_seq, const Segment& segment);

  // Evicts until an incoming event of `size` fits; false if it cannot (then it is dropped and
  // counted in `report` like an eviction). Events of the batch being inserted that were already
  // accepted (`accepted`, indices into `batch`) are newer than anything stored and go after it.
  bool make_room_locked(Priority incoming, uint64_t size, EvictionReport& report, std::span<const PendingEvent> batch,
                        std::vector<size_t>& accepted);
  uint64_t evict_stored(Priority priority, uint64_t need, bool include_in_flight);
  Totals& totals(Priority priority);

  std::filesystem::path path_;
  mutable std::mutex mutex_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_segment_ = nullptr;
  sqlite3_stmt* select_data_ = nullptr;
  sqlite3_stmt* delete_segment_ = nullptr;
  sqlite3_stmt* put_removed_ = nullptr;
  sqlite3_stmt* delete_removed_ = nullptr;
  sqlite3_stmt* put_state_ = nullptr;
  sqlite3_stmt* erase_state_ = nullptr;
  sqlite3_stmt* begin_ = nullptr;
  sqlite3_stmt* commit_ = nullptr;
  uint64_t max_bytes_;
  Totals high_;
  Totals low_;
  SegmentMap segments_;
  int64_t next_seq_ = 1;
  std::set<int64_t> in_flight_;
  // Bodies of the segments read last (they are immutable); a message usually spans one or two.
  std::vector<std::pair<int64_t, std::shared_ptr<const std::string>>> data_cache_;
};

}  // namespace edgeguard
