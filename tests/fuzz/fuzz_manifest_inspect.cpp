// docker inspect documents (what the engine reports for a container) through the on-device model,
// the rules and the finding events.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "analysis/analyzer.h"
#include "analysis/finding_events.h"
#include "analysis/inspect_model.h"

using namespace edgeguard::analysis;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto document = nlohmann::json::parse(data, data + size, nullptr, false);
  if (document.is_discarded()) return 0;
  auto result = module_from_inspect(document);
  AnalysisOptions options;
  options.agent.self_container_id = "0123456789ab";
  const auto findings = analyze(engine_model({std::move(result.module)}), RuleCatalog::builtin(), options);
  (void)make_finding_events(findings, {edgeguard::EventCategory::Triggered, ModelSource::Engine, 1024});
  (void)summarize_by_module(findings);
  return 0;
}
