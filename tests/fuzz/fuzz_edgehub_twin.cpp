// Fuzzes the module twin document parser: full GET bodies and desired patches in any order,
// with the invariants that a rejected update leaves the configuration unchanged and that the
// reported document is always the whole configuration, wrapped.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "transport/edgehub/twin_configuration.h"

using namespace edgeguard;
using namespace edgeguard::edgehub;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  // Inputs are split at NUL bytes into a sequence of documents (at most 8): the first is a
  // full twin, the rest desired patches.
  TwinConfiguration configuration(AgentConfig::defaults());
  size_t start = 0;
  bool first = true;
  for (int documents = 0; start <= input.size() && documents < 8; ++documents) {
    const size_t end = std::min(input.find('\0', start), input.size());
    const auto document = input.substr(start, end - start);
    const AgentConfig before = configuration.config();
    const TwinUpdate update = first ? configuration.apply_full_twin(document) : configuration.apply_desired_patch(document);
    first = false;
    if (update.outcome != TwinUpdate::Outcome::Applied && !(configuration.config() == before)) std::abort();
    if (update.outcome == TwinUpdate::Outcome::Rejected && update.problems.empty()) std::abort();
    start = end + 1;
  }
  const auto reported = configuration.reported_patch();
  const auto& object = reported.at(std::string(kTwinConfigObject));
  for (const auto& [key, value] : object.items()) {
    if (!value.is_object() || value.size() != 1 || !value.contains("value")) std::abort();
  }
  (void)reported.dump();
  return 0;
}
