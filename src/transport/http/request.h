#pragma once
// An HTTP/1.1 request and its bytes on the wire.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace edgeguard::http {

struct Request {
  std::string method = "GET";
  std::string target;  // path and query, e.g. "/v1.41/containers/json?all=1"
  std::vector<std::pair<std::string, std::string>> headers;  // besides Host, Content-Length, Connection
  std::string body;

  // Safe to send again when a reused connection turned out to be closed.
  bool idempotent() const { return method == "GET" || method == "HEAD"; }
};

// The request as sent: Host is `host`; Connection: close unless `keep_alive`; Content-Length
// for a body (and for every POST/PUT). Throws HttpError (Protocol) if the method, target or a
// header would break the framing (spaces, CR, LF).
std::string serialize(const Request& request, std::string_view host, bool keep_alive);

}  // namespace edgeguard::http
