#include "analysis/severity.h"

#include "core/strings.h"

namespace edgeguard::analysis {

std::string_view to_string(Severity severity) {
  switch (severity) {
    case Severity::Low: return "low";
    case Severity::Medium: return "medium";
    case Severity::High: return "high";
    case Severity::Critical: return "critical";
  }
  return "low";
}

std::optional<Severity> parse_severity(std::string_view text) {
  for (const Severity severity : {Severity::Low, Severity::Medium, Severity::High, Severity::Critical}) {
    if (iequals(text, to_string(severity))) return severity;
  }
  return std::nullopt;
}

}  // namespace edgeguard::analysis
