/* The records the eBPF programs (edgeguard.bpf.c) put in the ring buffer, shared with user space
 * (src/collectors/process/ebpf_source.cpp). Plain C, fixed-width types only, so both compilers
 * (clang -target bpf, gcc/clang for the agent) lay them out identically. */
#ifndef EDGEGUARD_BPF_EVENTS_H
#define EDGEGUARD_BPF_EVENTS_H

#ifdef __bpf__
/* vmlinux.h provides __u8 .. __u64. */
#else
#include <linux/types.h>
#endif

enum eg_event_type {
  EG_EVENT_EXEC = 1,
  EG_EVENT_FORK = 2,
  EG_EVENT_EXIT = 3,
  EG_EVENT_CONNECT = 4, /* outbound TCP connect */
  EG_EVENT_ACCEPT = 5,  /* inbound TCP accept */
};

/* Slots of the per-CPU "drops" counter map. */
enum eg_drop_slot {
  EG_DROP_EXEC_RINGBUF = 0,    /* exec records the ring buffer had no room for */
  EG_DROP_CONN_RINGBUF = 1,    /* connect/accept records the ring buffer had no room for */
  EG_DROP_TABLE_RINGBUF = 2,   /* fork/exit records (process table upkeep, not reported events) */
  EG_DROP_EXEC_SIMULATED = 3,  /* simulateKernelDropEveryN */
  EG_DROP_CONN_SIMULATED = 4,
  EG_DROP_EXEC_READ = 5,       /* exec records whose scratch buffer was unavailable */
  EG_DROP_SLOTS = 8,
};

/* Limits of what one exec record carries. Longer argv is cut and flagged. */
#define EG_ARGS_MAX 32767u        /* bytes of the NUL-separated argv block */
#define EG_NAME_MAX 256u          /* one path component, with its NUL */
#define EG_PATH_DEPTH 31          /* components of the executable's path */
#define EG_CGROUP_DEPTH 15        /* components of the cgroup path */
#define EG_PATH_AREA 8192u        /* room for the path's components (power of two) */
#define EG_CGROUP_AREA 4096u      /* room for the cgroup's components (power of two) */
#define EG_NAMES_AREA 16384u      /* path + cgroup areas, with headroom (power of two) */
#define EG_DATA_SIZE (EG_NAMES_AREA + EG_ARGS_MAX + 1u)

/* Flags of an exec record. */
#define EG_EXEC_ARGS_TRUNCATED 0x1u  /* argv was longer than the configured maximum */
#define EG_EXEC_PATH_TRUNCATED 0x2u  /* the executable path was deeper than EG_PATH_DEPTH */
#define EG_EXEC_CGROUP_TRUNCATED 0x4u
#define EG_EXEC_ARGS_UNREADABLE 0x8u /* the argv pages could not be read */

struct eg_header {
  __u32 type; /* enum eg_event_type */
  __u32 size; /* bytes of the whole record */
  __u64 time_ns; /* bpf_ktime_get_boot_ns() */
};

/* Followed by `data`: the executable path's components leaf first, each NUL-terminated
 * (path_bytes in all), then the cgroup path's components leaf first (cgroup_bytes), then the raw
 * argv block (args_bytes). */
struct eg_exec_event {
  struct eg_header hdr;
  __u32 pid;         /* thread group id as seen from the initial pid namespace */
  __u32 ppid;        /* real parent's thread group id */
  __u32 uid;         /* real uid */
  __u32 euid;
  __u64 start_ns;    /* group leader's start time: (pid, start_ns) names one process */
  __u64 parent_start_ns;
  __u64 cgroup_id;   /* kernfs id of the cgroup in the tracked hierarchy */
  __u32 path_bytes;
  __u32 cgroup_bytes;
  __u32 args_bytes;
  __u32 args_total;  /* length of the whole argv block in the process */
  __u32 flags;
  __u32 path_depth;  /* number of path components */
  __u32 cgroup_depth;
  __u32 reserved;
  char comm[16];
  char data[EG_DATA_SIZE];
};

#define EG_EXEC_HEADER_SIZE (sizeof(struct eg_exec_event) - EG_DATA_SIZE)

/* A new process (not a thread) forked. */
struct eg_fork_event {
  struct eg_header hdr;
  __u32 pid;
  __u32 ppid;
  __u64 start_ns;
  __u64 parent_start_ns;
};

/* The last thread of a process exited. */
struct eg_exit_event {
  struct eg_header hdr;
  __u32 pid;
  __u32 exit_code;
  __u64 start_ns;
};

struct eg_conn_event {
  struct eg_header hdr;
  __u32 pid;
  __u32 uid;
  __u64 start_ns;
  __u16 family;      /* AF_INET or AF_INET6 */
  __u16 protocol;    /* IPPROTO_TCP */
  __u16 local_port;  /* host byte order */
  __u16 remote_port; /* host byte order */
  __u8 local_addr[16];  /* 4 bytes used for AF_INET */
  __u8 remote_addr[16];
  char comm[16];
};

#endif
