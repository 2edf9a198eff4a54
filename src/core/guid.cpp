#include "core/guid.h"

#include <array>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <random>

#include <sys/random.h>

namespace edgeguard {
namespace {

// Event ids are made on the hot path (100k+/s), so a kernel call per id is too dear: a
// xoshiro256** generator per thread, seeded from getrandom(), gives unique ids cheaply.
class GuidGenerator {
 public:
  GuidGenerator() {
    if (getrandom(state_.data(), sizeof(state_), 0) != static_cast<ssize_t>(sizeof(state_))) {
      std::random_device device;
      for (auto& word : state_) word = (static_cast<uint64_t>(device()) << 32) | device();
    }
  }
  uint64_t next() {
    const uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::array<uint64_t, 4> state_{};
};

}  // namespace

std::string new_guid() {
  thread_local GuidGenerator generator;
  std::array<uint8_t, 16> bytes{};
  const uint64_t hi = generator.next();
  const uint64_t lo = generator.next();
  std::memcpy(bytes.data(), &hi, 8);
  std::memcpy(bytes.data() + 8, &lo, 8);
  bytes[6] = static_cast<uint8_t>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<uint8_t>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back(kHex[bytes[i] & 0x0f]);
  }
  return out;
}

bool is_guid(const std::string& text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

}  // namespace edgeguard
