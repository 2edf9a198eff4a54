#pragma once
// A client of the Docker Engine API over its unix socket (HTTP/1.1): version, container
// list and inspect, exec and image inspect, and the streaming /events endpoint. Plain HTTP on a
// local socket: no TLS, no network, no listening port.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/docker/docker_model.h"

namespace edgeguard::http {
class Client;
class ResponseStream;
}  // namespace edgeguard::http

namespace edgeguard::docker {

// The engine could not be asked or gave an unusable answer. The message names the endpoint
// and, for a malformed reply, the JSON location.
class DockerError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class DockerClient {
 public:
  // The newest API version this client speaks; older engines are spoken to in their version.
  static constexpr std::string_view kMaxApiVersion = "1.41";
  // Older than this lacks fields the collector relies on (e.g. timeNano in events).
  static constexpr std::string_view kMinApiVersion = "1.25";

  DockerClient(std::filesystem::path socket, std::chrono::milliseconds timeout);
  ~DockerClient();
  DockerClient(const DockerClient&) = delete;
  DockerClient& operator=(const DockerClient&) = delete;

  void set_socket(std::filesystem::path socket);
  std::filesystem::path socket() const;

  // GET /version. Also chooses the API version the other calls use.
  EngineVersion version();
  // GET /containers/json?all=1
  std::vector<ContainerSummary> list_containers();
  // GET /containers/{id}/json; nullopt when the engine knows no such container.
  std::optional<ContainerRecord> inspect_container(std::string_view id,
                                                   std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  // GET /exec/{id}/json; nullopt when the exec instance is gone.
  std::optional<ExecDetails> inspect_exec(std::string_view id);
  // RepoDigests of GET /images/{id}/json; nullopt when the image is gone.
  std::optional<std::vector<std::string>> image_repo_digests(std::string_view image_id);

  // The versioned path and query of the event stream from `since_ns` (container events only).
  std::string events_target(int64_t since_ns) const;
  // How many requests this client sent to the engine (tests and benchmarks count them).
  uint64_t requests() const { return requests_.load(); }

 private:
  struct Reply {
    long status = 0;
    std::string body;
  };
  // One request; throws DockerError when there is no usable HTTP reply.
  Reply get(const std::string& target, std::chrono::milliseconds timeout, size_t max_bytes);
  std::string versioned(std::string_view path) const;
  [[noreturn]] void fail_status(const std::string& target, const Reply& reply) const;

  mutable std::mutex mutex_;  // one request at a time on the shared connection
  std::filesystem::path socket_;
  std::string api_prefix_;  // "/v1.41", empty until version() ran
  std::chrono::milliseconds timeout_;
  std::unique_ptr<http::Client> http_;  // keeps the connection to the engine between requests
  std::atomic<uint64_t> requests_{0};
};

// The long-lived GET /events response, read line by line. One thread drives it; wake() may be
// called from any other thread to make follow() return promptly.
class EventStream {
 public:
  EventStream(std::filesystem::path socket, std::string target, size_t max_line_bytes);
  ~EventStream();
  EventStream(const EventStream&) = delete;
  EventStream& operator=(const EventStream&) = delete;

  // Connects and waits for the engine's 200 answer (lines that already arrived are kept for
  // follow()). Throws DockerError naming the endpoint if that fails. False if stop was asked.
  bool open(const std::atomic<bool>& stop, std::chrono::milliseconds timeout);

  enum class End { Stopped, Closed };
  // Hands every complete line to on_line until `stop` is set (Stopped) or the engine ends the
  // response (Closed: engine stopped or restarting; `why` says how). Lines longer than the
  // limit are passed as an empty view with oversized = true.
  End follow(const std::atomic<bool>& stop, const std::function<void(std::string_view line, bool oversized)>& on_line,
             std::string& why);

  // Makes a blocked open()/follow() look at its stop flag now. Thread-safe.
  void wake();

 private:
  // Moves the body that arrived into complete lines (pending_) and the rest (partial_).
  void take_lines();

  std::filesystem::path socket_;
  std::string target_;
  size_t max_line_bytes_;
  std::unique_ptr<http::ResponseStream> stream_;
  std::string partial_;      // bytes after the last newline
  bool discarding_ = false;  // inside an oversized line
  std::vector<std::pair<std::string, bool>> pending_;  // complete lines not yet handed out
  std::string broke_;  // why the stream broke, if it did not simply end
};

}  // namespace edgeguard::docker
