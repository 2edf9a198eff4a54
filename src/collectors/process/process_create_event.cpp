#include "collectors/process/process_create_event.h"

namespace edgeguard {

void add_container_details(nlohmann::json& extra, std::string_view container_id, const ContainerCatalog& catalog) {
  if (container_id.empty()) return;
  extra[extra_details::kContainerId] = container_id;
  const auto info = catalog.find(container_id);
  if (!info) return;
  if (!info->name.empty()) extra[extra_details::kContainerName] = info->name;
  if (!info->image.empty()) extra[extra_details::kContainerImage] = info->image;
  if (!info->edge_module.empty()) extra[extra_details::kEdgeModule] = info->edge_module;
}

Event make_process_create_event(const ProcessCreateFacts& facts, const ContainerCatalog& catalog) {
  nlohmann::json payload = nlohmann::json::object();
  payload["Executable"] = facts.executable;
  payload["ProcessId"] = facts.pid;
  payload["ParentProcessId"] = facts.ppid;
  payload["UserId"] = std::to_string(facts.uid);
  if (facts.user_name) payload["UserName"] = *facts.user_name;
  payload["CommandLine"] = facts.command_line ? facts.command_line->text : std::string();

  nlohmann::json extra = nlohmann::json::object();
  if (facts.command_line && facts.command_line->cut) extra[extra_details::kCommandLineTruncated] = "true";
  if (facts.euid != facts.uid) extra[extra_details::kEffectiveUserId] = std::to_string(facts.euid);
  add_container_details(extra, facts.container_id, catalog);
  if (!extra.empty()) payload["ExtraDetails"] = std::move(extra);

  Event event = make_event("ProcessCreate", EventCategory::Triggered, EventKind::Security,
                           nlohmann::json::array({std::move(payload)}));
  if (facts.time != TimePoint{}) event.time = facts.time;
  return event;
}

}  // namespace edgeguard
