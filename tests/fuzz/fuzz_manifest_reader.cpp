// Deployment manifests from anywhere: the reader, the locator, every rule and every report format
// must take any bytes without crashing, leaking or undefined behaviour.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "analysis/analyzer.h"
#include "analysis/manifest_reader.h"
#include "analysis/manifest_report.h"

using namespace edgeguard::analysis;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const JsonLocator raw(text);  // the locator also sees text that is not JSON
  (void)raw.find("/modulesContent/$edgeAgent/properties.desired/modules");

  const ManifestReadResult manifest = read_manifest(text);
  if (!manifest.ok()) return 0;
  std::vector<Finding> findings = analyze(manifest.model);
  locate_findings(findings, manifest.locator);
  const ReportInput input{"fuzz.json", manifest.shape,         manifest.model.modules.size(),
                          findings,    RuleCatalog::builtin(), Severity::Low};
  (void)render_text(input);
  (void)render_json(input);
  (void)render_sarif(input);
  return 0;
}
