#pragma once
// Byte-exact encodings the IoT Hub / edgeHub wire contract needs: the SDK's URL encoding (SAS
// scope), property-bag percent-encoding, strict percent-decoding and base64.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace edgeguard::edgehub {

// The Azure C SDK's URL encoder (azure-c-shared-utility urlencode.c): keeps A-Z a-z 0-9 and
// - . _ ! ( ) *, writes every other byte as %xx with lower-case hex ("/" -> "%2f"). Used for
// the SAS token's sr and sig so the token is byte for byte what the SDK sends.
std::string sdk_url_encode(std::string_view text);

// Percent-encoding for MQTT property bags (keys and values): keeps the RFC 3986 unreserved
// characters A-Z a-z 0-9 - . _ ~ and writes everything else as %XX (upper-case hex).
std::string property_encode(std::string_view text);

// Strict percent-decoding: "%" must be followed by two hex digits (either case). "+" stays "+".
// nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view text);

// Standard base64 (with + / and = padding).
std::string base64_encode(std::string_view bytes);
// Strict standard base64: whitespace, a wrong length, characters outside the alphabet or a
// non-canonical last character give nullopt.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace edgeguard::edgehub
