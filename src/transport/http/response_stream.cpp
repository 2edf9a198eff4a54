#include "transport/http/response_stream.h"

#include <string>

#include "transport/http/exchange.h"
#include "transport/http/http_error.h"

namespace edgeguard::http {

ResponseStream::ResponseStream(Endpoint endpoint, Request request, ResponseLimits limits)
    : endpoint_(std::move(endpoint)), request_(std::move(request)), parser_(limits, request_.method == "HEAD") {}

bool ResponseStream::open(const std::atomic<bool>& stop, Clock::time_point connect_deadline, Clock::time_point deadline) {
  const auto start = Clock::now();
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - start);
  const std::string wire = serialize(request_, endpoint_.host_header(), true);
  while (!connection_.connect(endpoint_, connect_deadline, &waker_)) {
    waker_.drain();
    if (stop.load()) return false;
  }
  send_all(connection_, wire, deadline, timeout);
  bool surplus = false;
  while (!parser_.head_complete()) {
    if (stop.load()) return false;
    switch (receive_into(connection_, parser_, deadline, &waker_, surplus)) {
      case Progress::Data:
      case Progress::Woken:
        break;
      case Progress::Ended:
        ended_ = true;  // finish() completed the response or threw
        break;
      case Progress::TimedOut:
        throw HttpError(HttpError::Kind::Timeout, "no response within " + std::to_string(timeout.count()) + " ms");
    }
  }
  if (parser_.complete()) ended_ = true;
  return true;
}

bool ResponseStream::read(std::chrono::milliseconds wait) {
  if (ended_) return false;
  bool surplus = false;
  try {
    if (receive_into(connection_, parser_, Clock::now() + wait, &waker_, surplus) == Progress::Ended) ended_ = true;
  } catch (const HttpError&) {
    ended_ = true;
    connection_.close();
    throw;
  }
  if (parser_.complete()) ended_ = true;
  if (ended_) connection_.close();
  return !ended_;
}

}  // namespace edgeguard::http
