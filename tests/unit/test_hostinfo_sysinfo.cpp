// SystemInformation: os-release, meminfo, kernel command line and mountinfo parsers, boot device
// resolution, and the collector against fixture host roots.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "../support/temp_dir.h"
#include "collectors/sysinfo/boot_device.h"
#include "collectors/sysinfo/event_sources.h"
#include "collectors/sysinfo/os_release.h"
#include "collectors/sysinfo/proc_text.h"
#include "collectors/sysinfo/system_information_collector.h"
#include "core/strings.h"

using namespace edgeguard;
namespace fs = std::filesystem;

namespace {

const fs::path kFixtures = fs::path(EDGEGUARD_TEST_DIR) / "fixtures";

void write(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << text;
}

void link(const fs::path& link_path, const std::string& target) {
  fs::create_directories(link_path.parent_path());
  fs::create_symlink(target, link_path);
}

}  // namespace

TEST(OsRelease, ParsesQuotingEscapesAndComments) {
  const auto parsed = parse_os_release(
      "# comment\n"
      "\n"
      "NAME=\"Debian GNU/Linux\"\n"
      "ID=debian\n"
      "VERSION='12 (bookworm)'\n"
      "  PRETTY_NAME=\"say \\\"hi\\\" \\$HOME \\\\ \\n\"  \n"
      "SINGLE='no \\escapes'\n"
      "UNQUOTED=a\\ b\n"
      "EMPTY=\n"
      "ID=debian2\n");
  EXPECT_TRUE(parsed.problems.empty());
  EXPECT_EQ(parsed.get("NAME"), "Debian GNU/Linux");
  EXPECT_EQ(parsed.get("VERSION"), "12 (bookworm)");
  EXPECT_EQ(parsed.get("PRETTY_NAME"), "say \"hi\" $HOME \\ \\n");
  EXPECT_EQ(parsed.get("SINGLE"), "no \\escapes");
  EXPECT_EQ(parsed.get("UNQUOTED"), "a b");
  EXPECT_TRUE(parsed.values.contains("EMPTY"));
  EXPECT_EQ(parsed.get("ID"), "debian2");  // the later assignment wins
  EXPECT_EQ(parsed.get("MISSING"), "");
}

TEST(OsRelease, ReportsUnusableLinesWithTheirNumbers) {
  const auto parsed = parse_os_release(
      "NAME=Ok\n"
      "just words\n"
      "1BAD=x\n"
      "VERSION=\"unterminated\n"
      "ID=\"x\" trailing\n"
      "VARIANT=two words\n");
  EXPECT_EQ(parsed.get("NAME"), "Ok");
  EXPECT_FALSE(parsed.values.contains("VERSION"));
  EXPECT_EQ(parsed.get("ID"), "x");            // kept, with a warning
  EXPECT_EQ(parsed.get("VARIANT"), "two");     // kept, with a warning
  ASSERT_EQ(parsed.problems.size(), 5u);
  EXPECT_EQ(parsed.problems[0], (LineProblem{2, "not a KEY=value assignment"}));
  EXPECT_EQ(parsed.problems[1], (LineProblem{3, "\"1BAD\" is not a variable name"}));
  EXPECT_EQ(parsed.problems[2], (LineProblem{4, "VERSION: unterminated double quote"}));
  EXPECT_EQ(parsed.problems[3].line, 5u);
  EXPECT_EQ(parsed.problems[4].line, 6u);
}

TEST(MemInfo, ParsesKilobytesAndCountsAndFlagsGarbage) {
  const auto parsed = parse_meminfo(
      "MemTotal:        8039756 kB\n"
      "HugePages_Total:       0\n"
      "Broken line\n"
      "MemFree:   lots kB\n"
      "SwapTotal: 12 MB\n");
  EXPECT_EQ(parsed.get("MemTotal"), 8039756u);
  EXPECT_EQ(parsed.get("HugePages_Total"), 0u);
  EXPECT_FALSE(parsed.get("MemFree"));
  ASSERT_EQ(parsed.problems.size(), 3u);
  EXPECT_EQ(parsed.problems[0].line, 3u);
  EXPECT_EQ(parsed.problems[1], (LineProblem{4, "\"MemFree\": expected a number of kB"}));
  EXPECT_EQ(parsed.problems[2].line, 5u);
}

