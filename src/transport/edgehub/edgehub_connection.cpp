#include "transport/edgehub/edgehub_connection.h"

#include <cerrno>
#include <cstring>
#include <exception>
#include <random>

#include "core/log.h"
#include "transport/edgehub/encoding.h"
#include "transport/edgehub/mosquitto_library.h"
#include "transport/edgehub/openssl_library.h"
#include "transport/edgehub/sas_token.h"
#include "transport/edgehub/tls_context.h"
#include "transport/edgehub/topics.h"

namespace edgeguard::edgehub {
namespace {

using SteadyClock = std::chrono::steady_clock;

std::shared_ptr<spdlog::logger> logger() { return log::get("edgehub"); }

void library_init() {
  static std::once_flag once;
  std::call_once(once, [] { libmosquitto().mosquitto_lib_init(); });
}

int64_t millis_between(SteadyClock::time_point from, SteadyClock::time_point to) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count();
}

std::mutex library_error_mutex;

}  // namespace

EdgeHubConnection::EdgeHubConnection(ConnectionSettings settings, Credentials& credentials,
                                     ConnectionListener& listener)
    : settings_(std::move(settings)), credentials_(credentials), listener_(listener) {
  library_init();
}

EdgeHubConnection::~EdgeHubConnection() { stop(); }

void EdgeHubConnection::start() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { run(); });
}

void EdgeHubConnection::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool EdgeHubConnection::connected() const {
  std::lock_guard lock(mutex_);
  return connected_;
}

bool EdgeHubConnection::wait_connected(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return stopping_ || (connected_ && !refreshing_); });
  return connected_ && !refreshing_ && !stopping_;
}

ConnectionStatistics EdgeHubConnection::statistics() const {
  std::lock_guard lock(mutex_);
  return statistics_;
}

std::string EdgeHubConnection::endpoint() const {
  return settings_.identity.gateway_host + ":" + std::to_string(settings_.port);
}

std::string EdgeHubConnection::username() const {
  const auto& id = settings_.identity;
  return id.hub_host + "/" + id.device_id + "/" + id.module_id + "/?api-version=2020-09-30&DeviceClientType=" +
         sdk_url_encode(settings_.client_type + "/" + EDGEGUARD_VERSION);
}

bool EdgeHubConnection::publish_and_wait(const std::string& topic, const std::string& payload,
                                         std::chrono::milliseconds timeout) {
  const Mosquitto& mqtt = libmosquitto();
  std::lock_guard send_lock(send_mutex_);
  std::unique_lock lock(mutex_);
  const auto deadline = std::min(SteadyClock::now() + timeout, publish_deadline_);
  // Through a token refresh (a planned reconnect of a few milliseconds) wait; when the
  // connection is down, fail at once so the caller can retry later.
  changed_.wait_until(lock, deadline, [&] { return stopping_ || !refreshing_; });
  if (stopping_ || !connected_ || refreshing_) return false;
  mosquitto* client = client_;
  const uint64_t generation = generation_;
  ++users_;
  acked_.clear();
  awaiting_ack_ = true;
  lock.unlock();

  int mid = 0;
  const int rc =
      mqtt.mosquitto_publish(client, &mid, topic.c_str(), static_cast<int>(payload.size()), payload.data(), 1, false);

  lock.lock();
  --users_;
  changed_.notify_all();
  if (rc != MOSQ_ERR_SUCCESS) {
    awaiting_ack_ = false;
    logger()->warn("publishing {} bytes to edgeHub failed: {}", payload.size(), mqtt.mosquitto_strerror(rc));
    return false;
  }
  // The publish deadline can move closer while we wait (shutdown), so re-read it each time.
  while (acked_.count(mid) == 0 && generation_ == generation && !stopping_) {
    const auto until = std::min(deadline, publish_deadline_);
    if (SteadyClock::now() >= until) break;
    changed_.wait_until(lock, until);
  }
  const bool acknowledged = acked_.count(mid) > 0;
  awaiting_ack_ = false;
  changed_.notify_all();
  if (!acknowledged) {
    logger()->warn("no PUBACK from edgeHub for a message of {} bytes ({}); it stays stored and is sent again",
                   payload.size(), generation_ != generation ? "the connection dropped" : stopping_ ? "stopping" : "timed out");
  }
  return acknowledged;
}

