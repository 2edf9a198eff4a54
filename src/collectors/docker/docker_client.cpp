#include "collectors/docker/docker_client.h"

#include <algorithm>
#include <cstring>
#include <mutex>

#include "collectors/docker/docker_parse.h"
#include "transport/http/client.h"
#include "transport/http/http_error.h"
#include "transport/http/response_stream.h"

namespace edgeguard::docker {
namespace {

constexpr size_t kMaxReplyBytes = 8 * 1024 * 1024;   // one inspect; IoT Edge labels can be large
constexpr size_t kMaxListBytes = 32 * 1024 * 1024;   // the container list
constexpr size_t kMaxErrorBodyBytes = 64 * 1024;

constexpr auto kConnectTimeout = std::chrono::milliseconds(5000);
constexpr size_t kMaxHeadBytes = 64 * 1024;

// "1.41" -> 1041, for comparing API versions; -1 if not such a version.
int api_number(std::string_view text) {
  const size_t dot = text.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 >= text.size()) return -1;
  int major = 0, minor = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (i == dot) continue;
    if (text[i] < '0' || text[i] > '9') return -1;
    int& part = i < dot ? major : minor;
    if (part > 100000) return -1;
    part = part * 10 + (text[i] - '0');
  }
  return major * 1000 + minor;
}

// The engine's {"message": "..."} error text, shortened; never the raw body otherwise.
std::string engine_message(const std::string& body) {
  try {
    const auto document = nlohmann::json::parse(body);
    if (document.is_object() && document.contains("message") && document["message"].is_string()) {
      std::string message = document["message"].get<std::string>();
      if (message.size() > 300) message = message.substr(0, 297) + "...";
      return message;
    }
  } catch (const std::exception&) {
  }
  return "no error message";
}

std::string transfer_error(const http::HttpError& error, const std::filesystem::path& socket) {
  if (error.kind() == http::HttpError::Kind::Connect) {
    return "cannot connect to the engine socket " + socket.string() +
           (error.os_error() != 0 ? std::string(": ") + std::strerror(error.os_error()) : std::string());
  }
  return std::string(error.what()) + " (engine socket " + socket.string() + ")";
}

http::Endpoint engine_endpoint(const std::filesystem::path& socket) { return http::Endpoint::unix_socket(socket.string()); }

}  // namespace

// ---------------------------------------------------------------------------------------------

DockerClient::DockerClient(std::filesystem::path socket, std::chrono::milliseconds timeout)
    : socket_(std::move(socket)), timeout_(timeout), http_(std::make_unique<http::Client>(engine_endpoint(socket_))) {}

DockerClient::~DockerClient() = default;

void DockerClient::set_socket(std::filesystem::path socket) {
  std::lock_guard lock(mutex_);
  if (socket != socket_) api_prefix_.clear();
  socket_ = std::move(socket);
  http_->set_endpoint(engine_endpoint(socket_));
}

std::filesystem::path DockerClient::socket() const {
  std::lock_guard lock(mutex_);
  return socket_;
}

DockerClient::Reply DockerClient::get(const std::string& target, std::chrono::milliseconds timeout, size_t max_bytes) {
  std::lock_guard lock(mutex_);
  http::RequestOptions options;
  options.timeout = timeout;
  options.connect_timeout = kConnectTimeout;
  options.limits.max_head_bytes = kMaxHeadBytes;
  options.limits.max_body_bytes = max_bytes;
  ++requests_;
  try {
    http::Response response = http_->send(http::Request{"GET", target, {}, {}}, options);
    return Reply{response.status, std::move(response.body)};
  } catch (const http::HttpError& error) {
    if (error.kind() == http::HttpError::Kind::TooLarge) throw DockerError("GET " + target + ": " + error.what());
    throw DockerError("GET " + target + ": " + transfer_error(error, socket_));
  }
}

std::string DockerClient::versioned(std::string_view path) const {
  std::lock_guard lock(mutex_);
  return api_prefix_ + std::string(path);
}

void DockerClient::fail_status(const std::string& target, const Reply& reply) const {
  throw DockerError("GET " + target + ": HTTP " + std::to_string(reply.status) + ": " + engine_message(reply.body));
}

