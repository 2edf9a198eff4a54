// Parsers of the kernel event sources: audit records, /proc files, socket tables,
// passwd, command lines.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include "collectors/network/connection_create_event.h"
#include "collectors/network/socket_table.h"
#include "collectors/process/audit_record.h"
#include "collectors/process/cgroup_path.h"
#include "collectors/process/command_line.h"
#include "collectors/process/proc_reader.h"
#include "collectors/process/user_names.h"

using namespace edgeguard;

TEST(CommandLine, JoinsArgvWithSpacesAndMarksTheCut) {
  const std::string argv("/bin/echo\0hello\0two words\0", 26);
  const auto full = make_command_line(argv, 4096);
  EXPECT_EQ(full.text, "/bin/echo hello two words");
  EXPECT_FALSE(full.cut);
  const auto cut = make_command_line(argv, 12);
  EXPECT_EQ(cut.text, "/bin/echo he");
  EXPECT_TRUE(cut.cut);
  EXPECT_TRUE(make_command_line(argv, 4096, true).cut);  // the source already had more
  EXPECT_EQ(make_command_line(std::string("a\0", 2), 1).text, "a");
  EXPECT_FALSE(make_command_line(std::string("a\0", 2), 1).cut);  // the trailing NUL is not content
  EXPECT_EQ(make_command_line("", 10).text, "");
}

TEST(CommandLine, NeverCutsInsideAUtf8Character) {
  const std::string argv = "x\xC3\xA9\xC3\xA9";  // "xéé"
  const auto cut = make_command_line(argv, 4);  // would end inside the second é
  EXPECT_EQ(cut.text, "x\xC3\xA9");
  EXPECT_TRUE(cut.cut);
}

TEST(AuditRecord, HeaderGivesTimeSerialAndBody) {
  const auto header = audit::parse_record_header("audit(1700000000.123:42): arch=c000003e");
  ASSERT_TRUE(header);
  EXPECT_EQ(header->serial, 42u);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(header->time.time_since_epoch()).count(),
            1700000000123);
  EXPECT_EQ(header->body, "arch=c000003e");
  for (const char* bad : {"", "audit(", "audit(1.2:3)", "audit(x.1:2): a", "audit(1.1000:2): a", "type=SYSCALL msg=audit(1.2:3): a",
                          "audit(-1.1:2): a", "audit(1.1:): a",
                          "audit(11700000000.001:7): a" /* beyond 2262: not representable */}) {
    EXPECT_FALSE(audit::parse_record_header(bad)) << bad;
  }
}

TEST(AuditRecord, StringFieldsAreQuotedHexOrNull) {
  EXPECT_EQ(audit::decode_string("\"/usr/bin/echo\""), "/usr/bin/echo");
  EXPECT_EQ(audit::decode_string("2F746D702F6120622F63"), "/tmp/a b/c");
  EXPECT_EQ(audit::decode_string("(null)"), "");
  EXPECT_FALSE(audit::decode_string("\"unterminated"));
  EXPECT_FALSE(audit::decode_string("ABC"));   // odd length
  EXPECT_FALSE(audit::decode_string("ZZZZ"));  // not hex
}

TEST(AuditRecord, SyscallRecordFields) {
  const auto call = audit::parse_syscall_record(
      "arch=c000003e syscall=42 success=no exit=-115 a0=3 a1=7ffc a2=10 a3=0 items=0 ppid=10 pid=20 "
      "auid=4294967295 uid=1000 gid=1000 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 "
      "comm=\"curl\" exe=2F7573722F62696E2F6375726C key=(null)");
  ASSERT_TRUE(call);
  EXPECT_EQ(call->number, 42);
  EXPECT_FALSE(call->success);
  EXPECT_EQ(call->exit, -115);
  EXPECT_EQ(call->a0, 3u);
  EXPECT_EQ(call->pid, 20u);
  EXPECT_EQ(call->ppid, 10u);
  EXPECT_EQ(call->uid, 1000u);
  EXPECT_EQ(call->euid, 0u);
  EXPECT_EQ(call->comm, "curl");
  EXPECT_EQ(call->exe, "/usr/bin/curl");
  EXPECT_FALSE(audit::parse_syscall_record("syscall=59 exe=\"/bin/x\""));  // no pid
  EXPECT_FALSE(audit::parse_syscall_record("syscall=x pid=1"));
}

