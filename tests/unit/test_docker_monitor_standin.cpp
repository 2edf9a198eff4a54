// The client and the monitor against a stand-in engine, for replies a real dockerd never gives
// (malformed JSON, broken event lines, HTTP errors). Everything a real engine does is tested
// against dockerd itself in tests/integration/test_docker_engine.cpp.
#include <gtest/gtest.h>

#include "../support/event_sink.h"
#include "../support/temp_dir.h"
#include "collectors/docker/docker_collectors.h"
#include "collectors/docker/docker_monitor.h"
#include "collectors/docker/docker_parse.h"
#include "core/host_root.h"
#include "engine_standin.h"

using namespace edgeguard;
using namespace edgeguard::docker;
using namespace std::chrono_literals;

namespace {

std::string fixture(const std::string& name) {
  return *read_whole_file(std::string(EDGEGUARD_TEST_DIR) + "/fixtures/docker/" + name);
}

// Serves the captured replies of the real engine: version, list, and the five inspects.
class FakeEngine {
 public:
  explicit FakeEngine(const std::filesystem::path& socket) : standin(socket) {
    standin.on("/version", 200, fixture("version.json"));
    standin.on("/containers/json", [this](const std::string&) { return test::EngineStandin::Reply{200, list()}; });
    standin.on_prefix("/containers/", [this](const std::string& path) {
      std::lock_guard lock(mutex);
      const std::string id = path.substr(12, 64);
      const auto it = inspects.find(id);
      if (it == inspects.end()) return test::EngineStandin::Reply{404, R"({"message":"No such container"})"};
      return test::EngineStandin::Reply{200, it->second};
    });
    standin.on_prefix("/images/", [](const std::string&) { return test::EngineStandin::Reply{200, R"({"RepoDigests":[]})"}; });
    for (const char* name : {"clean", "risky", "privileged", "capall", "edgeHub"}) add(fixture(std::string("inspect_") + name + ".json"));
  }

  void add(const std::string& inspect) {
    std::lock_guard lock(mutex);
    const auto document = nlohmann::json::parse(inspect);
    const std::string id = document["Id"].get<std::string>();
    inspects[id] = inspect;
    summaries[id] = {{"Id", id}, {"Names", {document["Name"]}}, {"Image", document["Config"]["Image"]},
                     {"ImageID", document["Image"]}, {"State", document["State"]["Status"]},
                     {"Labels", document["Config"]["Labels"]}};
  }
  void remove(const std::string& id) {
    std::lock_guard lock(mutex);
    inspects.erase(id);
    summaries.erase(id);
  }
  void set(const std::string& id, const std::string& body) {
    std::lock_guard lock(mutex);
    inspects[id] = body;
  }
  std::string list() {
    std::lock_guard lock(mutex);
    nlohmann::json out = nlohmann::json::array();
    for (const auto& [id, summary] : summaries) out.push_back(summary);
    return out.dump();
  }

  test::EngineStandin standin;
  std::mutex mutex;
  std::map<std::string, std::string> inspects;
  std::map<std::string, nlohmann::json> summaries;  // what the list says (kept when an inspect breaks)
};

std::string event_line(const std::string& action, const std::string& id, const std::string& name, int64_t time_ns,
                       const std::string& extra_attributes = "") {
  return R"({"Type":"container","Action":")" + action + R"(","Actor":{"ID":")" + id + R"(","Attributes":{"name":")" +
         name + R"(","image":"edgeguard-test/busybox:1")" + extra_attributes + R"(}},"scope":"local","time":)" +
         std::to_string(time_ns / 1000000000LL) + R"(,"timeNano":)" + std::to_string(time_ns) + "}\n";
}

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

MonitorOptions fast_options() {
  MonitorOptions options;
  options.backoff_initial = 20ms;
  options.backoff_max = 100ms;
  return options;
}

const std::string kRisky = "52e50525ce75cb99adc552074c14b6c201c486a9c6e6f42b3374a6d2df4e7874";

}  // namespace

TEST(DockerClient, MalformedReplyNamesTheEndpointAndTheJsonLocation) {
  test::TempDir dir;
  FakeEngine engine(dir / "engine.sock");
  auto broken = nlohmann::json::parse(fixture("inspect_risky.json"));
  broken["HostConfig"]["CapAdd"] = {"SYS_ADMIN", 12};
  engine.set(kRisky, broken.dump());
  DockerClient client(dir / "engine.sock", 5s);
  EXPECT_EQ(client.version().api_version, "1.41");
  try {
    client.inspect_container(kRisky);
    FAIL() << "a malformed inspect was accepted";
  } catch (const DockerError& error) {
    EXPECT_EQ(std::string(error.what()),
              "GET /v1.41/containers/" + kRisky + "/json: malformed reply: /HostConfig/CapAdd/1: expected a string, got an integer");
  }
  EXPECT_FALSE(client.inspect_container(std::string(64, 'e')));  // 404: no such container
  EXPECT_THROW(client.inspect_container("../../etc"), DockerError);
}

