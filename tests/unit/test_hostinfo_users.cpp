// LocalUsers: passwd/group parsers, group resolution, and the collector against fixtures.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "../support/temp_dir.h"
#include "collectors/users/account_files.h"
#include "collectors/users/local_users_collector.h"

using namespace edgeguard;
namespace fs = std::filesystem;

namespace {

const fs::path kFixtures = fs::path(EDGEGUARD_TEST_DIR) / "fixtures";

void write(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << text;
}

struct Row {
  std::string name, uid, group_names, group_ids;
  bool operator==(const Row&) const = default;
};

std::ostream& operator<<(std::ostream& out, const Row& row) {
  return out << row.name << " " << row.uid << " " << row.group_names << " " << row.group_ids;
}

std::vector<Row> rows_of(const std::vector<Event>& events) {
  std::vector<Row> rows;
  for (const auto& event : events) {
    for (const auto& item : event.payload) {
      rows.push_back({item["UserName"], item["UserId"], item["GroupNames"], item["GroupIds"]});
    }
  }
  return rows;
}

}  // namespace

TEST(Passwd, ParsesLikeTheCLibrary) {
  const auto parsed = parse_passwd(
      "root:x:0:0:root:/root:/bin/bash\n"
      "# a comment\n"
      "\n"
      "   \t\n"
      "  indented:x:5:5::/home/i:/bin/sh\n"
      "crlf:x:6:6::/home/c:/bin/sh\r\n"
      "colon:x:7:7::/home/colon:/opt/odd:shell\n"
      "short:x:8:8\n"
      "+\n"
      "+nisuser::::::\n"
      "-blocked\n"
      "+@group\n"
      "max:x:4294967294:0::/:/bin/false\n");
  EXPECT_TRUE(parsed.problems.empty());
  EXPECT_EQ(parsed.compat_lines, 4u);
  ASSERT_EQ(parsed.entries.size(), 6u);
  EXPECT_EQ(parsed.entries[0].name, "root");
  EXPECT_EQ(parsed.entries[0].home, "/root");
  EXPECT_EQ(parsed.entries[0].shell, "/bin/bash");
  EXPECT_EQ(parsed.entries[0].line, 1u);
  EXPECT_EQ(parsed.entries[1].name, "indented");
  EXPECT_EQ(parsed.entries[1].line, 5u);
  EXPECT_EQ(parsed.entries[2].shell, "/bin/sh");
  EXPECT_EQ(parsed.entries[3].shell, "/opt/odd:shell");
  EXPECT_EQ(parsed.entries[4].name, "short");
  EXPECT_EQ(parsed.entries[4].gid, 8u);
  EXPECT_EQ(parsed.entries[4].shell, "");
  EXPECT_EQ(parsed.entries[5].uid, 4294967294u);
}

TEST(Passwd, NamesEveryUnusableLine) {
  const auto parsed = parse_passwd(
      "ok:x:1:1::/:/bin/sh\n"
      "nouid:x::1::/:/bin/sh\n"
      "negative:x:-1:1::/:/bin/sh\n"
      "minusone:x:4294967295:1::/:/bin/sh\n"
      "big:x:99999999999:1::/:/bin/sh\n"
      "badgid:x:3:g::/:/bin/sh\n"
      ":x:4:4::/:/bin/sh\n"
      "tooshort:x:5\n"
      "spaces:x: 6:6::/:/bin/sh\n");
  ASSERT_EQ(parsed.entries.size(), 1u);
  ASSERT_EQ(parsed.problems.size(), 8u);
  EXPECT_EQ(parsed.problems[0], (LineProblem{2, "user \"nouid\": uid \"\" is not a number below 4294967295"}));
  EXPECT_EQ(parsed.problems[4], (LineProblem{6, "user \"badgid\": gid \"g\" is not a number below 4294967295"}));
  EXPECT_EQ(parsed.problems[5], (LineProblem{7, "empty user name"}));
  EXPECT_EQ(parsed.problems[6], (LineProblem{8, "expected name:password:uid:gid:gecos:home:shell"}));
  EXPECT_EQ(parsed.problems[7].line, 9u);
}

