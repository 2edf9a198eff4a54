#include "collectors/login/login_event.h"

#include <algorithm>
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

// Programs that handle logins and write these records. OpenSSH >= 9.8 runs sessions in
// sshd-session; BusyBox's login, su and telnetd all run as /bin/busybox.
constexpr std::string_view kLoginPrograms[] = {
    "sshd", "sshd-session", "sshd-auth", "dropbear", "login", "su", "sudo", "telnetd", "in.telnetd",
    "utelnetd", "rlogind", "in.rlogind", "agetty", "getty", "mingetty", "busybox",
};

bool is_console_line(std::string_view line) {
  // Virtual consoles and serial lines: tty1, ttyS0, ttyAMA0, ttyUSB0, ttymxc0, hvc0, console.
  return line == "console" || (starts_with(line, "tty") && line.size() > 3) || starts_with(line, "hvc") ||
         starts_with(line, "xvc");
}

std::string_view base_name(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool is_login_program(std::string_view executable) {
  std::string_view name = base_name(executable);
  if (ends_with(name, " (deleted)")) name.remove_suffix(10);  // upgraded while running
  return std::find(std::begin(kLoginPrograms), std::end(kLoginPrograms), name) != std::end(kLoginPrograms);
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

bool LoginEventBuilder::is_shell(std::string_view executable) {
  const auto text = host_.read_file("/etc/shells", 64 * 1024);
  if (!text) return false;
  for (const auto line : split(*text, '\n')) {
    const auto entry = trim(line);
    if (entry.empty() || entry.front() == '#') continue;
    // /proc shows the resolved path (/usr/bin/bash) where /etc/shells may list /bin/bash.
    if (entry == executable || base_name(entry) == base_name(executable)) return true;
  }
  return false;
}

ExecutableFinding LoginEventBuilder::find_executable(const LoginFacts& facts, LogKind kind) {
  const std::string pid = std::to_string(facts.pid);
  std::string note = "process " + pid + " has exited";
  if (auto process = processes_.process(facts.pid, facts.time)) {
    // sshd's session child writes the login record between fork and exec: while it still runs
    // sshd, the login is its parent's, exactly as after the exec (below), so a race between the
    // agent and the exec never changes which process is named.
    if (kind == LogKind::Wtmp && facts.record_type == static_cast<int16_t>(UtmpType::UserProcess) &&
        starts_with(base_name(process->executable), "sshd")) {
      if (auto parent = processes_.process(process->parent, facts.time);
          parent && parent->executable == process->executable) {
        return {parent->executable,
                "/proc/" + std::to_string(process->parent) + "/exe (the parent of process " + pid +
                    ", its session child)",
                process->parent};
      }
    }
    if (is_login_program(process->executable)) return {process->executable, "/proc/" + pid + "/exe"};
    // sshd records a login from the session's child just before it executes the user's shell
    // or command: the login was handled by its parent.
    if (auto parent = processes_.process(process->parent, facts.time); parent && is_login_program(parent->executable)) {
      return {parent->executable,
              "/proc/" + std::to_string(process->parent) + "/exe (the parent of process " + pid + ", which now runs " +
                  process->executable + ")",
              process->parent};
    }
    if (!is_shell(process->executable)) return {process->executable, "/proc/" + pid + "/exe"};
    note = "process " + pid + " now runs the shell " + process->executable;
  }
  if (facts.session_executable) {
    return {facts.session_executable->executable, facts.session_executable->source + ", at login", std::nullopt};
  }
  const std::string_view service = service_of_line(facts.line, kind, facts.record_type);
  if (!service.empty()) {
    const std::string reason = "terminal \"" + facts.line + "\" (" + note + ")";
    for (const auto& known : kServices) {
      if (known.name != service) continue;
      for (const auto path : known.paths) {
        if (host_.exists(path)) return {std::string(path), "inferred from " + reason};
      }
    }
    return {std::string(service), "inferred from " + reason + "; no " + std::string(service) + " binary found"};
  }
  return {"unknown", note + " and terminal \"" + facts.line + "\" does not tell the service"};
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

  // The process named is the one whose executable is reported: the record's writer, or its
  // parent when the writer already ran the user's command (the writer's pid stays in
  // ExtraDetails).
  int32_t pid = facts.pid > 0 ? facts.pid : 0;
  if (executable.process_id && *executable.process_id != pid) {
    extra["RecordProcessId"] = std::to_string(pid);
    pid = *executable.process_id;
  }
  nlohmann::json item = {
      {"ProcessId", pid},
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
