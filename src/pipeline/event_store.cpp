#include "pipeline/event_store.h"

#include <lz4.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/log.h"

namespace edgeguard {
namespace {

int priority_code(Priority priority) { return priority == Priority::High ? 0 : 1; }
Priority from_code(int code) { return code == 0 ? Priority::High : Priority::Low; }

// A segment holds at most this many events or bytes of bodies (one event may exceed it alone):
// big enough that a batch is a few rows, small enough that reading one back is cheap.
constexpr uint32_t kSegmentMaxEvents = 4096;
constexpr uint64_t kSegmentMaxBytes = 256 * 1024;
constexpr size_t kCachedSegments = 4;
constexpr size_t kEvicted = SIZE_MAX;
constexpr int kRawBodies = 0;
constexpr int kLz4Bodies = 1;

void append_u32(std::string& out, uint32_t value) {
  for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<char>((value >> shift) & 0xffu));
}

// The blob of a segment: `count` little-endian u32 body sizes, then the bodies, raw or (codec
// kLz4) LZ4-compressed as one block. Returns where each body starts and ends among the bodies,
// or nullopt if the sizes overflow.
std::optional<std::vector<uint32_t>> segment_offsets(std::string_view header, uint32_t count) {
  std::vector<uint32_t> offsets;
  offsets.reserve(count + 1);
  uint64_t at = 0;
  offsets.push_back(0);
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t size = 0;
    for (int b = 0; b < 4; ++b) size |= static_cast<uint32_t>(static_cast<unsigned char>(header[4 * i + b])) << (8 * b);
    at += size;
    if (at > static_cast<uint64_t>(LZ4_MAX_INPUT_SIZE)) return std::nullopt;
    offsets.push_back(static_cast<uint32_t>(at));
  }
  return offsets;
}

class Statement {
 public:
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~Statement() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_;
};

}  // namespace

EventStore::EventStore(const std::filesystem::path& path, uint64_t max_bytes) : path_(path), max_bytes_(max_bytes) {
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    const std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw StoreError(path.string() + ": cannot open the event store: " + message);
  }
  sqlite3_busy_timeout(db_, 5000);
  try {
    // WAL with synchronous=FULL: a committed event survives a crash of the agent and a power
    // loss. Commits are batched by the caller, so the fsync cost is per batch, not per event.
    // Segments are compressed (a few tens of KB) and most transactions touch a few pages: small
    // pages write the fewest bytes, which is what limits a slow disk and wears flash (takes
    // effect when the file is created).
    exec("PRAGMA page_size=4096");
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=FULL");
    exec("PRAGMA cache_size=-1024");
    exec("PRAGMA wal_autocheckpoint=256");
    exec("PRAGMA journal_size_limit=8388608");
    exec("PRAGMA temp_store=MEMORY");
    // Debian builds SQLite with secure_delete on: every page a delivered segment frees would be
    // overwritten with zeros, doubling the writes. FAST still clears deleted content on pages
    // that are written anyway; the file is the agent's own and holds nothing that was not sent.
    exec("PRAGMA secure_delete=FAST");
    exec("CREATE TABLE IF NOT EXISTS segments ("
         " first_seq INTEGER PRIMARY KEY,"
         " priority INTEGER NOT NULL,"
         " channel TEXT NOT NULL,"
         " count INTEGER NOT NULL,"
         " codec INTEGER NOT NULL,"
         " data BLOB NOT NULL)");
    exec("CREATE TABLE IF NOT EXISTS segment_removed (first_seq INTEGER PRIMARY KEY, bits BLOB NOT NULL)");
    exec("CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    insert_segment_ = prepare(
        "INSERT INTO segments(first_seq, priority, channel, count, codec, data) VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
    select_data_ = prepare("SELECT data FROM segments WHERE first_seq = ?1");
    delete_segment_ = prepare("DELETE FROM segments WHERE first_seq = ?1");
    put_removed_ = prepare("INSERT INTO segment_removed(first_seq, bits) VALUES(?1, ?2)"
                           " ON CONFLICT(first_seq) DO UPDATE SET bits = ?2");
    delete_removed_ = prepare("DELETE FROM segment_removed WHERE first_seq = ?1");
    put_state_ = prepare("INSERT INTO state(key, value) VALUES(?1, ?2) ON CONFLICT(key) DO UPDATE SET value = ?2");
    erase_state_ = prepare("DELETE FROM state WHERE key = ?1");
    begin_ = prepare("BEGIN IMMEDIATE");
    commit_ = prepare("COMMIT");
    load_index();
    migrate_row_per_event_table();
  } catch (...) {
    for (sqlite3_stmt* stmt : {insert_segment_, select_data_, delete_segment_, put_removed_, delete_removed_,
                               put_state_, erase_state_, begin_, commit_}) {
      sqlite3_finalize(stmt);
    }
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw;
  }
}

