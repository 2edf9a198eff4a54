#include "analysis/inspect_model.h"

#include "analysis/container_settings.h"
#include "core/strings.h"

namespace edgeguard::analysis {
namespace {

using nlohmann::json;

const json* object_member(const json& parent, std::string_view key, const std::string& path, Problems& problems) {
  const auto it = parent.find(key);
  if (it == parent.end() || it->is_null()) return nullptr;
  if (!it->is_object()) {
    problems.push_back({pointer_append(path, key), "expected an object, got " + json_type_name(*it)});
    return nullptr;
  }
  return &*it;
}

std::string string_member(const json& parent, std::string_view key) {
  const auto it = parent.find(key);
  return it != parent.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// /Mounts lists what the engine really mounted, binds and bind mounts alike, with RW.
void read_effective_mounts(const json& mounts, ContainerSettings& out, Problems& problems) {
  if (!mounts.is_array()) {
    problems.push_back({"/Mounts", "expected an array, got " + json_type_name(mounts)});
    return;
  }
  out.mounts.clear();
  for (size_t i = 0; i < mounts.size(); ++i) {
    const json& mount = mounts[i];
    const std::string path = pointer_append("/Mounts", i);
    if (!mount.is_object()) {
      problems.push_back({path, "expected a mount object, got " + json_type_name(mount)});
      continue;
    }
    if (!iequals(string_member(mount, "Type"), "bind")) continue;
    const auto rw = mount.find("RW");
    out.mounts.push_back(BindMount{string_member(mount, "Source"), string_member(mount, "Destination"),
                                   rw != mount.end() && rw->is_boolean() && !rw->get<bool>(), path});
  }
}

}  // namespace

InspectReadResult module_from_inspect(const json& inspect) {
  InspectReadResult result;
  ModuleSpec& module = result.module;
  if (!inspect.is_object()) {
    result.problems.push_back({"", "expected a container inspect object, got " + json_type_name(inspect)});
    return result;
  }
  module.container_id = string_member(inspect, "Id");
  module.name = string_member(inspect, "Name");
  if (starts_with(module.name, "/")) module.name.erase(0, 1);
  if (module.name.empty()) module.name = module.container_id.substr(0, 12);

  if (const json* config = object_member(inspect, "Config", "", result.problems)) {
    read_config_keys(*config, "/Config", module.container, result.problems);
    module.image = {string_member(*config, "Image"), "/Config/Image"};
  }
  module.container.config_path = "/Config";
  if (const json* host = object_member(inspect, "HostConfig", "", result.problems)) {
    read_host_config(*host, "/HostConfig", module.container, result.problems);
  }
  module.container.host_config_path = "/HostConfig";
  if (const auto mounts = inspect.find("Mounts"); mounts != inspect.end() && !mounts->is_null()) {
    read_effective_mounts(*mounts, module.container, result.problems);
  }

  bool edge_module = false;
  for (const auto& label : module.container.labels) {
    if (label.key == kEdgeOwnerLabel && label.value == kEdgeOwnerValue) edge_module = true;
    if (label.key == kEdgeOriginalImageLabel && !label.value.empty()) module.image = {label.value, label.path};
  }
  if (!edge_module) {
    module.kind = ModuleKind::Container;
  } else if (module.name == "edgeAgent") {
    module.kind = ModuleKind::EdgeAgent;
  } else if (module.name == "edgeHub") {
    module.kind = ModuleKind::EdgeHub;
  } else {
    module.kind = ModuleKind::Custom;
  }
  return result;
}

DeploymentModel engine_model(std::vector<ModuleSpec> modules) {
  DeploymentModel model;
  model.source = ModelSource::Engine;
  model.modules = std::move(modules);
  return model;
}

}  // namespace edgeguard::analysis
