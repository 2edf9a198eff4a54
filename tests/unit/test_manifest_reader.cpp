// The deployment manifest reader: every real shape, chunked createOptions, lenient values, and
// precise problems (JSON pointer and line:column) for input that cannot be analysed.
#include <gtest/gtest.h>

#include <algorithm>

#include "analysis/container_settings.h"
#include "analysis/image_reference.h"
#include "analysis/json_location.h"
#include "analysis/manifest_reader.h"
#include "analysis/route.h"
#include "core/host_root.h"

using namespace edgeguard;
using namespace edgeguard::analysis;

namespace {

std::string fixture_text(const std::string& name) {
  const auto text = read_whole_file(std::string(EDGEGUARD_TEST_DIR) + "/fixtures/manifest/" + name);
  if (!text) throw std::runtime_error("missing fixture " + name);
  return *text;
}

ManifestReadResult read_fixture(const std::string& name) { return read_manifest(fixture_text(name)); }

const ModuleSpec* find_module(const DeploymentModel& model, const std::string& name) {
  for (const auto& module : model.modules) {
    if (module.name == name) return &module;
  }
  return nullptr;
}

std::string problems_text(const Problems& problems) {
  std::string out;
  for (const auto& p : problems) out += describe_position("", p.position) + " " + p.path + ": " + p.message + "\n";
  return out;
}

}  // namespace

TEST(ManifestReader, ReadsTheModulesContentShape) {
  const auto result = read_fixture("shapes/modules-content.json");
  ASSERT_TRUE(result.ok()) << problems_text(result.problems);
  EXPECT_EQ(result.shape, "modulesContent");
  ASSERT_EQ(result.model.modules.size(), 4u);
  const ModuleSpec* agent = find_module(result.model, "edgeAgent");
  const ModuleSpec* hub = find_module(result.model, "edgeHub");
  const ModuleSpec* legacy = find_module(result.model, "legacy");
  ASSERT_TRUE(agent && hub && legacy);
  EXPECT_EQ(agent->kind, ModuleKind::EdgeAgent);
  EXPECT_EQ(hub->kind, ModuleKind::EdgeHub);
  EXPECT_EQ(legacy->kind, ModuleKind::Custom);
  EXPECT_EQ(legacy->path, "/modulesContent/$edgeAgent/properties.desired/modules/legacy");
  EXPECT_EQ(legacy->image.value, "example/legacy");
  EXPECT_EQ(legacy->image.path, "/modulesContent/$edgeAgent/properties.desired/modules/legacy/settings/image");
  // "Privileged": "true" (a string) reads as true, as edgeAgent reads it.
  ASSERT_EQ(legacy->container.privileged.size(), 1u);
  EXPECT_TRUE(legacy->container.privileged[0].value);
  EXPECT_EQ(
      legacy->container.privileged[0].path,
      "/modulesContent/$edgeAgent/properties.desired/modules/legacy/settings/createOptions/HostConfig/Privileged");
  ASSERT_EQ(legacy->env.size(), 1u);
  EXPECT_EQ(legacy->env[0].name, "DB_PASSWORD");
  ASSERT_EQ(result.model.registry_credentials.size(), 1u);
  EXPECT_EQ(result.model.registry_credentials[0].password.path,
            "/modulesContent/$edgeAgent/properties.desired/runtime/settings/registryCredentials/corpacr/password");
  EXPECT_TRUE(result.model.routes_complete);
  EXPECT_EQ(result.model.routes.size(), 2u);
}

TEST(ManifestReader, ReadsAnAtScaleDeploymentLikeTheSameModulesContent) {
  const auto wrapped = read_fixture("shapes/at-scale.json");
  const auto plain = read_fixture("clean.json");
  ASSERT_TRUE(wrapped.ok()) << problems_text(wrapped.problems);
  ASSERT_TRUE(plain.ok()) << problems_text(plain.problems);
  EXPECT_EQ(wrapped.shape, "at-scale deployment");
  ASSERT_EQ(wrapped.model.modules.size(), plain.model.modules.size());
  for (size_t i = 0; i < plain.model.modules.size(); ++i) {
    EXPECT_EQ(wrapped.model.modules[i].name, plain.model.modules[i].name);
    EXPECT_EQ(wrapped.model.modules[i].path, "/content" + plain.model.modules[i].path);
  }
}