EventStore::~EventStore() {
  for (sqlite3_stmt* stmt : {insert_segment_, select_data_, delete_segment_, put_removed_, delete_removed_, put_state_,
                             erase_state_, begin_, commit_}) {
    sqlite3_finalize(stmt);
  }
  if (db_) sqlite3_close_v2(db_);
}

void EventStore::exec(const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    const std::string message = error ? error : "unknown error";
    sqlite3_free(error);
    throw StoreError(path_.string() + ": " + message + " (in: " + sql + ")");
  }
}

sqlite3_stmt* EventStore::prepare(const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) {
    throw StoreError(path_.string() + ": " + sqlite3_errmsg(db_) + " (in: " + sql + ")");
  }
  return stmt;
}

void EventStore::begin_locked() {
  Statement begin(begin_);
  if (sqlite3_step(begin_) != SQLITE_DONE) throw StoreError(path_.string() + ": begin: " + sqlite3_errmsg(db_));
}

void EventStore::commit_locked() {
  Statement commit(commit_);
  if (sqlite3_step(commit_) != SQLITE_DONE) throw StoreError(path_.string() + ": commit: " + sqlite3_errmsg(db_));
}

// The database is the truth: after a failed transaction the index is read back from it.
void EventStore::rollback_locked() {
  sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  data_cache_.clear();
  try {
    load_index();
  } catch (const StoreError& error) {
    log::get("store")->error("{}", error.what());
  }
}

EventStore::Totals& EventStore::totals(Priority priority) { return priority == Priority::High ? high_ : low_; }

