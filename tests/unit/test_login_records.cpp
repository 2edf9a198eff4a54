// The login collector's pure parts: the utmp record layout, what records mean, read positions,
// passwd, /proc parsing and host path resolution.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstddef>
#include <filesystem>

#include "../support/temp_dir.h"
#include "../support/utmp_writer.h"
#include "collectors/login/host_path.h"
#include "collectors/login/login_event.h"
#include "collectors/login/login_interpreter.h"
#include "collectors/login/process_inspector.h"
#include "collectors/login/read_position.h"
#include "collectors/login/user_directory.h"
#include "collectors/login/utmp_record.h"

using namespace edgeguard;
using namespace edgeguard::login;
namespace fs = std::filesystem;

namespace {

UtmpRecord parsed(const test::UtmpEntry& entry) {
  auto record = parse_utmp_record(test::utmp_bytes(entry));
  if (!record) throw std::runtime_error("did not parse");
  return *record;
}

test::UtmpEntry entry(short type, std::string line, std::string user, pid_t pid = 100) {
  test::UtmpEntry e;
  e.type = type;
  e.line = std::move(line);
  e.user = std::move(user);
  e.pid = pid;
  return e;
}

}  // namespace

TEST(UtmpRecord, OurOffsetsAreGlibcsLinuxLayout) {
  namespace L = utmp_layout;
  static_assert(sizeof(struct utmp) == kUtmpRecordSize);
  EXPECT_EQ(offsetof(struct utmp, ut_type), L::kType);
  EXPECT_EQ(offsetof(struct utmp, ut_pid), L::kPid);
  EXPECT_EQ(offsetof(struct utmp, ut_line), L::kLine);
  EXPECT_EQ(offsetof(struct utmp, ut_id), L::kId);
  EXPECT_EQ(offsetof(struct utmp, ut_user), L::kUser);
  EXPECT_EQ(offsetof(struct utmp, ut_host), L::kHost);
  EXPECT_EQ(offsetof(struct utmp, ut_exit), L::kExitTermination);
  EXPECT_EQ(offsetof(struct utmp, ut_session), L::kSession);
  EXPECT_EQ(offsetof(struct utmp, ut_tv), L::kSeconds);
  EXPECT_EQ(offsetof(struct utmp, ut_addr_v6), L::kAddress);
  EXPECT_EQ(sizeof(utmp::ut_line), L::kLineSize);
  EXPECT_EQ(sizeof(utmp::ut_user), L::kUserSize);
  EXPECT_EQ(sizeof(utmp::ut_host), L::kHostSize);
}

TEST(UtmpRecord, ParsesEveryFieldGlibcWrites) {
  test::UtmpEntry e = entry(USER_PROCESS, "pts/3", "alice", 4242);
  e.id = "ts/3";
  e.host = "gateway.example";
  e.address = "192.0.2.7";
  e.time = TimePoint(std::chrono::seconds(1700000000) + std::chrono::microseconds(250000));
  const UtmpRecord r = parsed(e);
  EXPECT_TRUE(r.has_type(UtmpType::UserProcess));
  EXPECT_EQ(r.pid, 4242);
  EXPECT_EQ(r.line, "pts/3");
  EXPECT_EQ(r.id, "ts/3");
  EXPECT_EQ(r.user, "alice");
  EXPECT_EQ(r.host, "gateway.example");
  EXPECT_EQ(r.seconds, 1700000000u);
  EXPECT_EQ(r.microseconds, 250000);
  EXPECT_EQ(remote_address(r), "192.0.2.7");
  EXPECT_EQ(record_time(r), e.time);
  EXPECT_EQ(type_name(r.type), "USER_PROCESS");
}

TEST(UtmpRecord, FullWidthFieldsWithoutTerminatorStayInsideTheirField) {
  test::UtmpEntry e = entry(USER_PROCESS, std::string(32, 'L'), std::string(32, 'u'));
  e.id = "abcd";
  e.host = std::string(256, 'h');
  const UtmpRecord r = parsed(e);
  EXPECT_EQ(r.line, std::string(32, 'L'));
  EXPECT_EQ(r.id, "abcd");
  EXPECT_EQ(r.user, std::string(32, 'u'));
  EXPECT_EQ(r.host, std::string(256, 'h'));
}

TEST(UtmpRecord, OnlyExactlyOneRecordParses) {
  const std::string bytes = test::utmp_bytes(entry(USER_PROCESS, "tty1", "root"));
  EXPECT_TRUE(parse_utmp_record(bytes));
  EXPECT_FALSE(parse_utmp_record(bytes.substr(0, 383)));
  EXPECT_FALSE(parse_utmp_record(bytes + "x"));
  EXPECT_FALSE(parse_utmp_record(""));
}

