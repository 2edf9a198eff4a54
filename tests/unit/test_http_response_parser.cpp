// The HTTP/1.x response parser: framing by Content-Length, chunked and end of connection, fed
// whole and split at every byte boundary, and a clear error for each kind of bad input.
#include <gtest/gtest.h>

#include <string>

#include "transport/http/http_error.h"
#include "transport/http/response_parser.h"

using namespace edgeguard::http;

namespace {

struct Parsed {
  int status = 0;
  std::string body;
  bool keep_alive = false;
  size_t consumed = 0;
};

// Feeds `pieces` in order, then the end of the connection if `eof`.
Parsed parse_pieces(const std::vector<std::string>& pieces, bool eof = false, ResponseLimits limits = {}) {
  ResponseParser parser(limits);
  Parsed out;
  for (const auto& piece : pieces) {
    out.consumed += parser.feed(piece);
    if (parser.complete()) break;
  }
  if (eof) parser.finish();
  EXPECT_TRUE(parser.complete());
  out.status = parser.status();
  out.body = parser.body();
  out.keep_alive = parser.keep_alive();
  return out;
}

Parsed parse(const std::string& text, bool eof = false, ResponseLimits limits = {}) {
  return parse_pieces({text}, eof, limits);
}

// The HttpError a response gives (fed whole, then the end of the connection).
HttpError error_of(const std::string& text, ResponseLimits limits = {}) {
  ResponseParser parser(limits);
  try {
    parser.feed(text);
    parser.finish();
  } catch (const HttpError& error) {
    return error;
  }
  ADD_FAILURE() << "no error for: " << text.substr(0, 200);
  return HttpError(HttpError::Kind::Io, "none");
}

const std::string kChunked =
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: application/json\r\n"
    "Transfer-Encoding: chunked\r\n"
    "\r\n"
    "5;name=value\r\nhello\r\n"
    "1A ; ext=\"quoted\"\r\nabcdefghijklmnopqrstuvwxyz\r\n"
    "1\r\n\n\r\n"
    "0\r\n"
    "X-Checksum: 42\r\n"
    "\r\n";
const std::string kChunkedBody = "helloabcdefghijklmnopqrstuvwxyz\n";

}  // namespace

TEST(HttpResponseParser, ContentLengthBody) {
  ResponseParser parser;
  const std::string text = "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length:  5 \r\n\r\nhello";
  EXPECT_EQ(parser.feed(text), text.size());
  ASSERT_TRUE(parser.complete());
  EXPECT_EQ(parser.status(), 404);
  EXPECT_EQ(parser.reason(), "Not Found");
  EXPECT_EQ(parser.minor_version(), 1);
  EXPECT_EQ(parser.header("CONTENT-TYPE"), "application/json");
  EXPECT_EQ(parser.header("content-length"), "5");
  EXPECT_FALSE(parser.header("X-Missing"));
  EXPECT_EQ(parser.body(), "hello");
  EXPECT_EQ(parser.body_bytes(), 5u);
  EXPECT_TRUE(parser.keep_alive());
}

TEST(HttpResponseParser, ZeroLengthAndBodilessAnswers) {
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").body, "");
  EXPECT_TRUE(parse("HTTP/1.1 204 No Content\r\n\r\n").keep_alive);
  EXPECT_EQ(parse("HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n").status, 304);
  ResponseParser head({}, /*no_body=*/true);
  head.feed("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
  EXPECT_TRUE(head.complete());
  EXPECT_EQ(head.body(), "");
}

TEST(HttpResponseParser, StatusLineWithoutReasonAndLfOnlyLines) {
  const auto parsed = parse("HTTP/1.1 200\nContent-Length: 2\n\nok");
  EXPECT_EQ(parsed.status, 200);
  EXPECT_EQ(parsed.body, "ok");
}

TEST(HttpResponseParser, InterimAnswersAreSkipped) {
  const auto parsed = parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\n"
                            "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}");
  EXPECT_EQ(parsed.status, 201);
  EXPECT_EQ(parsed.body, "{}");
}

