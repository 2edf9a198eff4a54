#include "transport/edgehub/sas_token.h"

#include "transport/edgehub/encoding.h"

namespace edgeguard::edgehub {

std::string sas_scope(std::string_view hub_host, std::string_view device_id, std::string_view module_id) {
  std::string scope;
  scope.reserve(hub_host.size() + device_id.size() + module_id.size() + 18);
  scope.append(hub_host).append("/devices/").append(device_id).append("/modules/").append(module_id);
  return scope;
}

std::string sas_resource(std::string_view scope) { return sdk_url_encode(scope); }

std::string sas_string_to_sign(std::string_view sr, int64_t expiry_epoch_seconds) {
  std::string text(sr);
  text.push_back('\n');
  text.append(std::to_string(expiry_epoch_seconds));
  return text;
}

std::string sas_token(std::string_view sr, std::string_view signature_base64, int64_t expiry_epoch_seconds) {
  std::string token = "SharedAccessSignature sr=";
  token.append(sr).append("&sig=").append(sdk_url_encode(signature_base64));
  token.append("&se=").append(std::to_string(expiry_epoch_seconds));
  return token;
}

}  // namespace edgeguard::edgehub
