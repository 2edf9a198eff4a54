#pragma once
// The two halves of one request/response on a Connection, shared by Client and ResponseStream.
#include <chrono>
#include <string_view>

#include "transport/http/connection.h"
#include "transport/http/response_parser.h"

namespace edgeguard::http {

// Writes all of `bytes` by `deadline`. Throws HttpError: Timeout (naming `timeout`), Closed
// (the peer closed or reset the connection), Io.
void send_all(Connection& connection, std::string_view bytes, Clock::time_point deadline, std::chrono::milliseconds timeout);

enum class Progress {
  Data,      // bytes arrived and went to the parser
  Ended,     // the peer closed the connection; the parser was told (and threw if that broke the response)
  TimedOut,  // nothing arrived by `until`
  Woken,     // the waker fired (it is drained)
};
// Waits until `until` for more of the response and feeds what arrived to `parser`. Bytes after
// the end of the response set `surplus` (the connection cannot be reused then).
Progress receive_into(Connection& connection, ResponseParser& parser, Clock::time_point until, Waker* waker,
                      bool& surplus);

}  // namespace edgeguard::http
