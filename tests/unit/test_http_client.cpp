// The HTTP client and the response stream against a scripted server on a unix socket or a
// loopback port: keep-alive reuse, the one transparent retry on a closed idle connection,
// timeouts, errors that name the endpoint, and wake() from another thread.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "../support/temp_dir.h"
#include "core/strings.h"
#include "transport/http/client.h"
#include "transport/http/http_error.h"
#include "transport/http/request.h"
#include "transport/http/response_stream.h"

using namespace edgeguard;
using namespace edgeguard::http;
using namespace std::chrono_literals;

namespace {

// Answers each request as the script says. One thread per connection, blocking I/O.
class ScriptedServer {
 public:
  struct Answer {
    std::string bytes;        // sent as they are
    bool close_after = false;  // close the connection after sending them
    bool hang = false;         // send nothing and keep the connection open
  };
  // (connection number from 0, request number on that connection from 0, the request head)
  using Script = std::function<Answer(size_t connection, size_t request, const std::string& head)>;

  ScriptedServer(const std::filesystem::path& socket, Script script) : script_(std::move(script)) {
    listener_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const std::string path = socket.string();
    std::copy(path.begin(), path.end(), address.sun_path);
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 || ::listen(listener_, 8) != 0) {
      throw std::runtime_error("cannot listen on " + path);
    }
    acceptor_ = std::thread([this] { accept_loop(); });
  }

  // On 127.0.0.1, a free port.
  explicit ScriptedServer(Script script) : script_(std::move(script)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof(address);
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 || ::listen(listener_, 8) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
      throw std::runtime_error("cannot listen on 127.0.0.1");
    }
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }

  ~ScriptedServer() {
    stopping_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    acceptor_.join();
    std::vector<std::thread> workers;
    {
      std::lock_guard lock(mutex_);
      for (const int fd : open_) ::shutdown(fd, SHUT_RDWR);
      workers.swap(workers_);
    }
    for (auto& worker : workers) worker.join();
  }

  uint16_t port() const { return port_; }
  size_t connections() {
    std::lock_guard lock(mutex_);
    return connections_;
  }
  std::vector<std::string> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void accept_loop() {
    while (!stopping_) {
      const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      std::lock_guard lock(mutex_);
      open_.push_back(fd);
      const size_t number = connections_++;
      workers_.emplace_back([this, fd, number] { serve(fd, number); });
    }
  }

  void serve(int fd, size_t connection) {
    std::string buffer;
    char chunk[4096];
    for (size_t request = 0;; ++request) {
      size_t end;
      while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
        const ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
        if (n <= 0) return finish(fd);
        buffer.append(chunk, static_cast<size_t>(n));
      }
      std::string head = buffer.substr(0, end + 4);
      buffer.erase(0, end + 4);
      size_t length = 0;
      for (const auto line : split(head, '\n')) {
        if (iequals(line.substr(0, 15), "Content-Length:")) length = *parse_integer<size_t>(trim(line.substr(15)));
      }
      while (buffer.size() < length) {
        const ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
        if (n <= 0) return finish(fd);
        buffer.append(chunk, static_cast<size_t>(n));
      }
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(head + buffer.substr(0, length));
      }
      buffer.erase(0, length);
      const Answer answer = script_(connection, request, head);
      if (answer.hang) {
        while (::recv(fd, chunk, sizeof(chunk), 0) > 0) {
        }
        return finish(fd);
      }
      ::send(fd, answer.bytes.data(), answer.bytes.size(), MSG_NOSIGNAL);
      if (answer.close_after) return finish(fd);
    }
  }

  void finish(int fd) {
    std::lock_guard lock(mutex_);
    open_.erase(std::remove(open_.begin(), open_.end(), fd), open_.end());
    ::close(fd);
  }

  Script script_;
  int listener_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<int> open_;
  std::vector<std::thread> workers_;
  size_t connections_ = 0;
  std::vector<std::string> requests_;
};

ScriptedServer::Answer ok(const std::string& body, bool close_after = false) {
  return {"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body,
          close_after};
}

RequestOptions options(std::chrono::milliseconds timeout = 10s) {
  RequestOptions o;
  o.timeout = timeout;
  return o;
}

Request get(const std::string& target) { return Request{"GET", target, {}, {}}; }

}  // namespace

