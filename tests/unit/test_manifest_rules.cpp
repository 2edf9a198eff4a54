// The deployment rules: a positive and a negative manifest for every rule of the catalog, the
// security agent's self-recognition (and impostors), the rules table itself.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "analysis/analyzer.h"
#include "analysis/host_path.h"
#include "analysis/manifest_reader.h"
#include "analysis/manifest_report.h"
#include "core/host_root.h"
#include "core/strings.h"

using namespace edgeguard;
using namespace edgeguard::analysis;
using nlohmann::json;

namespace {

const std::string kFixtures = std::string(EDGEGUARD_TEST_DIR) + "/fixtures/manifest/";

std::string fixture_text(const std::string& name) {
  const auto text = read_whole_file(kFixtures + name);
  if (!text) throw std::runtime_error("missing fixture " + name);
  return *text;
}

std::vector<Finding> analyze_text(const std::string& text, const AnalysisOptions& options = {}) {
  const auto manifest = read_manifest(text);
  if (!manifest.ok()) {
    ADD_FAILURE() << "unreadable: " << manifest.problems.front().path << ": " << manifest.problems.front().message;
    return {};
  }
  auto findings = analyze(manifest.model, RuleCatalog::builtin(), options);
  locate_findings(findings, manifest.locator);
  return findings;
}

std::vector<Finding> analyze_fixture(const std::string& name, const AnalysisOptions& options = {}) {
  return analyze_text(fixture_text(name), options);
}

std::vector<Finding> of_rule(const std::vector<Finding>& findings, std::string_view id) {
  std::vector<Finding> out;
  std::copy_if(findings.begin(), findings.end(), std::back_inserter(out),
               [&](const Finding& f) { return f.rule_id == id; });
  return out;
}

std::string listing(const std::vector<Finding>& findings) {
  std::string out;
  for (const auto& f : findings) {
    out += std::string(to_string(f.severity)) + " " + f.rule_id + " [" + f.module + "] " + f.path + ": " + f.message +
           "\n";
  }
  return out;
}

// A manifest with one custom module "m" of the given createOptions and image.
std::string one_module(const json& create_options, const std::string& name = "m",
                       const std::string& image = "myacr.azurecr.io/m:1@sha256:0123") {
  json manifest;
  manifest["modulesContent"]["$edgeAgent"]["properties.desired"]["modules"][name] = {
      {"type", "docker"}, {"settings", {{"image", image}, {"createOptions", create_options.dump()}}}};
  return manifest.dump();
}

const Finding* find(const std::vector<Finding>& findings, std::string_view id, std::string_view path_suffix = "") {
  for (const auto& f : findings) {
    if (f.rule_id == id && ends_with(f.path, path_suffix)) return &f;
  }
  return nullptr;
}

class EveryRule : public testing::TestWithParam<std::string> {};

}  // namespace

TEST(RuleCatalog, BuiltInRulesLoadAndMatchTheSourceFile) {
  const RuleCatalog& builtin = RuleCatalog::builtin();
  EXPECT_EQ(builtin.rules().size(), rule_id::all().size());
  const auto source = read_whole_file(std::string(EDGEGUARD_SOURCE_DIR) + "/rules/manifest_rules.json");
  ASSERT_TRUE(source);
  const RuleCatalog from_file = RuleCatalog::parse(*source, "rules/manifest_rules.json");
  ASSERT_EQ(from_file.rules().size(), builtin.rules().size());
  for (size_t i = 0; i < builtin.rules().size(); ++i) {
    EXPECT_EQ(from_file.rules()[i].id, builtin.rules()[i].id);
    EXPECT_EQ(from_file.rules()[i].messages, builtin.rules()[i].messages);
  }
}

