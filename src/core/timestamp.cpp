#include "core/timestamp.h"

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

void put_digits(char* at, int value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    at[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

// "YYYY-MM-DDTHH:MM:SS.mmm" then "Z" or "+HH:MM"; hand-formatted because it runs twice per event.
std::string format(const std::tm& tm, int millis, long offset_seconds, bool utc) {
  char buffer[32] = "0000-00-00T00:00:00.000";
  put_digits(buffer, tm.tm_year + 1900, 4);
  put_digits(buffer + 5, tm.tm_mon + 1, 2);
  put_digits(buffer + 8, tm.tm_mday, 2);
  put_digits(buffer + 11, tm.tm_hour, 2);
  put_digits(buffer + 14, tm.tm_min, 2);
  put_digits(buffer + 17, tm.tm_sec, 2);
  put_digits(buffer + 20, millis, 3);
  size_t length = 23;
  if (utc) {
    buffer[length++] = 'Z';
  } else {
    const long magnitude = offset_seconds < 0 ? -offset_seconds : offset_seconds;
    buffer[length++] = offset_seconds < 0 ? '-' : '+';
    put_digits(buffer + length, static_cast<int>(magnitude / 3600), 2);
    buffer[length + 2] = ':';
    put_digits(buffer + length + 3, static_cast<int>((magnitude % 3600) / 60), 2);
    length += 5;
  }
  return std::string(buffer, length);
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
