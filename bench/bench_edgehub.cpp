// Budgets of the IoT Edge module transport, measured against the real stand-ins on loopback
// (workload API on a unix socket, mosquitto with TLS and the edgeHub plugin):
//   - connect: workload trust bundle + sign, TLS, MQTT CONNECT/CONNACK, twin GET answered
//     (budget 300 ms);
//   - a desired patch applied, and reported back, after it is published (budget 1 s);
//   - per-message wire overhead (topic and properties, budget 200 bytes) and bytes on the wire
//     per 1,000 ProcessCreate events with aggregation off and on.
// Run: ./build/bench/bench_edgehub   (root not needed; it leaves nothing behind)
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "../tests/standins/standins.h"
#include "../tests/support/temp_dir.h"
#include "config/agent_config.h"
#include "core/log.h"
#include "pipeline/pipeline.h"
#include "transport/edgehub/credentials.h"
#include "transport/edgehub/edgehub_connection.h"
#include "transport/edgehub/edgehub_sink.h"
#include "transport/edgehub/module_twin.h"
#include "transport/edgehub/topics.h"

using namespace edgeguard;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

namespace {

struct Harness {
  test::TempDir dir;
  test::ModuleTestIdentity identity = test::ModuleTestIdentity::random();
  test::TestPki pki{dir / "pki"};
  test::WorkloadStandin workload{test::WorkloadStandin::Options{dir / "workload", pki.ca, identity, 0, false}};
  test::EdgeHubStandin broker{test::EdgeHubStandin::Options{dir / "broker", pki.server_cert, pki.server_key, pki.ca,
                                                            identity, 300, nullptr, 0}};

  edgehub::ConnectionSettings settings() const {
    edgehub::ConnectionSettings s;
    s.identity.hub_host = identity.hub;
    s.identity.gateway_host = identity.gateway;
    s.identity.device_id = identity.device;
    s.identity.module_id = identity.module;
    s.identity.generation_id = identity.generation;
    s.identity.workload_uri = workload.uri();
    s.port = broker.port();
    return s;
  }