TEST(RuleCatalog, ErrorsNameTheFileAndJsonPath) {
  auto document = json::parse(*read_whole_file(std::string(EDGEGUARD_SOURCE_DIR) + "/rules/manifest_rules.json"));
  const auto error_of = [](const json& doc) -> std::string {
    try {
      RuleCatalog::parse(doc.dump(), "custom.json");
    } catch (const RuleCatalogError& error) {
      return error.what();
    }
    return "no error";
  };
  json bad = document;
  bad["rules"][3]["severity"] = "severe";
  EXPECT_NE(error_of(bad).find("custom.json /rules/3/severity: expected one of"), std::string::npos) << error_of(bad);
  bad = document;
  bad["rules"].erase(0);
  EXPECT_NE(error_of(bad).find("rule \"EGD001\" is missing"), std::string::npos) << error_of(bad);
  bad = document;
  bad["secrets"]["envNames"][0] = "(unclosed";
  EXPECT_NE(error_of(bad).find("/secrets/envNames/0: not a valid regular expression"), std::string::npos)
      << error_of(bad);
  bad = document;
  bad["rules"][0]["messages"].erase("default");
  EXPECT_NE(error_of(bad).find("/rules/0/messages: missing the \"default\" message"), std::string::npos);
  try {
    RuleCatalog::parse("{\n \"rules\": [,\n", "broken.json");
    FAIL();
  } catch (const RuleCatalogError& error) {
    EXPECT_NE(std::string(error.what()).find("broken.json:2:"), std::string::npos) << error.what();
  }
}

TEST_P(EveryRule, FiresOnItsPositiveFixtureAndNotOnItsNegative) {
  const std::string id = GetParam();
  const json expectations = json::parse(fixture_text("rules/expectations.json"));
  ASSERT_TRUE(expectations.contains(id)) << "no expectation for " << id;

  const auto positive = analyze_fixture("rules/" + id + ".positive.json");
  const auto hits = of_rule(positive, id);
  ASSERT_FALSE(hits.empty()) << id << " did not fire on its positive fixture:\n" << listing(positive);
  EXPECT_EQ(hits[0].path, expectations[id]["path"].get<std::string>()) << listing(hits);
  EXPECT_EQ(to_string(hits[0].severity), expectations[id]["severity"].get<std::string>()) << listing(hits);
  EXPECT_TRUE(hits[0].position.known());
  EXPECT_FALSE(hits[0].remediation.empty());
  EXPECT_EQ(hits[0].message.find('{'), std::string::npos) << "unfilled placeholder: " << hits[0].message;

  const auto negative = analyze_fixture("rules/" + id + ".negative.json");
  EXPECT_TRUE(of_rule(negative, id).empty()) << id << " fired on its negative fixture:\n"
                                             << listing(of_rule(negative, id));
}

INSTANTIATE_TEST_SUITE_P(ManifestRules, EveryRule, testing::ValuesIn([] {
                           std::vector<std::string> ids;
                           for (const auto id : rule_id::all()) ids.emplace_back(id);
                           return ids;
                         }()),
                         [](const testing::TestParamInfo<std::string>& param_info) { return param_info.param; });

TEST(ManifestRules, EveryRuleFiresOnTheEveryRuleManifest) {
  const auto findings = analyze_fixture("every-rule.json");
  for (const auto id : rule_id::all()) EXPECT_FALSE(of_rule(findings, id).empty()) << id;
}

TEST(ManifestRules, CleanManifestHasNoFinding) {
  const auto findings = analyze_fixture("clean.json");
  EXPECT_TRUE(findings.empty()) << listing(findings);
}

TEST(ManifestRules, ReferenceExampleFindsWhatTheSpecificationSays) {
  // iot-edge-module-protocol.md 5.2: "legacy shows findings: untagged, string Privileged, host
  // net/PID, / bind, env secret"; plus the plaintext registry password.
  const auto findings = analyze_fixture("shapes/modules-content.json");
  for (const char* id : {"EGD030", "EGD001", "EGD003", "EGD004", "EGD010", "EGD041"}) {
    const auto hits = of_rule(findings, id);
    EXPECT_TRUE(std::any_of(hits.begin(), hits.end(), [](const Finding& f) { return f.module == "legacy"; })) << id;
  }
  EXPECT_TRUE(find(findings, "EGD040"));
  EXPECT_EQ(find(findings, "EGD010", "/Binds/0")->severity, Severity::Critical);
}

