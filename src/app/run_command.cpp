#include "app/run_command.h"

#include <signal.h>

#include <cstdio>
#include <iostream>

#include "app/agent_id.h"
#include "app/collector_registry.h"
#include "app/exit_codes.h"
#include "app/sink_selection.h"
#include "config/configuration_error_event.h"
#include "config/local_config_file.h"
#include "core/log.h"
#include "core/runtime_info.h"
#include "pipeline/pipeline.h"
#include "pipeline/scheduler.h"

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

// Waits for SIGTERM or SIGINT (blocked in every thread by main()).
int wait_for_stop_signal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int signal_number = 0;
  while (sigwait(&set, &signal_number) != 0) {
  }
  return signal_number;
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
  if (sink_kind == "edgehub") {
    std::cerr << "edgeguard: IoT Edge module mode (sink \"edgehub\") is not available in this build\n";
    return exit_code::kBadInput;
  }

  try {
    const std::string agent_id = load_or_create_agent_id(config.local.state_dir);
    EventStore store(config.local.state_dir / "events.db", static_cast<uint64_t>(config.max_local_cache_size_bytes));
    std::unique_ptr<Sink> sink = make_standalone_sink(config);
    Statistics statistics;
    RuntimeInfo runtime;
    ContainerCatalog containers;
    runtime.set("AgentMode", "Standalone");
    runtime.set("Sink", sink->describe());

    Pipeline pipeline(config, store, *sink, statistics, AgentIdentity{agent_id, EDGEGUARD_VERSION});
    for (const auto& problem : loaded->problems) pipeline.submit(make_configuration_error_event(problem, config));

    const CollectorServices services{statistics, runtime, containers, &store};
    Scheduler scheduler(make_periodic_collectors(services), host, [&](Event e) { return pipeline.submit(std::move(e)); });
    logger->info("edgeguard {} agent {} standalone, host root {}, state {}, output {}", EDGEGUARD_VERSION, agent_id,
                 host.root().string(), config.local.state_dir.string(), sink->describe());

    if (options.once) {
      scheduler.run_once(config);
      if (!pipeline.flush_all(true)) {
        std::cerr << "edgeguard: could not write the messages to " << sink->describe() << "\n";
        return exit_code::kRuntimeFailure;
      }
      return exit_code::kOk;
    }

    auto streaming = make_streaming_collectors(services);
    pipeline.start();
    const CollectorContext context{host, config};
    for (auto& collector : streaming) {
      try {
        collector->start(context, [&](Event e) { return pipeline.submit(std::move(e)); });
      } catch (const std::exception& error) {
        logger->error("collector {} could not start: {}", collector->name(), error.what());
      }
    }
    scheduler.start(config);
    const int signal_number = wait_for_stop_signal();
    logger->info("received {}; stopping", signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
    scheduler.stop();
    for (auto& collector : streaming) collector->stop();
    pipeline.stop(std::chrono::seconds(5));
    const auto totals = statistics.totals();
    logger->info("stopped: {} message(s) sent, {} failed, {} event(s) still stored", totals.messages_sent,
                 totals.messages_failed, store.count(Priority::High) + store.count(Priority::Low));
    return exit_code::kOk;
  } catch (const std::exception& error) {
    std::cerr << "edgeguard: " << error.what() << "\n";
    return exit_code::kRuntimeFailure;
  }
}

}  // namespace edgeguard
