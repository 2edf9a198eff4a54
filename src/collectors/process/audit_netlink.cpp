#include "collectors/process/audit_netlink.h"

#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <system_error>

namespace edgeguard::audit {
namespace {

#if defined(__x86_64__)
constexpr uint32_t kNativeArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr uint32_t kNativeArch = AUDIT_ARCH_AARCH64;
#elif defined(__arm__)
constexpr uint32_t kNativeArch = AUDIT_ARCH_ARM;
#elif defined(__i386__)
constexpr uint32_t kNativeArch = AUDIT_ARCH_I386;
#else
#error "audit_netlink.cpp: add the AUDIT_ARCH_ value of this architecture"
#endif

constexpr int kReplyTimeoutMs = 5000;

}  // namespace

AuditSocket::AuditSocket() {
  fd_ = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "socket(AF_NETLINK, NETLINK_AUDIT)");
  sockaddr_nl address{};
  address.nl_family = AF_NETLINK;
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    const int error = errno;
    ::close(fd_);
    throw std::system_error(error, std::generic_category(), "bind(NETLINK_AUDIT)");
  }
}

AuditSocket::~AuditSocket() {
  if (fd_ >= 0) ::close(fd_);
}

int AuditSocket::join_multicast() {
  const int group = AUDIT_NLGRP_READLOG;
  if (::setsockopt(fd_, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) != 0) return errno;
  return 0;
}

void AuditSocket::set_receive_buffer(int bytes) {
  if (::setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) != 0) {
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
  }
}

int AuditSocket::send(uint16_t type, uint16_t flags, const void* payload, size_t size, uint32_t& sequence) {
  char message[8192] = {};
  if (NLMSG_SPACE(size) > sizeof(message)) return -EMSGSIZE;
  nlmsghdr header{};
  header.nlmsg_len = static_cast<uint32_t>(NLMSG_LENGTH(size));
  header.nlmsg_type = type;
  header.nlmsg_flags = flags;
  header.nlmsg_seq = sequence = ++sequence_;
  std::memcpy(message, &header, sizeof(header));
  if (size) std::memcpy(message + NLMSG_HDRLEN, payload, size);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  while (::sendto(fd_, message, header.nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof(kernel)) < 0) {
    if (errno != EINTR) return -errno;
  }
  return 0;
}

int AuditSocket::wait_ack(uint32_t sequence, audit_status* status_reply) {
  char buffer[16384];
  bool got_status = status_reply == nullptr;
  while (true) {
    pollfd pfd{fd_, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, kReplyTimeoutMs);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return -ETIMEDOUT;
    const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    // Messages are copied out rather than cast in place: the buffer has no alignment guarantee.
    size_t offset = 0;
    while (offset + NLMSG_HDRLEN <= static_cast<size_t>(n)) {
      nlmsghdr header{};
      std::memcpy(&header, buffer + offset, sizeof(header));
      if (header.nlmsg_len < NLMSG_HDRLEN || offset + header.nlmsg_len > static_cast<size_t>(n)) break;
      const char* payload = buffer + offset + NLMSG_HDRLEN;
      const size_t payload_size = header.nlmsg_len - NLMSG_HDRLEN;
      offset += NLMSG_ALIGN(header.nlmsg_len);
      if (header.nlmsg_seq != sequence) continue;
      if (header.nlmsg_type == NLMSG_ERROR) {
        nlmsgerr error{};
        std::memcpy(&error, payload, std::min(sizeof(error), payload_size));
        if (error.error != 0) return error.error;
        if (got_status) return 0;
        continue;  // the ack came before the reply; the reply follows
      }
      if (header.nlmsg_type == AUDIT_GET && status_reply) {
        std::memset(status_reply, 0, sizeof(*status_reply));
        std::memcpy(status_reply, payload, std::min(sizeof(*status_reply), payload_size));
        got_status = true;
        return 0;
      }
    }
  }
}

int AuditSocket::request(uint16_t type, const void* payload, size_t size) {
  uint32_t sequence = 0;
  if (const int error = send(type, NLM_F_REQUEST | NLM_F_ACK, payload, size, sequence)) return error;
  return wait_ack(sequence, nullptr);
}

std::optional<audit_status> AuditSocket::status(int* error) {
  uint32_t sequence = 0;
  audit_status reply{};
  int result = send(AUDIT_GET, NLM_F_REQUEST, nullptr, 0, sequence);
  if (result == 0) result = wait_ack(sequence, &reply);
  if (error) *error = result;
  if (result != 0) return std::nullopt;
  return reply;
}

int AuditSocket::set_status(const audit_status& status) { return request(AUDIT_SET, &status, sizeof(status)); }

AuditRule::AuditRule(const std::vector<int>& syscalls, const std::string& key) : key_(key) {
  rule_.flags = AUDIT_FILTER_EXIT;
  rule_.action = AUDIT_ALWAYS;
  description_ = "-a always,exit -F arch=native";
  for (const int syscall : syscalls) {
    rule_.mask[syscall / 32] |= 1u << (syscall % 32);
    description_ += " -S " + std::to_string(syscall);
  }
  add_field(AUDIT_ARCH, kNativeArch);
  description_ += " -k " + key;
}

void AuditRule::add_field(uint32_t field, uint32_t value) {
  const size_t index = rule_.field_count++;
  rule_.fields[index] = field;
  rule_.fieldflags[index] = AUDIT_EQUAL;
  rule_.values[index] = value;
}

std::vector<uint8_t> AuditRule::bytes() const {
  // The key is the last field: its text is the whole string buffer.
  static_assert(sizeof(Fixed) == offsetof(audit_rule_data, buf), "struct audit_rule_data changed");
  Fixed rule = rule_;
  const size_t index = rule.field_count++;
  rule.fields[index] = AUDIT_FILTERKEY;
  rule.fieldflags[index] = AUDIT_EQUAL;
  rule.values[index] = static_cast<uint32_t>(key_.size());
  rule.buflen = static_cast<uint32_t>(key_.size());
  std::vector<uint8_t> out(sizeof(rule) + key_.size());
  std::memcpy(out.data(), &rule, sizeof(rule));
  std::memcpy(out.data() + sizeof(rule), key_.data(), key_.size());
  return out;
}

AuditRule& AuditRule::success() {
  add_field(AUDIT_SUCCESS, 1);
  description_ += " -F success=1";
  return *this;
}

AuditRule& AuditRule::exit_equals(int32_t value) {
  add_field(AUDIT_EXIT, static_cast<uint32_t>(value));
  description_ += " -F exit=" + std::to_string(value);
  return *this;
}

}  // namespace edgeguard::audit
