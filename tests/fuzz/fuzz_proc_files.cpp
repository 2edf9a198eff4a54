// The host files the kernel sources read: /proc/<pid>/status and stat, /etc/passwd (socket
// tables and fd links are fuzzed with the ListeningPorts parsers). The first byte picks the parser.
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "collectors/network/socket_table.h"
#include "collectors/process/proc_reader.h"
#include "collectors/process/user_names.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: edgeguard::parse_proc_status(input); break;
    case 1: edgeguard::parse_proc_stat_start(input); break;
    default: edgeguard::names_by_uid(input); break;
  }
  return 0;
}
