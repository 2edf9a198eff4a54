// ProcessCreate and ConnectionCreate from each kernel event source (eBPF, audit, proc connector)
// against the real kernel: exact fields of a process the test starts, both directions of IPv4
// and IPv6 connections it makes, container attribution from a cgroup it creates, and losses
// counted when the drop simulation is on.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "../support/process.h"
#include "../support/temp_dir.h"
#include "collectors/process/cgroup_path.h"
#include "collectors/process/command_line.h"
#include "kernel_harness.h"

using namespace edgeguard;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

std::string random_hex(size_t length) {
  static std::mt19937_64 generator(std::random_device{}());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < length; ++i) out.push_back(kHex[generator() % 16]);
  return out;
}

std::string random_digits(size_t length) {
  static std::mt19937_64 generator(std::random_device{}());
  std::string out;
  for (size_t i = 0; i < length; ++i) out.push_back(static_cast<char>('0' + generator() % 10));
  return out;
}

// fork + exec of `argv`, optionally as another user and inside a cgroup (by its cgroup.procs
// file). Only async-signal-safe calls between fork and exec: the test process has threads.
struct Spawned {
  pid_t pid = -1;
  int wait() {
    int status = 0;
    if (pid > 0) waitpid(pid, &status, 0);
    pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  ~Spawned() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      wait();
    }
  }
};

void spawn(Spawned& spawned, const std::vector<std::string>& argv, uid_t uid = 0,
           const std::string& cgroup_procs = "") {
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    if (!cgroup_procs.empty()) {
      const int fd = open(cgroup_procs.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd < 0 || write(fd, "0\n", 2) != 2) _exit(120);
      close(fd);
    }
    if (uid != 0 && (setgid(uid) != 0 || setuid(uid) != 0)) _exit(121);
    const int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null >= 0) dup2(null, STDOUT_FILENO);
    execv(args[0], args.data());
    _exit(127);
  }
  spawned.pid = pid;
}

std::string canonical(const std::string& path) { return std::filesystem::canonical(path).string(); }

bool source_reads_proc_after_exec(const std::string& source) { return source == "procconnector"; }

class KernelSourceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
  }
  // A program that lives long enough for every source (the proc connector reads /proc after
  // the exec) with a command line no other process has.
  std::vector<std::string> unique_sleep() { return {"/bin/sleep", "0.6" + random_digits(8)}; }
};

TEST_P(KernelSourceTest, ExecGivesOneProcessCreateWithExactFields) {
  test::KernelHarness harness(GetParam());
  harness.start();
  EXPECT_EQ(harness.collector().source_name(), GetParam());
  EXPECT_EQ(harness.runtime().values()["ProcessEventSource"], GetParam());

  const auto argv = unique_sleep();
  const std::string command_line = argv[0] + " " + argv[1];
  Spawned child;
  spawn(child, argv, 65534);
  const pid_t pid = child.pid;
  const auto found = harness.wait_for("ProcessCreate", [&](const json& p) { return p["CommandLine"] == command_line; });
  ASSERT_EQ(child.wait(), 0);
  ASSERT_EQ(found.size(), 1u) << "no ProcessCreate for " << command_line;
  const json& p = found[0];
  EXPECT_EQ(p["Executable"], canonical("/bin/sleep"));
  EXPECT_EQ(p["ProcessId"], pid);
  EXPECT_EQ(p["ParentProcessId"], getpid());
  EXPECT_EQ(p["UserId"], "65534");
  EXPECT_EQ(p["UserName"], "nobody");
  EXPECT_FALSE(p.contains("ExtraDetails") && p["ExtraDetails"].contains("ContainerId"));
  // Exactly one, also after the process is gone.
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(harness.wait_for("ProcessCreate", [&](const json& x) { return x["CommandLine"] == command_line; }, 2, 0ms)
                .size(),
            1u);
}

