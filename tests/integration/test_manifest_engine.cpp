// The on-device model against a real Docker engine: the containers of a deployment are created
// from its manifest the way edgeAgent and aziot-edged create them (environment, labels, sockets,
// network), and the model built from `docker inspect` must give the same findings as the
// manifest for every module. The engine runs in its own network namespace with a private data
// root and socket; containers are created, never started. Stopped by PID.
//
// EDGEGUARD_CAPTURE_INSPECT=<dir> also writes each inspect document there (how the unit tests'
// fixtures under tests/fixtures/manifest/inspect/ were made).
#include <gtest/gtest.h>
#include <signal.h>

#include <climits>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "../support/process.h"
#include "../support/temp_dir.h"
#include "analysis/analyzer.h"
#include "analysis/finding_events.h"
#include "analysis/inspect_model.h"
#include "analysis/manifest_reader.h"
#include "core/host_root.h"
#include "pipeline/message_builder.h"

using namespace edgeguard;
using namespace edgeguard::analysis;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

constexpr const char* kDeviceId = "edge-01";

std::string text_of(const std::filesystem::path& file) {
  const auto text = read_whole_file(file);
  if (!text) throw std::runtime_error("cannot read " + file.string());
  return *text;
}

void write(const std::filesystem::path& file, const std::string& text) {
  std::ofstream(file, std::ios::binary) << text;
}

// A Docker engine of our own.
class PrivateEngine {
 public:
  PrivateEngine() {
    socket_ = (dir_ / "docker.sock").string();
    std::filesystem::create_directories(dir_ / "data");
    std::filesystem::create_directories(dir_ / "exec");
    // unshare --net: the engine's bridges and firewall rules live and die in its own namespace.
    engine_ = std::make_unique<test::ChildProcess>(
        std::vector<std::string>{"unshare", "--net", "--", "dockerd", "--data-root", (dir_ / "data").string(),
                                 "--exec-root", (dir_ / "exec").string(), "--pidfile", (dir_ / "dockerd.pid").string(),
                                 "-H", "unix://" + socket_, "--iptables=false", "--ip6tables=false",
                                 "--storage-driver=vfs", "--log-level=warn"},
        (dir_ / "dockerd.log").string(), (dir_ / "dockerd.log").string());
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (!engine_->running()) break;
      if (call("GET", "/_ping").second == 200) return;
      std::this_thread::sleep_for(200ms);
    }
    const std::string log = read_whole_file(dir_ / "dockerd.log").value_or("");
    stop();
    throw std::runtime_error("dockerd did not start:\n" + log);
  }

  ~PrivateEngine() { stop(); }
  PrivateEngine(const PrivateEngine&) = delete;
  PrivateEngine& operator=(const PrivateEngine&) = delete;

  void stop() {
    if (!engine_) return;
    const std::string containerd_pid_file = (dir_ / "exec" / "containerd" / "containerd.pid").string();
    engine_->signal(SIGTERM);
    if (engine_->wait(30s) == INT_MIN) {
      engine_->signal(SIGKILL);
      engine_->wait(10s);
    }
    // dockerd stops the containerd it started; if it could not, stop that one by its PID.
    if (const auto pid = read_whole_file(containerd_pid_file)) {
      const pid_t containerd = static_cast<pid_t>(std::atoi(pid->c_str()));
      if (containerd > 1 && kill(containerd, 0) == 0) kill(containerd, SIGKILL);
    }
    engine_.reset();
  }

  // (body, HTTP status) of an Engine API call; `body` is sent as JSON unless `content_type` says otherwise.
  std::pair<std::string, int> call(const std::string& method, const std::string& path, const std::string& body = "",
                                   const std::string& content_type = "application/json") {
    std::vector<std::string> argv = {"curl", "-sS", "--unix-socket", socket_, "-X", method, "-w", "\n%{http_code}"};
    if (!body.empty()) {
      const auto file = dir_ / ("body-" + std::to_string(++calls_));
      write(file, body);
      argv.insert(argv.end(), {"-H", "Content-Type: " + content_type, "--data-binary", "@" + file.string()});
    }
    argv.push_back("http://localhost" + path);
    const auto result = test::run(argv, 120s);
    const size_t newline = result.out.rfind('\n');
    if (result.exit_code != 0 || newline == std::string::npos) return {result.err, 0};
    return {result.out.substr(0, newline), std::atoi(result.out.c_str() + newline + 1)};
  }

  json call_json(const std::string& method, const std::string& path, const json& body = nullptr) {
    const auto [text, status] = call(method, path, body.is_null() ? "" : body.dump());
    if (status < 200 || status >= 300) {
      throw std::runtime_error(method + " " + path + " -> " + std::to_string(status) + ": " + text);
    }
    return text.empty() ? json() : json::parse(text);
  }

  // An image with nothing in it, under each name the deployment uses (nothing is pulled).
  void add_image(const std::vector<std::string>& references) {
    const std::string empty_tar(10240, '\0');
    const auto [text, status] =
        call("POST", "/images/create?fromSrc=-&repo=edgeguard-test/empty&tag=1&changes=CMD%20%5B%22%2Fmodule%22%5D",
             empty_tar, "application/x-tar");
    if (status != 200) throw std::runtime_error("image import failed: " + text);
    for (const auto& reference : references) {
      const size_t colon = reference.rfind(':');
      const bool tagged = colon != std::string::npos && reference.find('/', colon) == std::string::npos;
      const std::string repo = tagged ? reference.substr(0, colon) : reference;
      const std::string tag = tagged ? reference.substr(colon + 1) : "latest";
      call_json("POST", "/images/edgeguard-test/empty:1/tag?repo=" + repo + "&tag=" + tag);
    }
  }

 private:
  test::TempDir dir_;
  std::string socket_;
  std::unique_ptr<test::ChildProcess> engine_;
  int calls_ = 0;
};