TEST(AuditRecord, SockaddrOfIpv4Ipv6AndUnix) {
  const auto v4 = audit::parse_sockaddr("020000357F0000010000000000000000");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->family, AF_INET);
  EXPECT_EQ(v4->port, 53);
  EXPECT_EQ(v4->address[0], 127);
  EXPECT_EQ(v4->address[3], 1);
  const auto v6 = audit::parse_sockaddr("0A001F90000000000000000000000000000000000000000100000000");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->family, AF_INET6);
  EXPECT_EQ(v6->port, 8080);
  EXPECT_EQ(v6->address[15], 1);
  const auto unix_socket = audit::parse_sockaddr("01002F72756E2F736F636B00");
  ASSERT_TRUE(unix_socket);
  EXPECT_EQ(unix_socket->family, AF_UNIX);
  EXPECT_FALSE(audit::parse_sockaddr("0200"));       // IPv4 too short
  EXPECT_FALSE(audit::parse_sockaddr("0A0000"));     // IPv6 too short
  EXPECT_FALSE(audit::parse_sockaddr("nothex"));
}

namespace {
std::vector<audit::AuditEvent> assemble(const std::vector<std::pair<int, std::string>>& records, size_t max = 4096) {
  std::vector<audit::AuditEvent> out;
  audit::EventAssembler assembler([&](audit::AuditEvent& e) { out.push_back(e); }, max);
  for (const auto& [type, text] : records) assembler.add(type, text);
  assembler.flush_all();
  return out;
}
}  // namespace

TEST(AuditAssembler, ExecEventFromItsRecords) {
  const auto events = assemble({
      {1300, "audit(1700000000.001:7): arch=c000003e syscall=59 success=yes exit=0 a0=1 ppid=1 pid=99 uid=0 euid=0 "
             "comm=\"echo\" exe=\"/usr/bin/echo\" key=\"edgeguard\""},
      {1309, "audit(1700000000.001:7): argc=3 a0=\"/bin/echo\" a1=6869207468657265 a2=\"x\""},
      {1307, "audit(1700000000.001:7): cwd=\"/\""},
      {1327, "audit(1700000000.001:7): proctitle=2F62696E2F6563686F00686920746865726500"},
      {1320, "audit(1700000000.001:7): "},
  });
  ASSERT_EQ(events.size(), 1u);
  const auto& e = events[0];
  EXPECT_EQ(e.serial, 7u);
  ASSERT_TRUE(e.syscall);
  EXPECT_EQ(e.syscall->exe, "/usr/bin/echo");
  EXPECT_EQ(e.arguments, std::string("/bin/echo\0hi there\0x\0", 21));
  EXPECT_FALSE(e.arguments_cut);
  EXPECT_EQ(e.proctitle, std::string("/bin/echo\0hi there\0", 19));
  EXPECT_FALSE(e.malformed);
}

TEST(AuditAssembler, LongArgumentsInPiecesAcrossRecords) {
  // a1 is 6 bytes sent as two hex pieces in two EXECVE records; then a2.
  const auto events = assemble({
      {1309, "audit(1.000:8): argc=3 a0=\"prog\" a1_len=6 a1[0]=616263"},
      {1309, "audit(1.000:8): a1[1]=646566 a2=\"end\""},
      {1320, "audit(1.000:8): "},
  });
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].arguments, std::string("prog\0abcdef\0end\0", 16));
  EXPECT_FALSE(events[0].arguments_cut);
}

TEST(AuditAssembler, MissingRecordsAndTheLimitMarkTheArgumentsCut) {
  const auto missing = assemble({{1309, "audit(1.000:9): argc=3 a0=\"prog\" a2=\"x\""}, {1320, "audit(1.000:9): "}});
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_TRUE(missing[0].arguments_cut);
  const auto limited = assemble({{1309, "audit(1.000:10): argc=2 a0=\"abcdef\" a1=\"ghijkl\""}}, 8);
  ASSERT_EQ(limited.size(), 1u);
  EXPECT_TRUE(limited[0].arguments_cut);
  EXPECT_EQ(limited[0].arguments.size(), 9u);  // the limit plus one byte, to know it was cut
}

