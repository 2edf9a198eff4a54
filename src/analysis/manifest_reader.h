#pragma once
// Reads an IoT Edge deployment manifest in any of its real shapes into the deployment model:
//  - {"modulesContent": {...}}                      (az iot edge set-modules, the portal)
//  - {"content": {"modulesContent": {...}}, ...}    (an at-scale deployment)
//  - a deployment.template.json ("$schema-template", object createOptions, ${VAR} placeholders)
// Layered deployments ("properties.desired.modules.<name>" keys) are read too. createOptions
// chunks (createOptions, createOptions01, ...) are joined in order as edgeAgent joins them.
#include <cstddef>
#include <string>
#include <string_view>

#include "analysis/deployment_model.h"
#include "analysis/json_location.h"
#include "analysis/lenient_json.h"

namespace edgeguard::analysis {

inline constexpr size_t kMaxManifestBytes = 16 * 1024 * 1024;

struct ManifestReadResult {
  DeploymentModel model;
  Problems problems;    // not empty: the manifest cannot be analysed (each names its path and line)
  std::string shape;    // "modulesContent", "at-scale deployment", "layered deployment", "deployment template"
  JsonLocator locator;  // positions of the manifest's values, for reports
  bool ok() const { return problems.empty(); }
};

ManifestReadResult read_manifest(std::string_view text);

}  // namespace edgeguard::analysis