TEST(KernelCmdline, SplitsLikeTheKernelAndStopsAtDoubleDash) {
  const auto parameters =
      parse_kernel_cmdline("BOOT_IMAGE=/vmlinuz root=/dev/sda1 quiet \"root=/dev/disk with space\" "
                           "dyndbg=\"file x.c +p\" -- root=/dev/for-init\n");
  ASSERT_EQ(parameters.size(), 5u);
  EXPECT_EQ(parameters[2], (KernelParameter{"quiet", std::nullopt}));
  EXPECT_EQ(parameters[4], (KernelParameter{"dyndbg", "file x.c +p"}));
  EXPECT_EQ(kernel_parameter(parameters, "root"), "/dev/disk with space");  // the last one before "--"
  EXPECT_FALSE(kernel_parameter(parameters, "init"));
  EXPECT_TRUE(parse_kernel_cmdline("").empty());
  EXPECT_TRUE(parse_kernel_cmdline(std::string("\0\0", 2)).empty());
}

TEST(MountInfo, ParsesOptionalFieldsAndOctalEscapes) {
  const auto parsed = parse_mountinfo(
      "22 1 8:2 / / rw,relatime shared:1 - ext4 /dev/sda2 rw\n"
      "30 22 0:25 / /mnt/with\\040space rw master:2 shared:3 - tmpfs tmp\\134fs rw\n"
      "garbage\n"
      "31 22 x:y / /z rw - ext4 /dev/x rw\n");
  ASSERT_EQ(parsed.entries.size(), 2u);
  EXPECT_EQ(parsed.entries[0].major, 8u);
  EXPECT_EQ(parsed.entries[0].minor, 2u);
  EXPECT_EQ(parsed.entries[0].mount_point, "/");
  EXPECT_EQ(parsed.entries[0].fs_type, "ext4");
  EXPECT_EQ(parsed.entries[0].source, "/dev/sda2");
  EXPECT_EQ(parsed.entries[1].mount_point, "/mnt/with space");
  EXPECT_EQ(parsed.entries[1].source, "tmp\\fs");
  ASSERT_EQ(parsed.problems.size(), 2u);
  EXPECT_EQ(parsed.problems[0].line, 3u);
  EXPECT_EQ(parsed.problems[1], (LineProblem{4, "\"x:y\" is not major:minor"}));
}

TEST(BootDevice, ResolvesTagsDeviceNumbersAndLinksInsideTheHostRoot) {
  test::TempDir root;
  const HostRoot host(root.path());
  write(root / "dev/mmcblk0p2", "");
  write(root / "dev/sda1", "");
  link(root / "dev/disk/by-uuid/1234-ABCD", "../../mmcblk0p2");
  link(root / "dev/disk/by-partuuid/6c586e13-02", "../../mmcblk0p2");
  link(root / "dev/disk/by-label/rootfs", "/dev/sda1");  // absolute: must stay in the host root
  fs::create_directories(root / "sys/devices/platform/soc/mmc0/block/mmcblk0/mmcblk0p2");
  link(root / "sys/dev/block/179:2", "../../devices/platform/soc/mmc0/block/mmcblk0/mmcblk0p2");

  EXPECT_EQ(resolve_root_specification(host, "UUID=1234-ABCD"), "/dev/mmcblk0p2");
  EXPECT_EQ(resolve_root_specification(host, "PARTUUID=6C586E13-02"), "/dev/mmcblk0p2");  // udev writes lower case
  EXPECT_EQ(resolve_root_specification(host, "LABEL=rootfs"), "/dev/sda1");
  EXPECT_EQ(resolve_root_specification(host, "179:2"), "/dev/mmcblk0p2");
  EXPECT_EQ(resolve_root_specification(host, "b302"), "/dev/mmcblk0p2");  // new_encode_dev(179, 2) in hex
  EXPECT_EQ(resolve_root_specification(host, "/dev/mmcblk0p2"), "/dev/mmcblk0p2");
  // Not resolvable here: reported as written.
  EXPECT_EQ(resolve_root_specification(host, "UUID=ffff"), "UUID=ffff");
  EXPECT_EQ(resolve_root_specification(host, "PARTUUID=6c586e13-02/PARTNROFF=1"), "PARTUUID=6c586e13-02/PARTNROFF=1");
  EXPECT_EQ(resolve_root_specification(host, "UUID=../../sda1"), "UUID=../../sda1");
  EXPECT_EQ(resolve_root_specification(host, "/dev/nfs"), "/dev/nfs");
  EXPECT_EQ(resolve_root_specification(host, "ubi0:rootfs"), "ubi0:rootfs");
  EXPECT_EQ(resolve_root_specification(host, "8:99"), "8:99");
}

