#include <gtest/gtest.h>

#include <set>

#include "../support/temp_dir.h"
#include "pipeline/message_builder.h"
#include "pipeline/pipeline.h"

using namespace edgeguard;

namespace {

class RecordingSink : public Sink {
 public:
  bool send(const OutgoingMessage& message) override {
    if (fail) return false;
    messages.push_back(message);
    return true;
  }
  std::string describe() const override { return "memory"; }
  std::vector<OutgoingMessage> messages;
  bool fail = false;
};

Event user_event(int i, std::string name = "LocalUsers") {
  return make_event(std::move(name), EventCategory::Periodic, EventKind::Security,
                    nlohmann::json::array({{{"UserName", "user" + std::to_string(i)},
                                            {"UserId", std::to_string(i)},
                                            {"GroupNames", "users"},
                                            {"GroupIds", "100"}}}));
}

std::set<std::string> event_ids(const std::vector<OutgoingMessage>& messages) {
  std::set<std::string> ids;
  for (const auto& message : messages) {
    const auto document = nlohmann::json::parse(message.body);
    for (const auto& event : document["Events"]) ids.insert(event["Id"]);
  }
  return ids;
}

}  // namespace

TEST(MessageBuilder, WritesTheV1EnvelopeAndHonoursTheLimit) {
  MessageBuilder builder("9c647395-b913-4997-a732-a7fe7303b649", "1.2.3", Channel{}, 200);
  const std::string event = R"({"Id":"x"})";
  EXPECT_TRUE(builder.can_ever_fit(event.size()));
  while (builder.fits(event.size())) builder.add(1, Priority::Low, event);
  const auto message = builder.finish();
  EXPECT_LE(message.body.size(), 200u);
  const auto json = nlohmann::json::parse(message.body);
  EXPECT_EQ(json["AgentVersion"], "1.2.3");
  EXPECT_EQ(json["MessageSchemaVersion"], "1.0");
  EXPECT_EQ(json["Events"].size(), message.seqs.size());
  EXPECT_FALSE(builder.can_ever_fit(300));
}

TEST(MessageBuilder, ExtensionMessagesAreNotMarkedV1) {
  MessageBuilder builder("9c647395-b913-4997-a732-a7fe7303b649", "1", Channel{"containers"}, 1000);
  builder.add(1, Priority::High, "{}");
  const auto message = builder.finish();
  EXPECT_EQ(nlohmann::json::parse(message.body)["MessageSchemaVersion"], kExtensionSchemaVersion);
  EXPECT_EQ(message.channel.output, "containers");
  EXPECT_EQ(message.priority, Priority::High);
}

TEST(Pipeline, FlushSendsEverythingWithinTheSizeLimit) {
  test::TempDir dir;
  AgentConfig config = AgentConfig::defaults();
  config.max_message_size_bytes = 8192;
  EventStore store(dir / "events.db", 10 << 20);
  RecordingSink sink;
  Statistics statistics;
  Pipeline pipeline(config, store, sink, statistics, {"9c647395-b913-4997-a732-a7fe7303b649", "0"});
  std::set<std::string> submitted;
  for (int i = 0; i < 2000; ++i) {
    Event event = user_event(i);
    submitted.insert(event.id);
    ASSERT_TRUE(pipeline.submit(std::move(event)));
  }
  ASSERT_TRUE(pipeline.flush_all(true));
  EXPECT_GT(sink.messages.size(), 10u);
  for (const auto& message : sink.messages) EXPECT_LE(message.body.size(), 8192u);
  EXPECT_EQ(event_ids(sink.messages), submitted);
  EXPECT_EQ(store.count(Priority::High) + store.count(Priority::Low), 0u);
  EXPECT_EQ(statistics.totals().high.collected, 2000u);
}

TEST(Pipeline, OffMeansNotCollected) {
  test::TempDir dir;
  AgentConfig config = AgentConfig::defaults();
  config.event_priority["LocalUsers"] = Priority::Off;
  EventStore store(dir / "events.db", 1 << 20);
  RecordingSink sink;
  Statistics statistics;
  Pipeline pipeline(config, store, sink, statistics, {"9c647395-b913-4997-a732-a7fe7303b649", "0"});
  EXPECT_FALSE(pipeline.submit(user_event(1)));
  ASSERT_TRUE(pipeline.flush_all(true));
  EXPECT_TRUE(sink.messages.empty());
  EXPECT_EQ(statistics.totals().high.collected + statistics.totals().low.collected, 0u);
}

