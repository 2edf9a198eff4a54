// The deployment analysis on the device: the rules over the container cache's inspect documents
// (fixtures captured from a real engine), what is sent when (snapshot rounds, changes), the
// inventory summary, the debounced re-run on cache changes, and how the agent finds its own
// container. The whole path against a real dockerd and the agent binary is in
// tests/integration/test_deployment_analysis_engine.cpp.
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "../support/event_sink.h"
#include "../support/process.h"
#include "../support/temp_dir.h"
#include "collectors/docker/container_events.h"
#include "collectors/docker/deployment_analysis.h"
#include "collectors/docker/docker_parse.h"
#include "core/host_root.h"
#include "core/self_container.h"

using namespace edgeguard;
using namespace edgeguard::docker;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

using test::eventually;

const std::vector<std::string> kContainers = {"edgeAgent", "edgeHub", "edgeguard", "legacy", "portainer", "sensor"};

json inspect_fixture(const std::string& name) {
  return json::parse(
      *read_whole_file(std::string(EDGEGUARD_TEST_DIR) + "/fixtures/manifest/inspect/" + name + ".json"));
}

RecordPtr record_of(const json& inspect) {
  return std::make_shared<const ContainerRecord>(parse_container_inspect(inspect.dump()));
}

std::vector<RecordPtr> all_records() {
  std::vector<RecordPtr> out;
  for (const auto& name : kContainers) out.push_back(record_of(inspect_fixture(name)));
  return out;
}

// module -> rule ids, from the events' payloads.
std::map<std::string, std::set<std::string>> rules_by_module(const std::vector<Event>& events) {
  std::map<std::string, std::set<std::string>> out;
  for (const auto& event : events) {
    for (const auto& item : event.payload) out[item["Module"]].insert(item["RuleId"].get<std::string>());
  }
  return out;
}

const json* item_of(const std::vector<Event>& events, const std::string& module, const std::string& rule) {
  for (const auto& event : events) {
    for (const auto& item : event.payload) {
      if (item["Module"] == module && item["RuleId"] == rule) return &item;
    }
  }
  return nullptr;
}

test::CommandResult validate(const std::vector<Event>& events) {
  test::TempDir dir;
  test::write_messages(events, dir / "messages.jsonl");
  return test::validate_messages({(dir / "messages.jsonl").string()});
}

}  // namespace

TEST(EngineAnalysis, SnapshotNamesEveryEdgeModuleAndNothingElse) {
  EngineAnalysis analysis;
  const auto events = analysis.snapshot_events(all_records(), 32 * 1024);
  const auto modules = rules_by_module(events);
  // portainer is no IoT Edge module: not analysed.
  EXPECT_EQ(modules.count("portainer"), 0u);
  for (const char* module : {"edgeAgent", "edgeHub", "edgeguard", "legacy", "sensor"})
    EXPECT_EQ(modules.count(module), 1u) << module;
  EXPECT_TRUE(modules.at("legacy").count("EGD001"));  // privileged
  EXPECT_TRUE(modules.at("legacy").count("EGD003"));  // host network
  for (const auto& event : events) {
    EXPECT_EQ(event.name, "DeploymentFinding");
    EXPECT_EQ(event.category, EventCategory::Periodic);
    EXPECT_EQ(event.channel.output, "securityRecommendations");
    for (const auto& item : event.payload) {
      EXPECT_EQ(item["Source"], "Engine");
      EXPECT_EQ(item["ContainerId"].get<std::string>().size(), 64u);
      EXPECT_EQ(item["Module"], event.payload[0]["Module"]);  // one module per event
    }
  }
  const auto validation = validate(events);
  EXPECT_EQ(validation.exit_code, 0) << validation.out << validation.err;
}

TEST(EngineAnalysis, TheAgentIsRecognisedByNameAndImageOrByItsOwnContainer) {
  {
    EngineAnalysis analysis;
    const auto events = analysis.snapshot_events(all_records(), 32 * 1024);
    const json* own = item_of(events, "edgeguard", "EGD003");
    ASSERT_TRUE(own);
    EXPECT_EQ((*own)["Severity"], "Low");
    EXPECT_EQ((*own)["SecurityAgent"], true);
    EXPECT_EQ((*item_of(events, "legacy", "EGD001"))["Severity"], "Critical");
  }
  {
    // On the device the agent knows its container: that one, and only that one, is the agent.
    analysis::AnalysisOptions options;
    options.agent.self_container_id = inspect_fixture("legacy")["Id"];
    EngineAnalysis analysis(options);
    const auto events = analysis.snapshot_events(all_records(), 32 * 1024);
    EXPECT_EQ((*item_of(events, "legacy", "EGD001"))["Severity"], "Low");
    EXPECT_EQ((*item_of(events, "legacy", "EGD001"))["SecurityAgent"], true);
    EXPECT_EQ((*item_of(events, "edgeguard", "EGD003"))["Severity"], "High");
  }
}

