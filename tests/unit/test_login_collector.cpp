// The login collector against a fixture host root in a temp dir, with the real pipeline, store
// and inotify: records are appended with glibc's updwtmp() while it runs.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>
#include <thread>

#include "../support/process.h"
#include "../support/temp_dir.h"
#include "../support/utmp_writer.h"
#include "app/collector_registry.h"
#include "collectors/login/login_collector.h"
#include "pipeline/pipeline.h"
#include "core/log.h"
#include "core/strings.h"

using namespace edgeguard;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

class MemorySink : public Sink {
 public:
  bool send(const OutgoingMessage& message) override {
    const json document = json::parse(message.body);
    std::lock_guard lock(mutex_);
    for (const auto& event : document["Events"]) events_.push_back(event);
    return true;
  }
  std::string describe() const override { return "memory"; }
  std::vector<json> events(const std::string& name) const {
    std::lock_guard lock(mutex_);
    std::vector<json> out;
    for (const auto& event : events_) {
      if (event["Name"] == name) out.push_back(event);
    }
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<json> events_;
};

// A fixture host (root/) and the agent's state (state/), with the collector running on the
// real pipeline. stop() and start() again is an agent restart.
class LoginAgent {
 public:
  LoginAgent() {
    fs::create_directories(root() / "etc");
    fs::create_directories(root() / "var/log");
    fs::create_directories(root() / "run");
    fs::create_directories(dir_ / "state");
    test::append_bytes(root() / "etc/passwd",
                       "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\n"
                       "bob:x:1001:1001::/home/bob:/bin/sh\n");
    for (const char* file : {"var/log/wtmp", "var/log/btmp", "run/utmp"}) test::append_bytes(root() / file, "");
    config_.high_priority_message_frequency = {200ms, "PT0.2S"};
    config_.low_priority_message_frequency = {400ms, "PT0.4S"};
  }
  ~LoginAgent() { stop(); }

  fs::path root() const { return dir_ / "root"; }
  fs::path wtmp() const { return root() / "var/log/wtmp"; }
  fs::path btmp() const { return root() / "var/log/btmp"; }
  Statistics& statistics() { return statistics_; }
  AgentConfig& config() { return config_; }

  void start() {
    store_ = std::make_unique<EventStore>(dir_ / "state/events.db", 10 << 20);
    pipeline_ = std::make_unique<Pipeline>(config_, *store_, sink_, statistics_,
                                           AgentIdentity{"9c647395-b913-4997-a732-a7fe7303b649", "0"});
    pipeline_->start();
    collector_ = std::make_unique<LoginCollector>(CollectorServices{statistics_, runtime_, containers_, store_.get()});
    collector_->start(CollectorContext{host_, config_}, [this](Event e) { return pipeline_->submit(std::move(e)); });
  }

  // As at a SIGTERM: the collector stops, the pipeline persists and sends what it holds.
  void stop() {
    if (!collector_) return;
    collector_->stop();
    pipeline_->stop(5s);
    collector_.reset();
    pipeline_.reset();
    store_.reset();
  }

  // The payloads of the Login events sent so far.
  std::vector<json> logins() const {
    std::vector<json> out;
    for (const auto& event : sink_.events("Login")) out.push_back(event["Payload"][0]);
    return out;
  }

