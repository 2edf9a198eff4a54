// Login collector budgets: CPU per record (parse, pair, enrich, serialize), and the latency and
// throughput from a record appended to btmp to its event handed to the pipeline, with the real
// inotify on a temp-dir host root. Run: ./build/bench/login
#include <benchmark/benchmark.h>
#include <stdlib.h>
#include <time.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>

#include "../tests/support/utmp_writer.h"
#include "app/collector_registry.h"
#include "collectors/login/login_collector.h"
#include "collectors/login/login_event.h"
#include "collectors/login/login_interpreter.h"
#include "core/log.h"

using namespace edgeguard;
namespace fs = std::filesystem;

namespace {

// A host root in a temp dir with a passwd and empty logs, removed at the end.
class BenchHost {
 public:
  BenchHost() {
    std::string pattern = (fs::temp_directory_path() / "edgeguard-bench-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    root_ = pattern;
    fs::create_directories(root_ / "etc");
    fs::create_directories(root_ / "var/log");
    fs::create_directories(root_ / "run");
    test::append_bytes(root_ / "etc/passwd", "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n");
    for (const char* log : {"var/log/wtmp", "var/log/btmp", "run/utmp"}) test::append_bytes(root_ / log, "");
  }
  ~BenchHost() {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  const fs::path& root() const { return root_; }

 private:
  fs::path root_;
};

test::UtmpEntry failure(int i) {
  test::UtmpEntry e;
  e.type = LOGIN_PROCESS;
  e.line = "ssh:notty";
  e.user = i % 2 ? "root" : "admin" + std::to_string(i % 100);
  e.address = "203.0.113." + std::to_string(i % 250 + 1);
  e.host = e.address;
  e.pid = 100000 + i;
  return e;
}

double process_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

void BM_ParseRecord(benchmark::State& state) {
  const std::string bytes = test::utmp_bytes(failure(1));
  for (auto _ : state) benchmark::DoNotOptimize(login::parse_utmp_record(bytes));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseRecord);

// Everything one record costs on the collector thread except the file read: parse, interpret,
// user id, executable (the writer is gone: /proc misses, then the terminal), event, JSON.
void BM_RecordToSerializedEvent(benchmark::State& state) {
  BenchHost host_dir;
  const HostRoot host(host_dir.root());
  login::LoginEventBuilder builder(host);
  login::LoginInterpreter interpreter;
  std::vector<std::string> records;
  for (int i = 0; i < 256; ++i) records.push_back(test::utmp_bytes(failure(i)));
  size_t i = 0;
  for (auto _ : state) {
    const auto record = login::parse_utmp_record(records[i++ % records.size()]);
    const auto interpretation = interpreter.interpret(*record, login::LogKind::Btmp);
    auto built = builder.build(*interpretation.facts, "/var/log/btmp");
    benchmark::DoNotOptimize(serialize_event(built.event));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RecordToSerializedEvent);

// A running collector that counts what it submits.
class RunningCollector {
 public:
  explicit RunningCollector(const fs::path& root) : host_(root) {
    collector_ = std::make_unique<LoginCollector>(CollectorServices{statistics_, runtime_, containers_});
    collector_->start(CollectorContext{host_, config_}, [this](Event) {
      {
        std::lock_guard lock(mutex_);
        ++submitted_;
      }
      changed_.notify_all();
      return true;
    });
  }
  ~RunningCollector() { collector_->stop(); }
  size_t submitted() {
    std::lock_guard lock(mutex_);
    return submitted_;
  }
  void wait_for(size_t count) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return submitted_ >= count; });
  }

 private:
  HostRoot host_;
  AgentConfig config_ = AgentConfig::defaults();
  Statistics statistics_;
  RuntimeInfo runtime_;
  ContainerCatalog containers_;
  std::mutex mutex_;
  std::condition_variable changed_;
  size_t submitted_ = 0;
  std::unique_ptr<LoginCollector> collector_;
};

// One failed attempt appended with updwtmp() to its event submitted: inotify wake-up included.
void BM_AppendToSubmitLatency(benchmark::State& state) {
  BenchHost host;
  RunningCollector collector(host.root());
  size_t expected = collector.submitted();
  int i = 0;
  for (auto _ : state) {
    test::append_utmp(host.root() / "var/log/btmp", failure(i++));
    collector.wait_for(++expected);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AppendToSubmitLatency)->UseRealTime()->Iterations(2000);

// A brute-force burst: N failed attempts appended at once; reports the CPU the whole process
// spent per record (the collector thread's work dominates; updwtmp's is included).
void BM_BruteForceBurst(benchmark::State& state) {
  const auto burst = static_cast<size_t>(state.range(0));
  BenchHost host;
  RunningCollector collector(host.root());
  size_t expected = collector.submitted();
  double cpu = 0;
  int i = 0;
  for (auto _ : state) {
    const double before = process_cpu_seconds();
    for (size_t n = 0; n < burst; ++n) test::append_utmp(host.root() / "var/log/btmp", failure(i++));
    expected += burst;
    collector.wait_for(expected);
    cpu += process_cpu_seconds() - before;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * burst));
  state.counters["cpu_us_per_record"] = cpu * 1e6 / static_cast<double>(state.iterations() * burst);
}
BENCHMARK(BM_BruteForceBurst)->Arg(1000)->UseRealTime()->Iterations(5);

// Idle: nothing is appended for a second; the collector must not wake up (no polling).
void BM_IdleCpu(benchmark::State& state) {
  BenchHost host;
  RunningCollector collector(host.root());
  for (auto _ : state) {
    const double before = process_cpu_seconds();
    std::this_thread::sleep_for(std::chrono::seconds(1));
    state.counters["idle_cpu_ms_per_s"] = (process_cpu_seconds() - before) * 1e3;
  }
}
BENCHMARK(BM_IdleCpu)->UseRealTime()->Iterations(3);

}  // namespace

int main(int argc, char** argv) {
  log::set_level("error");
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
