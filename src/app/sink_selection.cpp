#include "app/sink_selection.h"

#include <cstdlib>

#include "transport/file_sink.h"

namespace edgeguard {

bool iot_edge_environment_present() {
  return std::getenv("IOTEDGE_MODULEID") != nullptr || std::getenv("IOTEDGE_WORKLOADURI") != nullptr ||
         std::getenv("EdgeHubConnectionString") != nullptr;
}

std::string choose_sink_kind(const AgentConfig& config) {
  if (config.local.sink != "auto") return config.local.sink;
  if (config.local.output == "-") return "stdout";
  if (!config.local.output.empty()) return "file";
  return iot_edge_environment_present() ? "edgehub" : "file";
}

std::unique_ptr<Sink> make_standalone_sink(const AgentConfig& config) {
  const std::string kind = choose_sink_kind(config);
  if (kind == "stdout") return std::make_unique<FileSink>("-");
  return std::make_unique<FileSink>(config.output_path().string());
}

}  // namespace edgeguard
