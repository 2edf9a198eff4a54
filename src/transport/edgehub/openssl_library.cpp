#include "transport/edgehub/openssl_library.h"

#include "core/shared_library.h"

namespace edgeguard::edgehub {

OpenSsl load_openssl(const char* libcrypto_soname, const char* libssl_soname) {
  // Debian's libssl3 ships both.
  constexpr const char* kNeededBy = "IoT Edge module mode (TLS to edgeHub, SAS token signatures)";
  const SharedLibrary libcrypto({libcrypto_soname, "libssl3", kNeededBy});
  const SharedLibrary libssl({libssl_soname, "libssl3", kNeededBy});
  OpenSsl functions;
#define EDGEGUARD_RESOLVE_LIBCRYPTO(name) libcrypto.resolve(functions.name, #name);
#define EDGEGUARD_RESOLVE_LIBSSL(name) libssl.resolve(functions.name, #name);
  EDGEGUARD_LIBCRYPTO_FUNCTIONS(EDGEGUARD_RESOLVE_LIBCRYPTO)
  EDGEGUARD_LIBSSL_FUNCTIONS(EDGEGUARD_RESOLVE_LIBSSL)
#undef EDGEGUARD_RESOLVE_LIBCRYPTO
#undef EDGEGUARD_RESOLVE_LIBSSL
  return functions;
}

const OpenSsl& openssl() {
  static const OpenSsl functions = load_openssl(EDGEGUARD_LIBCRYPTO_SONAME, EDGEGUARD_LIBSSL_SONAME);
  return functions;
}

}  // namespace edgeguard::edgehub
