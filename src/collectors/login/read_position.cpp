#include "collectors/login/read_position.h"

#include <nlohmann/json.hpp>

#include "collectors/login/utmp_record.h"
#include "core/strings.h"

namespace edgeguard::login {
namespace {

std::optional<uint64_t> to_u64(const nlohmann::json& value) {
  if (!value.is_string()) return std::nullopt;
  return parse_integer<uint64_t>(value.get_ref<const std::string&>());
}

}  // namespace

std::string serialize_positions(const ReadPositions& positions) {
  nlohmann::json files = nlohmann::json::object();
  for (const auto& [name, position] : positions) {
    files[name] = {{"inode", std::to_string(position.inode)},
                   {"offset", std::to_string(position.offset)},
                   {"fingerprint", position.fingerprint}};
  }
  return nlohmann::json{{"version", 1}, {"files", std::move(files)}}.dump();
}

std::optional<ReadPositions> parse_positions(std::string_view text, std::string& error) {
  const auto document = nlohmann::json::parse(text, nullptr, false);
  if (document.is_discarded() || !document.is_object()) {
    error = "not a JSON object";
    return std::nullopt;
  }
  const auto version = document.find("version");
  if (version == document.end() || !version->is_number_integer() || version->get<int64_t>() != 1) {
    error = "unknown version";
    return std::nullopt;
  }
  const auto files = document.find("files");
  if (files == document.end() || !files->is_object()) {
    error = "no \"files\" object";
    return std::nullopt;
  }
  ReadPositions out;
  for (const auto& [name, entry] : files->items()) {
    if (!entry.is_object()) {
      error = "\"" + name + "\" is not an object";
      return std::nullopt;
    }
    const auto inode = to_u64(entry.value("inode", nlohmann::json()));
    const auto offset = to_u64(entry.value("offset", nlohmann::json()));
    const auto fingerprint = entry.value("fingerprint", nlohmann::json());
    if (!inode || !offset || !fingerprint.is_string() || *offset % kUtmpRecordSize != 0) {
      error = "\"" + name + "\" has no valid inode, offset (a multiple of " + std::to_string(kUtmpRecordSize) +
              ") and fingerprint";
      return std::nullopt;
    }
    out[name] = FilePosition{*inode, *offset, fingerprint.get<std::string>()};
  }
  return out;
}

std::string fingerprint_of(std::string_view record) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (const unsigned char c : record) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  char text[17];
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 15; i >= 0; --i) {
    text[i] = kHex[hash & 0xf];
    hash >>= 4;
  }
  text[16] = '\0';
  return text;
}

}  // namespace edgeguard::login