TEST(ManifestRules, SensitivePathsByReadOnlyAncestorAndSymlink) {
  const RuleCatalog& catalog = RuleCatalog::builtin();
  const auto severity = [&](std::string_view source, bool read_only) {
    const auto exposure = classify_host_path(catalog, "m", source, read_only);
    return exposure ? std::string(to_string(exposure->severity)) : std::string("none");
  };
  EXPECT_EQ(severity("/etc", false), "critical");
  EXPECT_EQ(severity("/etc", true), "high");  // it holds /etc/aziot (provisioning secrets)
  EXPECT_EQ(severity("/boot", true), "medium");
  EXPECT_EQ(severity("/etc/localtime", true), "none");
  EXPECT_EQ(severity("/etc/aziot/config.toml", true), "high");
  // A socket stays dangerous read-only: connect() works through a read-only bind.
  EXPECT_EQ(severity("/var/run/docker.sock", true), "critical");
  EXPECT_EQ(severity("/run/docker.sock", false), "critical");
  // A directory above a sensitive path exposes it.
  EXPECT_EQ(severity("/var/run", true), "critical");
  EXPECT_EQ(severity("/var/lib", false), "critical");
  EXPECT_EQ(severity("/var//lib/./docker/../docker", true), "high");
  EXPECT_EQ(severity("/srv/data", false), "none");
  EXPECT_EQ(severity("named-volume", false), "none");
  // IoT Edge's own sockets for this module are expected.
  EXPECT_EQ(severity("/var/lib/aziot/edged/mnt/m.sock", false), "none");
  EXPECT_EQ(severity("/var/lib/aziot/edged/mnt/other.sock", false), "critical");
  EXPECT_EQ(severity("/var/run/iotedge/workload.sock", false), "none");
  EXPECT_EQ(severity("/var/run/iotedge/mgmt.sock", false), "critical");
  EXPECT_FALSE(classify_host_path(catalog, "edgeAgent", "/var/run/iotedge/mgmt.sock", false));
}

TEST(ManifestRules, BindsMountsAndDevicesInEveryForm) {
  const auto findings = analyze_text(
      one_module({{"HostConfig",
                   {{"Binds", {"/var/run/docker.sock:/var/run/docker.sock:ro,z", "data-volume:/data", "/srv/app:/app"}},
                    {"Mounts",
                     {{{"Type", "bind"}, {"Source", "/proc"}, {"Target", "/host/proc"}, {"ReadOnly", true}},
                      {{"Type", "volume"}, {"Source", "/var/lib/docker"}, {"Target", "/x"}}}},
                    {"Devices",
                     {{{"PathOnHost", "/dev/ttyUSB0"}, {"PathInContainer", "/dev/ttyUSB0"}},
                      {{"PathOnHost", "/dev/mmcblk0"}, {"PathInContainer", "/dev/disk"}}}},
                    {"DeviceCgroupRules", {"c 188:* rmw", "a *:* rwm"}}}}}));
  EXPECT_EQ(find(findings, "EGD010", "/Binds/0")->severity, Severity::Critical);
  EXPECT_FALSE(find(findings, "EGD010", "/Binds/1"));
  EXPECT_FALSE(find(findings, "EGD010", "/Binds/2"));
  EXPECT_EQ(find(findings, "EGD010", "/Mounts/0")->severity, Severity::High);
  EXPECT_FALSE(find(findings, "EGD010", "/Mounts/1"));
  EXPECT_EQ(find(findings, "EGD011", "/Devices/0")->severity, Severity::Low);
  EXPECT_EQ(find(findings, "EGD011", "/Devices/1")->severity, Severity::High);
  EXPECT_EQ(find(findings, "EGD011", "/DeviceCgroupRules/0")->severity, Severity::Low);
  EXPECT_EQ(find(findings, "EGD011", "/DeviceCgroupRules/1")->severity, Severity::High);
}

TEST(ManifestRules, HostNetworkThroughEndpointsConfigAlone) {
  const auto findings =
      analyze_text(one_module(json::parse(R"({"NetworkingConfig":{"EndpointsConfig":{"host":{}}}})")));
  const Finding* endpoint = find(findings, "EGD003", "/NetworkingConfig/EndpointsConfig/host");
  ASSERT_TRUE(endpoint) << listing(findings);
  EXPECT_EQ(endpoint->severity, Severity::High);
}