void EventStore::load_index() {
  segments_.clear();
  high_ = {};
  low_ = {};
  next_seq_ = 1;
  std::vector<std::pair<int64_t, std::string>> damaged;
  sqlite3_stmt* rows = prepare("SELECT first_seq, priority, channel, count, length(data), codec FROM segments ORDER BY first_seq");
  while (sqlite3_step(rows) == SQLITE_ROW) {
    const int64_t first = sqlite3_column_int64(rows, 0);
    const int64_t count = sqlite3_column_int64(rows, 3);
    const int64_t length = sqlite3_column_int64(rows, 4);
    Segment segment;
    segment.codec = sqlite3_column_int(rows, 5);
    segment.priority = from_code(sqlite3_column_int(rows, 1));
    const auto* channel = reinterpret_cast<const char*>(sqlite3_column_text(rows, 2));
    segment.channel = channel ? channel : "";
    if (count <= 0 || count > int64_t{kSegmentMaxEvents} || length < 4 * count ||
        (segment.codec != kRawBodies && segment.codec != kLz4Bodies)) {
      damaged.emplace_back(first, "its event count does not match its size");
      continue;
    }
    // Only the header (the sizes) is read here; bodies are read when they are sent.
    std::string header(static_cast<size_t>(4 * count), '\0');
    sqlite3_blob* blob = nullptr;
    const bool read = sqlite3_blob_open(db_, "main", "segments", "data", first, 0, &blob) == SQLITE_OK &&
                      sqlite3_blob_read(blob, header.data(), static_cast<int>(header.size()), 0) == SQLITE_OK;
    sqlite3_blob_close(blob);
    if (!read) {
      damaged.emplace_back(first, std::string("its sizes cannot be read: ") + sqlite3_errmsg(db_));
      continue;
    }
    auto offsets = segment_offsets(header, static_cast<uint32_t>(count));
    if (!offsets || (segment.codec == kRawBodies && 4 * count + offsets->back() != length)) {
      damaged.emplace_back(first, "its sizes do not add up to its length");
      continue;
    }
    segment.offsets = std::move(*offsets);
    segment.removed.assign((static_cast<size_t>(count) + 7) / 8, 0);
    segment.live = static_cast<uint32_t>(count);
    next_seq_ = std::max(next_seq_, first + count);
    segments_.emplace(first, std::move(segment));
  }
  sqlite3_finalize(rows);

  sqlite3_stmt* removed = prepare("SELECT first_seq, bits FROM segment_removed");
  while (sqlite3_step(removed) == SQLITE_ROW) {
    const auto it = segments_.find(sqlite3_column_int64(removed, 0));
    if (it == segments_.end()) continue;  // left over from a damaged segment
    Segment& segment = it->second;
    const auto* bits = static_cast<const uint8_t*>(sqlite3_column_blob(removed, 1));
    const size_t length = static_cast<size_t>(sqlite3_column_bytes(removed, 1));
    if (length != segment.removed.size()) continue;  // then all of its events are still there: resent, never lost
    std::copy(bits, bits + length, segment.removed.begin());
    segment.live = 0;
    for (uint32_t i = 0; i < segment.count(); ++i) segment.live += segment.is_removed(i) ? 0 : 1;
    while (segment.first_live < segment.count() && segment.is_removed(segment.first_live)) ++segment.first_live;
  }
  sqlite3_finalize(removed);

  for (const auto& [first, segment] : segments_) {
    Totals& t = totals(segment.priority);
    t.count += segment.live;
    for (uint32_t i = segment.first_live; i < segment.count(); ++i) t.bytes += segment.is_removed(i) ? 0 : segment.size_of(i);
  }
  for (const auto& [first, why] : damaged) {
    log::get("store")->error("{}: segment {} is damaged ({}); its events are lost", path_.string(), first, why);
    for (const char* sql : {"DELETE FROM segments WHERE first_seq = ?1", "DELETE FROM segment_removed WHERE first_seq = ?1"}) {
      sqlite3_stmt* drop = prepare(sql);
      sqlite3_bind_int64(drop, 1, first);
      sqlite3_step(drop);
      sqlite3_finalize(drop);
    }
  }
}

// Stores written by earlier versions kept one row per event in `events`: move them into
// segments, in their order, in one transaction.
void EventStore::migrate_row_per_event_table() {
  sqlite3_stmt* exists = prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'");
  const bool legacy = sqlite3_step(exists) == SQLITE_ROW;
  sqlite3_finalize(exists);
  if (!legacy) return;
  std::vector<PendingEvent> events;
  sqlite3_stmt* rows = prepare("SELECT priority, channel, body FROM events ORDER BY seq");
  while (sqlite3_step(rows) == SQLITE_ROW) {
    const auto* channel = reinterpret_cast<const char*>(sqlite3_column_text(rows, 1));
    const auto* body = reinterpret_cast<const char*>(sqlite3_column_text(rows, 2));
    events.push_back(PendingEvent{from_code(sqlite3_column_int(rows, 0)), channel ? channel : "",
                                  std::string(body ? body : "", static_cast<size_t>(sqlite3_column_bytes(rows, 2)))});
  }
  sqlite3_finalize(rows);
  std::lock_guard lock(mutex_);
  begin_locked();
  try {
    std::vector<size_t> all(events.size());
    for (size_t i = 0; i < all.size(); ++i) all[i] = i;
    write_segments_locked(events, all);
    exec("DROP TABLE events");
    commit_locked();
  } catch (...) {
    rollback_locked();
    throw;
  }
  for (const auto& event : events) {
    Totals& t = totals(event.priority);
    t.bytes += event.body.size();
    ++t.count;
  }
  log::get("store")->info("{}: moved {} stored event(s) into segments", path_.string(), events.size());
}

