#include "collectors/process/ring_buffer_reader.h"

#include <linux/bpf.h>

namespace edgeguard::kernel {
namespace {

constexpr uint32_t kLengthMask = ~(static_cast<uint32_t>(BPF_RINGBUF_BUSY_BIT) | BPF_RINGBUF_DISCARD_BIT);

// A record takes its header and its length rounded up to 8 bytes.
uint64_t record_span(uint32_t length) { return (static_cast<uint64_t>(length) + BPF_RINGBUF_HDR_SZ + 7) & ~uint64_t{7}; }

}  // namespace

size_t consume_ring(const uint8_t* data, size_t size, uint64_t* consumer, uint64_t producer, std::string& scratch,
                    const RecordHandler& handle, const std::function<void(uint64_t)>& publish) {
  const uint64_t mask = size - 1;
  uint64_t position = *consumer;
  size_t records = 0;
  while (position < producer) {
    // Headers are 8-byte aligned in a ring of whole pages, so a header never wraps.
    const auto* header = reinterpret_cast<const uint32_t*>(data + (position & mask));
    const uint32_t length_word = __atomic_load_n(header, __ATOMIC_ACQUIRE);
    if (length_word & BPF_RINGBUF_BUSY_BIT) break;
    const uint32_t length = length_word & kLengthMask;
    if (length > size - BPF_RINGBUF_HDR_SZ) {
      // Not a record the kernel can write: nothing after it can be trusted either.
      *consumer = producer;
      publish(producer);
      break;
    }
    if ((length_word & BPF_RINGBUF_DISCARD_BIT) == 0) {
      const uint64_t start = (position + BPF_RINGBUF_HDR_SZ) & mask;
      if (start + length <= size) {
        handle(reinterpret_cast<const char*>(data + start), length);
      } else {
        const size_t head = static_cast<size_t>(size - start);
        scratch.assign(reinterpret_cast<const char*>(data + start), head);
        scratch.append(reinterpret_cast<const char*>(data), length - head);
        handle(scratch.data(), scratch.size());
      }
      ++records;
    }
    position += record_span(length);
    *consumer = position;
    publish(position);
  }
  return records;
}

}  // namespace edgeguard::kernel

#if EDGEGUARD_HAVE_BPF

#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include <cerrno>
#include <cstring>

#include "collectors/collector.h"

namespace edgeguard::kernel {
namespace {

[[noreturn]] void fail(const std::string& what, int error) {
  throw CollectorError("eBPF ring buffer: " + what + ": " + std::strerror(error));
}

}  // namespace

RingBufferReader::RingBufferReader(int map_fd) {
  bpf_map_info info{};
  uint32_t info_length = sizeof(info);
  if (bpf_obj_get_info_by_fd(map_fd, &info, &info_length) != 0) fail("cannot read the map's description", errno);
  if (info.type != BPF_MAP_TYPE_RINGBUF) fail("the map is not a ring buffer", EINVAL);
  page_bytes_ = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  data_bytes_ = info.max_entries;

  consumer_page_ = ::mmap(nullptr, page_bytes_, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
  if (consumer_page_ == MAP_FAILED) {
    consumer_page_ = nullptr;
    fail("cannot map the consumer page", errno);
  }
  // The kernel offers the data area twice after the producer page; one copy is enough here.
  producer_area_ = ::mmap(nullptr, page_bytes_ + data_bytes_, PROT_READ, MAP_SHARED, map_fd,
                          static_cast<off_t>(page_bytes_));
  if (producer_area_ == MAP_FAILED) {
    const int error = errno;
    producer_area_ = nullptr;
    ::munmap(consumer_page_, page_bytes_);
    fail("cannot map the data area", error);
  }
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  epoll_event event{};
  event.events = EPOLLIN;
  if (epoll_fd_ < 0 || ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, map_fd, &event) != 0) {
    const int error = errno;
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
    ::munmap(producer_area_, page_bytes_ + data_bytes_);
    ::munmap(consumer_page_, page_bytes_);
    fail("cannot wait for the map", error);
  }
}

RingBufferReader::~RingBufferReader() {
  ::close(epoll_fd_);
  ::munmap(producer_area_, page_bytes_ + data_bytes_);
  ::munmap(consumer_page_, page_bytes_);
}

int RingBufferReader::wait(int timeout_ms) {
  epoll_event event{};
  return ::epoll_wait(epoll_fd_, &event, 1, timeout_ms) < 0 ? -errno : 0;
}

size_t RingBufferReader::consume(const RecordHandler& handle) {
  auto* consumer_position = static_cast<uint64_t*>(consumer_page_);
  const auto* producer_position = static_cast<const uint64_t*>(producer_area_);
  const auto* data = static_cast<const uint8_t*>(producer_area_) + page_bytes_;
  uint64_t consumer = __atomic_load_n(consumer_position, __ATOMIC_ACQUIRE);
  size_t records = 0;
  // Records committed while the last ones were handled are taken in the same call.
  while (true) {
    const uint64_t producer = __atomic_load_n(producer_position, __ATOMIC_ACQUIRE);
    if (consumer >= producer) break;
    const uint64_t before = consumer;
    records += consume_ring(data, data_bytes_, &consumer, producer, scratch_, handle,
                            [&](uint64_t position) { __atomic_store_n(consumer_position, position, __ATOMIC_RELEASE); });
    if (consumer == before) break;  // the oldest record is still being written
  }
  return records;
}

}  // namespace edgeguard::kernel

#endif  // EDGEGUARD_HAVE_BPF