TEST(ManifestReader, ReadsADeploymentTemplateWithObjectCreateOptionsAndPlaceholders) {
  const auto result = read_fixture("shapes/deployment.template.json");
  ASSERT_TRUE(result.ok()) << problems_text(result.problems);
  EXPECT_EQ(result.shape, "deployment template");
  const ModuleSpec* sample = find_module(result.model, "SampleModule");
  ASSERT_TRUE(sample);
  EXPECT_EQ(sample->image.value, "${MODULES.SampleModule}");
  ASSERT_EQ(sample->container.mounts.size(), 1u);
  // Object-form createOptions: the path is a real pointer into the file.
  EXPECT_EQ(
      sample->container.mounts[0].path,
      "/modulesContent/$edgeAgent/properties.desired/modules/SampleModule/settings/createOptions/HostConfig/Binds/0");
  EXPECT_TRUE(result.locator.find(sample->container.mounts[0].path).known());
  EXPECT_EQ(result.locator.find(sample->container.mounts[0].path).line, 58u);
  ASSERT_EQ(result.model.registry_credentials.size(), 1u);
  EXPECT_EQ(result.model.registry_credentials[0].password.value, "$CONTAINER_REGISTRY_PASSWORD_myacr");
}

TEST(ManifestReader, ReadsALayeredDeployment) {
  const auto result = read_fixture("shapes/layered.json");
  ASSERT_TRUE(result.ok()) << problems_text(result.problems);
  EXPECT_EQ(result.shape, "layered deployment");
  ASSERT_EQ(result.model.modules.size(), 1u);
  EXPECT_EQ(result.model.modules[0].name, "edgeguard");
  EXPECT_EQ(result.model.modules[0].path, "/content/modulesContent/$edgeAgent/properties.desired.modules.edgeguard");
  // A layer's routes add to the base deployment's: the table is not complete.
  EXPECT_FALSE(result.model.routes_complete);
  ASSERT_EQ(result.model.routes.size(), 1u);
  EXPECT_EQ(result.model.routes[0].name, "edgeguardToCloud");
}

TEST(ManifestReader, JoinsCreateOptionsChunksInOrderWhateverTheCaseOfTheirKeys) {
  const auto result = read_fixture("chunked.json");
  ASSERT_TRUE(result.ok()) << problems_text(result.problems);
  const ModuleSpec* gateway = find_module(result.model, "gateway");
  ASSERT_TRUE(gateway);
  ASSERT_EQ(gateway->container.privileged.size(), 1u);
  EXPECT_TRUE(gateway->container.privileged[0].value);
  ASSERT_EQ(gateway->container.cap_add.size(), 1u);
  EXPECT_EQ(gateway->container.cap_add[0].value, "NET_ADMIN");
  ASSERT_EQ(gateway->container.mounts.size(), 1u);
  EXPECT_EQ(gateway->container.mounts[0].source, "/etc");
  ASSERT_EQ(gateway->container.memory.size(), 1u);
  EXPECT_EQ(gateway->container.memory[0].value, 268435456);
  // Paths continue below the first chunk as if the joined text were an object.
  EXPECT_EQ(
      gateway->container.privileged[0].path,
      "/modulesContent/$edgeAgent/properties.desired/modules/gateway/settings/createOptions/HostConfig/Privileged");
}

TEST(ManifestReader, ChunksAreJoinedAtArbitraryPositions) {
  const std::string options = R"({"HostConfig":{"Privileged":true,"CapAdd":["SYS_ADMIN"]}})";
  for (size_t cut = 1; cut < options.size(); ++cut) {
    nlohmann::json manifest = {{"modulesContent",
                                {{"$edgeAgent",
                                  {{"properties.desired",
                                    {{"modules",
                                      {{"m",
                                        {{"settings",
                                          {{"image", "a/b:1"},
                                           {"createOptions", options.substr(0, cut)},
                                           {"createOptions01", options.substr(cut)}}}}}}}}}}}}}};
    const auto result = read_manifest(manifest.dump());
    ASSERT_TRUE(result.ok()) << "cut at " << cut << ": " << problems_text(result.problems);
    ASSERT_EQ(result.model.modules.at(0).container.cap_add.size(), 1u) << cut;
  }
}

