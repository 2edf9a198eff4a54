#include "collectors/firewall/firewall_collector.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "collectors/firewall/firewall_snapshot.h"
#include "collectors/firewall/iptables_save_parser.h"
#include "collectors/firewall/nft_json_parser.h"
#include "core/log.h"
#include "core/strings.h"

namespace edgeguard {
namespace {

using namespace firewall;

std::shared_ptr<spdlog::logger> logger() { return log::get("collector.firewall"); }

std::string dirs_text(const std::vector<std::filesystem::path>& dirs) {
  std::vector<std::string> parts;
  for (const auto& dir : dirs) parts.push_back(dir.string());
  return join(parts, ":");
}

std::string command_text(const std::filesystem::path& program, const std::vector<std::string>& arguments) {
  std::string text = program.string();
  for (const auto& argument : arguments) text += " " + argument;
  return text;
}

// What a run of one tool gives the collector: its output, or a CollectorError naming it.
std::string output_of(const std::filesystem::path& program, const std::vector<std::string>& arguments,
                      const ToolLimits& limits) {
  ToolResult result;
  try {
    result = run_tool(program, arguments, limits);
  } catch (const std::system_error& error) {
    throw CollectorError("firewall: " + std::string(error.what()));
  }
  if (!result.ok()) {
    throw CollectorError("firewall: `" + command_text(program, arguments) + "` failed (" + result.failure() + ")");
  }
  return std::move(result.out);
}

// Which iptables-save speaks to which backend. Debian and most distributions install both
// variants under their own names; older or minimal systems only have iptables-save, whose
// --version says "(legacy)" or "(nf_tables)" (before iptables 1.8 there was only legacy).
std::optional<std::filesystem::path> find_save_tool(const FirewallCollectorOptions& options, const std::string& family,
                                                    bool legacy) {
  const std::string base = family == "ip6" ? "ip6tables" : "iptables";
  if (auto tool = find_tool(options.tool_dirs, base + (legacy ? "-legacy-save" : "-nft-save"))) return tool;
  const auto plain = find_tool(options.tool_dirs, base + "-save");
  if (!plain) return std::nullopt;
  try {
    const ToolResult version = run_tool(*plain, {"--version"}, options.limits);
    if (!version.ok()) return std::nullopt;
    const bool nf_tables = version.out.find("nf_tables") != std::string::npos;
    if (nf_tables != legacy) return plain;
  } catch (const std::system_error&) {
  }
  return std::nullopt;
}

// Legacy (x_tables) tables of this network namespace, from /proc/self/net/ip_tables_names.
// The file is absent when the kernel has no legacy iptables (or its module is not loaded).
std::vector<std::string> legacy_table_names(const std::filesystem::path& file) {
  const int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return {};
    throw CollectorError("firewall: cannot read " + file.string() + ": " + std::strerror(errno));
  }
  std::string text;
  char buffer[4096];
  ssize_t n = 0;
  while ((n = read(fd, buffer, sizeof(buffer))) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) text.append(buffer, static_cast<size_t>(n));
  }
  const int error = errno;
  close(fd);
  if (n < 0) throw CollectorError("firewall: cannot read " + file.string() + ": " + std::strerror(error));
  std::vector<std::string> names;
  for (const auto line : split(text, '\n')) {
    const auto name = trim(line);
    if (!name.empty()) names.emplace_back(name);
  }
  return names;
}

}  // namespace

FirewallCollector::FirewallCollector(Statistics& statistics, FirewallCollectorOptions options)
    : statistics_(statistics), options_(std::move(options)) {}

