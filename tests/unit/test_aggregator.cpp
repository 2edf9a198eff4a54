#include <gtest/gtest.h>

#include "pipeline/aggregator.h"

using namespace edgeguard;
using namespace std::chrono;

namespace {
Event exec_event(int pid, TimePoint at, std::string command = "/bin/echo hi") {
  Event event = make_event("ProcessCreate", EventCategory::Triggered, EventKind::Security,
                           nlohmann::json::array({{{"Executable", "/bin/echo"},
                                                   {"ProcessId", pid},
                                                   {"ParentProcessId", 1},
                                                   {"UserId", "0"},
                                                   {"CommandLine", command}}}));
  event.time = at;
  return event;
}
}  // namespace

TEST(Aggregator, IdenticalEventsInAWindowBecomeOneWithHitCount) {
  Aggregator aggregator(AgentConfig::defaults());
  const TimePoint start = Clock::now();
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(aggregator.absorb(exec_event(100 + i, start + milliseconds(i))));
  EXPECT_TRUE(aggregator.take_due(start + minutes(59), false).empty());
  const auto events = aggregator.take_due(start + hours(1), false);
  ASSERT_EQ(events.size(), 1u);
  const auto& payload = events[0].payload[0];
  EXPECT_EQ(events[0].category, EventCategory::Triggered);
  EXPECT_EQ(payload["ProcessId"], 0);
  EXPECT_EQ(payload["ExtraDetails"]["HitCount"], "1000");
  EXPECT_TRUE(payload["ExtraDetails"]["StartTimeUtc"].is_string());
  EXPECT_TRUE(payload["ExtraDetails"]["EndTimeLocal"].is_string());
  EXPECT_FALSE(aggregator.next_due());
}

TEST(Aggregator, DifferentCommandLinesStayApart) {
  Aggregator aggregator(AgentConfig::defaults());
  const TimePoint now = Clock::now();
  aggregator.absorb(exec_event(1, now, "a"));
  aggregator.absorb(exec_event(2, now, "b"));
  aggregator.absorb(exec_event(3, now, "a"));
  EXPECT_EQ(aggregator.take_due(now, true).size(), 2u);
}

TEST(Aggregator, DisabledTypePassesThrough) {
  AgentConfig config = AgentConfig::defaults();
  config.aggregation["ProcessCreate"].enabled = false;
  Aggregator aggregator(config);
  EXPECT_FALSE(aggregator.absorb(exec_event(1, Clock::now())));
}

TEST(Aggregator, RestoresOpenWindowsFromPersistedState) {
  std::map<std::string, std::string> state;
  const TimePoint start = Clock::now();
  {
    Aggregator aggregator(AgentConfig::defaults());
      for (int i = 0; i < 3; ++i) aggregator.absorb(exec_event(i, start));
    for (const auto& change : aggregator.take_state_changes()) {
      if (change.value) state[change.key] = *change.value;
      else state.erase(change.key);
    }
  }
  Aggregator restored(AgentConfig::defaults());
  restored.restore(state);
  const auto events = restored.take_due(start, true);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].payload[0]["ExtraDetails"]["HitCount"], "3");
}

TEST(Aggregator, ConnectionKeyIgnoresTheEphemeralPort) {
  Aggregator aggregator(AgentConfig::defaults());
  const TimePoint now = Clock::now();
  for (int port = 40000; port < 40010; ++port) {
    Event event = make_event("ConnectionCreate", EventCategory::Triggered, EventKind::Security,
                             nlohmann::json::array({{{"Direction", "Out"},
                                                     {"LocalPort", std::to_string(port)},
                                                     {"RemotePort", "443"},
                                                     {"RemoteAddress", "10.0.0.1"},
                                                     {"Protocol", "TCP"},
                                                     {"ProcessId", port},
                                                     {"Executable", "/usr/bin/curl"}}}));
    aggregator.absorb(event);
  }
  const auto events = aggregator.take_due(now, true);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].payload[0]["LocalPort"], "");
  EXPECT_EQ(events[0].payload[0]["ExtraDetails"]["HitCount"], "10");
}

TEST(Aggregator, StateChangesAreOnePerTouchedKey) {
  Aggregator aggregator(AgentConfig::defaults());
  const TimePoint now = Clock::now();
  for (int i = 0; i < 500; ++i) aggregator.absorb(exec_event(i, now));
  const auto changes = aggregator.take_state_changes();
  EXPECT_EQ(changes.size(), 2u);  // the window's start and the one entry
  EXPECT_TRUE(aggregator.take_state_changes().empty());
}

TEST(Aggregator, AFullWindowClosesEarlyInsteadOfGrowing) {
  Aggregator aggregator(AgentConfig::defaults(), 10);
  const TimePoint now = Clock::now();
  int absorbed = 0;
  for (int i = 0; i < 25; ++i) absorbed += aggregator.absorb(exec_event(i, now, "cmd " + std::to_string(i)));
  // 10 distinct keys fill the window; the other 15 pass through as raw events, nothing is lost.
  EXPECT_EQ(absorbed, 10);
  EXPECT_TRUE(aggregator.absorb(exec_event(99, now, "cmd 3")));  // a known key still counts
  ASSERT_TRUE(aggregator.next_due());
  EXPECT_LE(*aggregator.next_due(), now);  // due at once
  EXPECT_EQ(aggregator.take_due(now, false).size(), 10u);
  EXPECT_TRUE(aggregator.absorb(exec_event(7, now, "cmd 20")));  // a new window takes keys again
}
