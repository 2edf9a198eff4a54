#pragma once
#include <string>

#include "core/event.h"

namespace edgeguard {
// RFC 3339 with milliseconds: "2026-11-26T15:27:00.123Z".
std::string format_utc_time(TimePoint time);
// RFC 3339 local time with the real UTC offset: "2026-11-26T16:27:00.123+01:00".
std::string format_local_time(TimePoint time);
}  // namespace edgeguard
