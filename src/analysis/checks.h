#pragma once
// Internal to the analyzer: the context each group of checks receives and the one way they
// report a finding.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "analysis/deployment_model.h"
#include "analysis/finding.h"
#include "analysis/rule_catalog.h"

namespace edgeguard::analysis {

using MessageVars = std::vector<std::pair<std::string_view, std::string>>;

struct EmitOptions {
  std::string_view variant = "default";  // message variant of the rule
  std::optional<Severity> severity;      // from a table entry; default: the variant's or the rule's
  bool agent_need = false;               // a privilege the security agent needs (lowered for it)

  EmitOptions with_variant(std::string_view v) const {
    auto o = *this;
    o.variant = v;
    return o;
  }
  EmitOptions with_severity(Severity s) const {
    auto o = *this;
    o.severity = s;
    return o;
  }
  EmitOptions needed_by_agent(bool needed = true) const {
    auto o = *this;
    o.agent_need = needed;
    return o;
  }
};

struct ModuleContext {
  const ModuleSpec& module;
  ModelSource source;
  bool is_agent = false;
};

class Emitter {
 public:
  Emitter(const RuleCatalog& catalog, std::vector<Finding>& out) : catalog_(catalog), out_(out) {}
  const RuleCatalog& catalog() const { return catalog_; }

  // Reports rule `id` for `module` at `path`. Values in `vars` fill the message's {names};
  // they are shortened and stripped of control characters, so a manifest cannot forge
  // report lines. Never pass a secret value.
  void emit(std::string_view id, const std::string& module, bool is_agent, std::string path, const MessageVars& vars,
            const EmitOptions& options = {});
  void emit(std::string_view id, const ModuleContext& context, std::string path, const MessageVars& vars,
            const EmitOptions& options = {}) {
    emit(id, context.module.name, context.is_agent, std::move(path), vars, options);
    out_.back().container_id = context.module.container_id;
  }

 private:
  const RuleCatalog& catalog_;
  std::vector<Finding>& out_;
};

void check_container(Emitter& emitter, const ModuleContext& context);
void check_image(Emitter& emitter, const ModuleContext& context);
void check_environment(Emitter& emitter, const ModuleContext& context);
void check_registry_credentials(Emitter& emitter, const DeploymentModel& model);
void check_edge_runtime_settings(Emitter& emitter, const ModuleContext& context);
void check_security_routes(Emitter& emitter, const DeploymentModel& model,
                           const std::vector<const ModuleSpec*>& agents);

// Every environment variable of a module: its manifest env and createOptions/Config Env.
std::vector<const EnvVar*> all_env(const ModuleSpec& module);
// Where a module's environment is, for findings about an absent setting.
std::string env_path(const ModuleContext& context);

}  // namespace edgeguard::analysis
