#pragma once
// Every read of a host file goes through HostRoot: "/" on a bare host, the mount of the host's
// root inside an IoT Edge module (e.g. "/host"), a fixture tree in tests.
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace edgeguard {

class HostRoot {
 public:
  explicit HostRoot(std::filesystem::path root = "/");

  const std::filesystem::path& root() const { return root_; }
  bool is_real_root() const { return root_ == "/"; }

  // The path of a host file (given as an absolute host path) as this process sees it.
  std::filesystem::path path(std::string_view host_path) const;

  // Reads a whole file; nullopt if it cannot be opened. Reads at most max_bytes (files under
  // /proc report size 0, so this reads until EOF rather than trusting st_size).
  std::optional<std::string> read_file(std::string_view host_path, size_t max_bytes = 16 * 1024 * 1024) const;

  bool exists(std::string_view host_path) const;

 private:
  std::filesystem::path root_;
};

// Reads a file that is not under the host root (our own state, /proc of this process).
std::optional<std::string> read_whole_file(const std::filesystem::path& path, size_t max_bytes = 16 * 1024 * 1024);

}  // namespace edgeguard
