// Cgroup paths and /proc/<pid>/cgroup files: a container id found is always 64 lowercase hex
// characters that appear in the input.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "collectors/process/cgroup_path.h"

namespace {
void check(const std::optional<std::string>& id, std::string_view input) {
  if (!id) return;
  if (id->size() != 64 || input.find(*id) == std::string_view::npos) __builtin_trap();
  for (const char c : *id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) __builtin_trap();
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check(edgeguard::container_id_from_cgroup(input), input);
  check(edgeguard::container_id_from_proc_cgroup(input), input);
  return 0;
}
