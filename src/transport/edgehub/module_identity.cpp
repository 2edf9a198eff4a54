#include "transport/edgehub/module_identity.h"

#include <cstring>

#include "core/strings.h"
#include "transport/edgehub/encoding.h"

namespace edgeguard::edgehub {
namespace {

// IoT Hub device and module ids: up to 128 characters from this set. Anything else (notably
// "/", "+", "#" or spaces) would also break the MQTT topics built from them.
bool valid_identity_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (const char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    std::strchr("-.%_*?!(),:=@$'", c) != nullptr;
    if (!ok || c == '\0') return false;
  }
  return true;
}

bool valid_host_name(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  for (const char c : host) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '.' || c == ':' || c == '_';
    if (!ok) return false;
  }
  return true;
}

bool valid_hub_host(std::string_view host) {
  const auto dot = host.find('.');
  return valid_host_name(host) && dot != std::string_view::npos && dot > 0 && dot + 1 < host.size();
}

bool valid_workload_uri(std::string_view uri) {
  if (starts_with(uri, "unix://")) {
    const auto path = uri.substr(7);
    return path.size() > 1 && path.front() == '/' && path.find('\0') == std::string_view::npos;
  }
  if (starts_with(uri, "http://")) {
    auto rest = uri.substr(7);
    if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
    return !rest.empty() && rest.find('/') == std::string_view::npos && valid_host_name(rest);
  }
  return false;
}

std::string shown_value(std::string_view value) {
  std::string text(value.substr(0, 80));
  for (auto& c : text) {
    if (static_cast<unsigned char>(c) < 0x20) c = '?';
  }
  return "\"" + text + (value.size() > 80 ? "...\"" : "\"");
}

void read_connection_string(const char* text, const EnvironmentLookup& lookup, ModuleEnvironment& out) {
  ModuleIdentity identity;
  identity.uses_connection_string = true;
  std::string host_name;
  std::string gateway;
  bool have_key = false;
  for (const auto part : split(text, ';')) {
    if (trim(part).empty()) continue;
    const auto equals = part.find('=');
    if (equals == std::string_view::npos || equals == 0) {
      out.problems.push_back("EdgeHubConnectionString: every part must be Name=value (a part has no \"=\")");
      continue;
    }
    const auto name = part.substr(0, equals);
    const auto value = part.substr(equals + 1);
    if (name == "HostName") {
      host_name = std::string(value);
    } else if (name == "DeviceId") {
      identity.device_id = std::string(value);
    } else if (name == "ModuleId") {
      identity.module_id = std::string(value);
    } else if (name == "GatewayHostName") {
      gateway = std::string(value);
    } else if (name == "SharedAccessKey") {
      have_key = true;
      const auto key = base64_decode(value);
      if (!key || key->empty()) {
        out.problems.push_back("EdgeHubConnectionString: SharedAccessKey is not valid base64");
      } else {
        identity.shared_access_key = *key;
      }
    } else {
      out.warnings.push_back("EdgeHubConnectionString: part \"" + std::string(name.substr(0, 40)) + "\" ignored");
    }
  }
  if (!valid_hub_host(host_name)) {
    out.problems.push_back(host_name.empty() ? "EdgeHubConnectionString: HostName is missing"
                                             : "EdgeHubConnectionString: HostName " + shown_value(host_name) +
                                                   " is not an IoT Hub host name (expected name.domain)");
  }
  if (!valid_identity_id(identity.device_id)) {
    out.problems.push_back(identity.device_id.empty() ? "EdgeHubConnectionString: DeviceId is missing"
                                                      : "EdgeHubConnectionString: DeviceId " + shown_value(identity.device_id) +
                                                            " is not a valid device id");
  }
  if (!valid_identity_id(identity.module_id)) {
    out.problems.push_back(identity.module_id.empty() ? "EdgeHubConnectionString: ModuleId is missing (a module "
                                                        "connection string is needed, not a device one)"
                                                      : "EdgeHubConnectionString: ModuleId " + shown_value(identity.module_id) +
                                                            " is not a valid module id");
  }
  if (!have_key) out.problems.push_back("EdgeHubConnectionString: SharedAccessKey is missing");
  if (!gateway.empty() && !valid_host_name(gateway)) {
    out.problems.push_back("EdgeHubConnectionString: GatewayHostName " + shown_value(gateway) + " is not a host name");
  }
  const char* ca = lookup("EdgeModuleCACertificateFile");
  if (!ca || !*ca) {
    out.problems.push_back("EdgeModuleCACertificateFile is missing (required with EdgeHubConnectionString: the PEM "
                           "file edgeHub's certificate must chain to)");
  } else {
    identity.ca_certificate_file = ca;
  }
  identity.hub_host = host_name;
  identity.gateway_host = gateway.empty() ? host_name : gateway;
  if (out.problems.empty()) out.identity = std::move(identity);
}

}  // namespace

