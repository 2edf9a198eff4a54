#include "collectors/docker/docker_client.h"

#include <curl/curl.h>

#include <cstring>
#include <mutex>

#include "collectors/docker/docker_parse.h"

namespace edgeguard::docker {
namespace {

constexpr size_t kMaxReplyBytes = 8 * 1024 * 1024;   // one inspect; IoT Edge labels can be large
constexpr size_t kMaxListBytes = 32 * 1024 * 1024;   // the container list
constexpr size_t kMaxErrorBodyBytes = 64 * 1024;

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Capture {
  std::string* out;
  size_t limit;
  bool overflow = false;
};

size_t capture(char* data, size_t size, size_t count, void* user) {
  auto* capture = static_cast<Capture*>(user);
  const size_t bytes = size * count;
  if (capture->out->size() + bytes > capture->limit) {
    capture->overflow = true;
    return 0;  // makes curl stop with CURLE_WRITE_ERROR
  }
  capture->out->append(data, bytes);
  return bytes;
}

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

std::string transfer_error(CURL* curl, CURLcode code, const char* error_buffer, const std::filesystem::path& socket) {
  if (code == CURLE_COULDNT_CONNECT) {
    long os_errno = 0;
    curl_easy_getinfo(curl, CURLINFO_OS_ERRNO, &os_errno);
    return "cannot connect to the engine socket " + socket.string() +
           (os_errno != 0 ? std::string(": ") + std::strerror(static_cast<int>(os_errno)) : std::string());
  }
  const std::string detail = error_buffer[0] != '\0' ? std::string(error_buffer) : curl_easy_strerror(code);
  return detail + " (engine socket " + socket.string() + ")";
}

void set_common_options(CURL* curl, const std::filesystem::path& socket, const std::string& target, char* error_buffer) {
  curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, socket.c_str());
  const std::string url = "http://localhost" + target;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  error_buffer[0] = '\0';
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
}

}  // namespace

// ---------------------------------------------------------------------------------------------

DockerClient::DockerClient(std::filesystem::path socket, std::chrono::milliseconds timeout)
    : socket_(std::move(socket)), timeout_(timeout) {
  init_curl_once();
  curl_ = curl_easy_init();
  if (!curl_) throw DockerError("libcurl could not create a handle");
}

DockerClient::~DockerClient() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

void DockerClient::set_socket(std::filesystem::path socket) {
  std::lock_guard lock(mutex_);
  if (socket != socket_) api_prefix_.clear();
  socket_ = std::move(socket);
}

std::filesystem::path DockerClient::socket() const {
  std::lock_guard lock(mutex_);
  return socket_;
}

DockerClient::Reply DockerClient::get(const std::string& target, std::chrono::milliseconds timeout, size_t max_bytes) {
  std::lock_guard lock(mutex_);
  auto* curl = static_cast<CURL*>(curl_);
  char error_buffer[CURL_ERROR_SIZE];
  set_common_options(curl, socket_, target, error_buffer);
  Reply reply;
  Capture sink{&reply.body, max_bytes};
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, capture);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, nullptr);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(std::min<int64_t>(timeout.count(), 5000)));
  ++requests_;
  const CURLcode code = curl_easy_perform(curl);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, nullptr);
  if (sink.overflow) {
    throw DockerError("GET " + target + ": the reply is larger than " + std::to_string(max_bytes) + " bytes");
  }
  if (code != CURLE_OK) throw DockerError("GET " + target + ": " + transfer_error(curl, code, error_buffer, socket_));
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  return reply;
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
  init_curl_once();
  multi_ = curl_multi_init();
  easy_ = curl_easy_init();
  if (!multi_ || !easy_) {
    if (easy_) curl_easy_cleanup(static_cast<CURL*>(easy_));
    if (multi_) curl_multi_cleanup(static_cast<CURLM*>(multi_));
    throw DockerError("libcurl could not create a handle");
  }
  auto* curl = static_cast<CURL*>(easy_);
  set_common_options(curl, socket_, target_, error_buffer_);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, this);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, this);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  curl_multi_add_handle(static_cast<CURLM*>(multi_), curl);
}

