#include "collectors/login/login_interpreter.h"

#include <algorithm>

namespace edgeguard::login {

std::string_view to_string(LoginOperation operation) {
  switch (operation) {
    case LoginOperation::Login: return "Login";
    case LoginOperation::Logout: return "Logout";
    case LoginOperation::LoginFailed: return "LoginFailed";
  }
  return "Login";
}

std::string LoginInterpreter::session_key(const UtmpRecord& record) {
  // `last` pairs logins and logouts by terminal line; a record without a line (rare) by its id.
  return record.line.empty() ? "id:" + record.id : record.line;
}

void LoginInterpreter::open_session(const UtmpRecord& record) {
  const std::string key = session_key(record);
  if (!sessions_.count(key) && sessions_.size() >= kMaxSessions) {
    // Forget the oldest session: a device with a thousand open sessions has bigger problems,
    // and the table must stay bounded whatever the files say.
    auto oldest = std::min_element(sessions_.begin(), sessions_.end(), [](const auto& a, const auto& b) {
      return a.second.since.value_or(TimePoint{}) < b.second.since.value_or(TimePoint{});
    });
    sessions_.erase(oldest);
    ++evicted_;
  }
  sessions_[key] = Session{record.user, record.pid, record.host, remote_address(record), record_time(record), {}};
}

void LoginInterpreter::remember_executable(const std::string& session_key, ExecutableFinding executable) {
  const auto it = sessions_.find(session_key);
  if (it != sessions_.end()) it->second.executable = std::move(executable);
}

void LoginInterpreter::learn_open_session(const UtmpRecord& record) {
  if (record.has_type(UtmpType::UserProcess) && !record.user.empty()) open_session(record);
}

Interpretation LoginInterpreter::interpret(const UtmpRecord& record, LogKind kind) {
  Interpretation out;
  if (!is_known_type(record.type)) {
    out.problem = "unknown record type " + std::to_string(record.type);
    return out;
  }
  // A zeroed slot is a hole, not a record; in btmp a record with a user name is a failed
  // attempt whatever type its writer chose.
  if (record.has_type(UtmpType::Empty) && (kind == LogKind::Wtmp || record.user.empty())) return out;

  LoginFacts facts;
  facts.pid = record.pid;
  facts.user = record.user;
  facts.line = record.line;
  facts.host = record.host;
  facts.remote_address = remote_address(record);
  facts.time = record_time(record);
  facts.record_type = record.type;
  facts.session_key = session_key(record);

  if (kind == LogKind::Btmp) {
    if (record.user.empty()) {
      out.problem = "failed login record without a user name";
      return out;
    }
    facts.operation = LoginOperation::LoginFailed;
    out.facts = std::move(facts);
    return out;
  }

  switch (static_cast<UtmpType>(record.type)) {
    case UtmpType::UserProcess:
      if (record.user.empty()) {
        out.problem = "USER_PROCESS record without a user name";
        return out;
      }
      open_session(record);
      facts.operation = LoginOperation::Login;
      out.facts = std::move(facts);
      return out;
    case UtmpType::DeadProcess: {
      const auto it = sessions_.find(facts.session_key);
      if (it == sessions_.end()) {
        // The end of a process that never logged in (a getty restarting), unless the record
        // names its user itself.
        if (record.user.empty()) return out;
      } else {
        const Session& session = it->second;
        if (facts.user.empty()) facts.user = session.user;
        if (facts.pid <= 0) facts.pid = session.pid;
        if (facts.host.empty()) facts.host = session.host;
        if (!facts.remote_address) facts.remote_address = session.remote_address;
        facts.session_start = session.since;
        facts.session_executable = session.executable;
        sessions_.erase(it);
      }
      facts.operation = LoginOperation::Logout;
      out.facts = std::move(facts);
      return out;
    }
    case UtmpType::BootTime:
      sessions_.clear();  // a reboot ended every session
      return out;
    case UtmpType::RunLevel:
      if (record.user == "shutdown") sessions_.clear();
      return out;
    default:
      return out;  // INIT_PROCESS, LOGIN_PROCESS (a getty waiting), clock changes, accounting
  }
}

}  // namespace edgeguard::login
