#pragma once
// The table-like half of the deployment rules, loaded from rules/manifest_rules.json (embedded in
// the binary at build time; `analyze-manifest --rules FILE` loads another copy): each rule's id,
// severity, messages and remediation, and the tables the checks consult (capabilities, host
// paths, devices, secret patterns, edgeHub settings, official images, the security agent).
#include <map>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/severity.h"

namespace edgeguard::analysis {

class RuleCatalogError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct RuleInfo {
  std::string id;    // stable: "EGD001"
  std::string name;  // "PrivilegedContainer"
  Severity severity = Severity::Low;
  std::optional<Severity> agent_severity;  // for the security agent's own needs
  std::string title;
  std::string description;
  std::string remediation;
  std::map<std::string, std::string, std::less<>> messages;  // variant -> template ("default" always)
  std::map<std::string, Severity, std::less<>> variant_severity;
};

struct CapabilityEntry {
  std::string name;  // without "CAP_", upper case
  Severity severity = Severity::Low;
  bool agent_needs = false;
  std::string what;
};

struct HostPathEntry {
  std::string path;                             // normalised absolute host path
  Severity severity = Severity::Low;            // writable bind of the path or anything below it
  Severity read_only_severity = Severity::Low;  // read-only bind
  std::optional<Severity> below_severity;       // bind of something below it, if different
  std::optional<Severity> below_read_only_severity;
  bool agent_may_read_only = false;  // the security agent may bind it read-only
  std::string what;
};

struct ExpectedHostPath {
  std::string path;                  // may contain "{module}"
  std::vector<std::string> modules;  // module names, or "*" for every module
};

struct DeviceEntry {
  std::string pattern;  // fnmatch pattern on the host path
  Severity severity = Severity::Low;
  std::string what;
};

struct SecurityOptionEntry {
  std::string option;  // normalised "key=value"
  Severity severity = Severity::Low;
  std::string what;
};

struct SecretValuePattern {
  std::regex pattern;
  std::string what;
};

// An edgeHub environment setting with values that weaken it.
struct WeakSetting {
  enum class Match { Equals, NotOneOf, ListContainsAny };  // ListContainsAny: comma-separated list
  std::string env;                                         // matched without regard to case, as .NET configuration does
  Match match = Match::Equals;
  std::vector<std::string> values;  // lower case
  Severity severity = Severity::Low;
  std::string what;
};

struct EdgeHubSettings {
  std::vector<WeakSetting> weak_settings;
  std::vector<std::string> protocol_heads;         // env names, e.g. "MqttSettings__Enabled"
  std::vector<std::string> experimental_features;  // env names; the first is the master switch
  std::vector<std::string> ports;                  // "8883/tcp": published for downstream devices
};

struct SecurityAgentDefaults {
  std::vector<std::string> module_names;
  std::vector<std::string> image_patterns;  // fnmatch patterns on the image repository
};

class RuleCatalog {
 public:
  // The rules built into the binary. Throws RuleCatalogError if they are broken (a unit test
  // loads them, so a broken table never ships).
  static const RuleCatalog& builtin();
  // Parses a rules file; `source` names it in errors, which also name the JSON path.
  static RuleCatalog parse(std::string_view text, const std::string& source);

  const RuleInfo& rule(std::string_view id) const;  // throws std::out_of_range for an unknown id
  const std::vector<RuleInfo>& rules() const { return rules_; }

  std::vector<CapabilityEntry> capabilities;
  std::vector<HostPathEntry> host_paths;
  std::vector<ExpectedHostPath> expected_host_paths;
  std::vector<std::string> harmless_read_only_paths;
  std::vector<DeviceEntry> devices;
  Severity other_device_severity = Severity::Low;
  Severity all_devices_cgroup_rule_severity = Severity::High;
  Severity other_cgroup_rule_severity = Severity::Low;
  std::vector<SecurityOptionEntry> security_options;
  std::regex secret_env_names;
  std::regex secret_env_name_exceptions;
  std::vector<SecretValuePattern> secret_values;
  EdgeHubSettings edge_hub;
  std::vector<std::string> debug_log_levels;                                     // lower case
  std::map<std::string, std::vector<std::string>, std::less<>> official_images;  // module -> patterns
  SecurityAgentDefaults security_agent;

 private:
  std::vector<RuleInfo> rules_;
};

// "cap_sys_admin", "CAP_SYS_ADMIN" and "SYS_ADMIN" all name SYS_ADMIN, as Docker reads them.
std::string capability_name(std::string_view text);

// The rule ids the checks use (the catalog must define exactly these).
namespace rule_id {
inline constexpr std::string_view kPrivileged = "EGD001";
inline constexpr std::string_view kCapability = "EGD002";
inline constexpr std::string_view kHostNetwork = "EGD003";
inline constexpr std::string_view kHostPid = "EGD004";
inline constexpr std::string_view kHostIpc = "EGD005";
inline constexpr std::string_view kHostUts = "EGD006";
inline constexpr std::string_view kHostUserns = "EGD007";
inline constexpr std::string_view kHostCgroupns = "EGD008";
inline constexpr std::string_view kHostPath = "EGD010";
inline constexpr std::string_view kDevice = "EGD011";
inline constexpr std::string_view kUnconfined = "EGD012";
inline constexpr std::string_view kNoNewPrivileges = "EGD013";
inline constexpr std::string_view kWritableRootfs = "EGD014";
inline constexpr std::string_view kRunsAsRoot = "EGD015";
inline constexpr std::string_view kNoMemoryLimit = "EGD016";
inline constexpr std::string_view kNoCpuLimit = "EGD017";
inline constexpr std::string_view kNoPidsLimit = "EGD018";
inline constexpr std::string_view kPortAllInterfaces = "EGD019";
inline constexpr std::string_view kLoggingDisabled = "EGD020";
inline constexpr std::string_view kEdgeLabel = "EGD021";
inline constexpr std::string_view kImageNoTag = "EGD030";
inline constexpr std::string_view kImageLatest = "EGD031";
inline constexpr std::string_view kImageNoDigest = "EGD032";
inline constexpr std::string_view kSystemImage = "EGD033";
inline constexpr std::string_view kRegistryPassword = "EGD040";
inline constexpr std::string_view kEnvSecret = "EGD041";
inline constexpr std::string_view kEdgeHubSetting = "EGD050";
inline constexpr std::string_view kEdgeHubHeads = "EGD051";
inline constexpr std::string_view kEdgeHubExperimental = "EGD052";
inline constexpr std::string_view kDebugLogLevel = "EGD053";
inline constexpr std::string_view kRouteMissing = "EGD060";
inline constexpr std::string_view kRouteConditional = "EGD061";

const std::vector<std::string_view>& all();
}  // namespace rule_id

}  // namespace edgeguard::analysis