TEST(Group, ParsesMembersAndFlagsBadIds) {
  const auto parsed = parse_group(
      "adm:x:4:syslog,edgeadmin\n"
      "empty:x:5:\n"
      "nomembers:x:6\n"
      "spaced:x:7: alice , bob,,\n"
      "bad:x:gid:alice\n"
      "+:::\n"
      "x\n");
  ASSERT_EQ(parsed.entries.size(), 4u);
  EXPECT_EQ(parsed.entries[0].members, (std::vector<std::string>{"syslog", "edgeadmin"}));
  EXPECT_TRUE(parsed.entries[1].members.empty());
  EXPECT_TRUE(parsed.entries[2].members.empty());
  EXPECT_EQ(parsed.entries[3].members, (std::vector<std::string>{"alice", "bob"}));
  EXPECT_EQ(parsed.compat_lines, 1u);
  ASSERT_EQ(parsed.problems.size(), 2u);
  EXPECT_EQ(parsed.problems[0], (LineProblem{5, "group \"bad\": gid \"gid\" is not a number below 4294967295"}));
  EXPECT_EQ(parsed.problems[1], (LineProblem{7, "expected name:password:gid:members"}));
}

TEST(LocalUserGroups, PrimaryFirstThenMembershipsInFileOrderEachOnce) {
  const auto users = parse_passwd("alice:x:1000:1000::/home/alice:/bin/bash\n"
                                  "bob:x:1001:50::/home/bob:/bin/sh\n"
                                  "carol:x:1002:1002::/home/carol:/bin/sh\n").entries;
  const auto groups = parse_group("alice:x:1000:alice\n"      // primary, also listed: once
                                  "staff:x:50:alice,bob\n"
                                  "wheel:x:10:alice,alice\n"
                                  "wheel2:x:10:alice\n"        // same gid again: once
                                  "video:x:44:bob\n").entries;
  const auto resolved = resolve_local_users(users, groups);
  ASSERT_EQ(resolved.size(), 3u);
  EXPECT_EQ(resolved[0].group_ids, (std::vector<uint32_t>{1000, 50, 10}));
  EXPECT_EQ(resolved[0].group_names, (std::vector<std::string>{"alice", "staff", "wheel"}));
  EXPECT_EQ(resolved[1].group_ids, (std::vector<uint32_t>{50, 44}));
  EXPECT_EQ(resolved[1].group_names, (std::vector<std::string>{"staff", "video"}));
  // No group 1002: named by number, as id(1) does, and flagged.
  EXPECT_EQ(resolved[2].group_ids, (std::vector<uint32_t>{1002}));
  EXPECT_EQ(resolved[2].group_names, (std::vector<std::string>{"1002"}));
  EXPECT_EQ(resolved[2].unknown_group_ids, (std::vector<uint32_t>{1002}));

  const auto item = local_user_payload(resolved[0]);
  EXPECT_EQ(item["GroupIds"], "1000;50;10");
  EXPECT_EQ(item["GroupNames"], "alice;staff;wheel");
  EXPECT_EQ(item["UserId"], "1000");
  EXPECT_EQ(local_user_payload(resolved[2])["ExtraDetails"]["UnknownGroupIds"], "1002");
}

TEST(LocalUsersCollector, UbuntuFixtureIsReportedExactlyAndTheBadLineCounted) {
  Statistics statistics;
  LocalUsersCollector collector(statistics);
  const auto config = AgentConfig::defaults();
  const HostRoot host(kFixtures / "hostroot-ubuntu2204-x86");
  const auto events = collector.collect(CollectorContext{host, config});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].name, "LocalUsers");
  const std::vector<Row> expected = {
      {"root", "0", "root", "0"},
      {"daemon", "1", "daemon", "1"},
      {"syslog", "104", "syslog;adm", "110;4"},
      {"iotedge", "998", "iotedge;docker;aziotcs", "997;999;996"},
      {"edgeadmin", "1000", "edgeadmin;adm;sudo;docker", "1000;4;27;999"},
      {"orphan", "1001", "4242", "4242"},
      {"j\xf6rg", "1002", "edgeadmin", "1000"},
  };
  EXPECT_EQ(rows_of(events), expected);
  EXPECT_EQ(events[0].payload[4]["ExtraDetails"]["Shell"], "/bin/bash");  // the CR is not part of it
  // The unparsable "broken" line is a user left out: counted, with the event's priority.
  const auto totals = statistics.totals();
  EXPECT_EQ(totals.high.dropped, 1u);
  EXPECT_EQ(totals.high.dropped_by_reason.at(std::string(drop_reason::kParseFailure)), 1u);
  // The non-UTF-8 name survives serialization (replaced), rather than failing the message.
  const auto text = serialize_event(events[0]);
  EXPECT_NE(text.find("j\xef\xbf\xbdrg"), std::string::npos);
}

