// The BPF ring buffer walk over one mapping of the data area: records in order, a record that
// wraps past the end handed on whole, busy records waited for, discarded ones skipped.
#include <gtest/gtest.h>
#include <linux/bpf.h>

#include <cstring>
#include <string>
#include <vector>

#include "collectors/process/ring_buffer_reader.h"

using namespace edgeguard::kernel;

namespace {

// A ring laid out as the kernel writes it: at each position an 8-byte header (length with the
// busy and discard bits, page offset), the record, padding to 8 bytes.
class FakeRing {
 public:
  explicit FakeRing(size_t size) : data_(size, 0) {}

  void put(const std::string& record, uint32_t flags = 0) {
    const uint64_t mask = data_.size() - 1;
    const uint32_t header = static_cast<uint32_t>(record.size()) | flags;
    std::memcpy(&data_[producer_ & mask], &header, sizeof(header));
    for (size_t i = 0; i < record.size(); ++i) data_[(producer_ + BPF_RINGBUF_HDR_SZ + i) & mask] = static_cast<uint8_t>(record[i]);
    producer_ += (record.size() + BPF_RINGBUF_HDR_SZ + 7) & ~size_t{7};
  }
  void skip_to(uint64_t position) { producer_ = position; }

  struct Result {
    std::vector<std::string> records;
    std::vector<uint64_t> published;
    size_t count = 0;
  };
  Result consume(uint64_t& consumer) {
    Result result;
    std::string scratch;
    result.count = consume_ring(
        data_.data(), data_.size(), &consumer, producer_, scratch,
        [&](const char* data, size_t size) { result.records.emplace_back(data, size); },
        [&](uint64_t position) { result.published.push_back(position); });
    return result;
  }
  uint64_t producer() const { return producer_; }

 private:
  std::vector<uint8_t> data_;
  uint64_t producer_ = 0;
};

}  // namespace

TEST(RingBufferWalk, HandsOnRecordsInOrderAndPublishesEachPosition) {
  FakeRing ring(64);
  ring.put("abc");
  ring.put("0123456789");
  uint64_t consumer = 0;
  const auto result = ring.consume(consumer);
  EXPECT_EQ(result.count, 2u);
  EXPECT_EQ(result.records, (std::vector<std::string>{"abc", "0123456789"}));
  EXPECT_EQ(result.published, (std::vector<uint64_t>{16, 40}));
  EXPECT_EQ(consumer, ring.producer());
  EXPECT_EQ(ring.consume(consumer).count, 0u);
}

TEST(RingBufferWalk, ARecordThatWrapsPastTheEndArrivesWhole) {
  FakeRing ring(64);
  ring.skip_to(48);  // the kernel wrote and we read 48 bytes before
  const std::string wrapping = "twenty bytes, wraps!";  // header at 48, bytes 56..63 then 0..11
  ring.put(wrapping);
  ring.put("after");
  uint64_t consumer = 48;
  const auto result = ring.consume(consumer);
  EXPECT_EQ(result.records, (std::vector<std::string>{wrapping, "after"}));
  EXPECT_EQ(consumer, ring.producer());
  EXPECT_EQ(consumer, 48u + 32u + 16u);
}

TEST(RingBufferWalk, StopsAtARecordStillBeingWrittenAndResumesThere) {
  FakeRing ring(128);
  ring.put("done");
  ring.put("busy", BPF_RINGBUF_BUSY_BIT);
  uint64_t consumer = 0;
  auto result = ring.consume(consumer);
  EXPECT_EQ(result.records, (std::vector<std::string>{"done"}));
  EXPECT_EQ(consumer, 16u);

  FakeRing committed(128);
  committed.put("done");
  committed.put("busy");
  result = committed.consume(consumer);
  EXPECT_EQ(result.records, (std::vector<std::string>{"busy"}));
  EXPECT_EQ(consumer, 32u);
}

TEST(RingBufferWalk, SkipsDiscardedRecordsButMovesPastThem) {
  FakeRing ring(128);
  ring.put("dropped by the program", BPF_RINGBUF_DISCARD_BIT);
  ring.put("kept");
  uint64_t consumer = 0;
  const auto result = ring.consume(consumer);
  EXPECT_EQ(result.count, 1u);
  EXPECT_EQ(result.records, (std::vector<std::string>{"kept"}));
  EXPECT_EQ(consumer, ring.producer());
}

TEST(RingBufferWalk, ALengthNoRecordCanHaveSkipsToTheProducerInsteadOfReadingOutOfBounds) {
  // A header whose length is larger than the whole ring.
  FakeRing corrupt(64);
  corrupt.put(std::string(100, 'y'));
  uint64_t consumer = 0;
  const auto result = corrupt.consume(consumer);
  EXPECT_EQ(result.count, 0u);
  EXPECT_EQ(consumer, corrupt.producer());
}
