#pragma once
// HMAC-SHA256 by OpenSSL, for SAS tokens signed with a connection string's key.
#include <string>
#include <string_view>

namespace edgeguard::edgehub {

// HMAC-SHA256 of `data` with `key` (raw bytes), 32 raw bytes. Throws SharedLibraryError when
// OpenSSL cannot be loaded, std::runtime_error when it fails.
std::string hmac_sha256(std::string_view key, std::string_view data);

}  // namespace edgeguard::edgehub
