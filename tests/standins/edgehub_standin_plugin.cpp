// The edgeHub stand-in: a mosquitto (2.0) plugin that makes a real MQTT broker behave like
// edgeHub's MQTT head for one module identity, written to the contract in
// reference/iot-edge-module-protocol.md (sections 3.1, 4, 8), independently of the agent's code:
//
//  - authentication as edgeHub does it: client id exactly "{device}/{module}"; username
//    "{host}/{device}/{module}/?api-version=..." with a non-empty api-version; password a SAS
//    token whose HMAC-SHA256 over the raw sr text + "\n" + se matches the module key, whose
//    decoded audience is "{hub or gateway}/devices/{device}/modules/{module}", and which is not
//    expired (se + skew >= now; edgeHub's skew is 5 minutes). A connection whose token expires
//    is dropped, as edgeHub's re-authentication does.
//  - topics: the module may publish only its own telemetry topic and twin requests, and
//    subscribe only to the filters edgeHub recognises; QoS 2 and messages over 256 KiB (body +
//    property names and values) are violations and close the connection.
//  - the module twin: GET (200 with desired and reported), reported PATCH (merge, 204 with the
//    new $version), desired patches pushed by the test, all kept in <state>/twin.json so a
//    broker restart keeps the twin like edgeHub's store.
//  - a service identity "standin-observer" (password in a file) for the test: it may read
//    everything, reads the twin's reported document on "$standin/twin/reported", and pushes a
//    desired patch by publishing it to "$standin/twin/desired".
//
// Everything it decides is appended as JSON lines to <state>/auth.jsonl, <state>/received.jsonl
// (every telemetry message accepted, as edgeHub would store it) and <state>/violations.jsonl.
#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cctype>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace {

using nlohmann::json;

constexpr const char* kObserver = "standin-observer";
constexpr size_t kEdgeHubMessageLimit = 262144;

struct State {
  mosquitto_plugin_id_t* id = nullptr;
  std::string hub;
  std::string gateway;
  std::string device;
  std::string module;
  std::string key;  // raw bytes
  std::string observer_password;
  long skew_seconds = 300;
  std::string dir;
  json twin;                            // {"desired": {...}, "reported": {...}}
  std::map<std::string, long> expiry;   // client id -> se of the token it connected with
};

State state;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string trimmed(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.erase(text.begin());
  return text;
}

void append(const std::string& file, json record) {
  record["time"] = static_cast<long>(std::time(nullptr));
  std::ofstream out(state.dir + "/" + file, std::ios::app);
  out << record.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
}

void save_twin() {
  const std::string path = state.dir + "/twin.json";
  std::ofstream(path + ".tmp") << state.twin.dump();
  std::rename((path + ".tmp").c_str(), path.c_str());
}

std::optional<std::string> url_decode(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size() || !std::isxdigit(static_cast<unsigned char>(text[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      return std::nullopt;
    }
    out.push_back(static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16)));
    i += 2;
  }
  return out;
}

std::optional<std::string> base64_decode(const std::string& text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  std::string out(text.size(), '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  size_t length = static_cast<size_t>(n);
  if (text.back() == '=') --length;
  if (text[text.size() - 2] == '=') --length;
  out.resize(length);
  return out;
}

std::string hmac_sha256(const std::string& key, const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), digest, &length);
  return std::string(reinterpret_cast<char*>(digest), length);
}

bool iequal(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) return parts;
    start = end + 1;
  }
}

