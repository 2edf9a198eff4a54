#pragma once
// Reads a BPF ring buffer (BPF_MAP_TYPE_RINGBUF) through one mapping of its data area.
//
// libbpf's ring_buffer maps the data area twice in a row, so that a record never wraps, and the
// kernel maps all of it in at mmap time: a 1 MiB buffer costs 2 MiB of the agent's RSS. Here the
// data area is mapped once and the few records that wrap past its end are copied into a scratch
// buffer before they are handed on. The kernel's side (record headers, busy and discard bits,
// the consumer and producer positions) is the stable ABI of include/uapi/linux/bpf.h.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace edgeguard::kernel {

using RecordHandler = std::function<void(const char* data, size_t size)>;

// Hands every committed record of `data` (a ring of `size` bytes, a power of two) between
// `*consumer` and `producer` to `handle`, in order, and advances `*consumer` past it. Stops at a
// record the kernel is still writing (busy). Discarded records are skipped. A record that runs
// past the end of `data` continues at its start and is passed whole, copied into `scratch`.
// Each position is published by `publish` after its record was handled (the kernel may then
// reuse the space). Returns the number of records handed on.
size_t consume_ring(const uint8_t* data, size_t size, uint64_t* consumer, uint64_t producer, std::string& scratch,
                    const RecordHandler& handle, const std::function<void(uint64_t)>& publish);

class RingBufferReader {
 public:
  // Maps the ring buffer map `map_fd` (its consumer page writable, its producer page and data
  // area once, read-only) and registers it for wakeups. Throws CollectorError naming the step.
  explicit RingBufferReader(int map_fd);
  ~RingBufferReader();
  RingBufferReader(const RingBufferReader&) = delete;
  RingBufferReader& operator=(const RingBufferReader&) = delete;

  // Waits up to `timeout_ms` for the kernel to signal records. Returns 0, or -errno (-EINTR
  // included) on failure.
  int wait(int timeout_ms);
  // Hands every record available now to `handle`; returns how many.
  size_t consume(const RecordHandler& handle);

 private:
  int epoll_fd_ = -1;
  size_t page_bytes_ = 0;
  size_t data_bytes_ = 0;
  void* consumer_page_ = nullptr;  // read-write: the consumer position
  void* producer_area_ = nullptr;  // read-only: the producer position page, then the data
  std::string scratch_;            // a record that wraps, made whole
};

}  // namespace edgeguard::kernel
