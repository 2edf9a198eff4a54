#pragma once
// OpenSSL (libcrypto and libssl) for IoT Edge module mode, loaded when first needed rather than
// linked (why: core/shared_library.h). The agent does not link OpenSSL, so every call goes
// through openssl(); a direct call would not link. OpenSSL macros that expand to a call are
// written as a call of the function they expand to.
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#define EDGEGUARD_LIBCRYPTO_FUNCTIONS(X)                                                                 \
  X(BIO_free)                                                                                            \
  X(BIO_new_mem_buf)                                                                                     \
  X(CRYPTO_get_ex_new_index)                                                                             \
  X(ERR_clear_error)                                                                                     \
  X(EVP_sha256)                                                                                          \
  X(HMAC)                                                                                                \
  X(OPENSSL_cleanse)                                                                                     \
  X(PEM_read_bio_X509)                                                                                   \
  X(X509_NAME_oneline)                                                                                   \
  X(X509_STORE_CTX_get_current_cert)                                                                     \
  X(X509_STORE_CTX_get_error)                                                                            \
  X(X509_STORE_CTX_get_error_depth)                                                                      \
  X(X509_STORE_CTX_get_ex_data)                                                                          \
  X(X509_STORE_add_cert)                                                                                 \
  X(X509_VERIFY_PARAM_set1_host)                                                                         \
  X(X509_VERIFY_PARAM_set1_ip_asc)                                                                       \
  X(X509_VERIFY_PARAM_set_hostflags)                                                                     \
  X(X509_free)                                                                                           \
  X(X509_get_subject_name)                                                                               \
  X(X509_verify_cert_error_string)

#define EDGEGUARD_LIBSSL_FUNCTIONS(X)                                                                    \
  X(SSL_CTX_ctrl)                                                                                        \
  X(SSL_CTX_free)                                                                                        \
  X(SSL_CTX_get0_param)                                                                                  \
  X(SSL_CTX_get_cert_store)                                                                              \
  X(SSL_CTX_get_ex_data)                                                                                 \
  X(SSL_CTX_new)                                                                                         \
  X(SSL_CTX_set_ex_data)                                                                                 \
  X(SSL_CTX_set_options)                                                                                 \
  X(SSL_CTX_set_verify)                                                                                  \
  X(SSL_get_SSL_CTX)                                                                                     \
  X(SSL_get_ex_data_X509_STORE_CTX_idx)                                                                  \
  X(TLS_client_method)

namespace edgeguard::edgehub {

struct OpenSsl {
#define EDGEGUARD_OPENSSL_POINTER(name) decltype(&::name) name = nullptr;
  EDGEGUARD_LIBCRYPTO_FUNCTIONS(EDGEGUARD_OPENSSL_POINTER)
  EDGEGUARD_LIBSSL_FUNCTIONS(EDGEGUARD_OPENSSL_POINTER)
#undef EDGEGUARD_OPENSSL_POINTER
};

// Loads libcrypto and libssl once (thread-safe) with every function above. Throws
// SharedLibraryError (core/shared_library.h) naming the library or the missing function and the
// package to install; a later call tries again.
const OpenSsl& openssl();

// Loads the given sonames, without caching: for tests.
OpenSsl load_openssl(const char* libcrypto_soname, const char* libssl_soname);

}  // namespace edgeguard::edgehub