EngineVersion DockerClient::version() {
  const std::string target = "/version";
  const Reply reply = get(target, timeout_, kMaxReplyBytes);
  if (reply.status != 200) fail_status(target, reply);
  EngineVersion version;
  try {
    version = parse_version(reply.body);
  } catch (const ParseError& error) {
    throw DockerError("GET " + target + ": malformed reply: " + error.what());
  }
  const int engine = api_number(version.api_version);
  if (engine < 0) throw DockerError("GET " + target + ": malformed reply: /ApiVersion: not a version number");
  if (engine < api_number(kMinApiVersion)) {
    throw DockerError("the engine speaks API " + version.api_version + ", older than the oldest supported (" +
                      std::string(kMinApiVersion) + ")");
  }
  const std::string chosen = engine < api_number(kMaxApiVersion) ? version.api_version : std::string(kMaxApiVersion);
  std::lock_guard lock(mutex_);
  api_prefix_ = "/v" + chosen;
  return version;
}

std::vector<ContainerSummary> DockerClient::list_containers() {
  const std::string target = versioned("/containers/json?all=1");
  const Reply reply = get(target, timeout_, kMaxListBytes);
  if (reply.status != 200) fail_status(target, reply);
  try {
    return parse_container_list(reply.body);
  } catch (const ParseError& error) {
    throw DockerError("GET " + target + ": malformed reply: " + error.what());
  }
}

std::optional<ContainerRecord> DockerClient::inspect_container(std::string_view id,
                                                               std::optional<std::chrono::milliseconds> timeout) {
  if (!is_safe_object_id(id)) throw DockerError("not a container id: \"" + std::string(id.substr(0, 80)) + "\"");
  const std::string target = versioned("/containers/" + std::string(id) + "/json");
  const Reply reply = get(target, timeout.value_or(timeout_), kMaxReplyBytes);
  if (reply.status == 404) return std::nullopt;
  if (reply.status != 200) fail_status(target, reply);
  try {
    return parse_container_inspect(reply.body);
  } catch (const ParseError& error) {
    throw DockerError("GET " + target + ": malformed reply: " + error.what());
  }
}

std::optional<ExecDetails> DockerClient::inspect_exec(std::string_view id) {
  if (!is_safe_object_id(id)) throw DockerError("not an exec id: \"" + std::string(id.substr(0, 80)) + "\"");
  const std::string target = versioned("/exec/" + std::string(id) + "/json");
  const Reply reply = get(target, timeout_, kMaxReplyBytes);
  if (reply.status == 404) return std::nullopt;
  if (reply.status != 200) fail_status(target, reply);
  try {
    return parse_exec_inspect(reply.body);
  } catch (const ParseError& error) {
    throw DockerError("GET " + target + ": malformed reply: " + error.what());
  }
}

std::optional<std::vector<std::string>> DockerClient::image_repo_digests(std::string_view image_id) {
  if (!is_safe_object_id(image_id)) throw DockerError("not an image id: \"" + std::string(image_id.substr(0, 80)) + "\"");
  const std::string target = versioned("/images/" + std::string(image_id) + "/json");
  const Reply reply = get(target, timeout_, kMaxReplyBytes);
  if (reply.status == 404) return std::nullopt;
  if (reply.status != 200) fail_status(target, reply);
  try {
    return parse_image_repo_digests(reply.body);
  } catch (const ParseError& error) {
    throw DockerError("GET " + target + ": malformed reply: " + error.what());
  }
}

std::string DockerClient::events_target(int64_t since_ns) const {
  // filters={"type":["container"],"event":[...]}, URL-encoded. exec_create/exec_start match
  // the engine's "exec_create: <command>" actions by prefix.
  static const std::string filters =
      "%7B%22type%22%3A%5B%22container%22%5D%2C%22event%22%3A%5B%22create%22%2C%22start%22%2C%22die%22%2C"
      "%22destroy%22%2C%22oom%22%2C%22rename%22%2C%22update%22%2C%22exec_create%22%2C%22exec_start%22%5D%7D";
  std::string target = versioned("/events") + "?filters=" + filters;
  if (since_ns > 0) {
    const int64_t seconds = since_ns / 1000000000LL;
    std::string nanos = std::to_string(since_ns % 1000000000LL);
    nanos.insert(0, 9 - nanos.size(), '0');
    target += "&since=" + std::to_string(seconds) + "." + nanos;
  }
  return target;
}