TEST(UtmpRecord, RemoteAddressesInEveryShapeTheFileHolds) {
  test::UtmpEntry e = entry(LOGIN_PROCESS, "ssh:notty", "root");
  EXPECT_EQ(remote_address(parsed(e)), std::nullopt);  // local
  e.address = "2001:db8::1:2";
  EXPECT_EQ(remote_address(parsed(e)), "2001:db8::1:2");
  e.address = "::ffff:198.51.100.9";  // IPv4-mapped: the IPv4 address it is
  EXPECT_EQ(remote_address(parsed(e)), "198.51.100.9");
  e.address = "127.0.0.1";
  EXPECT_EQ(remote_address(parsed(e)), "127.0.0.1");
  // IPv6 with the low 96 bits zero looks like IPv4; ut_host settles it.
  e.address = "2001:db8::";
  EXPECT_EQ(remote_address(parsed(e)), "32.1.13.184");
  e.host = "2001:db8::";
  EXPECT_EQ(remote_address(parsed(e)), "2001:db8::");
}

TEST(UtmpRecord, TimesAfter2038AreNotNegative) {
  test::UtmpEntry e = entry(USER_PROCESS, "tty1", "root");
  e.time = TimePoint(std::chrono::seconds(1));
  std::string bytes = test::utmp_bytes(e);
  const uint32_t after_2038 = 0x90000000u;  // 2046
  std::memcpy(bytes.data() + utmp_layout::kSeconds, &after_2038, 4);
  const auto r = parse_utmp_record(bytes);
  ASSERT_TRUE(r);
  EXPECT_EQ(record_time(*r), TimePoint(std::chrono::seconds(0x90000000LL)));
}

TEST(LoginInterpreter, LoginThenLogoutOnTheSameLineNamesTheUser) {
  LoginInterpreter interpreter;
  test::UtmpEntry login = entry(USER_PROCESS, "pts/1", "alice", 500);
  login.address = "192.0.2.1";
  const auto in = interpreter.interpret(parsed(login), LogKind::Wtmp);
  ASSERT_TRUE(in.facts);
  EXPECT_EQ(in.facts->operation, LoginOperation::Login);
  EXPECT_EQ(interpreter.open_sessions(), 1u);
  interpreter.remember_executable(in.facts->session_key, {"/usr/sbin/sshd", "/proc/500/exe"});

  // sshd's logout record: no user, no address, another pid (the one that ended the session).
  const auto out = interpreter.interpret(parsed(entry(DEAD_PROCESS, "pts/1", "", 498)), LogKind::Wtmp);
  ASSERT_TRUE(out.facts);
  EXPECT_EQ(out.facts->operation, LoginOperation::Logout);
  EXPECT_EQ(out.facts->user, "alice");
  EXPECT_EQ(out.facts->pid, 498);
  EXPECT_EQ(out.facts->remote_address, "192.0.2.1");
  ASSERT_TRUE(out.facts->session_executable);
  EXPECT_EQ(out.facts->session_executable->executable, "/usr/sbin/sshd");
  ASSERT_TRUE(out.facts->session_start);
  EXPECT_EQ(interpreter.open_sessions(), 0u);
}

TEST(LoginInterpreter, ProcessEndsThatWereNeverLoginsAreNotLogouts) {
  LoginInterpreter interpreter;
  EXPECT_FALSE(interpreter.interpret(parsed(entry(DEAD_PROCESS, "tty2", "")), LogKind::Wtmp).facts);
  EXPECT_FALSE(interpreter.interpret(parsed(entry(LOGIN_PROCESS, "tty2", "LOGIN")), LogKind::Wtmp).facts);
  EXPECT_FALSE(interpreter.interpret(parsed(entry(INIT_PROCESS, "tty2", "")), LogKind::Wtmp).facts);
  const auto empty = interpreter.interpret(parsed(entry(EMPTY, "", "")), LogKind::Btmp);
  EXPECT_FALSE(empty.facts);
  EXPECT_TRUE(empty.problem.empty());
  EXPECT_FALSE(interpreter.interpret(parsed(entry(EMPTY, "pts/0", "alice")), LogKind::Wtmp).facts);
  // btmp: whatever type its writer chose, a record with a user is a failed attempt.
  EXPECT_TRUE(interpreter.interpret(parsed(entry(EMPTY, "tty1", "alice")), LogKind::Btmp).facts);
  EXPECT_TRUE(interpreter.interpret(parsed(entry(USER_PROCESS, "tty1", "alice")), LogKind::Btmp).facts);
}

