#include "analysis/manifest_reader.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "analysis/container_settings.h"
#include "core/strings.h"

namespace edgeguard::analysis {
namespace {

using nlohmann::json;

constexpr std::string_view kDesired = "properties.desired";
constexpr std::string_view kLayeredModulePrefix = "properties.desired.modules.";
constexpr std::string_view kLayeredRoutePrefix = "properties.desired.routes.";
constexpr size_t kMaxCreateOptionsChunks = 100;  // edgeAgent reads no more than this

struct Chunk {
  std::string key;
  std::string lower_key;
  std::string digits;
  const json* value;
};

class Reader {
 public:
  Reader(DeploymentModel& model, Problems& problems) : model_(model), problems_(problems) {}
  bool layered() const { return layered_; }

  void read_modules_content(const json& content, const std::string& path) {
    if (!expect_object(content, path, problems_) || content.is_null()) return;
    if (const auto it = content.find("$edgeAgent"); it != content.end()) {
      read_edge_agent_twin(*it, pointer_append(path, "$edgeAgent"));
    }
    if (const auto it = content.find("$edgeHub"); it != content.end()) {
      read_edge_hub_twin(*it, pointer_append(path, "$edgeHub"));
    }
  }

 private:
  // The one member `name` (any case) of `object`; a problem if it is written more than once,
  // since edgeAgent would use only one of them and the analysis could judge the other.
  std::optional<Member> single(const std::vector<Member>& found, const std::string& object_path,
                               std::string_view name) {
    if (found.size() > 1) {
      problems_.push_back(
          {pointer_append(object_path, found[1].key), "\"" + std::string(name) + "\" is given more than once (as \"" +
                                                          found[0].key + "\" and \"" + found[1].key + "\"); keep one"});
    }
    if (found.empty()) return std::nullopt;
    return found.front();
  }

  void read_edge_agent_twin(const json& twin, const std::string& path) {
    if (!expect_object(twin, path, problems_) || twin.is_null()) return;
    for (const auto& [key, value] : twin.items()) {
      const std::string key_path = pointer_append(path, key);
      if (key == kDesired) {
        read_edge_agent_desired(value, key_path);
      } else if (starts_with(key, kLayeredModulePrefix) && key.size() > kLayeredModulePrefix.size()) {
        layered_ = true;
        read_module(key.substr(kLayeredModulePrefix.size()), ModuleKind::Custom, value, key_path);
      }
    }
  }

  void read_edge_agent_desired(const json& desired, const std::string& path) {
    if (!expect_object(desired, path, problems_) || desired.is_null()) return;
    if (const std::optional<Member> runtime = single(members(desired, "runtime"), path, "runtime")) {
      read_runtime(*runtime->value, pointer_append(path, runtime->key));
    }
    if (const std::optional<Member> system = single(members(desired, "systemModules"), path, "systemModules")) {
      const std::string system_path = pointer_append(path, system->key);
      if (expect_object(*system->value, system_path, problems_)) {
        if (const std::optional<Member> agent =
                single(members(*system->value, "edgeAgent"), system_path, "edgeAgent")) {
          read_module("edgeAgent", ModuleKind::EdgeAgent, *agent->value, pointer_append(system_path, agent->key));
        }
        if (const std::optional<Member> hub = single(members(*system->value, "edgeHub"), system_path, "edgeHub")) {
          read_module("edgeHub", ModuleKind::EdgeHub, *hub->value, pointer_append(system_path, hub->key));
        }
      }
    }
    if (const std::optional<Member> modules = single(members(desired, "modules"), path, "modules")) {
      const std::string modules_path = pointer_append(path, modules->key);
      if (expect_object(*modules->value, modules_path, problems_) && modules->value->is_object()) {
        for (const auto& [name, definition] : modules->value->items()) {
          read_module(name, ModuleKind::Custom, definition, pointer_append(modules_path, name));
        }
      }
    }
  }

  void read_runtime(const json& runtime, const std::string& path) {
    if (!expect_object(runtime, path, problems_)) return;
    const std::optional<Member> settings = single(members(runtime, "settings"), path, "settings");
    if (!settings) return;
    const std::string settings_path = pointer_append(path, settings->key);
    if (!expect_object(*settings->value, settings_path, problems_)) return;
    const std::optional<Member> credentials =
        single(members(*settings->value, "registryCredentials"), settings_path, "registryCredentials");
    if (!credentials) return;
    const std::string credentials_path = pointer_append(settings_path, credentials->key);
    if (!expect_object(*credentials->value, credentials_path, problems_) || credentials->value->is_null()) return;
    for (const auto& [name, entry] : credentials->value->items()) {
      const std::string entry_path = pointer_append(credentials_path, name);
      if (!expect_object(entry, entry_path, problems_) || entry.is_null()) continue;
      RegistryCredential credential;
      credential.name = name;
      if (const std::optional<Member> address = single(members(entry, "address"), entry_path, "address")) {
        credential.address =
            read_string(*address->value, pointer_append(entry_path, address->key), problems_).value_or("");
      }
      if (const std::optional<Member> password = single(members(entry, "password"), entry_path, "password")) {
        credential.password.path = pointer_append(entry_path, password->key);
        credential.password.value =
            read_secret_string(*password->value, credential.password.path, problems_).value_or("");
      }
      model_.registry_credentials.push_back(std::move(credential));
    }
  }

