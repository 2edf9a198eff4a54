#include <gtest/gtest.h>

#include <fstream>
#include <optional>
#include <set>
#include <span>

#include "../support/temp_dir.h"
#include "core/crc32.h"
#include "pipeline/delivery_record.h"
#include "pipeline/message_builder.h"
#include "pipeline/pipeline.h"
#include "transport/file_sink.h"

using namespace edgeguard;

namespace {

class RecordingSink : public Sink {
 public:
  bool send(const OutgoingMessage& message) override {
    if (fail) return false;
    messages.push_back(message);
    return true;
  }
  size_t send_batch(std::span<const OutgoingMessage> batch) override {
    batch_sizes.push_back(batch.size());
    if (acknowledge_at_most) {
      const size_t taken = std::min(batch.size(), *acknowledge_at_most);
      acknowledge_at_most.reset();
      return Sink::send_batch(batch.first(taken));
    }
    return Sink::send_batch(batch);
  }
  std::string describe() const override { return "memory"; }
  std::vector<OutgoingMessage> messages;
  std::vector<size_t> batch_sizes;
  std::optional<size_t> acknowledge_at_most;  // the next batch: only this many are taken
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

// A pipeline sending 8 KiB messages to a RecordingSink, and the events its tests submit.
struct SmallMessagePipeline {
  static AgentConfig small_messages() {
    AgentConfig config = AgentConfig::defaults();
    config.max_message_size_bytes = 8192;
    return config;
  }
  // Submits `count` LocalUsers events (High); returns their ids.
  std::set<std::string> submit_users(int count) {
    std::set<std::string> ids;
    for (int i = 0; i < count; ++i) {
      Event event = user_event(i);
      ids.insert(event.id);
      EXPECT_TRUE(pipeline.submit(std::move(event)));
    }
    return ids;
  }

