// createOptions text (the joined chunks of a module's settings) through the lenient reader and
// every container rule.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "analysis/analyzer.h"
#include "analysis/container_settings.h"

using namespace edgeguard::analysis;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Problems problems;
  const auto options = parse_create_options(text, "/createOptions", problems);
  if (!options) return 0;
  DeploymentModel model;
  ModuleSpec module;
  module.name = "fuzz";
  module.path = "/m";
  module.image = {"example.azurecr.io/fuzz:1", "/m/settings/image"};
  module.container = read_create_options(*options, "/m/settings/createOptions", problems);
  for (const auto kind : {ModuleKind::Custom, ModuleKind::EdgeHub}) {
    module.kind = kind;
    model.modules = {module};
    (void)analyze(model);
  }
  return 0;
}
