#pragma once
// Small string helpers shared by parsers.
#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace edgeguard {

bool iequals(std::string_view a, std::string_view b);
std::string_view trim(std::string_view text);
std::vector<std::string_view> split(std::string_view text, char separator);
std::string join(const std::vector<std::string>& parts, std::string_view separator);
bool starts_with(std::string_view text, std::string_view prefix);
bool ends_with(std::string_view text, std::string_view suffix);
std::string to_lower(std::string_view text);

// The fields of a line separated by runs of blanks and tabs (as /proc tables print them).
std::vector<std::string_view> split_whitespace(std::string_view line);

// The whole of `text` as an integer in `base`: nullopt when it is empty, has anything else in
// it, or is out of the type's range.
template <typename Integer>
std::optional<Integer> parse_integer(std::string_view text, int base = 10) {
  Integer value{};
  if (text.empty()) return std::nullopt;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace edgeguard
