// base64 is ours (transport/edgehub/encoding.cpp), no longer OpenSSL's: it must give exactly
// what the OpenSSL-based version gave, on every input. That version is kept here as the
// reference (this test links OpenSSL; the agent does not).
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <random>

#include "transport/edgehub/encoding.h"

using namespace edgeguard::edgehub;

namespace {

std::string openssl_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

// The agent's base64_decode before it was written without OpenSSL, verbatim.
std::optional<std::string> openssl_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  size_t padding = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '=') {
      if (i < text.size() - 2) return std::nullopt;
      ++padding;
      continue;
    }
    if (padding > 0) return std::nullopt;
    if (!std::isalnum(c) && c != '+' && c != '/') return std::nullopt;
  }
  if (text.empty()) return std::string();
  std::string out(3 * text.size() / 4, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  out.resize(static_cast<size_t>(n) - padding);
  if (openssl_encode(out) != text) return std::nullopt;
  return out;
}

}  // namespace

TEST(Base64, EncodesAsOpenSslDid) {
  for (int a = 0; a < 256; ++a) {
    const std::string byte(1, static_cast<char>(a));
    ASSERT_EQ(base64_encode(byte), openssl_encode(byte));
    for (int b = 0; b < 256; ++b) {
      const std::string bytes{static_cast<char>(a), static_cast<char>(b)};
      ASSERT_EQ(base64_encode(bytes), openssl_encode(bytes));
    }
  }
  std::mt19937 random(42);
  for (size_t size = 0; size < 300; ++size) {
    std::string bytes(size, '\0');
    for (auto& byte : bytes) byte = static_cast<char>(random());
    ASSERT_EQ(base64_encode(bytes), openssl_encode(bytes)) << size;
  }
}

TEST(Base64, DecodesAndRefusesAsOpenSslDid) {
  // Every 4-character text over characters that matter (padding, bits that must be zero,
  // characters outside the alphabet), then longer texts made of them.
  const std::string characters = std::string("AQBgh/+9z=-_ .\n\xff") + '\0';
  for (const char a : characters) {
    for (const char b : characters) {
      for (const char c : characters) {
        for (const char d : characters) {
          const std::string text{a, b, c, d};
          ASSERT_EQ(base64_decode(text), openssl_decode(text)) << testing::PrintToString(text);
        }
      }
    }
  }
  std::mt19937 random(7);
  for (int i = 0; i < 200000; ++i) {
    std::string text(random() % 13, '\0');
    for (auto& ch : text) ch = characters[random() % characters.size()];
    ASSERT_EQ(base64_decode(text), openssl_decode(text)) << testing::PrintToString(text);
  }
  for (size_t size = 0; size < 300; ++size) {
    std::string bytes(size, '\0');
    for (auto& byte : bytes) byte = static_cast<char>(random());
    const std::string text = openssl_encode(bytes);
    ASSERT_EQ(base64_decode(text), bytes);
    ASSERT_EQ(openssl_decode(text), bytes);
  }
}
