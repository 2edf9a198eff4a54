#pragma once
#include <string>

namespace edgeguard {
// A random (version 4) GUID in the 36-character lower-case form the schema requires.
std::string new_guid();
bool is_guid(const std::string& text);
}  // namespace edgeguard
