// Budget of `edgeguard analyze-manifest` on a 50-module manifest: under 50 ms and under 15 MB
// RSS for the whole command. BM_AnalyzeManifestCommand runs the real binary (wall time per run as
// the benchmark time; its CPU time as cpu_ms and its peak RSS from wait4 as rss_kb, which do not
// depend on what else the machine runs); BM_AnalyzeManifestInProcess times the read + rules +
// SARIF part alone.
//   ./build/bench/bench_manifest --benchmark_filter=Manifest
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "analysis/analyzer.h"
#include "analysis/manifest_reader.h"
#include "analysis/manifest_report.h"

extern char** environ;

namespace {

using nlohmann::json;
using namespace edgeguard::analysis;

// A realistic 50-module deployment: sensors, gateways, analytics, protocol adapters and a
// security agent, with chunked createOptions, binds, devices, ports and environment.
std::string fifty_module_manifest() {
  json modules = json::object();
  for (int i = 0; i < 50; ++i) {
    json options = {
        {"User", i % 3 == 0 ? "root" : "1000:1000"},
        {"Env", {"MODULE_INDEX=" + std::to_string(i), "LOG_LEVEL=info"}},
        {"Labels", {{"com.example.fleet", "plant-7"}, {"com.example.owner", "ot-team"}}},
        {"HostConfig",
         {{"Binds", {"/srv/data/m" + std::to_string(i) + ":/data", "/etc/localtime:/etc/localtime:ro"}},
          {"PortBindings", {{std::to_string(8000 + i) + "/tcp", {{{"HostPort", std::to_string(8000 + i)}}}}}},
          {"Memory", i % 4 == 0 ? 0 : 268435456},
          {"NanoCpus", 500000000},
          {"PidsLimit", 256},
          {"ReadonlyRootfs", i % 2 == 0},
          {"SecurityOpt", {"no-new-privileges"}},
          {"LogConfig", {{"Type", "json-file"}, {"Config", {{"max-size", "10m"}, {"max-file", "3"}}}}}}}};
    if (i % 5 == 0) options["HostConfig"]["Privileged"] = "true";
    if (i % 7 == 0) options["HostConfig"]["CapAdd"] = {"NET_ADMIN", "SYS_PTRACE"};
    if (i % 9 == 0)
      options["HostConfig"]["Devices"] = {{{"PathOnHost", "/dev/ttyUSB0"}, {"PathInContainer", "/dev/ttyUSB0"}}};
    if (i % 11 == 0) options["HostConfig"]["NetworkMode"] = "host";
    const std::string text = options.dump();
    json settings = {
        {"image", "plant7acr.azurecr.io/module" + std::to_string(i) + ":1." + std::to_string(i) +
                      (i % 2 ? "" : "@sha256:5b0f3c9e7a1d2e4f6a8b0c1d3e5f7a9b5b0f3c9e7a1d2e4f6a8b0c1d3e5f7a9b")}};
    // edgeAgent's 512-character chunks.
    for (size_t at = 0, n = 0; at < text.size(); at += 512, ++n) {
      char key[32];
      std::snprintf(key, sizeof key, n == 0 ? "createOptions" : "createOptions%02zu", n);
      settings[key] = text.substr(at, 512);
    }
    json env = {{"SAMPLE_INTERVAL_SECS", {{"value", 5}}},
                {"OPCUA_ENDPOINT", {{"value", "opc.tcp://plc-7:4840"}}},
                {"DB_PASSWORD", {{"value", i % 6 == 0 ? "plaintext-password" : "${DB_PASSWORD}"}}}};
    modules[i == 0 ? "edgeguard" : "module" + std::to_string(i)] = {{"version", "1.0"},     {"type", "docker"},
                                                                    {"status", "running"},  {"restartPolicy", "always"},
                                                                    {"settings", settings}, {"env", env}};
  }
  json manifest;
  json& desired = manifest["modulesContent"]["$edgeAgent"]["properties.desired"];
  desired["schemaVersion"] = "1.1";
  desired["runtime"] = {{"type", "docker"},
                        {"settings",
                         {{"minDockerVersion", "v1.25"},
                          {"registryCredentials",
                           {{"plant7acr",
                             {{"address", "plant7acr.azurecr.io"},
                              {"username", "plant7acr"},
                              {"password", "$CONTAINER_REGISTRY_PASSWORD_plant7acr"}}}}}}}};
  desired["systemModules"] = {
      {"edgeAgent",
       {{"type", "docker"},
        {"settings", {{"image", "mcr.microsoft.com/azureiotedge-agent:1.5"}, {"createOptions", "{}"}}}}},
      {"edgeHub",
       {{"type", "docker"},
        {"status", "running"},
        {"restartPolicy", "always"},
        {"settings",
         {{"image", "mcr.microsoft.com/azureiotedge-hub:1.5"},
          {"createOptions",
           R"({"HostConfig":{"PortBindings":{"8883/tcp":[{"HostPort":"8883"}],"443/tcp":[{"HostPort":"443"}]}}})"}}},
        {"env", {{"RuntimeLogLevel", {{"value", "info"}}}}}}}};
  desired["modules"] = modules;
  manifest["modulesContent"]["$edgeHub"]["properties.desired"] = {
      {"schemaVersion", "1.1"},
      {"routes", {{"upstream", "FROM /messages/* INTO $upstream"}}},
      {"storeAndForwardConfiguration", {{"timeToLiveSecs", 7200}}}};
  return manifest.dump(2);
}

void BM_AnalyzeManifestInProcess(benchmark::State& state) {
  const std::string text = fifty_module_manifest();
  size_t findings = 0;
  for (auto _ : state) {
    const ManifestReadResult manifest = read_manifest(text);
    std::vector<Finding> result = analyze(manifest.model);
    locate_findings(result, manifest.locator);
    const ReportInput input{"m.json", manifest.shape,         manifest.model.modules.size(),
                            result,   RuleCatalog::builtin(), Severity::Low};
    benchmark::DoNotOptimize(render_sarif(input));
    findings = result.size();
  }
  state.counters["findings"] = static_cast<double>(findings);
  state.counters["manifest_bytes"] = static_cast<double>(text.size());
}
BENCHMARK(BM_AnalyzeManifestInProcess)->Unit(benchmark::kMillisecond);

void BM_AnalyzeManifestCommand(benchmark::State& state) {
  char file[] = "/tmp/edgeguard-bench-manifest-XXXXXX";
  const int fd = mkstemp(file);
  if (fd < 0) {
    state.SkipWithError("mkstemp failed");
    return;
  }
  close(fd);
  std::ofstream(file) << fifty_module_manifest();
  std::string binary = EDGEGUARD_BINARY;
  std::string command = "analyze-manifest";
  std::string format = "--format";
  std::string sarif = "sarif";
  std::string file_arg = file;
  char* argv[] = {binary.data(), command.data(), file_arg.data(), format.data(), sarif.data(), nullptr};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  long max_rss_kb = 0;
  double cpu_seconds = 0;
  int runs = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    pid_t pid = 0;
    if (posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv, environ) != 0) {
      state.SkipWithError("cannot start edgeguard");
      break;
    }
    int status = 0;
    rusage usage{};
    wait4(pid, &status, 0, &usage);
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    state.SetIterationTime(elapsed.count());
    if (!WIFEXITED(status) || WEXITSTATUS(status) == 2) {
      state.SkipWithError("analyze-manifest failed");
      break;
    }
    max_rss_kb = std::max(max_rss_kb, usage.ru_maxrss);
    cpu_seconds += static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                   static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    ++runs;
  }
  posix_spawn_file_actions_destroy(&actions);
  unlink(file);
  state.counters["rss_kb"] = static_cast<double>(max_rss_kb);
  // The command's own CPU time (user + system): what the wall time is on an idle machine.
  state.counters["cpu_ms"] = runs ? 1000 * cpu_seconds / runs : 0;
}
BENCHMARK(BM_AnalyzeManifestCommand)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(50);

}  // namespace

BENCHMARK_MAIN();
