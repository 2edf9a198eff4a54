// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* edgeguard's kernel probes: process exec/fork/exit and TCP connect/accept, CO-RE.
 *
 * Only BTF-typed tracepoints (tp_btf): they need no tracefs, so they attach on a machine exactly
 * as it boots, and need no BPF trampoline (fentry/fexit/LSM), which some kernels lack. Records
 * go through one BPF ring buffer; every record that cannot be written is counted in the per-CPU `drops` map, which user space turns into
 * DroppedEventsStatistics. */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "edgeguard_events.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define EINPROGRESS 115
#define S_IFMT 00170000
#define S_IFSOCK 0140000

/* Set by user space before load. */
const volatile int cfg_cgroup_subsys = -1; /* -1: cgroup v2 (default hierarchy); else a v1 controller id */
const volatile long cfg_nr_connect = -1;   /* syscall numbers of this architecture */
const volatile long cfg_nr_accept = -1;
const volatile long cfg_nr_accept4 = -1;

/* Changed by user space at run time through the mmap'ed .data section. */
volatile __u32 cfg_max_args = 4097;       /* bytes of argv to copy (commandLineMaxBytes + 1) */
volatile __u32 cfg_simulate_every = 0;    /* drop every n-th exec/connection record (test switch) */
volatile __u32 cfg_capture_exec = 1;      /* exec/fork/exit (also needed to name connecting processes) */
volatile __u32 cfg_capture_conn = 1;
volatile __u64 cfg_wakeup_bytes = 65536; /* wake the reader once this much is waiting */

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 4 << 20); /* user space may resize before load */
} events SEC(".maps");

/* One exec record under construction per CPU. A plain array indexed by CPU (sized by user space
 * to the number of possible CPUs) because the record is larger than a per-CPU map value may be.
 * Only used from tracepoints, which run with preemption disabled. */
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct eg_exec_event);
} exec_scratch SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, EG_DROP_SLOTS);
  __type(key, __u32);
  __type(value, __u64);
} drops SEC(".maps");

/* Per-CPU sequence numbers for the drop simulation: slot 0 exec, slot 1 connections. */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 2);
  __type(key, __u32);
  __type(value, __u64);
} seen SEC(".maps");

/* Kernels before 6.15 call the parent pointer `parent`. */
struct kernfs_node___pre615 {
  struct kernfs_node *parent;
} __attribute__((preserve_access_index));

static __always_inline void count_drop(__u32 slot) {
  __u64 *counter = bpf_map_lookup_elem(&drops, &slot);
  if (counter) *counter += 1;
}

/* True when this record is to be dropped by the simulation (and counts it). */
static __always_inline int simulated_drop(__u32 seen_slot, __u32 drop_slot) {
  __u32 every = cfg_simulate_every;
  if (every == 0) return 0;
  __u64 *counter = bpf_map_lookup_elem(&seen, &seen_slot);
  if (!counter) return 0;
  *counter += 1;
  if (*counter % every != 0) return 0;
  count_drop(drop_slot);
  return 1;
}

