#pragma once
// An incremental parser of one HTTP/1.x response: fed the bytes as they arrive, it reads the
// status line and headers, then the body framed by Content-Length, by Transfer-Encoding:
// chunked (extensions and trailers ignored) or by the end of the connection. Interim 1xx
// responses are skipped. Limits bound the head and the body; anything malformed or too large
// throws HttpError saying what was wrong.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "transport/http/http_error.h"

namespace edgeguard::http {

struct ResponseLimits {
  size_t max_head_bytes = 64 * 1024;  // status line and headers; trailers have the same bound
  size_t max_body_bytes = 1024 * 1024;  // the decoded body; unlimited for a stream
  // False when the response may carry secrets: error messages then describe malformed input
  // without quoting it.
  bool quote_input = true;

  static constexpr size_t kUnlimited = std::numeric_limits<size_t>::max();
};

class ResponseParser {
 public:
  // `no_body`: the answer to a HEAD request, whose headers describe a body that is not sent.
  explicit ResponseParser(ResponseLimits limits = {}, bool no_body = false);

  // Consumes bytes of the response and returns how many it used: all of them, unless the
  // response ended inside `data` (what follows is not part of it). Throws HttpError (Protocol,
  // TooLarge); after an error every call throws it again.
  size_t feed(std::string_view data);
  // The connection ended: completes a body that runs to the end of the connection; anything
  // unfinished throws HttpError (Closed before any byte, else Truncated).
  void finish();

  bool head_complete() const { return head_done_; }
  bool complete() const { return state_ == State::Complete; }
  bool failed() const { return state_ == State::Failed; }
  bool received_anything() const { return received_ > 0; }

  // Valid once head_complete().
  int status() const { return status_; }
  std::string_view reason() const { return reason_; }
  int minor_version() const { return minor_version_; }
  // The first header of that name (case-insensitive), its value without surrounding blanks.
  std::optional<std::string_view> header(std::string_view name) const;
  // Header names in lower case, in the order received.
  const std::vector<std::pair<std::string, std::string>>& headers() const { return headers_; }
  // Whether the connection can carry another request once this response is complete.
  bool keep_alive() const { return keep_alive_; }

  // The decoded body received so far (a stream's reader may take it piece by piece).
  std::string& body() { return body_; }
  // Decoded body bytes received in total, including those already taken.
  uint64_t body_bytes() const { return body_bytes_; }

 private:
  enum class State {
    StatusLine,
    HeaderLine,
    BodyLength,    // Content-Length bytes
    BodyToEnd,     // until the connection closes
    ChunkSize,
    ChunkData,
    ChunkDataEnd,  // the CRLF after a chunk's data
    TrailerLine,
    Complete,
    Failed,
  };

  enum class Line { Head, ChunkSize, ChunkEnd, Trailer };

  [[noreturn]] void fail(HttpError::Kind kind, const std::string& message);
  // Gathers one line into line_; true once it is complete (without its CRLF or LF).
  bool take_line(std::string_view data, size_t& pos, Line line);
  [[noreturn]] void line_too_long(Line line);
  void on_status_line();
  void on_header_line();
  void on_head_end();
  void on_chunk_size_line();
  void on_trailer_line();
  size_t take_body(std::string_view data, uint64_t max_bytes);
  std::string quoted(std::string_view text) const;

  ResponseLimits limits_;
  bool no_body_;
  State state_ = State::StatusLine;
  HttpError::Kind error_kind_ = HttpError::Kind::Protocol;
  std::string error_;
  std::string line_;
  size_t head_bytes_ = 0;  // of the current head (or of the trailers)
  uint64_t received_ = 0;

  bool head_done_ = false;
  int status_ = 0;
  int minor_version_ = 1;
  std::string reason_;
  std::vector<std::pair<std::string, std::string>> headers_;
  bool keep_alive_ = false;

  uint64_t remaining_ = 0;  // of the Content-Length body or of the current chunk
  uint64_t body_bytes_ = 0;
  std::string body_;
};

}  // namespace edgeguard::http
