// The edgeHub transport in process against the stand-ins: the workload API client, and the
// pipeline delivering through the edgeHub sink (message size limit, outputs, PUBACK).
#include <gtest/gtest.h>

#include <fstream>

#include "../standins/standins.h"
#include "../support/temp_dir.h"
#include "config/agent_config.h"
#include "core/host_root.h"
#include "pipeline/pipeline.h"
#include "transport/edgehub/credentials.h"
#include "transport/edgehub/edgehub_connection.h"
#include "transport/edgehub/edgehub_sink.h"
#include "transport/edgehub/encoding.h"
#include "transport/edgehub/hmac_sha256.h"
#include "transport/edgehub/module_twin.h"
#include "transport/edgehub/topics.h"
#include "transport/edgehub/workload_client.h"

using namespace edgeguard;
using namespace std::chrono_literals;

namespace {

class EdgeHubTransport : public ::testing::Test {
 protected:
  void SetUp() override {
    identity_ = test::ModuleTestIdentity::random();
    pki_ = std::make_unique<test::TestPki>(dir_ / "pki");
  }
  void start_workload(int fail_signs = 0, bool forbid = false) {
    workload_ = std::make_unique<test::WorkloadStandin>(
        test::WorkloadStandin::Options{dir_ / "workload", pki_->ca, identity_, fail_signs, forbid});
  }
  edgehub::WorkloadClient client(const std::string& generation = "") const {
    return edgehub::WorkloadClient(workload_->uri(), identity_.module, generation.empty() ? identity_.generation : generation,
                                   5s);
  }
  edgehub::ConnectionSettings settings() const {
    edgehub::ConnectionSettings s;
    s.identity.hub_host = identity_.hub;
    s.identity.gateway_host = identity_.gateway;
    s.identity.device_id = identity_.device;
    s.identity.module_id = identity_.module;
    s.identity.generation_id = identity_.generation;
    s.identity.workload_uri = workload_->uri();
    s.port = broker_->port();
    return s;
  }

  test::TempDir dir_;
  test::ModuleTestIdentity identity_;
  std::unique_ptr<test::TestPki> pki_;
  std::unique_ptr<test::WorkloadStandin> workload_;
  std::unique_ptr<test::EdgeHubStandin> broker_;
};

}  // namespace

TEST_F(EdgeHubTransport, WorkloadSignsWithTheModuleKeyAndServesTheTrustBundle) {
  start_workload();
  const std::string data = "hub%2fdevices%2fd%2fmodules%2fm\n1767225600";
  const auto key = *edgehub::base64_decode(identity_.key_base64);
  EXPECT_EQ(client().sign(data), edgehub::base64_encode(edgehub::hmac_sha256(key, data)));
  EXPECT_EQ(client().trust_bundle(), *read_whole_file(pki_->ca));
}

