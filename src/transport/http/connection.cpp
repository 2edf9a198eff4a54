#include "transport/http/connection.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <memory>
#include <utility>

#include "transport/http/http_error.h"

namespace edgeguard::http {
namespace {

constexpr auto kBacklogRetry = std::chrono::milliseconds(10);

std::string os_text(int error) { return std::strerror(error); }

int poll_timeout_ms(Clock::time_point until) {
  const auto left = until - Clock::now();
  if (left <= Clock::duration::zero()) return 0;
  // Rounded up, so a wait never ends just before its deadline and spins.
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return static_cast<int>(std::min<int64_t>(ms, INT_MAX));
}

// Waits for `events` on `fd` (none when fd is -1: a plain sleep) until `until` or the waker.
Connection::Ready poll_for(int fd, short events, Clock::time_point until, const Waker* waker) {
  pollfd entries[2] = {{fd, events, 0}, {waker ? waker->fd() : -1, POLLIN, 0}};
  while (true) {
    const int result = ::poll(entries, 2, poll_timeout_ms(until));
    if (result < 0) {
      if (errno == EINTR) continue;
      return Connection::Ready::Yes;  // let the next read or write report the problem
    }
    if (entries[1].revents != 0) return Connection::Ready::Woken;
    if (entries[0].revents != 0) return Connection::Ready::Yes;
    if (Clock::now() >= until) return Connection::Ready::TimedOut;
  }
}

}  // namespace

Connection::~Connection() { close(); }

Connection::Connection(Connection&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), peer_(std::move(other.peer_)) {}

Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    peer_ = std::move(other.peer_);
  }
  return *this;
}

void Connection::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool Connection::connect(const Endpoint& endpoint, Clock::time_point deadline, const Waker* waker) {
  close();
  peer_ = endpoint.describe();
  const auto failed = [&](int error) {
    return HttpError(HttpError::Kind::Connect, "cannot connect to " + peer_ + ": " + os_text(error), error);
  };
  if (endpoint.is_unix()) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (endpoint.path.empty() || endpoint.path.size() >= sizeof(address.sun_path)) throw failed(ENAMETOOLONG);
    std::copy(endpoint.path.begin(), endpoint.path.end(), address.sun_path);
    const int result = connect_address(AF_UNIX, &address, sizeof(address), true, deadline, waker);
    if (result > 0) throw failed(result);
    return result == 0;
  }

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const int resolved = ::getaddrinfo(endpoint.host.c_str(), std::to_string(endpoint.port).c_str(), &hints, &found);
  if (resolved != 0) {
    throw HttpError(HttpError::Kind::Connect, "cannot resolve " + peer_ + ": " + ::gai_strerror(resolved),
                    resolved == EAI_SYSTEM ? errno : 0);
  }
  const std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses(found, ::freeaddrinfo);
  int last_error = EHOSTUNREACH;
  for (const addrinfo* candidate = found; candidate; candidate = candidate->ai_next) {
    const int result = connect_address(candidate->ai_family, candidate->ai_addr, candidate->ai_addrlen, false, deadline, waker);
    if (result <= 0) return result == 0;
    last_error = result;
    if (result == ETIMEDOUT) break;  // the time is used up, for the other addresses too
  }
  throw failed(last_error);
}

int Connection::connect_address(int family, const void* address, unsigned length, bool is_unix,
                                Clock::time_point deadline, const Waker* waker) {
  fd_ = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return errno;
  const auto give_up = [this](int error) {
    close();
    return error;
  };
  while (true) {
    if (::connect(fd_, static_cast<const sockaddr*>(address), length) == 0) break;
    const int error = errno;
    if (is_unix && error == EAGAIN) {
      // A unix socket whose listen backlog is full: unlike TCP, the attempt does not go on by
      // itself; try again shortly.
      const auto until = std::min(deadline, Clock::now() + kBacklogRetry);
      if (poll_for(-1, 0, until, waker) == Ready::Woken) return give_up(-1);
      if (Clock::now() >= deadline) return give_up(ETIMEDOUT);
      continue;
    }
    if (error != EINPROGRESS && error != EINTR) return give_up(error);
    const Ready ready = wait(false, deadline, waker);
    if (ready == Ready::Woken) return give_up(-1);
    if (ready == Ready::TimedOut) return give_up(ETIMEDOUT);
    int pending = 0;
    socklen_t size = sizeof(pending);
    if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &pending, &size) != 0) return give_up(errno);
    if (pending != 0) return give_up(pending);
    break;
  }
  if (!is_unix) {
    // Requests go out in one write; do not let them wait for an ACK of the previous one.
    const int on = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
  }
  return 0;
}

bool Connection::idle_usable() const {
  if (fd_ < 0) return false;
  pollfd entry{fd_, POLLIN, 0};
  const int result = ::poll(&entry, 1, 0);
  return result == 0;  // readable (end of file, data) or an error: not usable
}

Connection::Ready Connection::wait(bool readable, Clock::time_point until, const Waker* waker) const {
  return poll_for(fd_, readable ? POLLIN : POLLOUT, until, waker);
}

std::optional<size_t> Connection::send_some(std::string_view data) {
  while (true) {
    const ssize_t sent = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (sent >= 0) return static_cast<size_t>(sent);
    const int error = errno;
    if (error == EINTR) continue;
    if (error == EAGAIN || error == EWOULDBLOCK) return std::nullopt;
    const auto kind = error == EPIPE || error == ECONNRESET ? HttpError::Kind::Closed : HttpError::Kind::Io;
    throw HttpError(kind, "writing to " + peer_ + ": " + os_text(error), error);
  }
}

std::optional<size_t> Connection::receive_some(char* buffer, size_t size) {
  while (true) {
    const ssize_t got = ::recv(fd_, buffer, size, 0);
    if (got >= 0) return static_cast<size_t>(got);
    const int error = errno;
    if (error == EINTR) continue;
    if (error == EAGAIN || error == EWOULDBLOCK) return std::nullopt;
    if (error == ECONNRESET) return 0;  // the response framing tells whether that was an end or a break
    throw HttpError(HttpError::Kind::Io, "reading from " + peer_ + ": " + os_text(error), error);
  }
}

}  // namespace edgeguard::http
