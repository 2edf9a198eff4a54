// The Docker collector against a real engine: Debian's dockerd on a private socket, data root
// and cgroup parent (tests/support/docker_daemon.h), an image imported from busybox-static,
// containers with risky and clean settings. Privileged and --cap-add ALL containers cannot
// start on this machine (it withholds CAP_SYS_RESOURCE from containers), so they are created
// but not started: their inspect still shows what they would run with.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <set>
#include <thread>

#include "../support/docker_daemon.h"
#include "../support/event_sink.h"
#include "../support/process.h"
#include "../support/temp_dir.h"
#include "collectors/docker/docker_collectors.h"
#include "collectors/docker/docker_monitor.h"
#include "core/cgroup_container_id.h"
#include "core/host_root.h"

using namespace edgeguard;
using namespace edgeguard::docker;
using namespace std::chrono_literals;

namespace {

using test::eventually;

constexpr const char* kImage = "edgeguard-test/busybox:1";
constexpr const char* kEdgeOwner = "net.azure-devices.edge.owner=Microsoft.Azure.Devices.Edge.Agent";

MonitorOptions quick_retries() {
  MonitorOptions options;
  options.backoff_initial = 100ms;
  options.backoff_max = 500ms;
  return options;
}

std::map<std::string, nlohmann::json> items_by_name(const std::vector<Event>& events) {
  std::map<std::string, nlohmann::json> out;
  for (const auto& event : events) {
    for (const auto& item : event.payload) out[item["ContainerName"]] = item;
  }
  return out;
}

size_t count_of(test::EventSink& sink, const std::string& name, const std::string& action, const std::string& container) {
  return sink.count([&](const Event& event) {
    return event.name == name && !event.payload.empty() && event.payload[0].value("Action", "") == action &&
           event.payload[0].value("ContainerName", "") == container;
  });
}

class DockerEngine : public ::testing::Test {
 protected:
  void SetUp() override {
    daemon_ = std::make_unique<test::DockerDaemon>();
    daemon_->import_busybox(kImage);
    config_.local.docker_socket = daemon_->socket();
  }
  void TearDown() override { daemon_.reset(); }

  std::string id_of(const std::string& name) { return daemon_->must({"inspect", "-f", "{{.Id}}", name}); }

  std::unique_ptr<test::DockerDaemon> daemon_;
  AgentConfig config_ = AgentConfig::defaults();
  HostRoot host_{"/"};
};

}  // namespace

