#pragma once
// Test stand-ins for what cannot run here (reference/iot-edge-module-protocol.md section 8):
// the workload API (a Python server on a unix socket) and edgeHub (a real mosquitto broker with
// TLS from a test CA and the edgeHub plugin), plus an MQTT observer the tests read and drive
// the twin with. Everything runs on loopback / private sockets in a test directory and is
// stopped by PID.
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <condition_variable>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../support/process.h"

struct mosquitto;
struct mosquitto_message;

namespace edgeguard::test {

// A TCP port on 127.0.0.1 that was free a moment ago.
int free_tcp_port();

// Reads a JSON-lines file (missing file = no lines).
std::vector<nlohmann::json> read_json_lines(const std::filesystem::path& file);

// A test PKI made with the openssl CLI: an "Edge CA" and a server certificate for "localhost"
// (what the trust bundle and edgeHub use), a certificate from the same CA for another host
// name, and a certificate for "localhost" from an unrelated CA.
struct TestPki {
  explicit TestPki(const std::filesystem::path& dir);
  std::filesystem::path ca;  // Edge CA certificate (the trust bundle)
  std::filesystem::path server_cert, server_key;          // CN/SAN localhost, from the Edge CA
  std::filesystem::path wrong_host_cert, wrong_host_key;  // SAN wrong-host.invalid, from the Edge CA
  std::filesystem::path other_ca;                         // an unrelated CA
  std::filesystem::path rogue_cert, rogue_key;            // SAN localhost, from the unrelated CA
};

struct ModuleTestIdentity {
  std::string hub = "edgeguard-test-hub.azure-devices.net";
  std::string gateway = "localhost";
  std::string device = "edge-dev-01";
  std::string module = "edgeguard";
  std::string generation = "638000000000000001";
  std::string key_base64;  // random 32 bytes
  static ModuleTestIdentity random();
  std::string client_id() const { return device + "/" + module; }
};

class WorkloadStandin {
 public:
  struct Options {
    std::filesystem::path dir;           // socket, key and log go here
    std::filesystem::path trust_bundle;  // PEM served by /trust-bundle (read on every request)
    ModuleTestIdentity identity;
    int fail_signs = 0;
    bool forbid = false;
  };
  explicit WorkloadStandin(Options options);
  ~WorkloadStandin();
  std::string uri() const { return "unix://" + socket_.string(); }
  std::vector<nlohmann::json> requests() const { return read_json_lines(log_); }

 private:
  std::filesystem::path socket_;
  std::filesystem::path log_;
  std::unique_ptr<ChildProcess> process_;
};

class EdgeHubStandin {
 public:
  struct Options {
    std::filesystem::path dir;  // config, persistence, twin and the plugin's records
    std::filesystem::path cert, key, ca;
    ModuleTestIdentity identity;
    long skew_seconds = 300;
    nlohmann::json initial_twin;  // {"desired": ..., "reported": ...}; null = empty twin
    int port = 0;                 // 0 = pick a free one
  };
  explicit EdgeHubStandin(Options options);
  ~EdgeHubStandin();
  void start();
  void stop();  // SIGTERM by PID (mosquitto saves its persistence), then waits
  int port() const { return options_.port; }
  const std::filesystem::path& dir() const { return options_.dir; }
  std::string observer_password() const { return observer_password_; }

  std::vector<nlohmann::json> received() const { return read_json_lines(options_.dir / "received.jsonl"); }
  std::vector<nlohmann::json> auth_log() const { return read_json_lines(options_.dir / "auth.jsonl"); }
  std::vector<nlohmann::json> violations() const { return read_json_lines(options_.dir / "violations.jsonl"); }
  std::vector<nlohmann::json> twin_log() const { return read_json_lines(options_.dir / "twin.jsonl"); }
  nlohmann::json twin() const;
  std::string broker_log() const;

 private:
  Options options_;
  std::string observer_password_;
  std::unique_ptr<ChildProcess> process_;
};

// A service client of the stand-in broker: sees every message, reads the reported twin and
// pushes desired patches. Reconnects by itself across broker restarts (persistent session).
class MqttObserver {
 public:
  struct Message {
    std::string topic;
    std::string payload;
    std::chrono::system_clock::time_point received;
  };
  MqttObserver(int port, const std::filesystem::path& ca, const std::string& password);
  ~MqttObserver();
  MqttObserver(const MqttObserver&) = delete;
  MqttObserver& operator=(const MqttObserver&) = delete;

  std::vector<Message> messages() const;
  // Waits until `predicate(messages)` holds; false on timeout. The predicate runs under the
  // observer's lock: it must use its argument, not call back into the observer.
  bool wait_for(const std::function<bool(const std::vector<Message>&)>& predicate, std::chrono::milliseconds timeout);
  // Publishes a desired-properties patch (JSON text, possibly malformed on purpose).
  void push_desired(const std::string& patch);
  // The latest reported twin document, or null.
  nlohmann::json reported() const;
  static nlohmann::json latest_reported(const std::vector<Message>& messages);

 private:
  static void on_connect(mosquitto* client, void* self, int rc);
  static void on_message(mosquitto* client, void* self, const mosquitto_message* message);
  mosquitto* client_ = nullptr;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Message> messages_;
};

// Environment variables edgeAgent would give the module, for the given stand-ins.
std::vector<std::string> module_environment(const ModuleTestIdentity& identity, const std::string& workload_uri);

// The events of every message body (JSON documents), in order.
std::vector<nlohmann::json> events_of(const std::vector<std::string>& bodies);

}  // namespace edgeguard::test
