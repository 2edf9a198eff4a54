#include "transport/http/response_parser.h"

#include <algorithm>
#include <cstdio>

#include "core/strings.h"

namespace edgeguard::http {
namespace {

constexpr size_t kMaxChunkSizeLine = 1024;  // hex size plus extensions
constexpr size_t kMaxHexDigits = 16;        // a 64-bit size; more cannot be honest

bool is_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The comma-separated tokens of every header of one name, lower case, empty ones left out.
std::vector<std::string> header_tokens(const std::vector<std::pair<std::string, std::string>>& headers,
                                       std::string_view name) {
  std::vector<std::string> tokens;
  for (const auto& [key, value] : headers) {
    if (key != name) continue;
    for (const auto part : split(value, ',')) {
      const auto token = trim(part);
      if (!token.empty()) tokens.push_back(to_lower(token));
    }
  }
  return tokens;
}

bool has_token(const std::vector<std::string>& tokens, std::string_view token) {
  return std::find(tokens.begin(), tokens.end(), token) != tokens.end();
}

}  // namespace

ResponseParser::ResponseParser(ResponseLimits limits, bool no_body) : limits_(limits), no_body_(no_body) {}

std::optional<std::string_view> ResponseParser::header(std::string_view name) const {
  for (const auto& [key, value] : headers_) {
    if (iequals(key, name)) return std::string_view(value);
  }
  return std::nullopt;
}

void ResponseParser::fail(HttpError::Kind kind, const std::string& message) {
  state_ = State::Failed;
  error_kind_ = kind;
  error_ = message;
  line_.clear();
  throw HttpError(kind, message);
}

std::string ResponseParser::quoted(std::string_view text) const {
  if (!limits_.quote_input) return std::string();
  constexpr size_t kShown = 80;
  std::string out = " \"";
  for (const char c : text.substr(0, kShown)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7f || c == '"' || c == '\\') {
      char escaped[5];
      std::snprintf(escaped, sizeof(escaped), "\\x%02x", byte);
      out += escaped;
    } else {
      out += c;
    }
  }
  out += text.size() > kShown ? "...\"" : "\"";
  return out;
}

void ResponseParser::line_too_long(Line line) {
  switch (line) {
    case Line::Head:
      fail(HttpError::Kind::TooLarge, "the response head is larger than " + std::to_string(limits_.max_head_bytes) + " bytes");
    case Line::ChunkSize:
      fail(HttpError::Kind::Protocol, "a chunk size line is longer than " + std::to_string(kMaxChunkSizeLine) + " bytes");
    case Line::ChunkEnd:
      fail(HttpError::Kind::Protocol, "a chunk's data is longer than its chunk size");
    case Line::Trailer:
      fail(HttpError::Kind::TooLarge, "the trailers are larger than " + std::to_string(limits_.max_head_bytes) + " bytes");
  }
  fail(HttpError::Kind::Protocol, "unknown line");
}

bool ResponseParser::take_line(std::string_view data, size_t& pos, Line line) {
  size_t max_bytes = 0;  // of the line without its LF, including a CR
  switch (line) {
    case Line::Head:
    case Line::Trailer:
      max_bytes = limits_.max_head_bytes - std::min(limits_.max_head_bytes, head_bytes_);
      break;
    case Line::ChunkSize:
      max_bytes = kMaxChunkSizeLine;
      break;
    case Line::ChunkEnd:
      max_bytes = 1;
      break;
  }
  const size_t newline = data.find('\n', pos);
  const size_t end = newline == std::string_view::npos ? data.size() : newline;
  if (line_.size() + (end - pos) > max_bytes) line_too_long(line);
  line_.append(data.substr(pos, end - pos));
  if (newline == std::string_view::npos) {
    pos = data.size();
    return false;
  }
  pos = newline + 1;
  if (line == Line::Head || line == Line::Trailer) head_bytes_ += line_.size() + 1;
  if (!line_.empty() && line_.back() == '\r') line_.pop_back();
  if (line_.find_first_of(std::string_view("\r\0", 2)) != std::string::npos) {
    fail(HttpError::Kind::Protocol, "a stray CR or NUL inside a line of the response" + quoted(line_));
  }
  return true;
}