TEST_F(EdgeHubTransport, WorkloadErrorsCarryTheStatusAndTheServersMessage) {
  start_workload(/*fail_signs=*/1);
  try {
    client().sign("x");
    FAIL() << "expected the simulated failure";
  } catch (const edgehub::WorkloadError& error) {
    EXPECT_EQ(error.status(), 500);
    EXPECT_NE(std::string(error.what()).find("simulated identity service failure"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("/sign"), std::string::npos) << error.what();
  }
  EXPECT_NO_THROW(client().sign("x"));  // the next call succeeds
  try {
    client("999").sign("x");
    FAIL() << "expected an error for an unknown generation";
  } catch (const edgehub::WorkloadError& error) {
    EXPECT_EQ(error.status(), 500);
  }
  workload_.reset();
  start_workload(0, /*forbid=*/true);
  try {
    client().sign("x");
    FAIL() << "expected 403";
  } catch (const edgehub::WorkloadError& error) {
    EXPECT_EQ(error.status(), 403);
    EXPECT_NE(std::string(error.what()).find("forbidden"), std::string::npos);
  }
}

TEST_F(EdgeHubTransport, MissingWorkloadSocketIsNamed) {
  const edgehub::WorkloadClient missing("unix://" + (dir_ / "nothing.sock").string(), "m", "1", 2s);
  try {
    missing.trust_bundle();
    FAIL() << "expected an error";
  } catch (const edgehub::WorkloadError& error) {
    EXPECT_EQ(error.status(), 0);
    EXPECT_NE(std::string(error.what()).find("nothing.sock"), std::string::npos) << error.what();
  }
}

TEST_F(EdgeHubTransport, LargestMessagesStayUnderEdgeHubsLimitAndOutputsAreUnmarked) {
  start_workload();
  broker_ = std::make_unique<test::EdgeHubStandin>(test::EdgeHubStandin::Options{
      dir_ / "broker", pki_->server_cert, pki_->server_key, pki_->ca, identity_, 300, nullptr, 0});
  auto credentials = edgehub::make_credentials(settings().identity);
  edgehub::TwinConfiguration twin(AgentConfig::defaults());
  edgehub::ModuleTwinClient twin_client(twin, nullptr);
  edgehub::EdgeHubConnection connection(settings(), *credentials, twin_client);
  twin_client.attach(connection);
  edgehub::EdgeHubSink sink(connection, &twin_client);
  connection.start();
  ASSERT_TRUE(twin_client.wait_first_twin_settled(30s));

  // The largest message size the twin allows, and events that fill many messages.
  AgentConfig config = AgentConfig::defaults();
  config.max_message_size_bytes = 262144;
  config.aggregation["ProcessCreate"].enabled = false;
  EventStore store(dir_ / "events.db", 64 << 20);
  Statistics statistics;
  Pipeline pipeline(config, store, sink, statistics, AgentIdentity{"5d7e3f0a-8a8b-4f6e-9d1c-2b3a4c5d6e7f", "0.1.0"});
  constexpr int kEvents = 1500;
  for (int i = 0; i < kEvents; ++i) {
    pipeline.submit(make_event("ProcessCreate", EventCategory::Triggered, EventKind::Security,
                               nlohmann::json::array({nlohmann::json{{"Executable", "/usr/bin/long"},
                                                                     {"ProcessId", i},
                                                                     {"ParentProcessId", 1},
                                                                     {"UserId", "0"},
                                                                     {"CommandLine", std::string(900, 'a' + i % 26)}}})));
  }
  ASSERT_TRUE(pipeline.flush_all(true));

  // An extension message goes to its output, without the security marking.
  OutgoingMessage extension{Channel{"alerts"}, Priority::High, R"({"hello":"alerts"})", {}};
  ASSERT_TRUE(sink.send(extension));
  connection.stop();

  size_t events = 0;
  size_t largest = 0;
  bool saw_output = false;
  for (const auto& record : broker_->received()) {
    const auto topic = edgehub::parse_telemetry_topic(record["topic"].get<std::string>());
    ASSERT_TRUE(topic);
    const auto body = record["body"].get<std::string>();
    size_t size = body.size();
    for (const auto& [key, value] : topic->properties) size += key.size() + value.size();
    largest = std::max(largest, size);
    if (topic->property("$.on") == "alerts") {
      saw_output = true;
      EXPECT_FALSE(topic->property("$.ifid"));
      continue;
    }
    EXPECT_EQ(topic->property("$.ifid"), "urn:azureiot:Security:SecurityAgent:1");
    events += nlohmann::json::parse(body)["Events"].size();
  }
  EXPECT_EQ(events, static_cast<size_t>(kEvents));
  EXPECT_TRUE(saw_output);
  EXPECT_LE(largest, edgehub::kEdgeHubMessageLimit);
  EXPECT_GT(largest, 200000u) << "the messages were not filled";
  EXPECT_TRUE(broker_->violations().empty()) << broker_->violations().front().dump();
  EXPECT_EQ(store.count(Priority::Low), 0u);
}
