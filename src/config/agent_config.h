#pragma once
// The agent's whole configuration: the module twin's keys (schema-defined, plus edgeguard's own
// documented additions) and the local settings that only make sense on the device.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "core/iso_duration.h"

namespace edgeguard {

// The name of the configuration object in the module twin (desired and reported).
inline constexpr std::string_view kTwinConfigObject = "ms_iotn:urn_azureiot_Security_SecurityAgentConfiguration";

struct Duration {
  Millis value{};
  std::string text;  // as configured, so reported properties echo what was desired
  bool operator==(const Duration&) const = default;
};

struct Aggregation {
  bool enabled = true;
  Duration interval{std::chrono::hours(1), "PT1H"};
  bool operator==(const Aggregation&) const = default;
};

// Settings that come only from the command line or the local file, never from the twin.
struct LocalSettings {
  std::filesystem::path state_dir = "/var/lib/edgeguard";
  std::filesystem::path host_root = "/";
  std::string output;                   // file sink path; "-" = stdout; empty = <state_dir>/messages.jsonl
  std::string sink = "auto";            // auto | file | stdout | edgehub
  std::string log_level = "info";
  std::filesystem::path docker_socket;  // empty = <host_root>/var/run/docker.sock
  int edgehub_port = 8883;
  Duration sas_token_lifetime{std::chrono::hours(1), "PT1H"};  // module mode: reconnect at 80 %
  bool operator==(const LocalSettings&) const = default;
};

struct AgentConfig {
  Duration high_priority_message_frequency{std::chrono::minutes(7), "PT7M"};
  Duration low_priority_message_frequency{std::chrono::hours(5), "PT5H"};
  Duration snapshot_frequency{std::chrono::hours(13), "PT13H"};
  int64_t max_local_cache_size_bytes = 2560000;
  int64_t max_message_size_bytes = 204800;
  // eventPriority<Name>, keyed by event name.
  std::map<std::string, Priority, std::less<>> event_priority;
  // aggregationEnabled<Name> / aggregationInterval<Name>.
  std::map<std::string, Aggregation, std::less<>> aggregation;
  bool baseline_custom_checks_enabled = false;
  std::string baseline_custom_checks_file_path;
  std::string baseline_custom_checks_file_hash;
  std::string hub_resource_id;

  // edgeguard additions, set through the same twin object (documented in the README).
  std::string process_event_source = "auto";  // auto | ebpf | audit | procconnector
  int64_t command_line_max_bytes = 4096;
  bool connection_include_loopback = true;
  int64_t simulated_drop_every_n = 0;  // test switch: drop every n-th kernel event, counted

  LocalSettings local;

  // Defaults as in azureiotsecurity_default.json, plus edgeguard's own.
  static AgentConfig defaults();

  Priority priority_of(std::string_view event_name) const;
  // Largest size a single message (body) may have: maxMessageSizeInBytes, never more than
  // what fits in edgeHub's 256 KiB limit with the message properties.
  size_t effective_message_limit() const;
  std::filesystem::path output_path() const;

  bool operator==(const AgentConfig&) const = default;
};

// Names of the event types whose priority is configurable (schema v1.0 plus extensions).
const std::vector<std::string>& configurable_event_names();
const std::vector<std::string>& aggregatable_event_names();

}  // namespace edgeguard