void EventStore::write_segments_locked(std::span<const PendingEvent> events, const std::vector<size_t>& picked) {
  // One run per priority and channel, in the order the events came; messages are per channel,
  // so the order between channels does not matter.
  std::map<std::pair<int, std::string_view>, std::vector<size_t>> runs;
  for (const size_t i : picked) runs[{priority_code(events[i].priority), events[i].channel}].push_back(i);
  for (const auto& [key, indices] : runs) {
    size_t begin = 0;
    while (begin < indices.size()) {
      size_t end = begin;
      uint64_t bytes = 0;
      while (end < indices.size() && end - begin < kSegmentMaxEvents &&
             (end == begin || bytes + events[indices[end]].body.size() <= kSegmentMaxBytes)) {
        bytes += events[indices[end]].body.size();
        ++end;
      }
      const uint32_t count = static_cast<uint32_t>(end - begin);
      std::string blob;
      for (size_t k = begin; k < end; ++k) append_u32(blob, static_cast<uint32_t>(events[indices[k]].body.size()));
      std::string bodies;
      bodies.reserve(bytes);
      for (size_t k = begin; k < end; ++k) bodies.append(events[indices[k]].body);
      // Events are JSON with much in common: compressed, the store writes (WAL, then the
      // checkpoint) a fraction of the bytes, which is what limits throughput on a slow disk.
      const size_t header = blob.size();
      blob.resize(header + static_cast<size_t>(LZ4_compressBound(static_cast<int>(bodies.size()))));
      const int packed = LZ4_compress_default(bodies.data(), blob.data() + header, static_cast<int>(bodies.size()),
                                              static_cast<int>(blob.size() - header));
      const bool compressed = packed > 0 && static_cast<size_t>(packed) < bodies.size();
      if (compressed) {
        blob.resize(header + static_cast<size_t>(packed));
      } else {
        blob.resize(header);
        blob.append(bodies);
      }

      const int64_t first = next_seq_;
      const Priority priority = events[indices[begin]].priority;
      const std::string& channel = events[indices[begin]].channel;
      {
        Statement insert(insert_segment_);
        sqlite3_bind_int64(insert_segment_, 1, first);
        sqlite3_bind_int(insert_segment_, 2, priority_code(priority));
        sqlite3_bind_text(insert_segment_, 3, channel.data(), static_cast<int>(channel.size()), SQLITE_STATIC);
        sqlite3_bind_int(insert_segment_, 4, static_cast<int>(count));
        sqlite3_bind_int(insert_segment_, 5, compressed ? kLz4Bodies : kRawBodies);
        sqlite3_bind_blob(insert_segment_, 6, blob.data(), static_cast<int>(blob.size()), SQLITE_STATIC);
        if (sqlite3_step(insert_segment_) != SQLITE_DONE) {
          throw StoreError(path_.string() + ": insert: " + sqlite3_errmsg(db_));
        }
      }
      Segment segment;
      segment.priority = priority;
      segment.channel = channel;
      segment.codec = compressed ? kLz4Bodies : kRawBodies;
      segment.offsets = *segment_offsets(std::string_view(blob).substr(0, 4 * count), count);
      segment.removed.assign((count + 7) / 8, 0);
      segment.live = count;
      segments_.emplace(first, std::move(segment));
      next_seq_ = first + count;
      begin = end;
    }
  }
}

EventStore::SegmentMap::iterator EventStore::segment_of(int64_t seq) {
  auto it = segments_.upper_bound(seq);
  if (it == segments_.begin()) return segments_.end();
  --it;
  return seq < it->first + it->second.count() ? it : segments_.end();
}

uint64_t EventStore::remove_event_locked(SegmentMap::iterator it, uint32_t index) {
  Segment& segment = it->second;
  if (segment.is_removed(index)) return 0;
  segment.removed[index / 8] = static_cast<uint8_t>(segment.removed[index / 8] | (1u << (index % 8)));
  segment.dirty = true;
  --segment.live;
  while (segment.first_live < segment.count() && segment.is_removed(segment.first_live)) ++segment.first_live;
  const uint64_t size = segment.size_of(index);
  Totals& t = totals(segment.priority);
  t.bytes -= size;
  --t.count;
  return size;
}

