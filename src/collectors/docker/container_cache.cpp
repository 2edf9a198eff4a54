#include "collectors/docker/container_cache.h"

#include <algorithm>

namespace edgeguard::docker {

int ContainerCache::subscribe(Listener listener) {
  std::lock_guard lock(listeners_mutex_);
  const int id = next_subscription_++;
  listeners_[id] = std::make_shared<const Listener>(std::move(listener));
  return id;
}

void ContainerCache::unsubscribe(int subscription) {
  std::lock_guard lock(listeners_mutex_);
  listeners_.erase(subscription);
}

void ContainerCache::notify(const std::vector<ContainerChange>& changes) {
  if (changes.empty()) return;
  std::vector<std::shared_ptr<const Listener>> listeners;
  {
    std::lock_guard lock(listeners_mutex_);
    for (const auto& [id, listener] : listeners_) listeners.push_back(listener);
  }
  for (const auto& change : changes) {
    for (const auto& listener : listeners) (*listener)(change);
  }
}

RecordPtr ContainerCache::get(std::string_view id) const {
  std::lock_guard lock(mutex_);
  const auto it = records_.find(std::string(id));
  return it == records_.end() ? nullptr : it->second;
}

std::vector<RecordPtr> ContainerCache::snapshot() const {
  std::vector<RecordPtr> out;
  {
    std::lock_guard lock(mutex_);
    out.reserve(records_.size());
    for (const auto& [id, record] : records_) out.push_back(record);
  }
  std::sort(out.begin(), out.end(), [](const RecordPtr& a, const RecordPtr& b) {
    return a->info.name != b->info.name ? a->info.name < b->info.name : a->info.id < b->info.id;
  });
  return out;
}

size_t ContainerCache::size() const {
  std::lock_guard lock(mutex_);
  return records_.size();
}

RecordPtr ContainerCache::put(ContainerRecord record) {
  ContainerChange change{ContainerChange::Kind::Added, nullptr};
  {
    std::lock_guard lock(mutex_);
    auto& slot = records_[record.info.id];
    if (slot) {
      change.kind = ContainerChange::Kind::Updated;
      record.synced_at_ns = std::max(record.synced_at_ns, slot->synced_at_ns);
    }
    auto shared = std::make_shared<const ContainerRecord>(std::move(record));
    slot = shared;
    change.record = std::move(shared);
    // Under the cache lock, so the catalog never ends up older than the cache.
    catalog_.upsert(change.record->info);
  }
  notify({change});
  return change.record;
}

RecordPtr ContainerCache::erase(std::string_view id) {
  RecordPtr last;
  {
    std::lock_guard lock(mutex_);
    const auto it = records_.find(std::string(id));
    if (it != records_.end()) {
      last = it->second;
      records_.erase(it);
    }
    catalog_.remove(id);
  }
  if (last) notify({ContainerChange{ContainerChange::Kind::Removed, last}});
  return last;
}

std::vector<Transition> ContainerCache::replace_all(std::vector<ContainerRecord> fresh, int64_t listed_at_ns) {
  std::vector<Transition> transitions;
  std::vector<ContainerChange> changes;
  {
    std::lock_guard lock(mutex_);
    std::unordered_map<std::string, RecordPtr> next;
    next.reserve(fresh.size());
    for (auto& record : fresh) {
      const std::string id = record.info.id;
      const auto old_it = records_.find(id);
      const RecordPtr old = old_it == records_.end() ? nullptr : old_it->second;
      if (!record.settings_known && old && old->settings_known) {
        // Its inspect failed this time: keep the last good settings, take the new name/state.
        ContainerRecord merged = *old;
        merged.info = record.info;
        merged.labels = record.labels;
        merged.state.status = record.state.status;
        merged.synced_at_ns = record.synced_at_ns;
        record = std::move(merged);
      }
      auto now = std::make_shared<const ContainerRecord>(std::move(record));
      const ContainerState& state = now->state;
      if (!old) {
        transitions.push_back({"create", now, std::nullopt});
        if (state.started_at_ns > 0) transitions.push_back({"start", now, std::nullopt});
        // Started and not running: that run ended. FinishedAt is not compared with StartedAt:
        // the engine stamps StartedAt once its runtime has started the process, FinishedAt with
        // the runtime's exit time, so a process that exits at once can finish "before" it started.
        if (!state.running && state.started_at_ns > 0) transitions.push_back({"die", now, state.exit_code});
        changes.push_back({ContainerChange::Kind::Added, now});
      } else {
        const bool restarted = state.started_at_ns > old->state.started_at_ns;
        if (restarted) {
          // It stopped (if we last saw it running) and started again while we were away; the
          // exit code of that run is gone (the engine resets it on start).
          if (old->state.running) transitions.push_back({"die", now, std::nullopt});
          transitions.push_back({"start", now, std::nullopt});
        }
        const bool finished_since = state.finished_at_ns > old->state.finished_at_ns;
        if (!state.running && state.started_at_ns > 0 && (old->state.running || finished_since || restarted)) {
          transitions.push_back({"die", now, state.exit_code});
        }
        if (old->inspect != now->inspect || old->info.name != now->info.name || old->state.status != now->state.status) {
          changes.push_back({ContainerChange::Kind::Updated, now});
        }
      }
      catalog_.upsert(now->info);
      next.emplace(id, std::move(now));
    }
    removed_at_resync_.clear();
    for (const auto& [id, old] : records_) {
      if (next.count(id)) continue;
      if (old->state.running) transitions.push_back({"die", old, std::nullopt});
      transitions.push_back({"destroy", old, std::nullopt});
      changes.push_back({ContainerChange::Kind::Removed, old});
      removed_at_resync_[id] = listed_at_ns;
      catalog_.remove(id);
    }
    records_ = std::move(next);
  }
  notify(changes);
  return transitions;
}

bool ContainerCache::reflected_by_resync(std::string_view id, int64_t time_ns) const {
  std::lock_guard lock(mutex_);
  const std::string key(id);
  const auto it = records_.find(key);
  if (it != records_.end()) return time_ns <= it->second->synced_at_ns;
  const auto removed = removed_at_resync_.find(key);
  return removed != removed_at_resync_.end() && time_ns <= removed->second;
}

}  // namespace edgeguard::docker
