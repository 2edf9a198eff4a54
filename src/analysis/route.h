#pragma once
// edgeHub route syntax: "FROM <source> [WHERE <condition>] INTO <sink>" (keywords in any case).
#include <optional>
#include <string>
#include <string_view>

namespace edgeguard::analysis {

struct ParsedRoute {
  std::string source;     // "/messages/modules/edgeguard/*"
  std::string condition;  // empty when there is no WHERE
  std::string sink;       // "$upstream", "BrokeredEndpoint(\"/modules/x/inputs/y\")"
};

std::optional<ParsedRoute> parse_route(std::string_view text);

// True if messages that `module` sends (on any output, or none) are selected by `source`.
bool route_source_covers_module(std::string_view source, std::string_view module);

}  // namespace edgeguard::analysis
