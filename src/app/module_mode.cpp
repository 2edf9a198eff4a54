#include "app/module_mode.h"

#include <signal.h>

#include <cstdlib>
#include <iostream>

#include "app/agent_runtime.h"
#include "app/exit_codes.h"
#include "config/configuration_error_event.h"
#include "core/log.h"
#include "core/shared_library.h"
#include "transport/edgehub/credentials.h"
#include "transport/edgehub/edgehub_connection.h"
#include "transport/edgehub/edgehub_sink.h"
#include "transport/edgehub/module_identity.h"
#include "transport/edgehub/module_twin.h"
#include "transport/edgehub/mosquitto_library.h"
#include "transport/edgehub/openssl_library.h"
#include "transport/edgehub/twin_configuration.h"

namespace edgeguard {
namespace {

// How long `run --once` waits for the connection and the first twin, as the reference C
// agent's ConnectionTimeout (PT30S).
constexpr std::chrono::seconds kFirstTwinTimeout{30};

}  // namespace

int run_as_module(const RunOptions& options, const AgentConfig& config, const std::vector<ConfigProblem>& problems) {
  auto logger = log::get("agent");
  const auto environment = edgehub::read_module_environment([](const char* name) { return std::getenv(name); });
  for (const auto& warning : environment.warnings) logger->warn("{}", warning);
  if (!environment.identity) {
    std::cerr << "edgeguard: " << edgehub::describe_environment_problems(environment) << "\n";
    return exit_code::kBadInput;
  }
  const edgehub::ModuleIdentity& identity = *environment.identity;
  // Loaded now rather than at the first connection: without them module mode cannot work, and
  // that must show at start, not as connection retries in the log.
  try {
    edgehub::openssl();
    edgehub::libmosquitto();
  } catch (const SharedLibraryError& error) {
    std::cerr << "edgeguard: " << error.what() << "\n";
    return exit_code::kRuntimeFailure;
  }

  try {
    AgentRuntime agent(config, "IoTEdgeModule");
    agent.runtime().set("ModuleId", identity.module_id);

    auto credentials = edgehub::make_credentials(identity);
    edgehub::ConnectionSettings settings;
    settings.identity = identity;
    settings.port = config.local.edgehub_port;
    settings.token_lifetime = std::chrono::duration_cast<std::chrono::seconds>(config.local.sas_token_lifetime.value);

    edgehub::TwinConfiguration twin(config);
    // Twin updates arrive on the connection thread; they are applied only once the runtime is
    // attached (before that, the first twin waits: see wait_first_twin_settled / on_ready).
    std::mutex attach_mutex;
    bool attached = false;
    const auto on_update = [&](const edgehub::TwinUpdate& update, const std::string&) {
      std::lock_guard lock(attach_mutex);
      if (!attached) return;
      if (update.changed) agent.apply_config(update.config);
      for (const auto& problem : update.problems) agent.submit(make_configuration_error_event(problem, update.config));
    };
    edgehub::ModuleTwinClient twin_client(twin, on_update);
    edgehub::EdgeHubConnection connection(settings, *credentials, twin_client);
    twin_client.attach(connection);
    edgehub::EdgeHubSink sink(connection, &twin_client);
    agent.attach(sink, problems);
    {
      std::lock_guard lock(attach_mutex);
      attached = true;
    }
    twin_client.on_ready([&] {
      std::lock_guard lock(attach_mutex);
      if (attached) agent.pipeline().sink_ready();
    });
    logger->info("edgeguard {} agent {} as IoT Edge module {} of device {}, edgeHub {}:{}, credentials from {}, host "
                 "root {}, state {}",
                 EDGEGUARD_VERSION, agent.agent_id(), identity.module_id, identity.device_id, identity.gateway_host,
                 settings.port, credentials->describe(), agent.host().root().string(), config.local.state_dir.string());
    if (options.once) {
      connection.start();
      if (!twin_client.wait_first_twin_settled(kFirstTwinTimeout)) {
        logger->error("Remote Configuration / Timeout: no module twin within {} s; using the local configuration",
                      kFirstTwinTimeout.count());
      }
      const bool sent = agent.run_once();
      connection.stop();
      if (!sent) {
        std::cerr << "edgeguard: could not deliver the messages to " << sink.describe() << "\n";
        return exit_code::kRuntimeFailure;
      }
      return exit_code::kOk;
    }

    // Collection starts at once with the local configuration; until edgeHub is reachable and
    // the first twin is handled, events accumulate in the bounded store.
    agent.start();
    // Last, so that twin updates only ever meet running collectors.
    connection.start();
    const int signal_number = wait_for_stop_signal();
    logger->info("received {}; stopping", signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
    constexpr auto kStopDeadline = std::chrono::seconds(5);
    connection.set_publish_deadline(std::chrono::steady_clock::now() + kStopDeadline);
    {
      std::lock_guard lock(attach_mutex);
      attached = false;
    }
    agent.stop(kStopDeadline);
    connection.stop();
    const auto totals = agent.statistics().totals();
    const auto wire = sink.counters();
    logger->info("stopped: {} message(s) sent ({} topic bytes, {} body bytes), {} failed, {} event(s) still stored",
                 totals.messages_sent, wire.topic_bytes, wire.payload_bytes, totals.messages_failed,
                 agent.stored_events());
    return exit_code::kOk;
  } catch (const std::exception& error) {
    std::cerr << "edgeguard: " << error.what() << "\n";
    return exit_code::kRuntimeFailure;
  }
}

}  // namespace edgeguard
