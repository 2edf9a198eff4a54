#pragma once
// The reports of `edgeguard analyze-manifest`: text for people, JSON for scripts, SARIF 2.1.0 for
// CI systems (GitHub code scanning, Azure DevOps) to show findings on the manifest's lines.
#include <string>
#include <vector>

#include "analysis/finding.h"
#include "analysis/rule_catalog.h"

namespace edgeguard::analysis {

struct ReportInput {
  std::string file;   // the manifest as named on the command line ("<stdin>" for standard input)
  std::string shape;  // "modulesContent", "at-scale deployment", "deployment template"
  size_t module_count = 0;
  const std::vector<Finding>& findings;  // sorted, located
  const RuleCatalog& catalog;
  Severity fail_on = Severity::Low;
};

std::string render_text(const ReportInput& input);
std::string render_json(const ReportInput& input);
std::string render_sarif(const ReportInput& input);

// Findings at or above the threshold (what makes the command exit 1).
size_t count_at_or_above(const std::vector<Finding>& findings, Severity threshold);

}  // namespace edgeguard::analysis