TEST_F(DockerEngine, InventoryShowsEveryContainersEffectiveSettings) {
  const std::string socket = daemon_->socket().string();
  daemon_->must({"run", "-d", "--name", "confined", "--memory", "64m", "--pids-limit", "100", "--cpus", "0.5",
                 "--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges", "-u", "1000:1000", kImage,
                 "sleep", "600"});
  daemon_->must({"run", "-d", "--name", "hostile", "--network", "host", "--pid", "host", "--cap-add", "SYS_ADMIN", "-v",
                 socket + ":/var/run/docker.sock", "-v", "/etc:/host/etc:ro", kImage, "sleep", "600"});
  daemon_->must({"create", "--name", "privileged", "--privileged", kImage, "sleep", "1"});
  daemon_->must({"create", "--name", "allcaps", "--cap-add", "ALL", "-p", "127.0.0.1:18883:8883", kImage, "sleep", "1"});
  daemon_->must({"run", "-d", "--name", "telemetry", "--label", kEdgeOwner, "-e", "SharedAccessKey=SECRET-DO-NOT-LOG",
                 kImage, "sleep", "600"});

  ContainerCatalog catalog;
  Statistics statistics;
  auto monitor = std::make_shared<DockerMonitor>(catalog, statistics, quick_retries());
  ContainerInventoryCollector collector(monitor);
  const CollectorContext context{host_, config_};

  // Not following the engine yet: the collector reads it directly.
  const auto direct = collector.collect(context);
  auto items = items_by_name(direct);
  ASSERT_EQ(items.size(), 5u);
  for (const auto& event : direct) {
    EXPECT_EQ(event.name, "ContainerInventory");
    EXPECT_EQ(event.channel.output, "containerInventory");
  }
  const auto& confined = items["confined"]["Settings"];
  EXPECT_EQ(items["confined"]["State"], "running");
  EXPECT_EQ(confined["MemoryLimitBytes"], 64 * 1024 * 1024);
  EXPECT_EQ(confined["PidsLimit"], 100);
  EXPECT_EQ(confined["NanoCpus"], 500000000);
  EXPECT_EQ(confined["ReadonlyRootfs"], true);
  EXPECT_EQ(confined["CapDrop"], nlohmann::json::array({"ALL"}));
  EXPECT_EQ(confined["SecurityOpt"], nlohmann::json::array({"no-new-privileges"}));
  EXPECT_EQ(confined["User"], "1000:1000");
  EXPECT_EQ(confined["NetworkMode"], "default");

  const auto& hostile = items["hostile"]["Settings"];
  EXPECT_EQ(items["hostile"]["State"], "running");
  EXPECT_EQ(hostile["NetworkMode"], "host");
  EXPECT_EQ(hostile["PidMode"], "host");
  EXPECT_EQ(hostile["CapAdd"], nlohmann::json::array({"SYS_ADMIN"}));
  EXPECT_EQ(hostile["MemoryLimitBytes"], 0);
  EXPECT_EQ(hostile["PidsLimit"], 0);
  std::set<std::string> binds;
  for (const auto& mount : hostile["Mounts"]) {
    binds.insert(mount["Source"].get<std::string>() + "->" + mount["Destination"].get<std::string>() +
                 (mount["ReadOnly"].get<bool>() ? ":ro" : ":rw"));
  }
  EXPECT_EQ(binds, (std::set<std::string>{socket + "->/var/run/docker.sock:rw", "/etc->/host/etc:ro"}));

  EXPECT_EQ(items["privileged"]["State"], "created");
  EXPECT_EQ(items["privileged"]["Settings"]["Privileged"], true);
  EXPECT_EQ(items["privileged"]["StartedAt"], "");
  EXPECT_EQ(items["allcaps"]["Settings"]["CapAdd"], nlohmann::json::array({"ALL"}));
  EXPECT_EQ(items["allcaps"]["Settings"]["PortBindings"],
            nlohmann::json::parse(R"([{"ContainerPort":"8883/tcp","HostIp":"127.0.0.1","HostPort":"18883"}])"));
  EXPECT_EQ(items["telemetry"]["EdgeModule"], "telemetry");
  EXPECT_EQ(items["confined"]["EdgeModule"], "");
  EXPECT_EQ(items["telemetry"]["Image"], kImage);
  EXPECT_EQ(items["telemetry"]["ImageId"].get<std::string>().rfind("sha256:", 0), 0u);

  // Following the engine: the same inventory, now from the cache.
  test::EventSink sink;
  monitor->set_sockets({daemon_->socket()});
  monitor->start(sink.submitter(), config_);
  ASSERT_TRUE(monitor->wait_for_sessions(1, 60s)) << monitor->status().last_error;
  const auto cached = collector.collect(context);
  EXPECT_EQ(items_by_name(cached), items);
  EXPECT_TRUE(sink.events().empty()) << "existing containers are the inventory's news, not lifecycle events";

  // The edge module's environment holds a secret: it is in the cache, never in an event.
  EXPECT_NE(monitor->cache().get(id_of("telemetry"))->inspect.dump().find("SECRET-DO-NOT-LOG"), std::string::npos);
  test::TempDir dir;
  test::write_messages(cached, dir / "inventory.jsonl");
  const auto text = read_whole_file(dir / "inventory.jsonl");
  ASSERT_TRUE(text);
  EXPECT_EQ(text->find("SECRET-DO-NOT-LOG"), std::string::npos);
  const auto validation = test::validate_messages({(dir / "inventory.jsonl").string()});
  EXPECT_EQ(validation.exit_code, 0) << validation.out << validation.err;
  monitor->stop();
}

