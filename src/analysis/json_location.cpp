#include "analysis/json_location.h"

#include <nlohmann/json.hpp>
#include <vector>

namespace edgeguard::analysis {
namespace {

size_t bom_length(std::string_view text) { return text.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0; }

bool is_continuation_byte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// A forward-only cursor that keeps line and column up to date as it moves.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text), offset_(bom_length(text)) {}

  bool at_end() const { return offset_ >= text_.size(); }
  char peek() const { return at_end() ? '\0' : text_[offset_]; }
  TextPosition position() const { return {line_, column_}; }

  void advance() {
    if (at_end()) return;
    const char c = text_[offset_++];
    if (c == '\n') {
      ++line_;
      column_ = 1;
    } else if (!is_continuation_byte(c)) {
      ++column_;
    }
  }
  void skip_whitespace() {
    while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) advance();
  }
  // Skips a string token starting at '"'; returns its raw text including the quotes.
  std::string_view skip_string() {
    const size_t start = offset_;
    advance();
    while (!at_end() && peek() != '"') {
      if (peek() == '\\') advance();
      advance();
    }
    advance();
    return text_.substr(start, offset_ - start);
  }
  // Skips a number or a literal (true, false, null).
  void skip_scalar() {
    while (!at_end()) {
      const char c = peek();
      if (c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r') break;
      advance();
    }
  }

 private:
  std::string_view text_;
  size_t offset_;
  size_t line_ = 1;
  size_t column_ = 1;
};

std::string decode_key(std::string_view raw) {
  if (raw.size() < 2) return {};
  if (raw.find('\\') == std::string_view::npos) return std::string(raw.substr(1, raw.size() - 2));
  try {
    return nlohmann::json::parse(raw).get<std::string>();
  } catch (const std::exception&) {
    return std::string(raw.substr(1, raw.size() - 2));
  }
}

struct Frame {
  bool is_array = false;
  size_t index = 0;
  std::string pointer;
  bool indexed = true;  // false below kMaxIndexedDepth: positions there fall back to an ancestor
};

// Findings and problems never point deeper than this; not indexing deeper keeps a crafted,
// deeply nested document from costing memory quadratic in its depth.
constexpr size_t kMaxIndexedDepth = 64;

}  // namespace

std::string describe_position(std::string_view file, const TextPosition& position) {
  std::string out(file);
  if (position.known()) {
    out += ':';
    out += std::to_string(position.line);
    out += ':';
    out += std::to_string(position.column);
  }
  return out;
}

TextPosition position_of_offset(std::string_view text, size_t offset) {
  Cursor cursor(text);
  const size_t end = std::min(offset, text.size());
  for (size_t i = bom_length(text); i < end; ++i) cursor.advance();
  return cursor.position();
}

JsonLocator::JsonLocator(std::string_view text) {
  Cursor cursor(text);
  std::vector<Frame> stack;
  std::string pointer;

  // Reads `"key" :` of an object member and sets `pointer` to the member's path.
  const auto read_member_key = [&](const Frame& frame) {
    cursor.skip_whitespace();
    if (cursor.peek() != '"') return false;
    const std::string_view key = cursor.skip_string();
    pointer = frame.indexed ? pointer_append(frame.pointer, decode_key(key)) : std::string();
    cursor.skip_whitespace();
    if (cursor.peek() != ':') return false;
    cursor.advance();
    return true;
  };

  while (true) {
    // A value starts here.
    cursor.skip_whitespace();
    if (cursor.at_end()) return;
    const bool indexed = stack.empty() || stack.back().indexed;
    if (indexed) positions_.insert_or_assign(pointer, cursor.position());
    const char c = cursor.peek();
    bool value_done = true;
    if (c == '{' || c == '[') {
      cursor.advance();
      stack.push_back(
          Frame{c == '[', 0, indexed ? pointer : std::string(), indexed && stack.size() < kMaxIndexedDepth});
      cursor.skip_whitespace();
      if (cursor.peek() == (c == '[' ? ']' : '}')) {
        cursor.advance();
        stack.pop_back();
      } else if (c == '[') {
        pointer = stack.back().indexed ? pointer_append(stack.back().pointer, size_t{0}) : std::string();
        value_done = false;
      } else {
        if (!read_member_key(stack.back())) return;
        value_done = false;
      }
    } else if (c == '"') {
      cursor.skip_string();
    } else {
      cursor.skip_scalar();
    }
    if (!value_done) continue;

    // After a value: close containers until the next sibling or the end.
    bool next_value = false;
    while (!stack.empty() && !next_value) {
      cursor.skip_whitespace();
      const char after = cursor.peek();
      Frame& frame = stack.back();
      if (after == ',') {
        cursor.advance();
        if (frame.is_array) {
          ++frame.index;
          pointer = frame.indexed ? pointer_append(frame.pointer, frame.index) : std::string();
        } else if (!read_member_key(frame)) {
          return;
        }
        next_value = true;
      } else if (after == (frame.is_array ? ']' : '}')) {
        cursor.advance();
        stack.pop_back();
      } else {
        return;  // not JSON: stop indexing
      }
    }
    if (!next_value) return;
  }
}

TextPosition JsonLocator::find(std::string_view pointer) const {
  std::string key(pointer);
  while (true) {
    if (const auto it = positions_.find(key); it != positions_.end()) return it->second;
    const size_t slash = key.rfind('/');
    if (key.empty() || slash == std::string::npos) return {};
    key.resize(slash);
  }
}

}  // namespace edgeguard::analysis