void EventStore::flush_removals_locked() {
  for (auto it = segments_.begin(); it != segments_.end();) {
    Segment& segment = it->second;
    if (!segment.dirty) {
      ++it;
      continue;
    }
    const int64_t first = it->first;
    if (segment.live == 0) {
      for (sqlite3_stmt* stmt : {delete_segment_, delete_removed_}) {
        Statement erase(stmt);
        sqlite3_bind_int64(stmt, 1, first);
        if (sqlite3_step(stmt) != SQLITE_DONE) throw StoreError(path_.string() + ": delete: " + sqlite3_errmsg(db_));
      }
      std::erase_if(data_cache_, [&](const auto& entry) { return entry.first == first; });
      it = segments_.erase(it);
      continue;
    }
    Statement put(put_removed_);
    sqlite3_bind_int64(put_removed_, 1, first);
    sqlite3_bind_blob(put_removed_, 2, segment.removed.data(), static_cast<int>(segment.removed.size()), SQLITE_STATIC);
    if (sqlite3_step(put_removed_) != SQLITE_DONE) throw StoreError(path_.string() + ": update: " + sqlite3_errmsg(db_));
    segment.dirty = false;
    ++it;
  }
}

std::shared_ptr<const std::string> EventStore::segment_data(int64_t first_seq, const Segment& segment) {
  for (const auto& [first, data] : data_cache_) {
    if (first == first_seq) return data;
  }
  Statement select(select_data_);
  sqlite3_bind_int64(select_data_, 1, first_seq);
  if (sqlite3_step(select_data_) != SQLITE_ROW) {
    throw StoreError(path_.string() + ": segment " + std::to_string(first_seq) + " cannot be read: " + sqlite3_errmsg(db_));
  }
  const auto* bytes = static_cast<const char*>(sqlite3_column_blob(select_data_, 0));
  const auto length = static_cast<size_t>(sqlite3_column_bytes(select_data_, 0));
  const size_t header = 4 * static_cast<size_t>(segment.count());
  const size_t bodies = segment.offsets.back();
  const auto damaged = [&](const char* why) {
    return StoreError(path_.string() + ": segment " + std::to_string(first_seq) + " is damaged: " + why);
  };
  if (length < header) throw damaged("shorter than its sizes");
  std::shared_ptr<std::string> data;
  if (segment.codec == kLz4Bodies) {
    data = std::make_shared<std::string>(bodies, '\0');
    const int unpacked = LZ4_decompress_safe(bytes + header, data->data(), static_cast<int>(length - header),
                                             static_cast<int>(bodies));
    if (unpacked != static_cast<int>(bodies)) throw damaged("its bodies do not decompress to their sizes");
  } else {
    if (length != header + bodies) throw damaged("its sizes do not add up to its length");
    data = std::make_shared<std::string>(bytes + header, bodies);
  }
  if (data_cache_.size() >= kCachedSegments) data_cache_.erase(data_cache_.begin());
  data_cache_.emplace_back(first_seq, data);
  return data;
}

EvictionReport EventStore::insert(std::span<const PendingEvent> events, std::span<const StateChange> state) {
  std::lock_guard lock(mutex_);
  begin_locked();
  EvictionReport report;
  try {
    std::vector<size_t> accepted;
    accepted.reserve(events.size());
    for (size_t i = 0; i < events.size(); ++i) {
      if (!make_room_locked(events[i].priority, events[i].body.size(), report, events, accepted)) continue;
      accepted.push_back(i);
      Totals& t = totals(events[i].priority);
      t.bytes += events[i].body.size();
      ++t.count;
    }
    std::erase(accepted, kEvicted);
    write_segments_locked(events, accepted);
    flush_removals_locked();
    for (const auto& change : state) apply_state_locked(change);
    commit_locked();
  } catch (...) {
    rollback_locked();
    throw;
  }
  return report;
}