TEST(ManifestReader, ReadsValuesLenientlyAsEdgeAgentDoes) {
  Problems problems;
  const auto options = parse_create_options(
      R"({"user":"1000","hostconfig":{"privileged":"TRUE","readonlyRootfs":1,"Memory":"268435456","NanoCpus":5e8,
          "PidsLimit":" 64 ","SecurityOpt":["no-new-privileges"]}})",
      "/co", problems);
  ASSERT_TRUE(options);
  const ContainerSettings settings = read_create_options(*options, "/co", problems);
  EXPECT_TRUE(problems.empty()) << problems_text(problems);
  ASSERT_EQ(settings.privileged.size(), 1u);
  EXPECT_TRUE(settings.privileged[0].value);
  EXPECT_EQ(settings.privileged[0].path, "/co/hostconfig/privileged");
  ASSERT_EQ(settings.readonly_rootfs.size(), 1u);
  EXPECT_TRUE(settings.readonly_rootfs[0].value);
  EXPECT_EQ(settings.memory.at(0).value, 268435456);
  EXPECT_EQ(settings.nano_cpus.at(0).value, 500000000);
  EXPECT_EQ(settings.pids_limit.at(0).value, 64);
  EXPECT_EQ(settings.user.at(0).value, "1000");
}

TEST(ManifestReader, KeepsEveryCaseVariantOfADuplicatedSettingSoNoneCanHide) {
  Problems problems;
  const auto options = parse_create_options(
      R"({"HostConfig":{"Privileged":false,"privileged":true},"hostconfig":{"CapAdd":["ALL"]}})", "", problems);
  ASSERT_TRUE(options);
  const ContainerSettings settings = read_create_options(*options, "", problems);
  ASSERT_EQ(settings.privileged.size(), 2u);
  EXPECT_TRUE(
      std::any_of(settings.privileged.begin(), settings.privileged.end(), [](const auto& s) { return s.value; }));
  ASSERT_EQ(settings.cap_add.size(), 1u);
  EXPECT_EQ(settings.cap_add[0].path, "/hostconfig/CapAdd/0");
}

TEST(ManifestReader, BlankOrNullCreateOptionsMeanNone) {
  for (const char* text : {"", "  ", "null", "NULL"}) {
    Problems problems;
    const auto options = parse_create_options(text, "/co", problems);
    ASSERT_TRUE(options) << text;
    EXPECT_TRUE(options->empty());
    EXPECT_TRUE(problems.empty());
  }
}

TEST(ManifestReader, TruncatedJsonNamesLineAndColumn) {
  const std::string text = fixture_text("malformed/truncated.json");
  const auto result = read_manifest(text);
  ASSERT_EQ(result.problems.size(), 1u);
  EXPECT_NE(result.problems[0].message.find("not valid JSON"), std::string::npos) << result.problems[0].message;
  const size_t lines = static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
  EXPECT_EQ(result.problems[0].position.line, lines);
  EXPECT_GT(result.problems[0].position.column, 1u);
}

TEST(ManifestReader, DeeplyNestedValuesAreReportedWithoutRecursingIntoThem) {
  const size_t depth = 200000;
  const std::string deep = std::string(depth, '[') + std::string(depth, ']');
  const std::string options = "{\"HostConfig\":{\"Privileged\":" + deep + "}}";
  nlohmann::json manifest;
  manifest["modulesContent"]["$edgeAgent"]["properties.desired"]["modules"]["m"]["settings"] = {
      {"image", "a/m:1"}, {"createOptions", options}};
  const auto result = read_manifest(manifest.dump());
  ASSERT_EQ(result.problems.size(), 1u);
  EXPECT_NE(result.problems[0].message.find("got an array [1 items]"), std::string::npos) << result.problems[0].message;
  const std::string chunked = R"({"modulesContent":{"$edgeAgent":{"properties.desired":{"modules":{"m":{"settings":{)"
                              R"("image":"a/m:1","createOptions":"{","createOptions01":)" +
                              deep + "}}}}}}}";
  const auto chunk_result = read_manifest(chunked);
  ASSERT_EQ(chunk_result.problems.size(), 1u);
  EXPECT_NE(chunk_result.problems[0].message.find("expected a createOptions chunk"), std::string::npos);
}

TEST(ManifestReader, NumbersTooLargeForJsonAreProblemsNotExceptions) {
  // Found by fuzz_manifest_create_options: nlohmann/json reports this as out_of_range.
  Problems problems;
  EXPECT_FALSE(parse_create_options(R"({"HostConfig":{"Memory":2684e35456}})", "/co", problems));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].message.find("number overflow"), std::string::npos) << problems[0].message;
  const auto result = read_manifest(R"({"modulesContent": {"x": 1e999}})");
  ASSERT_EQ(result.problems.size(), 1u);
  EXPECT_NE(result.problems[0].message.find("number overflow"), std::string::npos);
}

