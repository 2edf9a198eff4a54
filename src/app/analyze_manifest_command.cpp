#include "app/analyze_manifest_command.h"

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

#include "analysis/analyzer.h"
#include "analysis/manifest_reader.h"
#include "analysis/manifest_report.h"
#include "analysis/printable.h"
#include "app/exit_codes.h"

namespace edgeguard {
namespace {

using namespace analysis;

// Reads at most `limit` bytes; an error names the file and the reason.
std::optional<std::string> read_input(const std::string& file, size_t limit, std::string& error) {
  std::string text;
  const auto read_all = [&](std::istream& in) {
    char buffer[64 * 1024];
    while (text.size() <= limit && in) {
      in.read(buffer, sizeof buffer);
      text.append(buffer, static_cast<size_t>(in.gcount()));
    }
    return !in.bad();
  };
  if (file == "-") {
    if (!read_all(std::cin)) error = "cannot read standard input";
  } else {
    std::error_code ec;
    if (std::filesystem::is_directory(file, ec)) {
      error = file + ": is a directory, not a manifest file";
      return std::nullopt;
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      error = file + ": cannot open: " + std::strerror(errno);
      return std::nullopt;
    }
    if (!read_all(in)) error = file + ": cannot read: " + std::strerror(errno);
  }
  if (!error.empty()) return std::nullopt;
  if (text.size() > limit) {
    error = file + ": larger than " + std::to_string(limit / (1024 * 1024)) + " MiB: not a deployment manifest";
    return std::nullopt;
  }
  return text;
}

std::string where(const std::string& file, const InputProblem& problem) {
  std::string out = describe_position(file, problem.position);
  out += ": ";
  if (!problem.path.empty()) {
    out += printable(problem.path);
    out += ": ";
  }
  return out;
}

}  // namespace

CLI::App* add_analyze_manifest_command(CLI::App& app, AnalyzeManifestOptions& options) {
  auto* command =
      app.add_subcommand("analyze-manifest",
                         "Check an IoT Edge deployment manifest against the deployment rules (exit 0: clean, "
                         "1: findings at or above --fail-on, 2: unreadable input)");
  command
      ->add_option("FILE", options.file,
                   "Deployment manifest: modulesContent, at-scale deployment or deployment.template.json "
                   "(- reads standard input)")
      ->required();
  command->add_option("--format", options.format, "text (default), json or sarif")
      ->check(CLI::IsMember({"text", "json", "sarif"}));
  command
      ->add_option("--fail-on", options.fail_on,
                   "Exit 1 when a finding is at or above this severity: low (default), medium, high, critical")
      ->check(CLI::IsMember({"low", "medium", "high", "critical"}));
  command->add_option("--rules", options.rules_file, "Rules file to use instead of the built-in rules");
  command->add_option("--agent-module", options.agent_modules,
                      "Module name of the security agent (repeatable; default: edgeguard, azureiotsecurity)");
  command->add_option("--agent-image", options.agent_images,
                      "Image repository pattern of the security agent (repeatable; default: */edgeguard, edgeguard, "
                      "mcr.microsoft.com/ascforiot/azureiotsecurity)");
  return command;
}

int analyze_manifest(const AnalyzeManifestOptions& options, std::ostream& out, std::ostream& err) {
  const auto threshold = parse_severity(options.fail_on);
  if (!threshold) {
    err << "edgeguard: --fail-on must be low, medium, high or critical, not \"" << options.fail_on << "\"\n";
    return exit_code::kBadInput;
  }
  if (options.format != "text" && options.format != "json" && options.format != "sarif") {
    err << "edgeguard: --format must be text, json or sarif, not \"" << options.format << "\"\n";
    return exit_code::kBadInput;
  }

  std::optional<RuleCatalog> custom_rules;
  const RuleCatalog* catalog = nullptr;
  try {
    if (options.rules_file) {
      std::string error;
      const auto text = read_input(options.rules_file->string(), kMaxManifestBytes, error);
      if (!text) {
        err << "edgeguard: " << error << "\n";
        return exit_code::kBadInput;
      }
      custom_rules = RuleCatalog::parse(*text, options.rules_file->string());
      catalog = &*custom_rules;
    } else {
      catalog = &RuleCatalog::builtin();
    }
  } catch (const RuleCatalogError& error) {
    err << "edgeguard: " << error.what() << "\n";
    return exit_code::kBadInput;
  }

  std::string error;
  const auto text = read_input(options.file, kMaxManifestBytes, error);
  if (!text) {
    err << "edgeguard: " << error << "\n";
    return exit_code::kBadInput;
  }
  const std::string name = options.file == "-" ? "<stdin>" : options.file;
  const ManifestReadResult manifest = read_manifest(*text);
  if (!manifest.ok()) {
    for (const auto& problem : manifest.problems) err << where(name, problem) << problem.message << "\n";
    err << "edgeguard: " << name << ": the manifest cannot be analysed (" << manifest.problems.size()
        << (manifest.problems.size() == 1 ? " problem)\n" : " problems)\n");
    return exit_code::kBadInput;
  }

  AnalysisOptions analysis_options;
  analysis_options.agent.module_names = options.agent_modules;
  analysis_options.agent.image_patterns = options.agent_images;
  std::vector<Finding> findings = analyze(manifest.model, *catalog, analysis_options);
  locate_findings(findings, manifest.locator);

  const ReportInput report{name, manifest.shape, manifest.model.modules.size(), findings, *catalog, *threshold};
  if (options.format == "json") {
    out << render_json(report);
  } else if (options.format == "sarif") {
    out << render_sarif(report);
  } else {
    out << render_text(report);
  }
  out.flush();
  if (!out) {
    err << "edgeguard: cannot write the report\n";  // not exit 1, which would read as "findings"
    return exit_code::kBadInput;
  }
  return count_at_or_above(findings, *threshold) > 0 ? exit_code::kRuntimeFailure : exit_code::kOk;
}

}  // namespace edgeguard
