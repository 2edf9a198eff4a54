// The agent binary as an IoT Edge module, end to end against the stand-ins: the workload API
// (sign, trust bundle) on a unix socket and edgeHub as a real mosquitto broker with TLS from a
// test CA, SAS verification and a module twin (tests/standins/).
#include <gtest/gtest.h>
#include <signal.h>

#include <climits>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "../standins/standins.h"
#include "../support/process.h"
#include "../support/temp_dir.h"
#include "config/agent_config.h"
#include "core/host_root.h"
#include "pipeline/event_store.h"
#include "transport/edgehub/topics.h"

using namespace edgeguard;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const std::string kObj(kTwinConfigObject);

void write(const std::filesystem::path& file, const std::string& text) {
  std::filesystem::create_directories(file.parent_path());
  std::ofstream(file) << text;
}

std::string slurp(const std::filesystem::path& file) { return read_whole_file(file).value_or(""); }

int64_t epoch_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// "2026-11-26T15:27:00.123Z" as comparable text: the agent writes UTC with a fixed width.
std::string utc_now_text() {
  const auto now = std::chrono::system_clock::now();
  const auto seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(millis));
  return buffer;
}

class EdgeHubModule : public ::testing::Test {
 protected:
  void SetUp() override {
    identity_ = test::ModuleTestIdentity::random();
    pki_ = std::make_unique<test::TestPki>(dir_ / "pki");
    workload_ = std::make_unique<test::WorkloadStandin>(
        test::WorkloadStandin::Options{dir_ / "workload", pki_->ca, identity_, workload_fail_signs_, false});
  }

  void TearDown() override {
    stop_agent();
    observer_.reset();
    broker_.reset();
    workload_.reset();
    if (HasFailure() || std::getenv("EDGEGUARD_SHOW_LOGS")) {
      std::cerr << "---- agent log ----\n" << agent_log() << "\n";
      if (std::filesystem::exists(dir_ / "broker" / "mosquitto.log")) {
        std::cerr << "---- broker log ----\n" << slurp(dir_ / "broker" / "mosquitto.log") << "\n";
      }
    }
  }

  void start_broker(const std::filesystem::path& cert, const std::filesystem::path& key, long skew_seconds = 300,
                    json twin = nullptr) {
    broker_ = std::make_unique<test::EdgeHubStandin>(test::EdgeHubStandin::Options{
        dir_ / "broker", cert, key, pki_->ca, identity_, skew_seconds, std::move(twin), 0});
  }
  void start_broker() { start_broker(pki_->server_cert, pki_->server_key); }

  void start_observer() {
    observer_ = std::make_unique<test::MqttObserver>(broker_->port(), pki_->ca, broker_->observer_password());
  }

  // The local configuration file: fast frequencies so a test sees traffic within seconds.
  json local_config(json extra = json::object()) const {
    json config = {{"edgeHubPort", broker_->port()},
                   {"stateDir", (dir_ / "state").string()},
                   {"logLevel", "debug"},
                   {"highPriorityMessageFrequency", "PT1S"},
                   {"lowPriorityMessageFrequency", "PT1S"},
                   {"snapshotFrequency", "PT1S"}};
    config.merge_patch(extra);
    return config;
  }

  void start_agent(json extra = json::object(), std::vector<std::string> env = {}) {
    write(dir_ / "agent.json", local_config(std::move(extra)).dump(2));
    if (env.empty()) env = test::module_environment(identity_, workload_->uri());
    agent_ = std::make_unique<test::ChildProcess>(
        std::vector<std::string>{test::edgeguard_binary(), "run", "--config", (dir_ / "agent.json").string()}, "",
        (dir_ / "agent.log").string(), env);
  }

  int stop_agent() {
    if (!agent_) return INT_MIN;
    agent_->signal(SIGTERM);
    int code = agent_->wait(30s);
    agent_.reset();
    return code;
  }

  std::string agent_log() const { return slurp(dir_ / "agent.log"); }

  // Every event the broker accepted, with the topic it came on.
  struct Received {
    std::string topic;
    json event;
    size_t message = 0;  // index of the message that carried it
  };
  std::vector<Received> received_events() const {
    std::vector<Received> out;
    size_t index = 0;
    for (const auto& record : broker_->received()) {
      const auto document = json::parse(record.at("body").get<std::string>());
      for (const auto& event : document.at("Events")) out.push_back({record.at("topic"), event, index});
      ++index;
    }
    return out;
  }
  size_t count_events(const std::string& name, const std::string& after_utc = "") const {
    size_t n = 0;
    for (const auto& r : received_events()) {
      if (r.event["Name"] == name && r.event["TimestampUTC"].get<std::string>() > after_utc) ++n;
    }
    return n;
  }

