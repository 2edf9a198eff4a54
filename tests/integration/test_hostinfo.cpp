// SystemInformation, LocalUsers and ListeningPorts against the real kernel and through the real
// binary: fixture host roots reported exactly, sockets this test opens found with its own pid,
// an empty snapshot in a fresh network namespace, event-source probes that tell the truth with
// and without privileges, and LocalUsers agreeing with the C library.
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "../support/process.h"
#include "../support/temp_dir.h"
#include "collectors/ports/listening_ports_collector.h"
#include "collectors/ports/proc_net.h"
#include "collectors/ports/sock_diag.h"
#include "collectors/sysinfo/event_sources.h"
#include "collectors/users/local_users_collector.h"
#include "core/host_root.h"
#include "core/strings.h"

using namespace edgeguard;
namespace fs = std::filesystem;

namespace {

const fs::path kFixtures = fs::path(EDGEGUARD_TEST_DIR) / "fixtures";

std::vector<nlohmann::json> read_lines(const fs::path& file) {
  std::vector<nlohmann::json> out;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) out.push_back(nlohmann::json::parse(line));
  return out;
}

// Every event of that name in the output, in order.
std::vector<nlohmann::json> events_named(const fs::path& output, const std::string& name) {
  std::vector<nlohmann::json> events;
  for (const auto& message : read_lines(output)) {
    for (const auto& event : message["Events"]) {
      if (event["Name"] == name) events.push_back(event);
    }
  }
  return events;
}

struct Run {
  test::CommandResult result;
  fs::path output;
};

Run run_once(const test::TempDir& dir, const std::vector<std::string>& extra = {},
             const std::vector<std::string>& prefix = {}) {
  std::vector<std::string> argv = prefix;
  const auto output = dir / "out.jsonl";
  for (const auto& arg : {test::edgeguard_binary(), std::string("run"), std::string("--once"), std::string("--state-dir"),
                          (dir / "state").string(), std::string("--output"), output.string()}) {
    argv.push_back(arg);
  }
  argv.insert(argv.end(), extra.begin(), extra.end());
  return {test::run(argv), output};
}

// A socket the test owns; closed when it goes out of scope.
class TestSocket {
 public:
  TestSocket(int family, int type) : fd_(::socket(family, type | SOCK_CLOEXEC, 0)), family_(family) {
    if (fd_ < 0) throw std::runtime_error("socket failed");
  }
  ~TestSocket() { ::close(fd_); }
  TestSocket(const TestSocket&) = delete;
  TestSocket& operator=(const TestSocket&) = delete;

  // Binds to `address` port 0 and returns the port the kernel chose.
  uint16_t bind(const char* address, bool v6_only = true) {
    sockaddr_storage storage{};
    socklen_t length = 0;
    if (family_ == AF_INET) {
      auto* in = reinterpret_cast<sockaddr_in*>(&storage);
      in->sin_family = AF_INET;
      inet_pton(AF_INET, address, &in->sin_addr);
      length = sizeof(sockaddr_in);
    } else {
      const int flag = v6_only ? 1 : 0;
      ::setsockopt(fd_, IPPROTO_IPV6, IPV6_V6ONLY, &flag, sizeof(flag));
      auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
      in6->sin6_family = AF_INET6;
      inet_pton(AF_INET6, address, &in6->sin6_addr);
      length = sizeof(sockaddr_in6);
    }
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&storage), length) != 0) throw std::runtime_error("bind failed");
    if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&storage), &length) != 0) throw std::runtime_error("getsockname");
    port_ = ntohs(family_ == AF_INET ? reinterpret_cast<sockaddr_in*>(&storage)->sin_port
                                     : reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port);
    return port_;
  }
  void listen() {
    if (::listen(fd_, 4) != 0) throw std::runtime_error("listen failed");
  }
  void connect_to(const char* address, uint16_t port) {
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_port = htons(port);
    inet_pton(AF_INET, address, &in.sin_addr);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&in), sizeof(in)) != 0) throw std::runtime_error("connect failed");
  }
  uint64_t inode() const {
    struct stat info {};
    ::fstat(fd_, &info);
    return info.st_ino;
  }
  uint16_t port() const { return port_; }

 private:
  int fd_;
  int family_;
  uint16_t port_ = 0;
};

