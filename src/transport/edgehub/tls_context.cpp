#include "transport/edgehub/tls_context.h"

#include <arpa/inet.h>

#include <mutex>
#include <stdexcept>

#include "transport/edgehub/openssl_library.h"

namespace edgeguard::edgehub {
namespace {

struct Failure {
  std::mutex mutex;
  std::string reason;
};

int failure_index() {
  // SSL_CTX_get_ex_new_index is a macro for CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_SSL_CTX, ...).
  static const int index = openssl().CRYPTO_get_ex_new_index(
      CRYPTO_EX_INDEX_SSL_CTX, 0, nullptr, nullptr, nullptr,
      [](void*, void* pointer, CRYPTO_EX_DATA*, int, long, void*) { delete static_cast<Failure*>(pointer); });
  return index;
}

std::string subject_of(X509* certificate) {
  if (!certificate) return "(no certificate)";
  const OpenSsl& ssl = openssl();
  char buffer[256] = {0};
  ssl.X509_NAME_oneline(ssl.X509_get_subject_name(certificate), buffer, sizeof(buffer) - 1);
  return buffer;
}

// Keeps OpenSSL's decision and records why it said no, so the log can name it.
int verify_callback(int preverified, X509_STORE_CTX* store) {
  if (preverified) return 1;
  const OpenSsl& ssl = openssl();
  SSL* connection =
      static_cast<SSL*>(ssl.X509_STORE_CTX_get_ex_data(store, ssl.SSL_get_ex_data_X509_STORE_CTX_idx()));
  SSL_CTX* context = connection ? ssl.SSL_get_SSL_CTX(connection) : nullptr;
  auto* failure = context ? static_cast<Failure*>(ssl.SSL_CTX_get_ex_data(context, failure_index())) : nullptr;
  if (failure) {
    const int error = ssl.X509_STORE_CTX_get_error(store);
    std::lock_guard lock(failure->mutex);
    if (failure->reason.empty()) {
      failure->reason = std::string(ssl.X509_verify_cert_error_string(error)) + " (depth " +
                        std::to_string(ssl.X509_STORE_CTX_get_error_depth(store)) + ", subject " +
                        subject_of(ssl.X509_STORE_CTX_get_current_cert(store)) + ")";
    }
  }
  return 0;
}

bool is_ip_address(const std::string& host) {
  unsigned char buffer[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buffer) == 1 || inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

}  // namespace

void SslCtxDeleter::operator()(SSL_CTX* context) const { openssl().SSL_CTX_free(context); }

SslCtxPtr make_tls_context(const std::string& trust_bundle_pem, const std::string& host) {
  const OpenSsl& ssl = openssl();
  SslCtxPtr context(ssl.SSL_CTX_new(ssl.TLS_client_method()));
  if (!context) throw std::runtime_error("cannot create an OpenSSL TLS context");
  // SSL_CTX_set_min_proto_version is a macro for this SSL_CTX_ctrl call.
  ssl.SSL_CTX_ctrl(context.get(), SSL_CTRL_SET_MIN_PROTO_VERSION, TLS1_2_VERSION, nullptr);
  ssl.SSL_CTX_set_options(context.get(), SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);

  // Only the trust bundle: a fresh store, never the system's default paths.
  X509_STORE* store = ssl.SSL_CTX_get_cert_store(context.get());
  std::unique_ptr<BIO, decltype(OpenSsl::BIO_free)> bio(
      ssl.BIO_new_mem_buf(trust_bundle_pem.data(), static_cast<int>(trust_bundle_pem.size())), ssl.BIO_free);
  int loaded = 0;
  while (X509* certificate = ssl.PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    if (ssl.X509_STORE_add_cert(store, certificate) == 1) ++loaded;
    ssl.X509_free(certificate);
  }
  ssl.ERR_clear_error();  // the loop ends on "no start line"
  if (loaded == 0) throw std::runtime_error("the trust bundle holds no usable PEM certificate");

  X509_VERIFY_PARAM* param = ssl.SSL_CTX_get0_param(context.get());
  ssl.X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  const int named = is_ip_address(host) ? ssl.X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str())
                                        : ssl.X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
  if (named != 1) throw std::runtime_error("cannot set \"" + host + "\" as the name edgeHub's certificate must carry");

  ssl.SSL_CTX_set_ex_data(context.get(), failure_index(), new Failure);
  ssl.SSL_CTX_set_verify(context.get(), SSL_VERIFY_PEER, verify_callback);
  return context;
}

std::string last_verify_failure(SSL_CTX* context) {
  auto* failure = static_cast<Failure*>(openssl().SSL_CTX_get_ex_data(context, failure_index()));
  if (!failure) return {};
  std::lock_guard lock(failure->mutex);
  return failure->reason;
}

}  // namespace edgeguard::edgehub