TEST_F(DockerEngine, LifecycleAndExecEventsArrive) {
  ContainerCatalog catalog;
  Statistics statistics;
  DockerMonitor monitor(catalog, statistics, quick_retries());
  monitor.set_sockets({daemon_->socket()});
  test::EventSink sink;
  monitor.start(sink.submitter(), config_);
  ASSERT_TRUE(monitor.wait_for_sessions(1, 60s)) << monitor.status().last_error;

  EXPECT_EQ(daemon_->cli({"run", "--name", "exits3", kImage, "sh", "-c", "exit 3"}).exit_code, 3);
  const auto create = sink.wait_for("ContainerLifecycle", "create", "exits3");
  const auto start = sink.wait_for("ContainerLifecycle", "start", "exits3");
  const auto die = sink.wait_for("ContainerLifecycle", "die", "exits3");
  ASSERT_TRUE(create && start && die);
  const std::string id = id_of("exits3");
  EXPECT_EQ(create->payload[0]["ContainerId"], id);
  EXPECT_EQ(create->payload[0]["Image"], kImage);
  EXPECT_EQ(create->payload[0]["Source"], "EventStream");
  EXPECT_EQ(create->payload[0]["Settings"]["Privileged"], false);
  EXPECT_EQ(create->channel.output, "containerActivity");
  EXPECT_EQ(die->payload[0]["ExitCode"], 3);
  EXPECT_LE(create->time, start->time);
  EXPECT_LE(start->time, die->time);
  daemon_->must({"rm", "exits3"});
  const auto destroy = sink.wait_for("ContainerLifecycle", "destroy", "exits3");
  ASSERT_TRUE(destroy);
  EXPECT_EQ(destroy->payload[0]["ContainerId"], id);
  EXPECT_FALSE(catalog.find(id)) << "a destroyed container leaves the catalog";

  daemon_->must({"run", "-d", "--name", "target", "--label", kEdgeOwner, kImage, "sleep", "600"});
  daemon_->cli({"exec", "-u", "0", "--privileged", "target", "id"});  // may be refused here; the attempt counts
  const auto exec_create = sink.wait_for("ContainerExec", "exec_create", "target");
  ASSERT_TRUE(exec_create);
  EXPECT_EQ(exec_create->payload[0]["Command"], "id");
  EXPECT_EQ(exec_create->payload[0]["User"], "0");
  EXPECT_EQ(exec_create->payload[0]["Privileged"], true);
  EXPECT_EQ(exec_create->payload[0]["EdgeModule"], "target");
  EXPECT_EQ(exec_create->channel.output, "containerActivity");
  daemon_->must({"exec", "target", "sh", "-c", "echo hello"});
  const auto exec_start = sink.wait_for([](const Event& event) {
    return event.name == "ContainerExec" && event.payload[0]["Action"] == "exec_start" &&
           event.payload[0]["Command"] == "sh -c echo hello";
  });
  ASSERT_TRUE(exec_start);
  EXPECT_EQ(exec_start->payload[0]["ContainerName"], "target");

  // Out of memory: the kernel kills it, the engine reports oom, then die with 137.
  daemon_->cli({"run", "--name", "oomer", "-m", "8m", "--memory-swap", "8m", kImage, "sh", "-c",
                "x=a; while true; do x=$x$x; done"});
  EXPECT_TRUE(sink.wait_for("ContainerLifecycle", "oom", "oomer"));
  const auto oom_die = sink.wait_for("ContainerLifecycle", "die", "oomer");
  ASSERT_TRUE(oom_die);
  EXPECT_EQ(oom_die->payload[0]["ExitCode"], 137);

  // The engine's own health probes are execs too; they are not someone exec'ing.
  daemon_->must({"run", "-d", "--name", "probed", "--health-cmd", "true", "--health-interval", "1s", kImage, "sleep", "600"});
  ASSERT_TRUE(eventually([&] { return monitor.status().health_probes >= 2; }, 60s));
  EXPECT_EQ(count_of(sink, "ContainerExec", "exec_start", "probed"), 0u);
  daemon_->must({"exec", "probed", "/bin/sh", "-c", "true;"});  // anything else is still reported
  EXPECT_TRUE(sink.wait_for("ContainerExec", "exec_start", "probed"));

  EXPECT_EQ(monitor.status().malformed_events, 0u);
  EXPECT_EQ(statistics.totals().high.dropped, 0u);
  test::TempDir dir;
  test::write_messages(sink.events(), dir / "activity.jsonl");
  const auto validation = test::validate_messages({(dir / "activity.jsonl").string()});
  EXPECT_EQ(validation.exit_code, 0) << validation.out << validation.err;
  monitor.stop();
}