ModuleEnvironment read_module_environment(const EnvironmentLookup& lookup) {
  ModuleEnvironment out;
  if (const char* connection_string = lookup("EdgeHubConnectionString"); connection_string && *connection_string) {
    read_connection_string(connection_string, lookup, out);
    return out;
  }

  ModuleIdentity identity;
  const auto get = [&](const char* name) -> std::optional<std::string> {
    const char* value = lookup(name);
    if (!value || !*value) {
      out.problems.push_back(std::string(name) + " is missing");
      return std::nullopt;
    }
    return std::string(value);
  };
  if (auto v = get("IOTEDGE_WORKLOADURI")) {
    if (valid_workload_uri(*v)) {
      identity.workload_uri = *v;
    } else {
      out.problems.push_back("IOTEDGE_WORKLOADURI " + shown_value(*v) +
                             " is not unix:///absolute/path or http://host:port");
    }
  }
  if (auto v = get("IOTEDGE_DEVICEID")) {
    if (valid_identity_id(*v)) identity.device_id = *v;
    else out.problems.push_back("IOTEDGE_DEVICEID " + shown_value(*v) + " is not a valid device id");
  }
  if (auto v = get("IOTEDGE_MODULEID")) {
    if (valid_identity_id(*v)) identity.module_id = *v;
    else out.problems.push_back("IOTEDGE_MODULEID " + shown_value(*v) + " is not a valid module id");
  }
  if (auto v = get("IOTEDGE_MODULEGENERATIONID")) {
    if (valid_identity_id(*v)) identity.generation_id = *v;
    else out.problems.push_back("IOTEDGE_MODULEGENERATIONID " + shown_value(*v) + " is not a valid generation id");
  }
  if (auto v = get("IOTEDGE_IOTHUBHOSTNAME")) {
    if (valid_hub_host(*v)) identity.hub_host = *v;
    else out.problems.push_back("IOTEDGE_IOTHUBHOSTNAME " + shown_value(*v) + " is not an IoT Hub host name (expected name.domain)");
  }
  if (auto v = get("IOTEDGE_GATEWAYHOSTNAME")) {
    if (valid_host_name(*v)) identity.gateway_host = *v;
    else out.problems.push_back("IOTEDGE_GATEWAYHOSTNAME " + shown_value(*v) + " is not a host name");
  }
  if (auto v = get("IOTEDGE_AUTHSCHEME")) {
    if (*v != "sasToken") {
      out.problems.push_back("IOTEDGE_AUTHSCHEME " + shown_value(*v) + " is not supported (only \"sasToken\")");
    }
  }
  if (out.problems.empty()) out.identity = std::move(identity);
  return out;
}

std::string describe_environment_problems(const ModuleEnvironment& environment) {
  std::string text = "the IoT Edge module environment is unusable: ";
  text += join(environment.problems, "; ");
  return text;
}

}  // namespace edgeguard::edgehub
