#include "collectors/firewall/nft_json_parser.h"

#include <map>
#include <optional>
#include <set>

#include "core/strings.h"

namespace edgeguard::firewall {
namespace {

using nlohmann::json;

// Deeper nesting than any real rule has is shown as "..." (keeps recursion bounded).
constexpr int kMaxDepth = 24;

const json* member(const json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  const auto found = object.find(key);
  return found == object.end() ? nullptr : &*found;
}

std::optional<std::string> string_member(const json& object, const char* key) {
  const json* value = member(object, key);
  if (!value || !value->is_string()) return std::nullopt;
  return value->get<std::string>();
}

std::optional<int64_t> integer_member(const json& object, const char* key) {
  const json* value = member(object, key);
  if (!value || !value->is_number_integer()) return std::nullopt;
  return value->get<int64_t>();
}

// An object with exactly one member, as every nftables expression and statement is.
bool single(const json& value, std::string& key, const json*& inner) {
  if (!value.is_object() || value.size() != 1) return false;
  key = value.begin().key();
  inner = &value.begin().value();
  return true;
}

std::string quoted_if_needed(const std::string& text) {
  if (!text.empty() && text.find_first_of(" \t\"{},") == std::string::npos) return text;
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string render(const json& value, int depth);

std::string render_list(const json& array, std::string_view separator, int depth) {
  std::string out;
  for (const auto& item : array) {
    if (!out.empty()) out += separator;
    out += render(item, depth + 1);
  }
  return out;
}

std::string render_generic(const std::string& key, const json& inner, int depth) {
  std::string out = key;
  if (inner.is_null()) return out;
  if (!inner.is_object()) return out + " " + render(inner, depth + 1);
  for (const auto& [name, value] : inner.items()) {
    out += " " + name;
    if (!value.is_null()) out += " " + render(value, depth + 1);
  }
  return out;
}

std::string render_map(const std::string& kind, const json& inner, int depth) {
  std::string out;
  if (const json* key = member(inner, "key")) out = render(*key, depth + 1) + " ";
  out += kind;
  const json* data = member(inner, "data");
  if (!data) return out;
  const json* elements = member(*data, "set");
  if (!elements || !elements->is_array()) return out + " " + render(*data, depth + 1);
  std::string pairs;
  for (const auto& element : *elements) {
    if (!pairs.empty()) pairs += ", ";
    if (element.is_array() && element.size() == 2) {
      pairs += render(element[0], depth + 1) + " : " + render(element[1], depth + 1);
    } else {
      pairs += render(element, depth + 1);
    }
  }
  return out + " { " + pairs + " }";
}

std::string render_object(const std::string& key, const json& inner, int depth) {
  if (key == "payload") {
    const auto protocol = string_member(inner, "protocol");
    const auto field = string_member(inner, "field");
    if (protocol && field) return *protocol + " " + *field;
    const auto base = string_member(inner, "base");
    const auto offset = integer_member(inner, "offset");
    const auto length = integer_member(inner, "len");
    if (base && offset && length) return "@" + *base + "," + std::to_string(*offset) + "," + std::to_string(*length);
  } else if (key == "meta") {
    if (const auto meta_key = string_member(inner, "key")) return "meta " + *meta_key;
  } else if (key == "ct") {
    if (const auto ct_key = string_member(inner, "key")) {
      const auto dir = string_member(inner, "dir");
      return "ct " + (dir ? *dir + " " : std::string()) + *ct_key;
    }
  } else if (key == "prefix") {
    const json* addr = member(inner, "addr");
    const auto length = integer_member(inner, "len");
    if (addr && length) return render(*addr, depth + 1) + "/" + std::to_string(*length);
  } else if (key == "range") {
    if (inner.is_array() && inner.size() == 2) return render(inner[0], depth + 1) + "-" + render(inner[1], depth + 1);
  } else if (key == "set") {
    if (inner.is_array()) return "{ " + render_list(inner, ", ", depth) + " }";
    if (inner.is_string()) return inner.get<std::string>();
  } else if (key == "concat") {
    if (inner.is_array()) return render_list(inner, " . ", depth);
  } else if (key == "elem") {
    if (const json* val = member(inner, "val")) return render(*val, depth + 1);
  } else if (key == "&" || key == "|" || key == "^" || key == "<<" || key == ">>") {
    if (inner.is_array() && inner.size() == 2) {
      return render(inner[0], depth + 1) + " " + key + " " + render(inner[1], depth + 1);
    }
  } else if (key == "match") {
    const json* left = member(inner, "left");
    const json* right = member(inner, "right");
    const auto op = string_member(inner, "op").value_or("==");
    if (left && right) {
      const bool implicit = op == "==" || op == "in";
      return render(*left, depth + 1) + " " + (implicit ? std::string() : op + " ") + render(*right, depth + 1);
    }
  } else if (key == "jump" || key == "goto") {
    if (const auto target = string_member(inner, "target")) return key + " " + *target;
  } else if (key == "vmap" || key == "map") {
    return render_map(key, inner, depth);
  } else if (key == "reject") {
    // {"type": "icmpx", "expr": "admin-prohibited"} -> "reject with icmpx admin-prohibited"
    std::string out = "reject";
    if (const auto type = string_member(inner, "type")) out += " with " + *type;
    if (const json* code = member(inner, "expr")) out += " " + render(*code, depth + 1);
    return out;
  } else if (key == "limit") {
    const auto rate = integer_member(inner, "rate");
    const auto per = string_member(inner, "per");
    if (rate && per) {
      const json* inverted = member(inner, "inv");
      const bool over = inverted && inverted->is_boolean() && inverted->get<bool>();
      const auto unit = string_member(inner, "rate_unit");
      std::string out = "limit rate " + std::string(over ? "over " : "") + std::to_string(*rate) +
                        (unit ? " " + *unit : std::string()) + "/" + *per;
      if (const auto burst = integer_member(inner, "burst")) out += " burst " + std::to_string(*burst);
      return out;
    }
  } else if (key == "snat" || key == "dnat" || key == "masquerade" || key == "redirect") {
    // {"addr": "10.0.0.5", "port": 80} -> "dnat to 10.0.0.5:80"
    if (inner.is_null()) return key;
    const json* addr = member(inner, "addr");
    const json* port = member(inner, "port");
    if (inner.is_object() && (addr || port)) {
      std::string out = key + " to ";
      if (addr) out += render(*addr, depth + 1);
      if (port) out += ":" + render(*port, depth + 1);
      if (const json* flags = member(inner, "flags")) out += " " + render(*flags, depth + 1);
      return out;
    }
  } else if (key == "xt") {
    const auto type = string_member(inner, "type");
    const auto name = string_member(inner, "name");
    if (type && name) return "xt " + *type + " " + *name;
  }
  return render_generic(key, inner, depth);
}

std::string render(const json& value, int depth) {
  if (depth > kMaxDepth) return "...";
  switch (value.type()) {
    case json::value_t::null: return "";
    case json::value_t::string: return quoted_if_needed(value.get<std::string>());
    case json::value_t::boolean: return value.get<bool>() ? "true" : "false";
    case json::value_t::number_integer: return std::to_string(value.get<int64_t>());
    case json::value_t::number_unsigned: return std::to_string(value.get<uint64_t>());
    case json::value_t::number_float: return value.dump();
    case json::value_t::array: return render_list(value, ",", depth);
    case json::value_t::object: {
      std::string key;
      const json* inner = nullptr;
      if (single(value, key, inner)) return render_object(key, *inner, depth);
      std::string out;
      for (const auto& [name, item] : value.items()) {
        if (!out.empty()) out += " ";
        out += name + " " + render(item, depth + 1);
      }
      return out;
    }
    default: return "?";
  }
}

// A match's right-hand side as a field value: "10.0.0.0/8", "80,443,8000-8100", "@blocklist".
std::optional<std::string> plain_value(const json& value, int depth = 0) {
  if (depth > 4) return std::nullopt;
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer()) return std::to_string(value.get<int64_t>());
  if (value.is_number_unsigned()) return std::to_string(value.get<uint64_t>());
  if (value.is_array()) {  // "in" with flags, or the members of a set
    std::vector<std::string> parts;
    for (const auto& item : value) {
      auto part = plain_value(item, depth + 1);
      if (!part) return std::nullopt;
      parts.push_back(std::move(*part));
    }
    return join(parts, ",");
  }
  std::string key;
  const json* inner = nullptr;
  if (!single(value, key, inner)) return std::nullopt;
  if (key == "prefix") {
    const auto addr = string_member(*inner, "addr");
    const auto length = integer_member(*inner, "len");
    if (addr && length) return *addr + "/" + std::to_string(*length);
  } else if (key == "range") {
    if (inner->is_array() && inner->size() == 2) {
      const auto low = plain_value((*inner)[0], depth + 1);
      const auto high = plain_value((*inner)[1], depth + 1);
      if (low && high) return *low + "-" + *high;
    }
  } else if (key == "set") {
    if (inner->is_string()) return inner->get<std::string>();
    if (inner->is_array()) return plain_value(*inner, depth + 1);
  } else if (key == "elem") {
    if (const json* val = member(*inner, "val")) return plain_value(*val, depth + 1);
  }
  return std::nullopt;
}

// Transport protocols whose header a payload expression names ("tcp dport" implies TCP).
const std::set<std::string, std::less<>>& transport_protocols() {
  static const std::set<std::string, std::less<>> names{"tcp",  "udp",    "udplite", "sctp", "dccp",
                                                        "icmp", "icmpv6", "igmp",    "esp",  "ah"};
  return names;
}

void set_once(std::optional<std::string>& field, std::string value) {
  // A second condition on the same field (rare) stays in "Rule" only.
  if (!field) field = std::move(value);
}

// Ports compared with <, <=, >, >= as the range they select.
std::optional<std::string> port_comparison(const std::string& op, const json& right) {
  if (!right.is_number_integer()) return std::nullopt;
  const int64_t port = right.get<int64_t>();
  if (port < 0 || port > 65535) return std::nullopt;
  if (op == "<" && port > 0) return "0-" + std::to_string(port - 1);
  if (op == "<=") return "0-" + std::to_string(port);
  if (op == ">" && port < 65535) return std::to_string(port + 1) + "-65535";
  if (op == ">=") return std::to_string(port) + "-65535";
  return std::nullopt;
}

struct RuleFacts {
  std::optional<std::string> implied_protocol;
  bool has_verdict = false;
};

void read_match(const json& match, FirewallRule& row, RuleFacts& facts) {
  const json* left = member(match, "left");
  const json* right = member(match, "right");
  if (!left || !right) return;
  const std::string op = string_member(match, "op").value_or("==");
  const bool equal = op == "==" || op == "in";
  const bool not_equal = op == "!=";
  const auto value = [&]() -> std::optional<std::string> {
    if (!equal && !not_equal) return std::nullopt;
    auto text = plain_value(*right);
    if (text && not_equal) *text = "!" + *text;
    return text;
  };
  const auto protocol_value = [&]() -> std::optional<std::string> {
    if (!equal && !not_equal) return std::nullopt;
    auto text = plain_value(*right);
    if (!text) return std::nullopt;
    std::vector<std::string> names;
    for (const auto part : split(*text, ',')) names.push_back(protocol_name(part));
    return (not_equal ? "!" : "") + join(names, ",");
  };

  if (const json* payload = member(*left, "payload")) {
    const auto protocol = string_member(*payload, "protocol");
    const auto field = string_member(*payload, "field");
    if (!protocol || !field) return;
    if ((*protocol == "ip" || *protocol == "ip6") && (*field == "saddr" || *field == "daddr")) {
      if (auto text = value()) set_once(*field == "saddr" ? row.source_address : row.destination_address, *text);
    } else if ((*protocol == "ip" && *field == "protocol") || (*protocol == "ip6" && *field == "nexthdr")) {
      if (auto text = protocol_value()) set_once(row.protocol, *text);
    } else if (*field == "sport" || *field == "dport") {
      if (*protocol != "th" && !transport_protocols().contains(*protocol)) return;
      auto text = value();
      if (!text) text = port_comparison(op, *right);
      if (text) set_once(*field == "sport" ? row.source_port : row.destination_port, *text);
      if (*protocol != "th") facts.implied_protocol = *protocol;
    } else if (transport_protocols().contains(*protocol)) {
      facts.implied_protocol = *protocol;
    }
    return;
  }
  if (const json* meta = member(*left, "meta")) {
    const auto key = string_member(*meta, "key");
    if (!key) return;
    if (*key == "l4proto") {
      if (auto text = protocol_value()) set_once(row.protocol, *text);
    } else if (*key == "iifname" || *key == "iif") {
      if (auto text = value()) row.details.emplace("InInterface", *text);
    } else if (*key == "oifname" || *key == "oif") {
      if (auto text = value()) row.details.emplace("OutInterface", *text);
    }
  }
}

// Statements after which the rule's packet goes no further in this chain.
bool is_terminal(const std::string& key) {
  static const std::set<std::string, std::less<>> names{"accept", "drop",       "reject",   "continue", "return",
                                                        "jump",   "goto",       "queue",    "vmap",     "snat",
                                                        "dnat",   "masquerade", "redirect"};
  return names.contains(key);
}

struct ChainState {
  std::string name;
  std::optional<std::string> hook;
  std::optional<std::string> type;
  std::optional<std::string> policy;
  std::optional<int64_t> prio;
  std::vector<FirewallRule> rules;
};

struct TableState {
  NftTable table;
  std::vector<ChainState> chains;
  std::map<std::string, size_t, std::less<>> index;