TEST(LoginInterpreter, UtmpSeedsSessionsAndABootEndsThem) {
  LoginInterpreter interpreter;
  interpreter.learn_open_session(parsed(entry(USER_PROCESS, "pts/7", "bob")));
  interpreter.learn_open_session(parsed(entry(LOGIN_PROCESS, "tty1", "LOGIN")));  // not a session
  EXPECT_EQ(interpreter.open_sessions(), 1u);
  interpreter.interpret(parsed(entry(BOOT_TIME, "~", "reboot")), LogKind::Wtmp);
  EXPECT_EQ(interpreter.open_sessions(), 0u);
  interpreter.learn_open_session(parsed(entry(USER_PROCESS, "pts/7", "bob")));
  interpreter.interpret(parsed(entry(RUN_LVL, "~~", "shutdown")), LogKind::Wtmp);
  EXPECT_EQ(interpreter.open_sessions(), 0u);
}

TEST(LoginInterpreter, EveryBtmpRecordIsAFailureAndMalformedOnesAreProblems) {
  LoginInterpreter interpreter;
  test::UtmpEntry failed = entry(LOGIN_PROCESS, "ssh:notty", "admin");
  failed.address = "2001:db8::66";
  const auto ok = interpreter.interpret(parsed(failed), LogKind::Btmp);
  ASSERT_TRUE(ok.facts);
  EXPECT_EQ(ok.facts->operation, LoginOperation::LoginFailed);
  EXPECT_EQ(ok.facts->remote_address, "2001:db8::66");
  EXPECT_FALSE(interpreter.interpret(parsed(entry(LOGIN_PROCESS, "ssh:notty", "")), LogKind::Btmp).problem.empty());
  EXPECT_FALSE(interpreter.interpret(parsed(entry(USER_PROCESS, "pts/0", "")), LogKind::Wtmp).problem.empty());
  EXPECT_FALSE(interpreter.interpret(parsed(entry(42, "pts/0", "x")), LogKind::Wtmp).problem.empty());
  EXPECT_FALSE(interpreter.interpret(parsed(entry(-1, "pts/0", "x")), LogKind::Btmp).problem.empty());
}

TEST(LoginInterpreter, TheSessionTableIsBounded) {
  LoginInterpreter interpreter;
  for (size_t i = 0; i < LoginInterpreter::kMaxSessions + 10; ++i) {
    interpreter.interpret(parsed(entry(USER_PROCESS, "pts/" + std::to_string(i), "u")), LogKind::Wtmp);
  }
  EXPECT_EQ(interpreter.open_sessions(), LoginInterpreter::kMaxSessions);
  EXPECT_EQ(interpreter.evicted_sessions(), 10u);
}

