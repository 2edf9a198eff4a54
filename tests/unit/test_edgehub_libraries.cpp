// OpenSSL and libmosquitto loaded with dlopen() for module mode (transport/edgehub/
// openssl_library.h, mosquitto_library.h): every function resolves from the libraries installed
// here, and a library or a function that is missing gives an error naming it and the package.
#include <gtest/gtest.h>

#include <functional>
#include <iostream>

#include "core/shared_library.h"
#include "transport/edgehub/hmac_sha256.h"
#include "transport/edgehub/mosquitto_library.h"
#include "transport/edgehub/openssl_library.h"

using namespace edgeguard;
using namespace edgeguard::edgehub;

namespace {

std::string error_of(const std::function<void()>& load) {
  try {
    load();
  } catch (const SharedLibraryError& error) {
    std::cout << "  error: " << error.what() << "\n";
    return error.what();
  }
  ADD_FAILURE() << "no SharedLibraryError";
  return {};
}

}  // namespace

TEST(EdgeHubLibraries, OpenSslResolvesEveryFunctionOnce) {
  const OpenSsl& ssl = openssl();
  EXPECT_EQ(&ssl, &openssl());
#define EDGEGUARD_EXPECT_RESOLVED(name) EXPECT_NE(ssl.name, nullptr) << #name;
  EDGEGUARD_LIBCRYPTO_FUNCTIONS(EDGEGUARD_EXPECT_RESOLVED)
  EDGEGUARD_LIBSSL_FUNCTIONS(EDGEGUARD_EXPECT_RESOLVED)
#undef EDGEGUARD_EXPECT_RESOLVED
  SSL_CTX* context = ssl.SSL_CTX_new(ssl.TLS_client_method());
  ASSERT_NE(context, nullptr);
  EXPECT_EQ(ssl.SSL_CTX_ctrl(context, SSL_CTRL_SET_MIN_PROTO_VERSION, TLS1_2_VERSION, nullptr), 1);
  EXPECT_EQ(ssl.SSL_CTX_ctrl(context, SSL_CTRL_GET_MIN_PROTO_VERSION, 0, nullptr), TLS1_2_VERSION);
  ssl.SSL_CTX_free(context);
}

TEST(EdgeHubLibraries, HmacSha256IsOpenSslsThroughTheTable) {
  // RFC 4231 test case 2.
  std::string hex;
  for (const unsigned char c : hmac_sha256("Jefe", "what do ya want for nothing?")) {
    hex += "0123456789abcdef"[c >> 4];
    hex += "0123456789abcdef"[c & 0x0f];
  }
  EXPECT_EQ(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(EdgeHubLibraries, LibmosquittoResolvesEveryFunctionOnce) {
  const Mosquitto& mqtt = libmosquitto();
  EXPECT_EQ(&mqtt, &libmosquitto());
#define EDGEGUARD_EXPECT_RESOLVED(name) EXPECT_NE(mqtt.name, nullptr) << #name;
  EDGEGUARD_LIBMOSQUITTO_FUNCTIONS(EDGEGUARD_EXPECT_RESOLVED)
#undef EDGEGUARD_EXPECT_RESOLVED
  EXPECT_STREQ(mqtt.mosquitto_strerror(MOSQ_ERR_NO_CONN), "The client is not currently connected.");
}

TEST(EdgeHubLibraries, AMissingOpenSslNamesTheLibraryAndThePackage) {
  const std::string message = error_of([] { load_openssl("libedgeguard-test-missing.so.3", "libssl.so.3"); });
  EXPECT_NE(message.find("cannot load libedgeguard-test-missing.so.3"), std::string::npos) << message;
  EXPECT_NE(message.find("IoT Edge module mode"), std::string::npos) << message;
  EXPECT_NE(message.find("cannot open shared object file"), std::string::npos) << message;
  EXPECT_NE(message.find("apt-get install libssl3"), std::string::npos) << message;
}

TEST(EdgeHubLibraries, AMissingLibmosquittoNamesTheLibraryAndThePackage) {
  const std::string message = error_of([] { load_libmosquitto("libedgeguard-test-missing.so.1"); });
  EXPECT_NE(message.find("cannot load libedgeguard-test-missing.so.1"), std::string::npos) << message;
  EXPECT_NE(message.find("IoT Edge module mode (MQTT to edgeHub)"), std::string::npos) << message;
  EXPECT_NE(message.find("apt-get install libmosquitto1"), std::string::npos) << message;
}

TEST(EdgeHubLibraries, AMissingFunctionNamesTheFunctionTheLibraryAndThePackage) {
  // A real library without the function: libc stands in for an OpenSSL of another version.
  const SharedLibrary library({"libc.so.6", "libssl3", "IoT Edge module mode"});
  void (*function)() = nullptr;
  const std::string message = error_of([&] { library.resolve(function, "SSL_CTX_new_edgeguard_test"); });
  EXPECT_EQ(function, nullptr);
  EXPECT_NE(message.find("libc.so.6 has no symbol SSL_CTX_new_edgeguard_test"), std::string::npos) << message;
  EXPECT_NE(message.find("IoT Edge module mode"), std::string::npos) << message;
  EXPECT_NE(message.find("apt-get install libssl3"), std::string::npos) << message;
}