  ChainState& chain(const std::string& name) {
    const auto found = index.find(name);
    if (found != index.end()) return chains[found->second];
    index.emplace(name, chains.size());
    chains.push_back(ChainState{name, {}, {}, {}, {}, {}});
    return chains.back();
  }
};

class Reader {
 public:
  NftRuleset run(std::string_view text) {
    json document;
    try {
      document = json::parse(text);
    } catch (const json::exception& error) {
      throw RulesetFormatError(std::string("nftables JSON is malformed: ") + error.what());
    }
    const json* items = member(document, "nftables");
    if (!items || !items->is_array()) throw RulesetFormatError("nftables JSON has no \"nftables\" array");
    size_t position = 0;
    for (const auto& item : *items) {
      object(item, position++);
    }
    NftRuleset result;
    for (auto& state : tables_) result.tables.push_back(finish(state));
    result.problems = std::move(problems_);
    result.lost_rules = lost_rules_;
    return result;
  }

 private:
  void problem(size_t position, const std::string& what) {
    problems_.push_back("nftables[" + std::to_string(position) + "]: " + what);
  }

  TableState& table(const std::string& family, const std::string& name) {
    const auto key = family + " " + name;
    const auto found = table_index_.find(key);
    if (found != table_index_.end()) return tables_[found->second];
    table_index_.emplace(key, tables_.size());
    tables_.push_back(TableState{});
    tables_.back().table.family = family;
    tables_.back().table.name = name;
    return tables_.back();
  }

