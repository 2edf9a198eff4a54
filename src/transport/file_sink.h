#pragma once
// Writes one JSON document per line to a file (fsync'd before it counts as delivered) or to
// stdout.
#include <sys/types.h>

#include <filesystem>
#include <mutex>
#include <string>

#include "transport/sink.h"

namespace edgeguard {

class FileSink : public Sink {
 public:
  // "-" means stdout. A partial last line left by a crash is cut off on open: its message was
  // never acknowledged, so its events are still in the store and will be written again.
  explicit FileSink(const std::string& path);
  ~FileSink() override;
  FileSink(const FileSink&) = delete;
  FileSink& operator=(const FileSink&) = delete;

  bool send(const OutgoingMessage& message) override;
  // Writes the messages and makes them durable with one fdatasync.
  size_t send_batch(std::span<const OutgoingMessage> messages) override;
  std::optional<uint64_t> output_position() override;
  // Reads the lines from `position` and fsyncs what it recognises before saying so.
  size_t count_written(uint64_t position, std::span<const WrittenMessage> messages) override;
  std::string describe() const override;

 private:
  // Appends one line; on failure cuts the file back to `end` (where the line began).
  bool append_locked(const OutgoingMessage& message, off_t end);

  std::string path_;
  int fd_ = -1;
  bool is_stdout_ = false;
  std::mutex mutex_;
};

}  // namespace edgeguard