bool EdgeHubConnection::publish_now(const std::string& topic, const std::string& payload) {
  const Mosquitto& mqtt = libmosquitto();
  std::unique_lock lock(mutex_);
  if (!connected_ || !client_) return false;
  mosquitto* client = client_;
  ++users_;
  lock.unlock();
  const int rc =
      mqtt.mosquitto_publish(client, nullptr, topic.c_str(), static_cast<int>(payload.size()), payload.data(), 0, false);
  lock.lock();
  --users_;
  changed_.notify_all();
  if (rc != MOSQ_ERR_SUCCESS) {
    logger()->warn("publishing to {} failed: {}", topic, mqtt.mosquitto_strerror(rc));
    return false;
  }
  return true;
}

void EdgeHubConnection::set_publish_deadline(std::chrono::steady_clock::time_point deadline) {
  {
    std::lock_guard lock(mutex_);
    publish_deadline_ = deadline;
  }
  changed_.notify_all();
}

void EdgeHubConnection::on_connect(mosquitto*, void* self, int rc) { static_cast<EdgeHubConnection*>(self)->connack_rc_ = rc; }

void EdgeHubConnection::on_publish(mosquitto*, void* self, int mid) {
  auto* connection = static_cast<EdgeHubConnection*>(self);
  {
    std::lock_guard lock(connection->mutex_);
    if (connection->acked_.size() > 4096) connection->acked_.clear();
    connection->acked_.insert(mid);
  }
  connection->changed_.notify_all();
}

void EdgeHubConnection::on_message(mosquitto*, void* self, const mosquitto_message* message) {
  auto* connection = static_cast<EdgeHubConnection*>(self);
  const std::string topic = message->topic ? message->topic : "";
  const std::string payload(static_cast<const char*>(message->payload), static_cast<size_t>(message->payloadlen));
  // No exception may unwind through libmosquitto's C frames: that would end the agent, and a
  // retained twin document would end it again at every start.
  try {
    connection->listener_.on_message(topic, payload);
  } catch (const std::exception& error) {
    logger()->error("a message from edgeHub on {} could not be handled and was ignored: {}", topic, error.what());
  }
}

void EdgeHubConnection::on_log(mosquitto*, void* self, int level, const char* text) {
  if (level != MOSQ_LOG_ERR && level != MOSQ_LOG_WARNING) return;
  auto* connection = static_cast<EdgeHubConnection*>(self);
  std::lock_guard lock(library_error_mutex);
  connection->last_library_error_ = text ? text : "";
}

bool EdgeHubConnection::sleep_unless_stopped(std::chrono::milliseconds duration) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, duration, [&] { return stopping_; });
  return !stopping_;
}

void EdgeHubConnection::run() {
  std::mt19937_64 random(std::random_device{}());
  auto backoff = settings_.initial_backoff;
  while (true) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    const auto began = SteadyClock::now();
    const SessionEnd end = session();
    if (end == SessionEnd::Stopped) return;
    if (end == SessionEnd::Refresh) {
      backoff = settings_.initial_backoff;
      continue;
    }
    {
      std::lock_guard lock(mutex_);
      refreshing_ = false;  // a refresh that failed: publishers stop waiting for it
    }
    changed_.notify_all();
    if (end == SessionEnd::Lost && SteadyClock::now() - began >= settings_.stable_after) backoff = settings_.initial_backoff;
    if (end == SessionEnd::Failed) {
      std::lock_guard lock(mutex_);
      ++statistics_.failed_attempts;
    }
    // Full back-off with jitter in [backoff/2, backoff]: many devices restarted together
    // must not reconnect in step.
    std::uniform_int_distribution<int64_t> spread(backoff.count() / 2, backoff.count());
    const std::chrono::milliseconds delay(spread(random));
    logger()->info("reconnecting to edgeHub at {} in {} ms", endpoint(), delay.count());
    if (!sleep_unless_stopped(delay)) return;
    backoff = std::min(backoff * 2, settings_.max_backoff);
  }
}

