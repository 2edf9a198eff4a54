// The agent binary as an IoT Edge module, end to end against the stand-ins: the workload API
// (sign, trust bundle) on a unix socket and edgeHub as a real mosquitto broker with TLS from a
// test CA, SAS verification and a module twin (tests/standins/).
#include <gtest/gtest.h>
#include <mosquitto.h>
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
#include "transport/edgehub/encoding.h"
#include "transport/edgehub/hmac_sha256.h"
#include "transport/edgehub/sas_token.h"
#include "transport/edgehub/topics.h"

using namespace edgeguard;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

using test::eventually;

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
std::string utc_text(std::chrono::system_clock::time_point time) {
  const auto seconds = std::chrono::system_clock::to_time_t(time);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(millis));
  return buffer;
}
std::string utc_text(int64_t epoch) { return utc_text(std::chrono::system_clock::time_point(std::chrono::seconds(epoch))); }
std::string utc_now_text() { return utc_text(std::chrono::system_clock::now()); }

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

TEST_F(EdgeHubModule, ReportsTheWholeEffectiveConfigurationInTheOfficialShape) {
  start_broker(pki_->server_cert, pki_->server_key, 300,
               json{{"desired",
                     {{kObj,
                       {{"eventPriorityProcessCreate", {{"value", "High"}}},
                        {"aggregationIntervalConnectionCreate", {{"value", "PT30M"}}},
                        {"snapshotFrequency", {{"value", "PT2S"}}}}},
                      {"$version", 3}}},
                    {"reported", {{"$version", 1}}}});
  start_agent();
  ASSERT_TRUE(eventually([&] { return !reported_config().is_null(); })) << "nothing reported";
  const json reported = reported_config();
  // Desired and reported can be compared key by key.
  const json desired = broker_->twin()["desired"][kObj];
  for (const auto& [key, value] : desired.items()) EXPECT_EQ(reported[key], value) << key;
  // Defaults and the local file are reported too.
  EXPECT_EQ(reported["eventPriorityLogin"], json({{"value", "High"}}));
  EXPECT_EQ(reported["highPriorityMessageFrequency"], json({{"value", "PT1S"}}));  // local file
  EXPECT_EQ(reported["maxMessageSizeInBytes"], json({{"value", 204800}}));
  write(dir_ / "reported.json", reported.dump());
  const auto validation = test::run({"/usr/bin/python3", std::string(EDGEGUARD_SOURCE_DIR) + "/tests/tools/validate_twin.py",
                                     (dir_ / "reported.json").string()});
  EXPECT_EQ(validation.exit_code, 0) << validation.out << validation.err;
  EXPECT_EQ(stop_agent(), 0);
}

// The event type switched Off, and one that keeps flowing to show the agent still sends.
struct SwitchOff {
  const char* name;
  const char* still_flowing;
};
void PrintTo(const SwitchOff& value, std::ostream* out) { *out << value.name; }
class EdgeHubModuleSwitchOff : public EdgeHubModule, public ::testing::WithParamInterface<SwitchOff> {};

TEST_P(EdgeHubModuleSwitchOff, DesiredPatchSwitchingAnEventTypeOffStopsItAndIsReported) {
  const std::string name = GetParam().name;
  const std::string key = "eventPriority" + name;
  start_broker();
  start_observer();
  start_agent();
  ASSERT_TRUE(eventually([&] { return count_events(name) >= 2; })) << "no " << name << " events to begin with";
  ASSERT_TRUE(eventually([&] { return !reported_config().is_null(); }));
  EXPECT_NE(reported_config()[key]["value"], "Off");

  observer_->push_desired(json{{kObj, {{key, {{"value", "Off"}}}}}}.dump());
  ASSERT_TRUE(observer_->wait_for(
      [&](const auto& messages) {
        const auto reported = test::MqttObserver::latest_reported(messages);
        return reported.is_object() && reported.contains(kObj) && reported[kObj][key]["value"] == "Off";
      },
      30s))
      << "the reported properties never showed " << key << " Off";
  const std::string after = utc_now_text();
  ASSERT_TRUE(eventually([&] { return count_events(GetParam().still_flowing, after) >= 3; }))
      << GetParam().still_flowing << " stopped flowing too";
  EXPECT_EQ(count_events(name, after), 0u) << name << " events collected after the patch was reported";
  EXPECT_EQ(stop_agent(), 0);
}

