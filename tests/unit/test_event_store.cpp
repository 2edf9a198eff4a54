#include <gtest/gtest.h>
#include <sqlite3.h>

#include "../support/temp_dir.h"
#include "pipeline/event_store.h"

using namespace edgeguard;

namespace {
PendingEvent pending(Priority priority, size_t size, char fill = 'x', std::string channel = "") {
  return PendingEvent{priority, std::move(channel), std::string(size, fill)};
}
}  // namespace

TEST(EventStore, PersistsAcrossReopen) {
  test::TempDir dir;
  {
    EventStore store(dir / "events.db", 1 << 20);
    std::vector<PendingEvent> events = {pending(Priority::High, 10, 'a'), pending(Priority::Low, 20, 'b')};
    store.insert(events);
  }
  EventStore store(dir / "events.db", 1 << 20);
  EXPECT_EQ(store.count(Priority::High), 1u);
  EXPECT_EQ(store.count(Priority::Low), 1u);
  EXPECT_EQ(store.bytes(), 30u);
  const auto rows = store.oldest(Priority::Low, 10);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].body, std::string(20, 'b'));
}

TEST(EventStore, EvictsOldestLowFirstThenOldestHigh) {
  test::TempDir dir;
  EventStore store(dir / "events.db", 100);
  std::vector<PendingEvent> first = {pending(Priority::High, 30, 'h'), pending(Priority::Low, 30, 'l'),
                                     pending(Priority::Low, 30, 'm')};
  EXPECT_EQ(store.insert(first).low, 0u);
  // 90 held + 30 incoming > 100: one Low (the oldest, 'l') must go.
  std::vector<PendingEvent> second = {pending(Priority::High, 30, 'i')};
  const auto report = store.insert(second);
  EXPECT_EQ(report.low, 1u);
  EXPECT_EQ(report.high, 0u);
  auto low = store.oldest(Priority::Low, 10);
  ASSERT_EQ(low.size(), 1u);
  EXPECT_EQ(low[0].body[0], 'm');
  // Another 60 bytes of High: the last Low goes, then the oldest High.
  std::vector<PendingEvent> third = {pending(Priority::High, 60, 'j')};
  const auto report2 = store.insert(third);
  EXPECT_EQ(report2.low, 1u);
  EXPECT_EQ(report2.high, 1u);
  const auto high = store.oldest(Priority::High, 10);
  ASSERT_EQ(high.size(), 2u);
  EXPECT_EQ(high[0].body[0], 'i');
  EXPECT_EQ(high[1].body[0], 'j');
  EXPECT_LE(store.bytes(), 100u);
}

TEST(EventStore, InFlightRowsAreSkippedAndRemovedOnAck) {
  test::TempDir dir;
  EventStore store(dir / "events.db", 1 << 20);
  std::vector<PendingEvent> events;
  for (int i = 0; i < 5; ++i) events.push_back(pending(Priority::Low, 5, static_cast<char>('a' + i)));
  store.insert(events);
  auto rows = store.oldest(Priority::Low, 2);
  ASSERT_EQ(rows.size(), 2u);
  std::vector<int64_t> seqs = {rows[0].seq, rows[1].seq};
  store.mark_in_flight(seqs);
  auto next = store.oldest(Priority::Low, 10);
  ASSERT_EQ(next.size(), 3u);
  EXPECT_EQ(next[0].body[0], 'c');
  store.remove(seqs);
  EXPECT_EQ(store.count(Priority::Low), 3u);
  EXPECT_EQ(store.bytes(), 15u);
}

TEST(EventStore, StateChangesCommitWithEvents) {
  test::TempDir dir;
  {
    EventStore store(dir / "events.db", 1 << 20);
    std::vector<StateChange> changes = {{"aggregation/a", "1"}, {"aggregation/b", "2"}, {"other", "3"}};
    store.insert({}, changes);
    std::vector<StateChange> erase = {{"aggregation/a", std::nullopt}};
    store.insert({}, erase);
  }
  EventStore store(dir / "events.db", 1 << 20);
  const auto state = store.state_with_prefix("aggregation/");
  ASSERT_EQ(state.size(), 1u);
  EXPECT_EQ(state.at("aggregation/b"), "2");
}

TEST(EventStore, UnopenablePathIsANamedError) {
  try {
    EventStore store("/proc/edgeguard-nope/events.db", 100);
    FAIL() << "expected an error";
  } catch (const std::exception& error) {
    EXPECT_NE(std::string(error.what()).find("/proc/edgeguard-nope"), std::string::npos) << error.what();
  }
}

