// /proc/<pid>/cgroup text -> container id.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/cgroup_container_id.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string id = edgeguard::container_id_from_proc_cgroup(text);
  if (!id.empty() && id.size() != 64) __builtin_trap();
  (void)edgeguard::container_id_from_cgroup_path(text);
  return 0;
}
