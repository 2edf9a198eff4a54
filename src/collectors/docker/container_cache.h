#pragma once
// The engine's containers as the collector last saw them: id -> record (name, image and digest,
// labels, IoT Edge module, effective settings, raw inspect document). Writes through to the
// shared ContainerCatalog that process and connection events are attributed from, and tells
// subscribers about every change (the deployment analysis re-runs its rules on them).
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "collectors/docker/docker_model.h"
#include "core/container_catalog.h"

namespace edgeguard::docker {

using RecordPtr = std::shared_ptr<const ContainerRecord>;

struct ContainerChange {
  enum class Kind { Added, Updated, Removed };
  Kind kind;
  RecordPtr record;  // for Removed: the last record
};

// A lifecycle step a resync inferred by comparing what the engine lists now with what the cache
// held (the steps happened while the collector was not connected).
struct Transition {
  std::string action;  // create, start, die, destroy
  RecordPtr record;
  std::optional<int64_t> exit_code;  // die, when the engine still knows it
};

class ContainerCache {
 public:
  using Listener = std::function<void(const ContainerChange&)>;

  explicit ContainerCache(ContainerCatalog& catalog) : catalog_(catalog) {}

  // Listeners run on the thread that made the change (the engine collector's thread, or a
  // thread whose catalog lookup made the engine resolve a container), after the change, with
  // no lock held. Returns an id for unsubscribe().
  int subscribe(Listener listener);
  void unsubscribe(int subscription);

  RecordPtr get(std::string_view id) const;
  // Every container, ordered by name.
  std::vector<RecordPtr> snapshot() const;
  size_t size() const;

  // Adds or replaces one container (keeps the resync mark of the record it replaces).
  RecordPtr put(ContainerRecord record);
  // Forgets a container; returns its last record if it was known.
  RecordPtr erase(std::string_view id);

  // Replaces everything with what a resync read (records carry synced_at_ns; `listed_at_ns` is
  // when the container list was asked for) and returns the lifecycle steps this implies,
  // in order, for containers that appeared, changed state or disappeared.
  std::vector<Transition> replace_all(std::vector<ContainerRecord> fresh, int64_t listed_at_ns);

  // Whether the last resync already reflected a state event (create, start, die, destroy,
  // rename, update) of container `id` that the engine stamped `time_ns`: the event stream
  // replays events from just before the resync, and those must not be reported twice.
  bool reflected_by_resync(std::string_view id, int64_t time_ns) const;

 private:
  void notify(const std::vector<ContainerChange>& changes);

  ContainerCatalog& catalog_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, RecordPtr> records_;
  std::unordered_map<std::string, int64_t> removed_at_resync_;  // id -> listed_at_ns
  std::mutex listeners_mutex_;
  std::map<int, std::shared_ptr<const Listener>> listeners_;
  int next_subscription_ = 1;
};

}  // namespace edgeguard::docker
