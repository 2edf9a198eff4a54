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

}  // namespace

Aggregator::Aggregator(const AgentConfig& config) { configure(config); }

void Aggregator::configure(const AgentConfig& config) { settings_ = config.aggregation; }

nlohmann::json Aggregator::normalise(const Event& event) {
  nlohmann::json payload = event.payload.empty() ? nlohmann::json::object() : event.payload.at(0);
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

std::string Aggregator::encode(const Entry& entry) {
  return nlohmann::json{{"payload", entry.payload},
                        {"hits", entry.hits},
                        {"first", to_millis(entry.first)},
                        {"last", to_millis(entry.last)}}
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool Aggregator::absorb(const Event& event, std::vector<StateChange>& changes) {
  const auto setting = settings_.find(event.name);
  if (setting == settings_.end() || !setting->second.enabled || event.payload.size() != 1) return false;
  auto window_it = windows_.find(event.name);
  if (window_it == windows_.end()) {
    window_it = windows_.emplace(event.name, Window{event.time, {}}).first;
    changes.push_back({std::string(kStatePrefix) + event.name + "/$window", std::to_string(to_millis(event.time))});
  }
  Window& window = window_it->second;
  nlohmann::json payload = normalise(event);
  const std::string key = payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  auto [it, inserted] = window.entries.try_emplace(key);
  Entry& entry = it->second;
  if (inserted) {
    entry.payload = std::move(payload);
    entry.first = event.time;
  }
  ++entry.hits;
  entry.last = std::max(entry.last, event.time);
  changes.push_back({state_key(event.name, key), encode(entry)});
  return true;
}

Event Aggregator::emit(const std::string& name, const Entry& entry) const {
  nlohmann::json payload = entry.payload;
  nlohmann::json& extra = payload["ExtraDetails"];
  if (!extra.is_object()) extra = nlohmann::json::object();
  extra["HitCount"] = std::to_string(entry.hits);
  extra["StartTimeUtc"] = format_utc_time(entry.first);
  extra["EndTimeUtc"] = format_utc_time(entry.last);
  extra["StartTimeLocal"] = format_local_time(entry.first);
  extra["EndTimeLocal"] = format_local_time(entry.last);
  Event event = make_event(name, EventCategory::Triggered, EventKind::Security, nlohmann::json::array({payload}));
  return event;
}

std::vector<Event> Aggregator::take_due(TimePoint now, bool close_all, std::vector<StateChange>& changes) {
  std::vector<Event> out;
  for (auto it = windows_.begin(); it != windows_.end();) {
    const auto setting = settings_.find(it->first);
    const bool enabled = setting != settings_.end() && setting->second.enabled;
    const bool due = !enabled || close_all || (enabled && now - it->second.opened >= setting->second.interval.value);
    if (!due) {
      ++it;
      continue;
    }
    for (const auto& [key, entry] : it->second.entries) {
      out.push_back(emit(it->first, entry));
      changes.push_back({state_key(it->first, key), std::nullopt});
    }
    changes.push_back({std::string(kStatePrefix) + it->first + "/$window", std::nullopt});
    it = windows_.erase(it);
  }
  return out;
}

std::optional<TimePoint> Aggregator::next_due() const {
  std::optional<TimePoint> next;
  for (const auto& [name, window] : windows_) {
    const auto setting = settings_.find(name);
    const TimePoint due = setting == settings_.end() ? window.opened : window.opened + setting->second.interval.value;
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
      entry.payload = parsed.at("payload");
      entry.hits = parsed.at("hits").get<uint64_t>();
      entry.first = from_millis(parsed.at("first").get<int64_t>());
      entry.last = from_millis(parsed.at("last").get<int64_t>());
      const std::string entry_key = entry.payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      Window& window = windows_[name];
      if (window.opened == TimePoint{}) window.opened = entry.first;
      window.entries[entry_key] = std::move(entry);
    } catch (const std::exception& error) {
      // A damaged entry cannot be re-emitted; say so and go on rather than refuse to start.
      log::get("pipeline")->error("aggregation state {} is damaged and was discarded: {}", key, error.what());
    }
  }
}

}  // namespace edgeguard
