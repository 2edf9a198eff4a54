// ListeningPorts: /proc/net table parser, sock_diag request and reply parser, socket owners,
// payload building, and the collector against a fixture host root (/proc/net fallback).
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "../support/temp_dir.h"
#include "collectors/ports/listening_ports_collector.h"
#include "collectors/ports/proc_net.h"
#include "collectors/ports/sock_diag.h"
#include "collectors/ports/socket_owners.h"
#include "core/host_root.h"

using namespace edgeguard;
namespace fs = std::filesystem;

namespace {

const fs::path kFixtures = fs::path(EDGEGUARD_TEST_DIR) / "fixtures";
const fs::path kUbuntu = kFixtures / "hostroot-ubuntu2204-x86";

std::string fixture_text(const fs::path& file) {
  const auto text = read_whole_file(file);
  if (!text) throw std::runtime_error("cannot read " + file.string());
  return *text;
}

SocketRecord record(Transport transport, const char* address, uint16_t port, uint8_t state, uint64_t inode = 0) {
  SocketRecord socket;
  socket.transport = transport;
  socket.family = std::strchr(address, ':') ? AF_INET6 : AF_INET;
  inet_pton(socket.family, address, socket.local.data());
  socket.local_port = port;
  socket.state = state;
  socket.inode = inode;
  return socket;
}

// One netlink message: header + payload, padded to 4 bytes.
void append_message(std::vector<uint8_t>& out, uint16_t type, uint16_t flags, uint32_t sequence, const void* payload,
                    size_t size) {
  nlmsghdr header{};
  header.nlmsg_len = static_cast<uint32_t>(NLMSG_LENGTH(size));
  header.nlmsg_type = type;
  header.nlmsg_flags = flags;
  header.nlmsg_seq = sequence;
  const size_t start = out.size();
  out.resize(start + NLMSG_ALIGN(header.nlmsg_len), 0);
  std::memcpy(out.data() + start, &header, sizeof(header));
  if (size) std::memcpy(out.data() + start + NLMSG_HDRLEN, payload, size);
}

inet_diag_msg diag_message(int family, const char* address, uint16_t port, uint8_t state, uint32_t inode) {
  inet_diag_msg message{};
  message.idiag_family = static_cast<uint8_t>(family);
  message.idiag_state = state;
  message.id.idiag_sport = htons(port);
  inet_pton(family, address, message.id.idiag_src);
  message.idiag_uid = 42;
  message.idiag_inode = inode;
  return message;
}

}  // namespace

TEST(SocketTable, AddressesAreWrittenTheWayIpv6Wants) {
  EXPECT_EQ(local_address_text(record(Transport::Tcp, "0.0.0.0", 1, kStateListen)), "0.0.0.0");
  EXPECT_EQ(local_address_text(record(Transport::Tcp, "::", 1, kStateListen)), "::");
  EXPECT_EQ(local_address_text(record(Transport::Tcp, "::1", 1, kStateListen)), "::1");
  EXPECT_EQ(local_address_text(record(Transport::Tcp, "fe80:0:0:0:0:0:0:1", 1, kStateListen)), "fe80::1");
  EXPECT_EQ(local_address_text(record(Transport::Tcp, "::ffff:127.0.0.1", 1, kStateListen)), "::ffff:127.0.0.1");
  EXPECT_EQ(local_address_text(record(Transport::Tcp, "2001:db8::1:0:0:1", 1, kStateListen)), "2001:db8::1:0:0:1");
}

TEST(SocketTable, ListeningMeansTcpListenOrUnconnectedBoundUdp) {
  EXPECT_TRUE(is_listening(record(Transport::Tcp, "0.0.0.0", 22, kStateListen)));
  EXPECT_FALSE(is_listening(record(Transport::Tcp, "0.0.0.0", 22, kStateEstablished)));
  EXPECT_FALSE(is_listening(record(Transport::Tcp, "0.0.0.0", 22, kStateClose)));
  EXPECT_TRUE(is_listening(record(Transport::Udp, "0.0.0.0", 68, kStateClose)));
  EXPECT_FALSE(is_listening(record(Transport::Udp, "0.0.0.0", 0, kStateClose)));
  EXPECT_FALSE(is_listening(record(Transport::Udp, "10.0.0.7", 40001, kStateEstablished)));
}

