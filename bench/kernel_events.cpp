// User-space cost of one exec event, in pieces (Google Benchmark; build/bench/kernel_events):
//   - the enrichment layer: a kernel exec record to a ProcessCreate event;
//   - the audit record parser and assembler;
//   - the pipeline: submit, ingest (aggregation on and off), store, send to a file.
// The exec-storm benchmark (exec_storm) measures the whole agent against the kernel.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>

#include "collectors/process/audit_record.h"
#include "collectors/process/kernel_event_processor.h"
#include "core/container_catalog.h"
#include "pipeline/event_store.h"
#include "pipeline/pipeline.h"
#include "pipeline/statistics.h"
#include "transport/file_sink.h"

namespace {

using namespace edgeguard;

kernel::ProcessExec sample_exec(uint64_t i, bool distinct = true) {
  kernel::ProcessExec record;
  record.pid = static_cast<uint32_t>(1000 + i % 30000);
  record.ppid = 999;
  record.uid = 0;
  record.euid = 0;
  record.start = 12345 + i;
  record.executable = "/usr/bin/true";
  record.arguments = std::string("/bin/true\0egstorm-", 18) + std::to_string(distinct ? i : 0) + std::string("\0", 1);
  record.cgroup_id = 1;
  record.cgroup_path = "/";
  record.time = Clock::now();
  return record;
}

void BM_ProcessorExecToEvent(benchmark::State& state) {
  HostRoot host("/");
  Statistics statistics;
  ContainerCatalog containers;
  uint64_t events = 0;
  KernelEventProcessor processor(host, statistics, containers, [&](Event e) {
    benchmark::DoNotOptimize(e);
    ++events;
    return true;
  }, "bench");
  processor.configure(ProcessorSettings::from(AgentConfig::defaults()));
  uint64_t i = 0;
  for (auto _ : state) {
    auto record = sample_exec(i++);
    processor.exec(record);
    processor.exit(kernel::ProcessExit{record.pid, record.start});
  }
  state.counters["events"] = static_cast<double>(events);
}
BENCHMARK(BM_ProcessorExecToEvent);

void BM_AuditAssembleExec(benchmark::State& state) {
  uint64_t events = 0;
  audit::EventAssembler assembler([&](audit::AuditEvent& e) {
    benchmark::DoNotOptimize(e);
    ++events;
  }, 4096);
  uint64_t serial = 1;
  for (auto _ : state) {
    const std::string stamp = "audit(1700000000.123:" + std::to_string(serial++) + "): ";
    assembler.add(1300, stamp + "arch=c000003e syscall=59 success=yes exit=0 a0=55d5 a1=55d6 a2=55d7 a3=0 items=2 "
                                "ppid=1234 pid=5678 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 "
                                "fsgid=0 tty=(none) ses=4294967295 comm=\"true\" exe=\"/usr/bin/true\" key=\"edgeguard\"");
    assembler.add(1309, stamp + "argc=2 a0=\"/bin/true\" a1=\"egstorm-b-0-123\"");
    assembler.add(1307, stamp + "cwd=\"/root\"");
    assembler.add(1302, stamp + "item=0 name=\"/bin/true\" inode=1 dev=fe:01 mode=0100755 ouid=0 ogid=0 rdev=00:00");
    assembler.add(1327, stamp + "proctitle=2F62696E2F74727565006567");
    assembler.add(1320, stamp);
  }
  state.counters["events"] = static_cast<double>(events);
}
BENCHMARK(BM_AuditAssembleExec);

// Submit `batch` ProcessCreate events, ingest them, send what is due to a file sink: per event.
void BM_PipelinePerEvent(benchmark::State& state) {
  const bool aggregation = state.range(0) != 0;
  const size_t batch = static_cast<size_t>(state.range(1));
  const bool distinct = state.range(2) != 0;
  char pattern[] = "/tmp/edgeguard-bench-XXXXXX";
  const std::filesystem::path dir = mkdtemp(pattern);
  {
    AgentConfig config = AgentConfig::defaults();
    config.aggregation["ProcessCreate"].enabled = aggregation;
    config.max_local_cache_size_bytes = 64 << 20;
    EventStore store(dir / "events.db", static_cast<uint64_t>(config.max_local_cache_size_bytes));
    FileSink sink((dir / "out.jsonl").string());
    Statistics statistics;
    Pipeline pipeline(config, store, sink, statistics, AgentIdentity{"072f3eca-3db0-45ba-8174-fa383bc93caf", "bench"});
    HostRoot host("/");
    ContainerCatalog containers;
    KernelEventProcessor processor(host, statistics, containers, [&](Event e) { return pipeline.submit(std::move(e)); },
                                   "bench");
    processor.configure(ProcessorSettings::from(config));
    uint64_t i = 0;
    for (auto _ : state) {
      for (size_t n = 0; n < batch; ++n) {
        auto record = sample_exec(i++, distinct);
        processor.exec(record);
      }
      pipeline.flush_all(!aggregation);
    }
    state.SetItemsProcessed(static_cast<int64_t>(i));
  }
  std::filesystem::remove_all(dir);
}
// Args: aggregation on?, events per ingest, distinct command lines? With aggregation on, the
// window stays open (PT1H) as in production: the cost is that of absorbing the event.
BENCHMARK(BM_PipelinePerEvent)
    ->Args({0, 1, 1})->Args({0, 64, 1})->Args({0, 1024, 1})->Args({1, 64, 1})->Args({1, 1024, 1})
    ->Args({1, 64, 0})->Args({1, 1024, 0})
    ->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