TEST(DockerClient, EngineErrorsAndMissingSocketsAreNamed) {
  test::TempDir dir;
  test::EngineStandin standin(dir / "engine.sock");
  standin.on("/version", 200, fixture("version.json"));
  standin.on("/containers/json", 500, R"({"message":"boom"})");
  DockerClient client(dir / "engine.sock", 5s);
  client.version();
  try {
    client.list_containers();
    FAIL();
  } catch (const DockerError& error) {
    EXPECT_EQ(std::string(error.what()), "GET /v1.41/containers/json?all=1: HTTP 500: boom");
  }
  DockerClient nowhere(dir / "missing.sock", 5s);
  try {
    nowhere.version();
    FAIL();
  } catch (const DockerError& error) {
    EXPECT_EQ(std::string(error.what()),
              "GET /version: cannot connect to the engine socket " + (dir / "missing.sock").string() + ": No such file or directory");
  }
}

TEST(DockerClient, OldEnginesAreRefusedNewerOnesSpokenToInOurVersion) {
  test::TempDir dir;
  test::EngineStandin standin(dir / "engine.sock");
  standin.on("/version", 200, R"({"Version":"1.13","ApiVersion":"1.24"})");
  DockerClient client(dir / "engine.sock", 5s);
  EXPECT_THROW(client.version(), DockerError);
  standin.on("/version", 200, R"({"Version":"28.2","ApiVersion":"1.50"})");
  client.version();
  EXPECT_EQ(client.events_target(0).substr(0, 13), "/v1.41/events");
  standin.on("/version", 200, R"({"Version":"19.03","ApiVersion":"1.40"})");
  client.version();
  EXPECT_EQ(client.events_target(1795708370000000001LL).substr(0, 13), "/v1.40/events");
  EXPECT_NE(client.events_target(1795708370000000001LL).find("&since=1795708370.000000001"), std::string::npos);
}

