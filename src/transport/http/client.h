#pragma once
// A small HTTP/1.1 client for local APIs (plain HTTP on a unix socket or a loopback port): one
// request at a time on a connection kept between requests. A kept connection the server closed
// meanwhile is replaced, and an idempotent request that finds it closed is sent once more on a
// new one. Not thread-safe: one caller at a time.
//
// Written by hand rather than with libcurl: the two local APIs need only this much, and
// libcurl's library tree cost 4.5 MB of resident memory on a device whose idle budget is 10 MB
// (docs/DESIGN.md, Dependencies).
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "transport/http/connection.h"
#include "transport/http/endpoint.h"
#include "transport/http/request.h"
#include "transport/http/response_parser.h"

namespace edgeguard::http {

struct Response {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
  std::string body;
};

struct RequestOptions {
  std::chrono::milliseconds timeout{10000};         // the whole exchange, connecting included
  std::chrono::milliseconds connect_timeout{5000};  // at most this much of it to connect
  ResponseLimits limits;
};

class Client {
 public:
  // `keep_alive` false: every request on a new connection, closed after the answer.
  explicit Client(Endpoint endpoint, bool keep_alive = true);

  const Endpoint& endpoint() const { return endpoint_; }
  // Another endpoint; a kept connection to the old one is closed.
  void set_endpoint(Endpoint endpoint);

  // Sends `request` and returns the whole response, whatever its status. Throws HttpError.
  Response send(const Request& request, const RequestOptions& options);

 private:
  Response exchange(const std::string& wire, const Request& request, const RequestOptions& options,
                    Clock::time_point deadline);

  Endpoint endpoint_;
  bool keep_alive_;
  Connection connection_;
};

}  // namespace edgeguard::http