TEST(ManifestRules, LabelDisableThatTheEngineAddsItselfIsNotReportedTwice) {
  const auto privileged = analyze_text(one_module(
      json::parse(R"({"HostConfig":{"Privileged":true,"SecurityOpt":["label=disable","no-new-privileges"]}})")));
  EXPECT_FALSE(find(privileged, "EGD012"));
  const auto plain = analyze_text(one_module(json::parse(R"({"HostConfig":{"SecurityOpt":["label:disable"]}})")));
  ASSERT_TRUE(find(plain, "EGD012"));
  EXPECT_EQ(find(plain, "EGD012")->severity, Severity::Medium);
}

TEST(ManifestRules, DuplicateKeysInAnyCaseCannotHideASetting) {
  const auto findings = analyze_text(one_module(json::parse(
      R"({"HostConfig":{"Privileged":false,"privileged":"true","CapAdd":["CHOWN"]},"hostConfig":{"capadd":["cap_sys_module"]}})")));
  EXPECT_TRUE(find(findings, "EGD001", "/HostConfig/privileged")) << listing(findings);
  const Finding* cap = find(findings, "EGD002", "/hostConfig/capadd/0");
  ASSERT_TRUE(cap) << listing(findings);
  EXPECT_NE(cap->message.find("SYS_MODULE"), std::string::npos);
  EXPECT_EQ(cap->severity, Severity::Critical);
}

TEST(ManifestRules, SecurityAgentNeedsAreLowButNothingElse) {
  const json options = json::parse(R"({
    "HostConfig": {"Privileged": true, "NetworkMode": "host", "PidMode": "host", "IpcMode": "host",
                   "CapAdd": ["SYS_ADMIN", "BPF", "SYS_MODULE"],
                   "Binds": ["/:/host:ro", "/var/run/docker.sock:/var/run/docker.sock:ro", "/etc/aziot:/etc/aziot:ro",
                             "/var/log:/host/var/log"]},
    "Env": ["HUB_KEY=SharedAccessKey=abcdefgh"]})");
  const auto agent = analyze_text(one_module(options, "edgeguard", "myacr.azurecr.io/edgeguard:0.1.0@sha256:0123"));
  const auto severity_of = [](const Finding* f) {
    return f ? std::string(to_string(f->severity)) : std::string("none");
  };
  EXPECT_EQ(severity_of(find(agent, "EGD001")), "low");
  EXPECT_TRUE(find(agent, "EGD001")->security_agent);
  EXPECT_NE(find(agent, "EGD001")->message.find("needed by the security agent"), std::string::npos);
  EXPECT_EQ(severity_of(find(agent, "EGD003")), "low");
  EXPECT_EQ(severity_of(find(agent, "EGD004")), "low");
  EXPECT_EQ(severity_of(find(agent, "EGD005")), "high");  // the agent does not need the host's IPC
  EXPECT_EQ(severity_of(find(agent, "EGD002", "/CapAdd/0")), "low");
  EXPECT_EQ(severity_of(find(agent, "EGD002", "/CapAdd/1")), "low");
  EXPECT_EQ(severity_of(find(agent, "EGD002", "/CapAdd/2")), "critical");  // SYS_MODULE: not a need
  EXPECT_EQ(severity_of(find(agent, "EGD010", "/Binds/0")), "low");
  EXPECT_EQ(severity_of(find(agent, "EGD010", "/Binds/1")), "low");
  EXPECT_EQ(severity_of(find(agent, "EGD010", "/Binds/2")), "high");    // IoT Edge secrets: never lowered
  EXPECT_EQ(severity_of(find(agent, "EGD010", "/Binds/3")), "medium");  // writable: never lowered
  EXPECT_EQ(severity_of(find(agent, "EGD041")), "high");                // secrets: never lowered

  // The same settings under another name, or the agent's name on another image: nothing lowered.
  for (const auto& [name, image] :
       std::vector<std::pair<std::string, std::string>>{{"sensor", "myacr.azurecr.io/edgeguard:0.1.0@sha256:0123"},
                                                        {"edgeguard", "evil.example.com/miner:1@sha256:0123"},
                                                        {"edgeguard", "${MODULES.edgeguard}"}}) {
    const auto impostor = analyze_text(one_module(options, name, image));
    EXPECT_EQ(severity_of(find(impostor, "EGD001")), "critical") << name << " " << image;
    EXPECT_EQ(severity_of(find(impostor, "EGD010", "/Binds/1")), "critical") << name << " " << image;
    EXPECT_TRUE(std::none_of(impostor.begin(), impostor.end(), [](const Finding& f) { return f.security_agent; }));
  }
}

