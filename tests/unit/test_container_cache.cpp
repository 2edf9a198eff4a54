// The container cache: catalog write-through, change notifications, and the lifecycle steps a
// resync infers from the difference between what the engine lists and what the cache held.
#include <gtest/gtest.h>

#include "collectors/docker/container_cache.h"
#include "collectors/docker/docker_parse.h"
#include "core/host_root.h"

using namespace edgeguard;
using namespace edgeguard::docker;

namespace {

constexpr int64_t kSecond = 1000000000LL;

ContainerRecord container(const std::string& name, const std::string& status, int64_t started, int64_t finished,
                          int64_t exit_code = 0) {
  ContainerRecord record;
  // Hex id derived from the name, so each name is one container.
  std::string id;
  for (const char c : name) {
    static const char* hex = "0123456789abcdef";
    id += hex[(static_cast<unsigned char>(c) >> 4) & 15];
    id += hex[static_cast<unsigned char>(c) & 15];
  }
  id.resize(64, '0');
  record.info.id = id;
  record.info.name = name;
  record.info.image = "edgeguard-test/busybox:1";
  record.info.image_id = "sha256:17c3";
  record.state.status = status;
  record.state.running = status == "running";
  record.state.started_at_ns = started;
  record.state.finished_at_ns = finished;
  record.state.exit_code = exit_code;
  record.inspect = nlohmann::json{{"Name", name}, {"Status", status}, {"Started", started}};
  return record;
}

std::vector<std::string> steps(const std::vector<Transition>& transitions) {
  std::vector<std::string> out;
  for (const auto& t : transitions) {
    out.push_back(t.record->info.name + ":" + t.action +
                  (t.exit_code ? "(" + std::to_string(*t.exit_code) + ")" : std::string()));
  }
  return out;
}

}  // namespace

TEST(ContainerCache, WritesThroughToTheCatalog) {
  ContainerCatalog catalog;
  ContainerCache cache(catalog);
  const auto edge = parse_container_inspect(*read_whole_file(std::string(EDGEGUARD_TEST_DIR) +
                                                             "/fixtures/docker/inspect_edgeHub.json"));
  cache.put(edge);
  const auto found = catalog.find(edge.info.id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->name, "edgeHub");
  EXPECT_EQ(found->edge_module, "edgeHub");
  EXPECT_EQ(found->image, "edgeguard-test/busybox:1");
  ASSERT_TRUE(cache.get(edge.info.id));
  EXPECT_EQ(cache.get(edge.info.id)->inspect["Config"]["Image"], "edgeguard-test/busybox:1");
  cache.erase(edge.info.id);
  EXPECT_FALSE(catalog.find(edge.info.id));
  EXPECT_FALSE(cache.get(edge.info.id));
}

TEST(ContainerCache, TellsSubscribersEveryChange) {
  ContainerCatalog catalog;
  ContainerCache cache(catalog);
  std::vector<std::string> seen;
  const int subscription = cache.subscribe([&](const ContainerChange& change) {
    const char* kind = change.kind == ContainerChange::Kind::Added     ? "added"
                       : change.kind == ContainerChange::Kind::Updated ? "updated"
                                                                       : "removed";
    seen.push_back(std::string(kind) + ":" + change.record->info.name);
  });
  cache.put(container("one", "created", 0, 0));
  cache.put(container("one", "running", 5 * kSecond, 0));
  cache.replace_all({container("two", "created", 0, 0)}, 10 * kSecond);
  cache.erase(container("two", "created", 0, 0).info.id);
  cache.unsubscribe(subscription);
  cache.put(container("three", "created", 0, 0));
  EXPECT_EQ(seen, (std::vector<std::string>{"added:one", "updated:one", "added:two", "removed:one", "removed:two"}));
}

