#include "collectors/docker/docker_parse.h"

#include <algorithm>
#include <limits>

#include "core/json_pointer.h"

namespace edgeguard::docker {

namespace {

using nlohmann::json;

const char* type_name(const json& value) {
  switch (value.type()) {
    case json::value_t::null: return "null";
    case json::value_t::object: return "an object";
    case json::value_t::array: return "an array";
    case json::value_t::string: return "a string";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "an integer";
    case json::value_t::number_float: return "a number";
    default: return "an unsupported value";
  }
}

json parse_document(std::string_view text) {
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::parse_error& error) {
    // nlohmann's own message quotes the last token read; say only where.
    throw ParseError("not valid JSON (syntax error at byte " + std::to_string(error.byte) + ")");
  } catch (const json::exception&) {
    // out_of_range: a number beyond double ("1e999"); its message quotes the number.
    throw ParseError("not valid JSON (a number out of range)");
  }
}

// A value inside a document with its JSON pointer, for errors that say where. Missing members
// and null read as the default: the engine omits or nulls what is unset, and older engines lack
// newer fields.
class At {
 public:
  At(const json* value, std::string pointer) : value_(value), pointer_(std::move(pointer)) {}

  At operator[](std::string_view key) const {
    std::string pointer = pointer_append(pointer_, key);
    if (!value_ || value_->is_null()) return At(nullptr, std::move(pointer));
    if (!value_->is_object()) fail("expected an object, got " + std::string(type_name(*value_)));
    const auto it = value_->find(key);
    return At(it == value_->end() ? nullptr : &*it, std::move(pointer));
  }

  bool absent() const { return !value_ || value_->is_null(); }
  const std::string& pointer() const { return pointer_; }

  [[noreturn]] void fail(const std::string& problem) const {
    throw ParseError((pointer_.empty() ? std::string("/") : pointer_) + ": " + problem);
  }

  const json& object() const {
    if (!value_ || !value_->is_object()) {
      fail("expected an object, got " + std::string(value_ ? type_name(*value_) : "nothing"));
    }
    return *value_;
  }

  std::string string(std::string fallback = {}) const {
    if (absent()) return fallback;
    if (!value_->is_string()) fail("expected a string, got " + std::string(type_name(*value_)));
    return value_->get<std::string>();
  }

  std::string required_string() const {
    if (!value_) fail("missing");
    if (!value_->is_string()) fail("expected a string, got " + std::string(type_name(*value_)));
    return value_->get<std::string>();
  }

  int64_t integer(int64_t fallback = 0) const {
    if (absent()) return fallback;
    if (value_->is_number_integer()) return value_->get<int64_t>();
    if (value_->is_number_unsigned()) {
      const auto number = value_->get<uint64_t>();
      if (number > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) fail("integer out of range");
      return static_cast<int64_t>(number);
    }
    fail("expected an integer, got " + std::string(type_name(*value_)));
  }

  bool boolean(bool fallback = false) const {
    if (absent()) return fallback;
    if (!value_->is_boolean()) fail("expected true or false, got " + std::string(type_name(*value_)));
    return value_->get<bool>();
  }

  template <typename F>
  void each(F&& f) const {
    if (absent()) return;
    if (!value_->is_array()) fail("expected an array, got " + std::string(type_name(*value_)));
    for (size_t i = 0; i < value_->size(); ++i) f(At(&(*value_)[i], pointer_ + "/" + std::to_string(i)));
  }

  template <typename F>
  void each_member(F&& f) const {
    if (absent()) return;
    if (!value_->is_object()) fail("expected an object, got " + std::string(type_name(*value_)));
    for (const auto& [key, value] : value_->items()) f(key, At(&value, pointer_append(pointer_, key)));
  }

  std::vector<std::string> strings() const {
    std::vector<std::string> out;
    each([&](const At& item) { out.push_back(item.required_string()); });
    return out;
  }

  std::map<std::string, std::string> string_map() const {
    std::map<std::string, std::string> out;
    each_member([&](const std::string& key, const At& item) { out[key] = item.required_string(); });
    return out;
  }

