// The enrichment layer: records from a kernel source to ProcessCreate / ConnectionCreate events,
// against a fixture host tree (its /etc/passwd and /proc).
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <fstream>

#include "../support/temp_dir.h"
#include "collectors/process/cgroup_path.h"
#include "collectors/process/kernel_event_processor.h"
#include "collectors/process/process_table.h"

using namespace edgeguard;

namespace {

const std::string kId = "3f4e1b7c9a2d8e6f0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a";

void write(const std::filesystem::path& file, const std::string& text) {
  std::filesystem::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << text;
}

// A host tree with users and one process in /proc.
class Fixture : public ::testing::Test {
 protected:
  Fixture() : host_(dir_.path()) {
    write(dir_ / "etc/passwd", "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n");
    add_proc(4242, 1, 1000, 5555, "/usr/bin/curl", std::string("curl\0https://example.org\0", 26),
             "12:pids:/docker/" + kId + "\n0::/\n");
    processor_.configure(ProcessorSettings::from(AgentConfig::defaults()));
  }

  void add_proc(uint32_t pid, uint32_t ppid, uint32_t uid, uint64_t start, const std::string& exe,
                const std::string& cmdline, const std::string& cgroup) {
    const auto base = dir_ / "proc" / std::to_string(pid);
    write(base / "stat", std::to_string(pid) + " (x) S " + std::to_string(ppid) +
                             " 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 " + std::to_string(start) + " 100 10");
    write(base / "status", "PPid:\t" + std::to_string(ppid) + "\nUid:\t" + std::to_string(uid) + "\t" +
                               std::to_string(uid) + "\t0\t0\n");
    write(base / "cmdline", cmdline);
    write(base / "cgroup", cgroup);
    std::filesystem::create_symlink(exe, base / "exe");
  }

  std::vector<Event> submitted_;
  test::TempDir dir_;
  HostRoot host_;
  Statistics statistics_;
  ContainerCatalog containers_;
  KernelEventProcessor processor_{host_, statistics_, containers_, [this](Event e) {
                                    submitted_.push_back(std::move(e));
                                    return true;
                                  },
                                  "test"};
};

kernel::ProcessExec exec_record() {
  kernel::ProcessExec record;
  record.pid = 300;
  record.ppid = 200;
  record.uid = 1000;
  record.euid = 0;
  record.start = 777;
  record.executable = "/usr/bin/sudo";
  record.arguments = std::string("sudo\0-u\0root\0id\0", 16);
  record.cgroup_id = 9;
  record.cgroup_path = "/system.slice/docker-" + kId + ".scope";
  record.time = TimePoint(std::chrono::seconds(1700000000));
  return record;
}

kernel::Connection connection_record(uint32_t pid, uint64_t start) {
  kernel::Connection record;
  record.direction = kernel::Direction::Out;
  record.family = AF_INET;
  record.local_address = {127, 0, 0, 1};
  record.remote_address = {192, 0, 2, 10};
  record.local_port = 40000;
  record.remote_port = 443;
  record.pid = pid;
  record.uid = 1000;
  record.start = start;
  return record;
}

}  // namespace

TEST_F(Fixture, ExecBecomesAProcessCreateWithExactlyTheSchemaFields) {
  containers_.upsert(ContainerInfo{kId, "tempsensor", "mcr.microsoft.com/azureiotedge-simulated-temperature-sensor:1.0",
                                   "sha256:abc", "SimulatedTemperatureSensor"});
  auto record = exec_record();
  processor_.exec(record);
  ASSERT_EQ(submitted_.size(), 1u);
  const Event& event = submitted_[0];
  EXPECT_EQ(event.name, "ProcessCreate");
  EXPECT_EQ(event.category, EventCategory::Triggered);
  EXPECT_EQ(event.time, TimePoint(std::chrono::seconds(1700000000)));
  const auto& payload = event.payload.at(0);
  EXPECT_EQ(payload["Executable"], "/usr/bin/sudo");
  EXPECT_EQ(payload["ProcessId"], 300);
  EXPECT_EQ(payload["ParentProcessId"], 200);
  EXPECT_EQ(payload["UserId"], "1000");
  EXPECT_EQ(payload["UserName"], "alice");
  EXPECT_EQ(payload["CommandLine"], "sudo -u root id");
  const auto& extra = payload["ExtraDetails"];
  EXPECT_EQ(extra["EffectiveUserId"], "0");
  EXPECT_EQ(extra["ContainerId"], kId);
  EXPECT_EQ(extra["ContainerName"], "tempsensor");
  EXPECT_EQ(extra["ContainerImage"], "mcr.microsoft.com/azureiotedge-simulated-temperature-sensor:1.0");
  EXPECT_EQ(extra["EdgeModule"], "SimulatedTemperatureSensor");
  EXPECT_FALSE(extra.contains("CommandLineTruncated"));
  std::set<std::string> keys;
  for (const auto& [key, value] : payload.items()) keys.insert(key);
  EXPECT_EQ(keys, (std::set<std::string>{"Executable", "ProcessId", "ParentProcessId", "UserId", "UserName", "CommandLine",
                                         "ExtraDetails"}));
  for (const auto& [key, value] : extra.items()) EXPECT_TRUE(value.is_string()) << key;
}