  void object(const json& item, size_t position) {
    std::string kind;
    const json* body = nullptr;
    if (!single(item, kind, body)) {
      problem(position, "not an object with one member");
      return;
    }
    if (kind == "table") {
      read_table(*body, position);
    } else if (kind == "chain") {
      read_chain(*body, position);
    } else if (kind == "rule") {
      read_rule(*body, position);
    }
    // metainfo, set, map, element, flowtable, counter, quota, ct helper...: not rules.
  }

  void read_table(const json& body, size_t position) {
    const auto family = string_member(body, "family");
    const auto name = string_member(body, "name");
    if (!family || !name) {
      problem(position, "table without family or name");
      return;
    }
    TableState& state = table(*family, *name);
    if (const json* flags = member(body, "flags")) {
      // One flag is a string, several an array (libnftables-json(5)).
      if (flags->is_string()) state.table.dormant = flags->get<std::string>() == "dormant";
      if (flags->is_array()) {
        for (const auto& flag : *flags) {
          if (flag.is_string() && flag.get<std::string>() == "dormant") state.table.dormant = true;
        }
      }
    }
  }

  void read_chain(const json& body, size_t position) {
    const auto family = string_member(body, "family");
    const auto table_name = string_member(body, "table");
    const auto name = string_member(body, "name");
    if (!family || !table_name || !name) {
      problem(position, "chain without family, table or name");
      return;
    }
    ChainState& chain = table(*family, *table_name).chain(*name);
    chain.hook = string_member(body, "hook");
    chain.type = string_member(body, "type");
    chain.policy = string_member(body, "policy");
    chain.prio = integer_member(body, "prio");
  }

