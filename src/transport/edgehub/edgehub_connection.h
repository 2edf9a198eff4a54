#pragma once
// One MQTT 3.1.1 connection to edgeHub over TLS as a module identity (reference sections 3-4),
// kept up by its own thread: fresh trust bundle and SAS token for every connection, client id
// "{device}/{module}", edgeHub's username, keep-alive, a planned reconnect with a new token at
// 80 % of its lifetime, and exponential back-off with jitter after failures. libmosquitto does
// the protocol; this thread drives it with mosquitto_loop() so that every reconnect goes
// through here (libmosquitto's own reconnect would reuse the expired token).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "transport/edgehub/credentials.h"
#include "transport/edgehub/module_identity.h"

struct mosquitto;
struct mosquitto_message;

namespace edgeguard::edgehub {

struct ConnectionSettings {
  ModuleIdentity identity;
  int port = 8883;
  std::chrono::seconds token_lifetime{3600};
  std::chrono::seconds keep_alive{240};  // the Azure C SDK's choice; edgeHub allows up to 10 min
  std::chrono::milliseconds connack_timeout{30000};
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{30000};
  // A connection that lasted this long resets the back-off.
  std::chrono::milliseconds stable_after{60000};
  std::string client_type = "edgeguard";  // DeviceClientType, with the version appended
};

// Called on the connection thread. Implementations must not call publish_and_wait() from
// these (it waits for this very thread); publish_now() is fine.
class ConnectionListener {
 public:
  virtual ~ConnectionListener() = default;
  virtual void on_connected() = 0;
  virtual void on_message(const std::string& topic, const std::string& payload) = 0;
  virtual void on_disconnected() = 0;
  // About every 200 ms while connected (timeouts of requests made on this connection).
  virtual void on_tick() {}
};

struct ConnectionStatistics {
  uint64_t connections = 0;       // CONNACK accepted
  uint64_t failed_attempts = 0;   // attempts that ended before an accepted CONNACK
  uint64_t token_refreshes = 0;   // planned reconnects for a fresh token
  std::chrono::microseconds last_connect_time{0};  // credentials + TLS + CONNACK of the last connection
};

class EdgeHubConnection {
 public:
  EdgeHubConnection(ConnectionSettings settings, Credentials& credentials, ConnectionListener& listener);
  ~EdgeHubConnection();
  EdgeHubConnection(const EdgeHubConnection&) = delete;
  EdgeHubConnection& operator=(const EdgeHubConnection&) = delete;

  void start();
  void stop();

  bool connected() const;
  // Waits until connected (and not about to reconnect for a new token), up to `timeout`.
  bool wait_connected(std::chrono::milliseconds timeout);

  // Publishes with QoS 1 and waits for the PUBACK. False at once if not connected (it waits
  // through a token refresh), and false if the connection drops first, on timeout, or when
  // stopping: the caller keeps the data and sends it again (at-least-once). One such publish
  // is in flight at a time.
  bool publish_and_wait(const std::string& topic, const std::string& payload, std::chrono::milliseconds timeout);
  // From now on no publish waits beyond `deadline` (shutdown: the pipeline's last drain must
  // not outlive its deadline because of a PUBACK that does not come).
  void set_publish_deadline(std::chrono::steady_clock::time_point deadline);
  // Publishes with QoS 0 without waiting (twin requests). False if not connected.
  bool publish_now(const std::string& topic, const std::string& payload);

  ConnectionStatistics statistics() const;
  const ConnectionSettings& settings() const { return settings_; }
  std::string endpoint() const;

 private:
  enum class SessionEnd { Failed, Lost, Refresh, Stopped };
  void run();
  SessionEnd session();
  void close_session(mosquitto* client);
  bool sleep_unless_stopped(std::chrono::milliseconds duration);
  std::string username() const;

  static void on_connect(mosquitto* client, void* self, int rc);
  static void on_publish(mosquitto* client, void* self, int mid);
  static void on_message(mosquitto* client, void* self, const mosquitto_message* message);
  static void on_log(mosquitto* client, void* self, int level, const char* text);

  ConnectionSettings settings_;
  Credentials& credentials_;
  ConnectionListener& listener_;
  std::thread thread_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool stopping_ = false;
  mosquitto* client_ = nullptr;  // the live session's client; set while connected
  bool connected_ = false;
  bool refreshing_ = false;      // reconnecting for a fresh token: publishers wait for it
  std::chrono::steady_clock::time_point publish_deadline_ = std::chrono::steady_clock::time_point::max();
  uint64_t generation_ = 0;      // bumped whenever a session ends
  int users_ = 0;                // threads inside a libmosquitto call on client_
  bool awaiting_ack_ = false;
  std::set<int> acked_;
  ConnectionStatistics statistics_;

  std::mutex send_mutex_;  // one QoS 1 publish at a time

  // Written on the connection thread only.
  int connack_rc_ = -1;
  std::string last_library_error_;
};

}  // namespace edgeguard::edgehub