TEST(EventStore, IncomingLowNeverEvictsHigh) {
  test::TempDir dir;
  EventStore store(dir / "events.db", 100);
  std::vector<PendingEvent> high = {pending(Priority::High, 40, 'a'), pending(Priority::High, 40, 'b')};
  store.insert(high);
  std::vector<PendingEvent> low = {pending(Priority::Low, 40, 'c')};
  const auto report = store.insert(low);
  EXPECT_EQ(report.low, 1u);
  EXPECT_EQ(report.high, 0u);
  EXPECT_EQ(store.count(Priority::High), 2u);
  EXPECT_EQ(store.count(Priority::Low), 0u);
}

TEST(EventStore, ABatchLargerThanTheCacheKeepsTheNewestWithinTheLimit) {
  test::TempDir dir;
  EventStore store(dir / "events.db", 1000);
  std::vector<PendingEvent> batch;
  for (int i = 0; i < 100; ++i) batch.push_back(pending(Priority::High, 50, static_cast<char>('A' + i % 50)));
  const auto report = store.insert(batch);
  EXPECT_LE(store.bytes(), 1000u);
  EXPECT_EQ(report.high + store.count(Priority::High), 100u);
  const auto rows = store.oldest(Priority::High, 1000);
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows.back().body[0], 'A' + 99 % 50);  // the newest survived
}

