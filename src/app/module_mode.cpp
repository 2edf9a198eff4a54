#include "app/module_mode.h"

#include <signal.h>

#include <cstdlib>
#include <iostream>

#include "app/agent_id.h"
#include "app/collector_registry.h"
#include "app/exit_codes.h"
#include "config/configuration_error_event.h"
#include "core/log.h"
#include "core/runtime_info.h"
#include "pipeline/pipeline.h"
#include "pipeline/scheduler.h"
#include "transport/edgehub/credentials.h"
#include "transport/edgehub/edgehub_connection.h"
#include "transport/edgehub/edgehub_sink.h"
#include "transport/edgehub/module_identity.h"
#include "transport/edgehub/module_twin.h"
#include "transport/edgehub/twin_configuration.h"

namespace edgeguard {
namespace {

// How long `run --once` waits for the connection and the first twin, as the reference C
// agent's ConnectionTimeout (PT30S).
constexpr std::chrono::seconds kFirstTwinTimeout{30};

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

int run_as_module(const RunOptions& options, const AgentConfig& config, const std::vector<ConfigProblem>& problems) {
  auto logger = log::get("agent");
  const auto environment = edgehub::read_module_environment([](const char* name) { return std::getenv(name); });
  for (const auto& warning : environment.warnings) logger->warn("{}", warning);
  if (!environment.identity) {
    std::cerr << "edgeguard: " << edgehub::describe_environment_problems(environment) << "\n";
    return exit_code::kBadInput;
  }
  const edgehub::ModuleIdentity& identity = *environment.identity;
  const HostRoot host(config.local.host_root);

  try {
    const std::string agent_id = load_or_create_agent_id(config.local.state_dir);
    EventStore store(config.local.state_dir / "events.db", static_cast<uint64_t>(config.max_local_cache_size_bytes));
    Statistics statistics;
    RuntimeInfo runtime;
    ContainerCatalog containers;
    runtime.set("AgentMode", "IoTEdgeModule");
    runtime.set("ModuleId", identity.module_id);

    auto credentials = edgehub::make_credentials(identity);
    edgehub::ConnectionSettings settings;
    settings.identity = identity;
    settings.port = config.local.edgehub_port;
    settings.token_lifetime = std::chrono::duration_cast<std::chrono::seconds>(config.local.sas_token_lifetime.value);

    edgehub::TwinConfiguration twin(config);
    const CollectorServices services{statistics, runtime, containers};
    auto streaming = make_streaming_collectors(services);
    // Set before the connection starts; used from the connection thread afterwards.
    Pipeline* pipeline_ptr = nullptr;
    Scheduler* scheduler_ptr = nullptr;
    std::mutex apply_mutex;

    const auto on_update = [&](const edgehub::TwinUpdate& update, const std::string&) {
      std::lock_guard lock(apply_mutex);
      if (!pipeline_ptr) return;
      if (update.changed) {
        pipeline_ptr->apply_config(update.config);
        if (scheduler_ptr) scheduler_ptr->apply_config(update.config);
        for (auto& collector : streaming) collector->reconfigure(update.config);
      }
      for (const auto& problem : update.problems) {
        pipeline_ptr->submit(make_configuration_error_event(problem, update.config));
      }
    };
    edgehub::ModuleTwinClient twin_client(twin, on_update);
    edgehub::EdgeHubConnection connection(settings, *credentials, twin_client);
    twin_client.attach(connection);
    edgehub::EdgeHubSink sink(connection, &twin_client);
    runtime.set("Sink", sink.describe());

    Pipeline pipeline(config, store, sink, statistics, AgentIdentity{agent_id, EDGEGUARD_VERSION});
    for (const auto& problem : problems) pipeline.submit(make_configuration_error_event(problem, config));
    Scheduler scheduler(make_periodic_collectors(services), host, [&](Event e) { return pipeline.submit(std::move(e)); });
    {
      std::lock_guard lock(apply_mutex);
      pipeline_ptr = &pipeline;
      scheduler_ptr = &scheduler;
    }
    twin_client.on_ready([&] {
      std::lock_guard lock(apply_mutex);
      if (pipeline_ptr) pipeline_ptr->sink_ready();
    });
    logger->info("edgeguard {} agent {} as IoT Edge module {} of device {}, edgeHub {}:{}, credentials from {}, host "
                 "root {}, state {}",
                 EDGEGUARD_VERSION, agent_id, identity.module_id, identity.device_id, identity.gateway_host,
                 settings.port, credentials->describe(), host.root().string(), config.local.state_dir.string());
    if (options.once) {
      connection.start();
      if (!twin_client.wait_first_twin_settled(kFirstTwinTimeout)) {
        logger->error("Remote Configuration / Timeout: no module twin within {} s; using the local configuration",
                      kFirstTwinTimeout.count());
      }
      scheduler.run_once(pipeline.config());
      const bool sent = pipeline.flush_all(true);
      connection.stop();
      if (!sent) {
        std::cerr << "edgeguard: could not deliver the messages to " << sink.describe() << "\n";
        return exit_code::kRuntimeFailure;
      }
      return exit_code::kOk;
    }

    // Collection starts at once with the local configuration; until edgeHub is reachable and
    // the first twin is handled, events accumulate in the bounded store.
    pipeline.start();
    const AgentConfig initial = pipeline.config();
    const CollectorContext context{host, initial};
    for (auto& collector : streaming) {
      try {
        collector->start(context, [&](Event e) { return pipeline.submit(std::move(e)); });
      } catch (const std::exception& error) {
        logger->error("collector {} could not start: {}", collector->name(), error.what());
      }
    }
    scheduler.start(initial);
    // Last, so that twin updates only ever meet running collectors.
    connection.start();
    const int signal_number = wait_for_stop_signal();
    logger->info("received {}; stopping", signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
    scheduler.stop();
    for (auto& collector : streaming) collector->stop();
    constexpr auto kStopDeadline = std::chrono::seconds(5);
    connection.set_publish_deadline(std::chrono::steady_clock::now() + kStopDeadline);
    pipeline.stop(kStopDeadline);
    {
      std::lock_guard lock(apply_mutex);
      pipeline_ptr = nullptr;
      scheduler_ptr = nullptr;
    }
    connection.stop();
    const auto totals = statistics.totals();
    const auto wire = sink.counters();
    logger->info("stopped: {} message(s) sent ({} topic bytes, {} body bytes), {} failed, {} event(s) still stored",
                 totals.messages_sent, wire.topic_bytes, wire.payload_bytes, totals.messages_failed,
                 store.count(Priority::High) + store.count(Priority::Low));
    return exit_code::kOk;
  } catch (const std::exception& error) {
    std::cerr << "edgeguard: " << error.what() << "\n";
    return exit_code::kRuntimeFailure;
  }
}

}  // namespace edgeguard
