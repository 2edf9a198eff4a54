#pragma once
// Turns what a record says into a schema v1.0 Login event: user id from the host's passwd,
// the executable from the host's /proc or, when the process is gone, from the terminal line.
#include <string>
#include <string_view>

#include "collectors/login/login_interpreter.h"
#include "collectors/login/process_inspector.h"
#include "collectors/login/user_directory.h"
#include "core/event.h"
#include "core/host_root.h"

namespace edgeguard::login {

struct BuiltLoginEvent {
  Event event;
  ExecutableFinding executable;
};

class LoginEventBuilder {
 public:
  explicit LoginEventBuilder(const HostRoot& host) : host_(host), users_(host), processes_(host) {}

  // `log_path` is the host path of the file the record came from ("/var/log/btmp").
  BuiltLoginEvent build(const LoginFacts& facts, std::string_view log_path);

  // /proc/<pid>/exe of the writer while it runs (or of its parent when the writer already runs
  // the user's shell or command); for a logout whose writer is gone, what handled its login;
  // otherwise the service the terminal line names, else "unknown".
  ExecutableFinding find_executable(const LoginFacts& facts, LogKind kind);
  ProcessInspector& processes() { return processes_; }

 private:
  bool is_shell(std::string_view executable);

  const HostRoot& host_;
  UserDirectory users_;
  ProcessInspector processes_;
};

// The login service a terminal line points to when the process that wrote the record is gone:
// "sshd" for OpenSSH's "ssh:notty" (failed attempts), "login" for a login on a console or
// serial line; empty when the line does not tell (a pseudo-terminal may be sshd, telnetd, a
// terminal emulator or screen).
std::string_view service_of_line(std::string_view line, LogKind kind, int16_t record_type);

}  // namespace edgeguard::login