std::vector<Event> FirewallCollector::collect(const CollectorContext& context) {
  const Priority priority = context.config.priority_of(kEventName);
  const auto report_problems = [&](const std::string& source, const std::vector<std::string>& problems,
                                   size_t lost_rules) {
    // The first few name their line; a dump that is wrong throughout should not flood the log.
    constexpr size_t kShown = 10;
    for (size_t i = 0; i < problems.size() && i < kShown; ++i) logger()->warn("{}: {}", source, problems[i]);
    if (problems.size() > kShown) logger()->warn("{}: {} more problem(s) like these", source, problems.size() - kShown);
    if (lost_rules > 0) {
      logger()->error("{}: {} rule(s) could not be read and are missing from the snapshot", source, lost_rules);
      if (priority != Priority::Off) statistics_.dropped(priority, drop_reason::kParseFailure, lost_rules);
    }
  };

  // nftables, through the nft program rather than libnftables in this process: the JSON
  // output of libnftables 1.0.6 (Debian 12) frees a table's flag string before printing it
  // (fixed upstream in 2023); in a child that can at worst fail one snapshot, never corrupt
  // the agent's heap. -t leaves out set elements (a blocklist can hold millions), -s counters.
  const auto nft = find_tool(options_.tool_dirs, "nft");
  if (!nft) {
    throw CollectorError("firewall: no nft program in " + dirs_text(options_.tool_dirs) +
                         " to read the nftables ruleset (Debian package nftables)");
  }
  const std::vector<std::string> nft_arguments{"-j", "-t", "-s", "list", "ruleset"};
  NftRuleset nftables;
  try {
    nftables = parse_nft_json(output_of(*nft, nft_arguments, options_.limits));
  } catch (const RulesetFormatError& error) {
    if (priority != Priority::Off) statistics_.dropped(priority, drop_reason::kParseFailure);
    throw CollectorError("firewall: `" + command_text(*nft, nft_arguments) + "`: " + error.what());
  }
  report_problems("nftables", nftables.problems, nftables.lost_rules);

  std::vector<IptablesDump> iptables_nft;
  for (const auto& family : iptables_nft_candidate_families(nftables)) {
    const auto tool = find_save_tool(options_, family, false);
    if (!tool) {
      // The rules are still reported, from the nftables JSON, with xt matches by name only.
      logger()->warn("no {}tables-nft-save in {}: the {} tables iptables-nft may own are read from nftables, "
                     "where its xt matches and targets show only by name",
                     family == "ip6" ? "ip6" : "ip", dirs_text(options_.tool_dirs), family);
      continue;
    }
    iptables_nft.push_back(parse_iptables_save(output_of(*tool, {}, options_.limits), kBackendIptablesNft, family));
    report_problems(tool->filename().string(), iptables_nft.back().problems, iptables_nft.back().lost_rules);
  }

  std::vector<IptablesDump> iptables_legacy;
  for (const char* family_name : {"ip", "ip6"}) {
    const std::string family = family_name;
    const auto names_file = options_.proc_net / (family == "ip6" ? "ip6_tables_names" : "ip_tables_names");
    const auto names = legacy_table_names(names_file);
    if (names.empty()) continue;
    const auto tool = find_save_tool(options_, family, true);
    if (!tool) {
      throw CollectorError("firewall: legacy " + std::string(family == "ip6" ? "ip6tables" : "iptables") +
                           " tables (" + join(names, ", ") + ") exist in this network namespace but there is no " +
                           (family == "ip6" ? "ip6" : "ip") + "tables-legacy-save in " +
                           dirs_text(options_.tool_dirs) + " (Debian package iptables)");
    }
    iptables_legacy.push_back(
        parse_iptables_save(output_of(*tool, {}, options_.limits), kBackendIptablesLegacy, family));
    const auto& dump = iptables_legacy.back();
    report_problems(tool->filename().string(), dump.problems, dump.lost_rules);
    // A legacy table lives until its module is unloaded, so each one listed must be in the dump.
    for (const auto& name : names) {
      const bool printed = std::any_of(dump.tables.begin(), dump.tables.end(),
                                       [&](const IptablesTable& table) { return table.name == name; });
      if (!printed) {
        if (priority != Priority::Off) statistics_.dropped(priority, drop_reason::kParseFailure);
        throw CollectorError("firewall: `" + tool->string() + "` did not print the table " + name + " that " +
                             names_file.string() + " lists");
      }
    }
  }

  const auto rows = assemble_snapshot(&nftables, iptables_nft, iptables_legacy);
  auto events = make_firewall_events(rows, context.config.effective_message_limit());
  logger()->debug("{} rule(s) in {} event(s): nftables {} table(s), iptables-nft {} dump(s), iptables-legacy {} dump(s)",
                  rows.size(), events.size(), nftables.tables.size(), iptables_nft.size(), iptables_legacy.size());
  return events;
}

}  // namespace edgeguard