// The image the engine is given: edgeAgent pulls by the reference in the manifest; we have no
// registry, so a digest reference is created under its tag.
std::string local_image(std::string image) {
  if (const size_t at = image.find('@'); at != std::string::npos) image.resize(at);
  const size_t slash = image.rfind('/');
  if (image.find(':', slash == std::string::npos ? 0 : slash) == std::string::npos) image += ":latest";
  return image;
}

// The container edgeAgent (and, for edgeAgent itself, aziot-edged) creates for a module:
// createOptions, plus the manifest env and the IOTEDGE_* variables, the owner and original-image
// labels, the workload socket (and management socket for edgeAgent), and the azure-iot-edge
// network unless createOptions chose one.
json create_body(const std::string& name, const json& module) {
  const json& settings = module.at("settings");
  std::string options_text;
  for (const char* key : {"createOptions", "createOptions01", "createOptions02"}) {
    if (settings.contains(key)) options_text += settings.at(key).get<std::string>();
  }
  json body = options_text.empty() ? json::object() : json::parse(options_text);
  const std::string image = settings.at("image").get<std::string>();
  body["Image"] = local_image(image);
  json& env = body["Env"];
  if (env.is_null()) env = json::array();
  if (module.contains("env")) {
    for (const auto& [key, value] : module.at("env").items()) {
      const json& v = value.at("value");
      env.push_back(key + "=" + (v.is_string() ? v.get<std::string>() : v.dump()));
    }
  }
  for (const std::string& var : std::vector<std::string>{
           "IOTEDGE_IOTHUBHOSTNAME=contoso-hub.azure-devices.net", std::string("IOTEDGE_DEVICEID=") + kDeviceId,
           "IOTEDGE_MODULEID=" + (name == "edgeAgent" || name == "edgeHub" ? "$" + name : name),
           std::string("IOTEDGE_GATEWAYHOSTNAME=") + kDeviceId,
           "IOTEDGE_WORKLOADURI=unix:///var/run/iotedge/workload.sock", "IOTEDGE_APIVERSION=2022-08-03",
           "IOTEDGE_AUTHSCHEME=sasToken", "IOTEDGE_MODULEGENERATIONID=638123456789012345"}) {
    env.push_back(var);
  }
  json& labels = body["Labels"];
  if (labels.is_null()) labels = json::object();
  labels["net.azure-devices.edge.owner"] = "Microsoft.Azure.Devices.Edge.Agent";
  labels["net.azure-devices.edge.original-image"] = image;
  json& binds = body["HostConfig"]["Binds"];
  if (binds.is_null()) binds = json::array();
  binds.push_back("/var/run/iotedge/workload.sock:/var/run/iotedge/workload.sock");
  if (name == "edgeAgent") {
    binds.push_back("/var/run/iotedge/mgmt.sock:/var/run/iotedge/mgmt.sock");
    for (const char* var : {"IOTEDGE_MANAGEMENTURI=unix:///var/run/iotedge/mgmt.sock", "Mode=iotedged",
                            "NetworkId=azure-iot-edge", "EdgeDeviceHostName=edge-01"}) {
      env.push_back(var);
    }
    labels["net.azure-devices.edge.create-options"] = "{}";
    labels["net.azure-devices.edge.env"] = "{}";
  }
  if (!body.contains("NetworkingConfig")) {
    json endpoint = json::object();
    if (name == "edgeHub") endpoint["Aliases"] = {kDeviceId};
    body["NetworkingConfig"]["EndpointsConfig"]["azure-iot-edge"] = endpoint;
    body["HostConfig"]["NetworkMode"] = "azure-iot-edge";
  }
  return body;
}

