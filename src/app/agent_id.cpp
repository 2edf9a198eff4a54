#include "app/agent_id.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "core/guid.h"
#include "core/host_root.h"
#include "core/log.h"
#include "core/strings.h"

namespace edgeguard {

std::string load_or_create_agent_id(const std::filesystem::path& state_dir) {
  const auto file = state_dir / "agent_id";
  if (const auto text = read_whole_file(file, 1024)) {
    const std::string id(trim(*text));
    if (is_guid(id)) return to_lower(id);
    log::get("agent")->warn("{} does not hold a GUID; making a new agent id", file.string());
  }
  std::filesystem::create_directories(state_dir);
  const std::string id = new_guid();
  const auto temporary = state_dir / "agent_id.tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error(temporary.string() + ": cannot create: " + std::strerror(errno));
  const std::string line = id + "\n";
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!written || ::rename(temporary.c_str(), file.c_str()) != 0) {
    throw std::runtime_error(file.string() + ": cannot write the agent id: " + std::strerror(errno));
  }
  return id;
}

}  // namespace edgeguard