TEST(ReadPositions, RoundTripAndRejectWhatTheyDidNotWrite) {
  ReadPositions positions{{"wtmp", {18446744073709551615ull, 768, "0123456789abcdef"}}, {"btmp", {12, 0, ""}}};
  std::string error;
  EXPECT_EQ(parse_positions(serialize_positions(positions), error), positions);
  for (const char* bad : {"", "[]", "{\"version\":2,\"files\":{}}", "{\"version\":1}",
                          R"({"version":{"wtmp":{}},"files":{}})", R"({"version":"1","files":{}})",
                          R"({"version":1,"files":{"wtmp":{"inode":"1","offset":"100","fingerprint":""}}})",
                          R"({"version":1,"files":{"wtmp":{"inode":1,"offset":"0","fingerprint":""}}})",
                          R"({"version":1,"files":{"wtmp":{"inode":"-1","offset":"0","fingerprint":""}}})"}) {
    error.clear();
    EXPECT_FALSE(parse_positions(bad, error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

TEST(ReadPositions, FingerprintsTellRecordsApart) {
  const std::string a = test::utmp_bytes(entry(USER_PROCESS, "pts/1", "a"));
  const std::string b = test::utmp_bytes(entry(USER_PROCESS, "pts/1", "b"));
  EXPECT_EQ(fingerprint_of(a), fingerprint_of(a));
  EXPECT_NE(fingerprint_of(a), fingerprint_of(b));
  EXPECT_EQ(fingerprint_of(a).size(), 16u);
}

TEST(Passwd, NamesToIdsSkippingWhatIsNotAnEntry) {
  const auto uids = uids_by_name("root:x:0:0:root:/root:/bin/bash\n# comment\n+::::::\nbad:x:abc:1::/:/bin/sh\n"
                                 "alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash\nalice:x:2000:2000::/:/bin/sh\nshort:x\n");
  EXPECT_EQ(uids.size(), 2u);
  EXPECT_EQ(uids.at("root"), "0");
  EXPECT_EQ(uids.at("alice"), "1000");  // the first entry wins, as for getpwnam
}

TEST(Passwd, TheDirectoryFollowsChangesOfTheFile) {
  test::TempDir dir;
  fs::create_directories(dir / "etc");
  const HostRoot host(dir.path());
  UserDirectory users(host);
  EXPECT_EQ(users.uid_of("alice"), std::nullopt);
  test::append_bytes(dir / "etc/passwd", "alice:x:1000:1000::/home/alice:/bin/sh\n");
  EXPECT_EQ(users.uid_of("alice"), "1000");
  test::append_bytes(dir / "etc/passwd", "bob:x:1001:1001::/home/bob:/bin/sh\n");
  EXPECT_EQ(users.uid_of("bob"), "1001");
}

TEST(ProcStat, ParentAndStartTimeEvenWithParenthesesAndSpacesInTheName) {
  const std::string stat = "1234 (evil) name) S 77 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 50\n";
  const auto parsed_stat = parse_proc_stat(stat);
  ASSERT_TRUE(parsed_stat);
  EXPECT_EQ(parsed_stat->parent, 77);
  EXPECT_EQ(parsed_stat->start_ticks, 987654u);
  EXPECT_FALSE(parse_proc_stat("1234 (x) S 1"));
  EXPECT_FALSE(parse_proc_stat("garbage"));
  EXPECT_FALSE(parse_proc_stat("1 (x) S y 1 1 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 50"));
  EXPECT_EQ(parse_boot_seconds("cpu 1 2 3\nbtime 1700000000\nprocesses 5\n"), 1700000000);
  EXPECT_EQ(parse_boot_seconds("cpu 1 2 3\n"), std::nullopt);
}

TEST(ProcessInspector, NamesALiveWriterButNotAPidReusedAfterTheRecord) {
  const HostRoot host("/");
  ProcessInspector processes(host);
  const auto self = fs::read_symlink("/proc/self/exe").string();
  const auto now = processes.process(getpid(), Clock::now());
  ASSERT_TRUE(now);
  EXPECT_EQ(now->executable, self);
  EXPECT_EQ(now->parent, getppid());
  ASSERT_TRUE(processes.process(getpid(), std::nullopt));
  // A record written before this process started was written by another process.
  EXPECT_FALSE(processes.process(getpid(), Clock::now() - std::chrono::hours(24 * 365 * 30)));
  EXPECT_FALSE(processes.process(0, Clock::now()));
  ASSERT_TRUE(processes.boot_time());
  EXPECT_LT(*processes.boot_time(), Clock::now());
}

TEST(HostPath, AbsoluteLinksStayInsideTheHostRoot) {
  test::TempDir dir;
  fs::create_directories(dir / "run");
  fs::create_directories(dir / "var/volatile/log");
  fs::create_symlink("/run", dir / "var/run");              // absolute: means <root>/run
  fs::create_symlink("volatile/log", dir / "var/log");      // relative, as on Yocto
  fs::create_symlink("../../../../../etc", dir / "escape");  // ".." stops at the host root
  fs::create_symlink("loop", dir / "loop");
  const HostRoot host(dir.path());
  EXPECT_EQ(resolve_host_path(host, "/var/run"), dir / "run");
  EXPECT_EQ(resolve_host_path(host, "/var/log"), dir / "var/volatile/log");
  EXPECT_EQ(resolve_host_path(host, "/escape"), std::nullopt);  // <root>/etc does not exist
  fs::create_directories(dir / "etc");
  EXPECT_EQ(resolve_host_path(host, "/escape"), dir / "etc");
  EXPECT_EQ(resolve_host_path(host, "/loop"), std::nullopt);
  EXPECT_EQ(resolve_host_path(host, "/missing/dir"), std::nullopt);
}

TEST(LoginEvent, ServicesAreInferredOnlyWhereTheTerminalTellsThem) {
  EXPECT_EQ(service_of_line("ssh:notty", LogKind::Btmp, LOGIN_PROCESS), "sshd");
  EXPECT_EQ(service_of_line("ttyS0", LogKind::Wtmp, USER_PROCESS), "login");
  EXPECT_EQ(service_of_line("tty1", LogKind::Btmp, LOGIN_PROCESS), "");  // login or su
  EXPECT_EQ(service_of_line("pts/0", LogKind::Wtmp, USER_PROCESS), "");   // sshd, telnetd, a terminal...
}
