#pragma once
// One record of /run/utmp, /var/log/wtmp or /var/log/btmp, parsed from its raw bytes.
//
// The files hold glibc's `struct utmp` (the same as `struct utmpx`) in the Linux layout that
// x86_64, aarch64, i386, armhf and riscv64 share: 384 bytes, 32-bit times (glibc keeps them
// 32-bit on 64-bit ABIs for compatibility, __WORDSIZE_TIME64_COMPAT32), host byte order,
// written by whatever glibc (or sshd, or busybox) runs on the host. We read the fields at
// fixed offsets instead of casting to <utmp.h>'s struct, so the parser does not depend on the
// build host's headers, never reads past a field, and never trusts NUL termination: the text
// fields are NUL-padded, and a field that fills its whole width has no terminator at all.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/event.h"

namespace edgeguard::login {

inline constexpr size_t kUtmpRecordSize = 384;

// Byte offsets and widths of the fields (glibc bits/utmp.h, Linux).
namespace utmp_layout {
inline constexpr size_t kType = 0;        // short ut_type (+2 bytes padding)
inline constexpr size_t kPid = 4;         // pid_t ut_pid
inline constexpr size_t kLine = 8;        // char ut_line[32]: "pts/0", "tty1", "ssh:notty"
inline constexpr size_t kLineSize = 32;
inline constexpr size_t kId = 40;         // char ut_id[4]: inittab id or the line's suffix
inline constexpr size_t kIdSize = 4;
inline constexpr size_t kUser = 44;       // char ut_user[32]
inline constexpr size_t kUserSize = 32;
inline constexpr size_t kHost = 76;       // char ut_host[256]: remote host name or address
inline constexpr size_t kHostSize = 256;
inline constexpr size_t kExitTermination = 332;  // short e_termination
inline constexpr size_t kExitStatus = 334;       // short e_exit
inline constexpr size_t kSession = 336;   // int32_t ut_session
inline constexpr size_t kSeconds = 340;   // int32_t ut_tv.tv_sec
inline constexpr size_t kMicroseconds = 344;  // int32_t ut_tv.tv_usec
inline constexpr size_t kAddress = 348;   // int32_t ut_addr_v6[4], network byte order
inline constexpr size_t kAddressSize = 16;
// 364..383: reserved.
}  // namespace utmp_layout

// ut_type values.
enum class UtmpType : int16_t {
  Empty = 0,
  RunLevel = 1,
  BootTime = 2,
  NewTime = 3,
  OldTime = 4,
  InitProcess = 5,
  LoginProcess = 6,
  UserProcess = 7,
  DeadProcess = 8,
  Accounting = 9,
};

struct UtmpRecord {
  int16_t type = 0;
  int32_t pid = 0;
  std::string line;  // without the NUL padding
  std::string id;
  std::string user;
  std::string host;
  int16_t exit_termination = 0;
  int16_t exit_status = 0;
  int32_t session = 0;
  // ut_tv.tv_sec read as unsigned: a signed 32-bit field would turn negative in 2038; glibc's
  // readers treat it the same way (valid until 2106).
  uint32_t seconds = 0;
  int32_t microseconds = 0;
  std::array<uint8_t, utmp_layout::kAddressSize> address{};

  bool has_type(UtmpType t) const { return type == static_cast<int16_t>(t); }
};

// Parses exactly one record; nullopt unless `bytes` is exactly kUtmpRecordSize long. Any bytes
// are accepted: whether the type is known is for the caller to judge (is_known_type).
std::optional<UtmpRecord> parse_utmp_record(std::string_view bytes);

bool is_known_type(int16_t type);
// "USER_PROCESS", "DEAD_PROCESS"...; "UNKNOWN" for anything else.
std::string_view type_name(int16_t type);

// The remote address of the record as text: "192.0.2.1", "2001:db8::1"; nullopt when the
// record carries none (a local login). An IPv4 address is stored in the first 4 bytes with the
// other 12 zero; an IPv4-mapped IPv6 address is written as the IPv4 address it maps. An IPv6
// address whose last 96 bits are zero looks like IPv4 in this format: when ut_host holds that
// IPv6 address as text (sshd without UseDNS), the IPv6 reading wins.
std::optional<std::string> remote_address(const UtmpRecord& record);

// ut_tv as a time point; nullopt when the record has no time (0).
std::optional<TimePoint> record_time(const UtmpRecord& record);

}  // namespace edgeguard::login
