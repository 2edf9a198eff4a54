#pragma once
// Turns the items of one periodic snapshot into events: one event when they fit in a message,
// several (each a valid snapshot event of the same name) when they do not, and the IsEmpty
// snapshot when there are none. Without the split, a host with a thousand listening sockets
// would produce one event larger than maxMessageSizeInBytes, which the pipeline must drop.
#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/event.h"

namespace edgeguard {

// Room the message envelope and the event's own fields (Id, timestamps, Name...) take.
inline constexpr size_t kSnapshotEnvelopeAllowance = 1024;

// `message_limit` is AgentConfig::effective_message_limit(). An item that alone exceeds the
// room goes out in an event of its own (the pipeline then counts it as OversizeEvent).
std::vector<Event> make_snapshot_events(const std::string& name, std::vector<nlohmann::json> items,
                                        size_t message_limit);

}  // namespace edgeguard