// The sockets of one test: what must be reported, and what must not.
struct OwnSockets {
  TestSocket tcp4{AF_INET, SOCK_STREAM};
  TestSocket tcp6{AF_INET6, SOCK_STREAM};
  TestSocket mapped{AF_INET6, SOCK_STREAM};
  TestSocket udp4{AF_INET, SOCK_DGRAM};
  TestSocket udp6{AF_INET6, SOCK_DGRAM};
  TestSocket bound_only{AF_INET, SOCK_STREAM};
  TestSocket connected_udp{AF_INET, SOCK_DGRAM};

  OwnSockets() {
    tcp4.bind("127.0.0.1");
    tcp4.listen();
    tcp6.bind("::1");
    tcp6.listen();
    mapped.bind("::ffff:127.0.0.1", false);
    mapped.listen();
    udp4.bind("127.0.0.1");
    udp6.bind("::1");
    bound_only.bind("127.0.0.1");  // bound, never listening: not a listening port
    connected_udp.bind("127.0.0.1");
    connected_udp.connect_to("127.0.0.1", udp4.port());  // talks to one peer only: not listening
  }

  // "TCP 127.0.0.1 <port>" lines for what must be reported.
  std::set<std::string> expected() const {
    return {"TCP 127.0.0.1 " + std::to_string(tcp4.port()), "TCP ::1 " + std::to_string(tcp6.port()),
            "TCP ::ffff:127.0.0.1 " + std::to_string(mapped.port()), "UDP 127.0.0.1 " + std::to_string(udp4.port()),
            "UDP ::1 " + std::to_string(udp6.port())};
  }
  std::set<uint16_t> unexpected_ports() const { return {bound_only.port(), connected_udp.port()}; }
};

std::string line_of(const nlohmann::json& item) {
  return item["Protocol"].get<std::string>() + " " + item.value("LocalAddress", "") + " " +
         item["LocalPort"].get<std::string>();
}

std::string self_executable() {
  char buffer[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buffer, sizeof(buffer));
  return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : std::string();
}

std::string self_command() { return std::string(trim(read_whole_file("/proc/self/comm").value_or(""))); }

// Checks that the payload items report exactly our listening sockets with this process as owner.
void expect_own_sockets(const std::vector<nlohmann::json>& items, const OwnSockets& sockets) {
  std::set<std::string> found;
  const auto expected = sockets.expected();
  const auto unexpected = sockets.unexpected_ports();
  for (const auto& item : items) {
    const std::string line = line_of(item);
    const auto port = static_cast<uint16_t>(std::stoi(item["LocalPort"].get<std::string>()));
    EXPECT_FALSE(unexpected.contains(port) && item.value("LocalAddress", "") == "127.0.0.1")
        << "not listening, yet reported: " << line;
    if (!expected.contains(line)) continue;
    found.insert(line);
    const auto& extra = item["ExtraDetails"];
    EXPECT_EQ(extra.value("Pid", ""), std::to_string(::getpid())) << line;
    EXPECT_EQ(extra.value("Executable", ""), self_executable()) << line;
    EXPECT_EQ(extra.value("CommandName", ""), self_command()) << line;
    EXPECT_EQ(extra.value("UserId", ""), std::to_string(::geteuid())) << line;
  }
  EXPECT_EQ(found, expected);
}

}  // namespace

