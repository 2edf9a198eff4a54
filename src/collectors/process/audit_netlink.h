#pragma once
// The kernel's audit interface over netlink: status, rules, and the record stream (unicast to
// the registered audit daemon, or the read-only multicast group beside a running auditd).
#include <linux/audit.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace edgeguard::audit {

// A netlink socket of the audit family; closed on destruction.
class AuditSocket {
 public:
  AuditSocket();  // throws std::system_error
  ~AuditSocket();
  AuditSocket(const AuditSocket&) = delete;
  AuditSocket& operator=(const AuditSocket&) = delete;

  int fd() const { return fd_; }
  // Joins the read-only multicast group (kernel 3.16+, CAP_AUDIT_READ). Returns errno or 0.
  int join_multicast();
  // Asks for a larger receive buffer (beyond rmem_max when CAP_NET_ADMIN allows).
  void set_receive_buffer(int bytes);

  // Sends a request and waits for the kernel's acknowledgement. Returns 0 or a negative errno.
  int request(uint16_t type, const void* payload, size_t size);
  std::optional<audit_status> status(int* error = nullptr);
  // AUDIT_SET of the fields named in status.mask. Returns 0 or a negative errno.
  int set_status(const audit_status& status);

 private:
  int send(uint16_t type, uint16_t flags, const void* payload, size_t size, uint32_t& sequence);
  // Reads replies to `sequence` until its ack (or error); records of other types are dropped,
  // so call this only on a socket that does not receive the record stream yet.
  int wait_ack(uint32_t sequence, audit_status* status_reply);

  int fd_ = -1;
  uint32_t sequence_ = 0;
};

// One audit rule as the kernel takes it (struct audit_rule_data + its string buffer).
class AuditRule {
 public:
  // An exit-filter "always" rule on these syscalls of the native architecture, with the key.
  AuditRule(const std::vector<int>& syscalls, const std::string& key);
  AuditRule& success();             // -F success=1
  AuditRule& exit_equals(int32_t value);  // -F exit=<value>
  // The message payload: struct audit_rule_data followed by the key.
  std::vector<uint8_t> bytes() const;
  std::string describe() const { return description_; }

 private:
  // struct audit_rule_data without its flexible string buffer.
  struct Fixed {
    uint32_t flags;
    uint32_t action;
    uint32_t field_count;
    uint32_t mask[AUDIT_BITMASK_SIZE];
    uint32_t fields[AUDIT_MAX_FIELDS];
    uint32_t values[AUDIT_MAX_FIELDS];
    uint32_t fieldflags[AUDIT_MAX_FIELDS];
    uint32_t buflen;
  };
  void add_field(uint32_t field, uint32_t value);
  Fixed rule_{};
  std::string key_;
  std::string description_;
};

}  // namespace edgeguard::audit
