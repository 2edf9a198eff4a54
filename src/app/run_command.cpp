#include "app/run_command.h"

#include <signal.h>

#include <cstdio>
#include <iostream>

#include "app/agent_runtime.h"
#include "app/exit_codes.h"
#include "app/module_mode.h"
#include "app/sink_selection.h"
#include "config/local_config_file.h"
#include "core/log.h"

namespace edgeguard {
namespace {

struct LoadedConfig {
  AgentConfig config;
  std::vector<ConfigProblem> problems;
};

std::optional<LoadedConfig> load_configuration(const RunOptions& options) {
  LoadedConfig loaded{AgentConfig::defaults(), {}};
  if (options.config_file) {
    LocalConfigResult file = load_local_config(*options.config_file, loaded.config);
    if (!file.usable) {
      std::cerr << "edgeguard: " << file.fatal_error << "\n";
      return std::nullopt;
    }
    loaded.config = std::move(file.config);
    loaded.problems = std::move(file.problems);
    for (const auto& key : file.unknown_keys) {
      log::get("config")->error("{}: unknown configuration key \"{}\" ignored", options.config_file->string(), key);
    }
  }
  if (options.host_root) loaded.config.local.host_root = *options.host_root;
  if (options.state_dir) loaded.config.local.state_dir = *options.state_dir;
  if (options.output) loaded.config.local.output = *options.output;
  if (options.log_level) loaded.config.local.log_level = *options.log_level;
  return loaded;
}

}  // namespace

int run_agent(const RunOptions& options) {
  auto loaded = load_configuration(options);
  if (!loaded) return exit_code::kBadInput;
  AgentConfig& config = loaded->config;
  if (!log::set_level(config.local.log_level)) {
    std::cerr << "edgeguard: unknown log level \"" << config.local.log_level << "\"\n";
    return exit_code::kBadInput;
  }
  auto logger = log::get("agent");
  for (const auto& problem : loaded->problems) {
    logger->error("configuration {} ({}): {}; using {}", problem.key, to_string(problem.type), problem.message,
                  problem.type == ConfigErrorType::TypeMismatch ? "the default" : "it as given");
  }

  const HostRoot host(config.local.host_root);
  std::error_code ec;
  if (!std::filesystem::is_directory(host.root(), ec)) {
    std::cerr << "edgeguard: host root " << host.root().string() << " is not a directory\n";
    return exit_code::kBadInput;
  }

  const std::string sink_kind = choose_sink_kind(config);
  if (sink_kind == "edgehub") return run_as_module(options, config, loaded->problems);

  try {
    AgentRuntime agent(config, "Standalone");
    std::unique_ptr<Sink> sink = make_standalone_sink(config);
    agent.attach(*sink, loaded->problems);
    logger->info("edgeguard {} agent {} standalone, host root {}, state {}, output {}", EDGEGUARD_VERSION,
                 agent.agent_id(), agent.host().root().string(), config.local.state_dir.string(), sink->describe());
    if (options.once) {
      if (!agent.run_once()) {
        std::cerr << "edgeguard: could not write the messages to " << sink->describe() << "\n";
        return exit_code::kRuntimeFailure;
      }
      return exit_code::kOk;
    }
    agent.start();
    const int signal_number = wait_for_stop_signal();
    logger->info("received {}; stopping", signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
    agent.stop(std::chrono::seconds(5));
    const auto totals = agent.statistics().totals();
    logger->info("stopped: {} message(s) sent, {} failed, {} event(s) still stored", totals.messages_sent,
                 totals.messages_failed, agent.stored_events());
    return exit_code::kOk;
  } catch (const std::exception& error) {
    std::cerr << "edgeguard: " << error.what() << "\n";
    return exit_code::kRuntimeFailure;
  }
}

}  // namespace edgeguard
