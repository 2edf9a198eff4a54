#include "collectors/sysinfo/system_information_collector.h"

#include <sys/utsname.h>

#include <cerrno>

#include "collectors/common/host_file.h"
#include "collectors/sysinfo/event_sources.h"
#include "collectors/sysinfo/proc_text.h"
#include "core/log.h"
#include "core/strings.h"

namespace edgeguard {
namespace {

auto logger() { return log::get("collector.sysinfo"); }

constexpr size_t kSmallFile = 64 * 1024;

// A host file that may legitimately be missing; other failures are worth a warning.
std::optional<std::string> read_optional(const HostRoot& host, std::string_view host_path, size_t max = kSmallFile) {
  auto file = read_host_file(host, host_path, max);
  if (!file.text && file.error != ENOENT && file.error != ENOTDIR) {
    logger()->warn("SystemInformation: {}", file.describe_error());
  }
  return std::move(file.text);
}

// sysfs and procfs values end in a newline; device-tree strings end in NUL.
std::string first_line(std::string_view text) {
  const size_t end = text.find_first_of(std::string_view("\n\0", 2));
  return std::string(trim(text.substr(0, end)));
}

void log_problems(const std::string& where, const std::vector<LineProblem>& problems) {
  for (const auto& problem : problems) logger()->warn("{}:{}: {}", where, problem.line, problem.message);
}

void read_os_release(const HostRoot& host, SystemFacts& facts) {
  // os-release(5): /etc/os-release takes precedence; /usr/lib/os-release is the fallback.
  for (const char* path : {"/etc/os-release", "/usr/lib/os-release"}) {
    auto file = read_host_file(host, path, kSmallFile);
    if (!file.text) {
      if (file.error != ENOENT && file.error != ENOTDIR) logger()->warn("SystemInformation: {}", file.describe_error());
      continue;
    }
    facts.os_release = parse_os_release(*file.text);
    facts.os_release_path = path;
    log_problems(file.where, facts.os_release.problems);
    return;
  }
  logger()->warn("SystemInformation: neither {} nor {} exists; reporting the os-release default NAME=Linux",
                 host.path("/etc/os-release").string(), host.path("/usr/lib/os-release").string());
}

void read_kernel_and_host_name(const HostRoot& host, SystemFacts& facts) {
  utsname names{};
  const bool have_uname = ::uname(&names) == 0;
  if (have_uname) facts.architecture = names.machine;
  if (host.is_real_root() && have_uname) {
    facts.kernel_release = names.release;
    facts.kernel_version = names.version;
    facts.host_name = names.nodename;
    return;
  }
  // Another host root: the kernel is shared, but its files say so for fixtures too. The UTS
  // name is per namespace (ours would be the container's), so the host's configured name is
  // its /etc/hostname.
  const auto release = read_optional(host, "/proc/sys/kernel/osrelease");
  const auto version = read_optional(host, "/proc/sys/kernel/version");
  facts.kernel_release = release ? first_line(*release) : (have_uname ? names.release : "");
  facts.kernel_version = version ? first_line(*version) : (have_uname ? names.version : "");
  if (const auto hostname = read_optional(host, "/etc/hostname")) {
    for (const auto line : split(*hostname, '\n')) {
      const auto name = trim(line);
      if (!name.empty() && name.front() != '#') {
        facts.host_name = std::string(name);
        break;
      }
    }
  }
  if (facts.host_name.empty()) {
    logger()->debug("SystemInformation: {} names no host; HostName left out", host.path("/etc/hostname").string());
  }
}

void read_memory(const HostRoot& host, SystemFacts& facts) {
  auto file = read_host_file(host, "/proc/meminfo", kSmallFile);
  if (!file.text) {
    logger()->warn("SystemInformation: {}; memory figures left out", file.describe_error());
    return;
  }
  const MemInfo memory = parse_meminfo(*file.text);
  log_problems(file.where, memory.problems);
  facts.memory_total_kib = memory.get("MemTotal");
  // MemAvailable (Linux 3.14+) is what can be given to programs without swapping; MemFree
  // alone undercounts by the whole page cache.
  facts.memory_available_kib = memory.get("MemAvailable");
  if (!facts.memory_available_kib) facts.memory_available_kib = memory.get("MemFree");
  facts.swap_total_kib = memory.get("SwapTotal");
  facts.swap_free_kib = memory.get("SwapFree");
}

void read_hardware(const HostRoot& host, SystemFacts& facts) {
  if (const auto version = read_optional(host, "/sys/class/dmi/id/bios_version")) facts.bios_version = first_line(*version);
  static constexpr std::pair<const char*, const char*> kDmi[] = {{"BIOSVendor", "/sys/class/dmi/id/bios_vendor"},
                                                                 {"BIOSDate", "/sys/class/dmi/id/bios_date"},
                                                                 {"SystemVendor", "/sys/class/dmi/id/sys_vendor"},
                                                                 {"ProductName", "/sys/class/dmi/id/product_name"}};
  for (const auto& [key, path] : kDmi) {
    if (const auto value = read_optional(host, path); value && !first_line(*value).empty()) {
      facts.hardware[key] = first_line(*value);
    }
  }
  // Boards without DMI (most ARM devices) name themselves in the device tree.
  for (const char* path : {"/proc/device-tree/model", "/sys/firmware/devicetree/base/model"}) {
    if (const auto model = read_optional(host, path); model && !first_line(*model).empty()) {
      facts.hardware["HardwareModel"] = first_line(*model);
      break;
    }
  }
}

void read_boot_device(const HostRoot& host, SystemFacts& facts) {
  const auto cmdline = read_optional(host, "/proc/cmdline");
  std::optional<std::string> mountinfo;
  if (const auto root = kernel_parameter(parse_kernel_cmdline(cmdline.value_or("")), "root"); !root || root->empty()) {
    // Init's mount table, not ours: in a container our "/" is the container's image.
    mountinfo = read_optional(host, "/proc/1/mountinfo", 4 * 1024 * 1024);
  }
  facts.boot_device = find_boot_device(host, cmdline.value_or(""), mountinfo.value_or(""));
}

void put_if(nlohmann::json& object, const char* key, const std::string& value) {
  if (!value.empty()) object[key] = value;
}

}  // namespace

SystemFacts gather_system_facts(const HostRoot& host) {
  SystemFacts facts;
  read_os_release(host, facts);
  read_kernel_and_host_name(host, facts);
  read_memory(host, facts);
  read_hardware(host, facts);
  read_boot_device(host, facts);
  facts.event_sources = probe_kernel_event_sources();
  return facts;
}

nlohmann::json system_information_payload(const SystemFacts& facts) {
  const OsRelease& os = facts.os_release;
  nlohmann::json item = nlohmann::json::object();
  // os-release(5) defaults NAME to "Linux" when it is not set.
  item["OSName"] = os.get("NAME").empty() ? std::string("Linux") : os.get("NAME");
  std::string version = os.get("VERSION_ID");
  if (version.empty()) version = os.get("VERSION");
  if (version.empty()) version = os.get("BUILD_ID");
  put_if(item, "OSVersion", version);
  // os-release has named the vendor only since systemd 254 (VENDOR_NAME); before that ID, the
  // distribution's lower-case identifier, is the nearest it offers.
  put_if(item, "OSVendor", os.get("VENDOR_NAME").empty() ? os.get("ID") : os.get("VENDOR_NAME"));
  put_if(item, "OsArchitecture", facts.architecture);
  put_if(item, "HostName", facts.host_name);
  put_if(item, "BIOSVersion", facts.bios_version);
  if (facts.boot_device) put_if(item, "BootDevice", facts.boot_device->device);
  // Schema integers; Windows' "virtual memory" is physical memory plus the page file, so here
  // RAM plus swap.
  if (facts.memory_total_kib) item["TotalPhysicalMemoryInKB"] = *facts.memory_total_kib;
  if (facts.memory_available_kib) item["FreePhysicalMemoryInKB"] = *facts.memory_available_kib;
  if (facts.memory_total_kib) item["TotalVirtualMemoryInKB"] = *facts.memory_total_kib + facts.swap_total_kib.value_or(0);
  if (facts.memory_available_kib) {
    item["FreeVirtualMemoryInKB"] = *facts.memory_available_kib + facts.swap_free_kib.value_or(0);
  }

  nlohmann::json extra = nlohmann::json::object();
  static constexpr std::pair<const char*, const char*> kOsDetails[] = {
      {"PRETTY_NAME", "OSPrettyName"},   {"ID", "OSId"},
      {"ID_LIKE", "OSIdLike"},           {"VERSION", "OSVersionText"},
      {"VERSION_CODENAME", "OSVersionCodename"}, {"BUILD_ID", "OSBuildId"},
      {"VARIANT_ID", "OSVariantId"},     {"IMAGE_ID", "OSImageId"},
      {"IMAGE_VERSION", "OSImageVersion"}};
  for (const auto& [key, name] : kOsDetails) put_if(extra, name, os.get(key));
  extra["OSReleaseFile"] = facts.os_release_path.empty() ? std::string("none") : facts.os_release_path;
  put_if(extra, "KernelRelease", facts.kernel_release);
  put_if(extra, "KernelVersion", facts.kernel_version);
  if (facts.boot_device) {
    extra["BootDeviceSpecification"] = facts.boot_device->specification;
    extra["BootDeviceSource"] = facts.boot_device->source;
  }
  for (const auto& [key, value] : facts.hardware) extra[key] = value;
  for (const auto& [key, value] : facts.event_sources) extra[key] = value;
  for (const auto& [key, value] : facts.runtime) extra[key] = value;
  item["ExtraDetails"] = std::move(extra);
  return item;
}

std::vector<Event> SystemInformationCollector::collect(const CollectorContext& context) {
  SystemFacts facts = gather_system_facts(context.host);
  facts.runtime = runtime_.values();
  std::vector<Event> events;
  events.push_back(make_event("SystemInformation", EventCategory::Periodic, EventKind::Security,
                              nlohmann::json::array({system_information_payload(facts)})));
  return events;
}

}  // namespace edgeguard
