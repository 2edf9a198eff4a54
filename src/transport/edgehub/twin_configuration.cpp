#include "transport/edgehub/twin_configuration.h"

#include "config/local_config_file.h"

namespace edgeguard::edgehub {
namespace {

using nlohmann::json;

const std::string kObject(kTwinConfigObject);

std::string where_in_desired() { return "module twin desired." + kObject; }

// Parses a twin document; on failure fills `problem` with the position of the error.
std::optional<json> parse_document(std::string_view body, const std::string& what, ConfigProblem& problem) {
  std::string error;
  auto document = parse_config_json(std::string(body), what, error);
  if (!document) problem = ConfigProblem{kObject, ConfigErrorType::TypeMismatch, error};
  return document;
}

std::optional<int64_t> version_of(const json& object) {
  if (object.is_object()) {
    const auto it = object.find("$version");
    if (it != object.end() && it->is_number_integer()) return it->get<int64_t>();
  }
  return std::nullopt;
}

}  // namespace

TwinConfiguration::TwinConfiguration(AgentConfig local) : local_(std::move(local)), in_force_(local_) {}

json TwinConfiguration::reported_patch() const { return json{{kObject, report_twin_settings(in_force_)}}; }

TwinUpdate TwinConfiguration::rejected(ConfigProblem problem) const {
  TwinUpdate update;
  update.outcome = TwinUpdate::Outcome::Rejected;
  update.config = in_force_;
  update.problems.push_back(std::move(problem));
  return update;
}

TwinUpdate TwinConfiguration::apply_full_twin(std::string_view body) {
  ConfigProblem problem;
  const auto document = parse_document(body, "module twin (GET response)", problem);
  if (!document) return rejected(std::move(problem));
  if (!document->is_object()) {
    return rejected({kObject, ConfigErrorType::TypeMismatch, "module twin (GET response): expected a JSON object"});
  }
  const auto desired = document->find("desired");
  if (desired == document->end() || desired->is_null()) {
    desired_object_ = nullptr;
    version_.reset();
    return recompute(std::nullopt);
  }
  if (!desired->is_object()) {
    return rejected({kObject, ConfigErrorType::TypeMismatch,
                     "module twin (GET response) /desired: expected an object"});
  }
  const auto object = desired->find(kObject);
  desired_object_ = object == desired->end() ? json(nullptr) : *object;
  version_ = version_of(*desired);
  return recompute(version_);
}

TwinUpdate TwinConfiguration::apply_desired_patch(std::string_view body) {
  ConfigProblem problem;
  const auto patch = parse_document(body, "module twin desired patch", problem);
  if (!patch) return rejected(std::move(problem));
  if (!patch->is_object()) {
    return rejected({kObject, ConfigErrorType::TypeMismatch, "module twin desired patch: expected a JSON object"});
  }
  const auto version = version_of(*patch);
  TwinUpdate update;
  update.config = in_force_;
  update.version = version;
  if (version && version_ && *version <= *version_) return update;  // already seen (or older)
  update.resync_needed = version && version_ && *version > *version_ + 1;
  if (version) version_ = version;

  const auto object = patch->find(kObject);
  if (object == patch->end()) return update;
  // RFC 7386 on our object: a non-object patch replaces it; null removes it.
  if (object->is_object() && desired_object_.is_object()) {
    desired_object_.merge_patch(*object);
  } else {
    desired_object_ = *object;
    if (desired_object_.is_object()) {
      // Nulls inside a replacing object delete nothing and must not be kept.
      json cleaned = json::object();
      cleaned.merge_patch(desired_object_);
      desired_object_ = std::move(cleaned);
    }
  }
  TwinUpdate result = recompute(version);
  result.resync_needed = update.resync_needed;
  return result;
}

TwinUpdate TwinConfiguration::recompute(std::optional<int64_t> version) {
  TwinUpdate update;
  update.version = version;
  if (!desired_object_.is_null() && !desired_object_.is_object()) {
    std::string type = desired_object_.is_array() ? "an array" : desired_object_.is_string() ? "a string" : "a value";
    return rejected({kObject, ConfigErrorType::TypeMismatch,
                     "module twin /desired/" + kObject + ": expected an object, got " + type});
  }
  const json object = desired_object_.is_null() ? json::object() : desired_object_;
  ConfigApplyResult applied = apply_twin_settings(object, local_, where_in_desired());
  update.unknown_keys = std::move(applied.unknown_keys);
  if (!applied.invalid.empty()) {
    update.outcome = TwinUpdate::Outcome::Rejected;
    update.config = in_force_;
    update.problems = std::move(applied.invalid);
    for (auto& bad : update.problems) bad.message += "; the whole update was rejected and the previous configuration stays in force";
    return update;
  }
  update.changed = !(applied.config == in_force_);
  in_force_ = std::move(applied.config);
  update.outcome = TwinUpdate::Outcome::Applied;
  update.config = in_force_;
  if (update.changed) update.problems = semantic_problems(in_force_);
  return update;
}

}  // namespace edgeguard::edgehub
