#include "collectors/network/connection_create_event.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include "collectors/process/process_create_event.h"

namespace edgeguard {
namespace {

bool is_v4_mapped(const std::array<uint8_t, 16>& a) {
  for (int i = 0; i < 10; ++i) {
    if (a[static_cast<size_t>(i)] != 0) return false;
  }
  return a[10] == 0xff && a[11] == 0xff;
}

}  // namespace

std::string format_ip_address(int family, const std::array<uint8_t, 16>& address) {
  char text[INET6_ADDRSTRLEN] = {};
  if (family == AF_INET6 && is_v4_mapped(address)) {
    inet_ntop(AF_INET, address.data() + 12, text, sizeof(text));
  } else {
    inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, address.data(), text, sizeof(text));
  }
  return text;
}

bool is_loopback_address(int family, const std::array<uint8_t, 16>& address) {
  if (family == AF_INET) return address[0] == 127;
  if (is_v4_mapped(address)) return address[12] == 127;
  for (int i = 0; i < 15; ++i) {
    if (address[static_cast<size_t>(i)] != 0) return false;
  }
  return address[15] == 1;
}

Event make_connection_create_event(const ConnectionCreateFacts& facts, const ContainerCatalog& catalog) {
  const kernel::Connection& c = *facts.connection;
  nlohmann::json payload = nlohmann::json::object();
  payload["RemoteAddress"] = format_ip_address(c.family, c.remote_address);
  payload["RemotePort"] = std::to_string(c.remote_port);
  payload["LocalAddress"] = format_ip_address(c.family, c.local_address);
  payload["LocalPort"] = std::to_string(c.local_port);
  payload["Direction"] = c.direction == kernel::Direction::In ? "In" : "Out";
  payload["Protocol"] = c.protocol;
  payload["ProcessId"] = c.pid;
  if (c.uid_known) payload["UserId"] = std::to_string(c.uid);
  payload["Executable"] = facts.executable;
  if (facts.command_line) payload["CommandLine"] = facts.command_line->text;

  nlohmann::json extra = nlohmann::json::object();
  if (facts.user_name) extra[extra_details::kUserName] = *facts.user_name;
  if (facts.command_line && facts.command_line->cut) extra[extra_details::kCommandLineTruncated] = "true";
  if (facts.executable.empty() && !facts.process_name.empty()) extra[extra_details::kProcessName] = facts.process_name;
  add_container_details(extra, facts.container_id, catalog);
  if (!extra.empty()) payload["ExtraDetails"] = std::move(extra);

  Event event = make_event("ConnectionCreate", EventCategory::Triggered, EventKind::Security,
                           nlohmann::json::array({std::move(payload)}));
  if (c.time != TimePoint{}) event.time = c.time;
  return event;
}

}  // namespace edgeguard
