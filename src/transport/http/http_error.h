#pragma once
// What went wrong with an HTTP exchange, sorted so callers can phrase it for their endpoint and
// decide whether to retry. The message never contains request or response bodies.
#include <stdexcept>
#include <string>

namespace edgeguard::http {

class HttpError : public std::runtime_error {
 public:
  enum class Kind {
    Connect,    // the endpoint could not be reached (os_error says why)
    Timeout,    // no complete answer by the deadline
    Closed,     // the peer closed or reset the connection before any byte of the response
    Io,         // a read or write failed (os_error says why)
    Truncated,  // the peer closed the connection in the middle of the response
    Protocol,   // the response is not well-formed HTTP/1.x
    TooLarge,   // the response head or body exceeds its limit
  };

  HttpError(Kind kind, const std::string& message, int os_error = 0)
      : std::runtime_error(message), kind_(kind), os_error_(os_error) {}

  Kind kind() const { return kind_; }
  int os_error() const { return os_error_; }

 private:
  Kind kind_;
  int os_error_;
};

}  // namespace edgeguard::http
