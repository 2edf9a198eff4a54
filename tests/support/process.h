#pragma once
// Starting programs from tests: run to completion with captured output, or keep a child running
// and stop it by its PID (never by name).
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace edgeguard::test {

struct CommandResult {
  int exit_code = -1;  // -1 if killed by a signal or timed out
  int signal = 0;
  std::string out;
  std::string err;
};

// Runs argv[0] (searched in PATH) with the given arguments, waits up to `timeout`, captures
// stdout and stderr. Extra environment entries ("NAME=value") are added to ours.
CommandResult run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout = std::chrono::seconds(60),
                  const std::vector<std::string>& extra_env = {});

// A shell one-liner through /bin/sh -c.
CommandResult sh(const std::string& script, std::chrono::milliseconds timeout = std::chrono::seconds(60));

class ChildProcess {
 public:
  // Starts the program; stdout/stderr go to the given files ("" = inherit).
  ChildProcess(const std::vector<std::string>& argv, const std::string& stdout_file = "",
               const std::string& stderr_file = "", const std::vector<std::string>& extra_env = {});
  ~ChildProcess();  // SIGKILLs and reaps the child if it still runs
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  void signal(int signal_number);
  // Waits for exit; returns the exit code, or -signal if killed, or nullopt-like INT_MIN on timeout.
  int wait(std::chrono::milliseconds timeout = std::chrono::seconds(30));

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
};

// Path of the built edgeguard binary.
std::string edgeguard_binary();
// /usr/bin/python3 tests/tools/validate_messages.py FILE... ; returns the result.
CommandResult validate_messages(const std::vector<std::string>& files);

// Polls `condition` until it holds or `timeout` has passed; returns whether it held.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace edgeguard::test
