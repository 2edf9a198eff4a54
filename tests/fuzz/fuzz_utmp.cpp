// libFuzzer target for the login collector's parsers of host data: utmp records (wtmp, btmp,
// utmp) and everything downstream of one (session pairing, the Login event, its JSON), plus the
// saved read positions, passwd and /proc/<pid>/stat.
//   first byte '{': read positions; 'P': passwd text; 'S': /proc stat text;
//   anything else: the whole input as consecutive 384-byte records (a torn tail included).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "collectors/login/login_event.h"
#include "collectors/login/login_interpreter.h"
#include "collectors/login/process_inspector.h"
#include "collectors/login/read_position.h"
#include "collectors/login/user_directory.h"
#include "collectors/login/utmp_record.h"
#include "core/event.h"

using namespace edgeguard;
using namespace edgeguard::login;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A host root that does not exist: user ids, /proc and binaries are never found, so a run
  // depends on the input alone.
  static const HostRoot host("/nonexistent/edgeguard-fuzz-root");
  static LoginEventBuilder builder(host);
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  if (!input.empty() && input[0] == '{') {
    std::string error;
    if (const auto positions = parse_positions(input, error)) {
      std::string again_error;
      const auto again = parse_positions(serialize_positions(*positions), again_error);
      if (!again || *again != *positions) __builtin_trap();  // what we write, we read back
    } else if (error.empty()) {
      __builtin_trap();  // a refusal always says why
    }
    return 0;
  }
  if (!input.empty() && input[0] == 'P') {
    for (const auto& [name, uid] : uids_by_name(input.substr(1))) {
      if (name.empty() || uid.empty()) __builtin_trap();
    }
    return 0;
  }
  if (!input.empty() && input[0] == 'S') {
    parse_proc_stat(input.substr(1));
    parse_boot_seconds(input.substr(1));
    return 0;
  }

  LoginInterpreter interpreter;
  size_t at = 0;
  for (; at + kUtmpRecordSize <= input.size(); at += kUtmpRecordSize) {
    const auto record = parse_utmp_record(input.substr(at, kUtmpRecordSize));
    if (!record) __builtin_trap();
    if (record->line.size() > utmp_layout::kLineSize || record->user.size() > utmp_layout::kUserSize ||
        record->host.size() > utmp_layout::kHostSize || record->id.size() > utmp_layout::kIdSize) {
      __builtin_trap();
    }
    record_time(*record);
    type_name(record->type);
    // Which file it came from is taken from the record itself, so both meanings are explored.
    const LogKind kind = (record->session & 1) ? LogKind::Btmp : LogKind::Wtmp;
    const auto interpretation = interpreter.interpret(*record, kind);
    if (interpretation.facts && !interpretation.problem.empty()) __builtin_trap();
    if (interpretation.facts) {
      auto built = builder.build(*interpretation.facts, kind == LogKind::Btmp ? "/var/log/btmp" : "/var/log/wtmp");
      if (built.executable.executable.empty()) __builtin_trap();
      const std::string text = serialize_event(built.event);
      if (text.empty()) __builtin_trap();
      interpreter.remember_executable(interpretation.facts->session_key, built.executable);
    }
    if (record->seconds & 1) interpreter.learn_open_session(*record);
    if (interpreter.open_sessions() > LoginInterpreter::kMaxSessions) __builtin_trap();
  }
  if (at < input.size() && parse_utmp_record(input.substr(at))) __builtin_trap();  // a torn record never parses
  return 0;
}
