#include "collectors/login/login_event.h"

#include <array>

#include "core/strings.h"
#include "core/timestamp.h"

namespace edgeguard::login {
namespace {

struct Service {
  std::string_view name;
  std::array<std::string_view, 3> paths;  // where distributions install it, most common first
};

constexpr Service kServices[] = {
    {"sshd", {"/usr/sbin/sshd", "/usr/bin/sshd", "/usr/local/sbin/sshd"}},
    {"login", {"/usr/bin/login", "/bin/login", "/usr/sbin/login"}},
};

bool is_console_line(std::string_view line) {
  // Virtual consoles and serial lines: tty1, ttyS0, ttyAMA0, ttyUSB0, ttymxc0, hvc0, console.
  return line == "console" || (starts_with(line, "tty") && line.size() > 3) || starts_with(line, "hvc") ||
         starts_with(line, "xvc");
}

}  // namespace

std::string_view service_of_line(std::string_view line, LogKind kind, int16_t record_type) {
  if (starts_with(line, "ssh:")) return "sshd";  // OpenSSH names failed attempts "ssh:notty"
  // On a console line, a successful login is login(1)'s; a failure there may also be su's.
  if (kind == LogKind::Wtmp && record_type == static_cast<int16_t>(UtmpType::UserProcess) && is_console_line(line)) {
    return "login";
  }
  return {};
}

ExecutableFinding LoginEventBuilder::find_executable(const LoginFacts& facts, LogKind kind) {
  if (auto exe = processes_.executable(facts.pid, facts.time)) {
    return {std::move(*exe), "/proc/" + std::to_string(facts.pid) + "/exe"};
  }
  if (facts.session_executable) {
    return {facts.session_executable->executable, facts.session_executable->source + ", at login"};
  }
  const std::string_view service = service_of_line(facts.line, kind, facts.record_type);
  if (!service.empty()) {
    const std::string reason = "terminal \"" + facts.line + "\" (process " + std::to_string(facts.pid) + " has exited)";
    for (const auto& known : kServices) {
      if (known.name != service) continue;
      for (const auto path : known.paths) {
        if (host_.exists(path)) return {std::string(path), "inferred from " + reason};
      }
    }
    return {std::string(service), "inferred from " + reason + "; no " + std::string(service) + " binary found"};
  }
  return {"unknown", "process " + std::to_string(facts.pid) + " has exited and terminal \"" + facts.line +
                         "\" does not tell the service"};
}

BuiltLoginEvent LoginEventBuilder::build(const LoginFacts& facts, std::string_view log_path) {
  const LogKind kind = facts.operation == LoginOperation::LoginFailed ? LogKind::Btmp : LogKind::Wtmp;
  ExecutableFinding executable = find_executable(facts, kind);

  nlohmann::json extra = nlohmann::json::object();
  if (!facts.line.empty()) extra["Terminal"] = facts.line;
  if (!facts.host.empty()) extra["RemoteHost"] = facts.host;
  extra["LogFile"] = std::string(log_path);
  extra["RecordType"] = std::string(type_name(facts.record_type));
  extra["ExecutableSource"] = executable.source;
  if (facts.session_start) extra["LoginTime"] = format_utc_time(*facts.session_start);

  nlohmann::json item = {
      {"ProcessId", facts.pid > 0 ? facts.pid : 0},
      {"UserName", facts.user},
      {"Operation", std::string(to_string(facts.operation))},
      {"Executable", executable.executable},
      {"Result", facts.operation == LoginOperation::LoginFailed ? "Fail" : "Success"},
  };
  if (auto uid = users_.uid_of(facts.user)) item["UserId"] = std::move(*uid);
  if (facts.remote_address) item["RemoteAddress"] = *facts.remote_address;
  item["ExtraDetails"] = std::move(extra);

  Event event = make_event("Login", EventCategory::Triggered, EventKind::Security, nlohmann::json::array({std::move(item)}));
  if (facts.time) event.time = *facts.time;
  return {std::move(event), std::move(executable)};
}

}  // namespace edgeguard::login
