// The on-device model from `docker inspect` (fixtures captured from a real engine by
// tests/integration/test_manifest_engine.cpp), findings as extension events, and the inventory summary.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "../support/process.h"
#include "../support/temp_dir.h"
#include "analysis/analyzer.h"
#include "analysis/finding_events.h"
#include "analysis/inspect_model.h"
#include "core/host_root.h"
#include "pipeline/message_builder.h"

using namespace edgeguard;
using namespace edgeguard::analysis;
using nlohmann::json;

namespace {

json inspect_fixture(const std::string& name) {
  const auto text = read_whole_file(std::string(EDGEGUARD_TEST_DIR) + "/fixtures/manifest/inspect/" + name + ".json");
  if (!text) throw std::runtime_error("missing inspect fixture " + name);
  return json::parse(*text);
}

const std::vector<std::string> kContainers = {"edgeAgent", "edgeHub", "edgeguard", "legacy", "portainer", "sensor"};

std::vector<Finding> engine_findings(const AnalysisOptions& options = {}) {
  std::vector<ModuleSpec> modules;
  for (const auto& name : kContainers) modules.push_back(module_from_inspect(inspect_fixture(name)).module);
  return analyze(engine_model(std::move(modules)), RuleCatalog::builtin(), options);
}

const Finding* find(const std::vector<Finding>& findings, const std::string& module, std::string_view id) {
  const auto it = std::find_if(findings.begin(), findings.end(),
                               [&](const Finding& f) { return f.module == module && f.rule_id == id; });
  return it == findings.end() ? nullptr : &*it;
}

std::string write_messages(const test::TempDir& dir, const std::vector<Event>& events) {
  std::string lines;
  for (const auto& event : events) {
    MessageBuilder builder("072f3eca-3db0-45ba-8174-fa383bc93caf", EDGEGUARD_VERSION, event.channel, 256 * 1024);
    builder.add(1, Priority::Low, serialize_event(event));
    lines += builder.finish().body + "\n";
  }
  const std::string file = (dir / "messages.jsonl").string();
  std::ofstream(file) << lines;
  return file;
}

}  // namespace

TEST(InspectModel, ReadsEveryCapturedContainerWithoutProblems) {
  for (const auto& name : kContainers) {
    const auto result = module_from_inspect(inspect_fixture(name));
    EXPECT_TRUE(result.problems.empty()) << name << ": " << result.problems.front().message;
    EXPECT_EQ(result.module.name, name);
    EXPECT_EQ(result.module.container_id.size(), 64u);
    EXPECT_EQ(result.module.container.host_config_path, "/HostConfig");
  }
}

TEST(InspectModel, KindsAndImagesComeFromTheLabelsIoTEdgeSets) {
  EXPECT_EQ(module_from_inspect(inspect_fixture("edgeAgent")).module.kind, ModuleKind::EdgeAgent);
  EXPECT_EQ(module_from_inspect(inspect_fixture("edgeHub")).module.kind, ModuleKind::EdgeHub);
  EXPECT_EQ(module_from_inspect(inspect_fixture("portainer")).module.kind, ModuleKind::Container);
  const auto sensor = module_from_inspect(inspect_fixture("sensor")).module;
  EXPECT_EQ(sensor.kind, ModuleKind::Custom);
  // The engine was given the tag; the manifest's digest reference is in original-image.
  EXPECT_NE(sensor.image.value.find("@sha256:"), std::string::npos);
  EXPECT_EQ(sensor.image.path, "/Config/Labels/net.azure-devices.edge.original-image");
  EXPECT_EQ(module_from_inspect(inspect_fixture("portainer")).module.image.path, "/Config/Image");
}

TEST(InspectModel, EffectiveMountsComeFromTheEngine) {
  const auto legacy = module_from_inspect(inspect_fixture("legacy")).module;
  const auto root = std::find_if(legacy.container.mounts.begin(), legacy.container.mounts.end(),
                                 [](const BindMount& m) { return m.source == "/"; });
  ASSERT_NE(root, legacy.container.mounts.end());
  EXPECT_FALSE(root->read_only);
  EXPECT_EQ(root->path.rfind("/Mounts/", 0), 0u);
  const auto agent = module_from_inspect(inspect_fixture("edgeguard")).module;
  EXPECT_TRUE(std::all_of(agent.container.mounts.begin(), agent.container.mounts.end(), [](const BindMount& m) {
    return m.read_only || m.source == "/var/run/iotedge/workload.sock";
  }));
}

