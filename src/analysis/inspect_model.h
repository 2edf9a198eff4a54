#pragma once
// The on-device half of the deployment analysis: the same model the manifest reader builds,
// from what the engine says a container really runs (`docker inspect`, GET /containers/{id}/json).
// The engine's view is the one that counts on the device: aziot-edged may have removed
// privileges (allow_elevated_docker_permissions = false), edgeAgent adds binds and variables,
// and a container may not come from the deployment at all.
#include <nlohmann/json.hpp>
#include <vector>

#include "analysis/deployment_model.h"
#include "analysis/lenient_json.h"

namespace edgeguard::analysis {

inline constexpr std::string_view kEdgeOwnerLabel = "net.azure-devices.edge.owner";
inline constexpr std::string_view kEdgeOwnerValue = "Microsoft.Azure.Devices.Edge.Agent";
inline constexpr std::string_view kEdgeOriginalImageLabel = "net.azure-devices.edge.original-image";

struct InspectReadResult {
  ModuleSpec module;
  // Fields the engine reported in an unexpected shape (paths are JSON pointers into the inspect
  // document). They are left unset in `module`, which the rules can still judge.
  Problems problems;
};

// A pure function of the inspect document: an edge module (label
// net.azure-devices.edge.owner=Microsoft.Azure.Devices.Edge.Agent) is named after its
// container and typed edgeAgent/edgeHub/custom; other containers are ModuleKind::Container.
// The image is the manifest's (label net.azure-devices.edge.original-image) when present.
// Binds come from the effective mounts (/Mounts) when the engine lists them.
InspectReadResult module_from_inspect(const nlohmann::json& inspect);

// A model of every container the engine runs, ready for analyze().
DeploymentModel engine_model(std::vector<ModuleSpec> modules);

}  // namespace edgeguard::analysis
