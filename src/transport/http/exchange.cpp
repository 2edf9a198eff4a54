#include "transport/http/exchange.h"

#include <string>

#include "transport/http/http_error.h"

namespace edgeguard::http {

void send_all(Connection& connection, std::string_view bytes, Clock::time_point deadline, std::chrono::milliseconds timeout) {
  while (!bytes.empty()) {
    if (const auto sent = connection.send_some(bytes)) {
      bytes.remove_prefix(*sent);
      continue;
    }
    if (connection.wait_writable(deadline, nullptr) == Connection::Ready::TimedOut) {
      throw HttpError(HttpError::Kind::Timeout,
                      "could not send the request to " + connection.peer() + " within " + std::to_string(timeout.count()) + " ms");
    }
  }
}

Progress receive_into(Connection& connection, ResponseParser& parser, Clock::time_point until, Waker* waker,
                      bool& surplus) {
  char buffer[16 * 1024];
  while (true) {
    const auto got = connection.receive_some(buffer, sizeof(buffer));
    if (got && *got == 0) {
      parser.finish();
      return Progress::Ended;
    }
    if (got) {
      if (parser.feed(std::string_view(buffer, *got)) < *got) surplus = true;
      return Progress::Data;
    }
    switch (connection.wait_readable(until, waker)) {
      case Connection::Ready::Yes:
        break;
      case Connection::Ready::TimedOut:
        return Progress::TimedOut;
      case Connection::Ready::Woken:
        waker->drain();
        return Progress::Woken;
    }
  }
}

}  // namespace edgeguard::http
