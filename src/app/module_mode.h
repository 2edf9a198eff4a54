#pragma once
// `edgeguard run` as an IoT Edge module: messages to edgeHub over MQTT/TLS, configuration from
// the module twin.
#include <vector>

#include "app/run_command.h"
#include "config/agent_config.h"
#include "config/config_settings.h"

namespace edgeguard {

// `config` is defaults <- local file (and command-line overrides); `problems` are the local
// file's, reported as ConfigurationError events once the pipeline runs. Returns the exit code.
int run_as_module(const RunOptions& options, const AgentConfig& config, const std::vector<ConfigProblem>& problems);

}  // namespace edgeguard
