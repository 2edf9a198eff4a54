#pragma once
// What the agent knows about containers, shared between the container-engine collector (which
// writes it) and the process/connection collectors (which read it on their hot path to name the
// container an event came from).
#include <functional>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace edgeguard {

struct ContainerInfo {
  std::string id;     // full 64-hex id
  std::string name;   // without the leading "/"
  std::string image;  // as configured (e.g. "mcr.microsoft.com/azureiotedge-hub:1.5")
  std::string image_id;     // "sha256:..."
  std::string edge_module;  // IoT Edge module name, empty when not an edge module container
};

class ContainerCatalog {
 public:
  using Resolver = std::function<std::optional<ContainerInfo>(std::string_view id)>;

  void upsert(ContainerInfo info);
  void remove(std::string_view id);

  // Cheap on a hit. On a miss, asks the resolver (the engine) once per id; later misses of the
  // same id are answered from a negative cache until upsert() learns it.
  std::optional<ContainerInfo> find(std::string_view id) const;

  void set_resolver(Resolver resolver);
  size_t size() const;

 private:
  mutable std::shared_mutex mutex_;
  mutable std::unordered_map<std::string, ContainerInfo> containers_;  // find() caches what it resolves
  mutable std::unordered_set<std::string> unknown_;
  Resolver resolver_;
};

}  // namespace edgeguard