TEST(ProcNet, ParsesTheFixtureTablesExactly) {
  const auto tcp = parse_proc_net(fixture_text(kUbuntu / "proc/net/tcp"), Transport::Tcp, AF_INET);
  ASSERT_EQ(tcp.sockets.size(), 3u);
  EXPECT_EQ(local_address_text(tcp.sockets[1]), "127.0.0.1");
  EXPECT_EQ(tcp.sockets[1].local_port, 8883);
  EXPECT_EQ(tcp.sockets[1].state, kStateListen);
  EXPECT_EQ(tcp.sockets[1].uid, 998u);
  EXPECT_EQ(tcp.sockets[1].inode, 31337u);
  EXPECT_EQ(tcp.sockets[2].remote_port, 51234);
  ASSERT_EQ(tcp.problems.size(), 1u);
  EXPECT_EQ(tcp.problems[0], (LineProblem{5, "local address \"0100007F:ZZZZ\" is not HEX:PORT"}));

  const auto tcp6 = parse_proc_net(fixture_text(kUbuntu / "proc/net/tcp6"), Transport::Tcp, AF_INET6);
  ASSERT_EQ(tcp6.sockets.size(), 3u);
  EXPECT_TRUE(tcp6.problems.empty());
  EXPECT_EQ(local_address_text(tcp6.sockets[0]), "::");
  EXPECT_EQ(local_address_text(tcp6.sockets[1]), "::ffff:127.0.0.1");
  EXPECT_EQ(local_address_text(tcp6.sockets[2]), "fe80::1");
  EXPECT_EQ(tcp6.sockets[2].local_port, 443);
}

TEST(ProcNet, NamesEveryMalformedLine) {
  const auto table = parse_proc_net(
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
      "   0: 0100007F:0035 00000000:0000 0A 00000000:00000000 00:00000000 00000000   101        0 17960 1 0\n"
      "   1: 0100007F:0035 00000000:0000 0A\n"
      "   2: 0100007F0:0035 00000000:0000 0A 00000000:00000000 00:00000000 00000000   101        0 1 1 0\n"
      "   3: 0100007F:0035 00000000:0000 XYZ 00000000:00000000 00:00000000 00000000   101        0 1 1 0\n"
      "   4: 0100007F:0035 00000000:0000 0A 00000000:00000000 00:00000000 00000000   -1        0 1 1 0\n"
      "   5: 0100007F:0035 00000000:0000 0A 00000000:00000000 00:00000000 00000000   101        0 x 1 0\n"
      "   6: 0100007F:0035 0000000:0000 0A 00000000:00000000 00:00000000 00000000   101        0 1 1 0\n",
      Transport::Tcp, AF_INET);
  ASSERT_EQ(table.sockets.size(), 1u);
  EXPECT_EQ(table.sockets[0].local_port, 53);
  ASSERT_EQ(table.problems.size(), 6u);
  for (size_t i = 0; i < table.problems.size(); ++i) EXPECT_EQ(table.problems[i].line, i + 3);
}

TEST(ProcNet, FindsASocketThisTestOpenedInTheRealTable) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t length = sizeof(address);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  struct stat info {};
  ASSERT_EQ(::fstat(fd, &info), 0);
  const auto text = read_whole_file("/proc/self/net/tcp");
  ::close(fd);
  ASSERT_TRUE(text);
  const auto table = parse_proc_net(*text, Transport::Tcp, AF_INET);
  EXPECT_TRUE(table.problems.empty());
  bool found = false;
  for (const auto& socket : table.sockets) {
    if (socket.inode != info.st_ino) continue;
    found = true;
    EXPECT_EQ(socket.local_port, ntohs(address.sin_port));
    EXPECT_EQ(local_address_text(socket), "127.0.0.1");
    EXPECT_TRUE(is_listening(socket));
    EXPECT_EQ(socket.uid, ::geteuid());
  }
  EXPECT_TRUE(found);
}