TEST(HostInfoBinary, UbuntuFixtureHostRootIsReportedExactlyAndValidates) {
  test::TempDir dir;
  const auto run = run_once(dir, {"--host-root", (kFixtures / "hostroot-ubuntu2204-x86").string()});
  ASSERT_EQ(run.result.exit_code, 0) << run.result.err;

  const auto system = events_named(run.output, "SystemInformation");
  ASSERT_EQ(system.size(), 1u);
  const auto& os = system[0]["Payload"][0];
  EXPECT_EQ(os["OSName"], "Ubuntu");
  EXPECT_EQ(os["OSVersion"], "22.04");
  EXPECT_EQ(os["OSVendor"], "ubuntu");
  EXPECT_EQ(os["HostName"], "edge-gateway-07");
  EXPECT_EQ(os["BootDevice"], "/dev/sda2");
  EXPECT_EQ(os["BIOSVersion"], "5.19");
  EXPECT_EQ(os["TotalPhysicalMemoryInKB"], 8039756);
  EXPECT_EQ(os["ExtraDetails"]["KernelRelease"], "5.15.0-105-generic");
  EXPECT_EQ(os["ExtraDetails"]["AgentMode"], "Standalone");

  const auto users = events_named(run.output, "LocalUsers");
  ASSERT_EQ(users.size(), 1u);
  std::vector<std::string> rows;
  for (const auto& user : users[0]["Payload"]) {
    rows.push_back(user["UserName"].get<std::string>() + ":" + user["UserId"].get<std::string>() + ":" +
                   user["GroupNames"].get<std::string>() + ":" + user["GroupIds"].get<std::string>());
  }
  EXPECT_EQ(rows, (std::vector<std::string>{"root:0:root:0", "daemon:1:daemon:1", "syslog:104:syslog;adm:110;4",
                                            "iotedge:998:iotedge;docker;aziotcs:997;999;996",
                                            "edgeadmin:1000:edgeadmin;adm;sudo;docker:1000;4;27;999",
                                            "orphan:1001:4242:4242", "j\xef\xbf\xbdrg:1002:edgeadmin:1000"}));
  EXPECT_NE(run.result.err.find("etc/passwd:11: user \"broken\""), std::string::npos) << run.result.err;

  const auto ports = events_named(run.output, "ListeningPorts");
  ASSERT_EQ(ports.size(), 1u);
  EXPECT_EQ(ports[0]["Payload"].size(), 8u);
  EXPECT_EQ(ports[0]["Payload"][0]["ExtraDetails"]["Executable"], "/usr/sbin/sshd");

  // The two unusable lines (a passwd user, a /proc/net socket) are counted, not lost silently.
  const auto dropped = events_named(run.output, "DroppedEventsStatistics");
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_EQ(dropped[0]["Payload"][0]["ExtraDetails"]["ParseFailure"], "2");

  const auto validation = test::validate_messages({run.output.string()});
  EXPECT_EQ(validation.exit_code, 0) << validation.out << validation.err;
}

TEST(HostInfoBinary, YoctoFixtureHostRootIsReportedExactlyAndValidates) {
  test::TempDir dir;
  const auto root = kFixtures / "hostroot-yocto-arm";
  const auto run = run_once(dir, {"--host-root", root.string()});
  ASSERT_EQ(run.result.exit_code, 0) << run.result.err;
  const auto system = events_named(run.output, "SystemInformation");
  ASSERT_EQ(system.size(), 1u);
  const auto& os = system[0]["Payload"][0];
  EXPECT_EQ(os["OSName"], "Poky (Yocto Project Reference Distro)");
  EXPECT_EQ(os["OSVersion"], "4.0.17");
  EXPECT_EQ(os["HostName"], "imx8mm-var-dart");
  EXPECT_EQ(os["BootDevice"], "/dev/mmcblk2p1");
  EXPECT_EQ(os["ExtraDetails"]["HardwareModel"], "Variscite DART-MX8M-MINI on DT8MCustomBoard 2.x");

  const auto users = events_named(run.output, "LocalUsers");
  ASSERT_EQ(users.size(), 1u);
  std::vector<std::string> names;
  for (const auto& user : users[0]["Payload"]) names.push_back(user["UserName"]);
  EXPECT_EQ(names, (std::vector<std::string>{"root", "daemon", "bin", "sys", "nobody", "sshd", "messagebus", "weston"}));

  // This host root has no /proc/net: the collector fails loudly, naming the file, and sends
  // nothing rather than an "empty" snapshot that would claim there are no open ports.
  EXPECT_TRUE(events_named(run.output, "ListeningPorts").empty());
  EXPECT_NE(run.result.err.find((root / "proc/net/tcp").string() + ": No such file or directory"), std::string::npos)
      << run.result.err;
  EXPECT_EQ(test::validate_messages({run.output.string()}).exit_code, 0);
}

TEST(HostInfoListeningPorts, CollectorFindsTheSocketsThisTestOpenedWithItsPid) {
  OwnSockets sockets;
  Statistics statistics;
  ListeningPortsCollector collector(statistics);
  const auto config = AgentConfig::defaults();
  const HostRoot host("/");
  const auto events = collector.collect(CollectorContext{host, config});
  std::vector<nlohmann::json> items;
  for (const auto& event : events) {
    EXPECT_EQ(event.name, "ListeningPorts");
    for (const auto& item : event.payload) items.push_back(item);
  }
  expect_own_sockets(items, sockets);
  EXPECT_EQ(statistics.totals().high.dropped, 0u);
}

