#pragma once
// Who this module is and how it authenticates, from the environment IoT Edge gives a module
// (edgeAgent's IOTEDGE_* variables, reference section 1.1), or from the developer path
// (EdgeHubConnectionString + EdgeModuleCACertificateFile, local signing).
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace edgeguard::edgehub {

struct ModuleIdentity {
  std::string hub_host;      // IoT Hub host name: the SAS audience
  std::string gateway_host;  // edgeHub's host name: where to connect, and the name its certificate must carry
  std::string device_id;
  std::string module_id;

  // Workload API path (IOTEDGE_*).
  std::string generation_id;
  std::string workload_uri;  // unix:///path or http://host:port

  // Developer path (EdgeHubConnectionString). The key is a secret: never log it.
  bool uses_connection_string = false;
  std::string shared_access_key;  // the decoded key bytes
  std::filesystem::path ca_certificate_file;

  std::string client_id() const { return device_id + "/" + module_id; }
};

struct ModuleEnvironment {
  std::optional<ModuleIdentity> identity;  // set when every variable is present and well formed
  std::vector<std::string> problems;       // one line per missing or malformed variable
  std::vector<std::string> warnings;       // ignored extras (names only, never values)
};

// Reads the IoT Edge module environment. EdgeHubConnectionString, when set, takes precedence
// (as in the C SDK) and then requires EdgeModuleCACertificateFile.
using EnvironmentLookup = std::function<const char*(const char* name)>;
ModuleEnvironment read_module_environment(const EnvironmentLookup& lookup);

// The problems as one message: "the IoT Edge module environment is unusable: A; B; C".
std::string describe_environment_problems(const ModuleEnvironment& environment);

}  // namespace edgeguard::edgehub
