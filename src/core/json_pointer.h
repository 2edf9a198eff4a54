#pragma once
// JSON pointers (RFC 6901), as findings and parse errors name the place of a value.
#include <cstddef>
#include <string>
#include <string_view>

namespace edgeguard {

// `base` + "/" + the escaped reference token ("~" -> "~0", "/" -> "~1").
std::string pointer_append(std::string_view base, std::string_view key);
std::string pointer_append(std::string_view base, size_t index);

}  // namespace edgeguard
