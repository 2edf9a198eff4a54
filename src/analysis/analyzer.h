#pragma once
// Runs the deployment rules over a deployment model (from a manifest or from the engine).
#include <string>
#include <vector>

#include "analysis/deployment_model.h"
#include "analysis/finding.h"
#include "analysis/rule_catalog.h"

namespace edgeguard::analysis {

// How the security agent's own module is recognised, so the privileges it needs are reported at
// low severity instead of as an alarm. Only those privileges are lowered (privileged, its
// capabilities, host network and PID namespaces, read-only binds of the host paths it reads):
// never a writable bind, a secret or any other finding.
struct AgentRecognition {
  std::vector<std::string> module_names;    // empty: the rules file's defaults
  std::vector<std::string> image_patterns;  // fnmatch patterns on the image repository; empty: defaults
  // On the device the agent knows its own container: when set, only that container (full id or
  // a prefix of at least 12 characters) is the agent, whatever the others are called.
  std::string self_container_id;
};

struct AnalysisOptions {
  AgentRecognition agent;
};

// The findings, sorted (see sort_findings); positions are not set (see locate_findings).
std::vector<Finding> analyze(const DeploymentModel& model, const RuleCatalog& catalog = RuleCatalog::builtin(),
                             const AnalysisOptions& options = {});

// A module is the security agent when its name is one of the agent module names and its image
// repository matches one of the agent image patterns (or, on the device, by container id).
bool is_security_agent(const ModuleSpec& module, const RuleCatalog& catalog, const AgentRecognition& recognition);

}  // namespace edgeguard::analysis
