// Pipeline throughput: a synthetic collector pushes ProcessCreate-sized events through the real
// intake queue -> aggregator -> SQLite store (WAL, synchronous=FULL) -> batching -> fsync'd file
// sink, and the benchmark times how long it takes until every event has been written and
// removed from the store. Budget: at least 100,000 events/s on the development machine.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

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

void BM_PipelineToFile(benchmark::State& state) {
  const int64_t events = state.range(0);
  const bool aggregate = state.range(1) != 0;
  for (auto _ : state) {
    state.PauseTiming();
    const auto dir = std::filesystem::temp_directory_path() / ("edgeguard-bench-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    AgentConfig config = AgentConfig::defaults();
    config.aggregation["ProcessCreate"].enabled = aggregate;
    config.max_local_cache_size_bytes = 256 << 20;
    EventStore store(dir / "events.db", static_cast<uint64_t>(config.max_local_cache_size_bytes));
    FileSink sink((dir / "out.jsonl").string());
    Statistics statistics;
    Pipeline pipeline(config, store, sink, statistics, {"9c647395-b913-4997-a732-a7fe7303b649", "bench"});
    pipeline.start();
    state.ResumeTiming();

    for (int64_t i = 0; i < events; ++i) {
      while (pipeline.intake_depth() > 50000) std::this_thread::sleep_for(std::chrono::microseconds(200));
      pipeline.submit(synthetic_exec(i));
    }
    // Done when every event is persisted and every message written and acknowledged: stop()
    // ingests what is queued and sends everything left in the store (aggregated events stay in
    // their open window, persisted).
    pipeline.stop(std::chrono::hours(1));
    state.PauseTiming();
    const auto totals = statistics.totals();
    state.counters["dropped"] = static_cast<double>(totals.low.dropped);
    state.counters["messages"] = static_cast<double>(totals.messages_sent);
    state.counters["MB_written"] = static_cast<double>(totals.bytes_sent) / 1e6;
    state.counters["left_in_store"] = static_cast<double>(store.count(Priority::Low) + store.count(Priority::High));
    std::filesystem::remove_all(dir);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * events);
}

}  // namespace

BENCHMARK(BM_PipelineToFile)->Args({500000, 0})->Args({500000, 1})->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
BENCHMARK_MAIN();
