#include "transport/http/waker.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

#include "transport/http/http_error.h"

namespace edgeguard::http {

Waker::Waker() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (fd_ < 0) {
    const int error = errno;
    throw HttpError(HttpError::Kind::Io, std::string("eventfd: ") + std::strerror(error), error);
  }
}

Waker::~Waker() { ::close(fd_); }

void Waker::wake() {
  const uint64_t one = 1;
  // Only fails when the counter is saturated, which still leaves it readable.
  [[maybe_unused]] const ssize_t written = ::write(fd_, &one, sizeof(one));
}

void Waker::drain() {
  uint64_t count = 0;
  [[maybe_unused]] const ssize_t got = ::read(fd_, &count, sizeof(count));
}

}  // namespace edgeguard::http
