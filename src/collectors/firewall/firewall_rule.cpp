#include "collectors/firewall/firewall_rule.h"

#include <vector>

#include "core/strings.h"

namespace edgeguard::firewall {
namespace {

// Cuts `text` to at most kMaxFieldBytes, never inside a UTF-8 sequence.
bool cap(std::string& text) {
  if (text.size() <= kMaxFieldBytes) return false;
  size_t end = kMaxFieldBytes - 3;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  text.resize(end);
  text += "...";
  return true;
}

}  // namespace

nlohmann::json to_payload_item(const FirewallRule& rule) {
  std::vector<std::string> truncated;
  nlohmann::json item = nlohmann::json::object();
  const auto put = [&](const char* key, const std::optional<std::string>& value) {
    if (!value) return;
    std::string text = *value;
    if (cap(text)) truncated.emplace_back(key);
    item[key] = std::move(text);
  };
  item["Priority"] = rule.priority;
  if (rule.direction) item["Direction"] = *rule.direction;
  put("ChainName", rule.chain);
  item["Enabled"] = rule.enabled;
  item["Action"] = rule.action;
  put("SourceAddress", rule.source_address);
  put("SourcePort", rule.source_port);
  put("DestinationAddress", rule.destination_address);
  put("DestinationPort", rule.destination_port);
  put("Protocol", rule.protocol);

  nlohmann::json extra = nlohmann::json::object();
  const auto put_extra = [&](const std::string& key, std::string value) {
    if (cap(value)) truncated.push_back(key);
    extra[key] = std::move(value);
  };
  put_extra("Backend", rule.backend);
  put_extra("Family", rule.family);
  put_extra("Table", rule.table);
  for (const auto& [key, value] : rule.details) put_extra(key, value);
  if (!truncated.empty()) extra["Truncated"] = join(truncated, ",");
  item["ExtraDetails"] = std::move(extra);
  return item;
}

std::string_view action_for_verdict(std::string_view verdict) {
  if (iequals(verdict, "accept")) return kAllow;
  if (iequals(verdict, "drop") || iequals(verdict, "reject")) return kDeny;
  return kOther;
}

std::optional<std::string> direction_for_hook(std::string_view hook) {
  if (iequals(hook, "input")) return std::string("In");
  if (iequals(hook, "output")) return std::string("Out");
  return std::nullopt;
}

std::string protocol_name(std::string_view name) {
  const std::string lower = to_lower(name);
  if (lower == "ipv6-icmp" || lower == "icmpv6" || lower == "icmp6") return "ICMPV6";
  std::string upper(name);
  for (auto& c : upper) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return upper;
}

}  // namespace edgeguard::firewall
