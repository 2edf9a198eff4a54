#pragma once
// Lets one thread interrupt another's poll(): wake() makes fd() readable until drain().
namespace edgeguard::http {

class Waker {
 public:
  Waker();  // throws HttpError (Io) if the kernel gives no eventfd
  ~Waker();
  Waker(const Waker&) = delete;
  Waker& operator=(const Waker&) = delete;

  void wake();   // thread-safe, async-signal-safe
  void drain();  // by the waiting thread, before it looks at why it was woken
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

}  // namespace edgeguard::http
