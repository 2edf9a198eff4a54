#pragma once
// Text from a manifest or the engine made safe for one line of a report or log: control
// characters become '?', so a crafted module name or value cannot forge report lines.
#include <cstddef>
#include <string>
#include <string_view>

namespace edgeguard::analysis {

// At most `max_chars` bytes of `text` (then "..."), with control characters replaced.
std::string printable(std::string_view text, size_t max_chars = std::string_view::npos);

}  // namespace edgeguard::analysis
