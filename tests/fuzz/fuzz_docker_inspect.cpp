// Replies of the Docker Engine API: the first byte picks the parser (inspect, list, exec,
// image, version, a time), the rest is the reply. A parsed inspect also goes through the
// inventory and lifecycle event builders.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "collectors/docker/container_events.h"
#include "collectors/docker/docker_parse.h"

using namespace edgeguard::docker;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    switch (data[0] % 6) {
      case 0: {
        auto record = std::make_shared<const ContainerRecord>(parse_container_inspect(body));
        for (const auto& event : make_inventory_events({record}, 4096)) (void)edgeguard::serialize_event(event);
        LifecycleFacts facts;
        facts.action = "create";
        facts.container = ContainerIdentity::of(*record);
        facts.settings = &record->settings;
        (void)edgeguard::serialize_event(make_lifecycle_event(facts));
        (void)health_probe_command(record->settings);
        break;
      }
      case 1: (void)parse_container_list(body); break;
      case 2: (void)parse_exec_inspect(body); break;
      case 3: (void)parse_image_repo_digests(body); break;
      case 4: (void)parse_version(body); break;
      default: (void)parse_engine_time(body); break;
    }
  } catch (const ParseError&) {
  }
  return 0;
}
