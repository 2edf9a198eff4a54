// /proc/meminfo, the kernel command line and mountinfo parsers on the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "collectors/sysinfo/proc_text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto memory = edgeguard::parse_meminfo(text);
  for (const auto& [key, value] : memory.kib) {
    if (key.empty()) std::abort();
    (void)value;
  }
  const auto parameters = edgeguard::parse_kernel_cmdline(text);
  for (const auto& parameter : parameters) {
    if (parameter.name.size() + parameter.value.value_or("").size() > size) std::abort();
  }
  (void)edgeguard::kernel_parameter(parameters, "root");
  const auto mounts = edgeguard::parse_mountinfo(text);
  for (const auto& entry : mounts.entries) {
    if (entry.mount_point.size() > size || entry.source.size() > size) std::abort();
  }
  return 0;
}
