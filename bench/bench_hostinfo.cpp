// Cost of the host collectors (SystemInformation, LocalUsers, ListeningPorts) on this machine,
// on the real host and on the fixture host roots, plus their parsers on large inputs.
//   ./build/bench/bench_hostinfo [--benchmark_filter=...]
// The end-to-end budget of `edgeguard run --once` (0.5 s wall, 15 MB RSS) is measured by
// bench/hostinfo.sh.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <benchmark/benchmark.h>

#include <filesystem>
#include <string>
#include <vector>

#include "collectors/ports/listening_ports_collector.h"
#include "collectors/ports/proc_net.h"
#include "collectors/sysinfo/event_sources.h"
#include "collectors/sysinfo/system_information_collector.h"
#include "collectors/users/account_files.h"
#include "collectors/users/local_users_collector.h"
#include "core/log.h"

using namespace edgeguard;

namespace {

const std::filesystem::path kFixtures = std::filesystem::path(EDGEGUARD_SOURCE_DIR) / "tests" / "fixtures";

template <typename Collector, typename... Args>
void run_collector(benchmark::State& state, const std::filesystem::path& root, Args&... args) {
  Collector collector(args...);
  const auto config = AgentConfig::defaults();
  const HostRoot host(root);
  size_t items = 0;
  for (auto _ : state) {
    auto events = collector.collect(CollectorContext{host, config});
    for (const auto& event : events) items = event.payload.size();
    benchmark::DoNotOptimize(events);
  }
  state.counters["items"] = static_cast<double>(items);
}

void BM_SystemInformation_Host(benchmark::State& state) {
  RuntimeInfo runtime;
  run_collector<SystemInformationCollector>(state, "/", runtime);
}
void BM_SystemInformation_Fixture(benchmark::State& state) {
  RuntimeInfo runtime;
  run_collector<SystemInformationCollector>(state, kFixtures / "hostroot-ubuntu2204-x86", runtime);
}
void BM_EventSourceProbes(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(probe_kernel_event_sources());
}
void BM_LocalUsers_Host(benchmark::State& state) {
  Statistics statistics;
  run_collector<LocalUsersCollector>(state, "/", statistics);
}
void BM_LocalUsers_Fixture(benchmark::State& state) {
  Statistics statistics;
  run_collector<LocalUsersCollector>(state, kFixtures / "hostroot-ubuntu2204-x86", statistics);
}
void BM_ListeningPorts_Host(benchmark::State& state) {
  Statistics statistics;
  run_collector<ListeningPortsCollector>(state, "/", statistics);
}
void BM_ListeningPorts_ProcNetFixture(benchmark::State& state) {
  Statistics statistics;
  run_collector<ListeningPortsCollector>(state, kFixtures / "hostroot-ubuntu2204-x86", statistics);
}

// A busy gateway: this process holds range(0) listening TCP sockets (and as many descriptors),
// so both the sock_diag dump and the /proc/<pid>/fd owner scan have work to do.
void BM_ListeningPorts_HostWithManySockets(benchmark::State& state) {
  std::vector<int> fds;
  for (int64_t i = 0; i < state.range(0); ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 || ::listen(fd, 1) != 0) {
      state.SkipWithError("could not open the listening sockets");
      if (fd >= 0) ::close(fd);
      break;
    }
    fds.push_back(fd);
  }
  Statistics statistics;
  run_collector<ListeningPortsCollector>(state, "/", statistics);
  for (const int fd : fds) ::close(fd);
}

void BM_ParseAndResolve_6000Users(benchmark::State& state) {
  std::string passwd;
  std::string group;
  for (int i = 0; i < 6000; ++i) {
    passwd += "user" + std::to_string(i) + ":x:" + std::to_string(10000 + i) + ":" + std::to_string(100 + i % 50) +
              "::/home/user" + std::to_string(i) + ":/bin/sh\n";
  }
  for (int g = 0; g < 50; ++g) {
    group += "group" + std::to_string(g) + ":x:" + std::to_string(100 + g) + ":";
    for (int i = g; i < 6000; i += 50) group += (i == g ? "" : ",") + std::string("user") + std::to_string(i);
    group += "\n";
  }
  for (auto _ : state) {
    const auto users = parse_passwd(passwd);
    const auto groups = parse_group(group);
    benchmark::DoNotOptimize(resolve_local_users(users.entries, groups.entries));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(passwd.size() + group.size()));
}

void BM_ParseProcNet_10000Sockets(benchmark::State& state) {
  std::string text = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
  for (int i = 0; i < 10000; ++i) {
    char line[200];
    std::snprintf(line, sizeof(line),
                  "%5d: 0100007F:%04X 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 %d 1 0\n",
                  i, 1024 + i, 100000 + i);
    text += line;
  }
  for (auto _ : state) benchmark::DoNotOptimize(parse_proc_net(text, Transport::Tcp, AF_INET));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(text.size()));
}

}  // namespace

BENCHMARK(BM_SystemInformation_Host)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SystemInformation_Fixture)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EventSourceProbes)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LocalUsers_Host)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LocalUsers_Fixture)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ListeningPorts_Host)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ListeningPorts_ProcNetFixture)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ListeningPorts_HostWithManySockets)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ParseAndResolve_6000Users)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ParseProcNet_10000Sockets)->Unit(benchmark::kMillisecond);

int main(int argc, char** argv) {
  log::init("off");  // the fixtures' deliberate bad lines would log on every iteration
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
