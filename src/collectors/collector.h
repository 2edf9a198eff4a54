#pragma once
// What every collector is: a producer of Events and nothing else. It never formats messages,
// talks to a sink, or keeps its own timer.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "config/agent_config.h"
#include "core/event.h"
#include "core/host_root.h"

namespace edgeguard {

class Statistics;

struct CollectorContext {
  const HostRoot& host;
  const AgentConfig& config;
};

class CollectorError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Run by the scheduler once per snapshot period (and once at start).
class PeriodicCollector {
 public:
  virtual ~PeriodicCollector() = default;
  // For logs: "ListeningPorts", "Operational"...
  virtual std::string_view name() const = 0;
  // The event names it produces; it is skipped when all of them are configured Off.
  virtual std::vector<std::string> event_names() const = 0;
  // Throws CollectorError with a message naming what failed and where.
  virtual std::vector<Event> collect(const CollectorContext& context) = 0;
};

// Takes an event from any thread; false means it was not taken (Off, or dropped and counted).
using EventSubmitter = std::function<bool(Event)>;

// Runs on its own thread(s) and pushes events as they happen.
class StreamingCollector {
 public:
  virtual ~StreamingCollector() = default;
  virtual std::string_view name() const = 0;
  // Starts collecting. Throws CollectorError if the source cannot run here.
  virtual void start(const CollectorContext& context, EventSubmitter submit) = 0;
  virtual void stop() = 0;
  // Applies a configuration change without a restart where it can.
  virtual void reconfigure(const AgentConfig&) {}
};

}  // namespace edgeguard