TEST(HttpResponseParser, ChunkedWithExtensionsAndTrailers) {
  const auto parsed = parse(kChunked);
  EXPECT_EQ(parsed.status, 200);
  EXPECT_EQ(parsed.body, kChunkedBody);
  EXPECT_EQ(parsed.consumed, kChunked.size());
  EXPECT_TRUE(parsed.keep_alive);
}

TEST(HttpResponseParser, ChunkedSplitAtEveryByteBoundary) {
  for (size_t cut = 0; cut <= kChunked.size(); ++cut) {
    const auto parsed = parse_pieces({kChunked.substr(0, cut), kChunked.substr(cut)});
    EXPECT_EQ(parsed.body, kChunkedBody) << "cut at " << cut;
    EXPECT_EQ(parsed.consumed, kChunked.size()) << "cut at " << cut;
  }
  for (size_t first = 0; first <= kChunked.size(); first += 3) {
    for (size_t second = first; second <= kChunked.size(); ++second) {
      const auto parsed = parse_pieces(
          {kChunked.substr(0, first), kChunked.substr(first, second - first), kChunked.substr(second)});
      ASSERT_EQ(parsed.body, kChunkedBody) << "cuts at " << first << " and " << second;
    }
  }
  std::vector<std::string> bytes;
  for (const char c : kChunked) bytes.emplace_back(1, c);
  EXPECT_EQ(parse_pieces(bytes).body, kChunkedBody);
}

TEST(HttpResponseParser, ContentLengthSplitAtEveryByteBoundary) {
  const std::string text = "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world";
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    EXPECT_EQ(parse_pieces({text.substr(0, cut), text.substr(cut)}).body, "hello world") << "cut at " << cut;
  }
}

TEST(HttpResponseParser, KeepAliveResponsesBackToBack) {
  const std::string first = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none";
  const std::string second = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ntwo\r\n0\r\n\r\n";
  const std::string wire = first + second;
  ResponseParser one;
  const size_t used = one.feed(wire);
  EXPECT_EQ(used, first.size());
  EXPECT_EQ(one.body(), "one");
  EXPECT_TRUE(one.keep_alive());
  ResponseParser two;
  EXPECT_EQ(two.feed(std::string_view(wire).substr(used)), second.size());
  EXPECT_EQ(two.body(), "two");
  EXPECT_TRUE(two.keep_alive());
}

