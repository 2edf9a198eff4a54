#pragma once
// Small string helpers shared by parsers.
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

}  // namespace edgeguard