TEST(ManifestReader, CreateOptionsThatAreNotJsonNameTheModuleAndCharacter) {
  const auto result = read_fixture("malformed/create-options-not-json.json");
  ASSERT_EQ(result.problems.size(), 1u) << problems_text(result.problems);
  EXPECT_EQ(result.problems[0].path,
            "/modulesContent/$edgeAgent/properties.desired/modules/sensor/settings/createOptions");
  EXPECT_NE(result.problems[0].message.find("createOptions is not valid JSON (character"), std::string::npos);
  EXPECT_TRUE(result.problems[0].position.known());
}

TEST(ManifestReader, WrongTypesNameEachSetting) {
  const auto result = read_fixture("malformed/wrong-types.json");
  const std::string base =
      "/modulesContent/$edgeAgent/properties.desired/modules/sensor/settings/createOptions/HostConfig/";
  std::vector<std::string> paths;
  for (const auto& problem : result.problems) paths.push_back(problem.path);
  std::sort(paths.begin(), paths.end());
  EXPECT_EQ(paths, (std::vector<std::string>{base + "CapAdd", base + "Memory", base + "Privileged"}))
      << problems_text(result.problems);
  for (const auto& problem : result.problems) {
    EXPECT_NE(problem.message.find("expected"), std::string::npos);
    // The position is that of the createOptions string that holds the setting.
    EXPECT_TRUE(problem.position.known());
  }
}

TEST(ManifestReader, StructuralProblemsAreReported) {
  const struct {
    const char* fixture;
    const char* path;
    const char* message;
  } cases[] = {
      {"malformed/modules-not-object.json", "/modulesContent/$edgeAgent/properties.desired/modules",
       "expected an object"},
      {"malformed/chunk-gap.json",
       "/modulesContent/$edgeAgent/properties.desired/modules/sensor/settings/createOptions02",
       "\"createOptions01\" was expected"},
      {"malformed/env-not-object.json", "/modulesContent/$edgeAgent/properties.desired/modules/sensor/env/DB_PASSWORD",
       "expected {\"value\": ...}, got a string"},
      {"malformed/not-a-manifest.json", "", "not an IoT Edge deployment manifest"},
      {"malformed/duplicate-settings.json", "/modulesContent/$edgeAgent/properties.desired/modules/sensor/settings",
       "is given more than once"},
  };
  for (const auto& c : cases) {
    const auto result = read_fixture(c.fixture);
    ASSERT_EQ(result.problems.size(), 1u) << c.fixture << "\n" << problems_text(result.problems);
    EXPECT_EQ(result.problems[0].path, c.path) << c.fixture;
    EXPECT_NE(result.problems[0].message.find(c.message), std::string::npos)
        << c.fixture << ": " << result.problems[0].message;
  }
}

TEST(ManifestReader, ProblemsNeverShowSecretValues) {
  const auto result = read_fixture("malformed/env-not-object.json");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(problems_text(result.problems).find("hunter2"), std::string::npos);
  Problems problems;
  const auto options = parse_create_options(R"({"Env":["A=1",{"secret":"s3cr3t-value"}]})", "", problems);
  ASSERT_TRUE(options);
  read_create_options(*options, "", problems);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].message.find("s3cr3t"), std::string::npos) << problems[0].message;
}

