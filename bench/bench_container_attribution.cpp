// Budget: container attribution adds under 2 µs per process event on a cache hit, and the
// engine is asked at most once per new container. What the kernel collectors do per event:
// /proc/<pid>/cgroup text (or a cgroup path) -> container id -> ContainerCatalog::find().
//   ./build/bench/bench_container_attribution
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdio>

#include "core/cgroup_container_id.h"
#include "core/container_catalog.h"

using namespace edgeguard;

namespace {

std::string id_number(int n) {
  char buffer[65];
  std::snprintf(buffer, sizeof(buffer), "%064x", n * 2654435761u);
  return buffer;
}

// A device with 64 containers (IoT Edge devices run a handful; this is generous).
ContainerCatalog& filled_catalog() {
  static ContainerCatalog catalog;
  static const bool filled = [] {
    for (int i = 0; i < 64; ++i) {
      catalog.upsert(ContainerInfo{id_number(i), "module-" + std::to_string(i),
                                   "contoso.azurecr.io/modules/sensor:1.4." + std::to_string(i),
                                   "sha256:" + id_number(i + 1000), "module-" + std::to_string(i)});
    }
    return true;
  }();
  (void)filled;
  return catalog;
}

// /proc/<pid>/cgroup of a container process on a cgroup v1 host with the cgroupfs driver (this
// machine's layout: ten lines, all naming the container).
std::string v1_cgroup_text(const std::string& id) {
  std::string text;
  const char* controllers[] = {"name=systemd", "pids", "blkio", "freezer", "devices", "memory", "cpuset", "cpuacct", "cpu"};
  int n = 9;
  for (const char* controller : controllers) text += std::to_string(n--) + ":" + controller + ":/docker/" + id + "\n";
  text += "0::/docker/" + id + "\n";
  return text;
}

void BM_AttributionHitFromProcCgroupV1(benchmark::State& state) {
  auto& catalog = filled_catalog();
  const std::string text = v1_cgroup_text(id_number(42));
  for (auto _ : state) {
    const std::string id = container_id_from_proc_cgroup(text);
    auto info = catalog.find(id);
    benchmark::DoNotOptimize(info);
  }
}
BENCHMARK(BM_AttributionHitFromProcCgroupV1)->ThreadRange(1, 2);

void BM_AttributionHitFromSystemdCgroupV2(benchmark::State& state) {
  auto& catalog = filled_catalog();
  const std::string text = "0::/system.slice/docker-" + id_number(42) + ".scope\n";
  for (auto _ : state) {
    const std::string id = container_id_from_proc_cgroup(text);
    auto info = catalog.find(id);
    benchmark::DoNotOptimize(info);
  }
}
BENCHMARK(BM_AttributionHitFromSystemdCgroupV2);

void BM_HostProcessNotInAContainer(benchmark::State& state) {
  const std::string text = "0::/system.slice/ssh.service\n";
  for (auto _ : state) {
    const std::string id = container_id_from_proc_cgroup(text);
    benchmark::DoNotOptimize(id);
  }
}
BENCHMARK(BM_HostProcessNotInAContainer);

void BM_CatalogFindHitOnly(benchmark::State& state) {
  auto& catalog = filled_catalog();
  const std::string id = id_number(42);
  for (auto _ : state) {
    auto info = catalog.find(id);
    benchmark::DoNotOptimize(info);
  }
}
BENCHMARK(BM_CatalogFindHitOnly);

// A container the catalog does not know: the resolver (the engine) is asked once, every later
// event of it is answered by the negative cache.
void BM_UnknownContainerAfterTheFirstAsk(benchmark::State& state) {
  ContainerCatalog catalog;
  std::atomic<uint64_t> asked{0};
  catalog.set_resolver([&](std::string_view) -> std::optional<ContainerInfo> {
    ++asked;
    return std::nullopt;
  });
  const std::string text = v1_cgroup_text(id_number(7));
  for (auto _ : state) {
    const std::string id = container_id_from_proc_cgroup(text);
    auto info = catalog.find(id);
    benchmark::DoNotOptimize(info);
  }
  state.counters["engine_requests"] = static_cast<double>(asked.load());
}
BENCHMARK(BM_UnknownContainerAfterTheFirstAsk);

}  // namespace

BENCHMARK_MAIN();
