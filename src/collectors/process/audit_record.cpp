#include "collectors/process/audit_record.h"

#include <sys/socket.h>

#include <cstring>

#include "core/strings.h"

namespace edgeguard::audit {
namespace {

constexpr size_t kMaxOpenEvents = 1024;
constexpr size_t kProctitleMax = 128;

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> decode_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int high = hex_digit(hex[i]);
    const int low = hex_digit(hex[i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    out.push_back(static_cast<char>((high << 4) | low));
  }
  return out;
}

// Calls visit(key, value) for every "key=value" token of a record body.
template <typename Visit>
void for_each_field(std::string_view body, Visit visit) {
  while (!body.empty()) {
    while (!body.empty() && body.front() == ' ') body.remove_prefix(1);
    if (body.empty()) break;
    size_t end = body.find(' ');
    // A single-quoted value (msg='...' of user-space records) may hold spaces.
    const size_t equals = body.find('=');
    if (equals != std::string_view::npos && equals < end && equals + 1 < body.size() && body[equals + 1] == '\'') {
      const size_t close = body.find('\'', equals + 2);
      end = close == std::string_view::npos ? std::string_view::npos : close + 1;
    }
    const std::string_view token = body.substr(0, end);
    body.remove_prefix(end == std::string_view::npos ? body.size() : end);
    const size_t eq = token.find('=');
    if (eq == std::string_view::npos) continue;
    if (!visit(token.substr(0, eq), token.substr(eq + 1))) return;
  }
}

}  // namespace

std::optional<RecordHeader> parse_record_header(std::string_view text) {
  constexpr std::string_view kPrefix = "audit(";
  if (text.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  const size_t close = text.find("): ");
  if (close == std::string_view::npos) return std::nullopt;
  const std::string_view stamp = text.substr(kPrefix.size(), close - kPrefix.size());
  const size_t dot = stamp.find('.');
  const size_t colon = stamp.find(':');
  if (dot == std::string_view::npos || colon == std::string_view::npos || colon < dot) return std::nullopt;
  const auto seconds = parse_integer<int64_t>(stamp.substr(0, dot));
  const auto millis = parse_integer<int64_t>(stamp.substr(dot + 1, colon - dot - 1));
  const auto serial = parse_integer<uint64_t>(stamp.substr(colon + 1));
  if (!seconds || !millis || !serial || *seconds < 0 || *seconds > (int64_t{1} << 33) || *millis < 0 || *millis > 999) {
    return std::nullopt;
  }
  RecordHeader header;
  header.time = TimePoint(std::chrono::duration_cast<Clock::duration>(std::chrono::seconds(*seconds) +
                                                                       std::chrono::milliseconds(*millis)));
  header.serial = *serial;
  header.body = text.substr(close + 3);
  return header;
}

std::optional<std::string_view> find_field(std::string_view body, std::string_view key) {
  std::optional<std::string_view> found;
  for_each_field(body, [&](std::string_view k, std::string_view v) {
    if (k != key) return true;
    found = v;
    return false;
  });
  return found;
}

std::optional<std::string> decode_string(std::string_view raw) {
  if (raw == "(null)") return std::string();
  if (!raw.empty() && raw.front() == '"') {
    if (raw.size() < 2 || raw.back() != '"') return std::nullopt;
    return std::string(raw.substr(1, raw.size() - 2));
  }
  return decode_hex(raw);
}

std::optional<SyscallInfo> parse_syscall_record(std::string_view body) {
  SyscallInfo info;
  bool have_number = false;
  bool have_pid = false;
  bool bad = false;
  for_each_field(body, [&](std::string_view key, std::string_view value) {
    if (key == "syscall") {
      const auto n = parse_integer<long>(value);
      if (!n) bad = true;
      info.number = n.value_or(-1);
      have_number = n.has_value();
    } else if (key == "success") {
      info.success = value == "yes";
    } else if (key == "exit") {
      const auto n = parse_integer<int64_t>(value);
      if (!n) bad = true;
      info.exit = n.value_or(0);
    } else if (key == "a0") {
      info.a0 = parse_integer<uint64_t>(value, 16).value_or(0);
    } else if (key == "pid") {
      const auto n = parse_integer<uint32_t>(value);
      if (!n) bad = true;
      info.pid = n.value_or(0);
      have_pid = n.has_value();
    } else if (key == "ppid") {
      info.ppid = parse_integer<uint32_t>(value).value_or(0);
    } else if (key == "uid") {
      info.uid = parse_integer<uint32_t>(value).value_or(0);
    } else if (key == "euid") {
      info.euid = parse_integer<uint32_t>(value).value_or(0);
    } else if (key == "comm") {
      info.comm = decode_string(value).value_or(std::string());
    } else if (key == "exe") {
      const auto exe = decode_string(value);
      if (!exe) bad = true;
      info.exe = exe.value_or(std::string());
    }
    return !bad;
  });
  if (bad || !have_number || !have_pid) return std::nullopt;
  return info;
}

std::optional<SocketAddress> parse_sockaddr(std::string_view hex) {
  const auto bytes = decode_hex(hex);
  if (!bytes || bytes->size() < 2) return std::nullopt;
  SocketAddress address;
  // sa_family is in host byte order; the port and the address are in network byte order.
  uint16_t family = 0;
  std::memcpy(&family, bytes->data(), sizeof(family));
  address.family = family;
  const auto byte = [&](size_t i) { return static_cast<uint8_t>((*bytes)[i]); };
  if (family == AF_INET) {
    if (bytes->size() < 8) return std::nullopt;
    address.port = static_cast<uint16_t>((byte(2) << 8) | byte(3));
    for (size_t i = 0; i < 4; ++i) address.address[i] = byte(4 + i);
  } else if (family == AF_INET6) {
    if (bytes->size() < 24) return std::nullopt;
    address.port = static_cast<uint16_t>((byte(2) << 8) | byte(3));
    for (size_t i = 0; i < 16; ++i) address.address[i] = byte(8 + i);
  }
  return address;
}

EventAssembler::EventAssembler(Handler handler, size_t max_argument_bytes)
    : handler_(std::move(handler)), max_argument_bytes_(max_argument_bytes) {}

void EventAssembler::append_argument(Partial& partial, std::string_view bytes) {
  std::string& arguments = partial.event.arguments;
  // Keep one byte more than the limit, so the command line knows it was cut.
  const size_t room = max_argument_bytes_ + 1 > arguments.size() ? max_argument_bytes_ + 1 - arguments.size() : 0;
  if (bytes.size() > room) {
    arguments.append(bytes.substr(0, room));
    partial.event.arguments_cut = true;
    return;
  }
  arguments.append(bytes);
}

void EventAssembler::close_piece(Partial& partial) {
  if (!partial.piece_open) return;
  append_argument(partial, std::string_view("\0", 1));
  ++partial.next_argument;
  partial.piece_open = false;
}

void EventAssembler::add_execve(Partial& partial, std::string_view body) {
  partial.event.has_execve = true;
  for_each_field(body, [&](std::string_view key, std::string_view value) {
    if (key == "argc") {
      const auto argc = parse_integer<uint64_t>(value);
      if (!argc) {
        partial.event.malformed = true;
        return false;
      }
      partial.argc = *argc;
      partial.argc_known = true;
      return true;
    }
    // "a<i>=v", "a<i>_len=n" (argument i follows in pieces) or "a<i>[j]=piece".
    if (key.size() < 2 || key.front() != 'a') return true;
    std::string_view rest = key.substr(1);
    enum class Kind { Whole, Length, Piece } kind = Kind::Whole;
    if (const size_t underscore = rest.find('_'); underscore != std::string_view::npos) {
      if (rest.substr(underscore) != "_len") return true;
      kind = Kind::Length;
      rest = rest.substr(0, underscore);
    } else if (const size_t bracket = rest.find('['); bracket != std::string_view::npos) {
      if (rest.back() != ']' || !parse_integer<uint64_t>(rest.substr(bracket + 1, rest.size() - bracket - 2))) {
        partial.event.malformed = true;
        return false;
      }
      kind = Kind::Piece;
      rest = rest.substr(0, bracket);
    }
    const auto index = parse_integer<uint64_t>(rest);
    if (!index) {
      partial.event.malformed = true;
      return false;
    }
    if (partial.piece_open && (kind != Kind::Piece || *index != partial.next_argument)) close_piece(partial);
    if (kind == Kind::Length) return true;
    if (*index != partial.next_argument) {
      partial.event.arguments_cut = true;  // a record of this event went missing
      return true;
    }
    const auto decoded = decode_string(value);
    if (!decoded) {
      partial.event.malformed = true;
      return false;
    }
    append_argument(partial, *decoded);
    if (kind == Kind::Piece) {
      partial.piece_open = true;
    } else {
      append_argument(partial, std::string_view("\0", 1));
      ++partial.next_argument;
    }
    return true;
  });
}

bool EventAssembler::add(int type, std::string_view text) {
  const auto header = parse_record_header(text);
  if (!header) return false;
  if (type == kEndOfEventRecord) {
    finish(header->serial);
    return true;
  }
  if (type != kSyscallRecord && type != kExecveRecord && type != kSockaddrRecord && type != kProctitleRecord) {
    return true;  // CWD, PATH...: nothing we need
  }
  auto [it, inserted] = open_.try_emplace(header->serial);
  Partial& partial = it->second;
  if (inserted) {
    partial.event.serial = header->serial;
    partial.event.time = header->time;
    order_.push_back(header->serial);
    while (!order_.empty() && !open_.count(order_.front())) order_.pop_front();
  }
  bool understood = true;
  switch (type) {
    case kSyscallRecord:
      partial.event.syscall = parse_syscall_record(header->body);
      understood = partial.event.syscall.has_value();
      break;
    case kExecveRecord: {
      add_execve(partial, header->body);
      understood = !partial.event.malformed;
      break;
    }
    case kSockaddrRecord: {
      const auto saddr = find_field(header->body, "saddr");
      if (saddr) partial.event.sockaddr = parse_sockaddr(*saddr);
      understood = partial.event.sockaddr.has_value();
      break;
    }
    case kProctitleRecord: {
      const auto raw = find_field(header->body, "proctitle");
      auto title = raw ? decode_string(*raw) : std::nullopt;
      if (title) {
        if (title->size() > kProctitleMax) title->resize(kProctitleMax);
        partial.event.proctitle = std::move(*title);
      }
      understood = title.has_value();
      break;
    }
    default: break;
  }
  if (!understood) partial.event.malformed = true;
  if (open_.size() > kMaxOpenEvents) finish(order_.front());
  return understood;
}

void EventAssembler::finish(uint64_t serial) {
  const auto it = open_.find(serial);
  if (it == open_.end()) return;
  Partial partial = std::move(it->second);
  open_.erase(it);
  while (!order_.empty() && !open_.count(order_.front())) order_.pop_front();
  close_piece(partial);  // the last argument came in pieces
  if (partial.event.has_execve && (!partial.argc_known || partial.next_argument < partial.argc)) {
    partial.event.arguments_cut = true;  // records of this event went missing
  }
  handler_(partial.event);
}

void EventAssembler::flush_all() {
  while (!open_.empty()) finish(open_.begin()->first);
  order_.clear();
}

void EventAssembler::flush_older(TimePoint older_than) {
  while (!order_.empty()) {
    const auto it = open_.find(order_.front());
    if (it == open_.end()) {
      order_.pop_front();
      continue;
    }
    if (it->second.event.time >= older_than) break;
    finish(order_.front());
  }
}

}  // namespace edgeguard::audit
