#pragma once
#include <filesystem>
#include <string>

namespace edgeguard {
// The agent's GUID, made once and kept in <state_dir>/agent_id. Throws std::runtime_error
// naming the file if it can be neither read nor created.
std::string load_or_create_agent_id(const std::filesystem::path& state_dir);
}  // namespace edgeguard