TEST(HttpClient, GetsShareOneKeptConnection) {
  test::TempDir dir;
  ScriptedServer server(dir / "api.sock", [](size_t, size_t request, const std::string&) {
    return ok("{\"n\":" + std::to_string(request) + "}");
  });
  Client client(Endpoint::unix_socket((dir / "api.sock").string()));
  for (int i = 0; i < 3; ++i) {
    const Response response = client.send(get("/things?all=1"), options());
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, "{\"n\":" + std::to_string(i) + "}");
  }
  EXPECT_EQ(server.connections(), 1u);
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0], "GET /things?all=1 HTTP/1.1\r\nHost: localhost\r\n\r\n");
}

TEST(HttpClient, AConnectionTheServerClosedIsReplaced) {
  test::TempDir dir;
  // Every answer says keep-alive, but the server closes the connection after it anyway.
  ScriptedServer server(dir / "api.sock", [](size_t, size_t, const std::string&) { return ok("{}", /*close_after=*/true); });
  Client client(Endpoint::unix_socket((dir / "api.sock").string()));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(client.send(get("/x"), options()).status, 200);
  EXPECT_EQ(server.connections(), 3u);
}

TEST(HttpClient, AGetThatFindsTheKeptConnectionClosedIsSentOnceMore) {
  test::TempDir dir;
  // The server takes the second request on a connection and closes without answering, as a
  // server does when its idle timeout strikes while the request is on its way.
  ScriptedServer server(dir / "api.sock", [](size_t, size_t request, const std::string&) {
    return request == 0 ? ok("{\"fresh\":true}") : ScriptedServer::Answer{"", true};
  });
  Client client(Endpoint::unix_socket((dir / "api.sock").string()));
  EXPECT_EQ(client.send(get("/a"), options()).body, "{\"fresh\":true}");
  EXPECT_EQ(client.send(get("/b"), options()).body, "{\"fresh\":true}");
  EXPECT_EQ(server.connections(), 2u);
  EXPECT_EQ(server.requests().size(), 3u);  // /a, /b refused on the old connection, /b again

  // A POST is not repeated: the caller learns the connection closed.
  try {
    client.send(Request{"POST", "/sign", {}, "{}"}, options());
    FAIL() << "a POST was sent twice";
  } catch (const HttpError& error) {
    EXPECT_EQ(error.kind(), HttpError::Kind::Closed);
    EXPECT_STREQ(error.what(), "the connection closed before any response");
  }
  EXPECT_EQ(server.requests().size(), 4u);
}

