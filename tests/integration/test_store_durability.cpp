// kill -9 at any moment loses nothing that was stored and, with the file sink, sends nothing
// twice: the messages of the batch in flight that reached the file are recognised there on
// restart (pipeline/delivery_record.h). Runs the real pipeline, SQLite store and fsync'd file
// sink in a child process (tests/support/pipeline_child.cpp) and kills it mid-run.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "../support/process.h"
#include "../support/temp_dir.h"
#include "pipeline/event_store.h"

using namespace edgeguard;
using namespace std::chrono_literals;

namespace {

long seq_of(const nlohmann::json& event) { return std::stol(event["Payload"][0]["GroupNames"].get<std::string>()); }

// Complete lines only: a line cut by the kill has no newline yet.
std::vector<std::vector<long>> messages_in(const std::filesystem::path& file, size_t* longest = nullptr) {
  std::ifstream in(file, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::vector<long>> out;
  size_t start = 0;
  for (size_t end = text.find('\n'); end != std::string::npos; start = end + 1, end = text.find('\n', start)) {
    const auto document = nlohmann::json::parse(text.substr(start, end - start));
    if (longest) *longest = std::max(*longest, end - start);
    std::vector<long> seqs;
    for (const auto& event : document["Events"]) seqs.push_back(seq_of(event));
    out.push_back(std::move(seqs));
  }
  return out;
}

std::set<long> stored_seqs(const std::filesystem::path& db_path) {
  std::set<long> out;
  EventStore store(db_path, 1ull << 40);
  for (const Priority priority : {Priority::High, Priority::Low}) {
    for (const auto& row : store.oldest(priority, SIZE_MAX)) out.insert(seq_of(nlohmann::json::parse(row.body)));
  }
  return out;
}

}  // namespace

class KillNine : public ::testing::TestWithParam<int> {};

TEST_P(KillNine, NothingStoredIsLostAndNothingIsSentTwice) {
  test::TempDir dir;
  const auto output = dir / "out.jsonl";
  {
    test::ChildProcess child({PIPELINE_CHILD, "produce", dir.path().string(), output.string(), "20000"});
    std::this_thread::sleep_for(std::chrono::milliseconds(GetParam()));
    ASSERT_TRUE(child.running());
    child.signal(SIGKILL);
    EXPECT_EQ(child.wait(10s), -SIGKILL);
  }
  std::set<long> persisted;
  for (const auto& message : messages_in(output)) persisted.insert(message.begin(), message.end());
  const size_t sent_before = persisted.size();
  const std::set<long> still_stored = stored_seqs(dir / "events.db");
  persisted.insert(still_stored.begin(), still_stored.end());
  ASSERT_FALSE(persisted.empty());
  // Ingest is in submission order and nothing is evicted here, so what was ever persisted is a
  // prefix 0..M of what was submitted: a gap would be a stored event that vanished.
  const long last = *persisted.rbegin();
  EXPECT_EQ(persisted.size(), static_cast<size_t>(last + 1)) << "a stored event vanished";

  const auto drained = test::run({PIPELINE_CHILD, "drain", dir.path().string(), output.string()});
  ASSERT_EQ(drained.exit_code, 0) << drained.err;

  size_t longest = 0;
  const auto messages = messages_in(output, &longest);
  EXPECT_LE(longest, 8192u);
  std::map<long, int> seen;
  for (const auto& message : messages) {
    for (long seq : message) ++seen[seq];
  }
  for (long seq = 0; seq <= last; ++seq) EXPECT_GE(seen[seq], 1) << "event " << seq << " was stored but never sent";
  EXPECT_EQ(seen.rbegin()->first, last) << "an event appeared that was never stored";
  std::set<long> repeated;
  for (const auto& [seq, count] : seen) {
    if (count > 1) repeated.insert(seq);
  }
  EXPECT_TRUE(repeated.empty()) << repeated.size() << " event(s) sent twice, the first " << *repeated.begin();
  std::cout << "killed after " << GetParam() << " ms: " << sent_before << " sent before, " << still_stored.size()
            << " still stored, " << repeated.size() << " repeated after restart\n";
}

INSTANTIATE_TEST_SUITE_P(AtDifferentMoments, KillNine, ::testing::Values(350, 900, 1500, 2100));