struct Deployment {
  json manifest;
  std::map<std::string, json> modules;  // name -> module definition
};

Deployment load_deployment() {
  Deployment out;
  out.manifest = json::parse(text_of(std::string(EDGEGUARD_TEST_DIR) + "/fixtures/manifest/engine/deployment.json"));
  const json& desired = out.manifest["modulesContent"]["$edgeAgent"]["properties.desired"];
  for (const auto& [name, module] : desired["systemModules"].items()) out.modules[name] = module;
  for (const auto& [name, module] : desired["modules"].items()) out.modules[name] = module;
  return out;
}

// Rules about the container itself (not about routes, registry credentials or manifest-only labels).
std::map<std::string, std::multiset<std::string>> container_rules_by_module(const std::vector<Finding>& findings) {
  static const std::set<std::string> deployment_only = {"EGD021", "EGD040", "EGD060", "EGD061"};
  std::map<std::string, std::multiset<std::string>> out;
  for (const auto& finding : findings) {
    if (!deployment_only.contains(finding.rule_id)) out[finding.module].insert(finding.rule_id);
  }
  return out;
}

class EngineModel : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    try {
      engine_ = std::make_unique<PrivateEngine>();
      deployment_ = load_deployment();
      std::vector<std::string> images = {"portainer/portainer-ce:2.19.4"};
      for (const auto& [name, module] : deployment_.modules) images.push_back(local_image(module["settings"]["image"]));
      engine_->add_image(images);
      engine_->call_json("POST", "/networks/create", {{"Name", "azure-iot-edge"}, {"Driver", "bridge"}});
      for (const auto& [name, module] : deployment_.modules) {
        engine_->call_json("POST", "/containers/create?name=" + name, create_body(name, module));
        inspected_[name] = engine_->call_json("GET", "/containers/" + name + "/json");
      }
      // A container that is not an edge module: the engine's view includes it.
      engine_->call_json("POST", "/containers/create?name=portainer",
                         {{"Image", "portainer/portainer-ce:2.19.4"},
                          {"HostConfig",
                           {{"Binds", {"/var/run/docker.sock:/var/run/docker.sock"}},
                            {"PortBindings", {{"9443/tcp", {{{"HostPort", "9443"}}}}}}}}});
      inspected_["portainer"] = engine_->call_json("GET", "/containers/portainer/json");
      if (const char* capture = std::getenv("EDGEGUARD_CAPTURE_INSPECT")) {
        for (const auto& [name, document] : inspected_) {
          write(std::filesystem::path(capture) / (name + ".json"), document.dump(2) + "\n");
        }
      }
    } catch (const std::exception& error) {
      setup_error_ = error.what();
    }
  }
  static void TearDownTestSuite() {
    engine_.reset();  // stops dockerd by PID; its data root goes with its temporary directory
    inspected_.clear();
  }
  void SetUp() override { ASSERT_TRUE(setup_error_.empty()) << setup_error_; }

  static std::vector<Finding> engine_findings(const AnalysisOptions& options = {}) {
    std::vector<ModuleSpec> modules;
    for (const auto& [name, document] : inspected_) {
      auto result = module_from_inspect(document);
      EXPECT_TRUE(result.problems.empty())
          << name << ": " << result.problems.front().path << " " << result.problems.front().message;
      modules.push_back(std::move(result.module));
    }
    return analyze(engine_model(std::move(modules)), RuleCatalog::builtin(), options);
  }

  static inline std::unique_ptr<PrivateEngine> engine_;
  static inline Deployment deployment_;
  static inline std::map<std::string, json> inspected_;
  static inline std::string setup_error_;
};

}  // namespace

