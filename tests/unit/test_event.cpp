#include <gtest/gtest.h>

#include <atomic>
#include <regex>
#include <thread>
#include <vector>

#include "core/event.h"
#include "core/guid.h"
#include "core/timestamp.h"

using namespace edgeguard;

TEST(Guid, IsRandomVersion4InTheSchemaShape) {
  const std::string a = new_guid();
  const std::string b = new_guid();
  EXPECT_NE(a, b);
  EXPECT_TRUE(is_guid(a));
  EXPECT_EQ(a.size(), 36u);
  EXPECT_EQ(a[14], '4');
  EXPECT_TRUE(std::regex_match(a, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")));
  EXPECT_FALSE(is_guid("not-a-guid"));
}

TEST(Timestamp, UtcAndLocalCarryTheirOffsets) {
  const TimePoint t = TimePoint(std::chrono::milliseconds(1764170821123));  // 2025-11-26T15:27:01.123Z
  EXPECT_EQ(format_utc_time(t), "2025-11-26T15:27:01.123Z");
  setenv("TZ", "Europe/Berlin", 1);
  tzset();
  EXPECT_EQ(format_local_time(t), "2025-11-26T16:27:01.123+01:00");
  setenv("TZ", "America/St_Johns", 1);
  tzset();
  EXPECT_EQ(format_local_time(t), "2025-11-26T11:57:01.123-03:30");
  unsetenv("TZ");
  tzset();
}

TEST(Event, SerializesEveryEnvelopeFieldInSchemaOrder) {
  Event event = make_event("ProcessCreate", EventCategory::Triggered, EventKind::Security,
                           nlohmann::json::array({{{"Executable", "/bin/true"}}}));
  const auto json = nlohmann::json::parse(serialize_event(event));
  EXPECT_EQ(json["Id"], event.id);
  EXPECT_EQ(json["Category"], "Triggered");
  EXPECT_EQ(json["Name"], "ProcessCreate");
  EXPECT_EQ(json["EventType"], "Security");
  EXPECT_EQ(json["IsEmpty"], false);
  EXPECT_EQ(json["PayloadSchemaVersion"], "1.0");
  EXPECT_EQ(json["Payload"][0]["Executable"], "/bin/true");
  EXPECT_EQ(json.size(), 9u);
}

TEST(Event, EmptySnapshotIsPeriodicAndEmpty) {
  const auto json = nlohmann::json::parse(serialize_event(make_empty_snapshot("ListeningPorts")));
  EXPECT_EQ(json["Category"], "Periodic");
  EXPECT_EQ(json["IsEmpty"], true);
  EXPECT_TRUE(json["Payload"].empty());
}

TEST(Event, InvalidUtf8InPayloadIsReplacedNotFatal) {
  Event event = make_event("ProcessCreate", EventCategory::Triggered, EventKind::Security,
                           nlohmann::json::array({{{"CommandLine", std::string("a\xff\xfe b")}}}));
  const auto json = nlohmann::json::parse(serialize_event(event));
  EXPECT_NE(json["Payload"][0]["CommandLine"].get<std::string>().find("b"), std::string::npos);
}

#include "core/container_catalog.h"

TEST(ContainerCatalog, AsksTheResolverOncePerUnknownId) {
  ContainerCatalog catalog;
  int asked = 0;
  catalog.set_resolver([&](std::string_view id) -> std::optional<ContainerInfo> {
    ++asked;
    if (id == "known") return ContainerInfo{"known", "web", "nginx:1", "sha256:1", ""};
    return std::nullopt;
  });
  EXPECT_FALSE(catalog.find("nope"));
  EXPECT_FALSE(catalog.find("nope"));
  EXPECT_EQ(asked, 1);
  EXPECT_EQ(catalog.find("known")->name, "web");
  EXPECT_EQ(catalog.find("known")->image, "nginx:1");
  EXPECT_EQ(asked, 2);
  catalog.upsert(ContainerInfo{"nope", "late", "busybox", "", "edgeHub"});
  EXPECT_EQ(catalog.find("nope")->edge_module, "edgeHub");
  catalog.remove("nope");
  EXPECT_EQ(catalog.size(), 1u);
}

TEST(ContainerCatalog, ConcurrentMissesOfOneIdAskTheResolverOnce) {
  // Kernel event threads miss the same new container at once. A thread that found nothing and
  // then waited for the lock while another thread resolved the id must not ask again.
  // The window is short; without the fix a run failed within its first five rounds every time.
  constexpr int kRounds = 30;
  constexpr int kIds = 3000;
  constexpr int kThreads = 8;
  for (int round = 0; round < kRounds; ++round) {
    ContainerCatalog catalog;
    std::vector<std::atomic<int>> asked(kIds);
    catalog.set_resolver([&](std::string_view id) -> std::optional<ContainerInfo> {
      asked[std::stoi(std::string(id))].fetch_add(1);
      return ContainerInfo{std::string(id), "c" + std::string(id), "busybox", "", ""};
    });
    std::atomic<int> ready{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        ready.fetch_add(1);
        while (ready.load() < kThreads) std::this_thread::yield();
        for (int i = 0; i < kIds; ++i) catalog.find(std::to_string(i));
      });
    }
    for (auto& thread : threads) thread.join();
    int asked_again = 0;
    for (int i = 0; i < kIds; ++i) {
      ASSERT_EQ(catalog.find(std::to_string(i))->name, "c" + std::to_string(i));
      asked_again += asked[i].load() - 1;
    }
    ASSERT_EQ(asked_again, 0) << "round " << round;
  }
}

TEST(Event, SerializedTextIsCompactWithFieldsInSchemaOrder) {
  Event event = make_event("ProcessCreate", EventCategory::Triggered, EventKind::Security,
                           nlohmann::json::array({{{"Executable", "/bin/true"}, {"CommandLine", "a \"b\""}}}));
  const std::string text = serialize_event(event);
  nlohmann::ordered_json expected;
  expected["Id"] = event.id;
  expected["TimestampLocal"] = format_local_time(event.time);
  expected["TimestampUTC"] = format_utc_time(event.time);
  expected["Category"] = "Triggered";
  expected["Name"] = "ProcessCreate";
  expected["EventType"] = "Security";
  expected["IsEmpty"] = false;
  expected["PayloadSchemaVersion"] = "1.0";
  expected["Payload"] = event.payload;
  EXPECT_EQ(text, expected.dump());
}
