#include "collectors/process/command_line.h"

#include <algorithm>

namespace edgeguard {

CommandLine make_command_line(std::string_view arguments, size_t limit, bool source_cut) {
  // argv ends with a NUL; a process that rewrote its argv (setproctitle) may have several.
  while (!arguments.empty() && arguments.back() == '\0') arguments.remove_suffix(1);
  CommandLine out;
  out.cut = source_cut;
  size_t length = arguments.size();
  if (length > limit) {
    length = limit;
    // Back off to the start of a UTF-8 sequence so the cut text stays valid UTF-8.
    while (length > 0 && (static_cast<unsigned char>(arguments[length]) & 0xC0) == 0x80) --length;
    out.cut = true;
  }
  out.text.assign(arguments.data(), length);
  std::replace(out.text.begin(), out.text.end(), '\0', ' ');
  return out;
}

void append_argument(std::string& arguments, std::string_view argument) {
  arguments.append(argument);
  arguments.push_back('\0');
}

}  // namespace edgeguard