TEST(Pipeline, OversizeEventIsDroppedAndCounted) {
  test::TempDir dir;
  AgentConfig config = AgentConfig::defaults();
  config.max_message_size_bytes = 8192;
  EventStore store(dir / "events.db", 1 << 20);
  RecordingSink sink;
  Statistics statistics;
  Pipeline pipeline(config, store, sink, statistics, {"9c647395-b913-4997-a732-a7fe7303b649", "0"});
  Event big = make_event("ProcessCreate", EventCategory::Triggered, EventKind::Security,
                         nlohmann::json::array({{{"CommandLine", std::string(9000, 'a')}}}));
  config.aggregation["ProcessCreate"].enabled = false;
  pipeline.apply_config(config);
  pipeline.submit(std::move(big));
  pipeline.submit(user_event(1));
  ASSERT_TRUE(pipeline.flush_all(true));
  ASSERT_EQ(sink.messages.size(), 1u);
  const auto totals = statistics.totals();
  EXPECT_EQ(totals.low.dropped, 1u);
  EXPECT_EQ(totals.low.dropped_by_reason.at(std::string(drop_reason::kOversizeEvent)), 1u);
}

TEST(Pipeline, FailedSendKeepsEventsInTheStore) {
  test::TempDir dir;
  AgentConfig config = AgentConfig::defaults();
  EventStore store(dir / "events.db", 1 << 20);
  RecordingSink sink;
  sink.fail = true;
  Statistics statistics;
  Pipeline pipeline(config, store, sink, statistics, {"9c647395-b913-4997-a732-a7fe7303b649", "0"});
  for (int i = 0; i < 10; ++i) pipeline.submit(user_event(i));
  EXPECT_FALSE(pipeline.flush_all(true));
  EXPECT_EQ(store.count(Priority::High), 10u);
  EXPECT_EQ(statistics.totals().messages_failed, 1u);
  sink.fail = false;
  ASSERT_TRUE(pipeline.flush_all(true));
  EXPECT_EQ(event_ids(sink.messages).size(), 10u);
}

TEST(Pipeline, ChannelsAreNeverMixed) {
  test::TempDir dir;
  EventStore store(dir / "events.db", 1 << 20);
  RecordingSink sink;
  Statistics statistics;
  Pipeline pipeline(AgentConfig::defaults(), store, sink, statistics, {"9c647395-b913-4997-a732-a7fe7303b649", "0"});
  for (int i = 0; i < 6; ++i) {
    Event event = user_event(i);
    if (i % 2) event.channel.output = "containers";
    pipeline.submit(std::move(event));
  }
  ASSERT_TRUE(pipeline.flush_all(true));
  ASSERT_EQ(sink.messages.size(), 2u);
  for (const auto& message : sink.messages) {
    const auto schema = nlohmann::json::parse(message.body)["MessageSchemaVersion"];
    EXPECT_EQ(schema == "1.0", message.channel.is_security());
    EXPECT_EQ(nlohmann::json::parse(message.body)["Events"].size(), 3u);
  }
}

TEST(Pipeline, HighPriorityGoesFirst) {
  test::TempDir dir;
  EventStore store(dir / "events.db", 1 << 20);
  RecordingSink sink;
  Statistics statistics;
  AgentConfig config = AgentConfig::defaults();
  config.max_message_size_bytes = 8192;
  Pipeline pipeline(config, store, sink, statistics, {"9c647395-b913-4997-a732-a7fe7303b649", "0"});
  for (int i = 0; i < 100; ++i) pipeline.submit(user_event(i, "SystemInformation"));  // Low
  for (int i = 0; i < 100; ++i) pipeline.submit(user_event(i, "LocalUsers"));         // High
  ASSERT_TRUE(pipeline.flush_all(true));
  const auto first = nlohmann::json::parse(sink.messages.front().body)["Events"];
  EXPECT_EQ(first[0]["Name"], "LocalUsers");
}

#include "collectors/operational/statistics_collector.h"

