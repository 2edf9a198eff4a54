// The JSON-lines file sink: one line per message, a batch acknowledged as far as it was written,
// never a partial line left behind.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>

#include <fstream>
#include <string>
#include <vector>

#include "../support/temp_dir.h"
#include "core/crc32.h"
#include "transport/file_sink.h"

using namespace edgeguard;

namespace {

OutgoingMessage message_of(size_t bytes, char fill) {
  OutgoingMessage message;
  message.body = "{\"x\":\"" + std::string(bytes - 8, fill) + "\"}";
  return message;
}

std::vector<std::string> lines_of(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Lowers the process's file size limit (writes past it fail with EFBIG) for one scope.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    getrlimit(RLIMIT_FSIZE, &saved_);
    previous_handler_ = signal(SIGXFSZ, SIG_IGN);
    rlimit limit = saved_;
    limit.rlim_cur = bytes;
    setrlimit(RLIMIT_FSIZE, &limit);
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &saved_);
    signal(SIGXFSZ, previous_handler_);
  }

 private:
  rlimit saved_{};
  sighandler_t previous_handler_ = nullptr;
};

}  // namespace

TEST(FileSink, ABatchIsWrittenOneLinePerMessageInOrder) {
  test::TempDir dir;
  FileSink sink((dir / "out.jsonl").string());
  const std::vector<OutgoingMessage> batch = {message_of(100, 'a'), message_of(200, 'b'), message_of(50, 'c')};
  EXPECT_EQ(sink.send_batch(batch), 3u);
  EXPECT_TRUE(sink.send(message_of(10, 'd')));
  const auto lines = lines_of(dir / "out.jsonl");
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], batch[0].body);
  EXPECT_EQ(lines[1], batch[1].body);
  EXPECT_EQ(lines[2], batch[2].body);
  EXPECT_EQ(lines[3], message_of(10, 'd').body);
}

TEST(FileSink, AWriteThatFailsMidBatchAcknowledgesWhatCameBeforeAndLeavesNoPartialLine) {
  test::TempDir dir;
  const auto path = dir / "out.jsonl";
  FileSink sink(path.string());
  const std::vector<OutgoingMessage> batch = {message_of(1000, 'a'), message_of(1000, 'b'), message_of(1000, 'c')};
  size_t acknowledged = 0;
  {
    FileSizeLimit limit(1500);  // the second line fails half-way
    acknowledged = sink.send_batch(batch);
  }
  EXPECT_EQ(acknowledged, 1u);
  const auto lines = lines_of(path);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], batch[0].body);
  EXPECT_EQ(std::filesystem::file_size(path), 1001u);
  // The rest goes on the next line once the disk takes it again.
  EXPECT_EQ(sink.send_batch(std::span(batch).subspan(1)), 2u);
  EXPECT_EQ(lines_of(path).size(), 3u);
}

TEST(FileSink, APartialLineLeftByACrashIsCutWhenTheFileIsOpened) {
  test::TempDir dir;
  const auto path = dir / "out.jsonl";
  {
    std::ofstream out(path, std::ios::binary);
    out << "{\"complete\":1}\n{\"cut\":";
  }
  FileSink sink(path.string());
  EXPECT_EQ(std::filesystem::file_size(path), 15u);
  EXPECT_TRUE(sink.send(message_of(20, 'n')));
  EXPECT_EQ(lines_of(path), (std::vector<std::string>{"{\"complete\":1}", message_of(20, 'n').body}));
}

TEST(FileSink, RecognisesTheMessagesABatchWroteWholeFromWhereItBegan) {
  test::TempDir dir;
  const auto path = dir / "out.jsonl";
  const std::vector<OutgoingMessage> batch = {message_of(100, 'a'), message_of(200, 'b'), message_of(300, 'c')};
  std::vector<WrittenMessage> expected;
  for (const auto& message : batch) expected.push_back({message.body.size(), crc32_of(message.body)});
  uint64_t position = 0;
  {
    FileSink sink(path.string());
    EXPECT_TRUE(sink.send(message_of(10, 'z')));
    position = *sink.output_position();
    EXPECT_EQ(sink.send_batch(std::span(batch).first(2)), 2u);
    // The third is cut by a crash half-way.
    std::ofstream out(path, std::ios::binary | std::ios::app);
    out << batch[2].body.substr(0, 150);
  }
  FileSink reopened(path.string());
  EXPECT_EQ(reopened.count_written(position, expected), 2u);
  EXPECT_EQ(reopened.count_written(position, std::span(expected).subspan(1)), 0u);  // not where it began
  auto altered = expected;
  altered[0].crc32 ^= 1;
  EXPECT_EQ(reopened.count_written(position, altered), 0u);  // other content
  EXPECT_EQ(FileSink("-").count_written(0, expected), 0u);   // stdout cannot be read back
}
