#pragma once
// Writes utmp records the way the host's programs do: glibc's own `struct utmp`, appended with
// glibc's updwtmp() (which locks the file and realigns a torn tail), so tests read what a real
// login, sshd or su would have written.
#include <arpa/inet.h>
#include <utmp.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace edgeguard::test {

struct UtmpEntry {
  short type = USER_PROCESS;
  pid_t pid = 0;
  std::string line;
  std::string id;
  std::string user;
  std::string host;
  std::string address;  // "192.0.2.1", "2001:db8::1" or "" (none)
  std::chrono::system_clock::time_point time = std::chrono::system_clock::now();
};

inline struct utmp to_utmp(const UtmpEntry& entry) {
  struct utmp ut;
  std::memset(&ut, 0, sizeof(ut));
  ut.ut_type = entry.type;
  ut.ut_pid = entry.pid;
  // strncpy on purpose: a value as long as the field is stored without a terminator.
  std::strncpy(ut.ut_line, entry.line.c_str(), sizeof(ut.ut_line));
  std::strncpy(ut.ut_id, entry.id.c_str(), sizeof(ut.ut_id));
  std::strncpy(ut.ut_user, entry.user.c_str(), sizeof(ut.ut_user));
  std::strncpy(ut.ut_host, entry.host.c_str(), sizeof(ut.ut_host));
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(entry.time.time_since_epoch()).count();
  ut.ut_tv.tv_sec = static_cast<int32_t>(micros / 1000000);
  ut.ut_tv.tv_usec = static_cast<int32_t>(micros % 1000000);
  if (!entry.address.empty()) {
    if (inet_pton(AF_INET, entry.address.c_str(), &ut.ut_addr_v6[0]) != 1 &&
        inet_pton(AF_INET6, entry.address.c_str(), &ut.ut_addr_v6[0]) != 1) {
      throw std::invalid_argument("not an IP address: " + entry.address);
    }
  }
  return ut;
}

inline std::string utmp_bytes(const UtmpEntry& entry) {
  const struct utmp ut = to_utmp(entry);
  return std::string(reinterpret_cast<const char*>(&ut), sizeof(ut));
}

// Appends with glibc's updwtmp(). The file must exist (glibc does not create it either).
inline void append_utmp(const std::filesystem::path& file, const UtmpEntry& entry) {
  if (!std::filesystem::exists(file)) throw std::runtime_error("no such utmp file: " + file.string());
  const struct utmp ut = to_utmp(entry);
  updwtmp(file.c_str(), &ut);
  if (std::filesystem::file_size(file) % sizeof(struct utmp) != 0) throw std::runtime_error("updwtmp tore " + file.string());
}

// Raw bytes, without glibc: for torn writes and garbage.
inline void append_bytes(const std::filesystem::path& file, const std::string& bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::app);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot append to " + file.string());
}

}  // namespace edgeguard::test
