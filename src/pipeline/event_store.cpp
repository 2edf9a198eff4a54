#include "pipeline/event_store.h"

#include <sqlite3.h>

#include "core/log.h"

namespace edgeguard {
namespace {

int priority_code(Priority priority) { return priority == Priority::High ? 0 : 1; }
Priority from_code(int code) { return code == 0 ? Priority::High : Priority::Low; }

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
    // Big pages: SQLite writes whole pages to the WAL, and a batch of events then takes a few
    // large writes instead of one per page (takes effect when the file is created).
    exec("PRAGMA page_size=32768");
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=FULL");
    exec("PRAGMA cache_size=-1024");
    exec("PRAGMA wal_autocheckpoint=256");
    exec("PRAGMA journal_size_limit=8388608");
    exec("PRAGMA temp_store=MEMORY");
    exec("CREATE TABLE IF NOT EXISTS events ("
         " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
         " priority INTEGER NOT NULL,"
         " channel TEXT NOT NULL,"
         " size INTEGER NOT NULL,"
         " body TEXT NOT NULL)");
    exec("CREATE INDEX IF NOT EXISTS events_by_priority ON events(priority, seq)");
    exec("CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    insert_ = prepare("INSERT INTO events(priority, channel, size, body) VALUES(?1, ?2, ?3, ?4)");
    select_oldest_ = prepare("SELECT seq, channel, body FROM events WHERE priority = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3");
    delete_ = prepare("DELETE FROM events WHERE seq = ?1 RETURNING priority, size");
    select_size_ = prepare("SELECT seq, size FROM events WHERE priority = ?1 AND seq > ?2 ORDER BY seq LIMIT 512");
    put_state_ = prepare("INSERT INTO state(key, value) VALUES(?1, ?2) ON CONFLICT(key) DO UPDATE SET value = ?2");
    erase_state_ = prepare("DELETE FROM state WHERE key = ?1");
    begin_ = prepare("BEGIN IMMEDIATE");
    commit_ = prepare("COMMIT");
    load_totals();
  } catch (...) {
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw;
  }
}

EventStore::~EventStore() {
  for (sqlite3_stmt* stmt : {insert_, select_oldest_, delete_, select_size_, put_state_, erase_state_, begin_, commit_}) sqlite3_finalize(stmt);
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

EventStore::Totals& EventStore::totals(Priority priority) { return priority == Priority::High ? high_ : low_; }

void EventStore::load_totals() {
  sqlite3_stmt* stmt = prepare("SELECT priority, COUNT(*), COALESCE(SUM(size), 0) FROM events GROUP BY priority");
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    Totals& t = totals(from_code(sqlite3_column_int(stmt, 0)));
    t.count = static_cast<uint64_t>(sqlite3_column_int64(stmt, 1));
    t.bytes = static_cast<uint64_t>(sqlite3_column_int64(stmt, 2));
  }
  sqlite3_finalize(stmt);
}

EvictionReport EventStore::insert(std::span<const PendingEvent> events, std::span<const StateChange> state) {
  std::lock_guard lock(mutex_);
  {
    Statement begin(begin_);
    if (sqlite3_step(begin_) != SQLITE_DONE) throw StoreError(path_.string() + ": begin: " + sqlite3_errmsg(db_));
  }
  EvictionReport report;
  try {
    for (const auto& event : events) {
      if (!make_room_locked(event.priority, event.body.size(), report)) continue;
      Statement insert(insert_);
      sqlite3_bind_int(insert_, 1, priority_code(event.priority));
      sqlite3_bind_text(insert_, 2, event.channel.data(), static_cast<int>(event.channel.size()), SQLITE_STATIC);
      sqlite3_bind_int64(insert_, 3, static_cast<int64_t>(event.body.size()));
      sqlite3_bind_text(insert_, 4, event.body.data(), static_cast<int>(event.body.size()), SQLITE_STATIC);
      if (sqlite3_step(insert_) != SQLITE_DONE) throw StoreError(path_.string() + ": insert: " + sqlite3_errmsg(db_));
      Totals& t = totals(event.priority);
      t.bytes += event.body.size();
      ++t.count;
    }
    for (const auto& change : state) apply_state_locked(change);
    Statement commit(commit_);
    if (sqlite3_step(commit_) != SQLITE_DONE) throw StoreError(path_.string() + ": commit: " + sqlite3_errmsg(db_));
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    high_ = {};
    low_ = {};
    load_totals();
    throw;
  }
  return report;
}

bool EventStore::make_room_locked(Priority incoming, uint64_t size, EvictionReport& report) {
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
  // Oldest Low first, then oldest High; rows of the message in flight go last. A Low event
  // never pushes out a High one: if no Low is left to evict, the incoming Low is the one dropped.
  const std::vector<Priority> order =
      incoming == Priority::High ? std::vector<Priority>{Priority::Low, Priority::High} : std::vector<Priority>{Priority::Low};
  for (bool include_in_flight : {false, true}) {
    for (Priority priority : order) {
      if (freed >= need) break;
      const uint64_t before = totals(priority).count;
      freed += evict_from(priority, need - freed, include_in_flight);
      count_drop(priority, before - totals(priority).count);
    }
  }
  if (high_.bytes + low_.bytes + size > max_bytes_) {
    count_drop(incoming, 1);
    return false;
  }
  return true;
}

uint64_t EventStore::evict_from(Priority priority, uint64_t need, bool include_in_flight) {
  uint64_t freed = 0;
  int64_t after = 0;
  while (freed < need) {
    std::vector<std::pair<int64_t, uint64_t>> batch;
    {
      Statement select(select_size_);
      sqlite3_bind_int(select_size_, 1, priority_code(priority));
      sqlite3_bind_int64(select_size_, 2, after);
      while (sqlite3_step(select_size_) == SQLITE_ROW) {
        batch.emplace_back(sqlite3_column_int64(select_size_, 0),
                           static_cast<uint64_t>(sqlite3_column_int64(select_size_, 1)));
      }
    }
    if (batch.empty()) break;
    for (const auto& [seq, size] : batch) {
      after = seq;
      if (freed >= need) break;
      if (!include_in_flight && in_flight_.count(seq)) continue;
      Statement remove(delete_);
      sqlite3_bind_int64(delete_, 1, seq);
      if (sqlite3_step(delete_) == SQLITE_ROW) {
        Totals& t = totals(priority);
        t.bytes -= size;
        --t.count;
        freed += size;
      }
    }
  }
  return freed;
}

std::vector<StoredEvent> EventStore::oldest(Priority priority, size_t max_rows, int64_t after_seq) {
  std::lock_guard lock(mutex_);
  std::vector<StoredEvent> rows;
  int64_t after = after_seq;
  while (rows.size() < max_rows) {
    size_t fetched = 0;
    {
      Statement select(select_oldest_);
      sqlite3_bind_int(select_oldest_, 1, priority_code(priority));
      sqlite3_bind_int64(select_oldest_, 2, after);
      sqlite3_bind_int64(select_oldest_, 3, static_cast<int64_t>(max_rows - rows.size() + in_flight_.size()));
      while (sqlite3_step(select_oldest_) == SQLITE_ROW) {
        ++fetched;
        const int64_t seq = sqlite3_column_int64(select_oldest_, 0);
        after = seq;
        if (in_flight_.count(seq) || rows.size() >= max_rows) continue;
        StoredEvent row;
        row.seq = seq;
        row.priority = priority;
        row.channel.assign(reinterpret_cast<const char*>(sqlite3_column_text(select_oldest_, 1)),
                           static_cast<size_t>(sqlite3_column_bytes(select_oldest_, 1)));
        row.body.assign(reinterpret_cast<const char*>(sqlite3_column_text(select_oldest_, 2)),
                        static_cast<size_t>(sqlite3_column_bytes(select_oldest_, 2)));
        rows.push_back(std::move(row));
      }
    }
    if (fetched == 0) break;
  }
  return rows;
}

void EventStore::mark_in_flight(std::span<const int64_t> seqs) {
  std::lock_guard lock(mutex_);
  in_flight_.insert(seqs.begin(), seqs.end());
}

void EventStore::clear_in_flight() {
  std::lock_guard lock(mutex_);
  in_flight_.clear();
}

void EventStore::remove(std::span<const int64_t> seqs) {
  std::lock_guard lock(mutex_);
  // Removing delivered events need not reach the disk before we go on: a crash of the agent
  // still keeps the commit (WAL in the page cache); a power loss can at worst bring back
  // events that were already delivered (duplicates), never lose one. Inserts stay FULL.
  exec("PRAGMA synchronous=NORMAL");
  struct RestoreFull {
    EventStore* store;
    ~RestoreFull() { sqlite3_exec(store->db_, "PRAGMA synchronous=FULL", nullptr, nullptr, nullptr); }
  } restore_full{this};
  {
    Statement begin(begin_);
    if (sqlite3_step(begin_) != SQLITE_DONE) throw StoreError(path_.string() + ": begin: " + sqlite3_errmsg(db_));
  }
  try {
    for (const int64_t seq : seqs) {
      Statement remove(delete_);
      sqlite3_bind_int64(delete_, 1, seq);
      if (sqlite3_step(delete_) == SQLITE_ROW) {
        Totals& t = totals(from_code(sqlite3_column_int(delete_, 0)));
        t.bytes -= static_cast<uint64_t>(sqlite3_column_int64(delete_, 1));
        --t.count;
      }
      in_flight_.erase(seq);
    }
    Statement commit(commit_);
    if (sqlite3_step(commit_) != SQLITE_DONE) throw StoreError(path_.string() + ": commit: " + sqlite3_errmsg(db_));
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    high_ = {};
    low_ = {};
    load_totals();
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