 private:
  const json* value_;
  std::string pointer_;
};

std::string strip_leading_slash(std::string name) {
  if (!name.empty() && name.front() == '/') name.erase(0, 1);
  return name;
}

int64_t engine_time(const At& at) {
  const std::string text = at.string();
  if (text.empty()) return 0;
  const auto parsed = parse_engine_time(text);
  if (!parsed) at.fail("expected an RFC 3339 time");
  return *parsed;
}

// The engine lists a container's mounts from a Go map, in a different order on every inspect.
// In order of destination (each mount point has its own), the same container reads the same
// every time: the inventory does not change and the cache sees no change that did not happen.
void sort_mounts(json& document) {
  if (!document.is_object()) return;
  const auto mounts = document.find("Mounts");
  if (mounts == document.end() || !mounts->is_array()) return;
  const auto destination = [](const json& mount) {
    if (!mount.is_object()) return std::string();
    const auto it = mount.find("Destination");
    return it != mount.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  std::stable_sort(mounts->begin(), mounts->end(),
                   [&](const json& a, const json& b) { return destination(a) < destination(b); });
}

SecuritySettings parse_settings(const At& root) {
  SecuritySettings s;
  const At host = root["HostConfig"];
  host.object();
  const At config = root["Config"];
  s.privileged = host["Privileged"].boolean();
  s.user = config["User"].string();
  s.readonly_rootfs = host["ReadonlyRootfs"].boolean();
  s.network_mode = host["NetworkMode"].string();
  s.pid_mode = host["PidMode"].string();
  s.ipc_mode = host["IpcMode"].string();
  s.uts_mode = host["UTSMode"].string();
  s.userns_mode = host["UsernsMode"].string();
  s.cgroupns_mode = host["CgroupnsMode"].string();
  s.cap_add = host["CapAdd"].strings();
  s.cap_drop = host["CapDrop"].strings();
  s.security_opt = host["SecurityOpt"].strings();
  host["Devices"].each([&](const At& item) {
    s.devices.push_back(Device{item["PathOnHost"].string(), item["PathInContainer"].string(),
                               item["CgroupPermissions"].string()});
  });
  s.device_cgroup_rules = host["DeviceCgroupRules"].strings();
  // The effective mounts (binds, volumes) as the engine set them up.
  root["Mounts"].each([&](const At& item) {
    s.mounts.push_back(Mount{item["Type"].string(), item["Source"].string(), item["Destination"].string(),
                             !item["RW"].boolean(true)});
  });
  host["PortBindings"].each_member([&](const std::string& port, const At& bindings) {
    bindings.each([&](const At& binding) {
      s.port_bindings.push_back(PortBinding{port, binding["HostIp"].string(), binding["HostPort"].string()});
    });
  });
  s.sysctls = host["Sysctls"].string_map();
  s.memory_bytes = host["Memory"].integer();
  s.nano_cpus = host["NanoCpus"].integer();
  s.cpu_quota = host["CpuQuota"].integer();
  s.cpu_shares = host["CpuShares"].integer();
  s.pids_limit = host["PidsLimit"].integer();
  s.restart_policy = host["RestartPolicy"]["Name"].string();
  s.restart_max_retries = host["RestartPolicy"]["MaximumRetryCount"].integer();
  s.apparmor_profile = root["AppArmorProfile"].string();
  s.healthcheck = config["Healthcheck"]["Test"].strings();
  return s;
}

}  // namespace

std::string edge_module_name(const std::map<std::string, std::string>& labels, std::string_view name) {
  const auto it = labels.find(std::string(kEdgeOwnerLabel));
  if (it == labels.end() || it->second != kEdgeOwnerValue) return {};
  return std::string(name);
}

bool is_container_id(std::string_view text) {
  return text.size() == 64 &&
         std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool is_safe_object_id(std::string_view text) {
  if (text.empty() || text.size() > 128) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == ':' || c == '_' ||
           c == '-' || c == '.';
  });
}