// ---------------------------------------------------------------------------------------------

EventStream::EventStream(std::filesystem::path socket, std::string target, size_t max_line_bytes)
    : socket_(std::move(socket)), target_(std::move(target)), max_line_bytes_(max_line_bytes) {
  http::ResponseLimits limits;
  limits.max_head_bytes = kMaxHeadBytes;
  limits.max_body_bytes = http::ResponseLimits::kUnlimited;
  try {
    stream_ = std::make_unique<http::ResponseStream>(engine_endpoint(socket_), http::Request{"GET", target_, {}, {}}, limits);
  } catch (const http::HttpError& error) {
    throw DockerError("GET " + target_ + ": " + error.what());
  }
}

EventStream::~EventStream() = default;

void EventStream::wake() { stream_->wake(); }

void EventStream::take_lines() {
  std::string& body = stream_->response().body();
  std::string_view chunk(body);
  while (!chunk.empty()) {
    const size_t newline = chunk.find('\n');
    const std::string_view piece = chunk.substr(0, newline);
    if (!discarding_) {
      if (partial_.size() + piece.size() > max_line_bytes_) {
        partial_.clear();
        discarding_ = true;
        pending_.emplace_back(std::string(), true);
      } else {
        partial_.append(piece);
      }
    }
    if (newline == std::string_view::npos) break;
    if (!discarding_ && !partial_.empty()) {
      std::string line;
      line.swap(partial_);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (!line.empty()) pending_.emplace_back(std::move(line), false);
    }
    discarding_ = false;
    chunk.remove_prefix(newline + 1);
  }
  body.clear();
}

bool EventStream::open(const std::atomic<bool>& stop, std::chrono::milliseconds timeout) {
  const auto start = http::Clock::now();
  const auto deadline = start + timeout;
  try {
    if (!stream_->open(stop, start + std::min(timeout, kConnectTimeout), deadline)) return false;
  } catch (const http::HttpError& error) {
    if (error.kind() == http::HttpError::Kind::Timeout) {
      throw DockerError("GET " + target_ + ": no answer within " + std::to_string(timeout.count()) + " ms");
    }
    throw DockerError("GET " + target_ + ": " + transfer_error(error, socket_));
  }
  auto& response = stream_->response();
  if (response.status() != 200) {
    // Read the (short) error body to say what the engine objected to.
    try {
      while (!stream_->ended() && response.body_bytes() < kMaxErrorBodyBytes && !stop.load()) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - http::Clock::now());
        if (left.count() <= 0) break;
        stream_->read(left);
      }
    } catch (const http::HttpError&) {
      // What arrived is still worth showing.
    }
    throw DockerError("GET " + target_ + ": HTTP " + std::to_string(response.status()) + ": " +
                      engine_message(response.body().substr(0, kMaxErrorBodyBytes)));
  }
  take_lines();
  return true;
}

EventStream::End EventStream::follow(const std::atomic<bool>& stop,
                                     const std::function<void(std::string_view, bool)>& on_line, std::string& why) {
  while (true) {
    if (!pending_.empty()) {
      std::vector<std::pair<std::string, bool>> lines;
      lines.swap(pending_);
      for (const auto& [line, oversized] : lines) {
        if (stop.load()) return End::Stopped;
        on_line(line, oversized);
      }
    }
    if (stop.load()) return End::Stopped;
    if (stream_->ended()) {
      why = broke_.empty() ? "the engine ended the event stream" : "the event stream broke: " + broke_;
      return End::Closed;
    }
    try {
      stream_->read(std::chrono::milliseconds(1000));
    } catch (const http::HttpError& error) {
      broke_ = error.what();
    }
    take_lines();
  }
}

}  // namespace edgeguard::docker
