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
  std::vector<StateChange> changes;
  const TimePoint start = Clock::now();
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(aggregator.absorb(exec_event(100 + i, start + milliseconds(i)), changes));
  EXPECT_TRUE(aggregator.take_due(start + minutes(59), false, changes).empty());
  const auto events = aggregator.take_due(start + hours(1), false, changes);
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
  std::vector<StateChange> changes;
  const TimePoint now = Clock::now();
  aggregator.absorb(exec_event(1, now, "a"), changes);
  aggregator.absorb(exec_event(2, now, "b"), changes);
  aggregator.absorb(exec_event(3, now, "a"), changes);
  EXPECT_EQ(aggregator.take_due(now, true, changes).size(), 2u);
}

TEST(Aggregator, DisabledTypePassesThrough) {
  AgentConfig config = AgentConfig::defaults();
  config.aggregation["ProcessCreate"].enabled = false;
  Aggregator aggregator(config);
  std::vector<StateChange> changes;
  EXPECT_FALSE(aggregator.absorb(exec_event(1, Clock::now()), changes));
}

TEST(Aggregator, RestoresOpenWindowsFromPersistedState) {
  std::map<std::string, std::string> state;
  const TimePoint start = Clock::now();
  {
    Aggregator aggregator(AgentConfig::defaults());
    std::vector<StateChange> changes;
    for (int i = 0; i < 3; ++i) aggregator.absorb(exec_event(i, start), changes);
    for (const auto& change : changes) {
      if (change.value) state[change.key] = *change.value;
      else state.erase(change.key);
    }
  }
  Aggregator restored(AgentConfig::defaults());
  restored.restore(state);
  std::vector<StateChange> changes;
  const auto events = restored.take_due(start, true, changes);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].payload[0]["ExtraDetails"]["HitCount"], "3");
}

TEST(Aggregator, ConnectionKeyIgnoresTheEphemeralPort) {
  Aggregator aggregator(AgentConfig::defaults());
  std::vector<StateChange> changes;
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
    aggregator.absorb(event, changes);
  }
  const auto events = aggregator.take_due(now, true, changes);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].payload[0]["LocalPort"], "");
  EXPECT_EQ(events[0].payload[0]["ExtraDetails"]["HitCount"], "10");
}
