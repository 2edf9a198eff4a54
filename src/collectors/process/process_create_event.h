#pragma once
// ProcessCreate (schema v1.0): Executable, ProcessId, ParentProcessId, UserId, UserName,
// CommandLine and ExtraDetails (container, effective user, truncation mark), nothing else.
#include <cstdint>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "collectors/process/command_line.h"
#include "core/container_catalog.h"
#include "core/event.h"

namespace edgeguard {

// ExtraDetails keys, shared with ConnectionCreate.
namespace extra_details {
inline constexpr const char* kContainerId = "ContainerId";
inline constexpr const char* kContainerName = "ContainerName";
inline constexpr const char* kContainerImage = "ContainerImage";
inline constexpr const char* kEdgeModule = "EdgeModule";
inline constexpr const char* kCommandLineTruncated = "CommandLineTruncated";
inline constexpr const char* kEffectiveUserId = "EffectiveUserId";
inline constexpr const char* kUserName = "UserName";
inline constexpr const char* kProcessName = "ProcessName";
}  // namespace extra_details

// Adds the container's id and, when the catalog knows it, its name, image and edge module.
void add_container_details(nlohmann::json& extra, std::string_view container_id, const ContainerCatalog& catalog);

struct ProcessCreateFacts {
  std::string_view executable;
  uint32_t pid = 0;
  uint32_t ppid = 0;
  uint32_t uid = 0;
  uint32_t euid = 0;
  std::optional<std::string_view> user_name;
  const CommandLine* command_line = nullptr;
  std::string_view container_id;
  TimePoint time{};
};

Event make_process_create_event(const ProcessCreateFacts& facts, const ContainerCatalog& catalog);

}  // namespace edgeguard
