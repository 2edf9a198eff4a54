#pragma once
// Where a local HTTP server listens: a unix socket path, or a TCP host and port (loopback or a
// developer machine; plain HTTP, no TLS).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace edgeguard::http {

struct Endpoint {
  static Endpoint unix_socket(std::string path);
  static Endpoint tcp(std::string host, uint16_t port);
  // "unix:///absolute/path" or "http://host[:port][/]" (port 80 when absent); nullopt for
  // anything else.
  static std::optional<Endpoint> parse(std::string_view uri);

  bool is_unix() const { return port == 0; }
  // For messages: "unix socket /run/docker.sock", "127.0.0.1:15580".
  std::string describe() const;
  // The Host header: "localhost" for a unix socket (what the engines expect), else host:port.
  std::string host_header() const;

  bool operator==(const Endpoint&) const = default;

  std::string path;  // unix socket
  std::string host;  // TCP
  uint16_t port = 0;
};

}  // namespace edgeguard::http