TEST(HostInfoListeningPorts, BinaryOutputReportsTheSocketsThisTestOpenedWithItsPid) {
  OwnSockets sockets;
  test::TempDir dir;
  const auto run = run_once(dir);
  ASSERT_EQ(run.result.exit_code, 0) << run.result.err;
  std::vector<nlohmann::json> items;
  for (const auto& event : events_named(run.output, "ListeningPorts")) {
    for (const auto& item : event["Payload"]) items.push_back(item);
  }
  expect_own_sockets(items, sockets);
  const auto validation = test::validate_messages({run.output.string()});
  EXPECT_EQ(validation.exit_code, 0) << validation.out << validation.err;
}

TEST(HostInfoListeningPorts, SockDiagAndProcNetAgreeOnTheSocketsThisTestOpened) {
  OwnSockets sockets;
  const std::map<uint64_t, std::string> wanted = {{sockets.tcp4.inode(), "tcp4"}, {sockets.tcp6.inode(), "tcp6"},
                                                  {sockets.mapped.inode(), "mapped"}, {sockets.udp4.inode(), "udp4"},
                                                  {sockets.udp6.inode(), "udp6"}};
  struct Source {
    int family;
    Transport transport;
    const char* file;
  };
  for (const Source source : {Source{AF_INET, Transport::Tcp, "/proc/self/net/tcp"},
                              Source{AF_INET6, Transport::Tcp, "/proc/self/net/tcp6"},
                              Source{AF_INET, Transport::Udp, "/proc/self/net/udp"},
                              Source{AF_INET6, Transport::Udp, "/proc/self/net/udp6"}}) {
    const uint32_t states = source.transport == Transport::Tcp ? 1u << kStateListen : 1u << kStateClose;
    std::map<uint64_t, std::string> from_netlink;
    for (const auto& socket : dump_sockets(source.family, source.transport, states).sockets) {
      if (wanted.contains(socket.inode)) from_netlink[socket.inode] = local_address_text(socket) + ":" + std::to_string(socket.local_port);
    }
    std::map<uint64_t, std::string> from_proc;
    const auto text = read_whole_file(source.file);
    ASSERT_TRUE(text) << source.file;
    const auto table = parse_proc_net(*text, source.transport, source.family);
    EXPECT_TRUE(table.problems.empty()) << source.file;
    for (const auto& socket : table.sockets) {
      if (wanted.contains(socket.inode) && is_listening(socket)) {
        from_proc[socket.inode] = local_address_text(socket) + ":" + std::to_string(socket.local_port);
      }
    }
    EXPECT_FALSE(from_netlink.empty()) << source.file;
    EXPECT_EQ(from_netlink, from_proc) << source.file;
  }
}

TEST(HostInfoListeningPorts, AFreshNetworkNamespaceHasNoListeningPortsAndSendsAnEmptySnapshot) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root for a network namespace";
  test::TempDir dir;
  // An anonymous namespace that lives as long as the agent process: nothing to clean up.
  const auto run = run_once(dir, {}, {"unshare", "--net"});
  ASSERT_EQ(run.result.exit_code, 0) << run.result.err;
  const auto ports = events_named(run.output, "ListeningPorts");
  ASSERT_EQ(ports.size(), 1u);
  EXPECT_EQ(ports[0]["IsEmpty"], true);
  EXPECT_TRUE(ports[0]["Payload"].empty());
  EXPECT_EQ(test::validate_messages({run.output.string()}).exit_code, 0);
}

TEST(HostInfoEventSources, RootSeesEverySourceThisKernelOffersAndAuditStateMatchesAuditctl) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  const auto sources = probe_kernel_event_sources();
  // This machine's kernel has all of them (docs/DESIGN.md: eBPF, audit netlink and the proc
  // connector all work here).
  EXPECT_EQ(sources.at("Ebpf"), "available");
  EXPECT_EQ(sources.at("AuditNetlink"), "available");
  EXPECT_EQ(sources.at("ProcConnector"), "available");
  const auto status = test::run({"auditctl", "-s"});
  if (status.exit_code == 0) {
    std::istringstream lines(status.out);
    std::string key;
    std::string value;
    while (lines >> key >> value) {
      if (key == "enabled") {
        EXPECT_EQ(sources.at("AuditEnabled"), value);
      }
      if (key == "pid") {
        EXPECT_EQ(sources.at("AuditDaemonPid"), value);
      }
    }
  }
}