TEST(HttpClient, AFreshConnectionThatClosesIsNotRetried) {
  test::TempDir dir;
  ScriptedServer server(dir / "api.sock", [](size_t, size_t, const std::string&) { return ScriptedServer::Answer{"", true}; });
  Client client(Endpoint::unix_socket((dir / "api.sock").string()));
  EXPECT_THROW(client.send(get("/a"), options()), HttpError);
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(HttpClient, ConnectionCloseAndNoKeepAliveOpenANewConnectionEachTime) {
  test::TempDir dir;
  ScriptedServer server(dir / "api.sock", [](size_t, size_t, const std::string&) {
    return ScriptedServer::Answer{"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}", false};
  });
  Client client(Endpoint::unix_socket((dir / "api.sock").string()));
  client.send(get("/a"), options());
  client.send(get("/b"), options());
  EXPECT_EQ(server.connections(), 2u);

  Client once(Endpoint::unix_socket((dir / "api.sock").string()), /*keep_alive=*/false);
  Request post{"POST", "/sign?api-version=1", {{"Content-Type", "application/json"}}, "{\"data\":\"eA==\"}"};
  EXPECT_EQ(once.send(post, options()).body, "{}");
  EXPECT_EQ(server.requests().back(),
            "POST /sign?api-version=1 HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            "Content-Length: 15\r\nConnection: close\r\n\r\n{\"data\":\"eA==\"}");
}

TEST(HttpClient, ChunkedAndReadToEndAnswers) {
  test::TempDir dir;
  ScriptedServer server(dir / "api.sock", [](size_t, size_t request, const std::string&) {
    if (request == 0) return ScriptedServer::Answer{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"};
    return ScriptedServer::Answer{"HTTP/1.0 500 Oops\r\n\r\n{\"message\":\"boom\"}", true};
  });
  Client client(Endpoint::unix_socket((dir / "api.sock").string()));
  EXPECT_EQ(client.send(get("/a"), options()).body, "abcde");
  const Response failed = client.send(get("/b"), options());
  EXPECT_EQ(failed.status, 500);
  EXPECT_EQ(failed.body, "{\"message\":\"boom\"}");
  EXPECT_EQ(server.connections(), 1u);
}

TEST(HttpClient, OverTcpOnLoopback) {
  ScriptedServer server([](size_t, size_t, const std::string& head) {
    return ok(head.substr(0, head.find("\r\n\r\n")));
  });
  const auto endpoint = Endpoint::parse("http://127.0.0.1:" + std::to_string(server.port()) + "/");
  ASSERT_TRUE(endpoint);
  Client client(*endpoint);
  EXPECT_EQ(client.send(get("/trust-bundle"), options()).body,
            "GET /trust-bundle HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(client.send(get("/again"), options()).status, 200);
  EXPECT_EQ(server.connections(), 1u);
}

TEST(HttpClient, ErrorsNameTheEndpointAndTheReason) {
  test::TempDir dir;
  Client missing(Endpoint::unix_socket((dir / "missing.sock").string()));
  try {
    missing.send(get("/version"), options());
    FAIL();
  } catch (const HttpError& error) {
    EXPECT_EQ(error.kind(), HttpError::Kind::Connect);
    EXPECT_EQ(error.os_error(), ENOENT);
    EXPECT_EQ(std::string(error.what()), "cannot connect to unix socket " + (dir / "missing.sock").string() +
                                             ": No such file or directory");
  }
  // A port nobody listens on (the listener is closed again at once).
  uint16_t port = 0;
  { port = ScriptedServer([](size_t, size_t, const std::string&) { return ok(""); }).port(); }
  Client refused(Endpoint::tcp("127.0.0.1", port));
  try {
    refused.send(get("/"), options());
    FAIL();
  } catch (const HttpError& error) {
    EXPECT_EQ(error.kind(), HttpError::Kind::Connect);
    EXPECT_EQ(std::string(error.what()), "cannot connect to 127.0.0.1:" + std::to_string(port) + ": Connection refused");
  }
}

TEST(HttpClient, NoAnswerByTheDeadline) {
  test::TempDir dir;
  ScriptedServer server(dir / "api.sock", [](size_t connection, size_t, const std::string&) {
    if (connection == 0) return ScriptedServer::Answer{"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf", false, false};
    return ScriptedServer::Answer{"", false, true};
  });
  Client client(Endpoint::unix_socket((dir / "api.sock").string()));
  try {
    client.send(get("/a"), options(200ms));
    FAIL();
  } catch (const HttpError& error) {
    EXPECT_EQ(error.kind(), HttpError::Kind::Timeout);
    EXPECT_STREQ(error.what(), "the response was not complete within 200 ms");
  }
  try {
    client.send(get("/b"), options(200ms));  // a new connection: the broken one was dropped
    FAIL();
  } catch (const HttpError& error) {
    EXPECT_EQ(error.kind(), HttpError::Kind::Timeout);
    EXPECT_STREQ(error.what(), "no response within 200 ms");
  }
  EXPECT_EQ(server.connections(), 2u);
}

TEST(HttpClient, TooLargeAnswersAreRefused) {
  test::TempDir dir;
  ScriptedServer server(dir / "api.sock", [](size_t, size_t, const std::string&) { return ok(std::string(5000, 'x')); });
  Client client(Endpoint::unix_socket((dir / "api.sock").string()));
  RequestOptions small = options();
  small.limits.max_body_bytes = 4096;
  try {
    client.send(get("/a"), small);
    FAIL();
  } catch (const HttpError& error) {
    EXPECT_EQ(error.kind(), HttpError::Kind::TooLarge);
    EXPECT_STREQ(error.what(), "the body (5000 bytes) is larger than the limit of 4096 bytes");
  }
  EXPECT_EQ(client.send(get("/b"), options()).body.size(), 5000u);
}

TEST(HttpClient, RequestsThatWouldBreakTheFramingAreNotSent) {
  EXPECT_THROW(serialize(Request{"GET", "/a\r\nX-Injected: 1", {}, {}}, "localhost", true), HttpError);
  EXPECT_THROW(serialize(Request{"GET", "/a b", {}, {}}, "localhost", true), HttpError);
  EXPECT_THROW(serialize(Request{"GET", "relative", {}, {}}, "localhost", true), HttpError);
  EXPECT_THROW(serialize(Request{"GET", "/", {{"X-A", "1\r\nX-B: 2"}}, {}}, "localhost", true), HttpError);
  EXPECT_THROW(serialize(Request{"GET", "/", {{"X A", "1"}}, {}}, "localhost", true), HttpError);
  EXPECT_EQ(serialize(Request{"HEAD", "/", {{"Accept", "*/*"}}, {}}, "localhost", false),
            "HEAD / HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\nConnection: close\r\n\r\n");
}

TEST(HttpEndpoint, ParsesWorkloadUris) {
  EXPECT_EQ(Endpoint::parse("unix:///var/run/iotedge/workload.sock"), Endpoint::unix_socket("/var/run/iotedge/workload.sock"));
  EXPECT_EQ(Endpoint::parse("http://127.0.0.1:15581/"), Endpoint::tcp("127.0.0.1", 15581));
  EXPECT_EQ(Endpoint::parse("http://localhost"), Endpoint::tcp("localhost", 80));
  EXPECT_EQ(Endpoint::parse("http://[::1]:8080"), Endpoint::tcp("::1", 8080));
  EXPECT_EQ(Endpoint::parse("http://[::1]:8080")->host_header(), "[::1]:8080");
  EXPECT_EQ(Endpoint::parse("unix:///run/x.sock")->describe(), "unix socket /run/x.sock");
  for (const char* bad : {"unix://relative", "unix://", "https://host:1", "http://", "http://host:0", "http://host:99999",
                          "http://host:1/path", "http://user@host:1", "tcp://host:1", "http://host:"}) {
    EXPECT_FALSE(Endpoint::parse(bad)) << bad;
  }
}

TEST(HttpResponseStream, ReadsAsItArrivesAndWakesPromptly) {
  test::TempDir dir;
  std::atomic<int> streams{0};
  ScriptedServer server(dir / "api.sock", [&](size_t, size_t, const std::string&) {
    ++streams;
    // The head and the first chunk; then nothing more until the client goes away.
    return ScriptedServer::Answer{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nline1\n\r\n", false, false};
  });
  ResponseStream stream(Endpoint::unix_socket((dir / "api.sock").string()), get("/events"), ResponseLimits{});
  std::atomic<bool> stop{false};
  const auto now = Clock::now();
  ASSERT_TRUE(stream.open(stop, now + 5s, now + 30s));
  EXPECT_EQ(stream.response().status(), 200);
  while (stream.response().body().empty()) ASSERT_TRUE(stream.read(30s));
  EXPECT_EQ(stream.response().body(), "line1\n");

  // A read that would wait a minute returns once another thread wakes it.
  std::thread waker([&] {
    std::this_thread::sleep_for(50ms);
    stream.wake();
  });
  EXPECT_TRUE(stream.read(std::chrono::minutes(1)));
  waker.join();
  EXPECT_FALSE(stream.ended());
}

TEST(HttpResponseStream, OpenGivesUpWhenStopped) {
  test::TempDir dir;
  ScriptedServer server(dir / "api.sock", [](size_t, size_t, const std::string&) { return ScriptedServer::Answer{"", false, true}; });
  ResponseStream stream(Endpoint::unix_socket((dir / "api.sock").string()), get("/events"), ResponseLimits{});
  std::atomic<bool> stop{false};
  std::thread stopper([&] {
    std::this_thread::sleep_for(50ms);
    stop = true;
    stream.wake();
  });
  const auto now = Clock::now();
  EXPECT_FALSE(stream.open(stop, now + 5s, now + std::chrono::minutes(1)));
  stopper.join();
}

TEST(HttpResponseStream, EndAndBreakOfTheStream) {
  test::TempDir dir;
  ScriptedServer server(dir / "api.sock", [](size_t connection, size_t, const std::string&) {
    if (connection == 0) return ScriptedServer::Answer{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\na\n\r\n0\r\n\r\n"};
    return ScriptedServer::Answer{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n9\r\nb\n", true};
  });
  std::atomic<bool> stop{false};
  ResponseStream ends(Endpoint::unix_socket((dir / "api.sock").string()), get("/events"), ResponseLimits{});
  ASSERT_TRUE(ends.open(stop, Clock::now() + 5s, Clock::now() + 30s));
  while (ends.read(30s)) {
  }
  EXPECT_TRUE(ends.response().complete());
  EXPECT_EQ(ends.response().body(), "a\n");

  ResponseStream breaks(Endpoint::unix_socket((dir / "api.sock").string()), get("/events"), ResponseLimits{});
  ASSERT_TRUE(breaks.open(stop, Clock::now() + 5s, Clock::now() + 30s));
  try {
    while (breaks.read(30s)) {
    }
    FAIL() << "a broken stream ended quietly";
  } catch (const HttpError& error) {
    EXPECT_EQ(error.kind(), HttpError::Kind::Truncated);
    EXPECT_STREQ(error.what(), "the connection closed inside the chunked body after 2 bytes");
  }
  EXPECT_TRUE(breaks.ended());
  EXPECT_EQ(breaks.response().body(), "b\n");
}
