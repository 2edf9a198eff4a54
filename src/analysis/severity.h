#pragma once
// How bad a deployment finding is, in the order a CI threshold compares them.
#include <optional>
#include <string_view>

namespace edgeguard::analysis {

enum class Severity { Low = 0, Medium = 1, High = 2, Critical = 3 };

std::string_view to_string(Severity severity);                  // "low", "medium", "high", "critical"
std::optional<Severity> parse_severity(std::string_view text);  // case-insensitive

}  // namespace edgeguard::analysis