TEST_P(KernelSourceTest, ShortLivedProcessesAreCapturedWhole) {
  if (source_reads_proc_after_exec(GetParam())) {
    GTEST_SKIP() << "the proc connector reads /proc after the exec: a process that is already gone is counted as "
                    "lost (ProcessGone), see ProcConnector.ProcessesGoneBeforeTheReadAreCounted";
  }
  test::KernelHarness harness(GetParam());
  harness.start();
  const std::string marker = "edgeguard-" + random_hex(12);
  const std::vector<std::string> argv = {"/bin/echo", marker, "two words", std::string(300, 'x')};
  Spawned child;
  spawn(child, argv);
  const pid_t pid = child.pid;
  ASSERT_EQ(child.wait(), 0);
  const std::string command_line = "/bin/echo " + marker + " two words " + std::string(300, 'x');
  const auto found = harness.wait_for("ProcessCreate", [&](const json& p) { return p["CommandLine"] == command_line; });
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]["Executable"], canonical("/bin/echo"));
  EXPECT_EQ(found[0]["ProcessId"], pid);
  EXPECT_EQ(found[0]["ParentProcessId"], getpid());
  EXPECT_EQ(found[0]["UserId"], "0");
}

TEST_P(KernelSourceTest, LongCommandLinesAreCutAtTheLimitAndMarked) {
  test::KernelHarness harness(GetParam());
  harness.config().command_line_max_bytes = 64;
  harness.start();
  // sleep adds up all its arguments: padding that keeps it running (the proc connector reads
  // /proc after the exec) and makes the command line 250 bytes long.
  auto argv = unique_sleep();
  std::string full = argv[0] + " " + argv[1];
  for (int i = 0; i < 60; ++i) {
    argv.push_back("0.0");
    full += " 0.0";
  }
  Spawned child;
  spawn(child, argv);
  const std::string expected = full.substr(0, 64);
  const auto found = harness.wait_for("ProcessCreate", [&](const json& p) { return p["CommandLine"] == expected; });
  child.wait();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]["ExtraDetails"]["CommandLineTruncated"], "true");
}

// Listens on `address`, connects to it and accepts: both ends stay open until the object goes.
struct LoopbackPair {
  int listener = -1, client = -1, server = -1;
  uint16_t listen_port = 0, client_port = 0;
  explicit LoopbackPair(int family) {
    listener = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_storage address{};
    socklen_t length = 0;
    if (family == AF_INET) {
      auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
      v4->sin_family = AF_INET;
      v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      length = sizeof(*v4);
    } else {
      auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
      v6->sin6_family = AF_INET6;
      v6->sin6_addr = in6addr_loopback;
      length = sizeof(*v6);
    }
    if (bind(listener, reinterpret_cast<sockaddr*>(&address), length) != 0 || listen(listener, 4) != 0) return;
    getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
    listen_port = ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in*>(&address)->sin_port
                                          : reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
    client = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (connect(client, reinterpret_cast<sockaddr*>(&address), length) != 0) return;
    server = accept(listener, nullptr, nullptr);  // no peer address wanted: the sources find it anyway
    sockaddr_storage local{};
    socklen_t local_length = sizeof(local);
    getsockname(client, reinterpret_cast<sockaddr*>(&local), &local_length);
    client_port = ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in*>(&local)->sin_port
                                          : reinterpret_cast<sockaddr_in6*>(&local)->sin6_port);
  }
  ~LoopbackPair() {
    for (int fd : {listener, client, server}) {
      if (fd >= 0) close(fd);
    }
  }
};

// A forked child of the test that opens a LoopbackPair and keeps it until it is killed (the
// audit source never sees the syscalls of the registered audit daemon, which is this process).
struct ConnectingChild {
  Spawned child;
  uint16_t listen_port = 0, client_port = 0;
  explicit ConnectingChild(int family) {
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) return;
    const pid_t pid = fork();
    if (pid == 0) {
      LoopbackPair pair(family);
      const uint16_t ports[2] = {pair.listen_port, pair.server >= 0 ? pair.client_port : uint16_t{0}};
      if (write(pipe_fds[1], ports, sizeof(ports)) != sizeof(ports)) _exit(1);
      pause();
      _exit(0);
    }
    child.pid = pid;
    close(pipe_fds[1]);
    uint16_t ports[2] = {0, 0};
    if (read(pipe_fds[0], ports, sizeof(ports)) == sizeof(ports)) {
      listen_port = ports[0];
      client_port = ports[1];
    }
    close(pipe_fds[0]);
  }
};

