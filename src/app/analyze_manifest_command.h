#pragma once
// `edgeguard analyze-manifest FILE`: checks an IoT Edge deployment manifest against the
// deployment rules and reports the findings as text, JSON or SARIF.
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace edgeguard {

struct AnalyzeManifestOptions {
  std::string file;                                 // "-" reads standard input
  std::string format = "text";                      // text | json | sarif
  std::string fail_on = "low";                      // low | medium | high | critical
  std::optional<std::filesystem::path> rules_file;  // instead of the built-in rules
  std::vector<std::string> agent_modules;           // security agent module names (default: the rules file's)
  std::vector<std::string> agent_images;            // security agent image repository patterns
};

// Adds the subcommand and its options to the command line, filling `options`.
CLI::App* add_analyze_manifest_command(CLI::App& app, AnalyzeManifestOptions& options);

// Exit codes: 0 no finding at or above --fail-on, 1 findings at or above it, 2 the manifest (or
// the rules file) could not be read; every problem is named on `err` with file, line:column and
// JSON pointer. The report goes to `out`.
int analyze_manifest(const AnalyzeManifestOptions& options, std::ostream& out, std::ostream& err);

}  // namespace edgeguard