bool EventStore::make_room_locked(Priority incoming, uint64_t size, EvictionReport& report,
                                  std::span<const PendingEvent> batch, std::vector<size_t>& accepted) {
  const auto count_drop = [&](Priority priority, uint64_t n) { (priority == Priority::High ? report.high : report.low) += n; };
  if (size > max_bytes_) {
    count_drop(incoming, 1);
    return false;
  }
  const uint64_t held = high_.bytes + low_.bytes;
  if (held + size <= max_bytes_) return true;
  // Free a little more than needed so a full store does not evict on every single insert.
  const uint64_t slack = std::min<uint64_t>(max_bytes_ / 64, 64 * 1024);
  const uint64_t need = held + size - max_bytes_ + slack;
  uint64_t freed = 0;
  // Events of this batch already accepted are the newest: they go after the stored ones.
  const auto evict_accepted = [&](Priority priority) {
    for (size_t& index : accepted) {
      if (freed >= need) return;
      if (index == kEvicted || batch[index].priority != priority) continue;
      Totals& t = totals(priority);
      t.bytes -= batch[index].body.size();
      --t.count;
      freed += batch[index].body.size();
      count_drop(priority, 1);
      index = kEvicted;
    }
  };
  // Oldest Low first, then oldest High; events of the message in flight go last. A Low event
  // never pushes out a High one: if no Low is left to evict, the incoming Low is the one dropped.
  const std::vector<Priority> order =
      incoming == Priority::High ? std::vector<Priority>{Priority::Low, Priority::High} : std::vector<Priority>{Priority::Low};
  for (bool include_in_flight : {false, true}) {
    for (Priority priority : order) {
      if (freed >= need) break;
      const uint64_t before = totals(priority).count;
      freed += evict_stored(priority, need - freed, include_in_flight);
      count_drop(priority, before - totals(priority).count);
      if (!include_in_flight) evict_accepted(priority);
    }
  }
  if (high_.bytes + low_.bytes + size > max_bytes_) {
    count_drop(incoming, 1);
    return false;
  }
  return true;
}

uint64_t EventStore::evict_stored(Priority priority, uint64_t need, bool include_in_flight) {
  uint64_t freed = 0;
  for (auto it = segments_.begin(); it != segments_.end() && freed < need; ++it) {
    Segment& segment = it->second;
    if (segment.priority != priority || segment.live == 0) continue;
    for (uint32_t i = segment.first_live; i < segment.count() && freed < need; ++i) {
      if (segment.is_removed(i)) continue;
      if (!include_in_flight && in_flight_.count(it->first + i)) continue;
      freed += remove_event_locked(it, i);
    }
  }
  return freed;
}

std::vector<StoredEvent> EventStore::oldest(Priority priority, size_t max_rows, int64_t after_seq) {
  std::lock_guard lock(mutex_);
  std::vector<StoredEvent> rows;
  auto it = segments_.upper_bound(after_seq);
  if (it != segments_.begin() && std::prev(it)->first + std::prev(it)->second.count() > after_seq + 1) --it;
  while (it != segments_.end() && rows.size() < max_rows) {
    const auto next = std::next(it);
    const Segment& segment = it->second;
    if (segment.priority != priority || segment.live == 0) {
      it = next;
      continue;
    }
    std::shared_ptr<const std::string> data;
    const int64_t first = it->first;
    uint32_t i = segment.first_live;
    if (after_seq >= first) i = std::max(i, static_cast<uint32_t>(after_seq - first + 1));
    for (; i < segment.count() && rows.size() < max_rows; ++i) {
      if (segment.is_removed(i) || in_flight_.count(first + i)) continue;
      if (!data) {
        try {
          data = segment_data(first, segment);
        } catch (const StoreError& error) {
          drop_damaged_locked(it, error.what());
          break;
        }
      }
      rows.push_back(StoredEvent{first + i, priority, segment.channel,
                                 data->substr(segment.offsets[i], segment.size_of(i))});
    }
    it = next;
  }
  return rows;
}

// A segment whose bodies cannot be read back cannot be sent: its events are lost, and said so,
// rather than stopping every later event behind it.
void EventStore::drop_damaged_locked(SegmentMap::iterator segment, const std::string& why) {
  uint64_t lost = 0;
  for (uint32_t i = segment->second.first_live; i < segment->second.count(); ++i) {
    if (!segment->second.is_removed(i)) {
      in_flight_.erase(segment->first + i);
      remove_event_locked(segment, i);
      ++lost;
    }
  }
  log::get("store")->error("{}; its {} event(s) are lost", why, lost);
  try {
    begin_locked();
    flush_removals_locked();
    commit_locked();
  } catch (const StoreError& error) {
    rollback_locked();
    log::get("store")->error("{}", error.what());
  }
}