  // Waits (up to a generous bound, not a timing assertion) until `count` Login events were sent.
  std::vector<json> wait_for_logins(size_t count) const {
    const auto until = std::chrono::steady_clock::now() + 30s;
    while (logins().size() < count && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(20ms);
    return logins();
  }

  std::map<std::string, std::string> saved_state() {
    EventStore store(dir_ / "state/events.db", 10 << 20);
    return store.state_with_prefix("login.");
  }

 private:
  test::TempDir dir_;
  HostRoot host_{dir_ / "root"};
  AgentConfig config_ = AgentConfig::defaults();
  MemorySink sink_;
  Statistics statistics_;
  RuntimeInfo runtime_;
  ContainerCatalog containers_;
  std::unique_ptr<EventStore> store_;
  std::unique_ptr<Pipeline> pipeline_;
  std::unique_ptr<LoginCollector> collector_;
};

test::UtmpEntry login_entry(std::string line, std::string user, std::string address = "", pid_t pid = 999999) {
  test::UtmpEntry e;
  e.type = USER_PROCESS;
  e.line = std::move(line);
  e.user = std::move(user);
  e.address = address;
  e.host = address;
  e.pid = pid;
  return e;
}

test::UtmpEntry logout_entry(std::string line, pid_t pid = 999998) {
  test::UtmpEntry e;
  e.type = DEAD_PROCESS;
  e.line = std::move(line);
  e.pid = pid;
  return e;
}

test::UtmpEntry failure_entry(std::string user, std::string address, std::string line = "ssh:notty") {
  test::UtmpEntry e;
  e.type = LOGIN_PROCESS;
  e.line = std::move(line);
  e.user = std::move(user);
  e.address = address;
  e.host = address;
  e.pid = 999997;
  return e;
}

std::vector<std::string> users_of(const std::vector<json>& logins) {
  std::vector<std::string> out;
  for (const auto& l : logins) out.push_back(l["Operation"].get<std::string>() + ":" + l["UserName"].get<std::string>());
  return out;
}

}  // namespace

TEST(LoginCollector, ReportsSuccessFailureAndLogoutAsTheyAreAppended) {
  LoginAgent agent;
  agent.start();
  test::append_utmp(agent.wtmp(), login_entry("pts/0", "alice", "192.0.2.10"));
  test::append_utmp(agent.btmp(), failure_entry("root", "2001:db8::bad"));
  test::append_utmp(agent.wtmp(), logout_entry("pts/0"));
  auto events = agent.wait_for_logins(3);
  ASSERT_EQ(events.size(), 3u);
  std::sort(events.begin(), events.end(), [](const json& a, const json& b) { return a["Operation"] < b["Operation"]; });

  const json& in = events[0];
  EXPECT_EQ(in["Operation"], "Login");
  EXPECT_EQ(in["Result"], "Success");
  EXPECT_EQ(in["UserName"], "alice");
  EXPECT_EQ(in["UserId"], "1000");
  EXPECT_EQ(in["ProcessId"], 999999);
  EXPECT_EQ(in["RemoteAddress"], "192.0.2.10");
  EXPECT_EQ(in["Executable"], "unknown");  // the process is gone and pts/0 does not name a service
  EXPECT_EQ(in["ExtraDetails"]["Terminal"], "pts/0");
  EXPECT_EQ(in["ExtraDetails"]["RemoteHost"], "192.0.2.10");
  EXPECT_EQ(in["ExtraDetails"]["LogFile"], "/var/log/wtmp");
  EXPECT_EQ(in["ExtraDetails"]["RecordType"], "USER_PROCESS");
  EXPECT_FALSE(in.contains("RemotePort"));

  const json& failed = events[1];
  EXPECT_EQ(failed["Operation"], "LoginFailed");
  EXPECT_EQ(failed["Result"], "Fail");
  EXPECT_EQ(failed["UserName"], "root");
  EXPECT_EQ(failed["UserId"], "0");
  EXPECT_EQ(failed["RemoteAddress"], "2001:db8::bad");
  EXPECT_EQ(failed["Executable"], "sshd");  // from "ssh:notty"; no sshd binary in the fixture
  EXPECT_NE(failed["ExtraDetails"]["ExecutableSource"].get<std::string>().find("ssh:notty"), std::string::npos);
  EXPECT_EQ(failed["ExtraDetails"]["LogFile"], "/var/log/btmp");

  const json& out = events[2];
  EXPECT_EQ(out["Operation"], "Logout");
  EXPECT_EQ(out["UserName"], "alice");  // the logout record has no user: the session names it
  EXPECT_EQ(out["UserId"], "1000");
  EXPECT_EQ(out["ProcessId"], 999998);
  EXPECT_EQ(out["RemoteAddress"], "192.0.2.10");
  EXPECT_TRUE(out["ExtraDetails"].contains("LoginTime"));
}

TEST(LoginCollector, UnknownUsersHaveANameButNoId) {
  LoginAgent agent;
  agent.start();
  test::append_utmp(agent.btmp(), failure_entry("admin", "198.51.100.4"));
  const auto events = agent.wait_for_logins(1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["UserName"], "admin");
  EXPECT_FALSE(events[0].contains("UserId"));
}

TEST(LoginCollector, TheLiveWriterProcessNamesTheExecutable) {
  LoginAgent agent;
  fs::create_directory_symlink("/proc", agent.root() / "proc");
  agent.start();
  test::append_utmp(agent.wtmp(), login_entry("pts/9", "bob", "", getpid()));
  const auto events = agent.wait_for_logins(1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["Executable"], fs::read_symlink("/proc/self/exe").string());
  EXPECT_EQ(events[0]["ExtraDetails"]["ExecutableSource"], "/proc/" + std::to_string(getpid()) + "/exe");
  EXPECT_FALSE(events[0].contains("RemoteAddress"));  // a local login
}

TEST(LoginCollector, AConsoleLoginWhoseProcessIsGoneIsLogin) {
  LoginAgent agent;
  fs::create_directories(agent.root() / "usr/bin");
  test::append_bytes(agent.root() / "usr/bin/login", "");
  agent.start();
  test::append_utmp(agent.wtmp(), login_entry("ttyS0", "root"));
  const auto events = agent.wait_for_logins(1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["Executable"], "/usr/bin/login");
}

TEST(LoginCollector, RestartResumesWithoutDuplicatesAndStillNamesOpenSessions) {
  LoginAgent agent;
  agent.start();
  test::append_utmp(agent.wtmp(), login_entry("pts/1", "alice"));
  test::append_utmp(agent.btmp(), failure_entry("mallory", "203.0.113.5"));
  ASSERT_EQ(agent.wait_for_logins(2).size(), 2u);
  agent.stop();
  const auto state = agent.saved_state();
  ASSERT_EQ(state.count(std::string(LoginCollector::kStateKey)), 1u);

  // While stopped: alice logs out, another failure.
  test::append_utmp(agent.wtmp(), logout_entry("pts/1"));
  test::append_utmp(agent.btmp(), failure_entry("mallory", "203.0.113.6"));
  agent.start();
  auto events = agent.wait_for_logins(4);
  // Then a marker: anything re-sent from before would come first.
  test::append_utmp(agent.wtmp(), login_entry("pts/2", "bob"));
  events = agent.wait_for_logins(5);
  agent.stop();
  events = agent.logins();
  const auto users = users_of(events);
  EXPECT_EQ(users.size(), 5u);
  const std::multiset<std::string> seen(users.begin(), users.end());
  EXPECT_EQ(seen, (std::multiset<std::string>{"Login:alice", "LoginFailed:mallory", "Logout:alice",
                                              "LoginFailed:mallory", "Login:bob"}));
}

TEST(LoginCollector, FirstRunReportsOnlyWhatHappenedSinceBoot) {
  LoginAgent agent;
  test::UtmpEntry old = login_entry("pts/4", "alice");
  old.time = Clock::now() - std::chrono::hours(24 * 400);  // before this boot: history
  test::append_utmp(agent.wtmp(), old);
  test::append_utmp(agent.wtmp(), login_entry("pts/5", "bob"));  // since boot, before the first run
  agent.start();
  test::append_utmp(agent.wtmp(), logout_entry("pts/4"));  // the old session's logout still names alice
  agent.wait_for_logins(2);
  agent.stop();
  EXPECT_EQ(users_of(agent.logins()), (std::vector<std::string>{"Login:bob", "Logout:alice"}));
}

TEST(LoginCollector, UtmpNamesTheUserOfASessionOpenedBeforeTheFirstRun) {
  LoginAgent agent;
  test::UtmpEntry open = login_entry("pts/7", "bob");
  open.time = Clock::now() - std::chrono::hours(24 * 400);
  test::append_utmp(agent.root() / "run/utmp", open);
  agent.start();
  test::append_utmp(agent.wtmp(), logout_entry("pts/7"));
  const auto events = agent.wait_for_logins(1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["Operation"], "Logout");
  EXPECT_EQ(events[0]["UserName"], "bob");
}

TEST(LoginCollector, RotationWhileRunningReadsTheOldFileToTheEndThenTheNewOne) {
  LoginAgent agent;
  agent.start();
  test::append_utmp(agent.wtmp(), login_entry("pts/1", "alice"));
  ASSERT_EQ(agent.wait_for_logins(1).size(), 1u);
  // logrotate "create": rename, then a new empty file. A writer still appends to the old one.
  fs::rename(agent.wtmp(), agent.root() / "var/log/wtmp.1");
  test::append_utmp(agent.root() / "var/log/wtmp.1", login_entry("pts/2", "bob"));
  test::append_bytes(agent.wtmp(), "");
  test::append_utmp(agent.wtmp(), logout_entry("pts/1"));
  test::append_utmp(agent.wtmp(), logout_entry("pts/2"));
  agent.wait_for_logins(4);
  agent.stop();
  std::multiset<std::string> seen;
  for (const auto& u : users_of(agent.logins())) seen.insert(u);
  EXPECT_EQ(seen, (std::multiset<std::string>{"Login:alice", "Login:bob", "Logout:alice", "Logout:bob"}));
}

TEST(LoginCollector, RotationWhileStoppedFinishesTheRotatedFileFirst) {
  LoginAgent agent;
  agent.start();
  test::append_utmp(agent.wtmp(), login_entry("pts/1", "alice"));
  ASSERT_EQ(agent.wait_for_logins(1).size(), 1u);
  agent.stop();
  test::append_utmp(agent.wtmp(), logout_entry("pts/1"));  // after the saved position, in the old file
  fs::rename(agent.wtmp(), agent.root() / "var/log/wtmp.1");
  test::append_bytes(agent.wtmp(), "");
  test::append_utmp(agent.wtmp(), login_entry("pts/3", "bob"));
  agent.start();
  agent.wait_for_logins(3);
  test::append_utmp(agent.wtmp(), logout_entry("pts/3"));
  agent.wait_for_logins(4);
  agent.stop();
  EXPECT_EQ(users_of(agent.logins()), (std::vector<std::string>{"Login:alice", "Logout:alice", "Login:bob", "Logout:bob"}));
}

TEST(LoginCollector, RotatedWithADateSuffixWhileStopped) {
  LoginAgent agent;
  agent.start();
  test::append_utmp(agent.btmp(), failure_entry("a", "192.0.2.1"));
  ASSERT_EQ(agent.wait_for_logins(1).size(), 1u);
  agent.stop();
  test::append_utmp(agent.btmp(), failure_entry("b", "192.0.2.2"));
  fs::rename(agent.btmp(), agent.root() / "var/log/btmp-20261126");  // logrotate's dateext
  test::append_bytes(agent.btmp(), "");
  test::append_utmp(agent.btmp(), failure_entry("c", "192.0.2.3"));
  agent.start();
  agent.wait_for_logins(3);
  agent.stop();
  EXPECT_EQ(users_of(agent.logins()), (std::vector<std::string>{"LoginFailed:a", "LoginFailed:b", "LoginFailed:c"}));
}

TEST(LoginCollector, RotatedAwayForGoodWhileStoppedReadsTheNewFileFromItsStart) {
  LoginAgent agent;
  agent.start();
  test::append_utmp(agent.btmp(), failure_entry("a", "192.0.2.1"));
  ASSERT_EQ(agent.wait_for_logins(1).size(), 1u);
  agent.stop();
  fs::rename(agent.btmp(), agent.root() / "var/log/btmp.1");
  test::append_bytes(agent.btmp(), "");
  test::append_utmp(agent.btmp(), failure_entry("b", "192.0.2.2"));
  fs::remove(agent.root() / "var/log/btmp.1");  // compressed or deleted: the old tail is gone
  agent.start();
  agent.wait_for_logins(2);
  agent.stop();
  EXPECT_EQ(users_of(agent.logins()), (std::vector<std::string>{"LoginFailed:a", "LoginFailed:b"}));
}

TEST(LoginCollector, RewrittenInPlaceWhileStoppedIsReadFromTheStart) {
  LoginAgent agent;
  agent.start();
  test::append_utmp(agent.btmp(), failure_entry("a", "192.0.2.1"));
  test::append_utmp(agent.btmp(), failure_entry("b", "192.0.2.2"));
  ASSERT_EQ(agent.wait_for_logins(2).size(), 2u);
  agent.stop();
  // Same inode, longer than the saved offset, but other records: the first record tells.
  fs::resize_file(agent.btmp(), 0);
  for (const char* user : {"c", "d", "e"}) test::append_utmp(agent.btmp(), failure_entry(user, "192.0.2.3"));
  agent.start();
  agent.wait_for_logins(5);
  agent.stop();
  EXPECT_EQ(users_of(agent.logins()), (std::vector<std::string>{"LoginFailed:a", "LoginFailed:b", "LoginFailed:c",
                                                                 "LoginFailed:d", "LoginFailed:e"}));
}

TEST(LoginCollector, TruncationAndReplacementStartTheFileAgain) {
  LoginAgent agent;
  agent.start();
  test::append_utmp(agent.btmp(), failure_entry("a", "192.0.2.1"));
  test::append_utmp(agent.btmp(), failure_entry("b", "192.0.2.2"));
  ASSERT_EQ(agent.wait_for_logins(2).size(), 2u);
  fs::resize_file(agent.btmp(), 0);  // "> /var/log/btmp"
  test::append_utmp(agent.btmp(), failure_entry("c", "192.0.2.3"));
  ASSERT_EQ(agent.wait_for_logins(3).size(), 3u);
  // Replaced by a new file (new inode) through a rename over it.
  test::append_bytes(agent.root() / "var/log/btmp.new", "");
  test::append_utmp(agent.root() / "var/log/btmp.new", failure_entry("d", "192.0.2.4"));
  fs::rename(agent.root() / "var/log/btmp.new", agent.btmp());
  agent.wait_for_logins(4);
  agent.stop();
  EXPECT_EQ(users_of(agent.logins()),
            (std::vector<std::string>{"LoginFailed:a", "LoginFailed:b", "LoginFailed:c", "LoginFailed:d"}));
}

TEST(LoginCollector, ATornRecordWaitsForTheRestOfIt) {
  LoginAgent agent;
  agent.start();
  const std::string record = test::utmp_bytes(failure_entry("carol", "192.0.2.9"));
  test::append_bytes(agent.btmp(), record.substr(0, 200));
  test::append_utmp(agent.wtmp(), login_entry("pts/0", "bob"));  // something else is reported meanwhile
  ASSERT_EQ(agent.wait_for_logins(1).size(), 1u);
  test::append_bytes(agent.btmp(), record.substr(200));
  const auto events = agent.wait_for_logins(2);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1]["UserName"], "carol");
}

