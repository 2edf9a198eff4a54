#pragma once
// `edgeguard run`: standalone (file or stdout sink) or as an IoT Edge module.
#include <filesystem>
#include <optional>
#include <string>

namespace edgeguard {

struct RunOptions {
  bool once = false;
  std::optional<std::filesystem::path> config_file;
  std::optional<std::filesystem::path> host_root;
  std::optional<std::filesystem::path> state_dir;
  std::optional<std::string> output;
  std::optional<std::string> log_level;
};

// Exit codes (documented in the README): 0 done, 1 runtime failure, 2 unusable configuration.
int run_agent(const RunOptions& options);

}  // namespace edgeguard
