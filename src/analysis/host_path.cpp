#include "analysis/host_path.h"

#include <vector>

#include "core/strings.h"

namespace edgeguard::analysis {
namespace {

// `path` is `base` or below it.
bool is_at_or_below(std::string_view path, std::string_view base) {
  if (base == "/") return true;
  return path == base || (starts_with(path, base) && path.size() > base.size() && path[base.size()] == '/');
}

bool is_expected(const RuleCatalog& catalog, const std::string& module, const std::string& path) {
  for (const auto& expected : catalog.expected_host_paths) {
    bool applies = false;
    for (const auto& name : expected.modules) applies = applies || name == "*" || name == module;
    if (!applies) continue;
    std::string pattern = expected.path;
    if (const size_t at = pattern.find("{module}"); at != std::string::npos) pattern.replace(at, 8, module);
    if (normalise_host_path(pattern) == path) return true;
  }
  return false;
}

}  // namespace

std::string normalise_host_path(std::string_view path) {
  path = trim(path);
  if (!starts_with(path, "/")) return {};
  std::vector<std::string_view> parts;
  for (const auto part : split(path, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  if (parts.size() >= 2 && parts[0] == "var" && parts[1] == "run") parts.erase(parts.begin());
  std::string out;
  for (const auto part : parts) {
    out += '/';
    out += part;
  }
  return out.empty() ? "/" : out;
}

std::optional<HostPathExposure> classify_host_path(const RuleCatalog& catalog, const std::string& module,
                                                   std::string_view source, bool read_only) {
  const std::string path = normalise_host_path(source);
  if (path.empty() || is_expected(catalog, module, path)) return std::nullopt;
  if (read_only) {
    for (const auto& harmless : catalog.harmless_read_only_paths) {
      if (is_at_or_below(path, normalise_host_path(harmless))) return std::nullopt;
    }
  }

  // The most specific table entry at or above the path. Everything is below "/", so "/" only
  // counts for a bind of "/" itself.
  const HostPathEntry* direct = nullptr;
  for (const auto& entry : catalog.host_paths) {
    const bool matches = entry.path == "/" ? path == "/" : is_at_or_below(path, entry.path);
    if (matches && (!direct || entry.path.size() > direct->path.size())) direct = &entry;
  }
  std::optional<HostPathExposure> out;
  if (direct) {
    const bool below = path != direct->path;
    const Severity severity = read_only
                                  ? (below ? direct->below_read_only_severity.value_or(direct->read_only_severity)
                                           : direct->read_only_severity)
                                  : (below ? direct->below_severity.value_or(direct->severity) : direct->severity);
    out = HostPathExposure{severity, direct->what, direct->agent_may_read_only};
  }
  if (path == "/") return out;  // the "/" entry already says it holds everything

  // Sensitive paths below a bound directory are exposed by it.
  bool agent_may_read = !direct || direct->agent_may_read_only;
  for (const auto& entry : catalog.host_paths) {
    if (entry.path == path || !is_at_or_below(entry.path, path)) continue;
    agent_may_read = agent_may_read && entry.agent_may_read_only;
    const Severity severity = read_only ? entry.read_only_severity : entry.severity;
    if (!out || severity > out->severity)
      out = HostPathExposure{severity, "a directory that holds " + entry.what, false};
  }
  if (out) out->agent_may_read = agent_may_read;
  return out;
}

}  // namespace edgeguard::analysis