INSTANTIATE_TEST_SUITE_P(EdgeHubModule, EdgeHubModuleSwitchOff,
                         ::testing::Values(SwitchOff{"ListeningPorts", "DroppedEventsStatistics"},
                                           SwitchOff{"MessageStatistics", "DroppedEventsStatistics"}),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST_F(EdgeHubModule, FrequencyChangesTakeEffectWithoutARestart) {
  start_broker();
  start_observer();
  start_agent();
  ASSERT_TRUE(eventually([&] { return count_events("DroppedEventsStatistics") >= 1 && !reported_config().is_null(); }));
  const auto reported_is = [&](const std::string& value) {
    return [&, value](const auto& messages) {
      const auto reported = test::MqttObserver::latest_reported(messages);
      return reported.is_object() && reported.contains(kObj) && reported[kObj]["snapshotFrequency"]["value"] == value;
    };
  };
  observer_->push_desired(json{{kObj, {{"snapshotFrequency", {{"value", "PT1H"}}}}}}.dump());
  ASSERT_TRUE(observer_->wait_for(reported_is("PT1H"), 30s));
  const std::string slow = utc_now_text();
  std::this_thread::sleep_for(4s);
  // At most the one snapshot already scheduled under the old frequency.
  EXPECT_LE(count_events("DroppedEventsStatistics", slow), 1u);
  ASSERT_TRUE(agent_->running());

  observer_->push_desired(json{{kObj, {{"snapshotFrequency", {{"value", "PT1S"}}}}}}.dump());
  ASSERT_TRUE(observer_->wait_for(reported_is("PT1S"), 30s));
  const std::string fast = utc_now_text();
  EXPECT_TRUE(eventually([&] { return count_events("DroppedEventsStatistics", fast) >= 2; }))
      << "snapshots did not speed up again";
  EXPECT_EQ(stop_agent(), 0);
}

TEST_F(EdgeHubModule, BadPatchIsRejectedWithConfigurationErrorAndTheOldConfigurationKeepsWorking) {
  start_broker();
  start_observer();
  start_agent();
  ASSERT_TRUE(eventually([&] { return count_events("DroppedEventsStatistics") >= 1 && !reported_config().is_null(); }));
  const auto reports_before = broker_->twin()["reported"]["$version"].get<int>();

  // A wrong type rejects the whole update, including its valid part.
  observer_->push_desired(json{{kObj,
                                {{"maxMessageSizeInBytes", {{"value", "huge"}}},
                                 {"eventPriorityDroppedEventsStatistics", {{"value", "Off"}}}}}}
                              .dump());
  const auto configuration_errors = [&](const std::string& configuration_name) {
    std::vector<json> found;
    for (const auto& r : received_events()) {
      if (r.event["Name"] == "ConfigurationError" && r.event["Payload"][0]["ConfigurationName"] == configuration_name) {
        found.push_back(r.event["Payload"][0]);
      }
    }
    return found;
  };
  ASSERT_TRUE(eventually([&] { return !configuration_errors("maxMessageSizeInBytes").empty(); }))
      << "no ConfigurationError for maxMessageSizeInBytes";
  const auto error = configuration_errors("maxMessageSizeInBytes").front();
  EXPECT_EQ(error["ErrorType"], "TypeMismatch");
  EXPECT_EQ(error["UsedConfiguration"], "204800");
  EXPECT_NE(error["Message"].get<std::string>().find("/maxMessageSizeInBytes/value"), std::string::npos) << error;
  EXPECT_NE(error["Message"].get<std::string>().find("rejected"), std::string::npos) << error;
  // The rejection is reported too, showing the configuration still in force.
  ASSERT_TRUE(eventually([&] { return broker_->twin()["reported"]["$version"].get<int>() > reports_before; }));
  EXPECT_EQ(reported_config()["eventPriorityDroppedEventsStatistics"]["value"], "Low");
  EXPECT_EQ(reported_config()["maxMessageSizeInBytes"]["value"], 204800);
  const std::string after = utc_now_text();
  ASSERT_TRUE(eventually([&] { return count_events("DroppedEventsStatistics", after) >= 2; }))
      << "the old configuration stopped working";

  // Not even JSON: named with its position, the agent keeps running.
  observer_->push_desired("{\"" + kObj + "\": {oops}");
  ASSERT_TRUE(eventually([&] {
    for (const auto& e : configuration_errors(kObj)) {
      if (e["Message"].get<std::string>().find("not valid JSON") != std::string::npos) return true;
    }
    return false;
  })) << "no ConfigurationError for the malformed document";
  EXPECT_TRUE(agent_->running());

  // A number no double holds: the JSON library throws a different exception for it, and one
  // escaping the MQTT callback would end the agent (the fuzz target found it).
  observer_->push_desired("{\"" + kObj + "\": {\"maxMessageSizeInBytes\": {\"value\": 1e999}}}");
  ASSERT_TRUE(eventually([&] {
    for (const auto& e : configuration_errors(kObj)) {
      if (e["Message"].get<std::string>().find("a number is out of range") != std::string::npos) return true;
    }
    return false;
  })) << "no ConfigurationError for the out-of-range number";
  EXPECT_TRUE(agent_->running());

  // Fixing the bad key applies what the desired document now holds, valid part included.
  observer_->push_desired(json{{kObj, {{"maxMessageSizeInBytes", {{"value", 65536}}}}}}.dump());
  ASSERT_TRUE(eventually([&] {
    const auto reported = reported_config();
    return reported["maxMessageSizeInBytes"]["value"] == 65536 &&
           reported["eventPriorityDroppedEventsStatistics"]["value"] == "Off";
  })) << reported_config().dump();

  // Every ConfigurationError is a schema-valid security message.
  std::ofstream out(dir_ / "bodies.jsonl");
  for (const auto& record : broker_->received()) out << record["body"].get<std::string>() << "\n";
  out.close();
  const auto validation = test::validate_messages({(dir_ / "bodies.jsonl").string()});
  EXPECT_EQ(validation.exit_code, 0) << validation.out << validation.err;
  EXPECT_EQ(stop_agent(), 0);
  EXPECT_NE(agent_log().find("not valid JSON"), std::string::npos);
}

TEST_F(EdgeHubModule, BrokerOutageLosesNothingAndDeliversOldestFirstExactlyOnceById) {
  start_broker();
  start_agent();
  ASSERT_TRUE(eventually([&] { return count_events("DroppedEventsStatistics") >= 2; }));

  broker_->stop();
  const std::string down = utc_now_text();
  std::this_thread::sleep_for(6s);  // the agent keeps collecting into its store meanwhile
  const std::string up = utc_now_text();
  broker_->start();

  const auto collected_while_down = [&] {
    size_t n = 0;
    for (const auto& r : received_events()) {
      const auto time = r.event["TimestampUTC"].get<std::string>();
      n += r.event["Name"] == "DroppedEventsStatistics" && time > down && time < up;
    }
    return n;
  };
  ASSERT_TRUE(eventually([&] { return collected_while_down() >= 3; }, 90s))
      << "events collected during the outage did not arrive";
  ASSERT_TRUE(eventually([&] { return count_events("MessageStatistics", up) >= 2; }));
  EXPECT_EQ(stop_agent(), 0);

  // Exactly once by Id; a duplicate can only be a whole message that was in flight (sent, but
  // its PUBACK lost with the connection) and is sent again.
  const auto events = received_events();
  std::map<std::string, std::vector<size_t>> messages_of;
  for (const auto& r : events) messages_of[r.event["Id"].get<std::string>()].push_back(r.message);
  std::set<size_t> resent;
  for (const auto& [id, messages] : messages_of) {
    EXPECT_LE(messages.size(), 2u) << id;
    if (messages.size() == 2) resent.insert(messages[1]);
  }
  EXPECT_LE(resent.size(), 1u) << "more than the one in-flight message was duplicated";
  for (const size_t message : resent) {
    for (const auto& r : events) {
      if (r.message == message) {
        EXPECT_EQ(messages_of[r.event["Id"].get<std::string>()].size(), 2u);
      }
    }
  }
  // Oldest first within each priority: first copies of a priority's events arrive in time
  // order (a High message may carry older Low events as padding, so priorities are apart).
  const AgentConfig defaults = AgentConfig::defaults();
  std::map<Priority, std::string> previous;
  std::set<std::string> seen;
  for (const auto& r : events) {
    const auto id = r.event["Id"].get<std::string>();
    if (!seen.insert(id).second) continue;
    const auto time = r.event["TimestampUTC"].get<std::string>();
    std::string& last = previous[defaults.priority_of(r.event["Name"].get<std::string>())];
    EXPECT_GE(time, last) << "event " << id << " (" << r.event["Name"] << ") arrived after a newer one";
    last = std::max(last, time);
  }
  // Nothing left behind: whatever was collected was acknowledged by the broker.
  EventStore store(dir_ / "state" / "events.db", 1 << 30);
  EXPECT_EQ(store.count(Priority::High) + store.count(Priority::Low), 0u);
  EXPECT_TRUE(broker_->violations().empty());
}

TEST_F(EdgeHubModule, CertificateFromAnotherCaIsRefusedNeverDowngraded) {
  start_broker(pki_->rogue_cert, pki_->rogue_key);
  start_agent();
  ASSERT_TRUE(eventually([&] { return agent_log().find("failed verification") != std::string::npos; }))
      << "the agent did not refuse the certificate";
  std::this_thread::sleep_for(2s);
  EXPECT_NE(agent_log().find("unable to get local issuer certificate"), std::string::npos);
  // Refused during the handshake: no CONNECT, so no token reached the impostor.
  EXPECT_TRUE(module_auths(true).empty());
  EXPECT_TRUE(module_auths(false).empty());
  EXPECT_TRUE(broker_->received().empty());
  EXPECT_TRUE(agent_->running());

  // The same agent connects and delivers what it kept once edgeHub has the right certificate.
  const int port = broker_->port();
  broker_.reset();
  broker_ = std::make_unique<test::EdgeHubStandin>(test::EdgeHubStandin::Options{
      dir_ / "broker", pki_->server_cert, pki_->server_key, pki_->ca, identity_, 300, nullptr, port});
  ASSERT_TRUE(eventually([&] { return count_events("DroppedEventsStatistics") >= 2; }, 60s));
  EXPECT_EQ(stop_agent(), 0);
}

TEST_F(EdgeHubModule, CertificateForAnotherHostNameIsRefused) {
  start_broker(pki_->wrong_host_cert, pki_->wrong_host_key);
  start_agent();
  ASSERT_TRUE(eventually([&] { return agent_log().find("failed verification") != std::string::npos; }))
      << "the agent accepted a certificate for wrong-host.invalid when connecting to localhost";
  EXPECT_NE(agent_log().find("hostname mismatch (depth 0, subject /CN=wrong-host.invalid)"), std::string::npos);
  EXPECT_TRUE(module_auths(true).empty());
  EXPECT_TRUE(module_auths(false).empty());
  EXPECT_TRUE(broker_->received().empty());
  EXPECT_TRUE(agent_->running());
  EXPECT_EQ(stop_agent(), 0);
}

TEST_F(EdgeHubModule, ExpiringTokenForcesAReconnectWithAFreshOne) {
  start_broker(pki_->server_cert, pki_->server_key, /*skew_seconds=*/0);
  start_agent({{"sasTokenLifetime", "PT6S"}});
  ASSERT_TRUE(eventually([&] { return module_auths(true).size() >= 3; }, 60s)) << "no reconnects with new tokens";
  const auto auths = module_auths(true);
  for (size_t i = 1; i < auths.size(); ++i) {
    EXPECT_GT(auths[i]["se"].get<int64_t>(), auths[i - 1]["se"].get<int64_t>()) << "a token was reused";
    // Reconnected before the previous token expired.
    EXPECT_LE(auths[i]["time"].get<int64_t>(), auths[i - 1]["se"].get<int64_t>());
  }
  for (const auto& entry : broker_->auth_log()) EXPECT_FALSE(entry.contains("expired_kick")) << entry.dump();
  EXPECT_TRUE(module_auths(false).empty());
  // Messages keep flowing over the refreshed connections.
  const std::string third = utc_text(auths[2]["time"].get<int64_t>());
  ASSERT_TRUE(eventually([&] { return count_events("DroppedEventsStatistics", third) >= 2; }))
      << "messages stopped after the token refreshes";
  EXPECT_NE(agent_log().find("fresh SAS token"), std::string::npos);
  // Every connection fetched the trust bundle anew and read the whole twin.
  size_t bundles = 0;
  for (const auto& request : workload_->requests()) bundles += request["path"] == "/trust-bundle";
  size_t gets = 0;
  for (const auto& entry : broker_->twin_log()) gets += entry.contains("get");
  EXPECT_GE(bundles, auths.size());
  EXPECT_GE(gets, auths.size());
  EXPECT_EQ(stop_agent(), 0);
  EventStore store(dir_ / "state" / "events.db", 1 << 30);
  EXPECT_EQ(store.count(Priority::High) + store.count(Priority::Low), 0u);
  expect_no_secrets_in_log();
}

TEST_F(EdgeHubModule, WorkloadErrorsAreLoggedWithTheirStatusAndRetried) {
  workload_.reset();
  workload_ = std::make_unique<test::WorkloadStandin>(
      test::WorkloadStandin::Options{dir_ / "workload", pki_->ca, identity_, /*fail_signs=*/2, false});
  start_broker();
  start_agent();
  ASSERT_TRUE(eventually([&] { return !module_auths(true).empty(); }, 60s)) << "never connected";
  const auto log = agent_log();
  EXPECT_NE(log.find("answered 500: stand-in: simulated identity service failure"), std::string::npos) << log;
  EXPECT_NE(log.find("reconnecting to edgeHub"), std::string::npos);
  std::vector<int> sign_statuses;
  for (const auto& request : workload_->requests()) {
    if (request["path"].get<std::string>().find("/sign") != std::string::npos) sign_statuses.push_back(request["status"]);
  }
  ASSERT_GE(sign_statuses.size(), 3u);
  EXPECT_EQ(sign_statuses[0], 500);
  EXPECT_EQ(sign_statuses[1], 500);
  EXPECT_EQ(sign_statuses[2], 200);
  EXPECT_EQ(stop_agent(), 0);
}

TEST_F(EdgeHubModule, MissingEnvironmentIsOneErrorListingEveryVariable) {
  write(dir_ / "agent.json", json{{"sink", "edgehub"}, {"stateDir", (dir_ / "state").string()}}.dump());
  const auto result = test::run({test::edgeguard_binary(), "run", "--config", (dir_ / "agent.json").string()}, 30s,
                                {"IOTEDGE_DEVICEID=edge-01", "IOTEDGE_AUTHSCHEME=x509"});
  EXPECT_EQ(result.exit_code, 2);
  for (const char* name : {"IOTEDGE_WORKLOADURI is missing", "IOTEDGE_MODULEID is missing",
                           "IOTEDGE_MODULEGENERATIONID is missing", "IOTEDGE_IOTHUBHOSTNAME is missing",
                           "IOTEDGE_GATEWAYHOSTNAME is missing", "IOTEDGE_AUTHSCHEME \"x509\""}) {
    EXPECT_NE(result.err.find(name), std::string::npos) << name << " not in: " << result.err;
  }
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << "expected one error line: " << result.err;
}

TEST_F(EdgeHubModule, ConnectionStringDeveloperPathSignsLocally) {
  start_broker();
  const std::string connection_string = "HostName=" + identity_.hub + ";DeviceId=" + identity_.device +
                                        ";ModuleId=" + identity_.module + ";SharedAccessKey=" + identity_.key_base64 +
                                        ";GatewayHostName=localhost";
  start_agent(json::object(),
              {"EdgeHubConnectionString=" + connection_string, "EdgeModuleCACertificateFile=" + pki_->ca.string()});
  ASSERT_TRUE(eventually([&] { return count_events("DroppedEventsStatistics") >= 1; })) << "nothing delivered";
  EXPECT_FALSE(module_auths(true).empty());
  EXPECT_TRUE(workload_->requests().empty()) << "the workload API is not used on this path";
  EXPECT_EQ(stop_agent(), 0);
  expect_no_secrets_in_log();
  EXPECT_EQ(agent_log().find(connection_string), std::string::npos);
}

TEST_F(EdgeHubModule, StandinRefusesForgedExpiredAndMisaddressedTokens) {
  // The stand-in is only worth its verdicts if it says no: check it with hand-made tokens.
  start_broker(pki_->server_cert, pki_->server_key, /*skew_seconds=*/0);
  const auto try_connect = [&](const std::string& client_id, const std::string& username, const std::string& password) {
    auto* client = mosquitto_new(client_id.c_str(), true, nullptr);
    mosquitto_int_option(client, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    mosquitto_tls_set(client, pki_->ca.c_str(), nullptr, nullptr, nullptr, nullptr);
    mosquitto_username_pw_set(client, username.c_str(), password.c_str());
    int rc = mosquitto_connect(client, "localhost", broker_->port(), 30);
    int connack = -1;
    mosquitto_user_data_set(client, &connack);
    mosquitto_connect_callback_set(client, [](mosquitto*, void* user, int result) { *static_cast<int*>(user) = result; });
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (rc == MOSQ_ERR_SUCCESS && connack < 0 && std::chrono::steady_clock::now() < deadline) {
      rc = mosquitto_loop(client, 100, 1);
    }
    mosquitto_disconnect(client);
    mosquitto_destroy(client);
    return connack;
  };
  const auto key = *edgehub::base64_decode(identity_.key_base64);
  const std::string sr = edgehub::sas_resource(edgehub::sas_scope(identity_.hub, identity_.device, identity_.module));
  const auto token = [&](const std::string& resource, const std::string& signing_key, int64_t expiry) {
    return edgehub::sas_token(resource,
                              edgehub::base64_encode(edgehub::hmac_sha256(signing_key, edgehub::sas_string_to_sign(resource, expiry))),
                              expiry);
  };
  const std::string username = identity_.hub + "/" + identity_.client_id() + "/?api-version=2020-09-30";
  const int64_t later = epoch_seconds() + 600;
  EXPECT_EQ(try_connect(identity_.client_id(), username, token(sr, key, later)), 0);
  EXPECT_NE(try_connect(identity_.client_id(), username, token(sr, key, epoch_seconds() - 5)), 0);
  EXPECT_NE(try_connect(identity_.client_id(), username, token(sr, std::string(32, 'x'), later)), 0);
  const std::string other = edgehub::sas_resource(edgehub::sas_scope("evil.example.net", identity_.device, identity_.module));
  EXPECT_NE(try_connect(identity_.client_id(), username, token(other, key, later)), 0);
  EXPECT_NE(try_connect(identity_.device + "/other", username, token(sr, key, later)), 0);
  EXPECT_NE(try_connect(identity_.client_id(), identity_.hub + "/" + identity_.client_id() + "/", token(sr, key, later)), 0);
  std::vector<std::string> reasons;
  for (const auto& entry : module_auths(false)) reasons.push_back(entry["reason"]);
  EXPECT_EQ(reasons, (std::vector<std::string>{"token expired", "signature mismatch",
                                               "audience host is neither the hub nor the gateway",
                                               "client id is not \"" + identity_.client_id() + "\"",
                                               "username has no ?parameters segment"}));
}
