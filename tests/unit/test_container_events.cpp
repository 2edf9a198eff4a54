// The container activity and inventory events: their payloads, their outputs, and that every
// one validates against schemas/extension_message.schema.json (strictly, through the same
// validator CI uses).
#include <gtest/gtest.h>

#include "../support/event_sink.h"
#include "../support/process.h"
#include "../support/temp_dir.h"
#include "collectors/docker/container_events.h"
#include "collectors/docker/docker_parse.h"
#include "core/host_root.h"

using namespace edgeguard;
using namespace edgeguard::docker;

namespace {

ContainerRecord fixture_record(const std::string& name) {
  return parse_container_inspect(*read_whole_file(std::string(EDGEGUARD_TEST_DIR) + "/fixtures/docker/inspect_" + name + ".json"));
}

std::vector<RecordPtr> all_fixtures() {
  std::vector<RecordPtr> out;
  for (const char* name : {"clean", "risky", "privileged", "capall", "edgeHub"}) {
    out.push_back(std::make_shared<const ContainerRecord>(fixture_record(name)));
  }
  return out;
}

// Wraps the events in extension messages (one per output) as the pipeline does and validates.
test::CommandResult validate(const std::vector<Event>& events) {
  test::TempDir dir;
  test::write_messages(events, dir / "messages.jsonl");
  return test::validate_messages({(dir / "messages.jsonl").string()});
}

}  // namespace

TEST(ContainerEvents, LifecycleCarriesWhoWhatAndTheEngineTime) {
  const auto record = fixture_record("risky");
  LifecycleFacts facts;
  facts.action = "die";
  facts.container = ContainerIdentity::of(record);
  facts.exit_code = 137;
  facts.engine_time_ns = 1795708370809666002LL;
  const Event event = make_lifecycle_event(facts);
  EXPECT_EQ(event.name, "ContainerLifecycle");
  EXPECT_EQ(event.channel.output, "containerActivity");
  EXPECT_EQ(event.category, EventCategory::Triggered);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(event.time.time_since_epoch()).count(), 1795708370809LL);
  const auto& item = event.payload.at(0);
  EXPECT_EQ(item["Action"], "die");
  EXPECT_EQ(item["ContainerName"], "risky");
  EXPECT_EQ(item["ContainerId"], record.info.id);
  EXPECT_EQ(item["Image"], "edgeguard-test/busybox:1");
  EXPECT_EQ(item["ImageId"], record.info.image_id);
  EXPECT_EQ(item["ExitCode"], 137);
  EXPECT_EQ(item["Source"], "EventStream");
  EXPECT_FALSE(item.contains("Settings"));
}

TEST(ContainerEvents, CreateCarriesTheEffectiveSettings) {
  const auto record = fixture_record("privileged");
  LifecycleFacts facts;
  facts.action = "create";
  facts.container = ContainerIdentity::of(record);
  facts.source = Source::Resync;
  facts.settings = &record.settings;
  const auto item = make_lifecycle_event(facts).payload.at(0);
  EXPECT_EQ(item["Source"], "Resync");
  EXPECT_EQ(item["Settings"]["Privileged"], true);
  EXPECT_EQ(item["Settings"]["PidsLimit"], 0);
}

TEST(ContainerEvents, ExecCarriesTheCommandAndItsPowers) {
  const auto record = fixture_record("risky");
  ExecFacts facts;
  facts.action = "exec_create";
  facts.container = ContainerIdentity::of(record);
  facts.exec_id = "857cf638dbcf5ea5fa9c12a2cb2c7bbc7b698f16bc926758c870088919251034";
  facts.command = "sh -c " + std::string(100, 'x') + "\xc3\xa9";
  facts.details = parse_exec_inspect(*read_whole_file(std::string(EDGEGUARD_TEST_DIR) + "/fixtures/docker/exec_inspect.json"));
  const Event event = make_exec_event(facts, 107);
  EXPECT_EQ(event.name, "ContainerExec");
  EXPECT_EQ(event.channel.output, "containerActivity");
  const auto& item = event.payload.at(0);
  EXPECT_EQ(item["Command"], "sh -c " + std::string(100, 'x'));  // cut before the 2-byte character
  EXPECT_EQ(item["User"], "0");
  EXPECT_EQ(item["Privileged"], true);
  EXPECT_EQ(item["Tty"], false);
  EXPECT_EQ(item["ExecId"], facts.exec_id);
}

TEST(ContainerEvents, IdentityFromTheEventWhenTheContainerIsUnknown) {
  EngineEvent event;
  event.id = std::string(64, 'b');
  event.attributes = {{"name", "edgeAgent"}, {"image", "mcr.microsoft.com/azureiotedge-agent:1.5"},
                      {"net.azure-devices.edge.owner", "Microsoft.Azure.Devices.Edge.Agent"}};
  const auto who = ContainerIdentity::of(event);
  EXPECT_EQ(who.name, "edgeAgent");
  EXPECT_EQ(who.edge_module, "edgeAgent");
  EXPECT_EQ(who.image_id, "");
}

