#include "transport/file_sink.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "core/log.h"

namespace edgeguard {
namespace {

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
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd_ < 0) throw std::runtime_error(path + ": cannot open the output file: " + std::strerror(errno));
  drop_partial_line(fd_, path);
}

FileSink::~FileSink() {
  if (fd_ >= 0 && !is_stdout_) ::close(fd_);
}

bool FileSink::send(const OutgoingMessage& message) {
  std::lock_guard lock(mutex_);
  struct stat before {};
  const bool sized = !is_stdout_ && ::fstat(fd_, &before) == 0;
  if (!write_all(fd_, message.body.data(), message.body.size()) || !write_all(fd_, "\n", 1)) {
    const int error = errno;
    // Never leave half a line behind for the next message to be glued onto.
    if (sized && ::ftruncate(fd_, before.st_size) != 0) {
      log::get("sink.file")->error("{}: cannot cut back a failed write: {}", path_, std::strerror(errno));
    }
    log::get("sink.file")->error("{}: write failed: {}", path_, std::strerror(error));
    return false;
  }
  // stdout may be a pipe or terminal, where fsync means nothing; a file must reach the disk.
  if (!is_stdout_ && ::fdatasync(fd_) != 0) {
    log::get("sink.file")->error("{}: fsync failed: {}", path_, std::strerror(errno));
    return false;
  }
  return true;
}

std::string FileSink::describe() const { return is_stdout_ ? "stdout" : "file " + path_; }

}  // namespace edgeguard