namespace {
// Runs one SQL statement on the store's file, as another program (or an older version) would.
void run_sql(const std::filesystem::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  const std::string message = error ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << message;
}

int64_t count_rows(const std::filesystem::path& file, const std::string& table) {
  sqlite3* db = nullptr;
  sqlite3_open(file.c_str(), &db);
  sqlite3_stmt* stmt = nullptr;
  int64_t n = -1;
  if (sqlite3_prepare_v2(db, ("SELECT COUNT(*) FROM " + table).c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW) {
    n = sqlite3_column_int64(stmt, 0);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return n;
}

std::string bodies(const std::vector<StoredEvent>& rows) {
  std::string out;
  for (const auto& row : rows) out += row.body + "|";
  return out;
}
}  // namespace

TEST(EventStore, RemovalsInsideASegmentPersistAcrossReopen) {
  test::TempDir dir;
  {
    EventStore store(dir / "events.db", 1 << 20);
    std::vector<PendingEvent> events;
    for (int i = 0; i < 5; ++i) events.push_back(pending(Priority::Low, 3, static_cast<char>('a' + i)));
    store.insert(events);
    const auto rows = store.oldest(Priority::Low, 10);
    ASSERT_EQ(rows.size(), 5u);
    const std::vector<int64_t> gone = {rows[1].seq, rows[3].seq};
    store.remove(gone);
  }
  EventStore store(dir / "events.db", 1 << 20);
  EXPECT_EQ(store.count(Priority::Low), 3u);
  EXPECT_EQ(store.bytes(), 9u);
  EXPECT_EQ(bodies(store.oldest(Priority::Low, 10)), "aaa|ccc|eee|");
}

TEST(EventStore, ManyEventsSpanSegmentsKeepTheirOrderAndLeaveNoRowsWhenDelivered) {
  test::TempDir dir;
  EventStore store(dir / "events.db", 1 << 30);
  std::vector<PendingEvent> events;
  for (int i = 0; i < 10000; ++i) events.push_back(PendingEvent{Priority::Low, "", std::to_string(i) + std::string(100, 'x')});
  store.insert(events);
  EXPECT_GT(count_rows(dir / "events.db", "segments"), 1) << "expected the batch to be split into segments";
  int64_t after = 0;
  int expected = 0;
  while (true) {
    const auto rows = store.oldest(Priority::Low, 777, after);
    if (rows.empty()) break;
    std::vector<int64_t> seqs;
    for (const auto& row : rows) {
      ASSERT_EQ(row.body, std::to_string(expected++) + std::string(100, 'x'));
      seqs.push_back(row.seq);
      after = row.seq;
    }
    store.remove(seqs);
  }
  EXPECT_EQ(expected, 10000);
  EXPECT_EQ(store.count(Priority::Low), 0u);
  EXPECT_EQ(count_rows(dir / "events.db", "segments"), 0);
  EXPECT_EQ(count_rows(dir / "events.db", "segment_removed"), 0);
}

TEST(EventStore, MigratesAStoreWithOneRowPerEvent) {
  test::TempDir dir;
  run_sql(dir / "events.db",
          "CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, priority INTEGER NOT NULL,"
          " channel TEXT NOT NULL, size INTEGER NOT NULL, body TEXT NOT NULL);"
          "INSERT INTO events(priority, channel, size, body) VALUES (1, '', 2, 'l1'), (0, '', 2, 'h1'),"
          " (1, 'out', 2, 'x1'), (1, '', 2, 'l2');");
  EventStore store(dir / "events.db", 1 << 20);
  EXPECT_EQ(store.count(Priority::High), 1u);
  EXPECT_EQ(store.count(Priority::Low), 3u);
  EXPECT_EQ(store.bytes(), 8u);
  const auto low = store.oldest(Priority::Low, 10);
  ASSERT_EQ(low.size(), 3u);
  EXPECT_EQ(low[0].body, "l1");
  EXPECT_EQ(low[1].body, "l2");
  EXPECT_EQ(low[2].body, "x1");
  EXPECT_EQ(low[2].channel, "out");
  EXPECT_EQ(count_rows(dir / "events.db", "events"), -1) << "the old table should be gone";
}

TEST(EventStore, ADamagedSegmentIsDroppedAndTheRestKept) {
  test::TempDir dir;
  {
    EventStore store(dir / "events.db", 1 << 20);
    std::vector<PendingEvent> high = {pending(Priority::High, 4, 'h')};
    std::vector<PendingEvent> low = {pending(Priority::Low, 4, 'l')};
    store.insert(high);
    store.insert(low);
  }
  run_sql(dir / "events.db", "UPDATE segments SET data = x'ffffffff' WHERE priority = 0");
  EventStore store(dir / "events.db", 1 << 20);
  EXPECT_EQ(store.count(Priority::High), 0u);
  EXPECT_EQ(store.count(Priority::Low), 1u);
  EXPECT_EQ(bodies(store.oldest(Priority::Low, 10)), "llll|");
  std::vector<PendingEvent> more = {pending(Priority::High, 2, 'n')};
  store.insert(more);
  EXPECT_EQ(bodies(store.oldest(Priority::High, 10)), "nn|");
}

TEST(EventStore, RepetitiveEventsAreStoredCompressedAndReadBackExactly) {
  test::TempDir dir;
  std::vector<PendingEvent> events;
  for (int i = 0; i < 200; ++i) {
    events.push_back(PendingEvent{Priority::Low, "", "{\"Name\":\"ProcessCreate\",\"CommandLine\":\"/usr/bin/python3 -m worker --job " +
                                                         std::to_string(i) + "\"}"});
  }
  uint64_t raw = 0;
  for (const auto& event : events) raw += event.body.size();
  {
    EventStore store(dir / "events.db", 1 << 20);
    store.insert(events);
  }
  sqlite3* db = nullptr;
  sqlite3_open((dir / "events.db").c_str(), &db);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "SELECT SUM(length(data)), MIN(codec) FROM segments", -1, &stmt, nullptr);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  const int64_t stored = sqlite3_column_int64(stmt, 0);
  const int codec = sqlite3_column_int(stmt, 1);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  EXPECT_EQ(codec, 1);
  EXPECT_LT(stored, static_cast<int64_t>(raw / 2)) << "stored " << stored << " bytes for " << raw;

  EventStore store(dir / "events.db", 1 << 20);
  const auto rows = store.oldest(Priority::Low, 1000);
  ASSERT_EQ(rows.size(), events.size());
  for (size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(rows[i].body, events[i].body);
}

TEST(EventStore, ASegmentThatNoLongerDecompressesIsDroppedWhenReadAndLaterEventsStillFlow) {
  test::TempDir dir;
  {
    EventStore store(dir / "events.db", 1 << 20);
    std::vector<PendingEvent> first = {pending(Priority::Low, 1000, 'a')};
    std::vector<PendingEvent> second = {pending(Priority::Low, 1000, 'b')};
    store.insert(first);
    store.insert(second);
  }
  // Keep the sizes, break the compressed bodies of the first segment.
  run_sql(dir / "events.db",
          "UPDATE segments SET data = CAST(substr(data, 1, 4) || x'f0f0f0f0f0' AS BLOB) WHERE first_seq = (SELECT MIN(first_seq) FROM segments)");
  EventStore store(dir / "events.db", 1 << 20);
  EXPECT_EQ(store.count(Priority::Low), 2u);
  const auto rows = store.oldest(Priority::Low, 10);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].body, std::string(1000, 'b'));
  EXPECT_EQ(store.count(Priority::Low), 1u);
  EXPECT_EQ(count_rows(dir / "events.db", "segments"), 1);
}
