#pragma once
// Parsing of the kernel's audit records (the text the audit netlink socket delivers, one record
// per message: "audit(1700000000.123:42): arch=c000003e syscall=59 ...") and assembly of the
// records of one event (SYSCALL, EXECVE, SOCKADDR, PROCTITLE ... EOE) into an AuditEvent.
// Input is untrusted: every field may be missing, malformed, hex-encoded or truncated.
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/event.h"

namespace edgeguard::audit {

inline constexpr int kSyscallRecord = 1300;
inline constexpr int kSockaddrRecord = 1306;
inline constexpr int kExecveRecord = 1309;
inline constexpr int kEndOfEventRecord = 1320;
inline constexpr int kProctitleRecord = 1327;

struct RecordHeader {
  TimePoint time{};
  uint64_t serial = 0;
  std::string_view body;  // the fields after "): "
};
// nullopt if `text` does not start with "audit(<seconds>.<millis>:<serial>): ".
std::optional<RecordHeader> parse_record_header(std::string_view text);

// The raw value of `key` in a record body ("key=value key2="quoted value" ..."), or nullopt.
std::optional<std::string_view> find_field(std::string_view body, std::string_view key);

// An untrusted string field as the kernel writes it: "quoted", HEX, or (null).
std::optional<std::string> decode_string(std::string_view raw);

struct SyscallInfo {
  long number = -1;
  bool success = false;
  int64_t exit = 0;
  uint64_t a0 = 0;
  uint32_t pid = 0;
  uint32_t ppid = 0;
  uint32_t uid = 0;
  uint32_t euid = 0;
  std::string comm;
  std::string exe;
};
std::optional<SyscallInfo> parse_syscall_record(std::string_view body);

// A socket address from a SOCKADDR record's saddr (hex of struct sockaddr).
struct SocketAddress {
  int family = 0;  // AF_INET, AF_INET6 or another family (not an IP socket)
  uint16_t port = 0;
  uint8_t address[16] = {};
};
std::optional<SocketAddress> parse_sockaddr(std::string_view hex);

struct AuditEvent {
  uint64_t serial = 0;
  TimePoint time{};
  std::optional<SyscallInfo> syscall;
  bool has_execve = false;
  std::string arguments;         // EXECVE a0..an, NUL-separated
  bool arguments_cut = false;    // longer than the limit, or records missing
  std::optional<SocketAddress> sockaddr;
  std::string proctitle;         // NUL-separated, at most 128 bytes (kernel limit)
  bool malformed = false;        // a record of the event could not be parsed
};

// Collects the records of each event (by serial) and hands out complete events: at their EOE
// record, or when they are too old or too many are open (events of single records never get
// an EOE). Not thread-safe.
class EventAssembler {
 public:
  using Handler = std::function<void(AuditEvent&)>;
  EventAssembler(Handler handler, size_t max_argument_bytes);

  void set_max_argument_bytes(size_t bytes) { max_argument_bytes_ = bytes; }
  // One netlink message: its type and text. Returns false if the record was not understood.
  bool add(int type, std::string_view text);
  // Hands out every open event (at shutdown, or when the stream paused).
  void flush_all();
  // Hands out events opened before `older_than`.
  void flush_older(TimePoint older_than);
  size_t open_events() const { return open_.size(); }

 private:
  struct Partial {
    AuditEvent event;
    uint64_t argc = 0;
    bool argc_known = false;
    uint64_t next_argument = 0;  // index of the next a<i> expected
    bool piece_open = false;     // argument next_argument is arriving in a<i>[j] pieces
  };
  void finish(uint64_t serial);
  void add_execve(Partial& partial, std::string_view body);
  void append_argument(Partial& partial, std::string_view bytes);
  void close_piece(Partial& partial);

  Handler handler_;
  size_t max_argument_bytes_;
  std::unordered_map<uint64_t, Partial> open_;
  std::deque<uint64_t> order_;  // serials in arrival order
};

}  // namespace edgeguard::audit