static __always_inline __u64 wakeup_flags(void) {
  return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= cfg_wakeup_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

static __always_inline __u64 process_start(struct task_struct *task) {
  return BPF_CORE_READ(task, group_leader, start_boottime);
}

static __always_inline struct kernfs_node *kernfs_parent(struct kernfs_node *kn) {
  if (bpf_core_field_exists(kn->__parent)) return BPF_CORE_READ(kn, __parent);
  return BPF_CORE_READ((struct kernfs_node___pre615 *)kn, parent);
}

/* Appends the components of `file`'s path, leaf first, each NUL-terminated, stopping at the
 * task's root (so a container process gets the path it sees itself, as audit and /proc do).
 * The running offset and depth live in the record, not in registers: the verifier then sees
 * the same state at every iteration and the bounded loop verifies in linear time. */
static __always_inline void put_exe_path(struct eg_exec_event *e, struct task_struct *task, struct file *file) {
  struct dentry *root_dentry = BPF_CORE_READ(task, fs, root.dentry);
  struct vfsmount *root_mnt = BPF_CORE_READ(task, fs, root.mnt);
  struct dentry *dentry = BPF_CORE_READ(file, f_path.dentry);
  struct vfsmount *vfsmnt = BPF_CORE_READ(file, f_path.mnt);
  struct mount *mnt = container_of(vfsmnt, struct mount, mnt);
  int complete = 0;

  e->path_bytes = 0;
  e->path_depth = 0;
  for (int i = 0; i < EG_PATH_DEPTH + 8; i++) {
    if (dentry == root_dentry && vfsmnt == root_mnt) {
      complete = 1;
      break;
    }
    struct dentry *parent = BPF_CORE_READ(dentry, d_parent);
    if (dentry == BPF_CORE_READ(vfsmnt, mnt_root) || dentry == parent) {
      struct mount *mnt_parent = BPF_CORE_READ(mnt, mnt_parent);
      if (mnt_parent == mnt || !mnt_parent) {
        complete = 1; /* the namespace's root */
        break;
      }
      dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
      mnt = mnt_parent;
      vfsmnt = (struct vfsmount *)((char *)mnt + bpf_core_field_offset(struct mount, mnt));
      continue;
    }
    if (e->path_depth >= EG_PATH_DEPTH) break;
    const unsigned char *name = BPF_CORE_READ(dentry, d_name.name);
    long n = bpf_probe_read_kernel_str(&e->data[e->path_bytes & (EG_PATH_AREA - 1)], EG_NAME_MAX, name);
    if (n <= 0) break;
    e->path_bytes += (__u32)n;
    e->path_depth += 1;
    dentry = parent;
  }
  if (!complete) e->flags |= EG_EXEC_PATH_TRUNCATED;
}

static __always_inline struct kernfs_node *task_cgroup_node(struct task_struct *task) {
  int subsys = cfg_cgroup_subsys;
  if (subsys < 0) return BPF_CORE_READ(task, cgroups, dfl_cgrp, kn);
  struct css_set *cset = BPF_CORE_READ(task, cgroups);
  struct cgroup_subsys_state *css = NULL;
  bpf_core_read(&css, sizeof(css), &cset->subsys[subsys & 15]);
  if (!css) return NULL;
  return BPF_CORE_READ(css, cgroup, kn);
}

/* Appends the task's cgroup path components (tracked hierarchy), leaf first, after the path. */
static __always_inline void put_cgroup_path(struct eg_exec_event *e, struct task_struct *task) {
  struct kernfs_node *kn = task_cgroup_node(task);
  e->cgroup_bytes = 0;
  e->cgroup_depth = 0;
  if (!kn) return;
  e->cgroup_id = BPF_CORE_READ(kn, id);
  for (int i = 0; i < EG_CGROUP_DEPTH; i++) {
    struct kernfs_node *parent = kernfs_parent(kn);
    if (!parent) return; /* the hierarchy's root has no name of its own */
    const char *name = BPF_CORE_READ(kn, name);
    __u32 off = EG_PATH_AREA + (e->cgroup_bytes & (EG_CGROUP_AREA - 1));
    long n = bpf_probe_read_kernel_str(&e->data[off & (EG_NAMES_AREA - 1)], EG_NAME_MAX, name);
    if (n <= 0) return;
    e->cgroup_bytes += (__u32)n;
    e->cgroup_depth += 1;
    kn = parent;
  }
  if (kernfs_parent(kn)) e->flags |= EG_EXEC_CGROUP_TRUNCATED;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(eg_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm) {
  if (!cfg_capture_exec) return 0;
  if (simulated_drop(0, EG_DROP_EXEC_SIMULATED)) return 0;

  __u32 cpu = bpf_get_smp_processor_id();
  struct eg_exec_event *e = bpf_map_lookup_elem(&exec_scratch, &cpu);
  if (!e) {
    count_drop(EG_DROP_EXEC_READ);
    return 0;
  }
  e->hdr.type = EG_EVENT_EXEC;
  e->hdr.time_ns = bpf_ktime_get_boot_ns();
  e->pid = BPF_CORE_READ(task, tgid);
  e->ppid = BPF_CORE_READ(task, real_parent, tgid);
  e->uid = BPF_CORE_READ(task, real_cred, uid.val);
  e->euid = BPF_CORE_READ(task, real_cred, euid.val);
  e->start_ns = process_start(task);
  e->parent_start_ns = BPF_CORE_READ(task, real_parent, group_leader, start_boottime);
  e->cgroup_id = 0;
  e->flags = 0;
  e->path_depth = 0;
  e->cgroup_depth = 0;
  e->reserved = 0;
  bpf_get_current_comm(e->comm, sizeof(e->comm));

  put_exe_path(e, task, BPF_CORE_READ(bprm, file));
  put_cgroup_path(e, task);
  /* The cgroup components were written at EG_PATH_AREA; close the gap after the path. */
  __u32 path_bytes = e->path_bytes & (EG_PATH_AREA - 1);
  __u32 cgroup_bytes = e->cgroup_bytes & (EG_CGROUP_AREA - 1);
  if (cgroup_bytes > 0 && path_bytes < EG_PATH_AREA) {
    bpf_probe_read_kernel(&e->data[path_bytes], cgroup_bytes, &e->data[EG_PATH_AREA]);
  }
  __u32 off = (path_bytes + cgroup_bytes) & (EG_NAMES_AREA - 1);

  unsigned long arg_start = BPF_CORE_READ(task, mm, arg_start);
  unsigned long arg_end = BPF_CORE_READ(task, mm, arg_end);
  __u32 total = arg_end > arg_start ? (__u32)(arg_end - arg_start) : 0;
  __u32 len = total;
  __u32 max = cfg_max_args;
  if (max > EG_ARGS_MAX) max = EG_ARGS_MAX;
  if (len > max) {
    len = max;
    e->flags |= EG_EXEC_ARGS_TRUNCATED;
  }
  len &= EG_ARGS_MAX;
  if (len > 0 && bpf_probe_read_user(&e->data[off], len, (const void *)arg_start) != 0) {
    e->flags |= EG_EXEC_ARGS_UNREADABLE;
    len = 0;
  }
  e->args_bytes = len;
  e->args_total = total;

  __u64 size = EG_EXEC_HEADER_SIZE + off + len;
  if (size > sizeof(*e)) size = sizeof(*e);
  e->hdr.size = (__u32)size;
  if (bpf_ringbuf_output(&events, e, size, wakeup_flags()) != 0) count_drop(EG_DROP_EXEC_RINGBUF);
  return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(eg_fork, struct task_struct *parent, struct task_struct *child) {
  if (!cfg_capture_exec) return 0;
  if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid)) return 0; /* a thread */
  struct eg_fork_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
  if (!e) {
    count_drop(EG_DROP_TABLE_RINGBUF);
    return 0;
  }
  e->hdr.type = EG_EVENT_FORK;
  e->hdr.size = sizeof(*e);
  e->hdr.time_ns = bpf_ktime_get_boot_ns();
  e->pid = BPF_CORE_READ(child, tgid);
  e->ppid = BPF_CORE_READ(parent, tgid);
  e->start_ns = BPF_CORE_READ(child, start_boottime);
  e->parent_start_ns = process_start(parent);
  bpf_ringbuf_submit(e, wakeup_flags());
  return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(eg_exit, struct task_struct *task) {
  if (!cfg_capture_exec) return 0;
  /* Once per process: when its last thread leaves (do_exit has already counted it out). */
  if (BPF_CORE_READ(task, signal, live.counter) != 0) return 0;
  struct eg_exit_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
  if (!e) {
    count_drop(EG_DROP_TABLE_RINGBUF);
    return 0;
  }
  e->hdr.type = EG_EVENT_EXIT;
  e->hdr.size = sizeof(*e);
  e->hdr.time_ns = bpf_ktime_get_boot_ns();
  e->pid = BPF_CORE_READ(task, tgid);
  e->exit_code = BPF_CORE_READ(task, exit_code);
  e->start_ns = process_start(task);
  bpf_ringbuf_submit(e, wakeup_flags());
  return 0;
}

static __always_inline void submit_connection(struct sock *sk, __u32 type) {
  __u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
  if (family != AF_INET && family != AF_INET6) return;
  if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP) return;
  if (simulated_drop(1, EG_DROP_CONN_SIMULATED)) return;
  struct eg_conn_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
  if (!e) {
    count_drop(EG_DROP_CONN_RINGBUF);
    return;
  }
  struct task_struct *task = (struct task_struct *)bpf_get_current_task();
  __u64 uid_gid = bpf_get_current_uid_gid();
  e->hdr.type = type;
  e->hdr.size = sizeof(*e);
  e->hdr.time_ns = bpf_ktime_get_boot_ns();
  e->pid = bpf_get_current_pid_tgid() >> 32;
  e->uid = (__u32)uid_gid;
  e->start_ns = process_start(task);
  e->family = family;
  e->protocol = IPPROTO_TCP;
  e->local_port = BPF_CORE_READ(sk, __sk_common.skc_num);
  e->remote_port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
  __builtin_memset(e->local_addr, 0, sizeof(e->local_addr));
  __builtin_memset(e->remote_addr, 0, sizeof(e->remote_addr));
  if (family == AF_INET) {
    bpf_core_read(e->local_addr, 4, &sk->__sk_common.skc_rcv_saddr);
    bpf_core_read(e->remote_addr, 4, &sk->__sk_common.skc_daddr);
  } else {
    bpf_core_read(e->local_addr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
    bpf_core_read(e->remote_addr, 16, &sk->__sk_common.skc_v6_daddr);
  }
  bpf_get_current_comm(e->comm, sizeof(e->comm));
  bpf_ringbuf_submit(e, wakeup_flags());
}

/* The socket behind descriptor `fd` of the current task, or NULL. */
static __always_inline struct sock *socket_of_fd(long fd) {
  if (fd < 0) return NULL;
  struct task_struct *task = (struct task_struct *)bpf_get_current_task();
  struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
  if (!fdt || (unsigned long)fd >= BPF_CORE_READ(fdt, max_fds)) return NULL;
  struct file **fds = BPF_CORE_READ(fdt, fd);
  struct file *file = NULL;
  bpf_core_read(&file, sizeof(file), &fds[fd]);
  if (!file) return NULL;
  if ((BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT) != S_IFSOCK) return NULL;
  struct socket *sock = BPF_CORE_READ(file, private_data);
  if (!sock) return NULL;
  return BPF_CORE_READ(sock, sk);
}

#if defined(__TARGET_ARCH_x86)
#define EG_SYSCALL_NR(regs) BPF_CORE_READ(regs, orig_ax)
#define EG_SYSCALL_ARG0(regs) BPF_CORE_READ(regs, di)
#elif defined(__TARGET_ARCH_arm64)
#define EG_SYSCALL_NR(regs) BPF_CORE_READ(regs, syscallno)
#define EG_SYSCALL_ARG0(regs) BPF_CORE_READ(regs, orig_x0)
#else
#error "edgeguard.bpf.c: add the syscall register layout of this architecture"
#endif

/* connect() and accept()/accept4() as they return, in the calling process: the socket's
 * addresses and ports are all known by then. This kernel-side filter is the first thing that
 * runs on every syscall exit, so it only compares the syscall number before anything else.
 * (Syscall tracepoints rather than fentry on tcp_connect/inet_accept: trampolines are not
 * available on every kernel, e.g. arm64 before 6.0 or locked-down hosts.) */
SEC("tp_btf/sys_exit")
int BPF_PROG(eg_sys_exit, struct pt_regs *regs, long ret) {
  long nr = EG_SYSCALL_NR(regs);
  if (nr == cfg_nr_connect) {
    if (ret != 0 && ret != -EINPROGRESS) return 0; /* refused, unreachable...: no connection */
    if (!cfg_capture_conn) return 0;
    struct sock *sk = socket_of_fd(EG_SYSCALL_ARG0(regs));
    if (sk) submit_connection(sk, EG_EVENT_CONNECT);
  } else if (nr == cfg_nr_accept || nr == cfg_nr_accept4) {
    if (ret < 0 || !cfg_capture_conn) return 0;
    struct sock *sk = socket_of_fd(ret);
    if (sk) submit_connection(sk, EG_EVENT_ACCEPT);
  }
  return 0;
}