TEST(LoginCollector, FilesAndDirectoriesThatAppearLater) {
  LoginAgent agent;
  fs::remove_all(agent.root() / "var/log");
  agent.start();
  fs::create_directories(agent.root() / "var/log");
  test::append_bytes(agent.btmp(), "");
  test::append_utmp(agent.btmp(), failure_entry("eve", "192.0.2.5"));
  const auto events = agent.wait_for_logins(1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["UserName"], "eve");
  // Appearing later means new: even a record dated before boot is reported.
  test::append_bytes(agent.wtmp(), "");
  test::UtmpEntry old = login_entry("pts/1", "alice");
  old.time = Clock::now() - std::chrono::hours(24 * 400);
  test::append_utmp(agent.wtmp(), old);
  EXPECT_EQ(agent.wait_for_logins(2).size(), 2u);
}

TEST(LoginCollector, MalformedRecordsAreCountedAsParseFailuresAndCollectionGoesOn) {
  LoginAgent agent;
  agent.start();
  test::UtmpEntry garbage = login_entry("pts/0", "x");
  garbage.type = 77;
  test::append_utmp(agent.wtmp(), garbage);
  test::append_utmp(agent.btmp(), failure_entry("", "192.0.2.1"));  // a failure without a user
  test::append_bytes(agent.btmp(), std::string(384, '\xff'));
  test::append_utmp(agent.wtmp(), login_entry("pts/1", "alice"));
  ASSERT_EQ(agent.wait_for_logins(1).size(), 1u);
  const auto until = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < until &&
         agent.statistics().totals().high.dropped_by_reason[std::string(drop_reason::kParseFailure)] < 3) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(agent.statistics().totals().high.dropped_by_reason[std::string(drop_reason::kParseFailure)], 3u);
}

