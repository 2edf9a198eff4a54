#include "transport/edgehub/hmac_sha256.h"

#include <array>
#include <stdexcept>

#include "transport/edgehub/openssl_library.h"

namespace edgeguard::edgehub {

std::string hmac_sha256(std::string_view key, std::string_view data) {
  const OpenSsl& ssl = openssl();
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (!ssl.HMAC(ssl.EVP_sha256(), key.data(), static_cast<int>(key.size()),
                reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data(), &length)) {
    throw std::runtime_error("HMAC-SHA256 failed in OpenSSL");
  }
  return std::string(reinterpret_cast<const char*>(digest.data()), length);
}

}  // namespace edgeguard::edgehub