  void read_rule(const json& body, size_t position) {
    const auto family = string_member(body, "family");
    const auto table_name = string_member(body, "table");
    const auto chain_name = string_member(body, "chain");
    const json* expressions = member(body, "expr");
    if (!family || !table_name || !chain_name || !expressions || !expressions->is_array()) {
      problem(position, "rule without family, table, chain or expr list");
      ++lost_rules_;
      return;
    }
    FirewallRule row;
    row.backend = kBackendNftables;
    row.family = *family;
    row.table = *table_name;
    row.chain = *chain_name;
    if (const auto handle = integer_member(body, "handle")) row.details["Handle"] = std::to_string(*handle);
    if (const auto comment = string_member(body, "comment")) row.details["Comment"] = *comment;

    RuleFacts facts;
    std::vector<std::string> text;
    for (const auto& expression : *expressions) {
      text.push_back(render(expression, 0));
      std::string key;
      const json* inner = nullptr;
      if (!single(expression, key, inner)) continue;
      if (key == "match") {
        read_match(*inner, row, facts);
      } else if (!facts.has_verdict && is_terminal(key)) {
        facts.has_verdict = true;
        row.action = std::string(action_for_verdict(key));
        row.details["Verdict"] = text.back();
      } else if (!facts.has_verdict && key == "xt" && string_member(*inner, "type") == "target") {
        // An iptables target kept by iptables-nft (REJECT, DNAT, LOG...): nft shows its name only.
        facts.has_verdict = true;
        row.action = std::string(action_for_verdict(string_member(*inner, "name").value_or("")));
        row.details["Verdict"] = text.back();
      }
    }
    if (!row.protocol && facts.implied_protocol) row.protocol = protocol_name(*facts.implied_protocol);
    row.details["Rule"] = join(text, " ");
    table(*family, *table_name).chain(*chain_name).rules.push_back(std::move(row));
  }

