#include "transport/http/endpoint.h"

#include "core/strings.h"

namespace edgeguard::http {

Endpoint Endpoint::unix_socket(std::string path) {
  Endpoint endpoint;
  endpoint.path = std::move(path);
  return endpoint;
}

Endpoint Endpoint::tcp(std::string host, uint16_t port) {
  Endpoint endpoint;
  endpoint.host = std::move(host);
  endpoint.port = port;
  return endpoint;
}

std::optional<Endpoint> Endpoint::parse(std::string_view uri) {
  if (starts_with(uri, "unix://")) {
    const auto path = uri.substr(7);
    if (path.size() < 2 || path.front() != '/' || path.find('\0') != std::string_view::npos) return std::nullopt;
    return unix_socket(std::string(path));
  }
  if (!starts_with(uri, "http://")) return std::nullopt;
  auto authority = uri.substr(7);
  if (!authority.empty() && authority.back() == '/') authority.remove_suffix(1);
  if (authority.empty() || authority.find_first_of("/?#@ ") != std::string_view::npos) return std::nullopt;
  std::string_view host = authority;
  uint16_t port = 80;
  if (authority.front() == '[') {  // [IPv6]:port
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(1, close - 1);
    const auto rest = authority.substr(close + 1);
    if (!rest.empty()) {
      const auto parsed = rest.front() == ':' ? parse_integer<uint16_t>(rest.substr(1)) : std::nullopt;
      if (!parsed) return std::nullopt;
      port = *parsed;
    }
  } else if (const size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    const auto parsed = parse_integer<uint16_t>(authority.substr(colon + 1));
    if (!parsed) return std::nullopt;
    host = authority.substr(0, colon);
    port = *parsed;
  }
  if (host.empty() || port == 0) return std::nullopt;
  return tcp(std::string(host), port);
}

std::string Endpoint::describe() const {
  if (is_unix()) return "unix socket " + path;
  return host_header();
}

std::string Endpoint::host_header() const {
  if (is_unix()) return "localhost";
  const bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace edgeguard::http
