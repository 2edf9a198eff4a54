#include "core/container_catalog.h"

#include <mutex>

namespace edgeguard {

void ContainerCatalog::upsert(ContainerInfo info) {
  std::unique_lock lock(mutex_);
  unknown_.erase(info.id);
  std::string id = info.id;
  containers_[std::move(id)] = std::move(info);
}

void ContainerCatalog::remove(std::string_view id) {
  std::unique_lock lock(mutex_);
  containers_.erase(std::string(id));
}

std::optional<ContainerInfo> ContainerCatalog::find(std::string_view id) const {
  Resolver resolver;
  {
    std::shared_lock lock(mutex_);
    const auto it = containers_.find(std::string(id));
    if (it != containers_.end()) return it->second;
    if (!resolver_ || unknown_.count(std::string(id))) return std::nullopt;
    resolver = resolver_;
  }
  {
    // Looked at again under the exclusive lock: another thread may have resolved the id (and
    // taken it off unknown_) since the look above; asking again would cost an engine request.
    std::unique_lock lock(mutex_);
    const auto it = containers_.find(std::string(id));
    if (it != containers_.end()) return it->second;
    if (!unknown_.insert(std::string(id)).second) return std::nullopt;  // another thread asked already
  }
  auto resolved = resolver(id);
  if (resolved) {
    std::unique_lock lock(mutex_);
    unknown_.erase(resolved->id);
    containers_[resolved->id] = *resolved;
  }
  return resolved;
}

void ContainerCatalog::set_resolver(Resolver resolver) {
  std::unique_lock lock(mutex_);
  resolver_ = std::move(resolver);
}

size_t ContainerCatalog::size() const {
  std::shared_lock lock(mutex_);
  return containers_.size();
}

}  // namespace edgeguard
