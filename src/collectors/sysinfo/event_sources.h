#pragma once
// Which kernel event sources this agent can use here, found by trying each one the cheapest way
// that still proves it works: BTF present, a trivial eBPF tracepoint program and a ring buffer
// map load, the audit netlink socket answers AUDIT_GET, the proc connector acknowledges
// PROC_CN_MCAST_LISTEN (immediately balanced by IGNORE). Nothing is left behind: every socket,
// program and map is closed before returning. Takes about a millisecond.
#include <map>
#include <string>

namespace edgeguard {

// ExtraDetails entries: "KernelBtf", "Ebpf", "AuditNetlink" (+ "AuditEnabled", "AuditDaemonPid"),
// "ProcConnector". Values are "available" or "unavailable: <why>".
std::map<std::string, std::string> probe_kernel_event_sources();

}  // namespace edgeguard
