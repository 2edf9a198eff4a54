#pragma once
// Writes one JSON document per line to a file (fsync'd before it counts as delivered) or to
// stdout.
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
  std::string describe() const override;

 private:
  std::string path_;
  int fd_ = -1;
  bool is_stdout_ = false;
  std::mutex mutex_;
};

}  // namespace edgeguard
