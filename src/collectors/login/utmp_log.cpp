#include "collectors/login/utmp_log.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "collectors/login/host_path.h"
#include "collectors/login/utmp_record.h"
#include "core/strings.h"

namespace edgeguard::login {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr size_t kChunkRecords = 170;  // ~64 KiB per read
constexpr size_t kChunkBytes = kChunkRecords * kUtmpRecordSize;

bool is_compressed(std::string_view name) {
  for (const auto suffix : {".gz", ".xz", ".bz2", ".zst", ".lz4", ".Z"}) {
    if (ends_with(name, suffix)) return true;
  }
  return false;
}

}  // namespace

UtmpLog::UtmpLog(const HostRoot& host, std::string host_path, int inotify_fd, std::shared_ptr<spdlog::logger> logger)
    : host_(host), host_path_(std::move(host_path)), inotify_fd_(inotify_fd), logger_(std::move(logger)) {
  needs_polling_ = inotify_fd_ < 0;
}

UtmpLog::~UtmpLog() {
  close_file(current_);
  for (auto& file : retired_) close_file(file);
}

std::string UtmpLog::name() const { return std::filesystem::path(host_path_).filename().string(); }
std::string UtmpLog::directory() const { return std::filesystem::path(host_path_).parent_path().string(); }

std::string UtmpLog::real_path() const {
  const auto dir = resolve_host_path(host_, directory());
  return dir ? (*dir / name()).string() : std::string();
}

std::optional<UtmpLog::OpenFile> UtmpLog::open_file(const std::string& path, const char* why) {
  const auto complain = [&](const std::string& problem) {
    const std::string message = path + " " + problem;
    if (message != refused_) logger_->error("cannot read {} ({}): {}", host_path_, why, message);
    refused_ = message;
  };
  // Not following a symbolic link in the last component: whoever can write the directory
  // must not make a privileged agent read (and report the contents of) another file.
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    complain(errno == ELOOP ? "is a symbolic link, which is not followed" : std::strerror(errno));
    return std::nullopt;
  }
  struct stat st{};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    complain("is not a regular file");
    return std::nullopt;
  }
  refused_.clear();
  OpenFile file;
  file.fd = fd;
  file.inode = st.st_ino;
  file.path = path;
  if (inotify_fd_ >= 0) {
    // Watching the open file itself (not the name) follows it when it is renamed away.
    const std::string self = "/proc/self/fd/" + std::to_string(fd);
    file.watch = inotify_add_watch(inotify_fd_, self.c_str(), IN_MODIFY);
    if (file.watch < 0 && !needs_polling_) {
      logger_->warn("cannot watch {} with inotify ({}); checking it every second instead", path, std::strerror(errno));
      needs_polling_ = true;
    }
  }
  return file;
}

void UtmpLog::close_file(OpenFile& file) {
  if (file.fd < 0) return;
  if (file.watch >= 0 && inotify_fd_ >= 0) inotify_rm_watch(inotify_fd_, file.watch);
  close(file.fd);
  file = OpenFile{};
}

bool UtmpLog::fingerprint_matches(int fd, const std::string& fingerprint) const {
  if (fingerprint.empty()) return true;
  std::string first(kUtmpRecordSize, '\0');
  if (pread(fd, first.data(), first.size(), 0) != static_cast<ssize_t>(first.size())) return false;
  return fingerprint_of(first) == fingerprint;
}

void UtmpLog::check_rewritten(OpenFile& file) {
  struct stat st{};
  if (fstat(file.fd, &st) != 0) return;
  const auto size = static_cast<uint64_t>(st.st_size);
  std::string why;
  if (size < file.offset) {
    why = "was truncated to " + std::to_string(size) + " bytes";
  } else if (file.offset > 0 && !fingerprint_matches(file.fd, file.fingerprint)) {
    why = "was rewritten (its first record changed)";
  } else {
    return;
  }
  // Whatever was appended between our last read and the truncation is gone with it.
  logger_->warn("{} {} while read up to byte {}: reading it again from the start", file.path, why, file.offset);
  file.offset = 0;
  file.backlog_end = 0;
  file.fingerprint.clear();
}

void UtmpLog::drain(OpenFile& file, const Handler& handler) {
  std::string buffer(kChunkBytes, '\0');
  while (true) {
    const ssize_t n = pread(file.fd, buffer.data(), buffer.size(), static_cast<off_t>(file.offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      logger_->error("cannot read {} at byte {}: {}", file.path, file.offset, std::strerror(errno));
      return;
    }
    // A partial record at the end is still being written (or will be cut off by the next
    // glibc writer, which realigns the file): it waits for the next read.
    const size_t whole = static_cast<size_t>(n) - static_cast<size_t>(n) % kUtmpRecordSize;
    for (size_t at = 0; at < whole; at += kUtmpRecordSize) {
      const std::string_view record(buffer.data() + at, kUtmpRecordSize);
      const uint64_t offset = file.offset;
      if (offset == 0) file.fingerprint = fingerprint_of(record);
      file.offset += kUtmpRecordSize;
      handler(record, offset, offset < file.backlog_end ? RecordMode::Backlog : RecordMode::Live);
    }
    if (static_cast<size_t>(n) < buffer.size()) return;
  }
}

void UtmpLog::replay_before(OpenFile& file, const Handler& handler) {
  uint64_t from = 0;
  if (file.offset > kMaxReplayBytes) {
    from = file.offset - kMaxReplayBytes;
    from += (kUtmpRecordSize - from % kUtmpRecordSize) % kUtmpRecordSize;
  }
  std::string buffer(kChunkBytes, '\0');
  while (from < file.offset) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(buffer.size(), file.offset - from));
    const ssize_t n = pread(file.fd, buffer.data(), want, static_cast<off_t>(from));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    const size_t whole = static_cast<size_t>(n) - static_cast<size_t>(n) % kUtmpRecordSize;
    if (whole == 0) return;
    for (size_t at = 0; at < whole; at += kUtmpRecordSize) {
      handler(std::string_view(buffer.data() + at, kUtmpRecordSize), from + at, RecordMode::Replay);
    }
    from += whole;
  }
}

