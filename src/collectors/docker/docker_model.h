#pragma once
// What the Docker Engine API tells us, as plain values: engine version, containers (list and
// inspect), engine events, exec instances.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/container_catalog.h"

namespace edgeguard::docker {

// aziot-edged puts this label on every module container it creates (iot-edge-module-protocol
// section 6); the container name is the module name.
inline constexpr std::string_view kEdgeOwnerLabel = "net.azure-devices.edge.owner";
inline constexpr std::string_view kEdgeOwnerValue = "Microsoft.Azure.Devices.Edge.Agent";

struct EngineVersion {
  std::string version;          // "20.10.24+dfsg1"
  std::string api_version;      // "1.41"
  std::string min_api_version;  // "1.12"
  std::string os;
};

struct Mount {
  std::string type;  // bind, volume, tmpfs, npipe
  std::string source;
  std::string destination;
  bool read_only = false;
  bool operator==(const Mount&) const = default;
};

struct Device {
  std::string path_on_host;
  std::string path_in_container;
  std::string cgroup_permissions;
  bool operator==(const Device&) const = default;
};

struct PortBinding {
  std::string container_port;  // "8883/tcp"
  std::string host_ip;         // "" = every address
  std::string host_port;
  bool operator==(const PortBinding&) const = default;
};

// The effective security-relevant settings of a container, as the engine applied them (not as
// a manifest asked for them: aziot-edged may have changed them on the way).
struct SecuritySettings {
  bool privileged = false;
  std::string user;  // Config.User; "" = the image's user (root unless the image says otherwise)
  bool readonly_rootfs = false;
  std::string network_mode;
  std::string pid_mode;
  std::string ipc_mode;
  std::string uts_mode;
  std::string userns_mode;
  std::string cgroupns_mode;
  std::vector<std::string> cap_add;
  std::vector<std::string> cap_drop;
  std::vector<std::string> security_opt;
  std::vector<Device> devices;
  std::vector<std::string> device_cgroup_rules;
  std::vector<Mount> mounts;
  std::vector<PortBinding> port_bindings;
  std::map<std::string, std::string> sysctls;
  int64_t memory_bytes = 0;  // 0 = unlimited
  int64_t nano_cpus = 0;     // 0 = unlimited
  int64_t cpu_quota = 0;
  int64_t cpu_shares = 0;
  int64_t pids_limit = 0;  // 0 or -1 = unlimited (the engine reports null for "not set")
  std::string restart_policy;
  int64_t restart_max_retries = 0;
  std::string apparmor_profile;
  // Config.Healthcheck.Test: lets the collector tell the engine's own health probes (which
  // appear as exec events) from execs someone ran.
  std::vector<std::string> healthcheck;
  bool operator==(const SecuritySettings&) const = default;
};

struct ContainerState {
  std::string status;  // created, running, paused, restarting, removing, exited, dead
  bool running = false;
  int64_t pid = 0;
  int64_t exit_code = 0;
  bool oom_killed = false;
  int64_t started_at_ns = 0;   // 0 = never started
  int64_t finished_at_ns = 0;  // 0 = never finished
  std::string started_at;      // as the engine wrote it (RFC 3339)
  std::string finished_at;
};

// One container as the cache keeps it.
struct ContainerRecord {
  ContainerInfo info;        // id, name, image, image_id, edge_module
  std::string image_digest;  // "repository@sha256:..." when the image came from a registry
  std::string created;       // RFC 3339
  ContainerState state;
  std::map<std::string, std::string> labels;
  SecuritySettings settings;
  // False when only the container list could be read for it (its inspect failed): then only
  // `info`, `labels` and `state.status` are known.
  bool settings_known = true;
  // The engine's inspect document as received. It holds Config.Env, which may carry secrets:
  // never log it or put it in an event.
  nlohmann::json inspect;
  // CLOCK_REALTIME (ns) just before the resync that last read this container asked for it.
  // Engine events of this container up to then are already reflected here.
  int64_t synced_at_ns = 0;

  bool is_edge_module() const { return !info.edge_module.empty(); }
};

// One line of GET /events.
struct EngineEvent {
  std::string type;    // "container", "image", "network", ...
  std::string action;  // "create", "exec_start", "health_status", ... (before any ": ")
  std::string detail;  // after ": " in the engine's action ("sh -c id" for exec_*, "healthy")
  std::string id;      // Actor.ID
  std::map<std::string, std::string> attributes;  // Actor.Attributes (all labels: may hold secrets)
  int64_t time_ns = 0;

  std::string attribute(std::string_view key) const {
    const auto it = attributes.find(std::string(key));
    return it == attributes.end() ? std::string() : it->second;
  }
};

// GET /exec/{id}/json: what a `docker exec` runs and with which powers.
struct ExecDetails {
  std::string id;
  std::string container_id;
  std::string user;
  bool privileged = false;
  bool tty = false;
  std::string entrypoint;
  std::vector<std::string> arguments;
};

// One item of GET /containers/json (enough to name a container when its inspect fails).
struct ContainerSummary {
  std::string id;
  std::string name;
  std::string image;
  std::string image_id;
  std::string state;
  std::map<std::string, std::string> labels;
};

// The IoT Edge module name for a container with these labels and this name ("" if none).
std::string edge_module_name(const std::map<std::string, std::string>& labels, std::string_view name);

// Whether `text` is a full container id (64 lowercase hex digits).
bool is_container_id(std::string_view text);
// Whether `text` is safe to put in an API path (engine object ids: hex, exec ids, image ids).
bool is_safe_object_id(std::string_view text);

}  // namespace edgeguard::docker
