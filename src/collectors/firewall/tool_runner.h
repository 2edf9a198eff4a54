#pragma once
// Runs a firewall tool (nft, iptables-save...) as a child process and captures its output.
// The agent runs privileged: the program is an absolute path (no PATH search, no shell), the
// environment is fixed, stdin is /dev/null, no descriptor of the agent leaks into the child,
// and the child is killed (by its PID) when it overruns its time or output budget.
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace edgeguard::firewall {

struct ToolResult {
  int exit_code = -1;     // -1 when killed by a signal
  int signal = 0;         // the signal that ended it, if any
  bool timed_out = false;
  bool too_much_output = false;
  std::string out;
  std::string err;

  bool ok() const { return exit_code == 0 && !timed_out && !too_much_output; }
  // "exit 1: <first line of stderr>", "killed by signal 9", "timed out after ..."...
  std::string failure() const;
};

struct ToolLimits {
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
  size_t max_output_bytes = 64 * 1024 * 1024;
};

// Throws std::system_error if the program cannot be started.
ToolResult run_tool(const std::filesystem::path& program, const std::vector<std::string>& arguments,
                    const ToolLimits& limits = {});

// The first of dirs/name that is an executable regular file.
std::optional<std::filesystem::path> find_tool(const std::vector<std::filesystem::path>& dirs, const std::string& name);

}  // namespace edgeguard::firewall