TEST_F(DockerEngine, ProcessesInAContainerAreAttributedToIt) {
  ContainerCatalog catalog;
  Statistics statistics;
  DockerMonitor monitor(catalog, statistics, quick_retries());
  monitor.set_sockets({daemon_->socket()});
  test::EventSink sink;
  monitor.start(sink.submitter(), config_);
  ASSERT_TRUE(monitor.wait_for_sessions(1, 60s));

  daemon_->must({"run", "-d", "--name", "sensor", "--label", kEdgeOwner, kImage, "sleep", "600"});
  const std::string id = id_of("sensor");
  ASSERT_TRUE(sink.wait_for("ContainerLifecycle", "start", "sensor"));
  daemon_->must({"exec", "-d", "sensor", "sleep", "601"});
  ASSERT_TRUE(eventually([&] { return daemon_->container_pids(id).size() >= 2; }));
  // The engine thread asks the engine about the exec (exec_create: inspect) on its own time;
  // once it has reported the exec's start it is done, and only catalog lookups could ask.
  ASSERT_TRUE(sink.wait_for("ContainerExec", "exec_start", "sensor"));

  // What the kernel collector will do for each process event: cgroup -> id -> catalog.
  const uint64_t requests_before = monitor.engine_requests();
  for (const pid_t pid : daemon_->container_pids(id)) {
    const auto cgroup = read_whole_file("/proc/" + std::to_string(pid) + "/cgroup");
    ASSERT_TRUE(cgroup) << pid;
    const std::string container = container_id_from_proc_cgroup(*cgroup);
    EXPECT_EQ(container, id) << *cgroup;
    const auto info = catalog.find(container);
    ASSERT_TRUE(info) << pid;
    EXPECT_EQ(info->name, "sensor");
    EXPECT_EQ(info->image, kImage);
    EXPECT_EQ(info->edge_module, "sensor");
    EXPECT_EQ(info->image_id.rfind("sha256:", 0), 0u);
  }
  EXPECT_EQ(monitor.engine_requests(), requests_before) << "known containers are answered from the cache";
  EXPECT_EQ(container_id_from_proc_cgroup(*read_whole_file("/proc/self/cgroup")), "") << "the test itself is on the host";
  monitor.stop();
}

TEST_F(DockerEngine, AnUnknownContainerCostsOneEngineRequest) {
  ContainerCatalog catalog;
  Statistics statistics;
  DockerMonitor monitor(catalog, statistics, quick_retries());  // not following: only the resolver
  monitor.set_sockets({daemon_->socket()});
  const std::string id = daemon_->must({"create", "--name", "newcomer", kImage, "sleep", "1"});
  ASSERT_TRUE(is_container_id(id)) << id;

  const uint64_t before = monitor.engine_requests();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) catalog.find(id);
    });
  }
  for (auto& thread : threads) thread.join();
  const auto info = catalog.find(id);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->name, "newcomer");
  EXPECT_EQ(monitor.engine_requests() - before, 1u);

  const std::string never(64, 'e');
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(catalog.find(never));
  EXPECT_EQ(monitor.engine_requests() - before, 2u);
}

