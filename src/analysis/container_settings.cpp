#include "analysis/container_settings.h"

#include "analysis/json_location.h"
#include "core/strings.h"

namespace edgeguard::analysis {
namespace {

using nlohmann::json;

// Calls `each(value, path)` for every case-insensitive `name` member of `object`.
template <typename Each>
void for_each_member(const json& object, const std::string& path, std::string_view name, Each each) {
  for (const auto& member : members(object, name)) each(*member.value, pointer_append(path, member.key));
}

template <typename T, typename Reader>
void add_all(Settings<T>& out, const json& object, const std::string& path, std::string_view name, Reader read,
             Problems& problems) {
  for (auto& setting : read_all<T>(object, path, name, read, problems)) out.push_back(std::move(setting));
}

void add_strings(Settings<std::string>& out, const json& object, const std::string& path, std::string_view name,
                 Problems& problems) {
  for_each_member(object, path, name, [&](const json& value, const std::string& value_path) {
    for (auto& item : read_string_list(value, value_path, problems)) out.push_back(std::move(item));
  });
}

// Object members as (key, path) pairs, for maps such as Labels or PortBindings.
template <typename Each>
void for_each_entry(const json& object, const std::string& path, Each each, Problems& problems) {
  if (!expect_object(object, path, problems) || object.is_null()) return;
  for (const auto& [key, value] : object.items()) each(key, value, pointer_append(path, key));
}

void read_env_list(const json& value, const std::string& path, ContainerSettings& out, Problems& problems) {
  for (auto& item : read_string_list(value, path, problems, true)) {
    const size_t equals = item.value.find('=');
    EnvVar var;
    var.name = item.value.substr(0, equals);
    if (equals != std::string::npos) var.value = item.value.substr(equals + 1);
    var.path = std::move(item.path);
    out.env.push_back(std::move(var));
  }
}

void read_mounts(const json& value, const std::string& path, ContainerSettings& out, Problems& problems) {
  if (value.is_null()) return;
  if (!value.is_array()) {
    problems.push_back({path, "expected an array of mount objects, got " + json_type_name(value)});
    return;
  }
  for (size_t i = 0; i < value.size(); ++i) {
    const std::string item_path = pointer_append(path, i);
    const json& mount = value[i];
    if (!mount.is_object()) {
      problems.push_back({item_path, "expected a mount object, got " + json_type_name(mount)});
      continue;
    }
    std::optional<std::string> type;
    std::optional<std::string> source;
    std::optional<std::string> target;
    bool read_only = false;
    for_each_member(mount, item_path, "Type",
                    [&](const json& v, const std::string& p) { type = read_string(v, p, problems); });
    for_each_member(mount, item_path, "Source",
                    [&](const json& v, const std::string& p) { source = read_string(v, p, problems); });
    for_each_member(mount, item_path, "Target",
                    [&](const json& v, const std::string& p) { target = read_string(v, p, problems); });
    for_each_member(mount, item_path, "ReadOnly", [&](const json& v, const std::string& p) {
      read_only = read_bool(v, p, problems).value_or(false);
    });
    if (type && iequals(*type, "bind") && source) {
      out.mounts.push_back(BindMount{*source, target.value_or(""), read_only, item_path});
    }
  }
}

void read_devices(const json& value, const std::string& path, ContainerSettings& out, Problems& problems) {
  if (value.is_null()) return;
  if (!value.is_array()) {
    problems.push_back({path, "expected an array of device objects, got " + json_type_name(value)});
    return;
  }
  for (size_t i = 0; i < value.size(); ++i) {
    const std::string item_path = pointer_append(path, i);
    const json& device = value[i];
    if (!device.is_object()) {
      problems.push_back({item_path, "expected a device object such as {\"PathOnHost\": \"/dev/ttyUSB0\"}, got " +
                                         json_type_name(device) + " " + json_shown(device)});
      continue;
    }
    DeviceMapping mapping;
    mapping.path = item_path;
    for_each_member(device, item_path, "PathOnHost", [&](const json& v, const std::string& p) {
      mapping.host_path = read_string(v, p, problems).value_or("");
    });
    for_each_member(device, item_path, "PathInContainer", [&](const json& v, const std::string& p) {
      mapping.container_path = read_string(v, p, problems).value_or("");
    });
    out.devices.push_back(std::move(mapping));
  }
}

void read_port_bindings(const json& value, const std::string& path, ContainerSettings& out, Problems& problems) {
  for_each_entry(
      value, path,
      [&](const std::string& port, const json& bindings, const std::string& port_path) {
        if (bindings.is_null()) return;
        if (!bindings.is_array()) {
          problems.push_back(
              {port_path, "expected an array of {\"HostIp\", \"HostPort\"} objects, got " + json_type_name(bindings)});
          return;
        }
        for (size_t i = 0; i < bindings.size(); ++i) {
          const std::string item_path = pointer_append(port_path, i);
          if (!expect_object(bindings[i], item_path, problems)) continue;
          PortBinding binding{port, "", "", item_path};
          for_each_member(bindings[i], item_path, "HostIp", [&](const json& v, const std::string& p) {
            binding.host_ip = read_string(v, p, problems).value_or("");
          });
          for_each_member(bindings[i], item_path, "HostPort", [&](const json& v, const std::string& p) {
            binding.host_port = read_string(v, p, problems).value_or("");
          });
          out.ports.push_back(std::move(binding));
        }
      },
      problems);
}

}  // namespace

std::optional<BindMount> parse_bind(std::string_view bind, const std::string& path) {
  const auto parts = split(bind, ':');
  if (parts.size() < 2 || !starts_with(parts[0], "/")) return std::nullopt;
  BindMount mount{std::string(parts[0]), std::string(parts[1]), false, path};
  if (parts.size() >= 3) {
    for (const auto option : split(parts[2], ',')) {
      if (option == "ro") mount.read_only = true;
      if (option == "rw") mount.read_only = false;
    }
  }
  return mount;
}

std::optional<json> parse_create_options(std::string_view text, const std::string& path, Problems& problems) {
  const std::string_view trimmed = trim(text);
  if (trimmed.empty() || iequals(trimmed, "null")) return json::object();
  try {
    json options = json::parse(text);
    if (!options.is_object()) {
      problems.push_back({path, "createOptions must contain a JSON object, got " + json_type_name(options)});
      return std::nullopt;
    }
    return options;
  } catch (const json::parse_error& error) {
    std::string what = error.what();
    if (const auto at = what.find("syntax error"); at != std::string::npos) what = what.substr(at);
    problems.push_back({path, "createOptions is not valid JSON (character " + std::to_string(error.byte) +
                                  " of the joined text): " + what});
    return std::nullopt;
  } catch (const json::exception& error) {  // e.g. a number too large for a double
    problems.push_back({path, std::string("createOptions cannot be read: ") + error.what()});
    return std::nullopt;
  }
}

void read_config_keys(const json& config, const std::string& path, ContainerSettings& out, Problems& problems) {
  if (!expect_object(config, path, problems)) return;
  out.config_path = path;
  add_all<std::string>(out.user, config, path, "User", read_string, problems);
  for_each_member(config, path, "Env",
                  [&](const json& v, const std::string& p) { read_env_list(v, p, out, problems); });
  for_each_member(config, path, "Labels", [&](const json& labels, const std::string& labels_path) {
    for_each_entry(
        labels, labels_path,
        [&](const std::string& key, const json& value, const std::string& label_path) {
          out.labels.push_back(Label{key, read_secret_string(value, label_path, problems).value_or(""), label_path});
        },
        problems);
  });
  for_each_member(config, path, "NetworkingConfig", [&](const json& networking, const std::string& networking_path) {
    if (!expect_object(networking, networking_path, problems)) return;
    for_each_member(networking, networking_path, "EndpointsConfig", [&](const json& endpoints, const std::string& p) {
      for_each_entry(
          endpoints, p,
          [&](const std::string& network, const json&, const std::string& network_path) {
            out.endpoint_networks.push_back({network, network_path});
          },
          problems);
    });
  });
}

void read_host_config(const json& host, const std::string& path, ContainerSettings& out, Problems& problems) {
  if (!expect_object(host, path, problems)) return;
  if (out.host_config_path.empty()) out.host_config_path = path;
  add_all<bool>(out.privileged, host, path, "Privileged", read_bool, problems);
  add_all<bool>(out.readonly_rootfs, host, path, "ReadonlyRootfs", read_bool, problems);
  add_all<bool>(out.publish_all_ports, host, path, "PublishAllPorts", read_bool, problems);
  add_strings(out.cap_add, host, path, "CapAdd", problems);
  add_strings(out.security_opt, host, path, "SecurityOpt", problems);
  add_strings(out.device_cgroup_rules, host, path, "DeviceCgroupRules", problems);
  add_all<std::string>(out.network_mode, host, path, "NetworkMode", read_string, problems);
  add_all<std::string>(out.pid_mode, host, path, "PidMode", read_string, problems);
  add_all<std::string>(out.ipc_mode, host, path, "IpcMode", read_string, problems);
  add_all<std::string>(out.uts_mode, host, path, "UTSMode", read_string, problems);
  add_all<std::string>(out.userns_mode, host, path, "UsernsMode", read_string, problems);
  add_all<std::string>(out.cgroupns_mode, host, path, "CgroupnsMode", read_string, problems);
  add_all<int64_t>(out.memory, host, path, "Memory", read_int, problems);
  add_all<int64_t>(out.nano_cpus, host, path, "NanoCpus", read_int, problems);
  add_all<int64_t>(out.cpu_quota, host, path, "CpuQuota", read_int, problems);
  add_all<std::string>(out.cpuset_cpus, host, path, "CpusetCpus", read_string, problems);
  add_all<int64_t>(out.pids_limit, host, path, "PidsLimit", read_int, problems);
  for_each_member(host, path, "LogConfig", [&](const json& log_config, const std::string& p) {
    if (expect_object(log_config, p, problems))
      add_all<std::string>(out.log_driver, log_config, p, "Type", read_string, problems);
  });
  for_each_member(host, path, "Binds", [&](const json& binds, const std::string& p) {
    for (const auto& bind : read_string_list(binds, p, problems)) {
      if (auto mount = parse_bind(bind.value, bind.path)) out.mounts.push_back(std::move(*mount));
    }
  });
  for_each_member(host, path, "Mounts", [&](const json& v, const std::string& p) { read_mounts(v, p, out, problems); });
  for_each_member(host, path, "Devices",
                  [&](const json& v, const std::string& p) { read_devices(v, p, out, problems); });
  for_each_member(host, path, "PortBindings",
                  [&](const json& v, const std::string& p) { read_port_bindings(v, p, out, problems); });
}

ContainerSettings read_create_options(const json& options, const std::string& path, Problems& problems) {
  ContainerSettings out;
  read_config_keys(options, path, out, problems);
  out.config_path = path;
  for_each_member(options, path, "HostConfig", [&](const json& host, const std::string& host_path) {
    read_host_config(host, host_path, out, problems);
  });
  if (out.host_config_path.empty()) out.host_config_path = pointer_append(path, "HostConfig");
  return out;
}

}  // namespace edgeguard::analysis
