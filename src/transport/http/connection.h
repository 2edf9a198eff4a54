#pragma once
// One nonblocking stream socket to an Endpoint: connect, send and receive without ever
// blocking, and wait() with poll() until the socket is ready, a deadline passes, or a Waker
// fires. Errors are HttpError naming the endpoint and the errno text.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "transport/http/endpoint.h"
#include "transport/http/waker.h"

namespace edgeguard::http {

using Clock = std::chrono::steady_clock;

class Connection {
 public:
  Connection() = default;
  ~Connection();
  Connection(Connection&& other) noexcept;
  Connection& operator=(Connection&& other) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Connects by `deadline` (a TCP host name is resolved first). False if `waker` fired before
  // the connection was made (nothing is then open). Throws HttpError (Connect) naming the
  // endpoint and why, ETIMEDOUT past the deadline.
  bool connect(const Endpoint& endpoint, Clock::time_point deadline, const Waker* waker = nullptr);
  bool is_open() const { return fd_ >= 0; }
  void close();

  // For a connection kept between requests: false if the peer closed it (or sent something
  // nobody asked for) since the last response.
  bool idle_usable() const;

  enum class Ready { Yes, TimedOut, Woken };
  // Waits until the socket is readable (or writable), `until` passes, or `waker` fires.
  Ready wait_readable(Clock::time_point until, const Waker* waker) const { return wait(true, until, waker); }
  Ready wait_writable(Clock::time_point until, const Waker* waker) const { return wait(false, until, waker); }

  // What could be written now; nullopt if nothing could. Throws HttpError: Closed when the peer
  // closed or reset the connection, else Io.
  std::optional<size_t> send_some(std::string_view data);
  // What could be read now, 0 once the peer closed (or reset) the connection; nullopt if
  // nothing is there yet. Throws HttpError (Io).
  std::optional<size_t> receive_some(char* buffer, size_t size);

  // "unix socket /run/docker.sock" or "host:port", for messages.
  const std::string& peer() const { return peer_; }

 private:
  Ready wait(bool readable, Clock::time_point until, const Waker* waker) const;
  // 0 when connected, -1 when woken, else the errno of the failure.
  int connect_address(int family, const void* address, unsigned length, bool is_unix, Clock::time_point deadline,
                      const Waker* waker);

  int fd_ = -1;
  std::string peer_;
};

}  // namespace edgeguard::http
