#include "collectors/firewall/iptables_save_parser.h"

#include <algorithm>
#include <map>
#include <optional>

#include "core/strings.h"

namespace edgeguard::firewall {
namespace {

struct Token {
  std::string text;
  bool quoted = false;  // a quoted "!" or "-x" is a value, never negation or an option
  size_t begin = 0;     // where it starts in the line
};

// Splits a line as iptables-restore does: blanks separate words, double or single quotes group
// them, a backslash escapes the next character (iptables-save escapes " \ ' inside quotes).
// An unterminated quote runs to the end of the line.
std::vector<Token> tokenize(std::string_view line) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i >= line.size()) break;
    Token token;
    token.begin = i;
    char quote = 0;
    while (i < line.size()) {
      const char c = line[i];
      if (quote == 0 && (c == ' ' || c == '\t')) break;
      if (c == '\\' && i + 1 < line.size()) {
        token.text += line[i + 1];
        i += 2;
        continue;
      }
      if (quote == 0 && (c == '"' || c == '\'')) {
        quote = c;
        token.quoted = true;
      } else if (c == quote) {
        quote = 0;
      } else {
        token.text += c;
      }
      ++i;
    }
    tokens.push_back(std::move(token));
  }
  return tokens;
}

bool is_option(const Token& token) { return !token.quoted && token.text.size() > 1 && token.text[0] == '-'; }
bool is_bang(const Token& token) { return !token.quoted && token.text == "!"; }

// iptables-save writes a host as a /32 (/128) network; the schema's examples write a bare address.
std::string address(std::string_view text) {
  const bool v6 = text.find(':') != std::string_view::npos;
  const std::string_view host_mask = v6 ? "/128" : "/32";
  if (ends_with(text, host_mask)) text.remove_suffix(host_mask.size());
  return std::string(text);
}

std::string negated(bool negate, std::string text) { return negate ? "!" + text : text; }

struct ChainInfo {
  std::string name;
  std::optional<std::string> policy;  // nullopt for a user-defined chain ("-")
  std::vector<FirewallRule> rules;
};

struct TableBuilder {
  std::string name;
  std::vector<ChainInfo> chains;
  std::map<std::string, size_t, std::less<>> index;

  ChainInfo& chain(const std::string& chain_name) {
    const auto found = index.find(chain_name);
    if (found != index.end()) return chains[found->second];
    index.emplace(chain_name, chains.size());
    chains.push_back(ChainInfo{chain_name, std::nullopt, {}});
    return chains.back();
  }
};

class Parser {
 public:
  Parser(std::string_view backend, std::string_view family) : backend_(backend), family_(family) {
    dump_.backend = backend;
    dump_.family = family;
  }

  IptablesDump run(std::string_view text) {
    size_t line_number = 0;
    for (std::string_view raw : split(text, '\n')) {
      ++line_number;
      line(trim(raw), line_number);
    }
    if (table_) {
      problem(line_number, "table " + table_->name + " has no COMMIT line; the dump may be incomplete");
      finish_table(false, line_number);
    }
    return std::move(dump_);
  }

 private:
  void problem(size_t line_number, const std::string& what) {
    dump_.problems.push_back("line " + std::to_string(line_number) + ": " + what);
  }

  void line(std::string_view text, size_t number) {
    if (text.empty()) return;
    if (text.front() == '#') {
      comment(text);
      return;
    }
    if (text.front() == '*') {
      if (table_) {
        problem(number, "table " + table_->name + " has no COMMIT line before the next table");
        finish_table(false, number);
      }
      table_ = TableBuilder{};
      table_->name = std::string(trim(text.substr(1)));
      return;
    }
    if (text == "COMMIT") {
      if (!table_) {
        problem(number, "COMMIT outside a table");
        return;
      }
      finish_table(true, number);
      return;
    }
    // With --counters, iptables-save puts "[packets:bytes]" before each rule.
    if (text.front() == '[') {
      const size_t end = text.find(']');
      if (end != std::string_view::npos) text = trim(text.substr(end + 1));
      if (text.empty()) return;
    }
    if (text.front() == ':') {
      chain_declaration(text.substr(1), number);
      return;
    }
    if (starts_with(text, "-A ") || starts_with(text, "--append ")) {
      rule(text, number);
      return;
    }
    problem(number, "unrecognised line \"" + std::string(text.substr(0, 80)) + "\"");
    ++dump_.lost_rules;
  }