TEST_P(KernelSourceTest, ConnectAndAcceptOverIpv4AndIpv6) {
  test::KernelHarness harness(GetParam());
  harness.start();
  const std::string self = canonical("/proc/self/exe");
  const auto own_arguments = read_whole_file("/proc/self/cmdline", 1 << 20);
  ASSERT_TRUE(own_arguments);
  const std::string own_command_line = make_command_line(*own_arguments, 4096).text;
  for (const int family : {AF_INET, AF_INET6}) {
    SCOPED_TRACE(family == AF_INET ? "IPv4" : "IPv6");
    const std::string loopback = family == AF_INET ? "127.0.0.1" : "::1";
    ConnectingChild connecting(family);
    ASSERT_NE(connecting.client_port, 0) << "loopback connection failed";
    const std::string listen_port = std::to_string(connecting.listen_port);
    const std::string client_port = std::to_string(connecting.client_port);
    const auto out = harness.wait_for("ConnectionCreate", [&](const json& p) {
      return p["Direction"] == "Out" && p["LocalPort"] == client_port && p["RemotePort"] == listen_port;
    });
    const auto in = harness.wait_for("ConnectionCreate", [&](const json& p) {
      return p["Direction"] == "In" && p["LocalPort"] == listen_port && p["RemotePort"] == client_port;
    });
    ASSERT_EQ(out.size(), 1u);
    ASSERT_EQ(in.size(), 1u);
    for (const json& p : {out[0], in[0]}) {
      EXPECT_EQ(p["LocalAddress"], loopback);
      EXPECT_EQ(p["RemoteAddress"], loopback);
      EXPECT_EQ(p["Protocol"], "TCP");
      EXPECT_EQ(p["ProcessId"], connecting.child.pid);
      EXPECT_EQ(p["UserId"], "0");
      // A forked child runs its parent's program.
      EXPECT_EQ(p["Executable"], self);
      EXPECT_EQ(p["CommandLine"], own_command_line);
    }
  }
}

TEST_P(KernelSourceTest, LoopbackConnectionsAreLeftOutWhenConfigured) {
  test::KernelHarness harness(GetParam());
  harness.config().connection_include_loopback = false;
  harness.start();
  ConnectingChild connecting(AF_INET);
  ASSERT_NE(connecting.client_port, 0);
  const std::string listen_port = std::to_string(connecting.listen_port);
  // Give every source (the poller too) time to see it, then check nothing came.
  std::this_thread::sleep_for(2s);
  EXPECT_TRUE(harness
                  .wait_for("ConnectionCreate",
                            [&](const json& p) { return p["RemotePort"] == listen_port || p["LocalPort"] == listen_port; },
                            1, 0ms)
                  .empty());
}

// A cgroup under the hierarchy the sources follow, named like a docker container's.
class ContainerCgroup {
 public:
  ContainerCgroup() : id_(random_hex(64)) {
    const auto hierarchy = choose_cgroup_hierarchy(HostRoot("/"));
    if (hierarchy.mount_point.empty()) return;
    parent_ = std::filesystem::path(hierarchy.mount_point) / ("edgeguard-test-" + random_hex(8));
    leaf_ = parent_ / id_;
    std::filesystem::create_directories(leaf_);
  }
  ~ContainerCgroup() {
    // The process has been reaped by now; an empty cgroup can be removed.
    for (int i = 0; i < 50; ++i) {
      if (rmdir(leaf_.c_str()) == 0 || errno == ENOENT) break;
      std::this_thread::sleep_for(20ms);
    }
    rmdir(parent_.c_str());
  }
  bool ok() const { return !leaf_.empty() && std::filesystem::exists(leaf_); }
  std::string procs() const { return (leaf_ / "cgroup.procs").string(); }
  const std::string& id() const { return id_; }

 private:
  std::string id_;
  std::filesystem::path parent_;
  std::filesystem::path leaf_;
};

