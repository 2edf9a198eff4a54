#pragma once
// The module twin over an edgeHub connection (reference section 4.4): a full GET on every
// (re)connect, desired-property patches as they come, and the whole effective configuration
// written back to reported properties after every applied or rejected update.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "transport/edgehub/edgehub_connection.h"
#include "transport/edgehub/twin_configuration.h"

namespace edgeguard::edgehub {

class ModuleTwinClient : public ConnectionListener {
 public:
  // Called on the connection thread after every update (Applied or Rejected) and before the
  // configuration is reported, so the report shows what is in force. `source` names the
  // update for logs ("twin GET", "desired patch $version 7").
  using UpdateCallback = std::function<void(const TwinUpdate& update, const std::string& source)>;

  ModuleTwinClient(TwinConfiguration& configuration, UpdateCallback on_update,
                   std::chrono::milliseconds response_timeout = std::chrono::seconds(30));

  // The connection this client talks through (set before the connection starts).
  void attach(EdgeHubConnection& connection) { connection_ = &connection; }
  // Called (on the connection thread) whenever messages can flow again: connected, and the
  // first twin handled or given up on.
  void on_ready(std::function<void()> callback) { ready_callback_ = std::move(callback); }

  // True once the first full twin was handled, or waiting for it timed out.
  bool first_twin_settled() const;
  bool wait_first_twin_settled(std::chrono::milliseconds timeout);
  // Reported patches edgeHub acknowledged (204), for tests and benchmarks.
  uint64_t reports_acknowledged() const;

  void on_connected() override;
  void on_message(const std::string& topic, const std::string& payload) override;
  void on_disconnected() override;
  void on_tick() override;

 private:
  using SteadyClock = std::chrono::steady_clock;
  void request_twin();
  void report();
  void handle(const TwinUpdate& update, const std::string& source);
  void settle();
  std::string next_rid();

  TwinConfiguration& configuration_;
  UpdateCallback on_update_;
  std::chrono::milliseconds response_timeout_;
  EdgeHubConnection* connection_ = nullptr;
  std::function<void()> ready_callback_;

  // Connection-thread state.
  uint64_t rid_counter_ = 0;
  std::string get_rid_;
  SteadyClock::time_point get_sent_at_{};
  std::chrono::milliseconds get_timeout_{};
  std::string report_rid_;
  SteadyClock::time_point report_sent_at_{};
  std::optional<SteadyClock::time_point> report_due_at_;

  mutable std::mutex mutex_;
  std::condition_variable settled_changed_;
  bool settled_ = false;
  uint64_t reports_acknowledged_ = 0;
};

}  // namespace edgeguard::edgehub
