#include "transport/file_sink.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "core/log.h"
#include "core/crc32.h"

namespace edgeguard {
namespace {

constexpr uint64_t kLongestMessage = 16u << 20;

bool write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// Cuts the file back to just after its last newline.
void drop_partial_line(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size == 0) return;
  off_t end = st.st_size;
  char buffer[4096];
  while (end > 0) {
    const off_t start = end > static_cast<off_t>(sizeof(buffer)) ? end - static_cast<off_t>(sizeof(buffer)) : 0;
    const ssize_t n = ::pread(fd, buffer, static_cast<size_t>(end - start), start);
    if (n <= 0) return;
    for (ssize_t i = n - 1; i >= 0; --i) {
      if (buffer[i] == '\n') {
        const off_t keep = start + i + 1;
        if (keep != st.st_size) {
          log::get("sink.file")->warn("{}: removed a partial last line ({} bytes) left by an interrupted write", path,
                                      st.st_size - keep);
          if (::ftruncate(fd, keep) != 0) return;
        }
        return;
      }
    }
    end = start;
  }
  log::get("sink.file")->warn("{}: removed a partial line ({} bytes) left by an interrupted write", path, st.st_size);
  if (::ftruncate(fd, 0) != 0) return;
}

}  // namespace

FileSink::FileSink(const std::string& path) : path_(path) {
  if (path == "-") {
    fd_ = STDOUT_FILENO;
    is_stdout_ = true;
    return;
  }
  const std::filesystem::path file(path);
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
  // Read access too: the partial line a crash left, and the messages a batch wrote, are read back.
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd_ < 0) throw std::runtime_error(path + ": cannot open the output file: " + std::strerror(errno));
  drop_partial_line(fd_, path);
}

FileSink::~FileSink() {
  if (fd_ >= 0 && !is_stdout_) ::close(fd_);
}

bool FileSink::send(const OutgoingMessage& message) { return send_batch(std::span(&message, 1)) == 1; }

size_t FileSink::send_batch(std::span<const OutgoingMessage> messages) {
  std::lock_guard lock(mutex_);
  struct stat before {};
  off_t end = !is_stdout_ && ::fstat(fd_, &before) == 0 ? before.st_size : -1;
  size_t written = 0;
  for (const auto& message : messages) {
    if (!append_locked(message, end)) break;
    ++written;
    if (end >= 0) end += static_cast<off_t>(message.body.size() + 1);
  }
  // stdout may be a pipe or terminal, where fsync means nothing; a file must reach the disk.
  // One fdatasync makes every line written so far durable: a batch costs one, not one each.
  if (written > 0 && !is_stdout_ && ::fdatasync(fd_) != 0) {
    log::get("sink.file")->error("{}: fsync failed: {}", path_, std::strerror(errno));
    return 0;
  }
  return written;
}

bool FileSink::append_locked(const OutgoingMessage& message, off_t end) {
  if (write_all(fd_, message.body.data(), message.body.size()) && write_all(fd_, "\n", 1)) return true;
  const int error = errno;
  // Never leave half a line behind for the next message to be glued onto.
  if (end >= 0 && ::ftruncate(fd_, end) != 0) {
    log::get("sink.file")->error("{}: cannot cut back a failed write: {}", path_, std::strerror(errno));
  }
  log::get("sink.file")->error("{}: write failed: {}", path_, std::strerror(error));
  return false;
}

std::optional<uint64_t> FileSink::output_position() {
  std::lock_guard lock(mutex_);
  struct stat st {};
  if (is_stdout_ || ::fstat(fd_, &st) != 0) return std::nullopt;
  return static_cast<uint64_t>(st.st_size);
}

size_t FileSink::count_written(uint64_t position, std::span<const WrittenMessage> messages) {
  std::lock_guard lock(mutex_);
  if (is_stdout_) return 0;
  size_t found = 0;
  std::string line;
  for (const auto& message : messages) {
    if (message.size > kLongestMessage) break;  // not a message this agent writes
    line.resize(message.size + 1);
    const ssize_t n = ::pread(fd_, line.data(), line.size(), static_cast<off_t>(position));
    if (n != static_cast<ssize_t>(line.size()) || line.back() != '\n') break;
    if (crc32_of(std::string_view(line).substr(0, message.size)) != message.crc32) break;
    position += line.size();
    ++found;
  }
  // Written before the agent stopped, but maybe not yet on the disk.
  if (found > 0 && ::fdatasync(fd_) != 0) {
    log::get("sink.file")->error("{}: fsync failed: {}", path_, std::strerror(errno));
    return 0;
  }
  return found;
}

std::string FileSink::describe() const { return is_stdout_ ? "stdout" : "file " + path_; }

}  // namespace edgeguard