  static NftTable finish(TableState& state) {
    NftTable out = std::move(state.table);
    for (auto& chain : state.chains) {
      const bool base = chain.hook.has_value();
      const auto direction = base ? direction_for_hook(*chain.hook) : std::nullopt;
      int64_t priority = 0;
      for (auto& row : chain.rules) {
        row.priority = priority++;
        row.direction = direction;
        row.enabled = !out.dormant;
        if (base) row.details["Hook"] = *chain.hook;
        out.rows.push_back(std::move(row));
      }
      if (!base || !chain.policy) continue;
      FirewallRule policy;
      policy.backend = kBackendNftables;
      policy.family = out.family;
      policy.table = out.name;
      policy.chain = chain.name;
      policy.priority = priority;
      policy.direction = direction;
      policy.enabled = !out.dormant;
      policy.action = std::string(action_for_verdict(*chain.policy));
      policy.details["Policy"] = *chain.policy;
      policy.details["Hook"] = *chain.hook;
      if (chain.type) policy.details["ChainType"] = *chain.type;
      if (chain.prio) policy.details["ChainPriority"] = std::to_string(*chain.prio);
      out.rows.push_back(std::move(policy));
    }
    return out;
  }

  std::vector<TableState> tables_;
  std::map<std::string, size_t, std::less<>> table_index_;
  std::vector<std::string> problems_;
  size_t lost_rules_ = 0;
};

}  // namespace

NftRuleset parse_nft_json(std::string_view text) { return Reader().run(text); }

std::string render_nft_expression(const nlohmann::json& expression) { return render(expression, 0); }

}  // namespace edgeguard::firewall
