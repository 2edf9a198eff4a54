#pragma once
// A stand-in for the Docker engine on a unix socket, for what a real engine never does (reply
// with malformed JSON, break an event line). Real-engine behaviour is tested against dockerd in
// tests/integration/test_docker_engine.cpp. HTTP/1.1 with keep-alive; GET /v*/events streams
// whatever push_event() sends until close_streams().
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace edgeguard::test {

class EngineStandin {
 public:
  struct Reply {
    int status = 200;
    std::string body;
  };
  // Keyed by the path without the API version prefix and query ("/containers/json").
  using Handler = std::function<Reply(const std::string& path)>;

  explicit EngineStandin(std::filesystem::path socket) : socket_(std::move(socket)) {
    listener_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const std::string path = socket_.string();
    if (path.size() >= sizeof(address.sun_path)) throw std::runtime_error("socket path too long");
    std::copy(path.begin(), path.end(), address.sun_path);
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 || ::listen(listener_, 16) != 0) {
      throw std::runtime_error("cannot listen on " + path);
    }
    acceptor_ = std::thread([this] { accept_loop(); });
  }

  ~EngineStandin() {
    stopping_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    if (acceptor_.joinable()) acceptor_.join();
    close_streams();
    std::vector<std::thread> workers;
    std::vector<int> finished_streams;
    {
      std::lock_guard lock(mutex_);
      for (int fd : connections_) ::shutdown(fd, SHUT_RDWR);
      workers.swap(workers_);
      finished_streams.swap(closed_streams_);
    }
    for (auto& worker : workers) worker.join();
    for (int fd : finished_streams) ::close(fd);
    std::error_code ec;
    std::filesystem::remove(socket_, ec);
  }

  void on(const std::string& path, Handler handler) {
    std::lock_guard lock(mutex_);
    handlers_[path] = std::move(handler);
  }
  void on(const std::string& path, int status, std::string body) {
    on(path, [status, body](const std::string&) { return Reply{status, body}; });
  }
  // Every path that begins with `prefix` (e.g. "/containers/") and has no exact handler.
  void on_prefix(const std::string& prefix, Handler handler) {
    std::lock_guard lock(mutex_);
    prefix_handlers_[prefix] = std::move(handler);
  }

  // Blocks while the reader is not reading (as a real engine's writes do), so no lock is held.
  void push_event(const std::string& text) {
    std::vector<int> streams;
    {
      std::lock_guard lock(mutex_);
      streams = streams_;
    }
    for (int fd : streams) write_all(fd, text);
  }
  void close_streams() {
    std::lock_guard lock(mutex_);
    for (int fd : streams_) {
      ::shutdown(fd, SHUT_RDWR);
      closed_streams_.push_back(fd);
    }
    streams_.clear();
  }
  size_t open_streams() {
    std::lock_guard lock(mutex_);
    return streams_.size();
  }
  size_t requests(const std::string& path) {
    std::lock_guard lock(mutex_);
    return counts_[path];
  }

 private:
  static void write_all(int fd, const std::string& text) {
    size_t done = 0;
    while (done < text.size()) {
      const ssize_t n = ::send(fd, text.data() + done, text.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return;
      done += static_cast<size_t>(n);
    }
  }

  void accept_loop() {
    while (!stopping_) {
      const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        if (stopping_) return;
        continue;
      }
      std::lock_guard lock(mutex_);
      connections_.push_back(fd);
      workers_.emplace_back([this, fd] { serve(fd); });
    }
  }

  void serve(int fd) {
    std::string buffer;
    char chunk[4096];
    while (true) {
      const size_t end = buffer.find("\r\n\r\n");
      if (end == std::string::npos) {
        const ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
        if (n <= 0) break;
        buffer.append(chunk, static_cast<size_t>(n));
        continue;
      }
      const std::string request = buffer.substr(0, end);
      buffer.erase(0, end + 4);
      const size_t first_space = request.find(' ');
      const size_t second_space = request.find(' ', first_space + 1);
      std::string target = request.substr(first_space + 1, second_space - first_space - 1);
      std::string path = target.substr(0, target.find('?'));
      if (path.rfind("/v1.", 0) == 0) path = path.substr(path.find('/', 1));
      if (path == "/events") {
        // Answered and registered in one step: once the client has the answer, push_event()
        // and close_streams() reach this stream (events pushed in between would be lost).
        std::lock_guard lock(mutex_);
        ++counts_[path];
        write_all(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n");
        connections_.erase(std::remove(connections_.begin(), connections_.end(), fd), connections_.end());
        streams_.push_back(fd);
        return;  // the fd stays open until close_streams()
      }
      Handler handler;
      {
        std::lock_guard lock(mutex_);
        ++counts_[path];
        const auto it = handlers_.find(path);
        if (it != handlers_.end()) {
          handler = it->second;
        } else {
          for (const auto& [prefix, candidate] : prefix_handlers_) {
            if (path.rfind(prefix, 0) == 0) handler = candidate;
          }
        }
      }
      const Reply reply = handler ? handler(path) : Reply{404, R"({"message":"page not found"})"};
      write_all(fd, "HTTP/1.1 " + std::to_string(reply.status) + " X\r\nContent-Type: application/json\r\nContent-Length: " +
                        std::to_string(reply.body.size()) + "\r\n\r\n" + reply.body);
    }
    std::lock_guard lock(mutex_);
    connections_.erase(std::remove(connections_.begin(), connections_.end(), fd), connections_.end());
    ::close(fd);
  }

  std::filesystem::path socket_;
  int listener_ = -1;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::mutex mutex_;
  std::map<std::string, Handler> handlers_;
  std::map<std::string, Handler> prefix_handlers_;
  std::map<std::string, size_t> counts_;
  std::vector<int> connections_;
  std::vector<int> streams_;
  std::vector<int> closed_streams_;
  std::vector<std::thread> workers_;
};

}  // namespace edgeguard::test
