#include "analysis/rule_catalog.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "analysis/json_location.h"
#include "analysis/manifest_rules_json.h"
#include "core/strings.h"

namespace edgeguard::analysis {

namespace rule_id {
const std::vector<std::string_view>& all() {
  static const std::vector<std::string_view> ids = {kPrivileged,
                                                    kCapability,
                                                    kHostNetwork,
                                                    kHostPid,
                                                    kHostIpc,
                                                    kHostUts,
                                                    kHostUserns,
                                                    kHostCgroupns,
                                                    kHostPath,
                                                    kDevice,
                                                    kUnconfined,
                                                    kNoNewPrivileges,
                                                    kWritableRootfs,
                                                    kRunsAsRoot,
                                                    kNoMemoryLimit,
                                                    kNoCpuLimit,
                                                    kNoPidsLimit,
                                                    kPortAllInterfaces,
                                                    kLoggingDisabled,
                                                    kEdgeLabel,
                                                    kImageNoTag,
                                                    kImageLatest,
                                                    kImageNoDigest,
                                                    kSystemImage,
                                                    kRegistryPassword,
                                                    kEnvSecret,
                                                    kEdgeHubSetting,
                                                    kEdgeHubHeads,
                                                    kEdgeHubExperimental,
                                                    kDebugLogLevel,
                                                    kRouteMissing,
                                                    kRouteConditional};
  return ids;
}
}  // namespace rule_id

namespace {

using nlohmann::json;

// Walks the rules document and throws RuleCatalogError naming the file and JSON path of the
// first thing that is wrong.
class Parser {
 public:
  explicit Parser(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(const std::string& path, const std::string& message) const {
    throw RuleCatalogError(source_ + " " + (path.empty() ? "/" : path) + ": " + message);
  }

  const json& member(const json& object, const std::string& path, std::string_view key) const {
    const auto it = object.find(key);
    if (it == object.end()) fail(path, "missing \"" + std::string(key) + "\"");
    return *it;
  }
  const json& object(const json& value, const std::string& path) const {
    if (!value.is_object()) fail(path, "expected an object");
    return value;
  }
  const json& array(const json& value, const std::string& path) const {
    if (!value.is_array()) fail(path, "expected an array");
    return value;
  }
  std::string string(const json& value, const std::string& path) const {
    if (!value.is_string() || value.get_ref<const std::string&>().empty()) fail(path, "expected a non-empty string");
    return value.get<std::string>();
  }
  std::string string_at(const json& object, const std::string& path, std::string_view key) const {
    return string(member(object, path, key), pointer_append(path, key));
  }
  Severity severity(const json& value, const std::string& path) const {
    const auto parsed = value.is_string() ? parse_severity(value.get<std::string>()) : std::nullopt;
    if (!parsed) fail(path, "expected one of \"low\", \"medium\", \"high\", \"critical\"");
    return *parsed;
  }
  Severity severity_at(const json& object, const std::string& path, std::string_view key) const {
    return severity(member(object, path, key), pointer_append(path, key));
  }
  std::optional<Severity> optional_severity(const json& object, const std::string& path, std::string_view key) const {
    if (!object.contains(key)) return std::nullopt;
    return severity(object.at(key), pointer_append(path, key));
  }
  bool flag(const json& object, const std::string& path, std::string_view key) const {
    if (!object.contains(key)) return false;
    if (!object.at(key).is_boolean()) fail(pointer_append(path, key), "expected true or false");
    return object.at(key).get<bool>();
  }
  std::vector<std::string> strings(const json& value, const std::string& path) const {
    std::vector<std::string> out;
    const json& items = array(value, path);
    for (size_t i = 0; i < items.size(); ++i) out.push_back(string(items[i], pointer_append(path, i)));
    return out;
  }
  std::vector<std::string> strings_at(const json& object, const std::string& path, std::string_view key) const {
    return strings(member(object, path, key), pointer_append(path, key));
  }
  std::regex regex(const std::string& pattern, const std::string& path) const {
    try {
      return std::regex(pattern, std::regex::ECMAScript | std::regex::icase | std::regex::optimize);
    } catch (const std::regex_error& error) {
      fail(path, "not a valid regular expression: " + std::string(error.what()));
    }
  }
  // Several patterns as one alternation, so a value is tested once.
  std::regex any_of(const std::vector<std::string>& patterns, const std::string& path) const {
    std::string joined;
    for (size_t i = 0; i < patterns.size(); ++i) {
      regex(patterns[i], pointer_append(path, i));  // each must be valid on its own
      joined += (joined.empty() ? "(?:" : "|(?:") + patterns[i] + ")";
    }
    return regex(joined.empty() ? "(?!)" : joined, path);
  }

 private:
  std::string source_;
};

RuleInfo parse_rule(const Parser& p, const json& value, const std::string& path) {
  p.object(value, path);
  RuleInfo rule;
  rule.id = p.string_at(value, path, "id");
  rule.name = p.string_at(value, path, "name");
  rule.severity = p.severity_at(value, path, "severity");
  rule.agent_severity = p.optional_severity(value, path, "agentSeverity");
  rule.title = p.string_at(value, path, "title");
  rule.description = p.string_at(value, path, "description");
  rule.remediation = p.string_at(value, path, "remediation");
  const std::string messages_path = pointer_append(path, "messages");
  const json& messages = p.object(p.member(value, path, "messages"), messages_path);
  for (const auto& [variant, text] : messages.items()) {
    rule.messages[variant] = p.string(text, pointer_append(messages_path, variant));
  }
  if (!rule.messages.contains("default")) p.fail(messages_path, "missing the \"default\" message");
  if (value.contains("severities")) {
    const std::string severities_path = pointer_append(path, "severities");
    for (const auto& [variant, severity] : p.object(value.at("severities"), severities_path).items()) {
      if (!rule.messages.contains(variant)) p.fail(severities_path, "no message variant \"" + variant + "\"");
      rule.variant_severity[variant] = p.severity(severity, pointer_append(severities_path, variant));
    }
  }
  return rule;
}

}  // namespace

std::string capability_name(std::string_view text) {
  std::string name(trim(text));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (starts_with(name, "CAP_")) name = name.substr(4);
  return name;
}

RuleCatalog RuleCatalog::parse(std::string_view text, const std::string& source) {
  const Parser p(source);
  json document;
  try {
    document = json::parse(text);
  } catch (const json::parse_error& error) {
    const TextPosition at = position_of_offset(text, error.byte == 0 ? 0 : error.byte - 1);
    throw RuleCatalogError(describe_position(source, at) + ": not valid JSON: " + error.what());
  } catch (const json::exception& error) {
    throw RuleCatalogError(source + ": cannot be read as JSON: " + error.what());
  }
  p.object(document, "");
  if (p.member(document, "", "formatVersion") != 1) p.fail("/formatVersion", "this build reads format version 1");

  RuleCatalog catalog;
  const json& rules = p.array(p.member(document, "", "rules"), "/rules");
  std::set<std::string, std::less<>> seen;
  for (size_t i = 0; i < rules.size(); ++i) {
    const std::string path = pointer_append("/rules", i);
    RuleInfo rule = parse_rule(p, rules[i], path);
    const auto& known = rule_id::all();
    if (std::find(known.begin(), known.end(), rule.id) == known.end()) {
      p.fail(path + "/id", "\"" + rule.id + "\" is not a rule this build implements");
    }
    if (!seen.insert(rule.id).second) p.fail(path + "/id", "rule \"" + rule.id + "\" is defined twice");
    catalog.rules_.push_back(std::move(rule));
  }
  for (const auto id : rule_id::all()) {
    if (!seen.contains(id)) p.fail("/rules", "rule \"" + std::string(id) + "\" is missing");
  }

  const json& capabilities = p.array(p.member(document, "", "capabilities"), "/capabilities");
  for (size_t i = 0; i < capabilities.size(); ++i) {
    const std::string path = pointer_append("/capabilities", i);
    p.object(capabilities[i], path);
    catalog.capabilities.push_back(CapabilityEntry{
        capability_name(p.string_at(capabilities[i], path, "name")), p.severity_at(capabilities[i], path, "severity"),
        p.flag(capabilities[i], path, "agentNeeds"), p.string_at(capabilities[i], path, "what")});
  }

  const json& host_paths = p.array(p.member(document, "", "hostPaths"), "/hostPaths");
  for (size_t i = 0; i < host_paths.size(); ++i) {
    const std::string path = pointer_append("/hostPaths", i);
    const json& entry = p.object(host_paths[i], path);
    HostPathEntry out;
    out.path = p.string_at(entry, path, "path");
    if (!starts_with(out.path, "/")) p.fail(path + "/path", "expected an absolute path");
    out.severity = p.severity_at(entry, path, "severity");
    out.read_only_severity = p.severity_at(entry, path, "readOnlySeverity");
    out.below_severity = p.optional_severity(entry, path, "belowSeverity");
    out.below_read_only_severity = p.optional_severity(entry, path, "belowReadOnlySeverity");
    out.agent_may_read_only = p.flag(entry, path, "agentMayReadOnly");
    out.what = p.string_at(entry, path, "what");
    catalog.host_paths.push_back(std::move(out));
  }
  const json& expected = p.array(p.member(document, "", "expectedHostPaths"), "/expectedHostPaths");
  for (size_t i = 0; i < expected.size(); ++i) {
    const std::string path = pointer_append("/expectedHostPaths", i);
    p.object(expected[i], path);
    catalog.expected_host_paths.push_back(
        ExpectedHostPath{p.string_at(expected[i], path, "path"), p.strings_at(expected[i], path, "modules")});
  }
  catalog.harmless_read_only_paths = p.strings_at(document, "", "harmlessReadOnlyHostPaths");

  const json& devices = p.object(p.member(document, "", "devices"), "/devices");
  const json& device_list = p.array(p.member(devices, "/devices", "paths"), "/devices/paths");
  for (size_t i = 0; i < device_list.size(); ++i) {
    const std::string path = pointer_append("/devices/paths", i);
    p.object(device_list[i], path);
    catalog.devices.push_back(DeviceEntry{p.string_at(device_list[i], path, "pattern"),
                                          p.severity_at(device_list[i], path, "severity"),
                                          p.string_at(device_list[i], path, "what")});
  }
  catalog.other_device_severity = p.severity_at(devices, "/devices", "otherSeverity");
  catalog.all_devices_cgroup_rule_severity = p.severity_at(devices, "/devices", "allDevicesCgroupRuleSeverity");
  catalog.other_cgroup_rule_severity = p.severity_at(devices, "/devices", "otherCgroupRuleSeverity");

  const json& options = p.array(p.member(document, "", "securityOptions"), "/securityOptions");
  for (size_t i = 0; i < options.size(); ++i) {
    const std::string path = pointer_append("/securityOptions", i);
    p.object(options[i], path);
    catalog.security_options.push_back(SecurityOptionEntry{to_lower(p.string_at(options[i], path, "option")),
                                                           p.severity_at(options[i], path, "severity"),
                                                           p.string_at(options[i], path, "what")});
  }

  const json& secrets = p.object(p.member(document, "", "secrets"), "/secrets");
  catalog.secret_env_names = p.any_of(p.strings_at(secrets, "/secrets", "envNames"), "/secrets/envNames");
  catalog.secret_env_name_exceptions =
      p.any_of(p.strings_at(secrets, "/secrets", "envNameExceptions"), "/secrets/envNameExceptions");
  const json& values = p.array(p.member(secrets, "/secrets", "values"), "/secrets/values");
  for (size_t i = 0; i < values.size(); ++i) {
    const std::string path = pointer_append("/secrets/values", i);
    p.object(values[i], path);
    catalog.secret_values.push_back(SecretValuePattern{
        p.regex(p.string_at(values[i], path, "pattern"), path + "/pattern"), p.string_at(values[i], path, "what")});
  }

  const json& hub = p.object(p.member(document, "", "edgeHub"), "/edgeHub");
  const json& weak = p.array(p.member(hub, "/edgeHub", "weakSettings"), "/edgeHub/weakSettings");
  for (size_t i = 0; i < weak.size(); ++i) {
    const std::string path = pointer_append("/edgeHub/weakSettings", i);
    p.object(weak[i], path);
    WeakSetting setting;
    setting.env = p.string_at(weak[i], path, "env");
    const std::string match = p.string_at(weak[i], path, "match");
    if (match == "equals") {
      setting.match = WeakSetting::Match::Equals;
    } else if (match == "notOneOf") {
      setting.match = WeakSetting::Match::NotOneOf;
    } else if (match == "listContainsAny") {
      setting.match = WeakSetting::Match::ListContainsAny;
    } else {
      p.fail(path + "/match", "expected \"equals\", \"notOneOf\" or \"listContainsAny\"");
    }
    for (const auto& value : p.strings_at(weak[i], path, "values")) setting.values.push_back(to_lower(value));
    setting.severity = p.severity_at(weak[i], path, "severity");
    setting.what = p.string_at(weak[i], path, "what");
    catalog.edge_hub.weak_settings.push_back(std::move(setting));
  }
  catalog.edge_hub.protocol_heads = p.strings_at(hub, "/edgeHub", "protocolHeads");
  catalog.edge_hub.experimental_features = p.strings_at(hub, "/edgeHub", "experimentalFeatures");
  if (catalog.edge_hub.experimental_features.empty())
    p.fail("/edgeHub/experimentalFeatures", "expected the master switch first");
  catalog.edge_hub.ports = p.strings_at(hub, "/edgeHub", "downstreamPorts");
  for (const auto& level : p.strings_at(document, "", "debugLogLevels"))
    catalog.debug_log_levels.push_back(to_lower(level));

  const json& official = p.object(p.member(document, "", "officialImages"), "/officialImages");
  for (const auto& [module, patterns] : official.items()) {
    catalog.official_images[module] = p.strings(patterns, pointer_append("/officialImages", module));
  }
  const json& agent = p.object(p.member(document, "", "securityAgent"), "/securityAgent");
  catalog.security_agent.module_names = p.strings_at(agent, "/securityAgent", "moduleNames");
  catalog.security_agent.image_patterns = p.strings_at(agent, "/securityAgent", "imageRepositories");
  return catalog;
}

const RuleCatalog& RuleCatalog::builtin() {
  static const RuleCatalog catalog = parse(embedded::kManifestRules, "rules/manifest_rules.json (built in)");
  return catalog;
}

const RuleInfo& RuleCatalog::rule(std::string_view id) const {
  for (const auto& rule : rules_) {
    if (rule.id == id) return rule;
  }
  throw std::out_of_range("no rule " + std::string(id));
}

}  // namespace edgeguard::analysis
