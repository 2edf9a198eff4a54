#include "core/iso_duration.h"

#include <array>
#include <cstdint>
#include <limits>

namespace edgeguard {
namespace {

constexpr int64_t kSecond = 1000;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;

struct Unit {
  char designator;
  int64_t millis;
};
constexpr std::array<Unit, 4> kDateUnits{{{'Y', 365 * kDay}, {'M', 30 * kDay}, {'W', 7 * kDay}, {'D', kDay}}};
constexpr std::array<Unit, 3> kTimeUnits{{{'H', kHour}, {'M', kMinute}, {'S', kSecond}}};
constexpr int64_t kMax = std::numeric_limits<int64_t>::max() / 4;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Parses "<digits>[.<digits>]<designator>" components against the allowed unit order.
template <size_t N>
bool parse_components(std::string_view& text, const std::array<Unit, N>& units, bool& any,
                      long double& total) {
  size_t next_unit = 0;
  while (!text.empty() && is_digit(text.front())) {
    size_t i = 0;
    while (i < text.size() && is_digit(text[i])) ++i;
    if (i > 18) return false;
    long double value = 0;
    for (size_t k = 0; k < i; ++k) value = value * 10 + (text[k] - '0');
    bool fraction = false;
    if (i < text.size() && text[i] == '.') {
      size_t j = i + 1;
      long double scale = 0.1L;
      while (j < text.size() && is_digit(text[j])) {
        value += (text[j] - '0') * scale;
        scale /= 10;
        ++j;
      }
      if (j == i + 1) return false;
      fraction = true;
      i = j;
    }
    if (i >= text.size()) return false;
    const char designator = text[i];
    size_t unit = next_unit;
    while (unit < units.size() && units[unit].designator != designator) ++unit;
    if (unit == units.size()) return false;
    text.remove_prefix(i + 1);
    if (fraction && !text.empty()) return false;  // a fraction only on the very last component
    total += value * static_cast<long double>(units[unit].millis);
    if (total > static_cast<long double>(kMax)) return false;
    next_unit = unit + 1;
    any = true;
  }
  return true;
}

}  // namespace

std::optional<Millis> parse_iso_duration(std::string_view text) {
  if (text.size() < 2 || text.front() != 'P') return std::nullopt;
  text.remove_prefix(1);
  bool any = false;
  long double total = 0;
  if (!parse_components(text, kDateUnits, any, total)) return std::nullopt;
  if (!text.empty()) {
    if (text.front() != 'T') return std::nullopt;
    text.remove_prefix(1);
    if (text.empty() || !is_digit(text.front())) return std::nullopt;
    if (!parse_components(text, kTimeUnits, any, total)) return std::nullopt;
  }
  if (!text.empty() || !any) return std::nullopt;
  return Millis(static_cast<int64_t>(total + 0.5L));
}

std::string format_iso_duration(Millis duration) {
  int64_t ms = duration.count();
  if (ms <= 0) return "PT0S";
  std::string out = "P";
  const int64_t days = ms / kDay;
  ms %= kDay;
  if (days) out += std::to_string(days) + "D";
  if (ms) {
    out += "T";
    const int64_t hours = ms / kHour;
    ms %= kHour;
    const int64_t minutes = ms / kMinute;
    ms %= kMinute;
    if (hours) out += std::to_string(hours) + "H";
    if (minutes) out += std::to_string(minutes) + "M";
    if (ms) {
      out += std::to_string(ms / kSecond);
      if (ms % kSecond) {
        std::string frac = std::to_string(1000 + ms % kSecond).substr(1);
        while (!frac.empty() && frac.back() == '0') frac.pop_back();
        out += "." + frac;
      }
      out += "S";
    }
  }
  return out;
}

}  // namespace edgeguard
