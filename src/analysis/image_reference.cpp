#include "analysis/image_reference.h"

#include "analysis/lenient_json.h"
#include "core/strings.h"

namespace edgeguard::analysis {

ImageReference parse_image_reference(std::string_view image) {
  image = trim(image);
  ImageReference out;
  if (const size_t at = image.find('@'); at != std::string_view::npos) {
    out.digest = std::string(image.substr(at + 1));
    image = image.substr(0, at);
  }
  const size_t last_slash = image.rfind('/');
  const size_t colon = image.find(':', last_slash == std::string_view::npos ? 0 : last_slash + 1);
  if (colon != std::string_view::npos) {
    out.tag = std::string(image.substr(colon + 1));
    image = image.substr(0, colon);
  }
  out.repository = std::string(image);
  return out;
}

bool image_has_placeholder(std::string_view image) {
  image = trim(image);
  if (image.find("${") != std::string_view::npos || image.find("#{") != std::string_view::npos) return true;
  if (starts_with(image, "$") && !starts_with(image, "$upstream")) return true;
  for (const auto part : split(image, '/')) {
    if (is_placeholder(part)) return true;
  }
  return false;
}

}  // namespace edgeguard::analysis
