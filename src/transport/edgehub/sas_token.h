#pragma once
// SAS tokens for a module identity, byte for byte as the Azure C SDK builds them
// (reference: iot-edge-module-protocol.md section 3.1):
//   scope  = {hub}/devices/{device}/modules/{module}
//   sr     = sdk_url_encode(scope)            (lower-case escapes: "/" -> "%2f")
//   signed = sr + "\n" + se                    (the raw sr text, exactly as in the token)
//   token  = "SharedAccessSignature sr={sr}&sig={sdk_url_encode(base64(hmac))}&se={se}"
#include <cstdint>
#include <string>
#include <string_view>

namespace edgeguard::edgehub {

std::string sas_scope(std::string_view hub_host, std::string_view device_id, std::string_view module_id);
std::string sas_resource(std::string_view scope);  // the sr value
std::string sas_string_to_sign(std::string_view sr, int64_t expiry_epoch_seconds);
// `signature_base64` is the digest as the workload API returns it (standard base64).
std::string sas_token(std::string_view sr, std::string_view signature_base64, int64_t expiry_epoch_seconds);

}  // namespace edgeguard::edgehub