void ResponseParser::on_status_line() {
  const std::string_view line = line_;
  if (line.empty() && headers_.empty() && status_ == 0) return;  // blank lines before a response are tolerated
  // HTTP/1.x SP 3DIGIT [SP reason]
  const bool shaped = line.size() >= 12 && starts_with(line, "HTTP/1.") && is_digit(line[7]) && line[8] == ' ' &&
                      is_digit(line[9]) && is_digit(line[10]) && is_digit(line[11]) && (line.size() == 12 || line[12] == ' ');
  if (!shaped) {
    if (starts_with(line, "HTTP/") && !starts_with(line, "HTTP/1.")) {
      fail(HttpError::Kind::Protocol, "unsupported HTTP version in the status line" + quoted(line));
    }
    fail(HttpError::Kind::Protocol, "malformed status line" + quoted(line));
  }
  minor_version_ = line[7] - '0';
  status_ = *parse_integer<int>(line.substr(9, 3));
  if (status_ < 100 || status_ > 599) fail(HttpError::Kind::Protocol, "status code out of range" + quoted(line));
  reason_ = line.size() > 13 ? std::string(line.substr(13)) : std::string();
  headers_.clear();
  line_.clear();
  state_ = State::HeaderLine;
}

void ResponseParser::on_header_line() {
  const std::string_view line = line_;
  if (line.empty()) {
    line_.clear();
    on_head_end();
    return;
  }
  if (line.front() == ' ' || line.front() == '\t') {
    fail(HttpError::Kind::Protocol, "obsolete line folding in a response header" + quoted(line));
  }
  const size_t colon = line.find(':');
  const std::string_view name = line.substr(0, colon);
  if (colon == std::string_view::npos || name.empty() || !std::all_of(name.begin(), name.end(), is_token_char)) {
    fail(HttpError::Kind::Protocol, "malformed response header line" + quoted(line));
  }
  headers_.emplace_back(to_lower(name), std::string(trim(line.substr(colon + 1))));
  line_.clear();
}

void ResponseParser::on_head_end() {
  if (status_ < 200) {
    if (status_ == 101) fail(HttpError::Kind::Protocol, "unexpected 101 Switching Protocols (no upgrade was asked)");
    // An interim answer (100 Continue, 103 Early Hints): the real one follows.
    status_ = 0;
    headers_.clear();
    head_bytes_ = 0;
    state_ = State::StatusLine;
    return;
  }
  head_done_ = true;
  const auto connection = header_tokens(headers_, "connection");
  keep_alive_ = minor_version_ >= 1 ? !has_token(connection, "close") : has_token(connection, "keep-alive");

  if (no_body_ || status_ == 204 || status_ == 304) {
    state_ = State::Complete;
    return;
  }
  const auto codings = header_tokens(headers_, "transfer-encoding");
  const bool has_length = header("content-length").has_value();
  if (!codings.empty()) {
    if (codings.size() != 1 || codings.front() != "chunked") {
      std::string all;
      for (const auto& coding : codings) all += (all.empty() ? "" : ", ") + coding;
      fail(HttpError::Kind::Protocol, "unsupported Transfer-Encoding" + quoted(all) + " (only chunked is understood)");
    }
    // Both framings at once is how responses are smuggled: read it chunked, never reuse.
    if (has_length) keep_alive_ = false;
    state_ = State::ChunkSize;
    return;
  }
  if (has_length) {
    std::optional<uint64_t> length;
    for (const auto& [key, value] : headers_) {
      if (key != "content-length") continue;
      for (const auto part : split(value, ',')) {
        const auto parsed = parse_integer<uint64_t>(trim(part));
        if (!parsed || (length && *length != *parsed)) fail(HttpError::Kind::Protocol, "invalid Content-Length" + quoted(value));
        length = parsed;
      }
    }
    if (*length > limits_.max_body_bytes) {
      fail(HttpError::Kind::TooLarge, "the body (" + std::to_string(*length) + " bytes) is larger than the limit of " +
                                          std::to_string(limits_.max_body_bytes) + " bytes");
    }
    remaining_ = *length;
    state_ = remaining_ == 0 ? State::Complete : State::BodyLength;
    return;
  }
  keep_alive_ = false;  // the end of the connection is the end of the body
  state_ = State::BodyToEnd;
}