bool starts_with(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

std::string module_client_id() { return state.device + "/" + state.module; }

// Returns "" when the username is what edgeHub accepts for this identity, else why not.
std::string check_username(const std::string& username) {
  const auto segments = split(username, '/');
  if (segments.size() < 4) return "username has fewer than 4 segments";
  if (!iequal(segments[1], state.device) || segments[2] != state.module) return "username names another identity";
  const std::string& last = segments.back();
  if (last.empty() || last[0] != '?') return "username has no ?parameters segment";
  for (const auto& item : split(last.substr(1), '&')) {
    const auto equals = item.find('=');
    if (item.substr(0, equals) == "api-version") {
      return equals == std::string::npos || equals + 1 == item.size() ? "api-version is empty" : "";
    }
  }
  return "api-version is missing";
}

// Returns "" when the SAS token is valid for this identity now, else why not; sets `se`.
std::string check_token(const std::string& token, long& se) {
  const std::string prefix = "SharedAccessSignature ";
  if (!starts_with(token, prefix)) return "password is not a SharedAccessSignature";
  std::map<std::string, std::string> fields;
  for (const auto& item : split(token.substr(prefix.size()), '&')) {
    const auto equals = item.find('=');
    if (equals == std::string::npos) return "token field without '='";
    fields.emplace(item.substr(0, equals), item.substr(equals + 1));
  }
  if (!fields.count("sr") || !fields.count("sig") || !fields.count("se")) return "token lacks sr, sig or se";
  const auto sig = url_decode(fields["sig"]);
  const auto expiry = url_decode(fields["se"]);
  const auto audience = url_decode(fields["sr"]);
  if (!sig || !expiry || !audience) return "malformed escape in the token";
  try {
    size_t used = 0;
    se = std::stol(*expiry, &used);
    if (used != expiry->size()) return "se is not an integer";
  } catch (const std::exception&) {
    return "se is not an integer";
  }
  const auto signature = base64_decode(*sig);
  // The raw sr text, escapes exactly as sent, is what was signed.
  if (!signature || *signature != hmac_sha256(state.key, fields["sr"] + "\n" + *expiry)) return "signature mismatch";
  const auto parts = split(*audience, '/');
  if (parts.size() != 5 || parts[1] != "devices" || parts[3] != "modules") return "audience is not host/devices/d/modules/m";
  if (!iequal(parts[0], state.hub) && !iequal(parts[0], state.gateway)) return "audience host is neither the hub nor the gateway";
  if (!iequal(parts[2], state.device) || parts[4] != state.module) return "audience names another identity";
  if (se + state.skew_seconds < static_cast<long>(std::time(nullptr))) return "token expired";
  return "";
}

int on_basic_auth(int, void* event_data, void*) {
  auto* event = static_cast<mosquitto_evt_basic_auth*>(event_data);
  const std::string client_id = mosquitto_client_id(event->client);
  const std::string username = event->username ? event->username : "";
  const std::string password = event->password ? event->password : "";
  if (username == kObserver) {
    const bool ok = password == state.observer_password;
    append("auth.jsonl", {{"client", client_id}, {"observer", true}, {"ok", ok}});
    return ok ? MOSQ_ERR_SUCCESS : MOSQ_ERR_AUTH;
  }
  std::string reason;
  long se = 0;
  if (client_id != module_client_id()) {
    reason = "client id is not \"" + module_client_id() + "\"";
  } else {
    reason = check_username(username);
    if (reason.empty()) reason = check_token(password, se);
  }
  const bool ok = reason.empty();
  append("auth.jsonl", {{"client", client_id}, {"username", username}, {"ok", ok}, {"reason", reason}, {"se", se}});
  if (!ok) return MOSQ_ERR_AUTH;
  state.expiry[client_id] = se;
  return MOSQ_ERR_SUCCESS;
}

bool is_observer(mosquitto* client) {
  const char* username = mosquitto_client_username(client);
  return username && std::strcmp(username, kObserver) == 0;
}

void violation(mosquitto* client, const std::string& what, bool kick) {
  const char* id = mosquitto_client_id(client);
  append("violations.jsonl", {{"client", id ? id : ""}, {"violation", what}});
  mosquitto_log_printf(MOSQ_LOG_WARNING, "edgehub-standin: %s: %s", id ? id : "?", what.c_str());
  if (kick && id) mosquitto_kick_client_by_clientid(id, false);
}

std::string telemetry_prefix() { return "devices/" + state.device + "/modules/" + state.module + "/messages/events"; }

// Parses the property bag of an own telemetry topic; nullopt when the topic is not one.
std::optional<std::vector<std::pair<std::string, std::string>>> telemetry_properties(const std::string& topic) {
  const std::string prefix = telemetry_prefix();
  if (!starts_with(topic, prefix)) return std::nullopt;
  std::string bag = topic.substr(prefix.size());
  if (!bag.empty()) {
    if (bag[0] != '/') return std::nullopt;
    bag.erase(0, 1);
    if (!bag.empty() && bag.back() == '/') bag.pop_back();
  }
  std::vector<std::pair<std::string, std::string>> properties;
  if (bag.empty()) return properties;
  if (bag.find('/') != std::string::npos) return std::nullopt;
  for (const auto& item : split(bag, '&')) {
    if (item.empty()) continue;
    const auto equals = item.find('=');
    const auto key = url_decode(item.substr(0, equals));
    const auto value = url_decode(equals == std::string::npos ? "" : item.substr(equals + 1));
    if (!key || !value || key->empty()) return std::nullopt;
    properties.emplace_back(*key, *value);
  }
  return properties;
}

bool allowed_subscription(const std::string& filter) {
  return filter == "$iothub/twin/res/#" || filter == "$iothub/twin/PATCH/properties/desired/#" ||
         filter == "$iothub/methods/POST/#" || filter == "devices/" + state.device + "/modules/" + state.module + "/#";
}

int on_acl_check(int, void* event_data, void*) {
  auto* event = static_cast<mosquitto_evt_acl_check*>(event_data);
  if (is_observer(event->client)) return MOSQ_ERR_SUCCESS;
  const std::string topic = event->topic ? event->topic : "";
  switch (event->access) {
    case MOSQ_ACL_SUBSCRIBE:
      if (allowed_subscription(topic)) return MOSQ_ERR_SUCCESS;
      violation(event->client, "subscription edgeHub does not recognise: " + topic, false);
      return MOSQ_ERR_ACL_DENIED;
    case MOSQ_ACL_UNSUBSCRIBE:
      return MOSQ_ERR_SUCCESS;
    case MOSQ_ACL_READ:
      return starts_with(topic, "$iothub/twin/res/") || starts_with(topic, "$iothub/twin/PATCH/properties/desired/")
                 ? MOSQ_ERR_SUCCESS
                 : MOSQ_ERR_ACL_DENIED;
    case MOSQ_ACL_WRITE: {
      if (event->qos > 1) {
        violation(event->client, "QoS 2 publish (IoT Hub closes the connection)", true);
        return MOSQ_ERR_ACL_DENIED;
      }
      if (event->retain) {
        violation(event->client, "retained publish", false);
        return MOSQ_ERR_ACL_DENIED;
      }
      if (starts_with(topic, "$iothub/twin/GET/?$rid=") || starts_with(topic, "$iothub/twin/PATCH/properties/reported/?$rid=")) {
        return MOSQ_ERR_SUCCESS;
      }
      const auto properties = telemetry_properties(topic);
      if (!properties) {
        violation(event->client, "publish to a topic edgeHub cannot match: " + topic.substr(0, 300), true);
        return MOSQ_ERR_ACL_DENIED;
      }
      size_t size = event->payloadlen;
      for (const auto& [key, value] : *properties) size += key.size() + value.size();
      if (size > kEdgeHubMessageLimit) {
        violation(event->client, "message of " + std::to_string(size) + " bytes exceeds 262144", true);
        return MOSQ_ERR_ACL_DENIED;
      }
      return MOSQ_ERR_SUCCESS;
    }
    default:
      return MOSQ_ERR_ACL_DENIED;
  }
}

void publish_to(const std::string& client_id, const std::string& topic, const std::string& body, bool retain = false) {
  mosquitto_broker_publish_copy(client_id.empty() ? nullptr : client_id.c_str(), topic.c_str(),
                                static_cast<int>(body.size()), body.data(), 0, retain, nullptr);
}

void publish_reported_to_observers() {
  publish_to("", "$standin/twin/reported", state.twin["reported"].dump(), true);
}

std::string rid_of(const std::string& topic) {
  const auto at = topic.find("$rid=");
  if (at == std::string::npos) return "";
  const auto end = topic.find('&', at);
  return topic.substr(at + 5, end == std::string::npos ? std::string::npos : end - at - 5);
}

int on_message(int, void* event_data, void*) {
  auto* event = static_cast<mosquitto_evt_message*>(event_data);
  const std::string topic = event->topic ? event->topic : "";
  const std::string body(static_cast<const char*>(event->payload), event->payloadlen);
  const char* id = mosquitto_client_id(event->client);
  const std::string client_id = id ? id : "";

  if (is_observer(event->client)) {
    if (topic == "$standin/twin/desired") {
      json patch;
      try {
        patch = json::parse(body);
      } catch (const json::exception&) {
        // A deliberately malformed desired document: edgeHub would never send one, but the
        // agent must survive it, so push the raw text as the notification body.
        const long version = state.twin["desired"].value("$version", 0L) + 1;
        state.twin["desired"]["$version"] = version;
        save_twin();
        publish_to(module_client_id(), "$iothub/twin/PATCH/properties/desired/?$version=" + std::to_string(version), body);
        return MOSQ_ERR_SUCCESS;
      }
      patch.erase("$version");
      state.twin["desired"].merge_patch(patch);
      const long version = state.twin["desired"].value("$version", 0L) + 1;
      state.twin["desired"]["$version"] = version;
      patch["$version"] = version;
      save_twin();
      append("twin.jsonl", {{"desired_patch", patch}});
      publish_to(module_client_id(), "$iothub/twin/PATCH/properties/desired/?$version=" + std::to_string(version),
                 patch.dump());
    }
    return MOSQ_ERR_SUCCESS;
  }

  if (starts_with(topic, "$iothub/twin/GET/")) {
    append("twin.jsonl", {{"get", rid_of(topic)}});
    publish_to(client_id, "$iothub/twin/res/200/?$rid=" + rid_of(topic), state.twin.dump());
  } else if (starts_with(topic, "$iothub/twin/PATCH/properties/reported/")) {
    json patch;
    try {
      patch = json::parse(body);
    } catch (const json::exception&) {
      publish_to(client_id, "$iothub/twin/res/400/?$rid=" + rid_of(topic), "");
      violation(event->client, "reported patch is not JSON", false);
      return MOSQ_ERR_SUCCESS;
    }
    state.twin["reported"].merge_patch(patch);
    const long version = state.twin["reported"].value("$version", 0L) + 1;
    state.twin["reported"]["$version"] = version;
    save_twin();
    append("twin.jsonl", {{"reported_patch", rid_of(topic)}, {"version", version}});
    publish_to(client_id, "$iothub/twin/res/204/?$rid=" + rid_of(topic) + "&$version=" + std::to_string(version), "");
    publish_reported_to_observers();
  } else if (telemetry_properties(topic)) {
    append("received.jsonl", {{"topic", topic}, {"qos", event->qos}, {"body", body}});
  }
  return MOSQ_ERR_SUCCESS;
}

int on_tick(int, void*, void*) {
  const long now = static_cast<long>(std::time(nullptr));
  for (auto it = state.expiry.begin(); it != state.expiry.end();) {
    if (it->second + state.skew_seconds < now) {
      append("auth.jsonl", {{"client", it->first}, {"expired_kick", true}, {"se", it->second}});
      mosquitto_kick_client_by_clientid(it->first.c_str(), false);
      it = state.expiry.erase(it);
    } else {
      ++it;
    }
  }
  return MOSQ_ERR_SUCCESS;
}

int on_disconnect(int, void* event_data, void*) {
  auto* event = static_cast<mosquitto_evt_disconnect*>(event_data);
  const char* id = mosquitto_client_id(event->client);
  if (id && !is_observer(event->client)) state.expiry.erase(id);
  return MOSQ_ERR_SUCCESS;
}

}  // namespace