TEST(SockDiag, RequestIsADumpOfOneFamilyAndProtocol) {
  const auto bytes = sock_diag_request(AF_INET6, Transport::Udp, 1u << kStateClose, 77);
  ASSERT_EQ(bytes.size(), NLMSG_LENGTH(sizeof(inet_diag_req_v2)));
  nlmsghdr header{};
  std::memcpy(&header, bytes.data(), sizeof(header));
  EXPECT_EQ(header.nlmsg_len, bytes.size());
  EXPECT_EQ(header.nlmsg_type, SOCK_DIAG_BY_FAMILY);
  EXPECT_EQ(header.nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
  EXPECT_EQ(header.nlmsg_seq, 77u);
  inet_diag_req_v2 request{};
  std::memcpy(&request, bytes.data() + NLMSG_HDRLEN, sizeof(request));
  EXPECT_EQ(request.sdiag_family, AF_INET6);
  EXPECT_EQ(request.sdiag_protocol, IPPROTO_UDP);
  EXPECT_EQ(request.idiag_states, 1u << kStateClose);
}

TEST(SockDiag, ParsesSocketsThenDone) {
  std::vector<uint8_t> bytes;
  const auto first = diag_message(AF_INET, "127.0.0.1", 8883, kStateListen, 1001);
  const auto second = diag_message(AF_INET6, "fe80::1", 443, kStateListen, 1002);
  const auto stale = diag_message(AF_INET, "10.0.0.1", 1, kStateListen, 9);
  append_message(bytes, SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, 5, &first, sizeof(first));
  append_message(bytes, SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, 4, &stale, sizeof(stale));  // another request's
  append_message(bytes, SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, 5, &second, sizeof(second));
  const int32_t ok = 0;
  append_message(bytes, NLMSG_DONE, NLM_F_MULTI, 5, &ok, sizeof(ok));
  const auto batch = parse_sock_diag_reply(bytes, Transport::Tcp, 5);
  EXPECT_TRUE(batch.done);
  EXPECT_EQ(batch.error, 0);
  EXPECT_EQ(batch.malformed, 0u);
  EXPECT_FALSE(batch.interrupted);
  ASSERT_EQ(batch.sockets.size(), 2u);
  EXPECT_EQ(local_address_text(batch.sockets[0]), "127.0.0.1");
  EXPECT_EQ(batch.sockets[0].local_port, 8883);
  EXPECT_EQ(batch.sockets[0].inode, 1001u);
  EXPECT_EQ(batch.sockets[0].uid, 42u);
  EXPECT_EQ(batch.sockets[1].family, AF_INET6);
  EXPECT_EQ(local_address_text(batch.sockets[1]), "fe80::1");
}

TEST(SockDiag, ReportsErrorsInterruptionsAndMalformedMessages) {
  {
    std::vector<uint8_t> bytes;
    nlmsgerr error{};
    error.error = -ENOENT;
    append_message(bytes, NLMSG_ERROR, 0, 1, &error, sizeof(error));
    const auto batch = parse_sock_diag_reply(bytes, Transport::Udp, 1);
    EXPECT_TRUE(batch.done);
    EXPECT_EQ(batch.error, ENOENT);
  }
  {
    std::vector<uint8_t> bytes;
    const auto message = diag_message(AF_INET, "0.0.0.0", 22, kStateListen, 1);
    append_message(bytes, SOCK_DIAG_BY_FAMILY, NLM_F_MULTI | NLM_F_DUMP_INTR, 1, &message, sizeof(message));
    append_message(bytes, SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, 1, &message, 10);  // cut short
    const auto wrong_family = diag_message(AF_UNIX, "0.0.0.0", 1, 0, 1);
    append_message(bytes, SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, 1, &wrong_family, sizeof(wrong_family));
    const auto batch = parse_sock_diag_reply(bytes, Transport::Tcp, 1);
    EXPECT_FALSE(batch.done);
    EXPECT_TRUE(batch.interrupted);
    EXPECT_EQ(batch.sockets.size(), 1u);
    EXPECT_EQ(batch.malformed, 2u);
    EXPECT_EQ(batch.problem, "inet_diag_msg of 10 bytes, expected 72");
  }
  {
    std::vector<uint8_t> bytes;
    const auto message = diag_message(AF_INET, "0.0.0.0", 22, kStateListen, 1);
    append_message(bytes, SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, 1, &message, sizeof(message));
    bytes[0] = 0xff;  // a length beyond the datagram
    bytes[1] = 0xff;
    const auto batch = parse_sock_diag_reply(bytes, Transport::Tcp, 1);
    EXPECT_TRUE(batch.sockets.empty());
    EXPECT_EQ(batch.malformed, 1u);
  }
  {
    // Found by fuzz_hostinfo_sock_diag: INT_MIN cannot be negated into an errno.
    std::vector<uint8_t> bytes;
    const int32_t status = INT32_MIN;
    append_message(bytes, NLMSG_DONE, NLM_F_MULTI, 1, &status, sizeof(status));
    EXPECT_EQ(parse_sock_diag_reply(bytes, Transport::Tcp, 1).error, EPROTO);
  }
  EXPECT_TRUE(parse_sock_diag_reply({}, Transport::Tcp, 1).sockets.empty());
}

TEST(SocketOwners, ParsesSocketLinks) {
  EXPECT_EQ(parse_socket_link("socket:[21034]"), 21034u);
  EXPECT_FALSE(parse_socket_link("socket:[]"));
  EXPECT_FALSE(parse_socket_link("socket:[12"));
  EXPECT_FALSE(parse_socket_link("socket:[1x]"));
  EXPECT_FALSE(parse_socket_link("pipe:[21034]"));
  EXPECT_FALSE(parse_socket_link("/dev/null"));
}

TEST(SocketOwners, FindsFixtureOwnersAndLeavesTheRestOut) {
  const auto owners = find_socket_owners(HostRoot(kUbuntu), {21034, 21036, 17004, 31337});
  ASSERT_EQ(owners.size(), 3u);
  EXPECT_EQ(owners.at(21034).pid, 812);
  EXPECT_EQ(owners.at(21034).executable, "/usr/sbin/sshd");
  EXPECT_EQ(owners.at(21034).command, "sshd");
  EXPECT_EQ(owners.at(21036).pid, 812);
  EXPECT_EQ(owners.at(17004).executable, "/usr/sbin/chronyd");
  EXPECT_FALSE(owners.contains(31337));
  EXPECT_TRUE(find_socket_owners(HostRoot(kUbuntu), {}).empty());
}

TEST(ListeningPortPayloads, FilterSortAndDeduplicate) {
  std::vector<SocketRecord> sockets = {
      record(Transport::Udp, "0.0.0.0", 68, kStateClose, 5),
      record(Transport::Tcp, "::", 22, kStateListen, 2),
      record(Transport::Tcp, "0.0.0.0", 22, kStateListen, 1),
      record(Transport::Tcp, "10.0.0.7", 22, kStateEstablished, 3),
      record(Transport::Tcp, "0.0.0.0", 8080, kStateListen, 6),  // SO_REUSEPORT pair, same process
      record(Transport::Tcp, "0.0.0.0", 8080, kStateListen, 7),
  };
  sockets[1].interface_index = 1;
  std::unordered_map<uint64_t, SocketOwner> owners = {{1, {812, "/usr/sbin/sshd", "sshd"}},
                                                      {6, {900, "/usr/bin/web", "web"}},
                                                      {7, {900, "/usr/bin/web", "web"}}};
  const auto items = listening_port_payloads(sockets, owners);
  ASSERT_EQ(items.size(), 4u);
  EXPECT_EQ(items[0]["LocalAddress"], "0.0.0.0");
  EXPECT_EQ(items[0]["LocalPort"], "22");
  EXPECT_EQ(items[0]["Protocol"], "TCP");
  EXPECT_EQ(items[0]["ExtraDetails"]["Pid"], "812");
  EXPECT_EQ(items[0]["ExtraDetails"]["Executable"], "/usr/sbin/sshd");
  EXPECT_EQ(items[0]["ExtraDetails"]["CommandName"], "sshd");
  EXPECT_EQ(items[1]["LocalAddress"], "::");
  EXPECT_FALSE(items[1]["ExtraDetails"].contains("Pid"));
  EXPECT_EQ(items[1]["ExtraDetails"]["Interface"], "lo");  // index 1 is loopback
  EXPECT_EQ(items[2]["LocalPort"], "8080");
  EXPECT_EQ(items[3]["Protocol"], "UDP");
  for (const auto& item : items) {
    for (const auto& [key, value] : item["ExtraDetails"].items()) EXPECT_TRUE(value.is_string()) << key;
  }
}

TEST(ListeningPortsCollector, ProcNetFallbackOnTheFixture) {
  Statistics statistics;
  ListeningPortsCollector collector(statistics);
  const auto config = AgentConfig::defaults();
  const HostRoot host(kUbuntu);
  const auto events = collector.collect(CollectorContext{host, config});
  ASSERT_EQ(events.size(), 1u);
  std::vector<std::string> seen;
  for (const auto& item : events[0].payload) {
    std::string line = item["Protocol"].get<std::string>() + " " + item["LocalAddress"].get<std::string>() + " " +
                       item["LocalPort"].get<std::string>();
    if (item["ExtraDetails"].contains("Pid")) line += " " + item["ExtraDetails"]["Pid"].get<std::string>();
    seen.push_back(line);
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"TCP 0.0.0.0 22 812", "TCP :: 22 812", "TCP fe80::1 443",
                                            "TCP ::ffff:127.0.0.1 5671", "TCP 127.0.0.1 8883", "UDP 127.0.0.53 53",
                                            "UDP 0.0.0.0 68", "UDP ::1 323 905"}));
  EXPECT_EQ(statistics.totals().high.dropped_by_reason.at(std::string(drop_reason::kParseFailure)), 1u);
}

