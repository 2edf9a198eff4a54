#pragma once
// Where things are in a JSON text: JSON pointers (RFC 6901) for the paths in findings and error
// messages, and line:column of each value so SARIF results and messages point at the right line.
#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/json_pointer.h"

namespace edgeguard::analysis {

struct TextPosition {
  size_t line = 0;    // 1-based; 0 = unknown
  size_t column = 0;  // 1-based, in Unicode code points
  bool known() const { return line != 0; }
};

// "file:line:column", or just "file" when the position is unknown.
std::string describe_position(std::string_view file, const TextPosition& position);

// The line and column of a byte offset in `text` (a UTF-8 BOM is not counted).
TextPosition position_of_offset(std::string_view text, size_t offset);

// Indexes where every value of a JSON text starts. Hand-written because nlohmann/json 3.11 does
// not report positions of values; it is only run on text that nlohmann already parsed, and
// stops quietly on anything unexpected.
class JsonLocator {
 public:
  JsonLocator() = default;
  explicit JsonLocator(std::string_view text);

  // The position of the value at `pointer`, or else of its nearest ancestor present in the
  // text (paths into a createOptions string, or to a setting that is absent, land on the
  // closest value that exists).
  TextPosition find(std::string_view pointer) const;
  size_t size() const { return positions_.size(); }

 private:
  std::unordered_map<std::string, TextPosition> positions_;
};

}  // namespace edgeguard::analysis
