// The fast JSON writer must write exactly what nlohmann's dump() writes (with invalid UTF-8
// replaced): message bodies, sizes and tests depend on that text.
#include <gtest/gtest.h>

#include <random>

#include "core/json_writer.h"

using namespace edgeguard;
using json = nlohmann::json;

namespace {

std::string fast(const json& value) {
  std::string out;
  append_json(out, value);
  return out;
}

std::string reference(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace

TEST(JsonWriter, SameTextAsNlohmannForEveryKindOfValue) {
  const json values[] = {
      json::object(),
      json::array(),
      nullptr,
      true,
      false,
      0,
      -1,
      std::numeric_limits<int64_t>::min(),
      std::numeric_limits<uint64_t>::max(),
      1.5,
      -0.0,
      1e300,
      "plain ascii /usr/bin/python3 -m worker",
      "quote \" backslash \\ tab \t newline \n bell \x07 del \x7f",
      "utf-8: é ü 中文 🙂",
      std::string("invalid \xff\xfe utf-8 \xc3"),
      json{{"b", 1}, {"a", {{"z", json::array({1, "x", nullptr})}, {"y", json::object()}}}, {"\x01key", "v"}},
  };
  for (const auto& value : values) EXPECT_EQ(fast(value), reference(value)) << reference(value);
}

TEST(JsonWriter, SameTextOnRandomDocuments) {
  std::mt19937 random(12345);
  const auto random_string = [&] {
    std::string text(random() % 12, ' ');
    for (auto& c : text) c = static_cast<char>(random() % 3 == 0 ? random() % 256 : 'a' + random() % 26);
    return text;
  };
  std::function<json(int)> random_value = [&](int depth) -> json {
    switch (random() % (depth > 3 ? 5 : 7)) {
      case 0: return static_cast<int64_t>(random()) - (1ll << 31);
      case 1: return random_string();
      case 2: return random() % 2 == 0;
      case 3: return nullptr;
      case 4: return static_cast<double>(random()) / 7.0;
      case 5: {
        json array = json::array();
        for (unsigned i = 0; i < random() % 4; ++i) array.push_back(random_value(depth + 1));
        return array;
      }
      default: {
        json object = json::object();
        for (unsigned i = 0; i < random() % 4; ++i) object[random_string()] = random_value(depth + 1);
        return object;
      }
    }
  };
  for (int i = 0; i < 2000; ++i) {
    const json value = random_value(0);
    ASSERT_EQ(fast(value), reference(value)) << reference(value);
  }
}