TEST(ListeningPortsCollector, PrefersInitsTablesUnderAHostRootAndFailsWithoutAny) {
  test::TempDir root;
  const std::string header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
  fs::create_directories(root / "proc/1/net");
  fs::create_directories(root / "proc/net");
  std::ofstream(root / "proc/1/net/tcp")
      << header << "   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 7 1 0\n";
  std::ofstream(root / "proc/net/tcp")  // the reader's own namespace: not the host's
      << header << "   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 8 1 0\n";
  std::ofstream(root / "proc/1/net/udp") << header;
  Statistics statistics;
  ListeningPortsCollector collector(statistics);
  const auto config = AgentConfig::defaults();
  const HostRoot host(root.path());
  const auto events = collector.collect(CollectorContext{host, config});
  ASSERT_EQ(events.size(), 1u);
  ASSERT_EQ(events[0].payload.size(), 1u);
  EXPECT_EQ(events[0].payload[0]["LocalPort"], "8080");

  // Only headers: no sockets at all is the empty snapshot.
  std::ofstream(root / "proc/1/net/tcp") << header;
  const auto empty = collector.collect(CollectorContext{host, config});
  ASSERT_EQ(empty.size(), 1u);
  EXPECT_TRUE(empty[0].is_empty());

  test::TempDir bare;
  const HostRoot nothing(bare.path());
  EXPECT_THROW(collector.collect(CollectorContext{nothing, config}), CollectorError);
}