TEST(AuditAssembler, InterleavedEventsStayApartAndOldOnesAreFlushed) {
  std::vector<audit::AuditEvent> out;
  audit::EventAssembler assembler([&](audit::AuditEvent& e) { out.push_back(e); }, 4096);
  assembler.add(1300, "audit(100.000:1): syscall=59 success=yes exit=0 pid=1 ppid=0 exe=\"/a\"");
  assembler.add(1300, "audit(100.000:2): syscall=59 success=yes exit=0 pid=2 ppid=0 exe=\"/b\"");
  assembler.add(1309, "audit(100.000:2): argc=1 a0=\"b\"");
  assembler.add(1309, "audit(100.000:1): argc=1 a0=\"a\"");
  assembler.add(1320, "audit(100.000:2): ");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].syscall->exe, "/b");
  EXPECT_EQ(out[0].arguments, std::string("b\0", 2));
  EXPECT_EQ(assembler.open_events(), 1u);
  assembler.flush_older(TimePoint(std::chrono::seconds(100)));  // not older than itself
  EXPECT_EQ(out.size(), 1u);
  assembler.flush_older(TimePoint(std::chrono::seconds(101)));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].arguments, std::string("a\0", 2));
}

TEST(AuditAssembler, GarbageIsRejectedNotCrashed) {
  std::vector<audit::AuditEvent> out;
  audit::EventAssembler assembler([&](audit::AuditEvent& e) { out.push_back(e); }, 4096);
  EXPECT_FALSE(assembler.add(1300, "nonsense"));
  EXPECT_FALSE(assembler.add(1300, "audit(1.000:3): syscall=59"));  // no pid
  EXPECT_FALSE(assembler.add(1309, "audit(1.000:3): argc=zz"));
  EXPECT_TRUE(assembler.add(1302, "audit(1.000:3): item=0 name=\"/x\""));  // PATH: not needed, fine
  assembler.flush_all();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].malformed);
}

TEST(ProcFiles, StatusAndStatStart) {
  const auto status = parse_proc_status("Name:\tbash\nPPid:\t17\nTracerPid:\t0\nUid:\t1000\t0\t0\t0\nGid:\t1\n");
  ASSERT_TRUE(status);
  EXPECT_EQ(status->ppid, 17u);
  EXPECT_EQ(status->uid, 1000u);
  EXPECT_EQ(status->euid, 0u);
  EXPECT_FALSE(parse_proc_status("Name:\tbash\nUid:\t1\t1\t1\t1\n"));
  EXPECT_FALSE(parse_proc_status("PPid:\tx\nUid:\t1\t1\n"));
  // A comm with spaces and parentheses must not shift the fields.
  const std::string stat = "42 (a) b (c) S 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10";
  EXPECT_EQ(parse_proc_stat_start(stat), 987654u);
  EXPECT_FALSE(parse_proc_stat_start("42 (x) S 1 2"));
  EXPECT_FALSE(parse_proc_stat_start("no parenthesis"));
}

TEST(Addresses, FormattingAndLoopback) {
  std::array<uint8_t, 16> a{};
  a[0] = 192; a[1] = 0; a[2] = 2; a[3] = 1;
  EXPECT_EQ(format_ip_address(AF_INET, a), "192.0.2.1");
  EXPECT_FALSE(is_loopback_address(AF_INET, a));
  a[0] = 127;
  EXPECT_TRUE(is_loopback_address(AF_INET, a));
  std::array<uint8_t, 16> mapped{};
  mapped[10] = 0xff; mapped[11] = 0xff; mapped[12] = 127; mapped[15] = 1;
  EXPECT_EQ(format_ip_address(AF_INET6, mapped), "127.0.0.1");
  EXPECT_TRUE(is_loopback_address(AF_INET6, mapped));
  std::array<uint8_t, 16> v6{};
  v6[0] = 0x20; v6[1] = 0x01; v6[2] = 0x0d; v6[3] = 0xb8; v6[15] = 1;
  EXPECT_EQ(format_ip_address(AF_INET6, v6), "2001:db8::1");
  EXPECT_FALSE(is_loopback_address(AF_INET6, v6));
  std::array<uint8_t, 16> one{};
  one[15] = 1;
  EXPECT_TRUE(is_loopback_address(AF_INET6, one));
}

TEST(Passwd, FirstEntryOfAUidWinsAndBadLinesAreSkipped) {
  const auto names = names_by_uid("root:x:0:0:root:/root:/bin/bash\n# comment\nbroken\nnobody:x:65534:65534::/:/bin/false\n"
                                  "toor:x:0:0::/:/bin/sh\nweird:x:12a:0::/:/bin/sh\n:x:5:5::/:\n");
  EXPECT_EQ(names.size(), 2u);
  EXPECT_EQ(names.at(0), "root");
  EXPECT_EQ(names.at(65534), "nobody");
}