TEST(Pipeline, CacheLimitEvictsLowFirstAndCountsIt) {
  test::TempDir dir;
  AgentConfig config = AgentConfig::defaults();
  config.max_message_size_bytes = 8192;
  config.max_local_cache_size_bytes = 20000;
  EventStore store(dir / "events.db", 1);
  RecordingSink sink;
  Statistics statistics;
  Pipeline pipeline(config, store, sink, statistics, {"9c647395-b913-4997-a732-a7fe7303b649", "0"});
  for (int i = 0; i < 100; ++i) pipeline.submit(user_event(i, "LocalUsers"));         // High
  for (int i = 0; i < 100; ++i) pipeline.submit(user_event(i, "SystemInformation"));  // Low
  ASSERT_TRUE(pipeline.flush_all(true));  // ingests both batches in one go, then sends
  const auto totals = statistics.totals();
  EXPECT_GT(totals.low.dropped, 0u);
  EXPECT_EQ(totals.low.dropped, totals.low.dropped_by_reason.at(std::string(drop_reason::kCacheEviction)));
  // Low goes first: High is only evicted once no Low is left.
  if (totals.high.dropped > 0) EXPECT_EQ(totals.low.dropped, 100u);
  size_t delivered = event_ids(sink.messages).size();
  EXPECT_EQ(delivered + totals.low.dropped + totals.high.dropped, 200u);
  EXPECT_LE(delivered * 200, 20000u + 8192u);

  const auto events = StatisticsCollector::events_for(statistics.take());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].name, "DroppedEventsStatistics");
  EXPECT_EQ(events[0].payload[1]["Queue"], "Low");
  EXPECT_EQ(events[0].payload[1]["DroppedEvents"], totals.low.dropped);
  EXPECT_EQ(events[0].payload[1]["ExtraDetails"]["CacheEviction"], std::to_string(totals.low.dropped));
  EXPECT_EQ(events[1].payload[0]["MessagesSent"], sink.messages.size());
}

TEST(Pipeline, CollectorStateIsCommittedWithItsEventAndStateOnlyUpdatesInOrder) {
  test::TempDir dir;
  EventStore store(dir / "events.db", 1 << 20);
  RecordingSink sink;
  Statistics statistics;
  Pipeline pipeline(AgentConfig::defaults(), store, sink, statistics, {"9c647395-b913-4997-a732-a7fe7303b649", "0"});
  Event first = user_event(1);
  first.state = CollectorState{"test.position", "1"};
  ASSERT_TRUE(pipeline.submit(std::move(first)));
  ASSERT_TRUE(pipeline.submit(make_state_update("test.position", "2")));
  ASSERT_TRUE(pipeline.flush_all(false));
  EXPECT_EQ(store.state_with_prefix("test."), (std::map<std::string, std::string>{{"test.position", "2"}}));
  ASSERT_EQ(sink.messages.size(), 1u);
  const auto events = nlohmann::json::parse(sink.messages[0].body)["Events"];
  ASSERT_EQ(events.size(), 1u);  // the state-only update is not an event
  EXPECT_EQ(statistics.totals().high.collected + statistics.totals().low.collected, 1u);
}

TEST(Pipeline, StateOfAnEventTurnedOffOrTooLargeIsStillCommitted) {
  test::TempDir dir;
  EventStore store(dir / "events.db", 1 << 20);
  RecordingSink sink;
  Statistics statistics;
  AgentConfig config = AgentConfig::defaults();
  config.max_message_size_bytes = 8192;
  Pipeline pipeline(config, store, sink, statistics, {"9c647395-b913-4997-a732-a7fe7303b649", "0"});
  Event big = make_event("Login", EventCategory::Triggered, EventKind::Security,
                         nlohmann::json::array({{{"UserName", std::string(9000, 'a')}}}));
  big.state = CollectorState{"test.position", "7"};
  EXPECT_FALSE(pipeline.submit(std::move(big)));  // the event is dropped (counted), its state kept
  ASSERT_TRUE(pipeline.flush_all(false));
  EXPECT_EQ(store.state_with_prefix("test.").at("test.position"), "7");
  EXPECT_EQ(statistics.totals().high.dropped_by_reason.at(std::string(drop_reason::kOversizeEvent)), 1u);

  config.event_priority["Login"] = Priority::Off;
  pipeline.apply_config(config);
  Event off = make_event("Login", EventCategory::Triggered, EventKind::Security,
                         nlohmann::json::array({{{"UserName", "u"}}}));
  off.state = CollectorState{"test.position", "8"};
  EXPECT_FALSE(pipeline.submit(std::move(off)));
  ASSERT_TRUE(pipeline.flush_all(false));
  EXPECT_EQ(store.state_with_prefix("test.").at("test.position"), "8");
  EXPECT_TRUE(sink.messages.empty());
}
