// The local configuration file and twin configuration objects: outside input.
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/config_settings.h"
#include "config/local_config_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const edgeguard::AgentConfig defaults = edgeguard::AgentConfig::defaults();
  const auto result = edgeguard::parse_local_config(text, "fuzz.json", defaults);
  if (result.usable) {
    // Whatever was accepted must report and re-apply to the same configuration.
    const auto reported = edgeguard::report_twin_settings(result.config);
    const auto again = edgeguard::apply_twin_settings(reported, result.config, "round trip");
    if (!again.invalid.empty() || !(again.config == result.config)) __builtin_trap();
    (void)edgeguard::semantic_problems(result.config);
  }
  return 0;
}
