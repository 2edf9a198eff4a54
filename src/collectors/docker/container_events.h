#pragma once
// The extension events of container activity (schemas/extension_message.schema.json):
// ContainerLifecycle and ContainerExec on module output "containerActivity", the
// ContainerInventory snapshot on "containerInventory".
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/docker/container_cache.h"
#include "collectors/docker/docker_model.h"
#include "core/event.h"

namespace edgeguard::docker {

inline constexpr std::string_view kLifecycleEvent = "ContainerLifecycle";
inline constexpr std::string_view kExecEvent = "ContainerExec";
inline constexpr std::string_view kInventoryEvent = "ContainerInventory";
inline constexpr std::string_view kActivityOutput = "containerActivity";
inline constexpr std::string_view kInventoryOutput = "containerInventory";

// Who an event is about. From the cache when the container is known, else from the engine
// event's attributes (a container that came and went before it could be inspected).
struct ContainerIdentity {
  std::string id;
  std::string name;
  std::string image;
  std::string image_id;
  std::string edge_module;

  static ContainerIdentity of(const ContainerRecord& record);
  static ContainerIdentity of(const EngineEvent& event);
};

// How the collector learned of a lifecycle step.
enum class Source {
  EventStream,  // the engine's event, as it happened
  Resync,       // inferred on reconnecting: it happened while the engine was unreachable
};

struct LifecycleFacts {
  std::string action;  // create, start, die, destroy, oom
  ContainerIdentity container;
  Source source = Source::EventStream;
  std::optional<int64_t> exit_code;      // die
  std::optional<int64_t> engine_time_ns;  // when the engine says it happened
  const SecuritySettings* settings = nullptr;  // create: the effective settings, when known
};
Event make_lifecycle_event(const LifecycleFacts& facts);

struct ExecFacts {
  std::string action;  // exec_create, exec_start
  ContainerIdentity container;
  std::string exec_id;
  std::string command;  // as the engine reports it, cut to `max_command_bytes`
  std::optional<ExecDetails> details;  // exec_create: user, privileged, tty
  std::optional<int64_t> engine_time_ns;
};
Event make_exec_event(const ExecFacts& facts, size_t max_command_bytes);

// The inventory snapshot: one or more Periodic events (split so that no payload exceeds
// `max_payload_bytes`), or one empty snapshot when there is no container. `findings`: the
// deployment analysis's counts per container id (DeploymentFindings), when it ran.
std::vector<Event> make_inventory_events(const std::vector<RecordPtr>& containers, size_t max_payload_bytes,
                                         const std::map<std::string, nlohmann::json>& findings = {});

// The JSON of a container's settings as the events carry them.
nlohmann::json settings_json(const SecuritySettings& settings);

// The command line an exec event names for the container's health probe ("" if it has none):
// the engine runs it as an exec and reports it like any other.
std::string health_probe_command(const SecuritySettings& settings);

}  // namespace edgeguard::docker
