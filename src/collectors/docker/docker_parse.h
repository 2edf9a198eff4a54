#pragma once
// Parsers of the Docker Engine API's JSON replies. Every error names the JSON location
// ("/HostConfig/CapAdd/1: expected a string, got a number") and never quotes the input (it may
// hold secrets: environment variables, labels).
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/docker/docker_model.h"

namespace edgeguard::docker {

class ParseError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// GET /version
EngineVersion parse_version(std::string_view body);
// GET /containers/json?all=1
std::vector<ContainerSummary> parse_container_list(std::string_view body);
// GET /containers/{id}/json. Keeps the whole document in ContainerRecord::inspect.
ContainerRecord parse_container_inspect(std::string_view body);
// One line of GET /events.
EngineEvent parse_engine_event(std::string_view line);
// GET /exec/{id}/json
ExecDetails parse_exec_inspect(std::string_view body);
// RepoDigests of GET /images/{id}/json.
std::vector<std::string> parse_image_repo_digests(std::string_view body);

// An RFC 3339 time as the engine writes it ("2026-11-26T15:48:21.477477732Z", any offset) in
// nanoseconds since the epoch; 0 for the engine's "never" ("0001-01-01T00:00:00Z"); nullopt
// when it is not such a time.
std::optional<int64_t> parse_engine_time(std::string_view text);

}  // namespace edgeguard::docker
