#pragma once
// CRC-32 (zlib's, the one of gzip and PNG) of a byte string.
#include <cstdint>
#include <string_view>

namespace edgeguard {

uint32_t crc32_of(std::string_view bytes);

}  // namespace edgeguard