TEST(HostInfoEventSources, WithoutPrivilegesTheProbesSaySoThroughTheBinary) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to switch to another user";
  test::TempDir dir;
  fs::permissions(dir.path(), fs::perms::all);  // the unprivileged agent writes its state here
  const auto run = run_once(dir, {"--host-root", (kFixtures / "hostroot-yocto-arm").string()},
                            {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"});
  ASSERT_EQ(run.result.exit_code, 0) << run.result.err;
  const auto system = events_named(run.output, "SystemInformation");
  ASSERT_EQ(system.size(), 1u);
  const auto& extra = system[0]["Payload"][0]["ExtraDetails"];
  EXPECT_TRUE(starts_with(extra["Ebpf"].get<std::string>(), "unavailable: ")) << extra.dump();
  EXPECT_NE(extra["Ebpf"].get<std::string>().find("Operation not permitted"), std::string::npos) << extra.dump();
  EXPECT_EQ(extra["AuditNetlink"], "unavailable: AUDIT_GET: Operation not permitted") << extra.dump();
  // Linux 6.6 opened the proc connector to unprivileged listeners; before, binding needs
  // CAP_NET_ADMIN. Either way the kernel's own answer is reported.
  const std::string connector = extra["ProcConnector"];
  EXPECT_TRUE(connector == "available" || connector == "unavailable: bind to CN_IDX_PROC: Operation not permitted" ||
              connector == "unavailable: PROC_CN_MCAST_LISTEN: Operation not permitted")
      << connector;
  EXPECT_FALSE(extra.contains("AuditEnabled"));
  EXPECT_EQ(extra["KernelBtf"] == "available", fs::exists("/sys/kernel/btf/vmlinux"));
  EXPECT_EQ(test::validate_messages({run.output.string()}).exit_code, 0);
}

TEST(HostInfoLocalUsers, RealHostAgreesWithTheCLibrary) {
  Statistics statistics;
  LocalUsersCollector collector(statistics);
  const auto config = AgentConfig::defaults();
  const HostRoot host("/");
  std::map<std::string, std::pair<std::string, std::set<std::string>>> ours;  // name -> uid, supplementary gids
  for (const auto& event : collector.collect(CollectorContext{host, config})) {
    for (const auto& item : event.payload) {
      const std::string group_ids = item["GroupIds"];
      const auto ids = split(group_ids, ';');
      std::set<std::string> supplementary;
      for (size_t i = 1; i < ids.size(); ++i) supplementary.emplace(ids[i]);
      ours[item["UserName"]] = {item["UserId"], supplementary};
    }
  }
  ASSERT_FALSE(ours.empty());

  // glibc's "files" service: the same files, read by the C library.
  const auto passwd = test::run({"getent", "-s", "files", "passwd"});
  ASSERT_EQ(passwd.exit_code, 0) << passwd.err;
  std::map<std::string, std::string> theirs;
  std::istringstream lines(passwd.out);
  std::string line;
  while (std::getline(lines, line)) {
    const auto fields = split(line, ':');
    if (fields.size() >= 3) theirs[std::string(fields[0])] = std::string(fields[2]);
  }
  ASSERT_EQ(ours.size(), theirs.size());
  std::vector<std::string> argv = {"getent", "-s", "files", "initgroups"};
  for (const auto& [name, uid] : theirs) {
    EXPECT_EQ(ours[name].first, uid) << name;
    argv.push_back(name);
  }
  const auto groups = test::run(argv);
  ASSERT_EQ(groups.exit_code, 0) << groups.err;
  std::istringstream group_lines(groups.out);
  while (std::getline(group_lines, line)) {
    std::istringstream words(line);
    std::string name;
    words >> name;
    std::set<std::string> supplementary;
    for (std::string gid; words >> gid;) supplementary.insert(gid);
    // initgroups lists the supplementary groups; it may repeat the primary one.
    std::set<std::string> expected = ours[name].second;
    for (const auto& gid : supplementary) {
      if (!expected.contains(gid)) {
        const auto primary = test::run({"id", "-g", name});
        EXPECT_EQ(trim(primary.out), gid) << name << " is in group " << gid << " per the C library";
      }
    }
    for (const auto& gid : expected) EXPECT_TRUE(supplementary.contains(gid)) << name << " " << gid;
  }
}