  void read_module(const std::string& name, ModuleKind kind, const json& definition, const std::string& path) {
    if (!definition.is_object()) {
      problems_.push_back({path, "expected a module definition object, got " + json_type_name(definition)});
      return;
    }
    ModuleSpec module;
    module.name = name;
    module.kind = kind;
    module.path = path;
    const std::optional<Member> settings = single(members(definition, "settings"), path, "settings");
    const std::string settings_path = pointer_append(path, settings ? settings->key : "settings");
    if (!settings || !settings->value->is_object()) {
      problems_.push_back({settings_path, settings ? "expected an object with \"image\" and \"createOptions\", got " +
                                                         json_type_name(*settings->value)
                                                   : "the module has no \"settings\" (with its \"image\")"});
      return;
    }
    const json& values = *settings->value;
    if (const std::optional<Member> image = single(members(values, "image"), settings_path, "image")) {
      module.image.path = pointer_append(settings_path, image->key);
      if (!image->value->is_string()) {
        problems_.push_back(
            {module.image.path, "expected the image name as a string, got " + json_type_name(*image->value)});
      } else {
        module.image.value = image->value->get<std::string>();
      }
    }
    if (module.image.path.empty() || trim(module.image.value).empty()) {
      problems_.push_back({module.image.path.empty() ? pointer_append(settings_path, "image") : module.image.path,
                           "the module has no image"});
    }
    module.container = read_module_create_options(values, settings_path);
    if (const std::optional<Member> env = single(members(definition, "env"), path, "env")) {
      read_env(*env->value, pointer_append(path, env->key), module.env);
    }
    model_.modules.push_back(std::move(module));
  }

  // Joins createOptions, createOptions01, ... the way edgeAgent does: keys matched without
  // regard to case and ordered by name, the first without a number, then 01, 02... with no gap.
  ContainerSettings read_module_create_options(const json& settings, const std::string& settings_path) {
    std::vector<Chunk> chunks;
    for (const auto& [key, value] : settings.items()) {
      constexpr std::string_view name = "createoptions";
      std::string lower = to_lower(key);
      if (!starts_with(lower, name)) continue;
      std::string digits = lower.substr(name.size());
      if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) continue;
      chunks.push_back(Chunk{key, std::move(lower), std::move(digits), &value});
    }
    const std::string default_path = pointer_append(settings_path, "createOptions");
    if (chunks.empty()) return read_create_options(json::object(), default_path, problems_);
    std::sort(chunks.begin(), chunks.end(), [](const Chunk& a, const Chunk& b) { return a.lower_key < b.lower_key; });
    if (chunks.size() > kMaxCreateOptionsChunks) chunks.resize(kMaxCreateOptionsChunks);

    const std::string path = pointer_append(settings_path, chunks.front().key);
    if (chunks.size() == 1 && chunks.front().digits.empty() && chunks.front().value->is_object()) {
      return read_create_options(*chunks.front().value, path, problems_);  // template form
    }
    std::string joined;
    for (size_t index = 0; index < chunks.size(); ++index) {
      const Chunk& chunk = chunks[index];
      const bool numbered_right =
          index == 0 ? chunk.digits.empty()
                     : !chunk.digits.empty() && chunk.digits.size() <= 3 && std::stoul(chunk.digits) == index;
      if (!numbered_right) {
        const std::string expected =
            index == 0 ? "createOptions" : (index < 10 ? "createOptions0" : "createOptions") + std::to_string(index);
        problems_.push_back({pointer_append(settings_path, chunk.key),
                             "createOptions chunks must be numbered without a gap (createOptions, createOptions01, "
                             "createOptions02, ...): found \"" +
                                 chunk.key + "\" where \"" + expected + "\" was expected"});
        return read_create_options(json::object(), path, problems_);
      }
      if (chunk.value->is_string()) {
        joined += chunk.value->get_ref<const std::string&>();
      } else if (!chunk.value->is_null()) {
        problems_.push_back({pointer_append(settings_path, chunk.key),
                             "expected a createOptions chunk (a string), got " + json_type_name(*chunk.value)});
        return read_create_options(json::object(), path, problems_);
      }
    }
    Problems parse_problems;
    const auto options = parse_create_options(joined, path, parse_problems);
    if (!options) {
      for (auto& problem : parse_problems) {
        if (chunks.size() > 1) problem.message += " (joined from " + std::to_string(chunks.size()) + " chunks)";
        problems_.push_back(std::move(problem));
      }
      return read_create_options(json::object(), path, problems_);
    }
    return read_create_options(*options, path, problems_);
  }