TEST_F(Fixture, UnknownContainerGivesOnlyItsIdAndHostProcessesNone) {
  auto record = exec_record();
  processor_.exec(record);
  auto host_record = exec_record();
  host_record.cgroup_id = 10;
  host_record.cgroup_path = "/user.slice";
  host_record.euid = host_record.uid;
  processor_.exec(host_record);
  ASSERT_EQ(submitted_.size(), 2u);
  EXPECT_EQ(submitted_[0].payload[0]["ExtraDetails"], nlohmann::json({{"ContainerId", kId}, {"EffectiveUserId", "0"}}));
  EXPECT_FALSE(submitted_[1].payload[0].contains("ExtraDetails"));
}

TEST_F(Fixture, LongCommandLinesAreCutAndMarked) {
  AgentConfig config = AgentConfig::defaults();
  config.command_line_max_bytes = 64;
  processor_.configure(ProcessorSettings::from(config));
  auto record = exec_record();
  record.arguments = std::string(100, 'a') + std::string("\0", 1);
  processor_.exec(record);
  ASSERT_EQ(submitted_.size(), 1u);
  EXPECT_EQ(submitted_[0].payload[0]["CommandLine"], std::string(64, 'a'));
  EXPECT_EQ(submitted_[0].payload[0]["ExtraDetails"]["CommandLineTruncated"], "true");
}

TEST_F(Fixture, OffEventsAreNotBuiltButTheProcessTableIsKept) {
  AgentConfig config = AgentConfig::defaults();
  config.event_priority["ProcessCreate"] = Priority::Off;
  processor_.configure(ProcessorSettings::from(config));
  auto record = exec_record();
  processor_.exec(record);
  EXPECT_TRUE(submitted_.empty());
  auto connection = connection_record(300, 777);
  processor_.connection(connection);
  ASSERT_EQ(submitted_.size(), 1u);
  EXPECT_EQ(submitted_[0].payload[0]["Executable"], "/usr/bin/sudo");
  EXPECT_EQ(submitted_[0].payload[0]["CommandLine"], "sudo -u root id");
}

TEST_F(Fixture, ConnectionCarriesTheProcessAndSchemaFields) {
  auto record = exec_record();
  processor_.exec(record);
  submitted_.clear();
  auto connection = connection_record(300, 777);
  processor_.connection(connection);
  ASSERT_EQ(submitted_.size(), 1u);
  const auto& payload = submitted_[0].payload[0];
  EXPECT_EQ(submitted_[0].name, "ConnectionCreate");
  EXPECT_EQ(payload["RemoteAddress"], "192.0.2.10");
  EXPECT_EQ(payload["RemotePort"], "443");
  EXPECT_EQ(payload["LocalAddress"], "127.0.0.1");
  EXPECT_EQ(payload["LocalPort"], "40000");
  EXPECT_EQ(payload["Direction"], "Out");
  EXPECT_EQ(payload["Protocol"], "TCP");
  EXPECT_EQ(payload["ProcessId"], 300);
  EXPECT_EQ(payload["UserId"], "1000");
  EXPECT_EQ(payload["Executable"], "/usr/bin/sudo");
  EXPECT_EQ(payload["CommandLine"], "sudo -u root id");
  EXPECT_EQ(payload["ExtraDetails"]["ContainerId"], kId);
  EXPECT_EQ(payload["ExtraDetails"]["UserName"], "alice");
}

TEST_F(Fixture, ForkedChildrenRunTheirParentsImageAndExitsForgetThem) {
  auto record = exec_record();
  processor_.exec(record);
  processor_.fork(kernel::ProcessFork{301, 300, 778, 777});
  submitted_.clear();
  auto child = connection_record(301, 778);
  processor_.connection(child);
  ASSERT_EQ(submitted_.size(), 1u);
  EXPECT_EQ(submitted_[0].payload[0]["Executable"], "/usr/bin/sudo");
  processor_.exit(kernel::ProcessExit{301, 778});
  submitted_.clear();
  auto gone = connection_record(301, 778);  // not in the table, not in /proc
  gone.comm = "sudo";
  processor_.connection(gone);
  ASSERT_EQ(submitted_.size(), 1u);
  EXPECT_EQ(submitted_[0].payload[0]["Executable"], "");
  EXPECT_EQ(submitted_[0].payload[0]["ExtraDetails"]["ProcessName"], "sudo");
}

TEST_F(Fixture, PidReuseIsCaughtByTheStartTime) {
  auto record = exec_record();
  record.pid = 4242;
  record.start = 1;  // an earlier process under the pid the fixture's /proc gives to curl
  processor_.exec(record);
  submitted_.clear();
  auto connection = connection_record(4242, 5555);  // the process that runs now
  processor_.connection(connection);
  ASSERT_EQ(submitted_.size(), 1u);
  EXPECT_EQ(submitted_[0].payload[0]["Executable"], "/usr/bin/curl");
  EXPECT_EQ(submitted_[0].payload[0]["CommandLine"], "curl https://example.org");
  EXPECT_EQ(submitted_[0].payload[0]["ExtraDetails"]["ContainerId"], kId);
}

