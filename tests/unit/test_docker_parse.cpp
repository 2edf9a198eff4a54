// Parsers of the Docker Engine API, against replies captured from a real dockerd (20.10, API
// 1.41; tests/fixtures/docker) and against malformed input a real engine never sends.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "collectors/docker/docker_parse.h"
#include "core/host_root.h"

using namespace edgeguard;
using namespace edgeguard::docker;

namespace {

std::string fixture(const std::string& name) {
  const auto text = read_whole_file(std::string(EDGEGUARD_TEST_DIR) + "/fixtures/docker/" + name);
  if (!text) throw std::runtime_error("missing fixture " + name);
  return *text;
}

std::vector<std::string> fixture_lines(const std::string& name) {
  std::vector<std::string> lines;
  std::ifstream in(std::string(EDGEGUARD_TEST_DIR) + "/fixtures/docker/" + name);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

// The error a parser throws for `text`, or "" if it parsed.
template <typename F>
std::string error_of(F&& parse) {
  try {
    parse();
  } catch (const ParseError& error) {
    return error.what();
  }
  return {};
}

}  // namespace

TEST(DockerParse, VersionOfTheRealEngine) {
  const auto version = parse_version(fixture("version.json"));
  EXPECT_EQ(version.version, "20.10.24+dfsg1");
  EXPECT_EQ(version.api_version, "1.41");
  EXPECT_EQ(version.min_api_version, "1.12");
  EXPECT_EQ(version.os, "linux");
}

TEST(DockerParse, InspectOfARiskyContainerGivesItsEffectiveSettings) {
  const auto record = parse_container_inspect(fixture("inspect_risky.json"));
  EXPECT_EQ(record.info.id, "52e50525ce75cb99adc552074c14b6c201c486a9c6e6f42b3374a6d2df4e7874");
  EXPECT_EQ(record.info.name, "risky");
  EXPECT_EQ(record.info.image, "edgeguard-test/busybox:1");
  EXPECT_EQ(record.info.image_id, "sha256:17c3d4b61ebfa4663620cede620d47169a14a5fbc1db4bb571c9a279b65db629");
  EXPECT_EQ(record.info.edge_module, "");
  EXPECT_EQ(record.state.status, "running");
  EXPECT_TRUE(record.state.running);
  EXPECT_GT(record.state.pid, 0);
  EXPECT_GT(record.state.started_at_ns, 0);
  EXPECT_EQ(record.state.finished_at_ns, 0);  // "0001-01-01T00:00:00Z"
  const auto& s = record.settings;
  EXPECT_FALSE(s.privileged);
  EXPECT_EQ(s.network_mode, "host");
  EXPECT_EQ(s.pid_mode, "host");
  EXPECT_EQ(s.ipc_mode, "host");
  EXPECT_EQ(s.uts_mode, "host");
  EXPECT_EQ(s.cap_add, (std::vector<std::string>{"SYS_ADMIN", "NET_ADMIN"}));
  EXPECT_TRUE(s.cap_drop.empty());
  EXPECT_EQ(s.security_opt, (std::vector<std::string>{"seccomp=unconfined", "label=disable"}));
  ASSERT_EQ(s.devices.size(), 1u);
  EXPECT_EQ(s.devices[0], (Device{"/dev/null", "/dev/mynull", "rwm"}));
  ASSERT_EQ(s.mounts.size(), 3u);
  bool docker_socket = false, root = false, etc = false;
  for (const auto& mount : s.mounts) {
    EXPECT_EQ(mount.type, "bind");
    if (mount.destination == "/var/run/docker.sock") docker_socket = !mount.read_only;
    if (mount.source == "/" && mount.destination == "/host") root = mount.read_only;
    if (mount.source == "/etc") etc = mount.read_only;
  }
  EXPECT_TRUE(docker_socket) << "docker.sock bound read-write";
  EXPECT_TRUE(root) << "/ bound read-only";
  EXPECT_TRUE(etc) << "/etc bound read-only";
  EXPECT_EQ(s.memory_bytes, 0);
  EXPECT_EQ(s.pids_limit, 0);  // null: no limit
  EXPECT_EQ(s.restart_policy, "always");
  EXPECT_FALSE(record.inspect.empty());
  EXPECT_EQ(record.inspect["HostConfig"]["NetworkMode"], "host");
}

TEST(DockerParse, MountsReadTheSameWhateverOrderTheEngineListsThemIn) {
  // The engine lists mounts from a map: every inspect may give them in another order.
  auto reordered = nlohmann::json::parse(fixture("inspect_risky.json"));
  auto& mounts = reordered["Mounts"];
  ASSERT_EQ(mounts.size(), 3u);
  std::reverse(mounts.begin(), mounts.end());
  const auto as_listed = parse_container_inspect(fixture("inspect_risky.json"));
  const auto reversed = parse_container_inspect(reordered.dump());
  EXPECT_EQ(reversed.settings.mounts, as_listed.settings.mounts);
  EXPECT_EQ(reversed.inspect, as_listed.inspect);
  std::vector<std::string> destinations;
  for (const auto& mount : as_listed.settings.mounts) destinations.push_back(mount.destination);
  EXPECT_EQ(destinations, (std::vector<std::string>{"/host", "/hostetc", "/var/run/docker.sock"}));
}

TEST(DockerParse, InspectOfAConfinedContainerGivesItsLimits) {
  const auto record = parse_container_inspect(fixture("inspect_clean.json"));
  const auto& s = record.settings;
  EXPECT_EQ(record.info.name, "clean");
  EXPECT_EQ(s.user, "1000:1000");
  EXPECT_TRUE(s.readonly_rootfs);
  EXPECT_EQ(s.cap_drop, (std::vector<std::string>{"ALL"}));
  EXPECT_EQ(s.security_opt, (std::vector<std::string>{"no-new-privileges"}));
  EXPECT_EQ(s.memory_bytes, 64 * 1024 * 1024);
  EXPECT_EQ(s.nano_cpus, 500000000);
  EXPECT_EQ(s.pids_limit, 100);
  EXPECT_EQ(s.restart_policy, "on-failure");
  EXPECT_EQ(s.restart_max_retries, 3);
  EXPECT_EQ(s.sysctls.at("net.ipv4.ip_unprivileged_port_start"), "1024");
  EXPECT_TRUE(s.mounts.empty());
}

TEST(DockerParse, CreatedButNotStartedContainersShowWhatTheyWouldRunWith) {
  const auto privileged = parse_container_inspect(fixture("inspect_privileged.json"));
  EXPECT_TRUE(privileged.settings.privileged);
  EXPECT_EQ(privileged.state.status, "created");
  EXPECT_FALSE(privileged.state.running);
  EXPECT_EQ(privileged.state.started_at_ns, 0);

  const auto capall = parse_container_inspect(fixture("inspect_capall.json"));
  EXPECT_EQ(capall.settings.cap_add, (std::vector<std::string>{"ALL"}));
  ASSERT_EQ(capall.settings.port_bindings.size(), 2u);
  EXPECT_EQ(capall.settings.port_bindings[0], (PortBinding{"5671/tcp", "", "5671"}));
  EXPECT_EQ(capall.settings.port_bindings[1], (PortBinding{"8883/tcp", "127.0.0.1", "8883"}));
}

TEST(DockerParse, IotEdgeOwnerLabelMakesTheContainerAModuleNamedAfterIt) {
  const auto record = parse_container_inspect(fixture("inspect_edgeHub.json"));
  EXPECT_EQ(record.info.name, "edgeHub");
  EXPECT_EQ(record.info.edge_module, "edgeHub");
  EXPECT_TRUE(record.is_edge_module());
  EXPECT_EQ(record.labels.at("net.azure-devices.edge.original-image"), "mcr.microsoft.com/azureiotedge-hub:1.5");

  std::map<std::string, std::string> spoofed{{"net.azure-devices.edge.owner", "someone-else"}};
  EXPECT_EQ(edge_module_name(spoofed, "x"), "");
}

TEST(DockerParse, ContainerListNamesEveryContainer) {
  const auto list = parse_container_list(fixture("list.json"));
  ASSERT_EQ(list.size(), 5u);
  std::set<std::string> names;
  for (const auto& item : list) {
    names.insert(item.name);
    EXPECT_TRUE(is_container_id(item.id)) << item.id;
    EXPECT_EQ(item.image, "edgeguard-test/busybox:1");
  }
  EXPECT_EQ(names, (std::set<std::string>{"capall", "clean", "edgeHub", "privileged", "risky"}));
}

TEST(DockerParse, EventsOfTheRealEngine) {
  const auto lines = fixture_lines("events.jsonl");
  ASSERT_EQ(lines.size(), 10u);
  std::vector<std::string> actions;
  for (const auto& line : lines) actions.push_back(parse_engine_event(line).action);
  EXPECT_EQ(actions, (std::vector<std::string>{"create", "start", "die", "exec_create", "exec_start", "exec_create",
                                               "exec_start", "destroy", "rename", "rename"}));
  const auto die = parse_engine_event(lines[2]);
  EXPECT_EQ(die.type, "container");
  EXPECT_EQ(die.attribute("exitCode"), "3");
  EXPECT_EQ(die.attribute("name"), "exits3");
  EXPECT_GT(die.time_ns, 1700000000LL * 1000000000LL);
  const auto exec = parse_engine_event(lines[3]);
  EXPECT_EQ(exec.detail, "id");  // the engine's trailing space is gone
  EXPECT_TRUE(is_safe_object_id(exec.attribute("execID")));
  EXPECT_EQ(parse_engine_event(lines[5]).detail, "sh -c echo \"a b\"");
}

TEST(DockerParse, EventWithoutTimeNanoUsesSeconds) {
  const auto event = parse_engine_event(
      R"({"Type":"container","Action":"start","Actor":{"ID":"x","Attributes":null},"time":1700000000})");
  EXPECT_EQ(event.time_ns, 1700000000LL * 1000000000LL);
  EXPECT_TRUE(event.attributes.empty());
}

TEST(DockerParse, ExecAndImageInspect) {
  const auto exec = parse_exec_inspect(fixture("exec_inspect.json"));
  EXPECT_EQ(exec.user, "0");
  EXPECT_TRUE(exec.privileged);
  EXPECT_FALSE(exec.tty);
  EXPECT_EQ(exec.entrypoint, "id");
  EXPECT_TRUE(exec.arguments.empty());
  EXPECT_TRUE(parse_image_repo_digests(fixture("image_inspect.json")).empty());  // docker import: no registry
  EXPECT_EQ(parse_image_repo_digests(R"({"RepoDigests":["mcr.microsoft.com/azureiotedge-hub@sha256:ab"]})"),
            (std::vector<std::string>{"mcr.microsoft.com/azureiotedge-hub@sha256:ab"}));
}

TEST(DockerParse, ErrorsNameTheJsonLocation) {
  auto doc = nlohmann::json::parse(fixture("inspect_risky.json"));
  doc["HostConfig"]["CapAdd"][1] = 7;
  EXPECT_EQ(error_of([&] { parse_container_inspect(doc.dump()); }), "/HostConfig/CapAdd/1: expected a string, got an integer");

  doc = nlohmann::json::parse(fixture("inspect_risky.json"));
  doc["State"]["StartedAt"] = "yesterday";
  EXPECT_EQ(error_of([&] { parse_container_inspect(doc.dump()); }), "/State/StartedAt: expected an RFC 3339 time");

  doc = nlohmann::json::parse(fixture("inspect_risky.json"));
  doc["Config"]["Labels"]["a/b~c"] = true;
  EXPECT_EQ(error_of([&] { parse_container_inspect(doc.dump()); }), "/Config/Labels/a~1b~0c: expected a string, got a boolean");

  doc = nlohmann::json::parse(fixture("inspect_risky.json"));
  doc["Id"] = "short";
  EXPECT_EQ(error_of([&] { parse_container_inspect(doc.dump()); }), "/Id: expected a 64-hex container id");

  doc.erase("HostConfig");
  doc["Id"] = std::string(64, 'a');
  EXPECT_EQ(error_of([&] { parse_container_inspect(doc.dump()); }), "/HostConfig: expected an object, got nothing");

  EXPECT_EQ(error_of([] { parse_container_list(R"({"Id":1})"); }), "/: expected an array, got an object");
  EXPECT_EQ(error_of([] { parse_container_list(R"([{"Id":"x"}])"); }), "/0/Id: expected a 64-hex container id");
  EXPECT_EQ(error_of([] { parse_engine_event(R"({"Type":"container","Action":3})"); }),
            "/Action: expected a string, got an integer");
  EXPECT_EQ(error_of([] { parse_engine_event(R"({"Type":"container","Action":"start"})"); }),
            "/Actor: expected an object, got nothing");
  EXPECT_EQ(error_of([] { parse_version("{}"); }), "/ApiVersion: missing");
  EXPECT_EQ(error_of([] { parse_engine_event(R"({"Type":"contai)"); }), "not valid JSON (syntax error at byte 16)");
  // Found by fuzz_docker_event: nlohmann reports number overflow with another exception type.
  EXPECT_EQ(error_of([] { parse_engine_event(R"({"time":4e892})"); }), "not valid JSON (a number out of range)");
}

TEST(DockerParse, ErrorsNeverQuoteTheInput) {
  // The edgeHub fixture carries a secret in Config.Env; break the document around it.
  const std::string text = fixture("inspect_edgeHub.json");
  ASSERT_NE(text.find("SECRET-DO-NOT-LOG"), std::string::npos);
  const size_t secret = text.find("SECRET-DO-NOT-LOG");
  for (const std::string& broken : {text.substr(0, secret + 6), text.substr(0, secret) + "\x01" + text.substr(secret)}) {
    const std::string error = error_of([&] { parse_container_inspect(broken); });
    EXPECT_FALSE(error.empty());
    EXPECT_EQ(error.find("SECRET"), std::string::npos) << error;
  }
  auto doc = nlohmann::json::parse(text);
  doc["Config"]["Labels"]["SECRET-DO-NOT-LOG"] = 1;
  // The key is part of the location, the value never is; label keys are not secrets.
  EXPECT_EQ(error_of([&] { parse_container_inspect(doc.dump()); }),
            "/Config/Labels/SECRET-DO-NOT-LOG: expected a string, got an integer");
}

TEST(DockerParse, EngineTimes) {
  EXPECT_EQ(parse_engine_time("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_engine_time("0001-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_engine_time("2026-11-26T15:48:21.477477732Z"), 1795708101477477732LL);
  EXPECT_EQ(parse_engine_time("2026-11-26T15:48:21.4Z"), 1795708101400000000LL);
  EXPECT_EQ(parse_engine_time("2026-11-26T16:48:21.4+01:00"), 1795708101400000000LL);
  EXPECT_EQ(parse_engine_time("2026-11-26T15:48:21.1234567891Z"), 1795708101123456789LL);  // beyond ns: cut
  EXPECT_EQ(parse_engine_time("2000-02-29T00:00:00Z"), 951782400LL * 1000000000LL);
  EXPECT_FALSE(parse_engine_time("2026-11-26 15:48:21Z"));
  EXPECT_FALSE(parse_engine_time("2026-11-26T15:48:21"));
  EXPECT_FALSE(parse_engine_time("2026-13-26T15:48:21Z"));
  EXPECT_FALSE(parse_engine_time("2026-11-26T15:48:21.Z"));
  EXPECT_FALSE(parse_engine_time("9999-11-26T15:48:21Z"));  // beyond int64 nanoseconds
  EXPECT_FALSE(parse_engine_time(""));
}

TEST(DockerParse, ObjectIdsThatMayGoInAPath) {
  EXPECT_TRUE(is_container_id(std::string(64, 'f')));
  EXPECT_FALSE(is_container_id(std::string(64, 'F')));
  EXPECT_FALSE(is_container_id(std::string(63, 'f')));
  EXPECT_TRUE(is_safe_object_id("sha256:17c3d4b6"));
  EXPECT_FALSE(is_safe_object_id("../../containers/x"));
  EXPECT_FALSE(is_safe_object_id("a?b"));
  EXPECT_FALSE(is_safe_object_id(""));
}
