// Checks on a module's container settings: privileges, namespaces, host paths, devices,
// confinement, hardening, resource limits, published ports, logging and reserved labels.
#include <fnmatch.h>

#include <algorithm>

#include "analysis/checks.h"
#include "analysis/host_path.h"
#include "core/strings.h"

namespace edgeguard::analysis {
namespace {

bool is_host_mode(std::string_view mode) { return iequals(trim(mode), "host"); }
bool is_container_mode(std::string_view mode) {
  const std::string lower = to_lower(trim(mode));
  return starts_with(lower, "container:");
}

void check_privileges(Emitter& e, const ModuleContext& m) {
  const auto& c = m.module.container;
  for (const auto& setting : c.privileged) {
    if (setting.value) e.emit(rule_id::kPrivileged, m, setting.path, {}, EmitOptions{}.needed_by_agent());
  }
  for (const auto& cap : c.cap_add) {
    const std::string name = capability_name(cap.value);
    const auto& table = e.catalog().capabilities;
    const auto entry =
        std::find_if(table.begin(), table.end(), [&](const auto& c_entry) { return c_entry.name == name; });
    if (entry == table.end()) continue;
    e.emit(rule_id::kCapability, m, cap.path, {{"capability", name}, {"what", entry->what}},
           EmitOptions{}.with_severity(entry->severity).needed_by_agent(entry->agent_needs));
  }
}

// A namespace setting: "host" is the finding; "container:<x>" too where the rule has a variant for it.
void check_namespace(Emitter& e, const ModuleContext& m, std::string_view id, const Settings<std::string>& modes,
                     bool agent_needs_host) {
  const bool has_container_variant = e.catalog().rule(id).messages.contains("container");
  for (const auto& mode : modes) {
    if (is_host_mode(mode.value)) {
      e.emit(id, m, mode.path, {{"value", mode.value}}, EmitOptions{}.needed_by_agent(agent_needs_host));
    } else if (has_container_variant && is_container_mode(mode.value)) {
      e.emit(id, m, mode.path, {{"value", mode.value}}, EmitOptions{}.with_variant("container"));
    }
  }
}

void check_namespaces(Emitter& e, const ModuleContext& m) {
  const auto& c = m.module.container;
  check_namespace(e, m, rule_id::kHostNetwork, c.network_mode, true);
  // The classic pairing NetworkMode "host" + EndpointsConfig {"host": {}} is one finding.
  const bool host_mode = std::any_of(c.network_mode.begin(), c.network_mode.end(),
                                     [](const auto& mode) { return is_host_mode(mode.value); });
  for (const auto& network : c.endpoint_networks) {
    if (!host_mode && is_host_mode(network.value)) {
      e.emit(rule_id::kHostNetwork, m, network.path, {}, EmitOptions{}.with_variant("endpoint").needed_by_agent());
    }
  }
  check_namespace(e, m, rule_id::kHostPid, c.pid_mode, true);
  check_namespace(e, m, rule_id::kHostIpc, c.ipc_mode, false);
  check_namespace(e, m, rule_id::kHostUts, c.uts_mode, false);
  check_namespace(e, m, rule_id::kHostUserns, c.userns_mode, false);
  // On cgroup v1 hosts the engine's own default is "host" for every container, so the engine's
  // value cannot tell a deployment's choice from the default: judged in manifests only.
  if (m.source == ModelSource::Manifest) check_namespace(e, m, rule_id::kHostCgroupns, c.cgroupns_mode, false);
}

void check_mounts(Emitter& e, const ModuleContext& m) {
  for (const auto& mount : m.module.container.mounts) {
    const auto exposure = classify_host_path(e.catalog(), m.module.name, mount.source, mount.read_only);
    if (!exposure) continue;
    e.emit(
        rule_id::kHostPath, m, mount.path,
        {{"what", exposure->what},
         {"source", mount.source},
         {"target", mount.target.empty() ? std::string("?") : mount.target},
         {"access", mount.read_only ? "read-only" : "writable"}},
        EmitOptions{}.with_severity(exposure->severity).needed_by_agent(exposure->agent_may_read && mount.read_only));
  }
}

void check_devices(Emitter& e, const ModuleContext& m) {
  const auto& catalog = e.catalog();
  for (const auto& device : m.module.container.devices) {
    const std::string host_path = normalise_host_path(device.host_path);
    const auto entry = std::find_if(catalog.devices.begin(), catalog.devices.end(), [&](const DeviceEntry& d) {
      return fnmatch(d.pattern.c_str(), host_path.c_str(), 0) == 0;
    });
    const bool known = entry != catalog.devices.end();
    e.emit(rule_id::kDevice, m, device.path,
           {{"device", device.host_path}, {"what", known ? entry->what : std::string("a host device")}},
           EmitOptions{}.with_severity(known ? entry->severity : catalog.other_device_severity));
  }
  for (const auto& rule : m.module.container.device_cgroup_rules) {
    // "c 189:* rwm": type, major:minor, access.
    const auto parts = split(trim(rule.value), ' ');
    const bool every_device = parts.size() >= 2 && parts[1] == "*:*";
    const std::string type = parts.empty() ? "" : std::string(parts[0]);
    const std::string what = every_device ? (type == "a" ? "every device" : "every device of type " + type)
                                          : "the devices " + (parts.size() >= 2 ? std::string(parts[1]) : rule.value);
    e.emit(rule_id::kDevice, m, rule.path, {{"value", rule.value}, {"what", what}},
           EmitOptions{}
               .with_variant("cgroupRule")
               .with_severity(every_device ? catalog.all_devices_cgroup_rule_severity
                                           : catalog.other_cgroup_rule_severity));
  }
}

// "seccomp:unconfined" (the old form Docker still accepts) reads as "seccomp=unconfined".
std::string normalised_security_option(std::string_view option) {
  std::string text = to_lower(trim(option));
  const size_t colon = text.find(':');
  if (colon != std::string::npos && text.find('=') > colon) text[colon] = '=';
  return text;
}

void check_confinement(Emitter& e, const ModuleContext& m) {
  const auto& c = m.module.container;
  bool no_new_privileges = false;
  bool disabled = false;
  // The engine adds "label=disable" itself to privileged and host-PID/IPC containers; those
  // settings have their own findings.
  const auto is_set = [](const auto& settings, auto test) {
    return std::any_of(settings.begin(), settings.end(), [&](const auto& s) { return test(s.value); });
  };
  const bool engine_disables_labels = is_set(c.privileged, [](bool v) { return v; }) ||
                                      is_set(c.pid_mode, is_host_mode) || is_set(c.ipc_mode, is_host_mode);
  for (const auto& option : c.security_opt) {
    const std::string text = normalised_security_option(option.value);
    if (text == "label=disable" && engine_disables_labels) continue;
    for (const auto& entry : e.catalog().security_options) {
      if (text == entry.option) {
        e.emit(rule_id::kUnconfined, m, option.path, {{"option", option.value}, {"what", entry.what}},
               EmitOptions{}.with_severity(entry.severity));
      }
    }
    if (text == "no-new-privileges" || text == "no-new-privileges=true") no_new_privileges = true;
    if (text == "no-new-privileges=false") {
      disabled = true;
      e.emit(rule_id::kNoNewPrivileges, m, option.path, {{"value", option.value}},
             EmitOptions{}.with_variant("disabled"));
    }
  }
  if (!no_new_privileges && !disabled) {
    e.emit(rule_id::kNoNewPrivileges, m, pointer_append(c.host_config_path, "SecurityOpt"), {});
  }
}

// The path of the first setting that fails `ok`, or of where the setting belongs when it is
// absent; nullopt when it is present and every occurrence passes.
template <typename T, typename Ok>
std::optional<std::string> failing(const Settings<T>& settings, const std::string& absent_path, Ok ok) {
  if (settings.empty()) return absent_path;
  for (const auto& setting : settings) {
    if (!ok(setting.value)) return setting.path;
  }
  return std::nullopt;
}

void check_hardening(Emitter& e, const ModuleContext& m) {
  const auto& c = m.module.container;
  const auto host = [&](std::string_view key) { return pointer_append(c.host_config_path, key); };
  if (auto path = failing(c.readonly_rootfs, host("ReadonlyRootfs"), [](bool v) { return v; })) {
    e.emit(rule_id::kWritableRootfs, m, *path, {});
  }

  const auto is_root = [](std::string_view user) {
    user = trim(user);
    return user == "root" || user == "0" || starts_with(user, "root:") || starts_with(user, "0:");
  };
  bool user_set = false;
  for (const auto& user : c.user) {
    if (trim(user.value).empty()) continue;
    user_set = true;
    if (is_root(user.value)) e.emit(rule_id::kRunsAsRoot, m, user.path, {{"value", user.value}});
  }
  if (!user_set) {
    const std::string path = c.user.empty() ? pointer_append(c.config_path, "User") : c.user.front().path;
    e.emit(rule_id::kRunsAsRoot, m, path, {},
           EmitOptions{}.with_variant(m.source == ModelSource::Engine ? "engineDefault" : "imageDefault"));
  }

  const auto positive = [](int64_t v) { return v > 0; };
  if (auto path = failing(c.memory, host("Memory"), positive)) e.emit(rule_id::kNoMemoryLimit, m, *path, {});
  const bool cpu_limited = !failing(c.nano_cpus, "", positive) || !failing(c.cpu_quota, "", positive) ||
                           !failing(c.cpuset_cpus, "", [](const std::string& v) { return !trim(v).empty(); });
  if (!cpu_limited) {
    std::string path = host("NanoCpus");
    if (!c.nano_cpus.empty()) path = c.nano_cpus.front().path;
    e.emit(rule_id::kNoCpuLimit, m, path, {});
  }
  if (auto path = failing(c.pids_limit, host("PidsLimit"), positive)) e.emit(rule_id::kNoPidsLimit, m, *path, {});
}

void check_ports(Emitter& e, const ModuleContext& m) {
  const auto& c = m.module.container;
  const auto& downstream = e.catalog().edge_hub.ports;
  for (const auto& port : c.ports) {
    const std::string_view ip = trim(port.host_ip);
    if (!(ip.empty() || ip == "0.0.0.0" || ip == "::" || ip == "[::]")) continue;
    const bool edge_hub_port = m.module.kind == ModuleKind::EdgeHub &&
                               std::find(downstream.begin(), downstream.end(), port.container_port) != downstream.end();
    e.emit(
        rule_id::kPortAllInterfaces, m, port.path,
        {{"port", port.container_port}, {"hostPort", port.host_port.empty() ? "chosen by the engine" : port.host_port}},
        EmitOptions{}.with_variant(edge_hub_port ? "edgeHub" : "default"));
  }
  for (const auto& publish_all : c.publish_all_ports) {
    if (publish_all.value)
      e.emit(rule_id::kPortAllInterfaces, m, publish_all.path, {}, EmitOptions{}.with_variant("publishAll"));
  }
}

void check_logging_and_labels(Emitter& e, const ModuleContext& m) {
  const auto& c = m.module.container;
  for (const auto& driver : c.log_driver) {
    if (iequals(trim(driver.value), "none"))
      e.emit(rule_id::kLoggingDisabled, m, driver.path, {{"value", driver.value}});
  }
  // On the engine these labels are IoT Edge's own; only a manifest can spoof them.
  if (m.source != ModelSource::Manifest) return;
  for (const auto& label : c.labels) {
    if (starts_with(to_lower(label.key), "net.azure-devices.edge.")) {
      e.emit(rule_id::kEdgeLabel, m, label.path, {{"label", label.key}});
    }
  }
}

}  // namespace

void check_container(Emitter& emitter, const ModuleContext& context) {
  check_privileges(emitter, context);
  check_namespaces(emitter, context);
  check_mounts(emitter, context);
  check_devices(emitter, context);
  check_confinement(emitter, context);
  check_hardening(emitter, context);
  check_ports(emitter, context);
  check_logging_and_labels(emitter, context);
}

}  // namespace edgeguard::analysis