TEST_P(KernelSourceTest, ProcessInAContainerCgroupCarriesTheContainer) {
  test::KernelHarness harness(GetParam());
  harness.start();
  ContainerCgroup cgroup;
  ASSERT_TRUE(cgroup.ok()) << "cannot create a test cgroup";
  // The engine's names, as the container collector would have put them in the catalog.
  harness.containers().upsert(ContainerInfo{cgroup.id(), "tempsensor", "example.azurecr.io/tempsensor:1.0",
                                            "sha256:0123", "TempSensor"});
  const auto argv = unique_sleep();
  const std::string command_line = argv[0] + " " + argv[1];
  {
    Spawned child;
    spawn(child, argv, 0, cgroup.procs());
    const auto found = harness.wait_for("ProcessCreate", [&](const json& p) { return p["CommandLine"] == command_line; });
    EXPECT_EQ(child.wait(), 0);
    ASSERT_EQ(found.size(), 1u);
    const json& extra = found[0]["ExtraDetails"];
    EXPECT_EQ(extra["ContainerId"], cgroup.id());
    EXPECT_EQ(extra["ContainerName"], "tempsensor");
    EXPECT_EQ(extra["ContainerImage"], "example.azurecr.io/tempsensor:1.0");
    EXPECT_EQ(extra["EdgeModule"], "TempSensor");
  }
}

TEST_P(KernelSourceTest, SimulatedDropsAreCountedNeverSilent) {
  test::KernelHarness harness(GetParam());
  harness.config().simulated_drop_every_n = 2;
  harness.start();
  const std::string marker = "0.2" + random_digits(6);
  constexpr int kExecs = 20;
  for (int i = 0; i < kExecs; ++i) {
    Spawned child;
    spawn(child, {"/bin/sleep", marker + std::to_string(i)});
    child.wait();
  }
  std::this_thread::sleep_for(2500ms);  // the eBPF source reads its counters every second
  const auto captured = harness.wait_for(
      "ProcessCreate",
      [&](const json& p) { return p["CommandLine"].get<std::string>().rfind("/bin/sleep " + marker, 0) == 0; }, kExecs,
      0ms);
  const auto totals = harness.statistics().totals();
  const auto it = totals.low.dropped_by_reason.find("SimulatedDrop");
  const uint64_t dropped = it == totals.low.dropped_by_reason.end() ? 0 : it->second;
  const uint64_t missing = kExecs - captured.size();
  EXPECT_GT(missing, 0u) << "the simulation dropped none of ours";
  // Others' execs are dropped (and counted) too: at least every one of ours that is missing.
  EXPECT_GE(dropped, missing);
}

INSTANTIATE_TEST_SUITE_P(Sources, KernelSourceTest, ::testing::Values("ebpf", "audit", "procconnector"),
                         [](const auto& param_info) { return param_info.param; });

TEST(KernelSourceChoice, AutoPicksTheBestSourceThatWorks) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  test::KernelHarness harness("auto");
  harness.start();
  EXPECT_EQ(harness.collector().source_name(), "ebpf");
  EXPECT_EQ(harness.runtime().values()["ProcessEventSource"], "ebpf");
}

TEST(KernelSourceChoice, NothingStartsWhenBothEventTypesAreOff) {
  test::KernelHarness harness("auto");
  harness.config().event_priority["ProcessCreate"] = Priority::Off;
  harness.config().event_priority["ConnectionCreate"] = Priority::Off;
  harness.start();
  EXPECT_EQ(harness.collector().source_name(), "");
  EXPECT_EQ(harness.runtime().values()["ProcessEventSource"], "none");
}

TEST(ProcConnector, ProcessesGoneBeforeTheReadAreCounted) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  test::KernelHarness harness("procconnector");
  harness.start();
  // /bin/true is usually gone before /proc can be read: every one is either reported or counted.
  const std::string marker = "edgeguard-" + random_hex(12);
  constexpr int kExecs = 30;
  for (int i = 0; i < kExecs; ++i) {
    Spawned child;
    spawn(child, {"/bin/true", marker});
    child.wait();
  }
  std::this_thread::sleep_for(1s);
  const auto captured =
      harness.wait_for("ProcessCreate", [&](const json& p) { return p["CommandLine"] == "/bin/true " + marker; }, kExecs, 0ms);
  const auto totals = harness.statistics().totals();
  const auto it = totals.low.dropped_by_reason.find("ProcessGone");
  const uint64_t gone = it == totals.low.dropped_by_reason.end() ? 0 : it->second;
  EXPECT_GE(gone + captured.size(), static_cast<uint64_t>(kExecs));
}

}  // namespace