TEST(ManifestRules, DockerSocketWritableIsCriticalEvenForTheAgent) {
  const auto findings =
      analyze_text(one_module({{"HostConfig", {{"Binds", {"/var/run/docker.sock:/var/run/docker.sock"}}}}}, "edgeguard",
                              "myacr.azurecr.io/edgeguard:1"));
  EXPECT_EQ(find(findings, "EGD010")->severity, Severity::Critical);
  EXPECT_FALSE(find(findings, "EGD010")->security_agent);
}

TEST(ManifestRules, ClassicAzureSecurityModuleIsRecognisedWithItsDocumentedOptions) {
  const auto findings =
      analyze_text(one_module(json::parse(R"({"NetworkingConfig":{"EndpointsConfig":{"host":{}}},
                      "HostConfig":{"Privileged":true,"NetworkMode":"host","PidMode":"host","Binds":["/:/host"]}})"),
                              "azureiotsecurity", "mcr.microsoft.com/ascforiot/azureiotsecurity:1.0.2"));
  EXPECT_EQ(find(findings, "EGD001")->severity, Severity::Low);
  EXPECT_EQ(find(findings, "EGD003", "/HostConfig/NetworkMode")->severity, Severity::Low);
  EXPECT_FALSE(find(findings, "EGD003", "/EndpointsConfig/host"));  // the same finding as NetworkMode
  EXPECT_EQ(find(findings, "EGD004")->severity, Severity::Low);
  EXPECT_EQ(find(findings, "EGD010")->severity, Severity::Critical);  // "/:/host" is writable
}

TEST(ManifestRules, AgentRecognitionCanBeConfigured) {
  const json options = {{"HostConfig", {{"Privileged", true}}}};
  const std::string manifest = one_module(options, "secagent", "corpacr.azurecr.io/secagent@sha256:0123abcd");
  EXPECT_EQ(find(analyze_text(manifest), "EGD001")->severity, Severity::Critical);
  AnalysisOptions configured;
  configured.agent.module_names = {"secagent"};
  configured.agent.image_patterns = {"corpacr.azurecr.io/secagent"};
  EXPECT_EQ(find(analyze_text(manifest, configured), "EGD001")->severity, Severity::Low);
  configured.agent.image_patterns = {"otheracr.azurecr.io/*"};
  EXPECT_EQ(find(analyze_text(manifest, configured), "EGD001")->severity, Severity::Critical);
}

TEST(ManifestRules, RoutesAreCheckedOnlyForTheRecognisedAgentAndOnlyWhenTheTableIsComplete) {
  // A layered deployment's routes add to the base's: a missing route cannot be proven there.
  EXPECT_FALSE(find(analyze_fixture("shapes/layered.json"), "EGD060"));
  // No agent module: nothing to route.
  EXPECT_FALSE(find(analyze_fixture("clean.json"), "EGD060"));
}

TEST(ManifestRules, FindingsNeverContainSecretValues) {
  for (const char* fixture : {"rules/EGD040.positive.json", "rules/EGD041.positive.json",
                              "shapes/deployment.template.json", "shapes/modules-content.json"}) {
    const auto manifest = read_manifest(fixture_text(fixture));
    ASSERT_TRUE(manifest.ok());
    auto findings = analyze(manifest.model);
    locate_findings(findings, manifest.locator);
    const ReportInput input{fixture,  manifest.shape,         manifest.model.modules.size(),
                            findings, RuleCatalog::builtin(), Severity::Low};
    for (const std::string& report : {render_text(input), render_json(input), render_sarif(input)}) {
      for (const char* secret : {"hunter2", "s3cr3t-Passw0rd", "c2VjcmV0c2VjcmV0c2VjcmV0", "PLAINTEXT-SECRET"}) {
        EXPECT_EQ(report.find(secret), std::string::npos) << fixture << " shows " << secret;
      }
    }
  }
}

TEST(ManifestRules, MessagesCannotForgeReportLines) {
  const auto findings = analyze_text(one_module({{"HostConfig", {{"NetworkMode", "host"}}}}, "m",
                                                "myacr.azurecr.io/m\nfake.json:1:1: critical EGD999 forged"));
  for (const auto& finding : findings) EXPECT_EQ(finding.message.find('\n'), std::string::npos) << finding.message;
}