extern "C" {

int mosquitto_plugin_version(int count, const int* versions) {
  for (int i = 0; i < count; ++i) {
    if (versions[i] == 5) return 5;
  }
  return -1;
}

int mosquitto_plugin_init(mosquitto_plugin_id_t* identifier, void**, struct mosquitto_opt* options, int option_count) {
  state.id = identifier;
  for (int i = 0; i < option_count; ++i) {
    const std::string key = options[i].key;
    const std::string value = options[i].value ? options[i].value : "";
    if (key == "hub") state.hub = value;
    else if (key == "gateway") state.gateway = value;
    else if (key == "device") state.device = value;
    else if (key == "module") state.module = value;
    else if (key == "key_file") state.key = base64_decode(trimmed(read_file(value))).value_or("");
    else if (key == "observer_password_file") state.observer_password = trimmed(read_file(value));
    else if (key == "skew_seconds") state.skew_seconds = std::stol(value);
    else if (key == "state_dir") state.dir = value;
  }
  if (state.hub.empty() || state.device.empty() || state.module.empty() || state.key.empty() ||
      state.observer_password.empty() || state.dir.empty()) {
    mosquitto_log_printf(MOSQ_LOG_ERR, "edgehub-standin: hub, device, module, key_file, observer_password_file and "
                                       "state_dir are required");
    return MOSQ_ERR_INVAL;
  }
  const std::string saved = read_file(state.dir + "/twin.json");
  try {
    state.twin = saved.empty() ? json::object() : json::parse(saved);
  } catch (const json::exception&) {
    state.twin = json::object();
  }
  if (!state.twin.contains("desired")) state.twin["desired"] = {{"$version", 1}};
  if (!state.twin.contains("reported")) state.twin["reported"] = {{"$version", 1}};
  save_twin();
  mosquitto_callback_register(identifier, MOSQ_EVT_BASIC_AUTH, on_basic_auth, nullptr, nullptr);
  mosquitto_callback_register(identifier, MOSQ_EVT_ACL_CHECK, on_acl_check, nullptr, nullptr);
  mosquitto_callback_register(identifier, MOSQ_EVT_MESSAGE, on_message, nullptr, nullptr);
  mosquitto_callback_register(identifier, MOSQ_EVT_TICK, on_tick, nullptr, nullptr);
  mosquitto_callback_register(identifier, MOSQ_EVT_DISCONNECT, on_disconnect, nullptr, nullptr);
  return MOSQ_ERR_SUCCESS;
}

int mosquitto_plugin_cleanup(void*, struct mosquitto_opt*, int) {
  mosquitto_callback_unregister(state.id, MOSQ_EVT_BASIC_AUTH, on_basic_auth, nullptr);
  mosquitto_callback_unregister(state.id, MOSQ_EVT_ACL_CHECK, on_acl_check, nullptr);
  mosquitto_callback_unregister(state.id, MOSQ_EVT_MESSAGE, on_message, nullptr);
  mosquitto_callback_unregister(state.id, MOSQ_EVT_TICK, on_tick, nullptr);
  mosquitto_callback_unregister(state.id, MOSQ_EVT_DISCONNECT, on_disconnect, nullptr);
  return MOSQ_ERR_SUCCESS;
}

}  // extern "C"
