#pragma once
// Structured logging: one line per record, "time level [component] message key=value ...".
#include <memory>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

namespace edgeguard::log {

// Sets the global level ("trace", "debug", "info", "warn", "error", "critical", "off").
// Logs go to stderr. Returns false for an unknown level.
bool init(std::string_view level = "info");
bool set_level(std::string_view level);

// The logger of one component ("pipeline", "collector.ports", ...), created on first use.
std::shared_ptr<spdlog::logger> get(const std::string& component);

}  // namespace edgeguard::log
