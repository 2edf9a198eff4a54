// The module environment (reference section 1.1) and the developer connection string.
#include <gtest/gtest.h>

#include <map>

#include "transport/edgehub/module_identity.h"

using namespace edgeguard::edgehub;

namespace {

EnvironmentLookup lookup_in(const std::map<std::string, std::string>& env) {
  return [env](const char* name) -> const char* {
    const auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
}

std::map<std::string, std::string> module_env() {
  return {{"IOTEDGE_WORKLOADURI", "unix:///var/run/iotedge/workload.sock"},
          {"IOTEDGE_DEVICEID", "edge-01"},
          {"IOTEDGE_MODULEID", "secagent"},
          {"IOTEDGE_MODULEGENERATIONID", "638123456789012345"},
          {"IOTEDGE_IOTHUBHOSTNAME", "contoso-hub.azure-devices.net"},
          {"IOTEDGE_GATEWAYHOSTNAME", "edge-01.contoso.local"},
          {"IOTEDGE_AUTHSCHEME", "sasToken"},
          {"IOTEDGE_APIVERSION", "2022-08-03"}};
}

}  // namespace

TEST(ModuleEnvironment, ReadsEdgeAgentsVariables) {
  const auto environment = read_module_environment(lookup_in(module_env()));
  ASSERT_TRUE(environment.identity) << describe_environment_problems(environment);
  const auto& id = *environment.identity;
  EXPECT_FALSE(id.uses_connection_string);
  EXPECT_EQ(id.workload_uri, "unix:///var/run/iotedge/workload.sock");
  EXPECT_EQ(id.device_id, "edge-01");
  EXPECT_EQ(id.module_id, "secagent");
  EXPECT_EQ(id.generation_id, "638123456789012345");
  EXPECT_EQ(id.hub_host, "contoso-hub.azure-devices.net");
  EXPECT_EQ(id.gateway_host, "edge-01.contoso.local");
  EXPECT_EQ(id.client_id(), "edge-01/secagent");
}

TEST(ModuleEnvironment, OneErrorListsEveryMissingVariable) {
  auto env = module_env();
  env.erase("IOTEDGE_DEVICEID");
  env.erase("IOTEDGE_GATEWAYHOSTNAME");
  env["IOTEDGE_MODULEGENERATIONID"] = "";
  const auto environment = read_module_environment(lookup_in(env));
  EXPECT_FALSE(environment.identity);
  ASSERT_EQ(environment.problems.size(), 3u);
  const auto message = describe_environment_problems(environment);
  EXPECT_NE(message.find("IOTEDGE_DEVICEID is missing"), std::string::npos) << message;
  EXPECT_NE(message.find("IOTEDGE_GATEWAYHOSTNAME is missing"), std::string::npos) << message;
  EXPECT_NE(message.find("IOTEDGE_MODULEGENERATIONID is missing"), std::string::npos) << message;
}

TEST(ModuleEnvironment, MalformedValuesAreNamedWithTheirValue) {
  auto env = module_env();
  env["IOTEDGE_AUTHSCHEME"] = "x509";
  env["IOTEDGE_IOTHUBHOSTNAME"] = "nodots";
  env["IOTEDGE_WORKLOADURI"] = "/var/run/iotedge/workload.sock";
  env["IOTEDGE_MODULEID"] = "sec/agent";
  const auto environment = read_module_environment(lookup_in(env));
  EXPECT_FALSE(environment.identity);
  const auto message = describe_environment_problems(environment);
  EXPECT_EQ(environment.problems.size(), 4u) << message;
  EXPECT_NE(message.find("IOTEDGE_AUTHSCHEME \"x509\""), std::string::npos) << message;
  EXPECT_NE(message.find("IOTEDGE_IOTHUBHOSTNAME \"nodots\""), std::string::npos) << message;
  EXPECT_NE(message.find("IOTEDGE_WORKLOADURI"), std::string::npos) << message;
  EXPECT_NE(message.find("IOTEDGE_MODULEID \"sec/agent\""), std::string::npos) << message;
}

TEST(ModuleEnvironment, NothingSetListsAllSevenVariables) {
  const auto environment = read_module_environment(lookup_in({}));
  EXPECT_EQ(environment.problems.size(), 7u) << describe_environment_problems(environment);
}

TEST(ModuleEnvironment, HttpWorkloadUriForDevelopment) {
  auto env = module_env();
  env["IOTEDGE_WORKLOADURI"] = "http://127.0.0.1:15581/";
  EXPECT_TRUE(read_module_environment(lookup_in(env)).identity);
}

TEST(ConnectionString, DeveloperPathWithLocalKeyAndCaFile) {
  const auto environment = read_module_environment(lookup_in(
      {{"EdgeHubConnectionString",
        "HostName=hub.azure-devices.net;DeviceId=dev;ModuleId=mod;SharedAccessKey=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=;GatewayHostName=localhost"},
       {"EdgeModuleCACertificateFile", "/tmp/ca.pem"},
       {"IOTEDGE_MODULEID", "ignored"}}));
  ASSERT_TRUE(environment.identity) << describe_environment_problems(environment);
  const auto& id = *environment.identity;
  EXPECT_TRUE(id.uses_connection_string);
  EXPECT_EQ(id.hub_host, "hub.azure-devices.net");
  EXPECT_EQ(id.gateway_host, "localhost");
  EXPECT_EQ(id.device_id, "dev");
  EXPECT_EQ(id.module_id, "mod");
  EXPECT_EQ(id.shared_access_key.size(), 32u);
  EXPECT_EQ(id.ca_certificate_file, "/tmp/ca.pem");
}

TEST(ConnectionString, ProblemsNeverQuoteTheKey) {
  const std::string key = "bm90LWEtcmVhbC1rZXktYnV0LXNlY3JldA==";
  const auto environment = read_module_environment(lookup_in(
      {{"EdgeHubConnectionString", "HostName=hub.azure-devices.net;DeviceId=dev;SharedAccessKey=" + key + ";Colour=blue"}}));
  EXPECT_FALSE(environment.identity);
  const auto message = describe_environment_problems(environment);
  EXPECT_NE(message.find("ModuleId is missing"), std::string::npos) << message;
  EXPECT_NE(message.find("EdgeModuleCACertificateFile is missing"), std::string::npos) << message;
  EXPECT_EQ(message.find(key), std::string::npos) << message;
  ASSERT_EQ(environment.warnings.size(), 1u);
  EXPECT_NE(environment.warnings[0].find("Colour"), std::string::npos);
}

TEST(ConnectionString, BadKeyIsNamedNotShown) {
  const auto environment = read_module_environment(
      lookup_in({{"EdgeHubConnectionString", "HostName=hub.azure-devices.net;DeviceId=d;ModuleId=m;SharedAccessKey=%%%notbase64"},
                 {"EdgeModuleCACertificateFile", "/tmp/ca.pem"}}));
  EXPECT_FALSE(environment.identity);
  const auto message = describe_environment_problems(environment);
  EXPECT_NE(message.find("SharedAccessKey is not valid base64"), std::string::npos) << message;
  EXPECT_EQ(message.find("notbase64"), std::string::npos) << message;
}