TEST(LoginCollector, ALogThatIsASymbolicLinkIsNotFollowed) {
  LoginAgent agent;
  test::append_bytes(agent.root() / "secret", "");
  test::append_utmp(agent.root() / "secret", failure_entry("from-secret", "192.0.2.1"));
  fs::remove(agent.btmp());
  fs::create_symlink(agent.root() / "secret", agent.btmp());
  agent.start();
  test::append_utmp(agent.root() / "secret", failure_entry("from-secret", "192.0.2.1"));
  test::append_utmp(agent.wtmp(), login_entry("pts/0", "marker"));
  agent.wait_for_logins(1);
  agent.stop();
  EXPECT_EQ(users_of(agent.logins()), std::vector<std::string>{"Login:marker"});
}

TEST(LoginCollector, TurnedOffItReportsNothingButKeepsItsPlace) {
  LoginAgent agent;
  agent.config().event_priority["Login"] = Priority::Off;
  test::append_utmp(agent.btmp(), failure_entry("a", "192.0.2.1"));
  agent.start();  // the first round (reading what is there) always completes before a stop
  agent.stop();
  EXPECT_TRUE(agent.logins().empty());
  const auto state = agent.saved_state();
  ASSERT_EQ(state.size(), 1u);
  EXPECT_NE(state.begin()->second.find(R"("btmp":{"fingerprint":")"), std::string::npos) << state.begin()->second;
  EXPECT_NE(state.begin()->second.find(R"("offset":"384")"), std::string::npos) << state.begin()->second;

  agent.config().event_priority["Login"] = Priority::High;
  agent.start();
  test::append_utmp(agent.btmp(), failure_entry("b", "192.0.2.2"));
  agent.wait_for_logins(1);
  agent.stop();
  EXPECT_EQ(users_of(agent.logins()), std::vector<std::string>{"LoginFailed:b"});
}

TEST(LoginCollector, AWriterThatAlreadyRunsTheUsersCommandIsNamedByItsParent) {
  // As sshd does: the session's child records the login, then executes the user's command.
  LoginAgent agent;
  fs::create_directory_symlink("/proc", agent.root() / "proc");
  test::TempDir bin;
  fs::copy_file("/bin/sh", bin / "sshd");
  fs::permissions(bin / "sshd", fs::perms::owner_all);
  test::ChildProcess daemon({(bin / "sshd").string(), "-c", "sleep 120 & echo $! > " + (bin / "child").string() + "; wait"});
  const auto until = std::chrono::steady_clock::now() + 30s;
  std::optional<std::string> child;
  while (std::chrono::steady_clock::now() < until && !(child = read_whole_file(bin / "child"))) std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(child);
  const std::string child_text(trim(*child));
  const pid_t child_pid = std::stoi(child_text);
  agent.start();
  test::append_utmp(agent.wtmp(), login_entry("pts/4", "alice", "192.0.2.4", child_pid));
  const auto events = agent.wait_for_logins(1);
  kill(child_pid, SIGKILL);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["Executable"], (bin / "sshd").string());
  EXPECT_EQ(events[0]["ProcessId"], daemon.pid());
  EXPECT_EQ(events[0]["ExtraDetails"]["RecordProcessId"], child_text);
  EXPECT_NE(events[0]["ExtraDetails"]["ExecutableSource"].get<std::string>().find("the parent of process " + child_text),
            std::string::npos)
      << events[0];
}