  void comment(std::string_view text) {
    // iptables-nft-save: "# Table `nat' is incompatible, use 'nft' tool." and
    // "# Table `filter' contains incompatible base-chains, use 'nft' tool to list them."
    constexpr std::string_view kPrefix = "# Table `";
    if (!starts_with(text, kPrefix)) return;
    const std::string_view rest = text.substr(kPrefix.size());
    const size_t end = rest.find('\'');
    if (end == std::string_view::npos || end == 0) return;
    if (rest.find("incompatible", end) == std::string_view::npos) return;
    dump_.incompatible_tables.emplace(rest.substr(0, end));
  }

  void chain_declaration(std::string_view text, size_t number) {
    if (!table_) {
      problem(number, "chain declared outside a table");
      return;
    }
    const auto tokens = tokenize(text);
    if (tokens.empty() || tokens[0].text.empty()) {
      problem(number, "chain declaration without a name");
      return;
    }
    ChainInfo& chain = table_->chain(tokens[0].text);
    if (tokens.size() > 1 && tokens[1].text != "-") chain.policy = tokens[1].text;
  }

  void rule(std::string_view text, size_t number) {
    const auto tokens = tokenize(text);
    if (tokens.size() < 2 || tokens[1].text.empty()) {
      problem(number, "rule without a chain name");
      ++dump_.lost_rules;
      return;
    }
    if (!table_) {
      problem(number, "rule for chain " + tokens[1].text + " outside a table");
      ++dump_.lost_rules;
      return;
    }
    FirewallRule row = base_row(tokens[1].text);
    // The rule as written after "-A CHAIN", verbatim.
    const size_t chain_at = text.find(' ');
    std::string_view spec = trim(text.substr(chain_at));
    spec = trim(spec.substr(std::min(spec.size(), spec.find(' '))));
    row.details["Rule"] = std::string(spec);
    read_options(text, tokens, row);
    ChainInfo& chain = table_->chain(row.chain);
    row.priority = static_cast<int64_t>(chain.rules.size());
    chain.rules.push_back(std::move(row));
  }

  FirewallRule base_row(const std::string& chain) const {
    FirewallRule row;
    row.backend = backend_;
    row.family = family_;
    row.table = table_->name;
    row.chain = chain;
    // INPUT and OUTPUT are reserved for the built-in chains on the input and output hooks.
    row.direction = direction_for_hook(chain == "INPUT" ? "input" : chain == "OUTPUT" ? "output" : "");
    return row;
  }