EdgeHubConnection::SessionEnd EdgeHubConnection::session() {
  const Mosquitto& mqtt = libmosquitto();
  const auto& id = settings_.identity;
  const auto started = SteadyClock::now();
  SslCtxPtr context;
  std::string token;
  int64_t expiry = 0;
  try {
    context = make_tls_context(credentials_.trust_bundle(), id.gateway_host);
    expiry = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count() +
             settings_.token_lifetime.count();
    const std::string sr = sas_resource(sas_scope(id.hub_host, id.device_id, id.module_id));
    token = sas_token(sr, credentials_.sign(sas_string_to_sign(sr, expiry)), expiry);
  } catch (const std::exception& error) {
    logger()->error("cannot prepare the connection to edgeHub at {}: {}", endpoint(), error.what());
    return SessionEnd::Failed;
  }
  const auto credentials_ready = SteadyClock::now();

  mosquitto* client = mqtt.mosquitto_new(id.client_id().c_str(), false, this);
  if (!client) {
    logger()->error("cannot create an MQTT client: {}", std::strerror(errno));
    return SessionEnd::Failed;
  }
  mqtt.mosquitto_threaded_set(client, true);
  mqtt.mosquitto_int_option(client, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  mqtt.mosquitto_int_option(client, MOSQ_OPT_TCP_NODELAY, 1);
  mqtt.mosquitto_username_pw_set(client, username().c_str(), token.c_str());
  openssl().OPENSSL_cleanse(token.data(), token.size());  // libmosquitto keeps its own copy
  // Our context only, without libmosquitto's defaults: verification against the trust bundle
  // and the gateway host name, TLS 1.2 or newer.
  mqtt.mosquitto_int_option(client, MOSQ_OPT_SSL_CTX_WITH_DEFAULTS, 0);
  mqtt.mosquitto_void_option(client, MOSQ_OPT_SSL_CTX, context.get());
  mqtt.mosquitto_connect_callback_set(client, &EdgeHubConnection::on_connect);
  mqtt.mosquitto_publish_callback_set(client, &EdgeHubConnection::on_publish);
  mqtt.mosquitto_message_callback_set(client, &EdgeHubConnection::on_message);
  mqtt.mosquitto_log_callback_set(client, &EdgeHubConnection::on_log);
  connack_rc_ = -1;
  {
    std::lock_guard lock(library_error_mutex);
    last_library_error_.clear();
  }
  const auto destroy = [&](SessionEnd end) {
    mqtt.mosquitto_destroy(client);
    return end;
  };
  const auto library_error = [&] {
    std::lock_guard lock(library_error_mutex);
    return last_library_error_.empty() ? std::string() : " (" + last_library_error_ + ")";
  };

  // A failure before CONNACK: a refused certificate is an error worth naming; anything else
  // (edgeHub not up yet, connection reset) is a warning and a retry.
  const auto connect_failed = [&](int code, const char* stage) {
    const std::string verify = last_verify_failure(context.get());
    if (!verify.empty()) {
      logger()->error("refused edgeHub at {}: its TLS certificate failed verification against the trust bundle "
                      "from {} for host name \"{}\": {}",
                      endpoint(), credentials_.describe(), id.gateway_host, verify);
    } else {
      logger()->warn("{} edgeHub at {} failed: {}{}", stage, endpoint(),
                     code == MOSQ_ERR_ERRNO ? std::strerror(errno) : mqtt.mosquitto_strerror(code), library_error());
    }
    return destroy(SessionEnd::Failed);
  };
  int rc = mqtt.mosquitto_connect(client, id.gateway_host.c_str(), settings_.port,
                                  static_cast<int>(settings_.keep_alive.count()));
  if (rc != MOSQ_ERR_SUCCESS) return connect_failed(rc, "connecting to");
  const auto deadline = SteadyClock::now() + settings_.connack_timeout;
  while (connack_rc_ < 0) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return destroy(SessionEnd::Stopped);
    }
    if (SteadyClock::now() > deadline) {
      logger()->warn("edgeHub at {} did not answer CONNECT within {} ms", endpoint(), settings_.connack_timeout.count());
      return destroy(SessionEnd::Failed);
    }
    rc = mqtt.mosquitto_loop(client, 100, 1);
    if (rc != MOSQ_ERR_SUCCESS) return connect_failed(rc, "the MQTT handshake with");
  }
  if (connack_rc_ != 0) {
    logger()->error("edgeHub at {} refused the connection of {}: {} (the SAS token or the module identity was not "
                    "accepted)",
                    endpoint(), id.client_id(), mqtt.mosquitto_connack_string(connack_rc_));
    return destroy(SessionEnd::Failed);
  }
  mqtt.mosquitto_subscribe(client, nullptr, std::string(kTwinResponseFilter).c_str(), 0);
  mqtt.mosquitto_subscribe(client, nullptr, std::string(kTwinDesiredFilter).c_str(), 0);

  const auto connected_at = SteadyClock::now();
  {
    std::lock_guard lock(mutex_);
    client_ = client;
    connected_ = true;
    refreshing_ = false;
    ++statistics_.connections;
    statistics_.last_connect_time = std::chrono::duration_cast<std::chrono::microseconds>(connected_at - started);
  }
  changed_.notify_all();
  logger()->info("connected to edgeHub at {} as {} in {} ms (credentials {} ms); SAS token valid for {} s",
                 endpoint(), id.client_id(), millis_between(started, connected_at),
                 millis_between(started, credentials_ready), settings_.token_lifetime.count());
  listener_.on_connected();

  const auto refresh_at = credentials_ready + settings_.token_lifetime * 8 / 10;
  SessionEnd end = SessionEnd::Lost;
  while (true) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) {
        end = SessionEnd::Stopped;
        break;
      }
    }
    if (SteadyClock::now() >= refresh_at) {
      {
        std::lock_guard lock(mutex_);
        refreshing_ = true;
        ++statistics_.token_refreshes;
      }
      // Let a message in flight get its PUBACK first, so it is not sent twice.
      const auto wait_until = SteadyClock::now() + std::chrono::seconds(10);
      while (SteadyClock::now() < wait_until) {
        {
          std::lock_guard lock(mutex_);
          if (!awaiting_ack_ || stopping_) break;
        }
        if (mqtt.mosquitto_loop(client, 100, 1) != MOSQ_ERR_SUCCESS) break;
      }
      logger()->info("reconnecting to edgeHub with a fresh SAS token (80 % of its {} s lifetime has passed)",
                     settings_.token_lifetime.count());
      end = SessionEnd::Refresh;
      break;
    }
    rc = mqtt.mosquitto_loop(client, 200, 1);
    if (rc != MOSQ_ERR_SUCCESS) {
      logger()->warn("lost the connection to edgeHub at {}: {}{}", endpoint(),
                     rc == MOSQ_ERR_ERRNO ? std::strerror(errno) : mqtt.mosquitto_strerror(rc), library_error());
      end = SessionEnd::Lost;
      break;
    }
    listener_.on_tick();
  }
  close_session(client);
  listener_.on_disconnected();
  return end;
}

void EdgeHubConnection::close_session(mosquitto* client) {
  const Mosquitto& mqtt = libmosquitto();
  {
    std::unique_lock lock(mutex_);
    connected_ = false;
    client_ = nullptr;
    ++generation_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return users_ == 0; });
  }
  changed_.notify_all();
  // A clean DISCONNECT when the connection still stands (stop, token refresh).
  if (mqtt.mosquitto_disconnect(client) == MOSQ_ERR_SUCCESS) {
    for (int i = 0; i < 10; ++i) {
      if (mqtt.mosquitto_loop(client, 50, 1) != MOSQ_ERR_SUCCESS) break;
    }
  }
  mqtt.mosquitto_destroy(client);
}

}  // namespace edgeguard::edgehub
