// The audit source and the kernel's audit state: it adds only its own rules and takes them away,
// puts back the settings it changed, and works beside a running auditd (multicast) as well as
// without one (registered as the audit daemon).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <thread>

#include "../support/process.h"
#include "../support/temp_dir.h"
#include "kernel_harness.h"

using namespace edgeguard;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

struct AuditState {
  long enabled = -1;
  long pid = -1;
  long backlog_limit = -1;
  std::string rules;
};

AuditState audit_state() {
  AuditState state;
  const auto status = test::run({"auditctl", "-s"});
  std::istringstream lines(status.out);
  std::string key;
  long value = 0;
  while (lines >> key >> value) {
    if (key == "enabled") state.enabled = value;
    if (key == "pid") state.pid = value;
    if (key == "backlog_limit") state.backlog_limit = value;
  }
  state.rules = test::run({"auditctl", "-l"}).out;
  return state;
}

std::string unique_duration() {
  std::mt19937_64 generator(std::random_device{}());
  return "0.5" + std::to_string(generator() % 100000000);
}

// Runs a program to completion and returns its pid.
pid_t run_program(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return pid;
}

// A private auditd: its own configuration and log in a temporary directory, no plugins, no
// network, audit state left as it was ("-s nochange"). Stopped by PID.
class PrivateAuditd {
 public:
  PrivateAuditd() {
    std::filesystem::create_directories(dir_ / "plugins");
    std::ofstream(dir_ / "auditd.conf")
        << "local_events = yes\nwrite_logs = yes\nlog_file = " << log().string()
        << "\nlog_group = root\nlog_format = RAW\nflush = INCREMENTAL_ASYNC\nfreq = 20\nmax_log_file = 64\n"
           "num_logs = 1\nmax_log_file_action = IGNORE\nspace_left = 2\nspace_left_action = IGNORE\n"
           "admin_space_left = 1\nadmin_space_left_action = IGNORE\ndisk_full_action = IGNORE\n"
           "disk_error_action = IGNORE\nname_format = NONE\nq_depth = 2000\noverflow_action = SYSLOG\nplugin_dir = "
        << (dir_ / "plugins").string() << "\nend_of_event_timeout = 2\n";
    chmod((dir_ / "auditd.conf").c_str(), 0640);
    process_ = std::make_unique<test::ChildProcess>(
        std::vector<std::string>{"/usr/sbin/auditd", "-n", "-s", "nochange", "-c", dir_.path().string()},
        (dir_ / "auditd.out").string(), (dir_ / "auditd.out").string());
    for (int i = 0; i < 100 && audit_state().pid != process_->pid(); ++i) std::this_thread::sleep_for(50ms);
  }
  ~PrivateAuditd() { stop(); }
  bool registered() { return audit_state().pid == process_->pid(); }
  pid_t pid() const { return process_->pid(); }
  std::filesystem::path log() const { return dir_ / "audit.log"; }
  void stop() {
    if (!process_ || !process_->running()) return;
    process_->signal(SIGTERM);
    process_->wait(10s);
  }

 private:
  test::TempDir dir_;
  std::unique_ptr<test::ChildProcess> process_;
};

class AuditSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
    before_ = audit_state();
    if (before_.pid > 0) GTEST_SKIP() << "an audit daemon (pid " << before_.pid << ") runs on this machine";
  }
  void TearDown() override {
    if (IsSkipped()) return;
    // Whatever happened, the kernel must be as we found it.
    const auto after = audit_state();
    EXPECT_EQ(after.enabled, before_.enabled);
    EXPECT_EQ(after.pid, before_.pid);
    EXPECT_EQ(after.backlog_limit, before_.backlog_limit);
    EXPECT_EQ(after.rules, before_.rules);
  }
  AuditState before_;
};

TEST_F(AuditSourceTest, OwnsTheStreamWithoutAuditdAndLeavesNothingBehind) {
  {
    test::KernelHarness harness("audit");
    harness.start();
    const auto running = audit_state();
    EXPECT_EQ(running.pid, getpid());  // registered as the audit daemon
    EXPECT_EQ(running.enabled, 1);
    EXPECT_GE(running.backlog_limit, 65536);
    EXPECT_NE(running.rules.find("-S execve,execveat -F success=1 -F key=edgeguard"), std::string::npos) << running.rules;
    EXPECT_NE(running.rules.find("-S connect -F exit=-EINPROGRESS -F key=edgeguard"), std::string::npos) << running.rules;
    EXPECT_NE(running.rules.find("-S accept,accept4 -F success=1 -F key=edgeguard"), std::string::npos) << running.rules;

    // Switching ConnectionCreate off takes its rules away at once.
    AgentConfig config = harness.config();
    config.event_priority["ConnectionCreate"] = Priority::Off;
    harness.collector().reconfigure(config);
    const auto reduced = audit_state();
    EXPECT_EQ(reduced.rules.find("-S connect"), std::string::npos) << reduced.rules;
    EXPECT_NE(reduced.rules.find("-S execve,execveat"), std::string::npos) << reduced.rules;
  }
  // TearDown checks that rules, pid, enabled and backlog are back as they were.
}

TEST_F(AuditSourceTest, WorksBesideARunningAuditdThroughMulticast) {
  PrivateAuditd auditd;
  ASSERT_TRUE(auditd.registered()) << "the private auditd did not start";
  const std::string duration = unique_duration();
  {
    test::KernelHarness harness("audit");
    harness.start();
    EXPECT_EQ(harness.collector().source_name(), "audit");
    EXPECT_EQ(audit_state().pid, auditd.pid()) << "auditd must keep the audit stream";

    const pid_t pid = run_program({"/bin/sleep", duration});
    const auto found = harness.wait_for("ProcessCreate",
                                        [&](const json& p) { return p["CommandLine"] == "/bin/sleep " + duration; });
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0]["ProcessId"], pid);
    EXPECT_EQ(found[0]["ParentProcessId"], getpid());
    EXPECT_EQ(found[0]["Executable"], std::filesystem::canonical("/bin/sleep").string());
  }
  EXPECT_EQ(audit_state().pid, auditd.pid()) << "auditd must still own the audit stream";
  // auditd got the same records (our rule made them) and logged them.
  bool logged = false;
  for (int i = 0; i < 50 && !logged; ++i) {
    const auto text = read_whole_file(auditd.log());
    logged = text && text->find("a1=\"" + duration + "\"") != std::string::npos;
    if (!logged) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(logged) << "auditd did not log the exec";
  auditd.stop();
}

}  // namespace
