// Audit records as the kernel sends them, one per line: "<type> <text>". The assembler must
// never crash, hang or leak, whatever the order, completeness or content of the records.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "collectors/process/audit_record.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t events = 0;
  edgeguard::audit::EventAssembler assembler(
      [&](edgeguard::audit::AuditEvent& event) {
        ++events;
        if (event.arguments.size() > 256 + 1) __builtin_trap();  // the limit (plus one) holds
      },
      256);
  size_t start = 0;
  while (start <= input.size()) {
    size_t end = input.find('\n', start);
    if (end == std::string_view::npos) end = input.size();
    std::string_view line = input.substr(start, end - start);
    start = end + 1;
    const size_t space = line.find(' ');
    int type = 0;
    for (char c : line.substr(0, space == std::string_view::npos ? line.size() : space)) {
      if (c < '0' || c > '9' || type > 100000) break;
      type = type * 10 + (c - '0');
    }
    const std::string_view text = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
    assembler.add(type, text);
    // The field-level parsers on their own, on the same text.
    if (const auto header = edgeguard::audit::parse_record_header(text)) {
      edgeguard::audit::parse_syscall_record(header->body);
      if (const auto saddr = edgeguard::audit::find_field(header->body, "saddr")) edgeguard::audit::parse_sockaddr(*saddr);
      if (const auto exe = edgeguard::audit::find_field(header->body, "exe")) edgeguard::audit::decode_string(*exe);
    }
    if (end == input.size()) break;
  }
  assembler.flush_older(edgeguard::TimePoint(std::chrono::seconds(1)));
  assembler.flush_all();
  return 0;
}