  void read_env(const json& env, const std::string& path, std::vector<EnvVar>& out) {
    if (!expect_object(env, path, problems_) || env.is_null()) return;
    for (const auto& [name, entry] : env.items()) {
      const std::string entry_path = pointer_append(path, name);
      if (!entry.is_object()) {  // the value is not shown: it may be a secret
        problems_.push_back({entry_path, "expected {\"value\": ...}, got " + json_type_name(entry)});
        continue;
      }
      const std::optional<Member> value = single(members(entry, "value"), entry_path, "value");
      if (!value) continue;
      const std::string value_path = pointer_append(entry_path, value->key);
      if (auto text = read_secret_string(*value->value, value_path, problems_)) {
        out.push_back(EnvVar{name, *text, value_path});
      }
    }
  }

  void read_edge_hub_twin(const json& twin, const std::string& path) {
    if (!expect_object(twin, path, problems_) || twin.is_null()) return;
    for (const auto& [key, value] : twin.items()) {
      const std::string key_path = pointer_append(path, key);
      if (key == kDesired) {
        if (!expect_object(value, key_path, problems_) || value.is_null()) continue;
        // edgeHub's desired properties replace its whole route table: no "routes", no routes.
        model_.routes_complete = true;
        model_.routes_path = pointer_append(key_path, "routes");
        if (const std::optional<Member> routes = single(members(value, "routes"), key_path, "routes")) {
          model_.routes_path = pointer_append(key_path, routes->key);
          read_routes(*routes->value, model_.routes_path);
        }
      } else if (starts_with(key, kLayeredRoutePrefix) && key.size() > kLayeredRoutePrefix.size()) {
        layered_ = true;
        read_route(key.substr(kLayeredRoutePrefix.size()), value, key_path);
      }
    }
  }

  void read_routes(const json& routes, const std::string& path) {
    if (!expect_object(routes, path, problems_) || routes.is_null()) return;
    for (const auto& [name, value] : routes.items()) read_route(name, value, pointer_append(path, name));
  }

  // schemaVersion 1.0: "FROM ... INTO ..."; 1.1+: {"route": "...", "priority": n, "timeToLiveSecs": n}.
  void read_route(const std::string& name, const json& value, const std::string& path) {
    if (value.is_string()) {
      model_.routes.push_back(Route{name, value.get<std::string>(), path});
      return;
    }
    if (value.is_object()) {
      if (const std::optional<Member> route = single(members(value, "route"), path, "route");
          route && route->value->is_string()) {
        model_.routes.push_back(Route{name, route->value->get<std::string>(), pointer_append(path, route->key)});
        return;
      }
    }
    problems_.push_back({path, "expected a route: \"FROM ... INTO ...\" or {\"route\": \"FROM ... INTO ...\"}, got " +
                                   json_type_name(value) + " " + json_shown(value)});
  }

  DeploymentModel& model_;
  Problems& problems_;
  bool layered_ = false;
};

}  // namespace

ManifestReadResult read_manifest(std::string_view text) {
  ManifestReadResult result;
  result.model.source = ModelSource::Manifest;
  json document;
  try {
    document = json::parse(text);
  } catch (const json::parse_error& error) {
    std::string what = error.what();
    if (const auto at = what.find("syntax error"); at != std::string::npos) what = what.substr(at);
    const size_t offset = error.byte == 0 ? 0 : error.byte - 1;
    result.problems.push_back({"", "not valid JSON: " + what, position_of_offset(text, offset)});
    return result;
  } catch (const json::exception& error) {  // e.g. a number too large for a double
    result.problems.push_back({"", std::string("cannot be read as JSON: ") + error.what()});
    return result;
  }
  result.locator = JsonLocator(text);

  Reader reader(result.model, result.problems);
  if (!document.is_object()) {
    result.problems.push_back({"", "a deployment manifest is a JSON object, got " + json_type_name(document)});
  } else if (const auto content = document.find("modulesContent"); content != document.end()) {
    result.shape = document.contains("$schema-template") ? "deployment template" : "modulesContent";
    reader.read_modules_content(*content, "/modulesContent");
  } else if (const auto wrapper = document.find("content");
             wrapper != document.end() && wrapper->is_object() && wrapper->contains("modulesContent")) {
    result.shape = "at-scale deployment";
    reader.read_modules_content(wrapper->at("modulesContent"), "/content/modulesContent");
  } else {
    result.problems.push_back({"",
                               "not an IoT Edge deployment manifest: expected \"modulesContent\" at the top level "
                               "or under \"content\""});
  }
  if (reader.layered()) result.shape = "layered deployment";
  for (auto& problem : result.problems) {
    if (!problem.position.known()) problem.position = result.locator.find(problem.path);
  }
  return result;
}

}  // namespace edgeguard::analysis