TEST(DockerMonitor, MalformedEventIsCountedAndTheStateIsReadAgain) {
  test::TempDir dir;
  FakeEngine engine(dir / "engine.sock");
  ContainerCatalog catalog;
  Statistics statistics;
  DockerMonitor monitor(catalog, statistics, fast_options());
  monitor.set_sockets({dir / "engine.sock"});
  test::EventSink sink;
  monitor.start(sink.submitter(), AgentConfig::defaults());
  ASSERT_TRUE(monitor.wait_for_sessions(1, 20s)) << monitor.status().last_error;
  EXPECT_EQ(monitor.cache().size(), 5u);
  EXPECT_EQ(engine.standin.requests("/containers/json"), 1u);

  engine.standin.push_event("{\"Type\":\"container\",\"Action\":\n");
  engine.standin.push_event(std::string(2 * 1024 * 1024, 'x') + "\n");  // longer than any event
  // Both were lost; each made the monitor read the engine's state again.
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (monitor.status().resyncs < 3 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(monitor.status().resyncs, 3u);
  EXPECT_EQ(engine.standin.requests("/containers/json"), 3u);
  EXPECT_EQ(monitor.status().malformed_events, 2u);
  EXPECT_EQ(statistics.totals().high.dropped_by_reason.at(std::string(drop_reason::kParseFailure)), 2u);
  // And it still follows the stream.
  EXPECT_TRUE(monitor.status().connected);
  monitor.stop();
}

TEST(DockerMonitor, AMalformedInspectKeepsTheLastGoodState) {
  test::TempDir dir;
  FakeEngine engine(dir / "engine.sock");
  ContainerCatalog catalog;
  Statistics statistics;
  DockerMonitor monitor(catalog, statistics, fast_options());
  monitor.set_sockets({dir / "engine.sock"});
  test::EventSink sink;
  monitor.start(sink.submitter(), AgentConfig::defaults());
  ASSERT_TRUE(monitor.wait_for_sessions(1, 20s));
  ASSERT_TRUE(monitor.cache().get(kRisky)->settings.cap_add.size() == 2);

  engine.set(kRisky, R"({"Id":")" + kRisky + R"(","HostConfig":"nonsense"})");
  engine.standin.push_event(event_line("update", kRisky, "risky", now_ns()));
  engine.standin.push_event(event_line("rename", kRisky, "risky", now_ns()));
  engine.standin.close_streams();  // reconnect: a resync whose inspect of risky fails
  ASSERT_TRUE(monitor.wait_for_sessions(2, 20s));
  const auto kept = monitor.cache().get(kRisky);
  ASSERT_TRUE(kept);
  EXPECT_TRUE(kept->settings_known);
  EXPECT_EQ(kept->settings.network_mode, "host");
  EXPECT_EQ(kept->settings.cap_add, (std::vector<std::string>{"SYS_ADMIN", "NET_ADMIN"}));
  EXPECT_TRUE(catalog.find(kRisky));
  monitor.stop();
}

TEST(DockerMonitor, ReconnectsAndReportsWhatChangedWhileAway) {
  test::TempDir dir;
  FakeEngine engine(dir / "engine.sock");
  ContainerCatalog catalog;
  Statistics statistics;
  DockerMonitor monitor(catalog, statistics, fast_options());
  monitor.set_sockets({dir / "engine.sock"});
  test::EventSink sink;
  monitor.start(sink.submitter(), AgentConfig::defaults());
  ASSERT_TRUE(monitor.wait_for_sessions(1, 20s));
  EXPECT_TRUE(sink.events().empty()) << "the first sync is a baseline, not news";

  // Removed before the stream ends: the monitor may be back (20 ms back-off) before this thread
  // runs again, and a resync before the removal would have nothing to report.
  engine.remove(kRisky);
  engine.standin.close_streams();
  ASSERT_TRUE(monitor.wait_for_sessions(2, 20s));
  const auto die = sink.wait_for("ContainerLifecycle", "die", "risky");
  const auto destroy = sink.wait_for("ContainerLifecycle", "destroy", "risky");
  ASSERT_TRUE(die && destroy);
  EXPECT_EQ(destroy->payload[0]["Source"], "Resync");
  EXPECT_FALSE(catalog.find(kRisky));

  // A replayed event from before the resync is not reported again.
  engine.standin.push_event(event_line("destroy", kRisky, "risky", now_ns() - 60'000'000'000LL));
  engine.standin.push_event(event_line("oom", std::string(64, 'c'), "marker", now_ns()));
  ASSERT_TRUE(sink.wait_for("ContainerLifecycle", "oom", "marker"));
  size_t destroys = 0;
  for (const auto& event : sink.events()) destroys += event.payload[0].value("Action", "") == "destroy";
  EXPECT_EQ(destroys, 1u);
  EXPECT_GE(monitor.status().replayed_events, 1u);
  monitor.stop();
}

TEST(DockerMonitor, LateEngineIsPickedUp) {
  test::TempDir dir;
  ContainerCatalog catalog;
  Statistics statistics;
  MonitorOptions options = fast_options();
  options.backoff_initial = 1h;  // only retry_now() ends a wait
  options.backoff_max = 1h;
  DockerMonitor monitor(catalog, statistics, options);
  monitor.set_sockets({dir / "late.sock"});
  test::EventSink sink;
  monitor.start(sink.submitter(), AgentConfig::defaults());
  EXPECT_FALSE(monitor.wait_for_sessions(1, 100ms));
  EXPECT_THROW(monitor.inventory(), CollectorError);
  FakeEngine engine(dir / "late.sock");
  monitor.retry_now();
  ASSERT_TRUE(monitor.wait_for_sessions(1, 20s));
  EXPECT_EQ(monitor.inventory().size(), 5u);
  monitor.stop();  // returns although the stream is open and the back-off is an hour
}

TEST(DockerMonitor, CatalogMissAsksTheEngineOncePerContainer) {
  test::TempDir dir;
  FakeEngine engine(dir / "engine.sock");
  ContainerCatalog catalog;
  Statistics statistics;
  DockerMonitor monitor(catalog, statistics, fast_options());  // not started: no stream
  monitor.set_sockets({dir / "engine.sock"});
  const std::string inspect_path = "/containers/" + kRisky + "/json";
  for (int i = 0; i < 100; ++i) {
    const auto found = catalog.find(kRisky);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->name, "risky");
  }
  EXPECT_EQ(engine.standin.requests(inspect_path), 1u);
  const std::string unknown(64, 'd');
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(catalog.find(unknown));
  EXPECT_EQ(engine.standin.requests("/containers/" + unknown + "/json"), 1u);
  EXPECT_FALSE(catalog.find("not-an-id"));
  EXPECT_EQ(monitor.cache().size(), 1u);
}

TEST(ContainerInventoryCollector, QuietWhileTheRunningMonitorWaitsForAnEngineAnErrorOtherwise) {
  test::TempDir dir;
  ContainerCatalog catalog;
  Statistics statistics;
  auto monitor = std::make_shared<DockerMonitor>(catalog, statistics, fast_options());
  ContainerInventoryCollector collector(monitor);
  AgentConfig config = AgentConfig::defaults();
  config.local.docker_socket = dir / "absent.sock";
  const HostRoot host("/");
  const CollectorContext context{host, config};
  // run --once: nobody else says the engine is missing.
  try {
    collector.collect(context);
    FAIL() << "no engine and no error";
  } catch (const CollectorError& error) {
    EXPECT_EQ(std::string(error.what()), "no Docker engine socket at " + (dir / "absent.sock").string());
  }
  // The running agent: the monitor said it once and watches; the snapshot is skipped.
  test::EventSink sink;
  monitor->start(sink.submitter(), config);
  EXPECT_TRUE(collector.collect(context).empty());
  // Once the engine is there, the inventory is back.
  FakeEngine engine(dir / "absent.sock");
  monitor->retry_now();
  ASSERT_TRUE(monitor->wait_for_sessions(1, 20s));
  const auto events = collector.collect(context);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].payload.size(), 5u);
  monitor->stop();
}
