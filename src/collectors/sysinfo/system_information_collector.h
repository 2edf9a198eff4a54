#pragma once
// SystemInformation (schema messageEventSecuritySystemInformation_v1_0.json): the host's OS,
// kernel, architecture, host name, memory, boot device and BIOS, plus in ExtraDetails what the
// agent can see here (kernel event sources) and the agent's RuntimeInfo.
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "collectors/collector.h"
#include "collectors/sysinfo/boot_device.h"
#include "collectors/sysinfo/os_release.h"
#include "core/runtime_info.h"

namespace edgeguard {

// Everything the event says, gathered from the host; system_information_payload() only formats.
struct SystemFacts {
  OsRelease os_release;
  std::string os_release_path;  // host path it came from; empty when neither file exists
  std::string kernel_release;
  std::string kernel_version;
  std::string architecture;
  std::string host_name;
  std::optional<uint64_t> memory_total_kib;
  std::optional<uint64_t> memory_available_kib;
  std::optional<uint64_t> swap_total_kib;
  std::optional<uint64_t> swap_free_kib;
  std::optional<BootDevice> boot_device;
  std::string bios_version;
  std::map<std::string, std::string> hardware;       // BIOSVendor, BIOSDate, SystemVendor, ProductName, HardwareModel
  std::map<std::string, std::string> event_sources;  // probe_kernel_event_sources()
  std::map<std::string, std::string> runtime;        // RuntimeInfo::values()
};

// Reads the host's facts (files under the host root; uname() where the host root is "/").
SystemFacts gather_system_facts(const HostRoot& host);

// The single payload item, schema v1.0 fields plus ExtraDetails.
nlohmann::json system_information_payload(const SystemFacts& facts);

class SystemInformationCollector : public PeriodicCollector {
 public:
  explicit SystemInformationCollector(RuntimeInfo& runtime) : runtime_(runtime) {}
  std::string_view name() const override { return "SystemInformation"; }
  std::vector<std::string> event_names() const override { return {"SystemInformation"}; }
  std::vector<Event> collect(const CollectorContext& context) override;

 private:
  RuntimeInfo& runtime_;
};

}  // namespace edgeguard
