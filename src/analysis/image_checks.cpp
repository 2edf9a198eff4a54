// Checks on a module's image reference: tag, digest, and the registry of the runtime's images.
#include <fnmatch.h>

#include <algorithm>

#include "analysis/checks.h"
#include "analysis/image_reference.h"
#include "core/strings.h"

namespace edgeguard::analysis {

void check_image(Emitter& e, const ModuleContext& m) {
  const std::string image(trim(m.module.image.value));
  if (image.empty() || image_has_placeholder(image)) return;  // unknown until the template is built
  const ImageReference ref = parse_image_reference(image);
  const std::string& path = m.module.image.path;
  if (ref.tag.empty() && ref.digest.empty()) e.emit(rule_id::kImageNoTag, m, path, {{"image", image}});
  if (ref.tag == "latest") e.emit(rule_id::kImageLatest, m, path, {{"image", image}});
  if (ref.digest.empty()) e.emit(rule_id::kImageNoDigest, m, path, {{"image", image}});

  if (!m.module.is_system()) return;
  const auto official = e.catalog().official_images.find(m.module.name);
  if (official == e.catalog().official_images.end() || official->second.empty()) return;
  const bool is_official = std::any_of(official->second.begin(), official->second.end(), [&](const std::string& p) {
    return fnmatch(p.c_str(), ref.repository.c_str(), FNM_CASEFOLD) == 0;
  });
  if (!is_official) {
    e.emit(rule_id::kSystemImage, m, path,
           {{"module", m.module.name}, {"image", image}, {"expected", official->second.front()}});
  }
}

}  // namespace edgeguard::analysis