TEST(BootDevice, WithoutRootOnTheCommandLineInitsRootMountNamesIt) {
  test::TempDir root;
  const HostRoot host(root.path());
  fs::create_directories(root / "sys/devices/pci0000:00/0000:00:02.0/virtio1/block/vda");
  link(root / "sys/dev/block/254:0", "../../devices/pci0000:00/0000:00:02.0/virtio1/block/vda");
  const std::string mountinfo =
      "1 0 0:2 / / rw - rootfs rootfs rw\n"
      "27 1 254:0 / / rw,relatime - ext4 /dev/root rw\n"
      "28 27 0:5 / /proc rw - proc proc rw\n";
  const auto device = find_boot_device(host, "console=ttyS0 quiet", mountinfo);
  ASSERT_TRUE(device);
  EXPECT_EQ(device->device, "/dev/vda");
  EXPECT_EQ(device->specification, "254:0");
  EXPECT_EQ(device->source, "mountinfo");

  const auto overlay = find_boot_device(host, "", "5 1 0:31 / / rw - overlay overlay rw,lowerdir=/a\n");
  ASSERT_TRUE(overlay);
  EXPECT_EQ(overlay->device, "overlay");
  EXPECT_FALSE(find_boot_device(host, "", ""));
  EXPECT_FALSE(find_boot_device(host, "root=", ""));

  const auto from_cmdline = find_boot_device(host, "root=254:0 rw", mountinfo);
  ASSERT_TRUE(from_cmdline);
  EXPECT_EQ(from_cmdline->device, "/dev/vda");
  EXPECT_EQ(from_cmdline->source, "cmdline");
}

TEST(SystemInformation, UbuntuFixtureIsReportedExactly) {
  const HostRoot host(kFixtures / "hostroot-ubuntu2204-x86");
  const auto facts = gather_system_facts(host);
  EXPECT_EQ(facts.os_release_path, "/etc/os-release");  // an absolute link to /usr/lib/os-release
  const auto item = system_information_payload(facts);
  EXPECT_EQ(item["OSName"], "Ubuntu");
  EXPECT_EQ(item["OSVersion"], "22.04");
  EXPECT_EQ(item["OSVendor"], "ubuntu");
  EXPECT_EQ(item["HostName"], "edge-gateway-07");
  EXPECT_EQ(item["BIOSVersion"], "5.19");
  EXPECT_EQ(item["BootDevice"], "/dev/sda2");
  EXPECT_EQ(item["TotalPhysicalMemoryInKB"], 8039756);
  EXPECT_EQ(item["FreePhysicalMemoryInKB"], 5121872);  // MemAvailable
  EXPECT_EQ(item["TotalVirtualMemoryInKB"], 8039756 + 2097148);
  EXPECT_EQ(item["FreeVirtualMemoryInKB"], 5121872 + 2096380);
  EXPECT_FALSE(item["OsArchitecture"].get<std::string>().empty());
  const auto& extra = item["ExtraDetails"];
  EXPECT_EQ(extra["OSPrettyName"], "Ubuntu 22.04.4 LTS");
  EXPECT_EQ(extra["OSVersionText"], "22.04.4 LTS (Jammy Jellyfish)");
  EXPECT_EQ(extra["OSVersionCodename"], "jammy");
  EXPECT_EQ(extra["OSIdLike"], "debian");
  EXPECT_EQ(extra["KernelRelease"], "5.15.0-105-generic");
  EXPECT_EQ(extra["KernelVersion"], "#115-Ubuntu SMP Mon Apr 15 09:52:04 UTC 2024");
  EXPECT_EQ(extra["BootDeviceSpecification"], "UUID=0b3c7e1d-5f2a-4d8e-9c61-2a7f4e9b1c35");
  EXPECT_EQ(extra["BootDeviceSource"], "cmdline");
  EXPECT_EQ(extra["BIOSVendor"], "American Megatrends Inc.");
  EXPECT_EQ(extra["SystemVendor"], "Advantech");
  EXPECT_EQ(extra["ProductName"], "UNO-2484G");
  for (const auto& [key, value] : extra.items()) EXPECT_TRUE(value.is_string()) << key;
}

