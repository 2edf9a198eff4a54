#pragma once
#include "config/agent_config.h"
#include "config/config_settings.h"
#include "core/event.h"

namespace edgeguard {
// A ConfigurationError event (schema v1.0) for a problem; UsedConfiguration is the value the
// agent actually uses for that key.
Event make_configuration_error_event(const ConfigProblem& problem, const AgentConfig& in_effect);
}  // namespace edgeguard