void ResponseParser::on_chunk_size_line() {
  const std::string_view line = line_;
  const std::string_view size_text = trim(line.substr(0, line.find(';')));
  const auto size = size_text.size() <= kMaxHexDigits ? parse_integer<uint64_t>(size_text, 16) : std::nullopt;
  if (!size) fail(HttpError::Kind::Protocol, "bad chunk size" + quoted(line) + " (expected hexadecimal digits)");
  line_.clear();
  if (*size == 0) {
    head_bytes_ = 0;
    state_ = State::TrailerLine;
    return;
  }
  if (*size > limits_.max_body_bytes - std::min<uint64_t>(limits_.max_body_bytes, body_bytes_)) {
    fail(HttpError::Kind::TooLarge, "the body is larger than the limit of " + std::to_string(limits_.max_body_bytes) + " bytes");
  }
  remaining_ = *size;
  state_ = State::ChunkData;
}

void ResponseParser::on_trailer_line() {
  const std::string_view line = line_;
  if (line.empty()) {
    state_ = State::Complete;
    return;
  }
  const size_t colon = line.find(':');
  const std::string_view name = line.substr(0, colon);
  if (colon == std::string_view::npos || name.empty() || !std::all_of(name.begin(), name.end(), is_token_char)) {
    fail(HttpError::Kind::Protocol, "malformed trailer line" + quoted(line));
  }
  line_.clear();  // trailers carry nothing this client uses
}

size_t ResponseParser::take_body(std::string_view data, uint64_t max_bytes) {
  const size_t n = static_cast<size_t>(std::min<uint64_t>(data.size(), max_bytes));
  if (n > limits_.max_body_bytes - std::min<uint64_t>(limits_.max_body_bytes, body_bytes_)) {
    fail(HttpError::Kind::TooLarge, "the body is larger than the limit of " + std::to_string(limits_.max_body_bytes) + " bytes");
  }
  body_.append(data.substr(0, n));
  body_bytes_ += n;
  return n;
}

size_t ResponseParser::feed(std::string_view data) {
  if (failed()) throw HttpError(error_kind_, error_);
  size_t pos = 0;
  while (pos < data.size() && state_ != State::Complete) {
    switch (state_) {
      case State::StatusLine:
        if (take_line(data, pos, Line::Head)) on_status_line();
        break;
      case State::HeaderLine:
        if (take_line(data, pos, Line::Head)) on_header_line();
        break;
      case State::BodyLength:
      case State::ChunkData: {
        const size_t n = take_body(data.substr(pos), remaining_);
        pos += n;
        remaining_ -= n;
        if (remaining_ == 0) state_ = state_ == State::BodyLength ? State::Complete : State::ChunkDataEnd;
        break;
      }
      case State::BodyToEnd:
        pos += take_body(data.substr(pos), data.size() - pos);
        break;
      case State::ChunkSize:
        if (take_line(data, pos, Line::ChunkSize)) on_chunk_size_line();
        break;
      case State::ChunkDataEnd:
        if (take_line(data, pos, Line::ChunkEnd)) {
          if (!line_.empty()) line_too_long(Line::ChunkEnd);
          state_ = State::ChunkSize;
        }
        break;
      case State::TrailerLine:
        if (take_line(data, pos, Line::Trailer)) on_trailer_line();
        break;
      case State::Complete:
      case State::Failed:
        break;
    }
  }
  received_ += pos;
  return pos;
}

void ResponseParser::finish() {
  switch (state_) {
    case State::Complete:
      return;
    case State::Failed:
      throw HttpError(error_kind_, error_);
    case State::BodyToEnd:
      state_ = State::Complete;
      return;
    case State::StatusLine:
    case State::HeaderLine:
      if (received_ == 0) fail(HttpError::Kind::Closed, "the connection closed before any response");
      fail(HttpError::Kind::Truncated, "the connection closed inside the response head");
    case State::BodyLength:
      fail(HttpError::Kind::Truncated, "the connection closed after " + std::to_string(body_bytes_) + " of " +
                                           std::to_string(body_bytes_ + remaining_) + " body bytes");
    case State::ChunkSize:
    case State::ChunkData:
    case State::ChunkDataEnd:
    case State::TrailerLine:
      fail(HttpError::Kind::Truncated,
           "the connection closed inside the chunked body after " + std::to_string(body_bytes_) + " bytes");
  }
}

}  // namespace edgeguard::http
