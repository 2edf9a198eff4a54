#include "core/timestamp.h"

#include <cstdio>
#include <ctime>

namespace edgeguard {
namespace {

struct Split {
  time_t seconds;
  int millis;
};

Split split(TimePoint time) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
  auto seconds = ms / 1000;
  auto millis = ms % 1000;
  if (millis < 0) {
    millis += 1000;
    --seconds;
  }
  return {static_cast<time_t>(seconds), static_cast<int>(millis)};
}

std::string format(const std::tm& tm, int millis, long offset_seconds, bool utc) {
  char buffer[48];
  int n = std::snprintf(buffer, sizeof(buffer), "%04d-%02d-%02dT%02d:%02d:%02d.%03d", tm.tm_year + 1900,
                        tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  std::string out(buffer, static_cast<size_t>(n));
  if (utc) {
    out.push_back('Z');
    return out;
  }
  const char sign = offset_seconds < 0 ? '-' : '+';
  const long magnitude = offset_seconds < 0 ? -offset_seconds : offset_seconds;
  n = std::snprintf(buffer, sizeof(buffer), "%c%02ld:%02ld", sign, magnitude / 3600, (magnitude % 3600) / 60);
  out.append(buffer, static_cast<size_t>(n));
  return out;
}

}  // namespace

std::string format_utc_time(TimePoint time) {
  const Split s = split(time);
  std::tm tm{};
  gmtime_r(&s.seconds, &tm);
  return format(tm, s.millis, 0, true);
}

std::string format_local_time(TimePoint time) {
  const Split s = split(time);
  std::tm tm{};
  localtime_r(&s.seconds, &tm);
  return format(tm, s.millis, tm.tm_gmtoff, false);
}

}  // namespace edgeguard
