// Golden vectors for the byte-exact encodings of the edgeHub contract: SAS token (reference
// section 3.1), the SDK's URL encoding, base64 and HMAC. Expected values were computed
// independently (Python hmac/base64) and are written here as literals.
#include <gtest/gtest.h>

#include "transport/edgehub/credentials.h"
#include "transport/edgehub/encoding.h"
#include "transport/edgehub/hmac_sha256.h"
#include "transport/edgehub/sas_token.h"

using namespace edgeguard::edgehub;

namespace {
std::string key_bytes() {
  std::string key;
  for (int i = 0; i < 32; ++i) key.push_back(static_cast<char>(i));
  return key;
}
}  // namespace

TEST(SdkUrlEncode, KeepsTheSdkSetAndWritesLowerCaseHex) {
  EXPECT_EQ(sdk_url_encode("AZaz09-._!()*"), "AZaz09-._!()*");
  EXPECT_EQ(sdk_url_encode("a/b+c=d~e f"), "a%2fb%2bc%3dd%7ee%20f");
  EXPECT_EQ(sdk_url_encode("\xc3\xa9"), "%c3%a9");
}

TEST(PropertyEncode, KeepsUnreservedAndWritesUpperCaseHex) {
  EXPECT_EQ(property_encode("$.ifid"), "%24.ifid");
  EXPECT_EQ(property_encode("urn:azureiot:Security:SecurityAgent:1"), "urn%3Aazureiot%3ASecurity%3ASecurityAgent%3A1");
  EXPECT_EQ(property_encode("application/json"), "application%2Fjson");
  EXPECT_EQ(property_encode("a~b_c-d.e"), "a~b_c-d.e");
  EXPECT_EQ(property_encode("a&b=c%d e+f#g?h"), "a%26b%3Dc%25d%20e%2Bf%23g%3Fh");
}

TEST(PercentDecode, DecodesEitherCaseAndRejectsMalformedEscapes) {
  EXPECT_EQ(percent_decode("%24.ct=application%2fjson%2F"), "$.ct=application/json/");
  EXPECT_EQ(percent_decode("a+b"), "a+b");
  EXPECT_FALSE(percent_decode("%"));
  EXPECT_FALSE(percent_decode("%2"));
  EXPECT_FALSE(percent_decode("%zz"));
  EXPECT_FALSE(percent_decode("abc%4"));
  EXPECT_EQ(percent_decode("abc%41"), "abcA");
}

TEST(Base64, RoundTripsAndIsStrict) {
  EXPECT_EQ(base64_encode(key_bytes()), "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
  EXPECT_EQ(base64_decode("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="), key_bytes());
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_decode("Zg=="), "f");
  EXPECT_EQ(base64_decode("Zm8="), "fo");
  EXPECT_EQ(base64_decode("Zm9v"), "foo");
  EXPECT_FALSE(base64_decode("Zm9"));
  EXPECT_FALSE(base64_decode("Zm 9v"));
  EXPECT_FALSE(base64_decode("Z=9v"));
  EXPECT_FALSE(base64_decode("Zm9v\n"));
  EXPECT_FALSE(base64_decode("Zm-_"));
  EXPECT_FALSE(base64_decode("Zh=="));  // unused bits set: not the canonical "Zg=="
  EXPECT_FALSE(base64_decode("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh6="));
}

TEST(SasToken, ScopeAndResourceAreTheSdksBytes) {
  const auto scope = sas_scope("contoso-hub.azure-devices.net", "edge-01", "secagent");
  EXPECT_EQ(scope, "contoso-hub.azure-devices.net/devices/edge-01/modules/secagent");
  EXPECT_EQ(sas_resource(scope), "contoso-hub.azure-devices.net%2fdevices%2fedge-01%2fmodules%2fsecagent");
}

TEST(SasToken, GoldenStringToSignSignatureAndToken) {
  const std::string sr = "contoso-hub.azure-devices.net%2fdevices%2fedge-01%2fmodules%2fsecagent";
  const auto to_sign = sas_string_to_sign(sr, 1767225600);
  EXPECT_EQ(to_sign, "contoso-hub.azure-devices.net%2fdevices%2fedge-01%2fmodules%2fsecagent\n1767225600");
  const auto signature = base64_encode(hmac_sha256(key_bytes(), to_sign));
  EXPECT_EQ(signature, "0R9XT1mN0MhXslzeyRG0pRWovEG7YNrKMmwUTMAcmZk=");
  EXPECT_EQ(sas_token(sr, signature, 1767225600),
            "SharedAccessSignature sr=contoso-hub.azure-devices.net%2fdevices%2fedge-01%2fmodules%2fsecagent"
            "&sig=0R9XT1mN0MhXslzeyRG0pRWovEG7YNrKMmwUTMAcmZk%3d&se=1767225600");
}

TEST(SasToken, SignatureWithPlusSlashAndPaddingIsEscapedLowerCase) {
  const std::string sr = "contoso-hub.azure-devices.net%2fdevices%2fedge-01%2fmodules%2fsecagent";
  const auto signature = base64_encode(hmac_sha256(key_bytes(), sas_string_to_sign(sr, 1767225615)));
  EXPECT_EQ(signature, "/UaQLpe2+Qb6uu/qMKiQKi2h6rmd8MyrlOhsCBmuRiY=");
  EXPECT_EQ(sas_token(sr, signature, 1767225615),
            "SharedAccessSignature sr=" + sr + "&sig=%2fUaQLpe2%2bQb6uu%2fqMKiQKi2h6rmd8MyrlOhsCBmuRiY%3d&se=1767225615");
}

TEST(SasToken, ConnectionStringCredentialsSignLocallyWithTheKey) {
  ModuleIdentity identity;
  identity.uses_connection_string = true;
  identity.shared_access_key = key_bytes();
  identity.ca_certificate_file = "/nonexistent/ca.pem";
  ConnectionStringCredentials credentials(identity);
  EXPECT_EQ(credentials.sign("contoso-hub.azure-devices.net%2fdevices%2fedge-01%2fmodules%2fsecagent\n1767225600"),
            "0R9XT1mN0MhXslzeyRG0pRWovEG7YNrKMmwUTMAcmZk=");
  try {
    credentials.trust_bundle();
    FAIL() << "expected an error for a missing CA file";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("/nonexistent/ca.pem"), std::string::npos) << error.what();
  }
}