  void read_options(std::string_view line, const std::vector<Token>& tokens, FirewallRule& row) {
    bool negate = false;
    std::string match;
    const auto value_at = [&](size_t i) -> std::optional<std::string> {
      if (i + 1 < tokens.size()) return tokens[i + 1].text;
      return std::nullopt;
    };
    const auto set_once = [](std::optional<std::string>& field, std::string value) {
      // A second condition on the same field (rare) stays in "Rule" only.
      if (!field) field = std::move(value);
    };
    for (size_t i = 2; i < tokens.size(); ++i) {
      const Token& token = tokens[i];
      if (is_bang(token)) {
        negate = true;
        continue;
      }
      if (!is_option(token)) continue;  // a value of an option we do not interpret
      const std::string& option = token.text;
      const auto value = value_at(i);
      bool consumed = true;
      if (option == "-j" || option == "--jump") {
        if (!value) break;
        row.action = std::string(action_for_verdict(*value));
        row.details["Target"] = *value;
        // Everything after the target belongs to it; kept as written (quotes included).
        if (i + 2 < tokens.size()) row.details["TargetOptions"] = std::string(line.substr(tokens[i + 2].begin));
        return;
      }
      if (!value) break;  // a flag such as --syn or -f at the end
      if (option == "-s" || option == "--source") {
        set_once(row.source_address, negated(negate, address(*value)));
      } else if (option == "-d" || option == "--destination") {
        set_once(row.destination_address, negated(negate, address(*value)));
      } else if (option == "-p" || option == "--protocol") {
        set_once(row.protocol, negated(negate, protocol_name(*value)));
      } else if (option == "-i" || option == "--in-interface") {
        row.details.emplace("InInterface", negated(negate, *value));
      } else if (option == "-o" || option == "--out-interface") {
        row.details.emplace("OutInterface", negated(negate, *value));
      } else if (option == "-m" || option == "--match") {
        match = *value;
      } else if (option == "-g" || option == "--goto") {
        row.action = std::string(kOther);
        row.details["Goto"] = *value;
      } else if (option == "--dport" || option == "--destination-port" || option == "--dports" ||
                 option == "--destination-ports") {
        set_once(row.destination_port, negated(negate, iptables_port_list(*value)));
      } else if (option == "--sport" || option == "--source-port" || option == "--sports" ||
                 option == "--source-ports") {
        set_once(row.source_port, negated(negate, iptables_port_list(*value)));
      } else if (option == "--ports" && match == "multiport") {
        row.details.emplace("Ports", negated(negate, iptables_port_list(*value)));
      } else if (option == "--src-range" && match == "iprange") {
        set_once(row.source_address, negated(negate, *value));
      } else if (option == "--dst-range" && match == "iprange") {
        set_once(row.destination_address, negated(negate, *value));
      } else if (option == "--comment" && match == "comment") {
        row.details.emplace("Comment", *value);
      } else if (option == "--match-set" && match == "set" && i + 2 < tokens.size()) {
        // An ipset: "--match-set NAME src" tests the source address, "dst" the destination.
        const std::string& flags = tokens[i + 2].text;
        if (flags == "src") set_once(row.source_address, negated(negate, "@" + *value));
        if (flags == "dst") set_once(row.destination_address, negated(negate, "@" + *value));
        ++i;
      } else {
        consumed = false;
      }
      if (consumed) ++i;
      negate = false;
    }
  }

  void finish_table(bool committed, size_t number) {
    const bool seen = std::any_of(dump_.tables.begin(), dump_.tables.end(),
                                  [&](const IptablesTable& other) { return other.name == table_->name; });
    if (seen) {
      // A dump lists each table once; a second section cannot be told apart from the first.
      size_t rules = 0;
      for (const auto& chain : table_->chains) rules += chain.rules.size();
      problem(number, "table " + table_->name + " appears a second time; its " + std::to_string(rules) +
                          " rule(s) there are left out");
      dump_.lost_rules += rules;
      table_.reset();
      return;
    }
    IptablesTable table;
    table.name = table_->name;
    table.committed = committed;
    bool pristine = true;
    for (auto& chain : table_->chains) {
      if (!chain.policy || chain.policy != "ACCEPT" || !chain.rules.empty()) pristine = false;
      const auto count = static_cast<int64_t>(chain.rules.size());
      for (auto& row : chain.rules) table.rows.push_back(std::move(row));
      if (!chain.policy) continue;
      FirewallRule policy = base_row(chain.name);
      policy.priority = count;
      policy.action = std::string(action_for_verdict(*chain.policy));
      policy.details["Policy"] = *chain.policy;
      table.rows.push_back(std::move(policy));
    }
    table.pristine = pristine;
    dump_.tables.push_back(std::move(table));
    table_.reset();
  }

  std::string backend_;
  std::string family_;
  std::optional<TableBuilder> table_;
  IptablesDump dump_;
};

}  // namespace

std::string iptables_port_list(std::string_view text) {
  std::vector<std::string> parts;
  for (std::string_view part : split(text, ',')) {
    std::string item(part);
    const size_t colon = item.find(':');
    if (colon != std::string::npos) {
      // ":N" means from 0, "N:" up to 65535 (iptables' own reading of an open range).
      const std::string low = colon == 0 ? "0" : item.substr(0, colon);
      const std::string high = colon + 1 == item.size() ? "65535" : item.substr(colon + 1);
      item = low + "-" + high;
    }
    parts.push_back(std::move(item));
  }
  return join(parts, ",");
}

IptablesDump parse_iptables_save(std::string_view text, std::string_view backend, std::string_view family) {
  return Parser(backend, family).run(text);
}

}  // namespace edgeguard::firewall
