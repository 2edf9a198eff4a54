#include "transport/http/request.h"

#include <algorithm>

#include "transport/http/http_error.h"

namespace edgeguard::http {
namespace {

bool has_control(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

void check(bool ok, const std::string& what) {
  if (!ok) throw HttpError(HttpError::Kind::Protocol, "cannot send a request with " + what);
}

}  // namespace

std::string serialize(const Request& request, std::string_view host, bool keep_alive) {
  check(!request.method.empty() && request.method.find(' ') == std::string::npos && !has_control(request.method),
        "an invalid method");
  check(!request.target.empty() && request.target.front() == '/' && request.target.find(' ') == std::string::npos &&
            !has_control(request.target),
        "an invalid target");
  check(!has_control(host) && host.find(' ') == std::string_view::npos, "an invalid host");
  std::string out;
  out.reserve(128 + request.target.size() + request.body.size());
  out.append(request.method).append(" ").append(request.target).append(" HTTP/1.1\r\n");
  out.append("Host: ").append(host).append("\r\n");
  for (const auto& [name, value] : request.headers) {
    check(!name.empty() && name.find_first_of(": ") == std::string::npos && !has_control(name) && !has_control(value),
          "an invalid header \"" + (has_control(name) ? std::string("?") : name) + "\"");
    out.append(name).append(": ").append(value).append("\r\n");
  }
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
    out.append("Content-Length: ").append(std::to_string(request.body.size())).append("\r\n");
  }
  if (!keep_alive) out.append("Connection: close\r\n");
  out.append("\r\n").append(request.body);
  return out;
}

}  // namespace edgeguard::http