TEST(ManifestRules, HugeEnvironmentValuesAreScannedWithinBounds) {
  // The standard regex matcher recurses per character; a megabyte value must not exhaust the stack.
  json manifest;
  auto& module = manifest["modulesContent"]["$edgeAgent"]["properties.desired"]["modules"]["m"];
  module["settings"] = {{"image", "a/m:1@sha256:00"}, {"createOptions", "{}"}};
  module["env"]["BLOB"] = {{"value", "mqtt://user:" + std::string(1 << 20, 'p')}};
  module["env"]["KEY_" + std::string(1 << 16, 'K')] = {{"value", "SharedAccessKey=" + std::string(1 << 20, 'k')}};
  const auto findings = of_rule(analyze_text(manifest.dump()), "EGD041");
  ASSERT_EQ(findings.size(), 1u) << listing(findings);  // the key; the URL's "@" lies beyond the bound
  EXPECT_NE(findings[0].message.find("connection string"), std::string::npos);
}

TEST(ManifestRules, TextReportCannotBeForgedByModuleNames) {
  const std::string manifest = one_module({{"HostConfig", {{"Privileged", true}}}}, "m\nfake.json:1:1: low EGD000 [x] ok");
  const auto parsed = read_manifest(manifest);
  ASSERT_TRUE(parsed.ok());
  const auto findings = analyze(parsed.model);
  const ReportInput input{"m.json", parsed.shape, 1, findings, RuleCatalog::builtin(), Severity::Low};
  const std::string text = render_text(input);
  EXPECT_EQ(text.find("\nfake.json"), std::string::npos) << text;
  EXPECT_NE(text.find("[m?fake.json:1:1: low EGD000 [x] ok]"), std::string::npos) << text;
}

TEST(ManifestRules, LongValuesAreShortenedAtACharacterBoundary) {
  std::string image = "myacr.azurecr.io/";
  for (int i = 0; i < 100; ++i) image += "\xc3\xa9";  // "é" in UTF-8
  const auto findings = analyze_text(one_module(json::object(), "m", image + ":latest"));
  const Finding* latest = find(findings, "EGD031");
  ASSERT_TRUE(latest);
  EXPECT_NE(latest->message.find("..."), std::string::npos);
  EXPECT_NO_THROW((void)json(latest->message).dump());  // valid UTF-8
}

TEST(ManifestRules, SecretDetectionByNameAndByValue) {
  json manifest;
  json& env = manifest["modulesContent"]["$edgeAgent"]["properties.desired"]["modules"]["m"]["env"];
  manifest["modulesContent"]["$edgeAgent"]["properties.desired"]["modules"]["m"]["settings"] = {
      {"image", "a/m:1@sha256:00"},
      {"createOptions",
       R"({"Env":["STORAGE=DefaultEndpointsProtocol=https;AccountName=x;AccountKey=abc123==","PLAIN=ok"]})"}};
  env["dbPassword"] = {{"value", "hunter2"}};
  env["CLIENT_SECRET"] = {{"value", "abc"}};
  env["MQTT_URL"] = {{"value", "mqtts://user:pa55@broker:8883"}};
  env["PASSWORD_FILE"] = {{"value", "/run/secrets/db"}};
  env["TOKEN_TTL_SECS"] = {{"value", 3600}};
  env["USE_TOKEN"] = {{"value", true}};
  env["API_KEY"] = {{"value", "${API_KEY}"}};
  env["IOTEDGE_AUTHSCHEME"] = {{"value", "sasToken"}};
  const auto findings = of_rule(analyze_text(manifest.dump()), "EGD041");
  std::vector<std::string> names;
  for (const auto& f : findings) names.push_back(f.path);
  std::sort(names.begin(), names.end());
  const std::string base = "/modulesContent/$edgeAgent/properties.desired/modules/m/";
  EXPECT_EQ(names, (std::vector<std::string>{base + "env/CLIENT_SECRET/value", base + "env/MQTT_URL/value",
                                             base + "env/dbPassword/value", base + "settings/createOptions/Env/0"}))
      << listing(findings);
}
