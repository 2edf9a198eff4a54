#include "collectors/ports/proc_net.h"

#include <sys/socket.h>

#include <cstring>

#include "core/strings.h"

namespace edgeguard {
namespace {

template <typename Number>
bool parse_number(std::string_view text, Number& out, int base) {
  const auto value = parse_integer<Number>(text, base);
  if (value) out = *value;
  return value.has_value();
}

// "0100007F:0035" -> bytes in network order + port. IPv4: one word; IPv6: four words.
bool parse_endpoint(std::string_view text, int family, std::array<uint8_t, 16>& address, uint16_t& port) {
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos) return false;
  const auto hex = text.substr(0, colon);
  const size_t words = family == AF_INET6 ? 4 : 1;
  if (hex.size() != words * 8) return false;
  address.fill(0);
  for (size_t w = 0; w < words; ++w) {
    uint32_t word = 0;
    if (!parse_number(hex.substr(w * 8, 8), word, 16)) return false;
    std::memcpy(address.data() + w * 4, &word, sizeof(word));  // the kernel printed it from memory
  }
  const auto port_text = text.substr(colon + 1);
  return port_text.size() == 4 && parse_number(port_text, port, 16);
}

}  // namespace

ProcNetTable parse_proc_net(std::string_view text, Transport transport, int family) {
  ProcNetTable table;
  size_t number = 0;
  for (const auto raw : split(text, '\n')) {
    ++number;
    const auto line = trim(raw);
    if (line.empty() || starts_with(line, "sl ")) continue;
    const auto fields = split_whitespace(line);
    if (fields.size() < 10 || fields[0].empty() || fields[0].back() != ':') {
      table.problems.push_back({number, "expected \"sl local_address rem_address st ... uid timeout inode\""});
      continue;
    }
    SocketRecord socket;
    socket.transport = transport;
    socket.family = family;
    if (!parse_endpoint(fields[1], family, socket.local, socket.local_port)) {
      table.problems.push_back({number, "local address " + quoted(fields[1]) + " is not HEX:PORT"});
      continue;
    }
    if (!parse_endpoint(fields[2], family, socket.remote, socket.remote_port)) {
      table.problems.push_back({number, "remote address " + quoted(fields[2]) + " is not HEX:PORT"});
      continue;
    }
    if (fields[3].size() != 2 || !parse_number(fields[3], socket.state, 16)) {
      table.problems.push_back({number, "state " + quoted(fields[3]) + " is not two hex digits"});
      continue;
    }
    if (!parse_number(fields[7], socket.uid, 10)) {
      table.problems.push_back({number, "uid " + quoted(fields[7]) + " is not a number"});
      continue;
    }
    if (!parse_number(fields[9], socket.inode, 10)) {
      table.problems.push_back({number, "inode " + quoted(fields[9]) + " is not a number"});
      continue;
    }
    table.sockets.push_back(socket);
  }
  return table;
}

}  // namespace edgeguard
