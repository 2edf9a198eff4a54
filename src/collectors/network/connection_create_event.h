#pragma once
// ConnectionCreate (schema v1.0): RemoteAddress, RemotePort, LocalAddress, LocalPort, Direction,
// Protocol, ProcessId, UserId, Executable, CommandLine and ExtraDetails, nothing else.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "collectors/process/command_line.h"
#include "collectors/process/kernel_records.h"
#include "core/container_catalog.h"
#include "core/event.h"

namespace edgeguard {

// "192.0.2.1" or "2001:db8::1"; an IPv4-mapped IPv6 address is written as IPv4.
std::string format_ip_address(int family, const std::array<uint8_t, 16>& address);
// 127.0.0.0/8, ::1 and IPv4-mapped loopback.
bool is_loopback_address(int family, const std::array<uint8_t, 16>& address);

struct ConnectionCreateFacts {
  const kernel::Connection* connection = nullptr;
  std::string_view executable;
  const CommandLine* command_line = nullptr;
  std::optional<std::string_view> user_name;
  std::string_view container_id;
  std::string_view process_name;  // when the executable is unknown
};

Event make_connection_create_event(const ConnectionCreateFacts& facts, const ContainerCatalog& catalog);

}  // namespace edgeguard
