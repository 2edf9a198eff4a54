#pragma once
// How far each log file has been read, as persisted in the store's state table.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace edgeguard::login {

struct FilePosition {
  uint64_t inode = 0;
  uint64_t offset = 0;       // bytes of whole records read, a multiple of the record size
  std::string fingerprint;   // of the file's first record; "" while the file had none
  bool operator==(const FilePosition&) const = default;
};

// Keyed by log name ("wtmp", "btmp").
using ReadPositions = std::map<std::string, FilePosition, std::less<>>;

// {"version":1,"files":{"wtmp":{"inode":"123","offset":"768","fingerprint":"..."}}}. Numbers are
// strings: a 64-bit inode must survive any JSON reader.
std::string serialize_positions(const ReadPositions& positions);
// nullopt and `error` set when the text is not what serialize_positions() writes.
std::optional<ReadPositions> parse_positions(std::string_view text, std::string& error);

// A short, stable digest of a record (FNV-1a 64, hex) that tells one file from another.
std::string fingerprint_of(std::string_view record);

}  // namespace edgeguard::login