TEST(JsonLocator, FindsValuesAndFallsBackToTheNearestAncestor) {
  const std::string text = "{\n  \"a\": {\"b/c\": [1, {\"d~\": \"x\"}]},\n  \"e\": \"{\\\"inner\\\": 1}\"\n}\n";
  const JsonLocator locator(text);
  EXPECT_EQ(locator.find("").line, 1u);
  EXPECT_EQ(locator.find("/a").line, 2u);
  EXPECT_EQ(locator.find("/a").column, 8u);
  EXPECT_EQ(locator.find("/a/b~1c/1/d~0").column, 27u);
  EXPECT_EQ(locator.find("/e").line, 3u);
  // Below a string (createOptions): the string's own position.
  EXPECT_EQ(locator.find("/e/inner").line, 3u);
  EXPECT_EQ(locator.find("/e/inner").column, locator.find("/e").column);
  EXPECT_EQ(pointer_append("/a", "b/c~"), "/a/b~1c~0");
}

TEST(JsonLocator, DeepValuesFallBackToAnAncestorAtBoundedCost) {
  const std::string text = "{\"a\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  const JsonLocator locator(text);
  EXPECT_LE(locator.size(), 70u);
  EXPECT_EQ(locator.find("/a/0/0").column, 8u);
  std::string deep = "/a";
  for (int i = 0; i < 100; ++i) deep += "/0";
  EXPECT_TRUE(locator.find(deep).known());  // beyond the indexed depth: its deepest indexed ancestor
}

TEST(JsonLocator, CountsColumnsInCodePoints) {
  const JsonLocator locator("{\"\xc3\xa9t\xc3\xa9\": 1}");
  EXPECT_EQ(locator.find("/\xc3\xa9t\xc3\xa9").column, 9u);
}

TEST(RouteParser, ReadsSourceConditionAndSink) {
  const auto plain = parse_route("FROM /messages/modules/edgeguard/* INTO $upstream");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->source, "/messages/modules/edgeguard/*");
  EXPECT_TRUE(plain->condition.empty());
  EXPECT_EQ(plain->sink, "$upstream");
  const auto conditional =
      parse_route("from /messages/* where $body.text = 'go INTO it' into BrokeredEndpoint(\"/modules/a/inputs/b\")");
  ASSERT_TRUE(conditional);
  EXPECT_EQ(conditional->condition, "$body.text = 'go INTO it'");
  EXPECT_EQ(conditional->sink, "BrokeredEndpoint(\"/modules/a/inputs/b\")");
  EXPECT_FALSE(parse_route("SELECT * FROM /messages/*"));
  EXPECT_FALSE(parse_route("FROM /messages/* WHERE INTO $upstream"));
  EXPECT_TRUE(route_source_covers_module("/messages/modules/edgeguard/outputs/*", "edgeguard"));
  EXPECT_TRUE(route_source_covers_module("/*", "edgeguard"));
  EXPECT_FALSE(route_source_covers_module("/messages/modules/edgeguard/outputs/alerts", "edgeguard"));
  EXPECT_FALSE(route_source_covers_module("/messages/modules/sensor/*", "edgeguard"));
}

TEST(ImageReference, SplitsRegistryPathTagAndDigest) {
  const auto full = parse_image_reference("myacr.azurecr.io:5000/team/sensor:1.2.3@sha256:abc");
  EXPECT_EQ(full.repository, "myacr.azurecr.io:5000/team/sensor");
  EXPECT_EQ(full.tag, "1.2.3");
  EXPECT_EQ(full.digest, "sha256:abc");
  const auto bare = parse_image_reference("localhost:5000/sensor");
  EXPECT_EQ(bare.repository, "localhost:5000/sensor");
  EXPECT_TRUE(bare.tag.empty());
  EXPECT_TRUE(image_has_placeholder("${MODULES.SampleModule}"));
  EXPECT_TRUE(image_has_placeholder("$ACR_ADDRESS/sensor:1"));
  EXPECT_FALSE(image_has_placeholder("$upstream:443/azureiotedge-agent:1.5"));
  EXPECT_FALSE(image_has_placeholder("mcr.microsoft.com/azureiotedge-hub:1.5"));
}

TEST(Placeholders, TemplateForms) {
  for (const char* text : {"${DB_PASSWORD}", "$CONTAINER_REGISTRY_PASSWORD_myacr", "$ACR_PASSWORD",
                           "__REGISTRY_PASSWORD__", "<CR.Password>", "#{password}#"}) {
    EXPECT_TRUE(is_placeholder(text)) << text;
  }
  for (const char* text : {"$ecretPa55", "hunter2", "__x", "$upstream", "<not a name>", "$a_b"}) {
    EXPECT_FALSE(is_placeholder(text)) << text;
  }
}
