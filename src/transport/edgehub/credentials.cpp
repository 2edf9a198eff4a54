#include "transport/edgehub/credentials.h"

#include <stdexcept>

#include "core/host_root.h"
#include "transport/edgehub/encoding.h"
#include "transport/edgehub/hmac_sha256.h"

namespace edgeguard::edgehub {

WorkloadCredentials::WorkloadCredentials(const ModuleIdentity& identity)
    : client_(identity.workload_uri, identity.module_id, identity.generation_id) {}

ConnectionStringCredentials::ConnectionStringCredentials(const ModuleIdentity& identity)
    : key_(identity.shared_access_key), ca_file_(identity.ca_certificate_file.string()) {}

std::string ConnectionStringCredentials::sign(std::string_view data) { return base64_encode(hmac_sha256(key_, data)); }

std::string ConnectionStringCredentials::trust_bundle() {
  const auto pem = read_whole_file(ca_file_, 1024 * 1024);
  if (!pem) throw std::runtime_error("EdgeModuleCACertificateFile " + ca_file_ + ": cannot read the file");
  if (pem->find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    throw std::runtime_error("EdgeModuleCACertificateFile " + ca_file_ + ": no PEM certificate in the file");
  }
  return *pem;
}

std::string ConnectionStringCredentials::describe() const {
  return "the connection string's key and " + ca_file_;
}

std::unique_ptr<Credentials> make_credentials(const ModuleIdentity& identity) {
  if (identity.uses_connection_string) return std::make_unique<ConnectionStringCredentials>(identity);
  return std::make_unique<WorkloadCredentials>(identity);
}

}  // namespace edgeguard::edgehub
