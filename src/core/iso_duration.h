#pragma once
// ISO-8601 durations as the module twin schema writes them ("PT7M", "P1DT12H", "PT0.5S").
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace edgeguard {

using Millis = std::chrono::milliseconds;

// Parses exactly the language of the twin schema's TimeConfiguration pattern: designators in
// order (Y M W D, then T H M S), at least one component, a fraction only on the last one.
// A year counts 365 days and a month 30 days, as the reference agents do. Returns nullopt for
// anything the pattern rejects, and for values that overflow.
std::optional<Millis> parse_iso_duration(std::string_view text);

// Canonical form for reporting a duration we chose ourselves: "PT7M", "P1DT2H", "PT0.5S".
std::string format_iso_duration(Millis duration);

}  // namespace edgeguard