TEST_F(Fixture, AnExecutableNamedByTheSourceOverridesAStaleEntry) {
  auto record = exec_record();
  record.start = 0;  // audit: no start times
  processor_.exec(record);
  submitted_.clear();
  auto connection = connection_record(300, 0);
  connection.executable = "/usr/bin/wget";
  connection.arguments = std::string("wget\0x\0", 7);
  processor_.connection(connection);
  ASSERT_EQ(submitted_.size(), 1u);
  EXPECT_EQ(submitted_[0].payload[0]["Executable"], "/usr/bin/wget");
  EXPECT_EQ(submitted_[0].payload[0]["CommandLine"], "wget x");
}

TEST_F(Fixture, LoopbackConnectionsCanBeLeftOut) {
  auto connection = connection_record(4242, 5555);
  connection.remote_address = {127, 0, 0, 1};
  processor_.connection(connection);
  EXPECT_EQ(submitted_.size(), 1u);
  AgentConfig config = AgentConfig::defaults();
  config.connection_include_loopback = false;
  processor_.configure(ProcessorSettings::from(config));
  processor_.connection(connection);
  EXPECT_EQ(submitted_.size(), 1u);
}

TEST_F(Fixture, ExecWithoutCgroupInfoInheritsTheParentsContainer) {
  auto parent = exec_record();
  processor_.exec(parent);
  kernel::ProcessExec child;
  child.pid = 301;
  child.ppid = 300;
  child.executable = "/bin/sh";
  child.arguments = std::string("sh\0", 3);
  processor_.exec(child);
  ASSERT_EQ(submitted_.size(), 2u);
  EXPECT_EQ(submitted_[1].payload[0]["ExtraDetails"]["ContainerId"], kId);
}

TEST_F(Fixture, LossesAreCountedInTheQueueOfTheirEventType) {
  AgentConfig config = AgentConfig::defaults();
  config.event_priority["ConnectionCreate"] = Priority::High;
  processor_.configure(ProcessorSettings::from(config));
  processor_.lost(kernel::LostKind::Process, "KernelBufferFull", 3);
  processor_.lost(kernel::LostKind::Connection, "SimulatedDrop", 2);
  processor_.lost(kernel::LostKind::Unknown, "AuditLost", 4);  // counted where it matters most
  const auto totals = statistics_.totals();
  EXPECT_EQ(totals.low.dropped, 3u);
  EXPECT_EQ(totals.low.dropped_by_reason.at("KernelBufferFull"), 3u);
  EXPECT_EQ(totals.high.dropped, 6u);
  EXPECT_EQ(totals.high.dropped_by_reason.at("SimulatedDrop"), 2u);
  EXPECT_EQ(totals.high.dropped_by_reason.at("AuditLost"), 4u);
  config.event_priority["ProcessCreate"] = Priority::Off;
  config.event_priority["ConnectionCreate"] = Priority::Off;
  processor_.configure(ProcessorSettings::from(config));
  processor_.lost(kernel::LostKind::Unknown, "AuditLost", 5);  // nothing was to be collected
  EXPECT_EQ(statistics_.totals().high.dropped + statistics_.totals().low.dropped, 9u);
}

TEST_F(Fixture, SeedingFromProcNamesOlderProcesses) {
  processor_.seed_from_proc();
  auto connection = connection_record(4242, 0);
  processor_.connection(connection);
  ASSERT_EQ(submitted_.size(), 1u);
  EXPECT_EQ(submitted_[0].payload[0]["Executable"], "/usr/bin/curl");
}

TEST(CgroupHierarchy, PrefersAMountedV1ControllerElseV2) {
  test::TempDir dir;
  write(dir / "proc/cgroups",
        "#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpuset\t3\t4\t1\ncpu\t1\t4\t1\nmemory\t4\t21\t1\n"
        "pids\t8\t4\t1\n");
  write(dir / "proc/self/mountinfo",
        "30 25 0:26 / /sys/fs/cgroup/pids rw,relatime shared:9 - cgroup cgroup rw,pids\n"
        "31 25 0:27 / /sys/fs/cgroup/unified rw,relatime shared:10 - cgroup2 cgroup2 rw\n");
  const auto hybrid = choose_cgroup_hierarchy(HostRoot(dir.path()));
  EXPECT_EQ(hybrid.subsys_index, 3);
  EXPECT_EQ(hybrid.controller, "pids");
  EXPECT_EQ(hybrid.mount_point, "/sys/fs/cgroup/pids");

  write(dir / "proc/cgroups", "#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpu\t0\t40\t1\npids\t0\t40\t1\n");
  write(dir / "proc/self/mountinfo", "30 25 0:26 / /sys/fs/cgroup rw,relatime - cgroup2 cgroup2 rw\n");
  const auto v2 = choose_cgroup_hierarchy(HostRoot(dir.path()));
  EXPECT_EQ(v2.subsys_index, -1);
  EXPECT_EQ(v2.mount_point, "/sys/fs/cgroup");
}