TEST(LocalUsersCollector, YoctoFixture) {
  Statistics statistics;
  LocalUsersCollector collector(statistics);
  const auto config = AgentConfig::defaults();
  const HostRoot host(kFixtures / "hostroot-yocto-arm");
  const auto rows = rows_of(collector.collect(CollectorContext{host, config}));
  ASSERT_EQ(rows.size(), 8u);
  EXPECT_EQ(rows[7], (Row{"weston", "1000", "weston;audio;video;input;render", "1000;29;44;101;996"}));
  EXPECT_EQ(statistics.totals().high.dropped, 0u);
}

TEST(LocalUsersCollector, NoUsersIsTheEmptySnapshot) {
  test::TempDir root;
  write(root / "etc/passwd", "# nothing here\n+::::::\n");
  write(root / "etc/group", "");
  Statistics statistics;
  LocalUsersCollector collector(statistics);
  const auto config = AgentConfig::defaults();
  const HostRoot host(root.path());
  const auto events = collector.collect(CollectorContext{host, config});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(events[0].is_empty());
}

TEST(LocalUsersCollector, MissingPasswdIsAnErrorNamingThePath) {
  test::TempDir root;
  Statistics statistics;
  LocalUsersCollector collector(statistics);
  const auto config = AgentConfig::defaults();
  const HostRoot host(root.path());
  try {
    collector.collect(CollectorContext{host, config});
    FAIL() << "expected CollectorError";
  } catch (const CollectorError& error) {
    EXPECT_EQ(std::string(error.what()), "LocalUsers: open " + (root / "etc/passwd").string() + ": No such file or directory");
  }
}

TEST(LocalUsersCollector, MissingGroupFileStillReportsUsersByGroupNumber) {
  test::TempDir root;
  write(root / "etc/passwd", "alice:x:1000:1000::/home/alice:/bin/bash\n");
  Statistics statistics;
  LocalUsersCollector collector(statistics);
  const auto config = AgentConfig::defaults();
  const HostRoot host(root.path());
  EXPECT_EQ(rows_of(collector.collect(CollectorContext{host, config})), (std::vector<Row>{{"alice", "1000", "1000", "1000"}}));
}

TEST(LocalUsersCollector, ThousandsOfUsersAreSplitIntoEventsThatFit) {
  test::TempDir root;
  std::string passwd;
  std::string group = "users:x:100:";
  for (int i = 0; i < 6000; ++i) {
    passwd += "user" + std::to_string(i) + ":x:" + std::to_string(10000 + i) + ":100::/home/user" + std::to_string(i) +
              ":/bin/sh\n";
  }
  write(root / "etc/passwd", passwd);
  write(root / "etc/group", group + "\n");
  Statistics statistics;
  LocalUsersCollector collector(statistics);
  const auto config = AgentConfig::defaults();
  const HostRoot host(root.path());
  const auto events = collector.collect(CollectorContext{host, config});
  EXPECT_GT(events.size(), 1u);
  EXPECT_EQ(rows_of(events).size(), 6000u);
  for (const auto& event : events) EXPECT_LT(serialize_event(event).size(), config.effective_message_limit());
}

TEST(Passwd, ControlCharactersInAQuotedFieldCannotForgeLogLines) {
  const auto parsed = parse_passwd("evil:x:1\r2026-01-01 info [agent] fake\x1b[0m:1::/:/bin/sh\n");
  ASSERT_EQ(parsed.problems.size(), 1u);
  EXPECT_EQ(parsed.problems[0].message.find('\r'), std::string::npos);
  EXPECT_EQ(parsed.problems[0].message.find('\x1b'), std::string::npos);
}
