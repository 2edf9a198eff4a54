#pragma once
// The TLS client context for one connection to edgeHub: TLS 1.2 or newer, the peer verified
// against the trust bundle only (not the system store), and its certificate required to name
// the gateway host (DNS SAN, or IP SAN when the host is an address). A failed verification
// fails the handshake; there is no fallback.
#include <memory>
#include <string>

typedef struct ssl_ctx_st SSL_CTX;

namespace edgeguard::edgehub {

struct SslCtxDeleter {
  void operator()(SSL_CTX* context) const;
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxDeleter>;

// Throws std::runtime_error when the bundle holds no usable certificate.
SslCtxPtr make_tls_context(const std::string& trust_bundle_pem, const std::string& host);
// Why a handshake on `context` failed verification ("" if none did): OpenSSL's reason, the
// depth and the subject of the certificate it rejected.
std::string last_verify_failure(SSL_CTX* context);

}  // namespace edgeguard::edgehub
