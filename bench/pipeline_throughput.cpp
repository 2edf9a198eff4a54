// Pipeline throughput: a synthetic collector pushes ProcessCreate-sized events (about 480 bytes
// serialized) through the real pipeline: submit (priority, serialization) -> intake queue ->
// SQLite store (WAL, inserts synchronous=FULL) -> batching into 200 KB messages -> fdatasync'd
// file sink -> removal from the store. Timed until every event is written and acknowledged.
// Budget: at least 100,000 events/s.
//
// BM_Pipeline: the collector's events are built before the clock starts (what is measured is
//   the pipeline alone, including serialization).
// BM_CollectorAndPipeline: the collector builds each event's JSON payload inside the timed loop
//   too (closer to a real exec storm, where building events is the collector's cost).
#include <benchmark/benchmark.h>

#include <filesystem>
#include <thread>

#include <unistd.h>

#include "pipeline/pipeline.h"
#include "transport/file_sink.h"

using namespace edgeguard;

namespace {

Event synthetic_exec(int64_t i) {
  return make_event("ProcessCreate", EventCategory::Triggered, EventKind::Security,
                    nlohmann::json::array({{{"Executable", "/usr/bin/python3"},
                                            {"ProcessId", 10000 + i % 30000},
                                            {"ParentProcessId", 4242},
                                            {"UserId", "1000"},
                                            {"UserName", "builder"},
                                            {"CommandLine", "/usr/bin/python3 -m worker --job " + std::to_string(i)},
                                            {"ExtraDetails", {{"ContainerId", "3f2a9c0e5b1d"}}}}}));
}

struct Rig {
  explicit Rig(bool aggregate) : dir(std::filesystem::temp_directory_path() / ("edgeguard-bench-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(dir);
    config.aggregation["ProcessCreate"].enabled = aggregate;
    config.max_local_cache_size_bytes = 512 << 20;
    store = std::make_unique<EventStore>(dir / "events.db", static_cast<uint64_t>(config.max_local_cache_size_bytes));
    sink = std::make_unique<FileSink>((dir / "out.jsonl").string());
    pipeline = std::make_unique<Pipeline>(config, *store, *sink, statistics,
                                          AgentIdentity{"9c647395-b913-4997-a732-a7fe7303b649", "bench"});
    pipeline->start();
  }
  ~Rig() {
    pipeline.reset();
    store.reset();
    std::filesystem::remove_all(dir);
  }
  void submit(Event event) {
    while (pipeline->intake_depth() > 50000) std::this_thread::sleep_for(std::chrono::microseconds(100));
    pipeline->submit(std::move(event));
  }
  // Persists what is queued and sends everything left in the store (aggregated events stay in
  // their open window, persisted).
  void finish(benchmark::State& state) {
    pipeline->stop(std::chrono::hours(1));
    const auto totals = statistics.totals();
    state.counters["collected"] = static_cast<double>(totals.low.collected);
    state.counters["dropped"] = static_cast<double>(totals.low.dropped);
    state.counters["messages"] = static_cast<double>(totals.messages_sent);
    state.counters["MB_written"] = static_cast<double>(totals.bytes_sent) / 1e6;
    state.counters["left_in_store"] = static_cast<double>(store->count(Priority::Low));
  }

  std::filesystem::path dir;
  AgentConfig config = AgentConfig::defaults();
  Statistics statistics;
  std::unique_ptr<EventStore> store;
  std::unique_ptr<FileSink> sink;
  std::unique_ptr<Pipeline> pipeline;
};

void BM_Pipeline(benchmark::State& state) {
  const int64_t count = state.range(0);
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<Event> events;
    events.reserve(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i) events.push_back(synthetic_exec(i));
    Rig rig(state.range(1) != 0);
    state.ResumeTiming();
    for (auto& event : events) rig.submit(std::move(event));
    rig.finish(state);
    state.PauseTiming();
    events.clear();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * count);
}

void BM_CollectorAndPipeline(benchmark::State& state) {
  const int64_t count = state.range(0);
  for (auto _ : state) {
    state.PauseTiming();
    Rig rig(false);
    state.ResumeTiming();
    for (int64_t i = 0; i < count; ++i) rig.submit(synthetic_exec(i));
    rig.finish(state);
  }
  state.SetItemsProcessed(state.iterations() * count);
}

// The collector-side share of the cost: turning one event into its message text.
void BM_SerializeEvent(benchmark::State& state) {
  const Event event = synthetic_exec(42);
  for (auto _ : state) benchmark::DoNotOptimize(serialize_event(event));
}

void BM_BuildEvent(benchmark::State& state) {
  int64_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(synthetic_exec(i++));
}

}  // namespace

BENCHMARK(BM_SerializeEvent);
BENCHMARK(BM_BuildEvent);
BENCHMARK(BM_Pipeline)->ArgNames({"events", "aggregate"})->Args({300000, 0})->Args({300000, 1})
    ->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
BENCHMARK(BM_CollectorAndPipeline)->ArgName("events")->Arg(300000)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
BENCHMARK_MAIN();
