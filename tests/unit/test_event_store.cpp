#include <gtest/gtest.h>

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
