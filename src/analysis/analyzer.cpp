#include "analysis/analyzer.h"

#include <fnmatch.h>

#include <algorithm>
#include <tuple>

#include "analysis/checks.h"
#include "analysis/image_reference.h"
#include "analysis/printable.h"
#include "core/strings.h"

namespace edgeguard::analysis {
namespace {

constexpr size_t kMaxShownValue = 120;

std::string fill(const std::string& text, const MessageVars& vars) {
  std::string out;
  out.reserve(text.size() + 32);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '{') {
      const size_t close = text.find('}', i);
      if (close != std::string::npos) {
        const std::string_view name(text.data() + i + 1, close - i - 1);
        const auto var = std::find_if(vars.begin(), vars.end(), [&](const auto& v) { return v.first == name; });
        if (var != vars.end()) {
          out += printable(var->second, kMaxShownValue);
          i = close;
          continue;
        }
      }
    }
    out += text[i];
  }
  return out;
}

bool matches_any(const std::vector<std::string>& patterns, const std::string& text) {
  return std::any_of(patterns.begin(), patterns.end(), [&](const std::string& pattern) {
    return fnmatch(pattern.c_str(), text.c_str(), FNM_CASEFOLD) == 0;
  });
}

}  // namespace

void Emitter::emit(std::string_view id, const std::string& module, bool is_agent, std::string path,
                   const MessageVars& vars, const EmitOptions& options) {
  const RuleInfo& rule = catalog_.rule(id);
  const auto message = rule.messages.find(options.variant);
  const std::string& text = message != rule.messages.end() ? message->second : rule.messages.at("default");
  Finding finding;
  finding.rule_id = rule.id;
  finding.rule_name = rule.name;
  if (options.severity) {
    finding.severity = *options.severity;
  } else if (const auto variant = rule.variant_severity.find(options.variant); variant != rule.variant_severity.end()) {
    finding.severity = variant->second;
  } else {
    finding.severity = rule.severity;
  }
  finding.module = module;
  finding.path = std::move(path);
  finding.message = fill(text, vars);
  finding.remediation = rule.remediation;
  if (is_agent && options.agent_need && rule.agent_severity && *rule.agent_severity < finding.severity) {
    finding.severity = *rule.agent_severity;
    finding.security_agent = true;
    finding.message += " (needed by the security agent)";
  }
  out_.push_back(std::move(finding));
}

std::vector<const EnvVar*> all_env(const ModuleSpec& module) {
  std::vector<const EnvVar*> out;
  out.reserve(module.env.size() + module.container.env.size());
  for (const auto& var : module.container.env) out.push_back(&var);
  for (const auto& var : module.env) out.push_back(&var);
  return out;
}

std::string env_path(const ModuleContext& context) {
  if (context.source == ModelSource::Engine) return pointer_append(context.module.container.config_path, "Env");
  return pointer_append(context.module.path, "env");
}

bool is_security_agent(const ModuleSpec& module, const RuleCatalog& catalog, const AgentRecognition& recognition) {
  if (!recognition.self_container_id.empty() && !module.container_id.empty()) {
    const std::string& self = recognition.self_container_id;
    return self.size() >= 12 && starts_with(module.container_id, self);
  }
  const auto& names = recognition.module_names.empty() ? catalog.security_agent.module_names : recognition.module_names;
  if (std::find(names.begin(), names.end(), module.name) == names.end()) return false;
  if (image_has_placeholder(module.image.value)) return false;
  const auto& patterns =
      recognition.image_patterns.empty() ? catalog.security_agent.image_patterns : recognition.image_patterns;
  return matches_any(patterns, parse_image_reference(module.image.value).repository);
}

void sort_findings(std::vector<Finding>& findings) {
  std::stable_sort(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) {
    return std::tie(b.severity, a.module, a.rule_id, a.path) < std::tie(a.severity, b.module, b.rule_id, b.path);
  });
}

void locate_findings(std::vector<Finding>& findings, const JsonLocator& locator) {
  for (auto& finding : findings) finding.position = locator.find(finding.path);
}

std::vector<Finding> analyze(const DeploymentModel& model, const RuleCatalog& catalog, const AnalysisOptions& options) {
  std::vector<Finding> findings;
  Emitter emitter(catalog, findings);
  std::vector<const ModuleSpec*> agents;
  for (const auto& module : model.modules) {
    const ModuleContext context{module, model.source, is_security_agent(module, catalog, options.agent)};
    if (context.is_agent) agents.push_back(&module);
    check_container(emitter, context);
    check_image(emitter, context);
    check_environment(emitter, context);
    check_edge_runtime_settings(emitter, context);
  }
  check_registry_credentials(emitter, model);
  check_security_routes(emitter, model, agents);
  sort_findings(findings);
  return findings;
}

}  // namespace edgeguard::analysis