  test::TempDir dir;
  EventStore store{dir / "events.db", 10 << 20};
  RecordingSink sink;
  Statistics statistics;
  Pipeline pipeline{small_messages(), store, sink, statistics, {"9c647395-b913-4997-a732-a7fe7303b649", "0"}};
};

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
  SmallMessagePipeline rig;
  EventStore& store = rig.store;
  RecordingSink& sink = rig.sink;
  Statistics& statistics = rig.statistics;
  Pipeline& pipeline = rig.pipeline;
  const std::set<std::string> submitted = rig.submit_users(2000);
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

TEST(Pipeline, ABacklogIsSentInBatchesOfWholeMessages) {
  SmallMessagePipeline rig;
  RecordingSink& sink = rig.sink;
  Statistics& statistics = rig.statistics;
  Pipeline& pipeline = rig.pipeline;
  const std::set<std::string> submitted = rig.submit_users(3000);
  ASSERT_TRUE(pipeline.flush_all(true));
  // ~40 messages of 8 KiB: a few batches of many messages, not one batch per message.
  ASSERT_GT(sink.messages.size(), 30u);
  EXPECT_LT(sink.batch_sizes.size(), sink.messages.size() / 4);
  size_t in_batches = 0;
  for (const size_t size : sink.batch_sizes) in_batches += size;
  EXPECT_EQ(in_batches, sink.messages.size());
  size_t events = 0;
  for (const auto& message : sink.messages) {
    EXPECT_LE(message.body.size(), 8192u);
    events += message.seqs.size();
  }
  EXPECT_EQ(events, submitted.size());  // each exactly once
  EXPECT_EQ(event_ids(sink.messages), submitted);
  EXPECT_EQ(statistics.totals().messages_sent, sink.messages.size());
}

TEST(Pipeline, WhatASinkDidNotAcknowledgeOfABatchIsSentAgainAndNothingTwice) {
  SmallMessagePipeline rig;
  EventStore& store = rig.store;
  RecordingSink& sink = rig.sink;
  Statistics& statistics = rig.statistics;
  Pipeline& pipeline = rig.pipeline;
  sink.acknowledge_at_most = 3;
  const std::set<std::string> submitted = rig.submit_users(1000);
  EXPECT_FALSE(pipeline.flush_all(true));
  ASSERT_EQ(sink.messages.size(), 3u);
  size_t delivered = 0;
  for (const auto& message : sink.messages) delivered += message.seqs.size();
  EXPECT_EQ(store.count(Priority::High), submitted.size() - delivered);
  EXPECT_EQ(statistics.totals().messages_failed, 1u);
  EXPECT_EQ(statistics.totals().messages_sent, 3u);

  ASSERT_TRUE(pipeline.flush_all(true));
  size_t events = 0;
  for (const auto& message : sink.messages) events += message.seqs.size();
  EXPECT_EQ(events, submitted.size());
  EXPECT_EQ(event_ids(sink.messages), submitted);
  EXPECT_EQ(store.count(Priority::High), 0u);
}

// The agent died after the file sink wrote the first message of a batch whole and half of the
// second, before the store heard of it: on restart the first message's events are recognised
// in the file and not sent again; the second's are.
TEST(Pipeline, AfterACrashMidBatchTheMessagesThatReachedTheFileAreNotSentAgain) {
  test::TempDir dir;
  const auto output = dir / "out.jsonl";
  std::vector<int64_t> seqs;
  {
    EventStore store(dir / "events.db", 10 << 20);
    std::vector<PendingEvent> events;
    for (int i = 0; i < 10; ++i) events.push_back(PendingEvent{Priority::High, "", serialize_event(user_event(i))});
    store.insert(events);
    for (const auto& row : store.oldest(Priority::High, SIZE_MAX)) seqs.push_back(row.seq);
    ASSERT_EQ(seqs.size(), 10u);

    FileSink sink(output.string());
    ASSERT_TRUE(sink.send(OutgoingMessage{Channel{}, Priority::Low, "{\"earlier\":true}", {}}));
    const OutgoingMessage first{Channel{}, Priority::High, "{\"first\":[1,2,3,4,5,6]}", {seqs.begin(), seqs.begin() + 6}};
    const OutgoingMessage second{Channel{}, Priority::High, "{\"second\":[7,8,9,10]}", {seqs.begin() + 6, seqs.end()}};
    DeliveryRecord record{*sink.output_position(), {}};
    for (const auto* message : {&first, &second}) {
      record.messages.push_back(RecordedMessage{message->body.size(), crc32_of(message->body), message->seqs});
    }
    store.remove({}, std::vector<StateChange>{{std::string(kDeliveryRecordKey), serialize_delivery_record(record)}});
    ASSERT_TRUE(sink.send(first));
    std::ofstream(output, std::ios::app | std::ios::binary) << second.body.substr(0, 10);  // the crash
  }
  EventStore store(dir / "events.db", 10 << 20);
  FileSink sink(output.string());
  Statistics statistics;
  Pipeline pipeline(AgentConfig::defaults(), store, sink, statistics, {"9c647395-b913-4997-a732-a7fe7303b649", "0"});
  std::vector<int64_t> left;
  for (const auto& row : store.oldest(Priority::High, SIZE_MAX)) left.push_back(row.seq);
  EXPECT_EQ(left, std::vector<int64_t>(seqs.begin() + 6, seqs.end()));
  EXPECT_TRUE(store.state_with_prefix(std::string(kDeliveryRecordKey)).empty());  // settled once
}

TEST(Pipeline, AnUnreadableRecordOfTheLastBatchMeansItsMessagesAreSentAgain) {
  test::TempDir dir;
  EventStore store(dir / "events.db", 10 << 20);
  store.insert(std::vector<PendingEvent>{PendingEvent{Priority::High, "", serialize_event(user_event(1))}});
  store.remove({}, std::vector<StateChange>{{std::string(kDeliveryRecordKey), "{\"version\":1,\"messages\":7}"}});
  FileSink sink((dir / "out.jsonl").string());
  Statistics statistics;
  Pipeline pipeline(AgentConfig::defaults(), store, sink, statistics, {"9c647395-b913-4997-a732-a7fe7303b649", "0"});
  EXPECT_EQ(store.count(Priority::High), 1u);
  EXPECT_TRUE(store.state_with_prefix(std::string(kDeliveryRecordKey)).empty());
}

TEST(DeliveryRecord, RoundTripsAndRefusesWhatItDidNotWrite) {
  const DeliveryRecord record{4096, {RecordedMessage{100, 0xdeadbeef, {5, 6, 7, 9}}, RecordedMessage{20, 1, {10}}}};
  const auto parsed = parse_delivery_record(serialize_delivery_record(record));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->position, 4096u);
  ASSERT_EQ(parsed->messages.size(), 2u);
  EXPECT_EQ(parsed->messages[0].size, 100u);
  EXPECT_EQ(parsed->messages[0].crc32, 0xdeadbeefu);
  EXPECT_EQ(parsed->messages[0].seqs, (std::vector<int64_t>{5, 6, 7, 9}));
  EXPECT_EQ(parsed->messages[1].seqs, (std::vector<int64_t>{10}));
  std::string error;
  for (const char* bad : {"", "[]", "{\"version\":2,\"position\":0,\"messages\":[]}", "{\"version\":1,\"position\":-1,\"messages\":[]}",
                          "{\"version\":1,\"position\":0,\"messages\":[{\"size\":1,\"crc32\":4294967296,\"seqs\":[]}]}",
                          "{\"version\":1,\"position\":0,\"messages\":[{\"size\":1,\"crc32\":1,\"seqs\":[[3,2]]}]}",
                          "{\"version\":1,\"position\":0,\"messages\":[{\"size\":1,\"crc32\":1,\"seqs\":[[1,99999999999]]}]}",
                          "{\"version\":{},\"position\":0,\"messages\":[]}"}) {
    EXPECT_FALSE(parse_delivery_record(bad, &error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
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
  if (totals.high.dropped > 0) {
    EXPECT_EQ(totals.low.dropped, 100u);
  }
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
