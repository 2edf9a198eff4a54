// Host file reads confined to the host root, and snapshot events split to fit a message.
#include <gtest/gtest.h>

#include <cerrno>
#include <filesystem>
#include <fstream>

#include "../support/temp_dir.h"
#include "collectors/common/host_file.h"
#include "collectors/common/snapshot_events.h"

using namespace edgeguard;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file) << text;
}

// A host root with an absolute link and a relative link, and the same file names outside it so
// a read that escapes the root would see different text.
struct LinkTree {
  test::TempDir outer;
  fs::path root = outer / "root";
  LinkTree() {
    write(root / "usr/lib/os-release", "inside\n");
    fs::create_directories(root / "etc");
    fs::create_symlink("/usr/lib/os-release", root / "etc/absolute");
    fs::create_symlink("../usr/lib/os-release", root / "etc/relative");
    fs::create_symlink("../../../../../../../../outside", root / "etc/climbing");
    write(root / "outside", "inside too\n");
    write(outer / "outside", "ESCAPED\n");
    fs::create_symlink("loop-b", root / "etc/loop-a");
    fs::create_symlink("loop-a", root / "etc/loop-b");
    fs::create_symlink("/etc", root / "etc-link");
  }
};

}  // namespace

TEST(HostFile, AbsoluteAndRelativeLinksResolveInsideTheHostRoot) {
  LinkTree tree;
  const HostRoot host(tree.root);
  EXPECT_EQ(read_host_file(host, "/etc/absolute").text, "inside\n");
  EXPECT_EQ(read_host_file(host, "/etc/relative").text, "inside\n");
  EXPECT_EQ(read_host_file(host, "/etc-link/absolute").text, "inside\n");
  EXPECT_EQ(read_host_file(host, "/etc/climbing").text, "inside too\n");
  EXPECT_EQ(read_host_file(host, "../../outside").text, "inside too\n");
}

TEST(HostFile, TheLstatWalkUsedBeforeLinux56ResolvesTheSameWay) {
  LinkTree tree;
  const HostRoot host(tree.root);
  int error = 0;
  EXPECT_EQ(resolve_host_path(host, "/etc/absolute", error), "/usr/lib/os-release");
  EXPECT_EQ(resolve_host_path(host, "/etc/relative", error), "/usr/lib/os-release");
  EXPECT_EQ(resolve_host_path(host, "/etc-link/relative", error), "/usr/lib/os-release");
  EXPECT_EQ(resolve_host_path(host, "/etc/climbing", error), "/outside");
  EXPECT_EQ(resolve_host_path(host, "/etc/missing", error), "/etc/missing");
  EXPECT_EQ(error, 0);
  EXPECT_FALSE(resolve_host_path(host, "/etc/loop-a", error));
  EXPECT_EQ(error, ELOOP);
  EXPECT_FALSE(resolve_host_path(host, "/nowhere/file", error));
  EXPECT_EQ(error, ENOENT);
}

TEST(HostFile, FailuresNameThePathAndTheReason) {
  LinkTree tree;
  const HostRoot host(tree.root);
  const auto missing = read_host_file(host, "/etc/passwd");
  EXPECT_FALSE(missing.text);
  EXPECT_EQ(missing.error, ENOENT);
  EXPECT_EQ(missing.describe_error(), "open " + (tree.root / "etc/passwd").string() + ": No such file or directory");
  const auto loop = read_host_file(host, "/etc/loop-a");
  EXPECT_FALSE(loop.text);
  EXPECT_EQ(loop.error, ELOOP);
}

TEST(HostFile, TheRealRootIsAPlainRead) {
  const HostRoot host("/");
  const auto self = read_host_file(host, "/proc/self/comm");
  ASSERT_TRUE(self.text);
  EXPECT_FALSE(self.text->empty());
}

TEST(SnapshotEvents, NoItemsIsTheEmptySnapshot) {
  const auto events = make_snapshot_events("LocalUsers", {}, 204800);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(events[0].is_empty());
  EXPECT_EQ(events[0].category, EventCategory::Periodic);
  EXPECT_EQ(events[0].name, "LocalUsers");
}

TEST(SnapshotEvents, ItemsThatFitStayInOneEvent) {
  std::vector<nlohmann::json> items;
  for (int i = 0; i < 10; ++i) items.push_back({{"UserName", "u" + std::to_string(i)}});
  const auto events = make_snapshot_events("LocalUsers", items, 204800);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].payload.size(), 10u);
}

TEST(SnapshotEvents, ManyItemsAreSplitIntoEventsThatEachFitAMessage) {
  constexpr size_t kLimit = 16384;
  std::vector<nlohmann::json> items;
  for (int i = 0; i < 2000; ++i) {
    items.push_back({{"Protocol", "TCP"}, {"LocalAddress", "::"}, {"LocalPort", std::to_string(i)},
                     {"ExtraDetails", {{"Executable", std::string(40, 'x')}}}});
  }
  const auto events = make_snapshot_events("ListeningPorts", items, kLimit);
  ASSERT_GT(events.size(), 1u);
  size_t total = 0;
  int expected_port = 0;
  for (const auto& event : events) {
    EXPECT_FALSE(event.is_empty());
    // What the pipeline checks: the serialized event inside the envelope.
    EXPECT_LE(serialize_event(event).size() + 200, kLimit);
    for (const auto& item : event.payload) EXPECT_EQ(item["LocalPort"], std::to_string(expected_port++));
    total += event.payload.size();
  }
  EXPECT_EQ(total, items.size());
}

TEST(HostFile, ALongerFileIsCutAndSaysSo) {
  test::TempDir root;
  write(root / "exact", "0123456789");
  const HostRoot host(root.path());
  const auto exact = read_host_file(host, "/exact", 10);
  EXPECT_EQ(exact.text, "0123456789");
  EXPECT_FALSE(exact.truncated);
  const auto cut = read_host_file(host, "/exact", 4);
  EXPECT_EQ(cut.text, "0123");
  EXPECT_TRUE(cut.truncated);
}
