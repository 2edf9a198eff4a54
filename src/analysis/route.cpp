#include "analysis/route.h"

#include <cctype>

#include "core/strings.h"

namespace edgeguard::analysis {
namespace {

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

// Position of keyword `word` as a whole word at or after `from`, ignoring case; npos if none.
size_t find_keyword(std::string_view text, std::string_view word, size_t from = 0) {
  const std::string lower = to_lower(text);
  const std::string lower_word = to_lower(word);
  for (size_t at = lower.find(lower_word, from); at != std::string::npos; at = lower.find(lower_word, at + 1)) {
    const bool start_ok = at == 0 || is_space(text[at - 1]);
    const bool end_ok = at + word.size() == text.size() || is_space(text[at + word.size()]);
    if (start_ok && end_ok) return at;
  }
  return std::string::npos;
}

}  // namespace

std::optional<ParsedRoute> parse_route(std::string_view text) {
  text = trim(text);
  if (find_keyword(text, "FROM") != 0) return std::nullopt;
  std::string_view rest = trim(text.substr(4));
  size_t source_end = 0;
  while (source_end < rest.size() && !is_space(rest[source_end])) ++source_end;
  ParsedRoute route;
  route.source = std::string(rest.substr(0, source_end));
  rest = trim(rest.substr(source_end));

  // The sink follows the last INTO (a WHERE condition may contain the word in a string).
  size_t into = std::string::npos;
  for (size_t at = find_keyword(rest, "INTO"); at != std::string::npos; at = find_keyword(rest, "INTO", at + 1))
    into = at;
  if (into == std::string::npos || route.source.empty()) return std::nullopt;
  route.sink = std::string(trim(rest.substr(into + 4)));
  const std::string_view middle = trim(rest.substr(0, into));
  if (!middle.empty()) {
    if (find_keyword(middle, "WHERE") != 0) return std::nullopt;
    route.condition = std::string(trim(middle.substr(5)));
    if (route.condition.empty()) return std::nullopt;
  }
  if (route.sink.empty()) return std::nullopt;
  return route;
}

bool route_source_covers_module(std::string_view source, std::string_view module) {
  const std::string prefix = "/messages/modules/" + std::string(module);
  for (const std::string& covering : {std::string("/*"), std::string("/messages/*"), std::string("/messages/modules/*"),
                                      prefix + "/*", prefix + "/outputs/*"}) {
    if (iequals(source, covering)) return true;
  }
  return false;
}

}  // namespace edgeguard::analysis
