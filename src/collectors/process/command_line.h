#pragma once
// The CommandLine of an event: argv joined by spaces, cut at commandLineMaxBytes.
#include <cstddef>
#include <string>
#include <string_view>

namespace edgeguard {

struct CommandLine {
  std::string text;
  bool cut = false;  // longer than the limit (or the source already cut it)
};

// `arguments` is argv as NUL-separated bytes (the layout of /proc/<pid>/cmdline). The text is
// cut to at most `limit` bytes, never inside a UTF-8 sequence.
CommandLine make_command_line(std::string_view arguments, size_t limit, bool source_cut = false);

// Inverse of the joining, for audit's EXECVE a0..an fields: appends one argument.
void append_argument(std::string& arguments, std::string_view argument);

}  // namespace edgeguard