void EventStore::mark_in_flight(std::span<const int64_t> seqs) {
  std::lock_guard lock(mutex_);
  in_flight_.insert(seqs.begin(), seqs.end());
}

void EventStore::clear_in_flight() {
  std::lock_guard lock(mutex_);
  in_flight_.clear();
}

void EventStore::remove(std::span<const int64_t> seqs, std::span<const StateChange> state) {
  std::lock_guard lock(mutex_);
  // Removing delivered events need not reach the disk before we go on: a crash of the agent
  // still keeps the commit (WAL in the page cache); a power loss can at worst bring back
  // events that were already delivered (duplicates), never lose one. Inserts stay FULL.
  exec("PRAGMA synchronous=NORMAL");
  struct RestoreFull {
    EventStore* store;
    ~RestoreFull() { sqlite3_exec(store->db_, "PRAGMA synchronous=FULL", nullptr, nullptr, nullptr); }
  } restore_full{this};
  begin_locked();
  try {
    for (const int64_t seq : seqs) {
      in_flight_.erase(seq);
      const auto it = segment_of(seq);
      if (it != segments_.end()) remove_event_locked(it, static_cast<uint32_t>(seq - it->first));
    }
    flush_removals_locked();
    for (const auto& change : state) apply_state_locked(change);
    commit_locked();
  } catch (...) {
    rollback_locked();
    throw;
  }
}

void EventStore::set_max_bytes(uint64_t max_bytes) {
  std::lock_guard lock(mutex_);
  max_bytes_ = max_bytes;
}

uint64_t EventStore::bytes() const {
  std::lock_guard lock(mutex_);
  return high_.bytes + low_.bytes;
}

uint64_t EventStore::bytes(Priority priority) const {
  std::lock_guard lock(mutex_);
  return priority == Priority::High ? high_.bytes : low_.bytes;
}

uint64_t EventStore::count(Priority priority) const {
  std::lock_guard lock(mutex_);
  return priority == Priority::High ? high_.count : low_.count;
}

void EventStore::apply_state_locked(const StateChange& change) {
  sqlite3_stmt* stmt = change.value ? put_state_ : erase_state_;
  Statement statement(stmt);
  sqlite3_bind_text(stmt, 1, change.key.data(), static_cast<int>(change.key.size()), SQLITE_STATIC);
  if (change.value) {
    sqlite3_bind_text(stmt, 2, change.value->data(), static_cast<int>(change.value->size()), SQLITE_STATIC);
  }
  if (sqlite3_step(stmt) != SQLITE_DONE) throw StoreError(path_.string() + ": state: " + sqlite3_errmsg(db_));
}

void EventStore::put_state(const std::string& key, const std::string& value) {
  std::lock_guard lock(mutex_);
  apply_state_locked(StateChange{key, value});
}

std::map<std::string, std::string> EventStore::state_with_prefix(const std::string& prefix) {
  std::lock_guard lock(mutex_);
  std::map<std::string, std::string> out;
  sqlite3_stmt* stmt = prepare("SELECT key, value FROM state WHERE substr(key, 1, length(?1)) = ?1");
  sqlite3_bind_text(stmt, 1, prefix.data(), static_cast<int>(prefix.size()), SQLITE_STATIC);
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    out.emplace(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)),
                reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1)));
  }
  sqlite3_finalize(stmt);
  return out;
}

void EventStore::erase_state_with_prefix(const std::string& prefix) {
  std::lock_guard lock(mutex_);
  sqlite3_stmt* stmt = prepare("DELETE FROM state WHERE substr(key, 1, length(?1)) = ?1");
  sqlite3_bind_text(stmt, 1, prefix.data(), static_cast<int>(prefix.size()), SQLITE_STATIC);
  sqlite3_step(stmt);
  sqlite3_finalize(stmt);
}

}  // namespace edgeguard
