#include "core/log.h"

#include <mutex>

#include <spdlog/sinks/stdout_sinks.h>

namespace edgeguard::log {
namespace {

std::mutex g_mutex;
std::shared_ptr<spdlog::sinks::stderr_sink_mt> g_sink;
const std::string g_pattern = "%Y-%m-%dT%H:%M:%S.%e%z %l [%n] %v";
spdlog::level::level_enum g_level = spdlog::level::info;

std::shared_ptr<spdlog::sinks::stderr_sink_mt> sink() {
  if (!g_sink) {
    g_sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    g_sink->set_pattern(g_pattern);
  }
  return g_sink;
}

}  // namespace

bool set_level(std::string_view level) {
  const auto parsed = spdlog::level::from_str(std::string(level));
  if (parsed == spdlog::level::off && level != "off") return false;
  std::lock_guard lock(g_mutex);
  g_level = parsed;
  spdlog::apply_all([&](const std::shared_ptr<spdlog::logger>& logger) { logger->set_level(parsed); });
  return true;
}

bool init(std::string_view level) {
  {
    std::lock_guard lock(g_mutex);
    sink()->set_pattern(g_pattern);
  }
  return set_level(level);
}

std::shared_ptr<spdlog::logger> get(const std::string& component) {
  std::lock_guard lock(g_mutex);
  if (auto existing = spdlog::get(component)) return existing;
  auto logger = std::make_shared<spdlog::logger>(component, sink());
  logger->set_level(g_level);
  logger->flush_on(spdlog::level::warn);
  spdlog::register_logger(logger);
  return logger;
}

}  // namespace edgeguard::log
