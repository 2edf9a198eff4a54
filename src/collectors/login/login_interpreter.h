#pragma once
// What a utmp record means for logins. wtmp: USER_PROCESS is a successful login and
// DEAD_PROCESS the end of the session on that terminal line (its user name is usually blank,
// so the session table remembers who logged in where); btmp: every record is a failed attempt
// (sshd, login and su write LOGIN_PROCESS records there). utmp (the current sessions) seeds the
// session table at start, so logouts of sessions opened before the agent started are named.
#include <cstddef>
#include <map>
#include <optional>
#include <string>

#include "collectors/login/utmp_record.h"

namespace edgeguard::login {

enum class LogKind { Wtmp, Btmp };

enum class LoginOperation { Login, Logout, LoginFailed };
std::string_view to_string(LoginOperation operation);

// The program that handled a login, and how we know it.
struct ExecutableFinding {
  std::string executable;  // never empty
  std::string source;      // for ExtraDetails.ExecutableSource
  // Set when the executable is that of another process than the record's (its parent).
  std::optional<int32_t> process_id = std::nullopt;
};

// What one record says, before enrichment (user id, executable).
struct LoginFacts {
  LoginOperation operation = LoginOperation::Login;
  int32_t pid = 0;
  std::string user;
  std::string line;
  std::string host;
  std::optional<std::string> remote_address;
  std::optional<TimePoint> time;
  int16_t record_type = 0;
  std::string session_key;                 // the terminal line (or id) that pairs login and logout
  std::optional<TimePoint> session_start;  // Logout: when the matching login happened
  std::optional<ExecutableFinding> session_executable;  // Logout: what handled the login
};

struct Interpretation {
  std::optional<LoginFacts> facts;  // a login event
  std::string problem;              // not empty: a malformed record (a parse failure)
};

class LoginInterpreter {
 public:
  static constexpr size_t kMaxSessions = 1024;

  Interpretation interpret(const UtmpRecord& record, LogKind kind);
  // A USER_PROCESS record of utmp: a session that is open now.
  void learn_open_session(const UtmpRecord& record);
  // What handled the login of an open session, so its logout can name it after it exited.
  void remember_executable(const std::string& session_key, ExecutableFinding executable);
  size_t open_sessions() const { return sessions_.size(); }
  // Sessions forgotten because the table was full (their logouts cannot be named).
  size_t evicted_sessions() const { return evicted_; }

 private:
  struct Session {
    std::string user;
    int32_t pid = 0;
    std::string host;
    std::optional<std::string> remote_address;
    std::optional<TimePoint> since;
    std::optional<ExecutableFinding> executable;
  };
  void open_session(const UtmpRecord& record);
  static std::string session_key(const UtmpRecord& record);

  std::map<std::string, Session> sessions_;  // by terminal line
  size_t evicted_ = 0;
};

}  // namespace edgeguard::login