  static Harness& get() {
    static Harness harness;
    return harness;
  }
};

// One module connection with its twin, as the agent runs it.
struct Module {
  explicit Module(Harness& harness, edgehub::ModuleTwinClient::UpdateCallback on_update = nullptr)
      : credentials(edgehub::make_credentials(harness.settings().identity)),
        twin(AgentConfig::defaults()),
        twin_client(twin, std::move(on_update)),
        connection(harness.settings(), *credentials, twin_client),
        sink(connection, &twin_client) {
    twin_client.attach(connection);
  }
  std::unique_ptr<edgehub::Credentials> credentials;
  edgehub::TwinConfiguration twin;
  edgehub::ModuleTwinClient twin_client;
  edgehub::EdgeHubConnection connection;
  edgehub::EdgeHubSink sink;
};

void BM_ConnectWorkloadTlsMqttTwin(benchmark::State& state) {
  auto& harness = Harness::get();
  for (auto _ : state) {
    Module module(harness);
    const auto started = SteadyClock::now();
    module.connection.start();
    if (!module.twin_client.wait_first_twin_settled(10s)) {
      state.SkipWithError("no twin within 10 s");
      break;
    }
    state.SetIterationTime(std::chrono::duration<double>(SteadyClock::now() - started).count());
    module.connection.stop();
  }
}
BENCHMARK(BM_ConnectWorkloadTlsMqttTwin)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(30);

void BM_DesiredPatchAppliedAndReported(benchmark::State& state) {
  auto& harness = Harness::get();
  std::mutex mutex;
  std::condition_variable applied_cv;
  std::string applied_value;
  SteadyClock::time_point applied_at;
  Module module(harness, [&](const edgehub::TwinUpdate& update, const std::string&) {
    std::lock_guard lock(mutex);
    applied_value = std::string(to_string(update.config.priority_of("Login")));
    applied_at = SteadyClock::now();
    applied_cv.notify_all();
  });
  module.connection.start();
  if (!module.twin_client.wait_first_twin_settled(10s)) {
    state.SkipWithError("no twin within 10 s");
    return;
  }
  test::MqttObserver observer(harness.broker.port(), harness.pki.ca, harness.broker.observer_password());
  const std::string object(kTwinConfigObject);
  double applied_total = 0;
  int64_t count = 0;
  for (auto _ : state) {
    const std::string value = count % 2 == 0 ? "Low" : "High";
    const auto published = SteadyClock::now();
    observer.push_desired(nlohmann::json{{object, {{"eventPriorityLogin", {{"value", value}}}}}}.dump());
    const bool reported = observer.wait_for(
        [&](const auto& messages) {
          const auto document = test::MqttObserver::latest_reported(messages);
          return document.is_object() && document.contains(object) && document[object]["eventPriorityLogin"]["value"] == value;
        },
        10s);
    if (!reported) {
      state.SkipWithError("not reported within 10 s");
      break;
    }
    state.SetIterationTime(std::chrono::duration<double>(SteadyClock::now() - published).count());
    std::lock_guard lock(mutex);
    applied_total += std::chrono::duration<double, std::milli>(applied_at - published).count();
    ++count;
  }
  state.counters["applied_ms"] = count ? applied_total / static_cast<double>(count) : 0;
  module.connection.stop();
}
BENCHMARK(BM_DesiredPatchAppliedAndReported)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(30);

void BM_WireOverheadPerMessage(benchmark::State& state) {
  auto& harness = Harness::get();
  size_t security = 0;
  size_t extension = 0;
  for (auto _ : state) {
    security = edgehub::telemetry_topic(harness.identity.device, harness.identity.module, Channel{}).size();
    extension = edgehub::telemetry_topic(harness.identity.device, harness.identity.module, Channel{"containers"}).size();
    benchmark::DoNotOptimize(security + extension);
  }
  // MQTT PUBLISH around the topic: fixed header (1 + up to 4 length bytes), topic length (2),
  // packet id (2).
  state.counters["security_topic_bytes"] = static_cast<double>(security);
  state.counters["extension_topic_bytes"] = static_cast<double>(extension);
  state.counters["security_on_wire_bytes"] = static_cast<double>(security + 9);
  state.counters["extension_on_wire_bytes"] = static_cast<double>(extension + 9);
}
BENCHMARK(BM_WireOverheadPerMessage)->Iterations(1000);

Event process_create(int index, int distinct) {
  const int which = index % distinct;
  return make_event("ProcessCreate", EventCategory::Triggered, EventKind::Security,
                    nlohmann::json::array({nlohmann::json{
                        {"Executable", "/usr/bin/python3"},
                        {"ProcessId", 20000 + index},
                        {"ParentProcessId", 1200 + which},
                        {"UserId", "1000"},
                        {"CommandLine", "/usr/bin/python3 /opt/sensors/collect.py --interval 60 --target sensor-" +
                                            std::to_string(which)},
                        {"ExtraDetails", {{"Hash", ""}}}}}));
}

// Bytes on the wire (topics with properties + bodies) for 1,000 ProcessCreate events.
void BM_ProcessCreateWireBytes(benchmark::State& state) {
  auto& harness = Harness::get();
  const bool aggregation = state.range(0) != 0;
  const int distinct = static_cast<int>(state.range(1));
  Module module(harness);
  module.connection.start();
  if (!module.twin_client.wait_first_twin_settled(10s)) {
    state.SkipWithError("no twin within 10 s");
    return;
  }
  double bytes = 0;
  double messages = 0;
  int runs = 0;
  for (auto _ : state) {
    test::TempDir store_dir;
    AgentConfig config = AgentConfig::defaults();
    config.aggregation["ProcessCreate"].enabled = aggregation;
    EventStore store(store_dir / "events.db", 64 << 20);
    Statistics statistics;
    Pipeline pipeline(config, store, module.sink, statistics, AgentIdentity{"5d7e3f0a-8a8b-4f6e-9d1c-2b3a4c5d6e7f", "0.1.0"});
    const auto before = module.sink.counters();
    for (int i = 0; i < 1000; ++i) pipeline.submit(process_create(i, distinct));
    if (!pipeline.flush_all(true)) {
      state.SkipWithError("flush failed");
      break;
    }
    const auto after = module.sink.counters();
    bytes += static_cast<double>(after.topic_bytes + after.payload_bytes - before.topic_bytes - before.payload_bytes);
    messages += static_cast<double>(after.messages - before.messages);
    ++runs;
  }
  state.counters["wire_bytes_per_1000"] = runs ? bytes / runs : 0;
  state.counters["messages_per_1000"] = runs ? messages / runs : 0;
  module.connection.stop();
}
BENCHMARK(BM_ProcessCreateWireBytes)
    ->ArgNames({"aggregation", "distinct"})
    ->Args({0, 50})
    ->Args({1, 50})
    ->Args({0, 1000})
    ->Args({1, 1000})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);

}  // namespace

int main(int argc, char** argv) {
  log::init("warn");
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