std::optional<int64_t> parse_engine_time(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM), written by hand: std::get_time and
  // strptime know neither fractions nor offsets.
  const auto digits = [&](size_t pos, size_t count, int& out) {
    if (pos + count > text.size()) return false;
    out = 0;
    for (size_t i = pos; i < pos + count; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      out = out * 10 + (text[i] - '0');
    }
    return true;
  };
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!digits(0, 4, year) || text.size() < 20 || text[4] != '-' || !digits(5, 2, month) || text[7] != '-' ||
      !digits(8, 2, day) || (text[10] != 'T' && text[10] != 't') || !digits(11, 2, hour) || text[13] != ':' ||
      !digits(14, 2, minute) || text[16] != ':' || !digits(17, 2, second)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  size_t pos = 19;
  int64_t nanos = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int count = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (count < 9) nanos = nanos * 10 + (text[pos] - '0');
      ++count;
      ++pos;
    }
    if (count == 0) return std::nullopt;
    for (int i = count; i < 9; ++i) nanos *= 10;
  }
  int64_t offset_seconds = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int offset_hours = 0, offset_minutes = 0;
    if (!digits(pos + 1, 2, offset_hours) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !digits(pos + 4, 2, offset_minutes) || offset_hours > 23 || offset_minutes > 59) {
      return std::nullopt;
    }
    offset_seconds = (offset_hours * 3600 + offset_minutes * 60) * (text[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  if (year == 1 && month == 1 && day == 1) return 0;  // Go's zero time: "never"
  // Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's days_from_civil).
  const int y = year - (month <= 2 ? 1 : 0);
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const int64_t days = static_cast<int64_t>(era) * 146097 + doe - 719468;
  const int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset_seconds;
  // Outside what int64 nanoseconds can hold (years before 1678 or after 2261): not a time the
  // engine writes for a container.
  if (seconds < -9223372036LL || seconds > 9223372035LL) return std::nullopt;
  return seconds * 1000000000LL + nanos;
}

EngineVersion parse_version(std::string_view body) {
  const json document = parse_document(body);
  const At root(&document, "");
  root.object();
  EngineVersion version;
  version.version = root["Version"].string();
  version.api_version = root["ApiVersion"].required_string();
  version.min_api_version = root["MinAPIVersion"].string();
  version.os = root["Os"].string();
  return version;
}

std::vector<ContainerSummary> parse_container_list(std::string_view body) {
  const json document = parse_document(body);
  const At root(&document, "");
  if (!document.is_array()) root.fail("expected an array, got " + std::string(type_name(document)));
  std::vector<ContainerSummary> out;
  root.each([&](const At& item) {
    item.object();
    ContainerSummary summary;
    summary.id = item["Id"].required_string();
    if (!is_container_id(summary.id)) item["Id"].fail("expected a 64-hex container id");
    const auto names = item["Names"].strings();
    summary.name = names.empty() ? summary.id.substr(0, 12) : strip_leading_slash(names.front());
    summary.image = item["Image"].string();
    summary.image_id = item["ImageID"].string();
    summary.state = item["State"].string();
    summary.labels = item["Labels"].string_map();
    out.push_back(std::move(summary));
  });
  return out;
}

ContainerRecord parse_container_inspect(std::string_view body) {
  json document = parse_document(body);
  sort_mounts(document);
  ContainerRecord record;
  {
    const At root(&document, "");
    root.object();
    record.info.id = root["Id"].required_string();
    if (!is_container_id(record.info.id)) root["Id"].fail("expected a 64-hex container id");
    record.info.name = strip_leading_slash(root["Name"].string());
    record.info.image_id = root["Image"].string();
    const At config = root["Config"];
    config.object();
    record.info.image = config["Image"].string();
    record.labels = config["Labels"].string_map();
    record.info.edge_module = edge_module_name(record.labels, record.info.name);
    record.created = root["Created"].string();

    const At state = root["State"];
    state.object();
    record.state.status = state["Status"].string();
    record.state.running = state["Running"].boolean();
    record.state.pid = state["Pid"].integer();
    record.state.exit_code = state["ExitCode"].integer();
    record.state.oom_killed = state["OOMKilled"].boolean();
    record.state.started_at = state["StartedAt"].string();
    record.state.finished_at = state["FinishedAt"].string();
    record.state.started_at_ns = engine_time(state["StartedAt"]);
    record.state.finished_at_ns = engine_time(state["FinishedAt"]);

    record.settings = parse_settings(root);
  }
  record.inspect = std::move(document);
  return record;
}

EngineEvent parse_engine_event(std::string_view line) {
  const json document = parse_document(line);
  const At root(&document, "");
  root.object();
  EngineEvent event;
  event.type = root["Type"].required_string();
  std::string action = root["Action"].required_string();
  const size_t colon = action.find(": ");
  if (colon != std::string::npos) {
    event.detail = action.substr(colon + 2);
    // The engine writes "exec_start: <entrypoint> <args joined>", with a trailing space when
    // there are no arguments.
    while (!event.detail.empty() && event.detail.back() == ' ') event.detail.pop_back();
    action.resize(colon);
  }
  event.action = std::move(action);
  const At actor = root["Actor"];
  actor.object();
  event.id = actor["ID"].string();
  event.attributes = actor["Attributes"].string_map();
  const int64_t seconds = root["time"].integer();
  event.time_ns = root["timeNano"].integer(0);
  if (event.time_ns == 0) {
    if (seconds < 0 || seconds > std::numeric_limits<int64_t>::max() / 1000000000LL) root["time"].fail("out of range");
    event.time_ns = seconds * 1000000000LL;
  }
  return event;
}

ExecDetails parse_exec_inspect(std::string_view body) {
  const json document = parse_document(body);
  const At root(&document, "");
  root.object();
  ExecDetails details;
  details.id = root["ID"].required_string();
  details.container_id = root["ContainerID"].string();
  const At process = root["ProcessConfig"];
  details.user = process["user"].string();
  details.privileged = process["privileged"].boolean();
  details.tty = process["tty"].boolean();
  details.entrypoint = process["entrypoint"].string();
  details.arguments = process["arguments"].strings();
  return details;
}

std::vector<std::string> parse_image_repo_digests(std::string_view body) {
  const json document = parse_document(body);
  const At root(&document, "");
  root.object();
  return root["RepoDigests"].strings();
}

}  // namespace edgeguard::docker