TEST(InspectModel, FindingsPointIntoTheInspectDocument) {
  const auto findings = engine_findings();
  const Finding* privileged = find(findings, "legacy", "EGD001");
  ASSERT_TRUE(privileged);
  EXPECT_EQ(privileged->severity, Severity::Critical);
  EXPECT_EQ(privileged->path, "/HostConfig/Privileged");
  EXPECT_EQ(privileged->container_id, inspect_fixture("legacy")["Id"]);
  const Finding* root_user = find(findings, "legacy", "EGD015");
  ASSERT_TRUE(root_user);
  EXPECT_EQ(root_user->severity, Severity::Medium);  // the engine knows it is root
  EXPECT_NE(root_user->message.find("neither the image nor createOptions"), std::string::npos);
  const Finding* secret = find(findings, "legacy", "EGD041");
  ASSERT_TRUE(secret);
  EXPECT_EQ(secret->path.rfind("/Config/Env/", 0), 0u);
  EXPECT_EQ(find(findings, "portainer", "EGD010")->severity, Severity::Critical);
  // IoT Edge's own sockets and variables are expected; the engine's cgroup default is not judged.
  EXPECT_FALSE(find(findings, "edgeAgent", "EGD010"));
  EXPECT_FALSE(find(findings, "edgeAgent", "EGD041"));
  EXPECT_FALSE(find(findings, "sensor", "EGD008"));
  // The hardened module: only its serial port, at low severity.
  std::vector<std::string> sensor;
  for (const auto& f : findings) {
    if (f.module == "sensor") sensor.push_back(f.rule_id + " " + std::string(to_string(f.severity)));
  }
  EXPECT_EQ(sensor, std::vector<std::string>{"EGD011 low"});
  // Recognised as the security agent by name and image repository.
  EXPECT_TRUE(find(findings, "edgeguard", "EGD003")->security_agent);
}

TEST(InspectModel, ShapesTheEngineShouldNotSendAreProblemsNotCrashes) {
  EXPECT_FALSE(module_from_inspect(json::array()).problems.empty());
  const auto odd = module_from_inspect(json::parse(
      R"({"Id":"abc","Name":"/x","Config":"nope","HostConfig":{"Privileged":"maybe","Binds":[1,{"a":2}]},"Mounts":{}})"));
  EXPECT_GE(odd.problems.size(), 3u);
  EXPECT_EQ(odd.module.name, "x");
  EXPECT_TRUE(odd.module.container.privileged.empty());
}

TEST(FindingEvents, OneOrMoreEventsPerModuleOnTheRecommendationsOutputAndSchemaValid) {
  const auto findings = engine_findings();
  const size_t limit = 4096;
  const auto events = make_finding_events(findings, {EventCategory::Periodic, ModelSource::Engine, limit});
  size_t items = 0;
  for (const auto& event : events) {
    EXPECT_EQ(event.name, "DeploymentFinding");
    EXPECT_EQ(event.channel.output, "securityRecommendations");
    EXPECT_EQ(event.category, EventCategory::Periodic);
    ASSERT_FALSE(event.payload.empty());
    const std::string module = event.payload[0]["Module"];
    for (const auto& item : event.payload) EXPECT_EQ(item["Module"], module);
    if (event.payload.size() > 1) {
      EXPECT_LE(event.payload.dump().size(), limit);
    }
    items += event.payload.size();
  }
  EXPECT_EQ(items, findings.size());
  test::TempDir dir;
  const auto validation = test::validate_messages({write_messages(dir, events)});
  EXPECT_EQ(validation.exit_code, 0) << validation.out << validation.err;
}

TEST(FindingEvents, NothingFoundIsAnEmptySnapshotOrNothing) {
  const auto periodic = make_finding_events({});
  ASSERT_EQ(periodic.size(), 1u);
  EXPECT_TRUE(periodic[0].is_empty());
  EXPECT_EQ(periodic[0].channel.output, "securityRecommendations");
  test::TempDir dir;
  const auto validation = test::validate_messages({write_messages(dir, periodic)});
  EXPECT_EQ(validation.exit_code, 0) << validation.out << validation.err;
  EXPECT_TRUE(make_finding_events({}, {EventCategory::Triggered, ModelSource::Engine}).empty());
}

TEST(FindingEvents, PayloadCarriesNoSecretValue) {
  const auto events = make_finding_events(engine_findings());
  for (const auto& event : events) EXPECT_EQ(event.payload.dump().find("hunter2"), std::string::npos);
}

TEST(FindingSummary, CountsPerModuleInTheSchemaShape) {
  const auto findings = engine_findings();
  const auto by_module = summarize_by_module(findings);
  const FindingSummary& legacy = by_module.at("legacy");
  EXPECT_EQ(legacy.highest(), Severity::Critical);
  EXPECT_GE(legacy.critical, 2u);
  EXPECT_EQ(by_module.at("sensor").to_json(),
            json::parse(R"({"Critical":0,"High":0,"Medium":0,"Low":1,"Highest":"Low"})"));
  EXPECT_EQ(FindingSummary{}.to_json()["Highest"], "None");
  size_t total = 0;
  for (const auto& [module, summary] : by_module) total += summary.total();
  EXPECT_EQ(total, findings.size());

  // The summary validates against the schema's definition the inventory event can refer to.
  test::TempDir dir;
  std::ofstream(dir / "summary.json") << legacy.to_json().dump();
  const auto check = test::run(
      {"/usr/bin/python3", "-c",
       "import json,sys,jsonschema;s=json.load(open(sys.argv[1]));d=dict(s['definitions']['deploymentFindingSummary']);"
       "jsonschema.validate(json.load(open(sys.argv[2])),d)",
       std::string(EDGEGUARD_SOURCE_DIR) + "/schemas/extension_message.schema.json", (dir / "summary.json").string()});
  EXPECT_EQ(check.exit_code, 0) << check.err;
}
