// Lines of the Docker engine's /events stream, and the monitor's handling of what parses.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "collectors/docker/container_events.h"
#include "collectors/docker/docker_parse.h"

using namespace edgeguard::docker;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  try {
    const EngineEvent event = parse_engine_event(line);
    // What the collector builds from an event of a container it does not know.
    const ContainerIdentity who = ContainerIdentity::of(event);
    ExecFacts facts;
    facts.action = event.action;
    facts.container = who;
    facts.command = event.detail;
    facts.exec_id = event.attribute("execID");
    (void)edgeguard::serialize_event(make_exec_event(facts, 64));
    (void)is_container_id(event.id);
  } catch (const ParseError&) {
  }
  return 0;
}