TEST(ContainerCache, ResyncReportsWhatHappenedWhileAway) {
  ContainerCatalog catalog;
  ContainerCache cache(catalog);
  cache.replace_all({container("keeps", "running", 1 * kSecond, 0), container("stops", "running", 1 * kSecond, 0),
                     container("goes", "running", 1 * kSecond, 0), container("idle", "created", 0, 0),
                     container("restarts", "running", 1 * kSecond, 0), container("same", "exited", 1 * kSecond, 2 * kSecond, 1)},
                    3 * kSecond);
  // While away: stops exited 137, goes was removed, restarts restarted, new was created and
  // started, quick ran and exited 7, idle was removed without ever running.
  const auto transitions = cache.replace_all(
      {container("keeps", "running", 1 * kSecond, 0), container("stops", "exited", 1 * kSecond, 5 * kSecond, 137),
       container("restarts", "running", 6 * kSecond, 4 * kSecond), container("new", "running", 7 * kSecond, 0),
       container("quick", "exited", 7 * kSecond, 8 * kSecond, 7), container("same", "exited", 1 * kSecond, 2 * kSecond, 1)},
      9 * kSecond);
  std::vector<std::string> got = steps(transitions);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"goes:destroy", "goes:die", "idle:destroy", "new:create", "new:start",
                                           "quick:create", "quick:die(7)", "quick:start", "restarts:die", "restarts:start",
                                           "stops:die(137)"}));
  // Per container the order is the order things happen.
  std::vector<std::string> quick;
  for (const auto& step : steps(transitions)) {
    if (step.rfind("quick:", 0) == 0 || step.rfind("goes:", 0) == 0 || step.rfind("restarts:", 0) == 0) quick.push_back(step);
  }
  EXPECT_EQ(quick, (std::vector<std::string>{"restarts:die", "restarts:start", "quick:create", "quick:start", "quick:die(7)",
                                             "goes:die", "goes:destroy"}));
  EXPECT_TRUE(catalog.find(container("new", "running", 0, 0).info.id));
  EXPECT_FALSE(catalog.find(container("goes", "running", 0, 0).info.id));
  EXPECT_EQ(cache.size(), 6u);
}

TEST(ContainerCache, RestartedAndStoppedAgainWhileAway) {
  ContainerCatalog catalog;
  ContainerCache cache(catalog);
  cache.replace_all({container("flaky", "running", 1 * kSecond, 0)}, 2 * kSecond);
  const auto transitions = cache.replace_all({container("flaky", "exited", 4 * kSecond, 5 * kSecond, 2)}, 6 * kSecond);
  EXPECT_EQ(steps(transitions), (std::vector<std::string>{"flaky:die", "flaky:start", "flaky:die(2)"}));
}

TEST(ContainerCache, AContainerThatExitedAtOnceWhileAwayDied) {
  // The engine stamps StartedAt after its runtime started the process and FinishedAt with the
  // runtime's exit time: a process that exits at once can have finished before it "started".
  ContainerCatalog catalog;
  ContainerCache cache(catalog);
  cache.replace_all({}, 1 * kSecond);
  const auto transitions =
      cache.replace_all({container("instant", "exited", 3 * kSecond, 3 * kSecond - 1'000'000, 7)}, 4 * kSecond);
  EXPECT_EQ(steps(transitions), (std::vector<std::string>{"instant:create", "instant:start", "instant:die(7)"}));
}

TEST(ContainerCache, AFailedInspectKeepsTheLastGoodSettings) {
  ContainerCatalog catalog;
  ContainerCache cache(catalog);
  ContainerRecord good = container("svc", "running", 1 * kSecond, 0);
  good.settings.privileged = true;
  cache.replace_all({good}, 2 * kSecond);
  ContainerRecord partial = container("svc-renamed", "running", 0, 0);
  partial.info.id = good.info.id;
  partial.settings_known = false;
  const auto transitions = cache.replace_all({partial}, 3 * kSecond);
  EXPECT_TRUE(transitions.empty());
  const auto kept = cache.get(good.info.id);
  ASSERT_TRUE(kept);
  EXPECT_TRUE(kept->settings_known);
  EXPECT_TRUE(kept->settings.privileged);
  EXPECT_EQ(kept->info.name, "svc-renamed");
  EXPECT_EQ(kept->state.started_at_ns, 1 * kSecond);
}

TEST(ContainerCache, EventsUpToAResyncAreRecognisedAsReplayed) {
  ContainerCatalog catalog;
  ContainerCache cache(catalog);
  ContainerRecord seen = container("seen", "running", 1 * kSecond, 0);
  seen.synced_at_ns = 5 * kSecond;
  ContainerRecord gone = container("gone", "running", 1 * kSecond, 0);
  cache.replace_all({seen, gone}, 2 * kSecond);
  cache.replace_all({seen}, 6 * kSecond);
  EXPECT_TRUE(cache.reflected_by_resync(seen.info.id, 5 * kSecond));
  EXPECT_FALSE(cache.reflected_by_resync(seen.info.id, 5 * kSecond + 1));
  EXPECT_TRUE(cache.reflected_by_resync(gone.info.id, 6 * kSecond));
  EXPECT_FALSE(cache.reflected_by_resync(gone.info.id, 6 * kSecond + 1));
  EXPECT_FALSE(cache.reflected_by_resync(std::string(64, 'e'), 0));
  // A later put (an event's inspect) keeps the resync mark.
  cache.put(container("seen", "exited", 1 * kSecond, 7 * kSecond));
  EXPECT_TRUE(cache.reflected_by_resync(seen.info.id, 5 * kSecond));
}
