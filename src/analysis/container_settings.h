#pragma once
// Docker ContainerCreate settings, read from a module's createOptions (manifest) or from the
// Config and HostConfig of `docker inspect` (engine): the same field names in both, so the
// same reader serves both sources and the rules see one model.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "analysis/deployment_model.h"
#include "analysis/lenient_json.h"

namespace edgeguard::analysis {

// Parses createOptions text as edgeAgent does: blank or "null" means no options (an empty
// object). On a syntax error adds a problem at `path` naming the character position in the
// (joined) text and returns nullopt; a document that is not an object is a problem too.
std::optional<nlohmann::json> parse_create_options(std::string_view text, const std::string& path, Problems& problems);

// Reads every setting the rules use from a createOptions object located at `path`.
ContainerSettings read_create_options(const nlohmann::json& options, const std::string& path, Problems& problems);

// The parts, for sources that keep them apart (docker inspect: /Config and /HostConfig).
void read_config_keys(const nlohmann::json& config, const std::string& path, ContainerSettings& out,
                      Problems& problems);
void read_host_config(const nlohmann::json& host_config, const std::string& path, ContainerSettings& out,
                      Problems& problems);

// "src:dst[:options]" of HostConfig.Binds; nullopt for a volume name or anonymous volume.
std::optional<BindMount> parse_bind(std::string_view bind, const std::string& path);

}  // namespace edgeguard::analysis
