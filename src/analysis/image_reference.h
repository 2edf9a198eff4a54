#pragma once
// A container image reference split as the engine reads it: [registry/]path[:tag][@digest].
#include <string>
#include <string_view>

namespace edgeguard::analysis {

struct ImageReference {
  std::string repository;  // registry and path, without tag or digest
  std::string tag;         // empty when none
  std::string digest;      // "sha256:..." or empty
};

ImageReference parse_image_reference(std::string_view image);

// True when the reference holds a deployment-template placeholder ("${MODULES.x}", "$ACR/...").
bool image_has_placeholder(std::string_view image);

}  // namespace edgeguard::analysis
