#pragma once
// Compact JSON text of a value, byte for byte what nlohmann::json::dump() writes with invalid
// UTF-8 replaced, but faster on the hot path: strings of plain printable ASCII (almost every
// string an event carries) are copied as they are, integers are written with to_chars, and
// only what is unusual (escapes, non-ASCII, floating point) goes through nlohmann's own writer.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace edgeguard {

void append_json(std::string& out, const nlohmann::json& value);
void append_json_string(std::string& out, std::string_view text);

}  // namespace edgeguard
