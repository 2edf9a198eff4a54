#include "transport/http/client.h"

#include <algorithm>

#include "transport/http/exchange.h"
#include "transport/http/http_error.h"

namespace edgeguard::http {

Client::Client(Endpoint endpoint, bool keep_alive) : endpoint_(std::move(endpoint)), keep_alive_(keep_alive) {}

void Client::set_endpoint(Endpoint endpoint) {
  if (endpoint == endpoint_) return;
  connection_.close();
  endpoint_ = std::move(endpoint);
}

Response Client::send(const Request& request, const RequestOptions& options) {
  const auto start = Clock::now();
  const auto deadline = start + options.timeout;
  const auto connect_deadline = start + std::min(options.timeout, options.connect_timeout);
  const std::string wire = serialize(request, endpoint_.host_header(), keep_alive_);
  bool reused = connection_.is_open() && connection_.idle_usable();
  if (!reused) connection_.close();
  while (true) {
    if (!connection_.is_open()) connection_.connect(endpoint_, connect_deadline);
    try {
      return exchange(wire, request, options, deadline);
    } catch (const HttpError& error) {
      connection_.close();
      // The server may close an idle connection just as a request goes out on it: that request
      // never reached it, so a request that is safe to repeat is sent once more.
      if (!reused || error.kind() != HttpError::Kind::Closed || !request.idempotent()) throw;
      reused = false;
    }
  }
}

Response Client::exchange(const std::string& wire, const Request& request, const RequestOptions& options,
                          Clock::time_point deadline) {
  send_all(connection_, wire, deadline, options.timeout);
  ResponseParser parser(options.limits, request.method == "HEAD");
  bool surplus = false;
  bool ended = false;
  while (!parser.complete()) {
    const Progress progress = receive_into(connection_, parser, deadline, nullptr, surplus);
    if (progress == Progress::Ended) ended = true;
    if (progress == Progress::TimedOut) {
      throw HttpError(HttpError::Kind::Timeout,
                      std::string(parser.received_anything() ? "the response was not complete" : "no response") + " within " +
                          std::to_string(options.timeout.count()) + " ms");
    }
  }
  if (ended || surplus || !keep_alive_ || !parser.keep_alive()) connection_.close();
  return Response{parser.status(), parser.headers(), std::move(parser.body())};
}

}  // namespace edgeguard::http