TEST_F(DockerEngine, EngineRestartMissesNoChange) {
  // Containers that stop with the engine exit in 1 s instead of waiting 10 s for SIGKILL.
  daemon_->must({"run", "-d", "--name", "keeper", "--restart", "always", "--stop-timeout", "1", kImage, "sleep", "600"});
  daemon_->must({"run", "-d", "--name", "victim", "--stop-timeout", "1", kImage, "sleep", "600"});
  daemon_->must({"create", "--name", "doomed", kImage, "sleep", "1"});
  const std::string doomed = id_of("doomed");

  ContainerCatalog catalog;
  Statistics statistics;
  MonitorOptions options;
  options.backoff_initial = 1h;  // the test decides when the collector is back (retry_now)
  options.backoff_max = 1h;
  DockerMonitor monitor(catalog, statistics, options);
  monitor.set_sockets({daemon_->socket()});
  test::EventSink sink;
  monitor.start(sink.submitter(), config_);
  ASSERT_TRUE(monitor.wait_for_sessions(1, 60s));

  daemon_->stop();  // SIGTERM by PID: the engine stops keeper and victim on its way out
  ASSERT_TRUE(eventually([&] { return !monitor.status().connected; }));
  daemon_->start();  // keeper comes back (restart policy); victim stays down
  // While the collector is still away:
  daemon_->must({"create", "--name", "latecomer", kImage, "sleep", "1"});
  daemon_->must({"rm", "doomed"});
  EXPECT_EQ(daemon_->cli({"run", "--name", "quick", kImage, "sh", "-c", "exit 7"}).exit_code, 7);
  ASSERT_TRUE(eventually([&] { return daemon_->must({"inspect", "-f", "{{.State.Running}}", "keeper"}) == "true"; }));

  monitor.retry_now();
  ASSERT_TRUE(monitor.wait_for_sessions(2, 60s)) << monitor.status().last_error;
  const auto latecomer = sink.wait_for("ContainerLifecycle", "create", "latecomer");
  ASSERT_TRUE(latecomer);
  EXPECT_EQ(latecomer->payload[0]["Source"], "Resync");
  EXPECT_TRUE(latecomer->payload[0].contains("Settings"));
  const auto gone = sink.wait_for("ContainerLifecycle", "destroy", "doomed");
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->payload[0]["ContainerId"], doomed);
  const auto quick_die = sink.wait_for("ContainerLifecycle", "die", "quick");
  ASSERT_TRUE(quick_die);
  EXPECT_EQ(quick_die->payload[0]["ExitCode"], 7);
  ASSERT_TRUE(sink.wait_for("ContainerLifecycle", "die", "victim"));
  ASSERT_TRUE(sink.wait_for("ContainerLifecycle", "start", "keeper"));

  // Each change exactly once, whether the stream saw it before the engine went or the resync
  // found it after.
  EXPECT_EQ(count_of(sink, "ContainerLifecycle", "create", "latecomer"), 1u);
  EXPECT_EQ(count_of(sink, "ContainerLifecycle", "destroy", "doomed"), 1u);
  EXPECT_EQ(count_of(sink, "ContainerLifecycle", "create", "quick"), 1u);
  EXPECT_EQ(count_of(sink, "ContainerLifecycle", "start", "quick"), 1u);
  EXPECT_EQ(count_of(sink, "ContainerLifecycle", "die", "quick"), 1u);
  EXPECT_EQ(count_of(sink, "ContainerLifecycle", "die", "victim"), 1u);
  EXPECT_EQ(count_of(sink, "ContainerLifecycle", "die", "keeper"), 1u);
  EXPECT_EQ(count_of(sink, "ContainerLifecycle", "start", "keeper"), 1u);
  EXPECT_EQ(count_of(sink, "ContainerLifecycle", "start", "victim"), 0u);
  EXPECT_FALSE(catalog.find(doomed));
  EXPECT_TRUE(catalog.find(id_of("latecomer")));

  // And the stream is followed again.
  daemon_->must({"rm", "latecomer"});
  const auto destroy = sink.wait_for("ContainerLifecycle", "destroy", "latecomer");
  ASSERT_TRUE(destroy);
  EXPECT_EQ(destroy->payload[0]["Source"], "EventStream");
  monitor.stop();
}

TEST(DockerDaemonCleanup, LeavesNothingBehind) {
  std::filesystem::path dir;
  std::string cgroup_parent;
  pid_t pid = -1;
  {
    test::DockerDaemon daemon;
    daemon.import_busybox(kImage);
    // Host network makes the engine bind-mount a network namespace under its exec root.
    daemon.must({"run", "-d", "--name", "netns", "--network", "host", kImage, "sleep", "600"});
    daemon.must({"create", "--name", "idle", kImage, "sleep", "1"});
    dir = daemon.directory();
    cgroup_parent = daemon.cgroup_parent();
    pid = daemon.pid();
    ASSERT_TRUE(std::filesystem::exists(dir / "docker.sock"));
  }
  EXPECT_FALSE(std::filesystem::exists(dir));
  EXPECT_NE(kill(pid, 0), 0) << "dockerd " << pid << " still runs";
  const auto mounts = read_whole_file("/proc/self/mountinfo");
  ASSERT_TRUE(mounts);
  EXPECT_EQ(mounts->find(dir.string()), std::string::npos);
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/sys/fs/cgroup", ec)) {
    EXPECT_FALSE(std::filesystem::exists(entry.path() / cgroup_parent)) << entry.path();
  }
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::path("/sys/fs/cgroup") / cgroup_parent));
}

