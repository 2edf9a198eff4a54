#pragma once
// One thing a deployment rule found: which rule, how bad, which module, where, what and how to fix it.
#include <string>
#include <vector>

#include "analysis/json_location.h"
#include "analysis/severity.h"

namespace edgeguard::analysis {

struct Finding {
  std::string rule_id;    // "EGD001"
  std::string rule_name;  // "PrivilegedContainer"
  Severity severity = Severity::Low;
  std::string module;        // module or container name; "$edgeAgent"/"$edgeHub" for deployment-wide settings
  std::string container_id;  // when analysed from the engine
  // JSON pointer of the offending setting in the source document. Settings inside a
  // createOptions string continue below it as if it were the object it holds
  // (".../settings/createOptions/HostConfig/Privileged"); an absent setting is named where it
  // belongs.
  std::string path;
  std::string message;  // one line; never contains a secret value
  std::string remediation;
  bool security_agent = false;  // lowered because the module is the recognised security agent
  TextPosition position;        // of `path` (or its nearest existing ancestor) in the source text
};

// Most severe first, then by module, rule and path: a stable order for every report.
void sort_findings(std::vector<Finding>& findings);

// Sets each finding's position from the source document's locator.
void locate_findings(std::vector<Finding>& findings, const JsonLocator& locator);

}  // namespace edgeguard::analysis
