#pragma once
// One request whose response is read as it arrives and may last for ever (an event stream).
// One thread drives it; wake() may be called from any other to make a blocked open() or read()
// return promptly.
#include <atomic>
#include <chrono>

#include "transport/http/connection.h"
#include "transport/http/endpoint.h"
#include "transport/http/request.h"
#include "transport/http/response_parser.h"
#include "transport/http/waker.h"

namespace edgeguard::http {

class ResponseStream {
 public:
  // Throws HttpError (Io) if no waker can be made.
  ResponseStream(Endpoint endpoint, Request request, ResponseLimits limits);

  // Connects by `connect_deadline`, sends the request and reads until the response head is in
  // (body bytes that came with it are kept in response().body()). False if `stop` was set.
  // Throws HttpError: Timeout past `deadline`, or whatever broke.
  bool open(const std::atomic<bool>& stop, Clock::time_point connect_deadline, Clock::time_point deadline);

  // Waits up to `wait` (less if woken) for more of the response; what arrived is appended to
  // response().body(). False once the response has ended; throws HttpError if it broke.
  bool read(std::chrono::milliseconds wait);

  ResponseParser& response() { return parser_; }
  bool ended() const { return ended_; }
  const Endpoint& endpoint() const { return endpoint_; }

  void wake() { waker_.wake(); }

 private:
  Endpoint endpoint_;
  Request request_;
  ResponseParser parser_;
  Connection connection_;
  Waker waker_;
  bool ended_ = false;
};

}  // namespace edgeguard::http
