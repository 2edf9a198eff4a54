#pragma once
#include <memory>
#include <string>

#include "config/agent_config.h"
#include "transport/sink.h"

namespace edgeguard {

// Whether the process runs as an IoT Edge module (edgeAgent's variables, or the developer
// connection string, are in the environment).
bool iot_edge_environment_present();

// The sink the configuration asks for ("auto": edgeHub in a module, else the output file).
// Throws std::runtime_error with a message for the user.
std::unique_ptr<Sink> make_standalone_sink(const AgentConfig& config);
std::string choose_sink_kind(const AgentConfig& config);

}  // namespace edgeguard
