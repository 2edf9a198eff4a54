#include "collectors/login/utmp_record.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace edgeguard::login {
namespace {

template <typename T>
T read_native(std::string_view bytes, size_t offset) {
  // The files are written in the host's byte order by the host's own libc.
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof(T));
  return value;
}

// A NUL-padded text field: everything up to the first NUL or the end of the field.
std::string read_text(std::string_view bytes, size_t offset, size_t width) {
  const std::string_view field = bytes.substr(offset, width);
  return std::string(field.substr(0, std::min(field.find('\0'), field.size())));
}

std::optional<std::string> ipv4_text(const uint8_t* four) {
  char text[INET_ADDRSTRLEN];
  if (!inet_ntop(AF_INET, four, text, sizeof(text))) return std::nullopt;
  return std::string(text);
}

std::optional<std::string> ipv6_text(const std::array<uint8_t, 16>& address) {
  char text[INET6_ADDRSTRLEN];
  if (!inet_ntop(AF_INET6, address.data(), text, sizeof(text))) return std::nullopt;
  return std::string(text);
}

}  // namespace

std::optional<UtmpRecord> parse_utmp_record(std::string_view bytes) {
  namespace L = utmp_layout;
  if (bytes.size() != kUtmpRecordSize) return std::nullopt;
  UtmpRecord record;
  record.type = read_native<int16_t>(bytes, L::kType);
  record.pid = read_native<int32_t>(bytes, L::kPid);
  record.line = read_text(bytes, L::kLine, L::kLineSize);
  record.id = read_text(bytes, L::kId, L::kIdSize);
  record.user = read_text(bytes, L::kUser, L::kUserSize);
  record.host = read_text(bytes, L::kHost, L::kHostSize);
  record.exit_termination = read_native<int16_t>(bytes, L::kExitTermination);
  record.exit_status = read_native<int16_t>(bytes, L::kExitStatus);
  record.session = read_native<int32_t>(bytes, L::kSession);
  record.seconds = read_native<uint32_t>(bytes, L::kSeconds);
  record.microseconds = read_native<int32_t>(bytes, L::kMicroseconds);
  std::memcpy(record.address.data(), bytes.data() + L::kAddress, L::kAddressSize);
  return record;
}

bool is_known_type(int16_t type) { return type >= 0 && type <= static_cast<int16_t>(UtmpType::Accounting); }

std::string_view type_name(int16_t type) {
  static constexpr std::string_view kNames[] = {"EMPTY",         "RUN_LVL",       "BOOT_TIME",    "NEW_TIME",
                                                "OLD_TIME",      "INIT_PROCESS",  "LOGIN_PROCESS", "USER_PROCESS",
                                                "DEAD_PROCESS",  "ACCOUNTING"};
  return is_known_type(type) ? kNames[type] : "UNKNOWN";
}

std::optional<std::string> remote_address(const UtmpRecord& record) {
  const auto& a = record.address;
  const auto zero = [&](size_t from, size_t to) { return std::all_of(a.begin() + from, a.begin() + to, [](uint8_t b) { return b == 0; }); };
  if (zero(0, 16)) return std::nullopt;
  if (zero(4, 16)) {
    // Either IPv4, or an IPv6 address ending in 96 zero bits: ut_host settles it when it can.
    std::array<uint8_t, 16> from_host{};
    if (inet_pton(AF_INET6, record.host.c_str(), from_host.data()) == 1 && from_host == a) return ipv6_text(a);
    return ipv4_text(a.data());
  }
  if (zero(0, 10) && a[10] == 0xff && a[11] == 0xff) return ipv4_text(a.data() + 12);
  return ipv6_text(a);
}

std::optional<TimePoint> record_time(const UtmpRecord& record) {
  if (record.seconds == 0) return std::nullopt;
  const int32_t micros = std::clamp(record.microseconds, 0, 999999);
  return TimePoint(std::chrono::seconds(record.seconds)) +
         std::chrono::duration_cast<Clock::duration>(std::chrono::microseconds(micros));
}

}  // namespace edgeguard::login