  // Polls `condition` every 100 ms up to `timeout`.
  static bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 30s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (condition()) return true;
      std::this_thread::sleep_for(100ms);
    }
    return condition();
  }

  std::vector<json> module_auths(bool ok) const {
    std::vector<json> out;
    for (const auto& entry : broker_->auth_log()) {
      if (entry.value("observer", false) || entry.contains("expired_kick")) continue;
      if (entry.value("ok", false) == ok) out.push_back(entry);
    }
    return out;
  }

  json reported_config() const {
    const auto twin = broker_->twin();
    return twin["reported"].contains(kObj) ? twin["reported"][kObj] : json(nullptr);
  }

  std::string expected_security_topic() const {
    return "devices/" + identity_.device + "/modules/" + identity_.module +
           "/messages/events/%24.ct=application%2Fjson&%24.ce=utf-8&%24.ifid=urn%3Aazureiot%3ASecurity%3ASecurityAgent%3A1";
  }

  void expect_no_secrets_in_log() const {
    const auto log = agent_log();
    EXPECT_EQ(log.find(identity_.key_base64), std::string::npos) << "the module key was logged";
    EXPECT_EQ(log.find("SharedAccessSignature"), std::string::npos) << "a SAS token was logged";
    EXPECT_EQ(log.find("sig="), std::string::npos) << "a SAS signature was logged";
  }

  int workload_fail_signs_ = 0;
  test::TempDir dir_;
  test::ModuleTestIdentity identity_;
  std::unique_ptr<test::TestPki> pki_;
  std::unique_ptr<test::WorkloadStandin> workload_;
  std::unique_ptr<test::EdgeHubStandin> broker_;
  std::unique_ptr<test::MqttObserver> observer_;
  std::unique_ptr<test::ChildProcess> agent_;
};

}  // namespace

TEST_F(EdgeHubModule, ConnectsAndSendsMarkedSchemaValidSecurityMessages) {
  start_broker();
  start_observer();
  start_agent();
  const std::string topic = expected_security_topic();
  ASSERT_TRUE(observer_->wait_for(
      [&](const auto& messages) {
        size_t n = 0;
        for (const auto& m : messages) n += m.topic == topic;
        return n >= 3;
      },
      30s))
      << "no security messages on " << topic;

  // What the test's own subscription received: the exact topic, the properties, the body.
  std::vector<std::string> bodies;
  for (const auto& message : observer_->messages()) {
    if (message.topic.rfind("devices/", 0) != 0) continue;
    EXPECT_EQ(message.topic, topic);
    const auto parsed = edgehub::parse_telemetry_topic(message.topic);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->property("$.ifid"), "urn:azureiot:Security:SecurityAgent:1");
    EXPECT_EQ(parsed->property("$.ct"), "application/json");
    EXPECT_EQ(parsed->property("$.ce"), "utf-8");
    EXPECT_FALSE(parsed->property("$.on"));
    bodies.push_back(message.payload);
  }
  std::ofstream out(dir_ / "bodies.jsonl");
  for (const auto& body : bodies) out << body << "\n";
  out.close();
  const auto validation = test::validate_messages({(dir_ / "bodies.jsonl").string()});
  EXPECT_EQ(validation.exit_code, 0) << validation.out << validation.err;

  // The broker's view: QoS 1, a verified SAS token for this identity, no contract violation.
  for (const auto& record : broker_->received()) EXPECT_EQ(record["qos"], 1);
  const auto accepted = module_auths(true);
  ASSERT_FALSE(accepted.empty());
  EXPECT_EQ(accepted.front()["client"], identity_.client_id());
  EXPECT_TRUE(module_auths(false).empty());
  EXPECT_TRUE(broker_->violations().empty()) << broker_->violations().front().dump();

  // The workload API was asked for the trust bundle and a signature.
  std::set<std::string> paths;
  for (const auto& request : workload_->requests()) paths.insert(request["path"].get<std::string>());
  EXPECT_TRUE(paths.count("/trust-bundle"));
  EXPECT_TRUE(paths.count("/modules/" + identity_.module + "/genid/" + identity_.generation + "/sign"));

  EXPECT_EQ(stop_agent(), 0);
  expect_no_secrets_in_log();
}