// The harness restarts engines (EngineRestartMissesNoChange). dockerd waits at most 10 s for its
// containerd on the way out; one that takes longer dies only after dockerd has exited, and until
// it is reaped a new dockerd on the same exec root takes it for a running containerd and gives
// up after 15 s. stop() returns once that containerd is gone, so start() works at once.
TEST(DockerDaemonRestart, StartsAgainAtOnceAfterItsContainerdWasSlowToStop) {
  test::DockerDaemon daemon;
  const auto pid_text = read_whole_file(daemon.directory() / "exec" / "containerd" / "containerd.pid");
  ASSERT_TRUE(pid_text);
  const pid_t containerd = std::stoi(*pid_text);
  const auto cmdline = read_whole_file("/proc/" + std::to_string(containerd) + "/cmdline");
  ASSERT_TRUE(cmdline && cmdline->find(daemon.directory().string() + "/") != std::string::npos) << containerd;
  ASSERT_EQ(kill(containerd, SIGSTOP), 0);  // cannot stop in time: dockerd leaves without it
  daemon.stop();
  EXPECT_NE(kill(containerd, 0), 0) << "containerd " << containerd << " outlived stop()";
  daemon.start();
  EXPECT_FALSE(daemon.must({"version", "-f", "{{.Server.Version}}"}).empty());
}

// The agent binary with an engine that starts after it: one clear log line while it waits,
// lifecycle, exec and inventory messages once it is there, all schema-valid, no secret in
// the output or the log.
TEST(DockerAgent, FollowsAnEngineThatStartsLate) {
  test::TempDir dir;
  test::DockerDaemon daemon(/*start_now=*/false);
  {
    std::ofstream config(dir / "config.json");
    config << nlohmann::json{{"dockerSocket", daemon.socket().string()},
                             {"highPriorityMessageFrequency", "PT1S"},
                             {"lowPriorityMessageFrequency", "PT1S"},
                             {"snapshotFrequency", "PT2S"}}
                  .dump();
  }
  const auto output = dir / "out.jsonl";
  const auto log = dir / "agent.log";
  test::ChildProcess agent({test::edgeguard_binary(), "run", "--config", (dir / "config.json").string(), "--state-dir",
                            (dir / "state").string(), "--output", output.string()},
                           "", log.string());
  const auto log_text = [&] { return read_whole_file(log).value_or(""); };
  const auto count = [](const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  };
  ASSERT_TRUE(eventually([&] { return log_text().find("no Docker engine socket at " + daemon.socket().string()) != std::string::npos; }))
      << log_text();
  std::this_thread::sleep_for(3s);  // several back-off rounds and inventory attempts without an engine

  daemon.start();
  daemon.import_busybox(kImage);
  ASSERT_TRUE(eventually([&] { return log_text().find("watching Docker Engine") != std::string::npos; }, 60s)) << log_text();
  daemon.must({"run", "-d", "--name", "edgeAgent", "--label", kEdgeOwner, "-e", "SharedAccessKey=SECRET-DO-NOT-LOG", kImage,
               "sleep", "600"});
  daemon.must({"exec", "edgeAgent", "id"});
  daemon.cli({"run", "--name", "once", kImage, "sh", "-c", "exit 4"});
  daemon.must({"rm", "once"});

  const auto output_has = [&](const std::string& what) {
    return read_whole_file(output).value_or("").find(what) != std::string::npos;
  };
  ASSERT_TRUE(eventually([&] {
    return output_has(R"("Action":"destroy")") && output_has(R"("Action":"exec_start")") &&
           output_has(R"("ContainerName":"edgeAgent","EdgeModule":"edgeAgent")") && output_has("\"ContainerInventory\"");
  }, 60s));
  agent.signal(SIGTERM);
  EXPECT_EQ(agent.wait(30s), 0);

  const std::string text = log_text();
  EXPECT_EQ(count(text, "no Docker engine socket"), 1u) << text;
  EXPECT_EQ(text.find("SECRET-DO-NOT-LOG"), std::string::npos);
  const std::string messages = read_whole_file(output).value_or("");
  EXPECT_EQ(messages.find("SECRET-DO-NOT-LOG"), std::string::npos);
  EXPECT_NE(messages.find(R"("Action":"die","ContainerId")"), std::string::npos);
  EXPECT_NE(messages.find(R"("ExitCode":4)"), std::string::npos);
  const auto validation = test::validate_messages({output.string()});
  EXPECT_EQ(validation.exit_code, 0) << validation.out << validation.err;
  EXPECT_NE(validation.out.find("ContainerLifecycle"), std::string::npos) << validation.out;
  EXPECT_NE(validation.out.find("ContainerExec"), std::string::npos) << validation.out;
  EXPECT_NE(validation.out.find("ContainerInventory"), std::string::npos) << validation.out;
}
