#pragma once
// What the deployment rules look at: the modules of an IoT Edge deployment with their container
// settings, the registry credentials and the edgeHub routes. Built either from a deployment
// manifest (offline) or from `docker inspect` of the running containers (on the device), so the
// same rules judge both. Every value keeps the JSON pointer it came from.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace edgeguard::analysis {

template <typename T>
struct Setting {
  T value{};
  std::string path;  // JSON pointer of the value in its source document
};

// A setting as the container engine will see it. A key may be written several times in
// different letter cases (edgeAgent's JSON reader matches names case-insensitively); every
// occurrence is kept, so the rules judge each one and duplicates cannot hide a setting.
template <typename T>
using Settings = std::vector<Setting<T>>;

struct BindMount {
  std::string source;  // host path as written
  std::string target;
  bool read_only = false;
  std::string path;
};

struct DeviceMapping {
  std::string host_path;
  std::string container_path;
  std::string path;
};

struct PortBinding {
  std::string container_port;  // "8883/tcp"
  std::string host_ip;         // "" = every interface
  std::string host_port;
  std::string path;
};

struct EnvVar {
  std::string name;
  std::string value;  // may be a secret: never printed
  std::string path;
};

struct Label {
  std::string key;
  std::string value;
  std::string path;
};

// Docker ContainerCreate settings (createOptions) or their effective values from inspect.
struct ContainerSettings {
  std::string config_path;       // where container-level keys live (createOptions root, /Config)
  std::string host_config_path;  // where HostConfig keys live

  Settings<bool> privileged;
  Settings<bool> readonly_rootfs;
  Settings<bool> publish_all_ports;
  Settings<std::string> cap_add;
  Settings<std::string> security_opt;
  Settings<std::string> device_cgroup_rules;
  Settings<std::string> network_mode;
  Settings<std::string> endpoint_networks;  // NetworkingConfig.EndpointsConfig keys
  Settings<std::string> pid_mode;
  Settings<std::string> ipc_mode;
  Settings<std::string> uts_mode;
  Settings<std::string> userns_mode;
  Settings<std::string> cgroupns_mode;
  Settings<std::string> user;
  Settings<std::string> log_driver;
  Settings<int64_t> memory;
  Settings<int64_t> nano_cpus;
  Settings<int64_t> cpu_quota;
  Settings<std::string> cpuset_cpus;
  Settings<int64_t> pids_limit;
  std::vector<BindMount> mounts;
  std::vector<DeviceMapping> devices;
  std::vector<PortBinding> ports;
  std::vector<EnvVar> env;
  std::vector<Label> labels;
};

enum class ModuleKind { EdgeAgent, EdgeHub, Custom, Container };  // Container: not an edge module

struct ModuleSpec {
  std::string name;  // module name (edgeAgent, edgeHub, custom name) or container name
  ModuleKind kind = ModuleKind::Custom;
  std::string path;            // JSON pointer of the module's definition ("" for an inspect document)
  Setting<std::string> image;  // as configured; empty value when not set
  std::vector<EnvVar> env;     // the module's `env` (manifest); inspect puts Config.Env in container.env
  ContainerSettings container;
  std::string container_id;  // inspect only
  bool is_system() const { return kind == ModuleKind::EdgeAgent || kind == ModuleKind::EdgeHub; }
};

struct RegistryCredential {
  std::string name;
  std::string address;
  Setting<std::string> password;  // never printed
};

struct Route {
  std::string name;
  std::string text;  // "FROM ... [WHERE ...] INTO ..."
  std::string path;
};

enum class ModelSource { Manifest, Engine };

struct DeploymentModel {
  ModelSource source = ModelSource::Manifest;
  std::vector<ModuleSpec> modules;
  std::vector<RegistryCredential> registry_credentials;
  std::vector<Route> routes;
  // True when the document holds $edgeHub's whole route table; false for a layered deployment
  // (its routes add to a base deployment's) and for the engine, which knows nothing of routes.
  bool routes_complete = false;
  std::string routes_path;
};

}  // namespace edgeguard::analysis
