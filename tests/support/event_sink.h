#pragma once
// Collects the events a collector submits, for tests that wait for a particular one.
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "collectors/collector.h"
#include "pipeline/message_builder.h"

namespace edgeguard::test {

class EventSink {
 public:
  EventSubmitter submitter() {
    return [this](Event event) {
      std::lock_guard lock(mutex_);
      events_.push_back(std::move(event));
      changed_.notify_all();
      return true;
    };
  }

  // The first event that matches, waiting up to `timeout` for it.
  std::optional<Event> wait_for(const std::function<bool(const Event&)>& match,
                                std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    std::unique_lock lock(mutex_);
    std::optional<Event> found;
    changed_.wait_for(lock, timeout, [&] {
      for (const auto& event : events_) {
        if (match(event)) {
          found = event;
          return true;
        }
      }
      return false;
    });
    return found;
  }

  // An event `name` whose first payload item has "Action" `action` and, when given,
  // "ContainerName" `container`.
  std::optional<Event> wait_for(const std::string& name, const std::string& action, const std::string& container = "",
                                std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    return wait_for(
        [&](const Event& event) {
          if (event.name != name || event.payload.empty()) return false;
          const auto& item = event.payload[0];
          return item.value("Action", "") == action &&
                 (container.empty() || item.value("ContainerName", "") == container);
        },
        timeout);
  }

  std::vector<Event> events() {
    std::lock_guard lock(mutex_);
    return events_;
  }
  size_t count(const std::function<bool(const Event&)>& match) {
    std::lock_guard lock(mutex_);
    size_t n = 0;
    for (const auto& event : events_) n += match(event) ? 1 : 0;
    return n;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Event> events_;
};

// Writes `events` as the pipeline would send them (one message per channel, JSON lines), for
// validate_messages().
inline void write_messages(const std::vector<Event>& events, const std::filesystem::path& file) {
  std::map<std::string, std::vector<const Event*>> by_output;
  for (const auto& event : events) by_output[event.channel.output].push_back(&event);
  std::ofstream out(file);
  for (const auto& [output, list] : by_output) {
    MessageBuilder builder("072f3eca-3db0-45ba-8174-fa383bc93caf", "0.1.0", Channel{output}, size_t{1} << 24);
    int64_t seq = 0;
    for (const Event* event : list) builder.add(++seq, Priority::Low, serialize_event(*event));
    out << builder.finish().body << "\n";
  }
}

}  // namespace edgeguard::test