TEST(HttpResponseParser, WhetherTheConnectionCanBeReused) {
  EXPECT_FALSE(parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").keep_alive);
  EXPECT_FALSE(parse("HTTP/1.1 200 OK\r\nConnection: Upgrade, Close\r\nContent-Length: 0\r\n\r\n").keep_alive);
  EXPECT_FALSE(parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").keep_alive);
  EXPECT_TRUE(parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n").keep_alive);
  // Both framings: read chunked, and never reuse the connection.
  const auto both = parse("HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n");
  EXPECT_EQ(both.body, "hi");
  EXPECT_FALSE(both.keep_alive);
}

TEST(HttpResponseParser, BodyToTheEndOfTheConnection) {
  ResponseParser parser;
  parser.feed("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{\"a\":");
  EXPECT_TRUE(parser.head_complete());
  EXPECT_FALSE(parser.complete());
  EXPECT_EQ(parser.body(), "{\"a\":");
  parser.body().clear();  // a stream's reader takes what arrived
  parser.feed("1}\n");
  EXPECT_EQ(parser.body(), "1}\n");
  EXPECT_EQ(parser.body_bytes(), 8u);
  parser.finish();
  EXPECT_TRUE(parser.complete());
  EXPECT_FALSE(parser.keep_alive());
}

TEST(HttpResponseParser, MalformedStatusLines) {
  for (const std::string line : {"HTTP/1.1 2OO OK", "ICY 200 OK", "HTTP/1.1  200 OK", "HTTP/1.1 200OK", "http/1.1 200 OK",
                                 "HTTP/1.1 20", "HTTP/1.x 200 OK"}) {
    const auto error = error_of(line + "\r\nContent-Length: 0\r\n\r\n");
    EXPECT_EQ(error.kind(), HttpError::Kind::Protocol) << line;
    EXPECT_EQ(std::string(error.what()), "malformed status line \"" + line + "\"");
  }
  EXPECT_STREQ(error_of("HTTP/2 200\r\n\r\n").what(), "unsupported HTTP version in the status line \"HTTP/2 200\"");
  EXPECT_STREQ(error_of("HTTP/1.1 099 Low\r\n\r\n").what(), "status code out of range \"HTTP/1.1 099 Low\"");
  EXPECT_STREQ(error_of("HTTP/1.1 101 Switching Protocols\r\n\r\n").what(),
               "unexpected 101 Switching Protocols (no upgrade was asked)");
  // Control bytes are shown escaped, long lines cut.
  EXPECT_STREQ(error_of("\x1b[31mHTTP 200\r\n").what(), "malformed status line \"\\x1b[31mHTTP 200\"");
  const std::string long_line = "X" + std::string(200, 'y');
  EXPECT_EQ(std::string(error_of(long_line + "\r\n").what()),
            "malformed status line \"" + long_line.substr(0, 80) + "...\"");
}

TEST(HttpResponseParser, MalformedHeaders) {
  EXPECT_STREQ(error_of("HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n").what(),
               "malformed response header line \"No colon here\"");
  EXPECT_STREQ(error_of("HTTP/1.1 200 OK\r\n: empty name\r\n\r\n").what(), "malformed response header line \": empty name\"");
  EXPECT_STREQ(error_of("HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n").what(), "malformed response header line \"Bad Name: x\"");
  EXPECT_STREQ(error_of("HTTP/1.1 200 OK\r\nA: b\r\n  folded\r\n\r\n").what(),
               "obsolete line folding in a response header \"  folded\"");
  EXPECT_STREQ(error_of(std::string("HTTP/1.1 200 OK\r\nA: b\0c\r\n\r\n", 27)).what(),
               "a stray CR or NUL inside a line of the response \"A: b\\x00c\"");
  EXPECT_STREQ(error_of("HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n").what(),
               "a stray CR or NUL inside a line of the response \"A: b\\x0dc\"");
}

TEST(HttpResponseParser, HugeHeadIsRefused) {
  const std::string head = "HTTP/1.1 200 OK\r\nX-Big: " + std::string(70 * 1024, 'a') + "\r\n\r\n";
  const auto error = error_of(head);
  EXPECT_EQ(error.kind(), HttpError::Kind::TooLarge);
  EXPECT_STREQ(error.what(), "the response head is larger than 65536 bytes");
  // Many small headers count together; the limit is configurable.
  std::string many = "HTTP/1.1 200 OK\r\n";
  for (int i = 0; i < 100; ++i) many += "X-" + std::to_string(i) + ": 0123456789\r\n";
  ResponseLimits small;
  small.max_head_bytes = 1024;
  EXPECT_STREQ(error_of(many + "\r\n", small).what(), "the response head is larger than 1024 bytes");
  // Fed byte by byte, the limit is found as early.
  ResponseParser parser(small);
  size_t fed = 0;
  try {
    for (; fed < many.size(); ++fed) parser.feed(many.substr(fed, 1));
    FAIL();
  } catch (const HttpError& refused) {
    EXPECT_EQ(refused.kind(), HttpError::Kind::TooLarge);
  }
  EXPECT_EQ(fed, 1024u);
}

TEST(HttpResponseParser, BadChunkSizes) {
  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (const std::string size : {"zz", "-5", "0x5", "+5", "", " ", ";ext", "12345678901234567"}) {
    const auto error = error_of(head + size + "\r\nhello\r\n0\r\n\r\n");
    EXPECT_EQ(error.kind(), HttpError::Kind::Protocol) << size;
    EXPECT_EQ(std::string(error.what()), "bad chunk size \"" + size + "\" (expected hexadecimal digits)");
  }
  EXPECT_STREQ(error_of(head + "3\r\nhello\r\n0\r\n\r\n").what(), "a chunk's data is longer than its chunk size");
  EXPECT_STREQ(error_of(head + "5\r\nhello0\r\n\r\n").what(), "a chunk's data is longer than its chunk size");
  EXPECT_STREQ(error_of(head + "5" + std::string(2000, ' ') + "\r\n").what(), "a chunk size line is longer than 1024 bytes");
  EXPECT_STREQ(error_of(head + "0\r\nnot a trailer\r\n\r\n").what(), "malformed trailer line \"not a trailer\"");
  EXPECT_STREQ(error_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n").what(),
               "unsupported Transfer-Encoding \"gzip, chunked\" (only chunked is understood)");
}

TEST(HttpResponseParser, BadContentLength) {
  for (const std::string value : {"abc", "-1", "1 2", "", "5, 6", "99999999999999999999999"}) {
    const auto error = error_of("HTTP/1.1 200 OK\r\nContent-Length: " + value + "\r\n\r\nhello");
    EXPECT_EQ(error.kind(), HttpError::Kind::Protocol) << value;
    EXPECT_EQ(std::string(error.what()), "invalid Content-Length \"" + value + "\"");
  }
  EXPECT_STREQ(error_of("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello").what(),
               "invalid Content-Length \"6\"");
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\nhello").body, "hello");
}

TEST(HttpResponseParser, TruncatedResponses) {
  auto error = error_of("");
  EXPECT_EQ(error.kind(), HttpError::Kind::Closed);
  EXPECT_STREQ(error.what(), "the connection closed before any response");
  error = error_of("HTTP/1.1 200 OK\r\nContent-Le");
  EXPECT_EQ(error.kind(), HttpError::Kind::Truncated);
  EXPECT_STREQ(error.what(), "the connection closed inside the response head");
  error = error_of("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello");
  EXPECT_EQ(error.kind(), HttpError::Kind::Truncated);
  EXPECT_STREQ(error.what(), "the connection closed after 5 of 10 body bytes");
  error = error_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3\r\nab");
  EXPECT_EQ(error.kind(), HttpError::Kind::Truncated);
  EXPECT_STREQ(error.what(), "the connection closed inside the chunked body after 7 bytes");
  error = error_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n");
  EXPECT_STREQ(error.what(), "the connection closed inside the chunked body after 5 bytes");
}

TEST(HttpResponseParser, BodyLimits) {
  ResponseLimits limits;
  limits.max_body_bytes = 8;
  auto error = error_of("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n123456789", limits);
  EXPECT_EQ(error.kind(), HttpError::Kind::TooLarge);
  EXPECT_STREQ(error.what(), "the body (9 bytes) is larger than the limit of 8 bytes");
  error = error_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n12345\r\n4\r\n6789\r\n0\r\n\r\n", limits);
  EXPECT_EQ(error.kind(), HttpError::Kind::TooLarge);
  EXPECT_STREQ(error.what(), "the body is larger than the limit of 8 bytes");
  error = error_of("HTTP/1.1 200 OK\r\n\r\n123456789", limits);
  EXPECT_STREQ(error.what(), "the body is larger than the limit of 8 bytes");
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n12345678", false, limits).body, "12345678");
}

TEST(HttpResponseParser, ErrorsAreStickyAndSecretsAreNotQuoted) {
  ResponseParser parser;
  EXPECT_THROW(parser.feed("HTTP/1.1 abc\r\n"), HttpError);
  EXPECT_TRUE(parser.failed());
  try {
    parser.feed("HTTP/1.1 200 OK\r\n\r\n");
    FAIL();
  } catch (const HttpError& error) {
    EXPECT_STREQ(error.what(), "malformed status line \"HTTP/1.1 abc\"");
  }
  EXPECT_THROW(parser.finish(), HttpError);

  ResponseLimits secret;
  secret.quote_input = false;
  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  EXPECT_STREQ(error_of(head + "c2VjcmV0IGRpZ2VzdA==\r\n", secret).what(), "bad chunk size (expected hexadecimal digits)");
  EXPECT_STREQ(error_of("c2VjcmV0IGRpZ2VzdA==\r\n", secret).what(), "malformed status line");
}
