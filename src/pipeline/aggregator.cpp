#include "pipeline/aggregator.h"

#include "core/log.h"
#include "core/timestamp.h"

namespace edgeguard {
namespace {

int64_t to_millis(TimePoint time) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}
TimePoint from_millis(int64_t millis) { return TimePoint(std::chrono::milliseconds(millis)); }

uint64_t fnv1a(const std::string& text) {
  uint64_t hash = 1469598103934665603ull;
  for (const unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

std::string dump(const nlohmann::json& value) { return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

}  // namespace

Aggregator::Aggregator(const AgentConfig& config, size_t max_keys_per_window) : max_keys_(max_keys_per_window) {
  configure(config);
}

void Aggregator::configure(const AgentConfig& config) { settings_ = config.aggregation; }

nlohmann::json Aggregator::normalise(const Event& event) {
  nlohmann::json payload = event.payload.at(0);
  if (payload.contains("ProcessId")) payload["ProcessId"] = 0;
  if (payload.contains("ParentProcessId")) payload["ParentProcessId"] = 0;
  if (event.name == "ConnectionCreate") {
    // The ephemeral side of a connection differs every time; the service side identifies it.
    const bool inbound = payload.value("Direction", "") == "In";
    payload[inbound ? "RemotePort" : "LocalPort"] = "";
  }
  return payload;
}

std::string Aggregator::state_key(const std::string& name, const std::string& key) {
  char hash[17];
  std::snprintf(hash, sizeof(hash), "%016llx", static_cast<unsigned long long>(fnv1a(key)));
  return std::string(kStatePrefix) + name + "/" + hash;
}

std::string Aggregator::window_key(const std::string& name) { return std::string(kStatePrefix) + name + "/$window"; }

std::string Aggregator::encode(const std::string& payload, const Entry& entry) {
  return "{\"first\":" + std::to_string(to_millis(entry.first)) + ",\"hits\":" + std::to_string(entry.hits) +
         ",\"last\":" + std::to_string(to_millis(entry.last)) + ",\"payload\":" + payload + "}";
}

bool Aggregator::absorb(const Event& event) {
  const auto setting = settings_.find(event.name);
  if (setting == settings_.end() || !setting->second.enabled || event.payload.size() != 1 ||
      !event.payload.at(0).is_object()) {
    return false;
  }
  auto window_it = windows_.find(event.name);
  if (window_it == windows_.end()) {
    window_it = windows_.emplace(event.name, Window{}).first;
    window_it->second.opened = event.time;
    closed_changes_.push_back({window_key(event.name), std::to_string(to_millis(event.time))});
  }
  Window& window = window_it->second;
  std::string key = dump(normalise(event));
  // A full window takes no new keys until it is closed: the event goes out on its own.
  if (window.full && !window.entries.count(key)) return false;
  auto [it, inserted] = window.entries.try_emplace(key);
  Entry& entry = it->second;
  if (inserted) {
    entry.first = event.time;
    if (window.entries.size() >= max_keys_) window.full = true;
  }
  ++entry.hits;
  entry.last = std::max(entry.last, event.time);
  window.dirty.insert(std::move(key));
  return true;
}

Event Aggregator::emit(const std::string& name, const std::string& text, const Entry& entry) const {
  nlohmann::json payload = nlohmann::json::parse(text);
  nlohmann::json& extra = payload["ExtraDetails"];
  if (!extra.is_object()) extra = nlohmann::json::object();
  extra["HitCount"] = std::to_string(entry.hits);
  extra["StartTimeUtc"] = format_utc_time(entry.first);
  extra["EndTimeUtc"] = format_utc_time(entry.last);
  extra["StartTimeLocal"] = format_local_time(entry.first);
  extra["EndTimeLocal"] = format_local_time(entry.last);
  return make_event(name, EventCategory::Triggered, EventKind::Security, nlohmann::json::array({payload}));
}

std::vector<Event> Aggregator::take_due(TimePoint now, bool close_all) {
  std::vector<Event> out;
  for (auto it = windows_.begin(); it != windows_.end();) {
    const auto setting = settings_.find(it->first);
    const bool enabled = setting != settings_.end() && setting->second.enabled;
    const bool due = !enabled || close_all || it->second.full || now - it->second.opened >= setting->second.interval.value;
    if (!due) {
      ++it;
      continue;
    }
    for (const auto& [key, entry] : it->second.entries) {
      out.push_back(emit(it->first, key, entry));
      closed_changes_.push_back({state_key(it->first, key), std::nullopt});
    }
    closed_changes_.push_back({window_key(it->first), std::nullopt});
    it = windows_.erase(it);
  }
  return out;
}

std::vector<StateChange> Aggregator::take_state_changes() {
  std::vector<StateChange> changes = std::move(closed_changes_);
  closed_changes_.clear();
  for (auto& [name, window] : windows_) {
    for (const auto& key : window.dirty) changes.push_back({state_key(name, key), encode(key, window.entries.at(key))});
    window.dirty.clear();
  }
  return changes;
}

std::optional<TimePoint> Aggregator::next_due() const {
  std::optional<TimePoint> next;
  for (const auto& [name, window] : windows_) {
    const auto setting = settings_.find(name);
    TimePoint due = setting == settings_.end() ? window.opened : window.opened + setting->second.interval.value;
    if (window.full) due = window.opened;
    if (!next || due < *next) next = due;
  }
  return next;
}

void Aggregator::restore(const std::map<std::string, std::string>& state) {
  const std::string prefix = kStatePrefix;
  for (const auto& [key, value] : state) {
    if (key.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string rest = key.substr(prefix.size());
    const auto slash = rest.find('/');
    if (slash == std::string::npos) continue;
    const std::string name = rest.substr(0, slash);
    const std::string id = rest.substr(slash + 1);
    try {
      if (id == "$window") {
        windows_[name].opened = from_millis(std::stoll(value));
        continue;
      }
      const auto parsed = nlohmann::json::parse(value);
      Entry entry;
      const std::string payload = dump(parsed.at("payload"));
      entry.hits = parsed.at("hits").get<uint64_t>();
      entry.first = from_millis(parsed.at("first").get<int64_t>());
      entry.last = from_millis(parsed.at("last").get<int64_t>());
      Window& window = windows_[name];
      if (window.opened == TimePoint{}) window.opened = entry.first;
      window.entries[payload] = entry;
      if (window.entries.size() >= max_keys_) window.full = true;
    } catch (const std::exception& error) {
      // A damaged entry cannot be re-emitted; say so and go on rather than refuse to start.
      log::get("pipeline")->error("aggregation state {} is damaged and was discarded: {}", key, error.what());
    }
  }
}

}  // namespace edgeguard