TEST(ContainerEvents, InventoryListsEveryContainerWithItsSettings) {
  const auto events = make_inventory_events(all_fixtures(), 1 << 20);
  ASSERT_EQ(events.size(), 1u);
  const Event& event = events[0];
  EXPECT_EQ(event.name, "ContainerInventory");
  EXPECT_EQ(event.channel.output, "containerInventory");
  EXPECT_EQ(event.category, EventCategory::Periodic);
  ASSERT_EQ(event.payload.size(), 5u);
  std::map<std::string, nlohmann::json> by_name;
  for (const auto& item : event.payload) by_name[item["ContainerName"]] = item;
  EXPECT_EQ(by_name["risky"]["Settings"]["NetworkMode"], "host");
  EXPECT_EQ(by_name["risky"]["State"], "running");
  EXPECT_EQ(by_name["privileged"]["Settings"]["Privileged"], true);
  EXPECT_EQ(by_name["privileged"]["State"], "created");
  EXPECT_EQ(by_name["privileged"]["StartedAt"], "");
  EXPECT_EQ(by_name["capall"]["Settings"]["CapAdd"], nlohmann::json::array({"ALL"}));
  EXPECT_EQ(by_name["clean"]["Settings"]["MemoryLimitBytes"], 64 * 1024 * 1024);
  EXPECT_EQ(by_name["edgeHub"]["EdgeModule"], "edgeHub");
  EXPECT_EQ(by_name["edgeHub"]["ImageDigest"], "");
}

TEST(ContainerEvents, InventoryIsSplitToFitMessagesAndEmptyWhenThereIsNothing) {
  const auto split = make_inventory_events(all_fixtures(), 2500);
  EXPECT_GT(split.size(), 1u);
  size_t total = 0;
  for (const auto& event : split) {
    total += event.payload.size();
    EXPECT_LE(event.payload.dump().size(), 2500u + 1500u) << "only a single oversize item may exceed the budget";
  }
  EXPECT_EQ(total, 5u);

  const auto empty = make_inventory_events({}, 1 << 20);
  ASSERT_EQ(empty.size(), 1u);
  EXPECT_TRUE(empty[0].is_empty());
  EXPECT_EQ(empty[0].category, EventCategory::Periodic);
  EXPECT_EQ(empty[0].channel.output, "containerInventory");
}

TEST(ContainerEvents, NeverCarryEnvironmentOrLabels) {
  const auto events = make_inventory_events(all_fixtures(), 1 << 20);
  const std::string text = serialize_event(events[0]);
  EXPECT_EQ(text.find("SECRET-DO-NOT-LOG"), std::string::npos);
  EXPECT_EQ(text.find("original-image"), std::string::npos);
}

TEST(ContainerEvents, HealthProbeCommandAsTheEngineReportsIt) {
  SecuritySettings settings;
  EXPECT_EQ(health_probe_command(settings), "");
  settings.healthcheck = {"CMD-SHELL", "curl -f http://localhost/ || exit 1"};
  EXPECT_EQ(health_probe_command(settings), "/bin/sh -c curl -f http://localhost/ || exit 1");
  settings.healthcheck = {"CMD", "/probe", "--quick"};
  EXPECT_EQ(health_probe_command(settings), "/probe --quick");
  settings.healthcheck = {"NONE"};
  EXPECT_EQ(health_probe_command(settings), "");
}

TEST(ContainerEvents, EveryKindValidatesAgainstTheExtensionSchema) {
  std::vector<Event> events = make_inventory_events(all_fixtures(), 1 << 20);
  events.push_back(make_inventory_events({}, 1 << 20)[0]);
  const auto risky = fixture_record("risky");
  for (const char* action : {"create", "start", "die", "destroy", "oom"}) {
    LifecycleFacts facts;
    facts.action = action;
    facts.container = ContainerIdentity::of(risky);
    facts.engine_time_ns = 1795708370809666002LL;
    if (std::string(action) == "die") facts.exit_code = 0;
    if (std::string(action) == "create") facts.settings = &risky.settings;
    events.push_back(make_lifecycle_event(facts));
  }
  ExecFacts exec;
  exec.action = "exec_start";
  exec.container = ContainerIdentity::of(risky);
  exec.exec_id = "857c";
  exec.command = "id";
  events.push_back(make_exec_event(exec, 4096));
  exec.action = "exec_create";
  exec.details = ExecDetails{"857c", risky.info.id, "1000", false, true, "sh", {}};
  events.push_back(make_exec_event(exec, 4096));
  const auto result = validate(events);
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("ContainerLifecycle           5"), std::string::npos) << result.out;
}

TEST(ContainerEvents, SchemaRejectsWhatWeNeverSend) {
  const auto risky = fixture_record("risky");
  LifecycleFacts facts;
  facts.action = "paused";  // not a lifecycle action we report
  facts.container = ContainerIdentity::of(risky);
  EXPECT_EQ(validate({make_lifecycle_event(facts)}).exit_code, 1);
  facts.action = "start";
  Event wrong_category = make_lifecycle_event(facts);
  wrong_category.category = EventCategory::Periodic;
  EXPECT_EQ(validate({wrong_category}).exit_code, 1);
  Event extra = make_lifecycle_event(facts);
  extra.payload[0]["Env"] = "A=B";
  EXPECT_EQ(validate({extra}).exit_code, 1);
  Event bad_id = make_lifecycle_event(facts);
  bad_id.payload[0]["ContainerId"] = "52e50525ce75";
  EXPECT_EQ(validate({bad_id}).exit_code, 1);
}