TEST(EngineAnalysis, OnlyChangedContainersAreAnalysedAndOnlyChangedFindingsSent) {
  EngineAnalysis analysis;
  auto records = all_records();
  ASSERT_FALSE(analysis.snapshot_events(records, 32 * 1024).empty());
  EXPECT_EQ(analysis.containers_analysed(), 5u);

  // Nothing changed: nothing analysed, nothing sent.
  EXPECT_TRUE(analysis.change_events(records, 32 * 1024).empty());
  EXPECT_EQ(analysis.containers_analysed(), 5u);

  // A restart: a new record with the same settings is analysed again, but nothing is sent.
  json sensor = inspect_fixture("sensor");
  sensor["State"]["Status"] = "exited";
  records[5] = record_of(sensor);
  EXPECT_TRUE(analysis.change_events(records, 32 * 1024).empty());
  EXPECT_EQ(analysis.containers_analysed(), 6u);

  // A setting that changes the findings: that module, all of its current findings, Triggered.
  json legacy = inspect_fixture("legacy");
  legacy["HostConfig"]["Privileged"] = false;
  records[3] = record_of(legacy);
  const auto events = analysis.change_events(records, 32 * 1024);
  const auto modules = rules_by_module(events);
  ASSERT_EQ(modules.size(), 1u);
  EXPECT_FALSE(modules.at("legacy").count("EGD001"));
  EXPECT_TRUE(modules.at("legacy").count("EGD003"));
  for (const auto& event : events) EXPECT_EQ(event.category, EventCategory::Triggered);
  EXPECT_TRUE(analysis.change_events(records, 32 * 1024).empty());
  const auto validation = validate(events);
  EXPECT_EQ(validation.exit_code, 0) << validation.out << validation.err;

  // A new risky module is sent; a removed one is forgotten (and sent again if it comes back).
  records.erase(records.begin() + 3);
  EXPECT_TRUE(analysis.change_events(records, 32 * 1024).empty());
  records.push_back(record_of(legacy));
  EXPECT_EQ(rules_by_module(analysis.change_events(records, 32 * 1024)).count("legacy"), 1u);
}

TEST(EngineAnalysis, NothingFoundGivesAnEmptySnapshotAndNoTriggeredEvent) {
  EngineAnalysis analysis;
  const std::vector<RecordPtr> only_portainer = {record_of(inspect_fixture("portainer"))};
  const auto snapshot = analysis.snapshot_events(only_portainer, 32 * 1024);
  ASSERT_EQ(snapshot.size(), 1u);
  EXPECT_TRUE(snapshot[0].is_empty());
  EXPECT_TRUE(analysis.change_events(only_portainer, 32 * 1024).empty());
  EXPECT_EQ(validate(snapshot).exit_code, 0);
}

TEST(EngineAnalysis, InventoryCarriesEachModulesCounts) {
  EngineAnalysis analysis;
  const auto records = all_records();
  const auto counts = analysis.summaries(records);
  EXPECT_EQ(counts.size(), 5u);
  const std::string legacy_id = inspect_fixture("legacy")["Id"];
  ASSERT_TRUE(counts.count(legacy_id));
  EXPECT_EQ(counts.at(legacy_id)["Highest"], "Critical");
  EXPECT_GE(counts.at(legacy_id)["Critical"].get<int>(), 1);

  const auto inventory = make_inventory_events(records, 64 * 1024, counts);
  size_t with_counts = 0;
  for (const auto& event : inventory) {
    for (const auto& item : event.payload) {
      if (item.contains("DeploymentFindings")) ++with_counts;
      if (item["ContainerName"] == "portainer") {
        EXPECT_FALSE(item.contains("DeploymentFindings"));
      }
    }
  }
  EXPECT_EQ(with_counts, 5u);
  const auto validation = validate(inventory);
  EXPECT_EQ(validation.exit_code, 0) << validation.out << validation.err;
}