EventStream::~EventStream() {
  curl_multi_remove_handle(static_cast<CURLM*>(multi_), static_cast<CURL*>(easy_));
  curl_easy_cleanup(static_cast<CURL*>(easy_));
  curl_multi_cleanup(static_cast<CURLM*>(multi_));
}

void EventStream::wake() { curl_multi_wakeup(static_cast<CURLM*>(multi_)); }

size_t EventStream::on_header(char* data, size_t size, size_t count, void* self) {
  auto* stream = static_cast<EventStream*>(self);
  const size_t bytes = size * count;
  if (bytes <= 2 && (bytes == 0 || data[0] == '\r' || data[0] == '\n')) {
    long status = 0;
    curl_easy_getinfo(static_cast<CURL*>(stream->easy_), CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200) stream->headers_done_ = true;  // not an interim 1xx answer
  }
  return bytes;
}

size_t EventStream::on_data(char* data, size_t size, size_t count, void* self) {
  auto* stream = static_cast<EventStream*>(self);
  const size_t bytes = size * count;
  long status = 0;
  curl_easy_getinfo(static_cast<CURL*>(stream->easy_), CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) {
    const size_t room = kMaxErrorBodyBytes - std::min(kMaxErrorBodyBytes, stream->error_body_.size());
    stream->error_body_.append(data, std::min(room, bytes));
    return bytes;
  }
  std::string_view chunk(data, bytes);
  while (!chunk.empty()) {
    const size_t newline = chunk.find('\n');
    const std::string_view piece = chunk.substr(0, newline);
    if (!stream->discarding_) {
      if (stream->partial_.size() + piece.size() > stream->max_line_bytes_) {
        stream->partial_.clear();
        stream->discarding_ = true;
        stream->pending_.emplace_back(std::string(), true);
      } else {
        stream->partial_.append(piece);
      }
    }
    if (newline == std::string_view::npos) break;
    if (!stream->discarding_ && !stream->partial_.empty()) {
      std::string line;
      line.swap(stream->partial_);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (!line.empty()) stream->pending_.emplace_back(std::move(line), false);
    }
    stream->discarding_ = false;
    chunk.remove_prefix(newline + 1);
  }
  return bytes;
}

bool EventStream::pump(const std::atomic<bool>& stop, int wait_ms) {
  auto* multi = static_cast<CURLM*>(multi_);
  int running = 0;
  curl_multi_perform(multi, &running);
  int left = 0;
  while (CURLMsg* message = curl_multi_info_read(multi, &left)) {
    if (message->msg == CURLMSG_DONE) {
      done_ = true;
      result_ = message->data.result;
    }
  }
  if (done_) return false;
  if (!stop.load() && pending_.empty()) curl_multi_poll(multi, nullptr, 0, wait_ms, nullptr);
  return true;
}

bool EventStream::open(const std::atomic<bool>& stop, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!headers_done_ && !done_) {
    if (stop.load()) return false;
    if (std::chrono::steady_clock::now() > deadline) {
      throw DockerError("GET " + target_ + ": no answer within " + std::to_string(timeout.count()) + " ms");
    }
    pump(stop, 100);
  }
  auto* curl = static_cast<CURL*>(easy_);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  if (!headers_done_) {
    throw DockerError("GET " + target_ + ": " + transfer_error(curl, static_cast<CURLcode>(result_), error_buffer_, socket_));
  }
  if (status != 200) {
    // Read the (short) error body to say what the engine objected to.
    while (!done_ && std::chrono::steady_clock::now() < deadline && !stop.load()) pump(stop, 100);
    throw DockerError("GET " + target_ + ": HTTP " + std::to_string(status) + ": " + engine_message(error_body_));
  }
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
    if (done_) {
      const auto code = static_cast<CURLcode>(result_);
      why = code == CURLE_OK ? "the engine ended the event stream"
                             : std::string("the event stream broke: ") +
                                   (error_buffer_[0] != '\0' ? error_buffer_ : curl_easy_strerror(code));
      return End::Closed;
    }
    pump(stop, 1000);
  }
}

}  // namespace edgeguard::docker
