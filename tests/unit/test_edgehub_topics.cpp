// Telemetry and twin topics of the edgeHub MQTT contract (reference sections 4.2 and 4.4).
#include <gtest/gtest.h>

#include "transport/edgehub/edgehub_sink.h"
#include "transport/edgehub/topics.h"

using namespace edgeguard;
using namespace edgeguard::edgehub;

TEST(TelemetryTopic, SecurityMessageGoldenTopic) {
  EXPECT_EQ(telemetry_topic("edge-01", "secagent", Channel{}),
            "devices/edge-01/modules/secagent/messages/events/"
            "%24.ct=application%2Fjson&%24.ce=utf-8&%24.ifid=urn%3Aazureiot%3ASecurity%3ASecurityAgent%3A1");
}

TEST(TelemetryTopic, ExtensionMessageGoesToItsOutputUnmarked) {
  const auto topic = telemetry_topic("edge-01", "secagent", Channel{"alerts"});
  EXPECT_EQ(topic, "devices/edge-01/modules/secagent/messages/events/%24.ct=application%2Fjson&%24.ce=utf-8&%24.on=alerts");
  EXPECT_EQ(topic.find("ifid"), std::string::npos);
  EXPECT_EQ(telemetry_topic("d", "m", Channel{"a b/c&d"}),
            "devices/d/modules/m/messages/events/%24.ct=application%2Fjson&%24.ce=utf-8&%24.on=a%20b%2Fc%26d");
}

TEST(TelemetryTopic, PerMessageOverheadIsUnder200BytesForTypicalIds) {
  EXPECT_LT(telemetry_topic("edge-01", "secagent", Channel{}).size(), 200u);
  EXPECT_LT(telemetry_topic("edge-01", "secagent", Channel{"containers"}).size(), 200u);
}

TEST(TelemetryTopic, ParsesWhatWeBuildBackToTheSameProperties) {
  const auto parsed = parse_telemetry_topic(telemetry_topic("edge-01", "secagent", Channel{}));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->device_id, "edge-01");
  EXPECT_EQ(parsed->module_id, "secagent");
  EXPECT_EQ(parsed->property("$.ct"), "application/json");
  EXPECT_EQ(parsed->property("$.ce"), "utf-8");
  EXPECT_EQ(parsed->property("$.ifid"), "urn:azureiot:Security:SecurityAgent:1");
  EXPECT_FALSE(parsed->property("$.on"));
}

TEST(TelemetryTopic, AcceptsTheFormsEdgeHubAccepts) {
  for (const char* topic : {"devices/d/modules/m/messages/events", "devices/d/modules/m/messages/events/",
                            "devices/d/modules/m/messages/events/a=1&b=2", "devices/d/modules/m/messages/events/a=1&b=2/"}) {
    std::string error;
    const auto parsed = parse_telemetry_topic(topic, &error);
    ASSERT_TRUE(parsed) << topic << ": " << error;
    EXPECT_EQ(parsed->device_id, "d");
    EXPECT_EQ(parsed->module_id, "m");
  }
  const auto bag = parse_telemetry_topic("devices/d/modules/m/messages/events/%24.on=x&flag&%24.on=y");
  ASSERT_TRUE(bag);
  EXPECT_EQ(bag->property("$.on"), "x");  // first occurrence wins
  EXPECT_EQ(bag->property("flag"), "");
}

TEST(TelemetryTopic, RejectsWhatEdgeHubWouldNotMatch) {
  for (const char* topic : {"", "devices/", "devices//modules/m/messages/events", "devices/d/modules//messages/events",
                            "devices/d/modules/m/messages/eventsX", "devices/d/module/m/messages/events",
                            "devices/d/modules/m/messages/events/a=1/b=2", "devices/d/modules/m/messages/events/a=%G1",
                            "devices/d/modules/m/messages/events/=v"}) {
    std::string error;
    EXPECT_FALSE(parse_telemetry_topic(topic, &error)) << topic;
    EXPECT_FALSE(error.empty()) << topic;
  }
}

TEST(TwinTopics, RequestTopics) {
  EXPECT_EQ(twin_get_topic("7"), "$iothub/twin/GET/?$rid=7");
  EXPECT_EQ(twin_reported_patch_topic("8"), "$iothub/twin/PATCH/properties/reported/?$rid=8");
}

TEST(TwinTopics, ParsesResponsesAndDesiredNotifications) {
  auto get = parse_twin_topic("$iothub/twin/res/200/?$rid=12");
  ASSERT_TRUE(get);
  EXPECT_EQ(get->kind, TwinTopic::Kind::Response);
  EXPECT_EQ(get->status, 200);
  EXPECT_EQ(get->rid, "12");
  EXPECT_FALSE(get->version);

  auto reported = parse_twin_topic("$iothub/twin/res/204/?$rid=13&$version=5");
  ASSERT_TRUE(reported);
  EXPECT_EQ(reported->status, 204);
  EXPECT_EQ(reported->version, 5);

  auto desired = parse_twin_topic("$iothub/twin/PATCH/properties/desired/?$version=9");
  ASSERT_TRUE(desired);
  EXPECT_EQ(desired->kind, TwinTopic::Kind::DesiredPatch);
  EXPECT_EQ(desired->version, 9);

  for (const char* bad : {"$iothub/twin/res/abc/?$rid=1", "$iothub/twin/res/", "$iothub/methods/POST/x/?$rid=1",
                          "$iothub/twin/PATCH/properties/desired/?$version=x", "$iothub/twin/res/200/$rid=1"}) {
    std::string error;
    EXPECT_FALSE(parse_twin_topic(bad, &error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

TEST(EdgeHubSize, CountsBodyPlusPropertyNamesAndValues) {
  // $.ct application/json (4+16) + $.ce utf-8 (4+5) + $.ifid urn:... (6+37)
  EXPECT_EQ(edgehub_message_size(Channel{}, 1000), 1000u + 20 + 9 + 43);
  EXPECT_EQ(edgehub_message_size(Channel{"alerts"}, 0), 20u + 9 + 4 + 6);
}