// The watcher follows the cache the engine collector keeps; the monitor is not started here
// (no engine), the test writes the cache as the engine thread would.
TEST(DeploymentAnalysisWatcher, ReRunsOnceAfterABurstOfChanges) {
  ContainerCatalog catalog;
  Statistics statistics;
  auto monitor = std::make_shared<DockerMonitor>(catalog, statistics);
  auto analysis = std::make_shared<EngineAnalysis>();
  DeploymentAnalysisWatcher watcher(monitor, analysis, WatchOptions{100ms, 2000ms});
  test::EventSink sink;
  const HostRoot host("/");
  const AgentConfig config = AgentConfig::defaults();
  watcher.start(CollectorContext{host, config}, sink.submitter());

  // A non-module container changes nothing.
  monitor->cache().put(parse_container_inspect(inspect_fixture("portainer").dump()));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(watcher.rounds(), 0u);

  // Before the first snapshot round nothing is sent: that round reports the state.
  for (const auto& name : kContainers) monitor->cache().put(parse_container_inspect(inspect_fixture(name).dump()));
  ASSERT_TRUE(eventually([&] { return watcher.rounds() == 1; }));
  EXPECT_TRUE(sink.events().empty());

  // After it (here: a round that found no engine), a deployment: several modules at once, one round.
  analysis->note_snapshot_round();
  for (const auto& name : kContainers) monitor->cache().put(parse_container_inspect(inspect_fixture(name).dump()));
  ASSERT_TRUE(eventually([&] { return watcher.rounds() == 2; }));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(watcher.rounds(), 2u);
  const auto first = sink.events();
  EXPECT_EQ(rules_by_module(first).size(), 5u);
  for (const auto& event : first) EXPECT_EQ(event.category, EventCategory::Triggered);

  // The same settings again (a restart): a round, no event.
  monitor->cache().put(parse_container_inspect(inspect_fixture("sensor").dump()));
  ASSERT_TRUE(eventually([&] { return watcher.rounds() == 3; }));
  EXPECT_EQ(sink.events().size(), first.size());

  // A changed module: only it.
  json legacy = inspect_fixture("legacy");
  legacy["HostConfig"]["NetworkMode"] = "azure-iot-edge";
  monitor->cache().put(parse_container_inspect(legacy.dump()));
  ASSERT_TRUE(eventually([&] { return watcher.rounds() == 4; }));
  const auto all = sink.events();
  const std::vector<Event> added(all.begin() + static_cast<std::ptrdiff_t>(first.size()), all.end());
  const auto modules = rules_by_module(added);
  ASSERT_EQ(modules.size(), 1u);
  EXPECT_FALSE(modules.at("legacy").count("EGD003"));

  // Switched off: no analysis at all.
  AgentConfig off = config;
  off.event_priority["DeploymentFinding"] = Priority::Off;
  watcher.reconfigure(off);
  const uint64_t analysed = analysis->containers_analysed();
  legacy["HostConfig"]["Privileged"] = false;
  monitor->cache().put(parse_container_inspect(legacy.dump()));
  ASSERT_TRUE(eventually([&] { return watcher.rounds() == 5; }));
  EXPECT_EQ(analysis->containers_analysed(), analysed);
  watcher.stop();
}

TEST(SelfContainer, FromTheFilesTheEngineBindMounts) {
  const std::string id = "52e50525ce75cb99adc552074c14b6c201c486a9c6e6f42b3374a6d2df4e7874";
  const std::string docker =
      "812 751 0:180 / / rw,relatime master:409 - overlay overlay rw,lowerdir=/var/lib/docker/overlay2/l/A\n"
      "813 812 0:183 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw\n"
      "820 812 8:1 /var/lib/docker/containers/" +
      id +
      "/resolv.conf /etc/resolv.conf rw,relatime - ext4 /dev/sda1 rw\n"
      "821 812 8:1 /var/lib/docker/containers/" +
      id + "/hostname /etc/hostname rw,relatime - ext4 /dev/sda1 rw\n";
  EXPECT_EQ(container_id_from_mountinfo(docker), id);
  // A data root on its own file system.
  EXPECT_EQ(
      container_id_from_mountinfo("30 25 253:2 /containers/" + id + "/hostname /etc/hostname rw - xfs /dev/dm-2 rw"),
      id);
  // Not a container, or a bind that merely looks like one.
  EXPECT_EQ(container_id_from_mountinfo("22 27 0:21 / /proc rw,relatime - proc proc rw\n"), "");
  EXPECT_EQ(container_id_from_mountinfo("40 25 8:1 /var/lib/docker/containers/" + id +
                                        "/hostname /mnt/x rw - ext4 /dev/sda1 rw"),
            "");
  EXPECT_EQ(container_id_from_mountinfo("40 25 8:1 /var/lib/docker/mycontainers/" + id +
                                        "/hostname /etc/hostname rw - ext4 a rw"),
            "");
  EXPECT_EQ(container_id_from_mountinfo("40 25 8:1 /containers/" + id.substr(1) + "/hostname /etc/hostname rw"), "");
  EXPECT_EQ(container_id_from_mountinfo("40 25 8:1"), "");
  EXPECT_EQ(container_id_from_mountinfo(""), "");

  test::TempDir proc;
  std::ofstream(proc / "cgroup") << "0::/\n";
  std::ofstream(proc / "mountinfo") << docker;
  EXPECT_EQ(own_container_id(proc.path()), id);  // cgroup v2 with a private namespace: from mountinfo
  const std::string other = "0809993cbcab7f93169c44f35aaf37b9f7562604d28720740fe0c9862e64a70f";
  std::ofstream(proc / "cgroup") << "12:memory:/docker/" << other << "\n";
  EXPECT_EQ(own_container_id(proc.path()), other);
  test::TempDir empty;
  EXPECT_EQ(own_container_id(empty.path()), "");
}
