// The child-process runner the firewall collector reads nft and iptables-save through.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <set>

#include "../support/temp_dir.h"
#include "collectors/firewall/tool_runner.h"

using namespace edgeguard::firewall;
using namespace std::chrono_literals;

TEST(ToolRunner, CapturesOutputAndExitStatus) {
  const auto result = run_tool("/bin/sh", {"-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(result.out, "out\n");
  EXPECT_EQ(result.err, "err\n");
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.failure(), "exit status 3: err");
  EXPECT_TRUE(run_tool("/bin/true", {}).ok());
}

TEST(ToolRunner, FixedEnvironmentAndNoInheritedDescriptors) {
  EXPECT_EQ(run_tool("/usr/bin/env", {}).out, "PATH=/usr/sbin:/usr/bin:/sbin:/bin\nLC_ALL=C\n");
  // Opened without O_CLOEXEC, as a careless library might; numbered apart from ls's own fds.
  const int opened = open("/dev/null", O_RDONLY);
  ASSERT_GE(opened, 0);
  const int leaked = fcntl(opened, F_DUPFD, 57);
  close(opened);
  ASSERT_GE(leaked, 57);
  const auto result = run_tool("/bin/sh", {"-c", "ls /proc/self/fd; read line; echo read=$?"});
  close(leaked);
  EXPECT_NE(result.out.find("read=1"), std::string::npos) << "stdin is /dev/null: " << result.out;
  std::set<std::string> fds;
  std::string line;
  for (const char c : result.out) {
    if (c == '\n') {
      fds.insert(line);
      line.clear();
    } else {
      line += c;
    }
  }
  EXPECT_FALSE(fds.contains(std::to_string(leaked))) << result.out;
}

TEST(ToolRunner, SignalsAreUnblockedInTheChild) {
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigset_t previous;
  pthread_sigmask(SIG_BLOCK, &block, &previous);
  const auto result = run_tool("/bin/sh", {"-c", "kill -TERM $$; sleep 5"}, ToolLimits{10s, 1024});
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  EXPECT_EQ(result.signal, SIGTERM);
  EXPECT_EQ(result.exit_code, -1);
  EXPECT_EQ(result.failure(), "killed by signal 15");
}

TEST(ToolRunner, OverrunningToolsAreKilled) {
  const auto slow = run_tool("/bin/sleep", {"30"}, ToolLimits{200ms, 1024});
  EXPECT_TRUE(slow.timed_out);
  EXPECT_EQ(slow.signal, SIGKILL);
  EXPECT_FALSE(slow.ok());
  EXPECT_EQ(slow.failure(), "did not finish in time and was killed");

  const auto chatty = run_tool("/bin/cat", {"/dev/zero"}, ToolLimits{30s, 1 << 20});
  EXPECT_TRUE(chatty.too_much_output);
  EXPECT_FALSE(chatty.ok());
  EXPECT_LE(chatty.out.size(), (1u << 20) + 65536);

  // Closes its output at once but lives on: killed at the same deadline.
  const auto lingering = run_tool("/bin/sh", {"-c", "exec >&- 2>&-; sleep 30"}, ToolLimits{200ms, 1024});
  EXPECT_TRUE(lingering.timed_out);
}

TEST(ToolRunner, ProgramsThatCannotStart) {
  EXPECT_THROW(run_tool("/nonexistent/nft", {}), std::system_error);
  edgeguard::test::TempDir dir;
  EXPECT_FALSE(find_tool({dir.path(), "/nonexistent"}, "nft"));
  EXPECT_EQ(find_tool({dir.path(), "/bin"}, "sh"), std::filesystem::path("/bin/sh"));
  std::filesystem::create_directory(dir / "nft");  // a directory is not a program
  EXPECT_FALSE(find_tool({dir.path()}, "nft"));
}