TEST_F(EngineModel, InspectGivesTheSameFindingsAsTheManifestForEveryModule) {
  const auto manifest = read_manifest(deployment_.manifest.dump());
  ASSERT_TRUE(manifest.ok());
  const auto from_manifest = container_rules_by_module(analyze(manifest.model));
  auto from_engine = container_rules_by_module(engine_findings());
  from_engine.erase("portainer");
  EXPECT_EQ(from_engine, from_manifest);
  ASSERT_EQ(from_engine.size(), deployment_.modules.size());
}

TEST_F(EngineModel, ModulesAreRecognisedByTheirLabels) {
  std::map<std::string, ModuleKind> kinds;
  for (const auto& [name, document] : inspected_) {
    const auto result = module_from_inspect(document);
    kinds[result.module.name] = result.module.kind;
    EXPECT_EQ(result.module.container_id, document["Id"].get<std::string>());
    if (name != "portainer") {
      EXPECT_EQ(result.module.image.value, deployment_.modules.at(name)["settings"]["image"].get<std::string>());
    }
  }
  EXPECT_EQ(kinds.at("edgeAgent"), ModuleKind::EdgeAgent);
  EXPECT_EQ(kinds.at("edgeHub"), ModuleKind::EdgeHub);
  EXPECT_EQ(kinds.at("legacy"), ModuleKind::Custom);
  EXPECT_EQ(kinds.at("portainer"), ModuleKind::Container);
}

TEST_F(EngineModel, WhatOnlyTheEngineShowsIsJudgedToo) {
  const auto findings = engine_findings();
  // The Docker socket of a container outside the deployment.
  const auto portainer = std::find_if(findings.begin(), findings.end(), [](const Finding& f) {
    return f.module == "portainer" && f.rule_id == "EGD010";
  });
  ASSERT_NE(portainer, findings.end());
  EXPECT_EQ(portainer->severity, Severity::Critical);
  EXPECT_EQ(portainer->path.rfind("/Mounts/", 0), 0u) << portainer->path;
  // The sockets IoT Edge adds and the IOTEDGE_* variables are expected, not findings.
  for (const auto& finding : findings) {
    EXPECT_EQ(finding.message.find("/var/run/iotedge"), std::string::npos) << finding.message;
    EXPECT_EQ(finding.message.find("IOTEDGE_"), std::string::npos) << finding.message;
  }
}

TEST_F(EngineModel, OnTheDeviceTheAgentIsItsOwnContainerWhateverOthersAreCalled) {
  AnalysisOptions options;
  options.agent.self_container_id = inspected_.at("legacy")["Id"].get<std::string>().substr(0, 12);
  const auto findings = engine_findings(options);
  for (const auto& finding : findings) {
    if (finding.security_agent) {
      EXPECT_EQ(finding.module, "legacy") << finding.rule_id;
    }
  }
  const auto privileged = std::find_if(findings.begin(), findings.end(),
                                       [](const Finding& f) { return f.module == "legacy" && f.rule_id == "EGD001"; });
  ASSERT_NE(privileged, findings.end());
  EXPECT_EQ(privileged->severity, Severity::Low);
}

TEST_F(EngineModel, FindingEventsAreValidExtensionMessages) {
  const auto findings = engine_findings();
  const auto events = make_finding_events(findings, {EventCategory::Periodic, ModelSource::Engine, 8 * 1024});
  ASSERT_GT(events.size(), 1u);
  test::TempDir dir;
  std::string lines;
  for (const auto& event : events) {
    ASSERT_EQ(event.channel.output, "securityRecommendations");
    MessageBuilder builder("072f3eca-3db0-45ba-8174-fa383bc93caf", EDGEGUARD_VERSION, event.channel, 256 * 1024);
    builder.add(1, Priority::Low, serialize_event(event));
    lines += builder.finish().body + "\n";
  }
  write(dir / "findings.jsonl", lines);
  const auto validation = test::validate_messages({(dir / "findings.jsonl").string()});
  EXPECT_EQ(validation.exit_code, 0) << validation.out << validation.err;
}
