#include "collectors/docker/container_events.h"

#include "core/strings.h"
#include "core/timestamp.h"

namespace edgeguard::docker {
namespace {

using nlohmann::json;

TimePoint to_time_point(int64_t ns) {
  return TimePoint(std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(ns)));
}

void put_identity(json& item, const ContainerIdentity& who) {
  item["ContainerId"] = who.id;
  item["ContainerName"] = who.name;
  item["Image"] = who.image;
  item["ImageId"] = who.image_id;
  item["EdgeModule"] = who.edge_module;
}

// Cuts at a UTF-8 character boundary.
std::string cut(std::string text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  text.resize(end);
  return text;
}

Event with_output(Event event, std::string_view output) {
  event.channel.output = std::string(output);
  return event;
}

}  // namespace

ContainerIdentity ContainerIdentity::of(const ContainerRecord& record) {
  return {record.info.id, record.info.name, record.info.image, record.info.image_id, record.info.edge_module};
}

ContainerIdentity ContainerIdentity::of(const EngineEvent& event) {
  ContainerIdentity who;
  who.id = event.id;
  who.name = event.attribute("name");
  who.image = event.attribute("image");
  who.edge_module = edge_module_name(event.attributes, who.name);
  return who;
}

json settings_json(const SecuritySettings& s) {
  json mounts = json::array();
  for (const auto& m : s.mounts) {
    mounts.push_back({{"Type", m.type}, {"Source", m.source}, {"Destination", m.destination}, {"ReadOnly", m.read_only}});
  }
  json devices = json::array();
  for (const auto& d : s.devices) {
    devices.push_back(
        {{"PathOnHost", d.path_on_host}, {"PathInContainer", d.path_in_container}, {"CgroupPermissions", d.cgroup_permissions}});
  }
  json ports = json::array();
  for (const auto& p : s.port_bindings) {
    ports.push_back({{"ContainerPort", p.container_port}, {"HostIp", p.host_ip}, {"HostPort", p.host_port}});
  }
  return json{{"Privileged", s.privileged},
              {"User", s.user},
              {"ReadonlyRootfs", s.readonly_rootfs},
              {"NetworkMode", s.network_mode},
              {"PidMode", s.pid_mode},
              {"IpcMode", s.ipc_mode},
              {"UtsMode", s.uts_mode},
              {"UsernsMode", s.userns_mode},
              {"CgroupnsMode", s.cgroupns_mode},
              {"CapAdd", s.cap_add},
              {"CapDrop", s.cap_drop},
              {"SecurityOpt", s.security_opt},
              {"Devices", std::move(devices)},
              {"DeviceCgroupRules", s.device_cgroup_rules},
              {"Mounts", std::move(mounts)},
              {"PortBindings", std::move(ports)},
              {"Sysctls", s.sysctls},
              {"MemoryLimitBytes", s.memory_bytes},
              {"NanoCpus", s.nano_cpus},
              {"CpuQuota", s.cpu_quota},
              {"CpuShares", s.cpu_shares},
              {"PidsLimit", s.pids_limit},
              {"RestartPolicy", s.restart_policy},
              {"RestartMaxRetries", s.restart_max_retries},
              {"AppArmorProfile", s.apparmor_profile}};
}

std::string health_probe_command(const SecuritySettings& settings) {
  const auto& test = settings.healthcheck;
  if (test.size() < 2) return {};
  // The engine runs CMD-SHELL through "/bin/sh -c" and reports the exec as entrypoint + args.
  if (test[0] == "CMD-SHELL") return "/bin/sh -c " + test[1];
  if (test[0] == "CMD") return join(std::vector<std::string>(test.begin() + 1, test.end()), " ");
  return {};
}

Event make_lifecycle_event(const LifecycleFacts& facts) {
  json item;
  item["Action"] = facts.action;
  put_identity(item, facts.container);
  item["Source"] = facts.source == Source::EventStream ? "EventStream" : "Resync";
  if (facts.exit_code) item["ExitCode"] = *facts.exit_code;
  if (facts.settings) item["Settings"] = settings_json(*facts.settings);
  Event event = make_event(std::string(kLifecycleEvent), EventCategory::Triggered, EventKind::Security,
                           json::array({std::move(item)}));
  if (facts.engine_time_ns) event.time = to_time_point(*facts.engine_time_ns);
  return with_output(std::move(event), kActivityOutput);
}

Event make_exec_event(const ExecFacts& facts, size_t max_command_bytes) {
  json item;
  item["Action"] = facts.action;
  put_identity(item, facts.container);
  item["ExecId"] = facts.exec_id;
  item["Command"] = cut(facts.command, max_command_bytes);
  if (facts.details) {
    item["User"] = facts.details->user;
    item["Privileged"] = facts.details->privileged;
    item["Tty"] = facts.details->tty;
  }
  Event event = make_event(std::string(kExecEvent), EventCategory::Triggered, EventKind::Security,
                           json::array({std::move(item)}));
  if (facts.engine_time_ns) event.time = to_time_point(*facts.engine_time_ns);
  return with_output(std::move(event), kActivityOutput);
}

std::vector<Event> make_inventory_events(const std::vector<RecordPtr>& containers, size_t max_payload_bytes,
                                         const std::map<std::string, nlohmann::json>& findings) {
  std::vector<Event> events;
  if (containers.empty()) {
    events.push_back(with_output(make_empty_snapshot(std::string(kInventoryEvent)), kInventoryOutput));
    return events;
  }
  json payload = json::array();
  size_t payload_bytes = 2;
  const auto flush = [&] {
    if (payload.empty()) return;
    events.push_back(with_output(make_event(std::string(kInventoryEvent), EventCategory::Periodic, EventKind::Security,
                                            std::move(payload)),
                                 kInventoryOutput));
    payload = json::array();
    payload_bytes = 2;
  };
  for (const auto& record : containers) {
    json item;
    put_identity(item, ContainerIdentity::of(*record));
    item["ImageDigest"] = record->image_digest;
    item["State"] = record->state.status;
    item["Created"] = record->created;
    item["StartedAt"] = record->state.started_at_ns > 0 ? record->state.started_at : std::string();
    item["SettingsKnown"] = record->settings_known;
    if (record->settings_known) item["Settings"] = settings_json(record->settings);
    if (const auto summary = findings.find(record->info.id); summary != findings.end()) {
      item["DeploymentFindings"] = summary->second;
    }
    const size_t item_bytes = item.dump(-1, ' ', false, json::error_handler_t::replace).size() + 1;
    if (!payload.empty() && payload_bytes + item_bytes > max_payload_bytes) flush();
    payload.push_back(std::move(item));
    payload_bytes += item_bytes;
  }
  flush();
  return events;
}

}  // namespace edgeguard::docker