TEST(SystemInformation, YoctoFixtureFallsBackToUsrLibOsReleaseAndNamesTheBoard) {
  const HostRoot host(kFixtures / "hostroot-yocto-arm");
  const auto item = system_information_payload(gather_system_facts(host));
  EXPECT_EQ(item["OSName"], "Poky (Yocto Project Reference Distro)");
  EXPECT_EQ(item["OSVersion"], "4.0.17");
  EXPECT_EQ(item["OSVendor"], "poky");
  EXPECT_EQ(item["HostName"], "imx8mm-var-dart");
  EXPECT_EQ(item["BootDevice"], "/dev/mmcblk2p1");
  EXPECT_FALSE(item.contains("BIOSVersion"));
  EXPECT_EQ(item["TotalVirtualMemoryInKB"], 1983772);
  EXPECT_EQ(item["ExtraDetails"]["OSReleaseFile"], "/usr/lib/os-release");
  // /proc/device-tree is an absolute link to /sys/firmware/devicetree/base; the value ends in NUL.
  EXPECT_EQ(item["ExtraDetails"]["HardwareModel"], "Variscite DART-MX8M-MINI on DT8MCustomBoard 2.x");
}

TEST(SystemInformation, DefaultsWhenTheHostSaysLittle) {
  test::TempDir root;
  write(root / "proc/meminfo", "MemTotal: 1000 kB\nMemFree: 300 kB\n");
  const auto item = system_information_payload(gather_system_facts(HostRoot(root.path())));
  EXPECT_EQ(item["OSName"], "Linux");  // os-release(5)'s default
  EXPECT_FALSE(item.contains("OSVersion"));
  EXPECT_FALSE(item.contains("HostName"));
  EXPECT_FALSE(item.contains("BootDevice"));
  EXPECT_EQ(item["FreePhysicalMemoryInKB"], 300);  // no MemAvailable: MemFree
  EXPECT_EQ(item["TotalVirtualMemoryInKB"], 1000);
  EXPECT_EQ(item["ExtraDetails"]["OSReleaseFile"], "none");
}

TEST(SystemInformation, VendorNameAndBuildIdAreUsedWhenPresent) {
  test::TempDir root;
  write(root / "etc/os-release", "NAME=Arch\nID=arch\nBUILD_ID=rolling\nVENDOR_NAME=\"Arch Linux\"\n");
  const auto item = system_information_payload(gather_system_facts(HostRoot(root.path())));
  EXPECT_EQ(item["OSVersion"], "rolling");
  EXPECT_EQ(item["OSVendor"], "Arch Linux");
}

TEST(SystemInformation, CollectorAddsRuntimeInfoAndEventSources) {
  RuntimeInfo runtime;
  runtime.set("AgentMode", "Standalone");
  runtime.set("ProcessEventSource", "audit");
  SystemInformationCollector collector(runtime);
  const auto config = AgentConfig::defaults();
  const HostRoot host(kFixtures / "hostroot-ubuntu2204-x86");
  const auto events = collector.collect(CollectorContext{host, config});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].name, "SystemInformation");
  EXPECT_EQ(events[0].category, EventCategory::Periodic);
  ASSERT_EQ(events[0].payload.size(), 1u);
  const auto& extra = events[0].payload[0]["ExtraDetails"];
  EXPECT_EQ(extra["AgentMode"], "Standalone");
  EXPECT_EQ(extra["ProcessEventSource"], "audit");
  for (const char* key : {"KernelBtf", "Ebpf", "AuditNetlink", "ProcConnector"}) {
    ASSERT_TRUE(extra.contains(key)) << key;
    const std::string value = extra[key];
    EXPECT_TRUE(value == "available" || starts_with(value, "unavailable: ")) << key << ": " << value;
  }
}

TEST(EventSources, BtfReportMatchesTheFileSystem) {
  const auto sources = probe_kernel_event_sources();
  EXPECT_EQ(sources.at("KernelBtf") == "available", fs::exists("/sys/kernel/btf/vmlinux"));
  if (sources.at("AuditNetlink") == "available") {
    EXPECT_TRUE(sources.contains("AuditEnabled"));
    EXPECT_TRUE(sources.contains("AuditDaemonPid"));
  }
}
