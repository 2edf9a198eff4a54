// A process that runs the agent's real pipeline (intake queue, SQLite store, batching, fsync'd
// file sink) under a synthetic collector, so tests can kill -9 it at any moment and restart it.
//
//   pipeline_child produce STATE_DIR OUTPUT COUNT   submit COUNT events (payload Seq 0..COUNT-1)
//                                                   while the sender runs, then wait to be killed
//   pipeline_child drain STATE_DIR OUTPUT           send everything still stored, exit 0
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "config/agent_config.h"
#include "pipeline/pipeline.h"
#include "transport/file_sink.h"

using namespace edgeguard;

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: pipeline_child produce|drain STATE_DIR OUTPUT [COUNT]\n");
    return 2;
  }
  const std::string mode = argv[1];
  const std::filesystem::path state = argv[2];
  AgentConfig config = AgentConfig::defaults();
  config.max_message_size_bytes = 8192;
  config.max_local_cache_size_bytes = 64 << 20;
  config.high_priority_message_frequency = {std::chrono::milliseconds(200), "PT0.2S"};
  config.low_priority_message_frequency = {std::chrono::milliseconds(300), "PT0.3S"};
  EventStore store(state / "events.db", static_cast<uint64_t>(config.max_local_cache_size_bytes));
  FileSink sink(argv[3]);
  Statistics statistics;
  Pipeline pipeline(config, store, sink, statistics, {"9c647395-b913-4997-a732-a7fe7303b649", "test"});

  if (mode == "drain") return pipeline.flush_all(true) ? 0 : 1;

  const long count = argc > 4 ? std::strtol(argv[4], nullptr, 10) : 10000;
  pipeline.start();
  for (long seq = 0; seq < count; ++seq) {
    const char* name = seq % 3 == 0 ? "LocalUsers" : "SystemInformation";  // High and Low
    pipeline.submit(make_event(name, EventCategory::Periodic, EventKind::Security,
                               nlohmann::json::array({{{"UserName", "u"}, {"UserId", "1"},
                                                       {"GroupNames", std::to_string(seq)}, {"GroupIds", "1"}}})));
    if (seq % 200 == 199) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::printf("submitted %ld\n", count);
  std::fflush(stdout);
  std::this_thread::sleep_for(std::chrono::hours(1));
  return 0;
}