std::optional<UtmpLog::OpenFile> UtmpLog::find_rotated(const FilePosition& saved) {
  const auto dir = resolve_host_path(host_, directory());
  if (!dir) return std::nullopt;
  DIR* stream = opendir(dir->c_str());
  if (!stream) return std::nullopt;
  const std::string base = name();
  std::vector<std::string> candidates;
  while (const dirent* entry = readdir(stream)) {
    const std::string_view entry_name = entry->d_name;
    // wtmp.1 (logrotate), wtmp-20250101 (dateext); compressed copies cannot be read.
    if (entry_name.size() <= base.size() || !starts_with(entry_name, base) || is_compressed(entry_name)) continue;
    const char separator = entry_name[base.size()];
    if (separator != '.' && separator != '-') continue;
    if (entry->d_ino == saved.inode) candidates.emplace_back(entry_name);
  }
  closedir(stream);
  for (const auto& candidate : candidates) {
    auto file = open_file((*dir / candidate).string(), "rotated");
    if (!file) continue;
    if (file->inode == saved.inode && fingerprint_matches(file->fd, saved.fingerprint)) return file;
    close_file(*file);
  }
  return std::nullopt;
}

void UtmpLog::start(const std::optional<FilePosition>& saved, const Handler& handler) {
  const std::string path = real_path();
  if (saved) {
    pending_saved_ = saved;
    std::optional<OpenFile> file;
    struct stat st{};
    if (!path.empty() && lstat(path.c_str(), &st) == 0 && st.st_ino == saved->inode) {
      file = open_file(path, "resuming");
      if (file && !fingerprint_matches(file->fd, saved->fingerprint)) {
        // A new file that happens to reuse the inode number: all of it is new to us.
        logger_->info("{} is a new file (same inode, different first record): reading it from the start", path);
        current_ = std::move(*file);
        pending_saved_.reset();
        return;
      }
    }
    if (!file) {
      file = find_rotated(*saved);
      if (file) logger_->info("{} was rotated while the agent was stopped: reading {} from byte {} first", host_path_, file->path, saved->offset);
    }
    if (file) {
      file->offset = saved->offset;
      file->fingerprint = saved->fingerprint;
      check_rewritten(*file);
      current_ = std::move(*file);
      pending_saved_.reset();
      replay_before(current_, handler);
    } else {
      logger_->warn("{}: the file read last (inode {}) is gone (rotated twice, compressed or deleted while the agent "
                    "was stopped); records appended to it after byte {} were not read. Reading {} from its start",
                    host_path_, saved->inode, saved->offset, host_path_);
    }
  } else if (!path.empty()) {
    if (auto file = open_file(path, "first run")) {
      struct stat st{};
      if (fstat(file->fd, &st) == 0) file->backlog_end = static_cast<uint64_t>(st.st_size);
      current_ = std::move(*file);
    }
  }
}

void UtmpLog::sync(const Handler& handler) {
  if (current_.fd >= 0) {
    check_rewritten(current_);
    drain(current_, handler);
  }
  const std::string path = real_path();
  struct stat st{};
  if (!path.empty() && lstat(path.c_str(), &st) == 0 && (current_.fd < 0 || st.st_ino != current_.inode)) {
    if (auto file = open_file(path, "new file")) {
      if (current_.fd >= 0) {
        logger_->info("{} was rotated or replaced: read the old file to byte {}; reading the new one from the start",
                      host_path_, current_.offset);
        current_.retire_at = SteadyClock::now() + kRotationGrace;
        retired_.push_back(current_);
      }
      current_ = std::move(*file);
      pending_saved_.reset();
      drain(current_, handler);
    }
  }
  const auto now = SteadyClock::now();
  for (auto it = retired_.begin(); it != retired_.end();) {
    drain(*it, handler);  // writers that opened the old file before the rename
    if (now >= it->retire_at) {
      close_file(*it);
      it = retired_.erase(it);
    } else {
      ++it;
    }
  }
}

std::optional<FilePosition> UtmpLog::position() const {
  if (current_.fd >= 0) return FilePosition{current_.inode, current_.offset, current_.fingerprint};
  return pending_saved_;
}

std::optional<std::chrono::steady_clock::time_point> UtmpLog::next_deadline() const {
  std::optional<SteadyClock::time_point> out;
  for (const auto& file : retired_) out = out ? std::min(*out, file.retire_at) : file.retire_at;
  return out;
}

}  // namespace edgeguard::login
