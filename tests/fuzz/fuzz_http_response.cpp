// HTTP/1.x responses as the parser meets them: the first byte chooses how the rest is cut into
// pieces (as reads from a socket would cut it) and whether input may be quoted in errors. The
// parser must end the same way whether it is fed the response whole or in pieces.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "transport/http/http_error.h"
#include "transport/http/response_parser.h"

using edgeguard::http::HttpError;
using edgeguard::http::ResponseLimits;
using edgeguard::http::ResponseParser;

namespace {

struct Outcome {
  bool failed = false;
  int kind = 0;
  std::string error;
  int status = 0;
  bool keep_alive = false;
  size_t consumed = 0;
  std::string body;

  bool operator==(const Outcome&) const = default;
};

// Feeds `input` in pieces of `stride` bytes (all at once for 0), then the end of the connection.
Outcome run(std::string_view input, size_t stride, const ResponseLimits& limits) {
  ResponseParser parser(limits);
  Outcome out;
  try {
    size_t pos = 0;
    while (pos < input.size() && !parser.complete()) {
      const size_t size = stride == 0 ? input.size() - pos : std::min(stride, input.size() - pos);
      const size_t used = parser.feed(input.substr(pos, size));
      out.consumed += used;
      pos += size;
    }
    parser.finish();
  } catch (const HttpError& error) {
    out.failed = true;
    out.kind = static_cast<int>(error.kind());
    out.error = error.what();
    out.consumed = 0;  // what was used before the error depends on the pieces
  }
  if (parser.head_complete()) {
    out.status = parser.status();
    out.keep_alive = parser.keep_alive();
    (void)parser.header("content-type");
  }
  out.body = parser.body();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  ResponseLimits limits;
  limits.max_head_bytes = 2048;
  limits.max_body_bytes = 16 * 1024;
  limits.quote_input = (mode & 0x80) == 0;
  const Outcome whole = run(input, 0, limits);
  const Outcome pieces = run(input, 1 + (mode & 0x1f), limits);
  if (!(whole == pieces)) std::abort();  // the framing depends on how the bytes arrived
  if (!whole.failed && whole.body.size() > limits.max_body_bytes) std::abort();
  return 0;
}
