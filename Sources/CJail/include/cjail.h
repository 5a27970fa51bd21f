// CJail: the only code that runs between clone and execve, and the threads that clone.
//
// Everything the child needs (paths, mount list, BPF program, limits, argv, envp) is prepared by the
// Swift parent in a `cj_spec` before the clone. The child then runs async-signal-safe system calls
// only, reports a failing step and errno through a close-on-exec status pipe, and never returns.
//
// Files: cjail_child.c (the child: raw system calls only), cjail_spawner.c (the spawner thread and the
// network-namespace pool), cjail_parent.c (releasing and freeing a child). Generic system calls
// (pipes, memory files, reaping) are the SystemCalls module's, not this target's.
#ifndef CJAIL_H
#define CJAIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/// What a `cj_mount` entry makes inside the new root.
enum {
    CJ_MOUNT_BIND_RO = 1,   ///< bind `source` (host path) read-only, nosuid, nodev, recursively
    CJ_MOUNT_BIND_RW = 2,   ///< bind `source` (host path) writable, nosuid, nodev
    CJ_MOUNT_TMPFS = 3,     ///< tmpfs with options `data` (e.g. "size=64m,mode=1777"), nosuid, nodev
    CJ_MOUNT_PROC = 4,      ///< a new procfs for the new pid namespace
    CJ_MOUNT_DIR = 5,       ///< an empty directory (mode in `mode`)
    CJ_MOUNT_FILE = 6,      ///< a regular file whose content is `source` (`source_len` bytes)
    CJ_MOUNT_SYMLINK = 7,   ///< a symbolic link at `target` pointing to `source`
    CJ_MOUNT_DEV = 8,       ///< bind the host device node `source` (file) at `target`
    CJ_MOUNT_MASK = 9,      ///< hide `target`: /dev/null over a file, an empty read-only tmpfs over a directory
    CJ_MOUNT_READONLY = 10, ///< make the existing `target` read-only (bind over itself)
    CJ_MOUNT_DEVPTS = 11,   ///< a private devpts instance
    CJ_MOUNT_MQUEUE = 12,   ///< a private POSIX message-queue fs (ipc namespace)
};

/// `cj_mount.flags`
enum {
    CJ_MF_OPTIONAL = 1,     ///< skip silently when the source does not exist
    CJ_MF_REMOUNT_RO = 2,   ///< (tmpfs, dev) remount read-only once everything below it is in place
};

/// One entry of the mount list, applied in order. Targets are absolute paths inside the new root.
struct cj_mount {
    int kind;
    unsigned flags;
    const char *source;
    size_t source_len;
    const char *target;
    const char *data;
    unsigned mode;
};

/// One resource limit for `setrlimit`.
struct cj_rlimit {
    int resource;
    uint64_t soft;
    uint64_t hard;
};

/// The complete description of one jailed process. Owned by the caller; must stay valid until
/// `cj_spawn` returns.
struct cj_spec {
    // What to run.
    const char *path;            ///< program; resolved in PATH inside the jail when it has no '/'
    char *const *argv;           ///< NULL-terminated
    char *const *envp;           ///< NULL-terminated
    const char *const *search_path; ///< NULL-terminated directories to resolve `path` in
    const char *workdir;         ///< inside the jail
    const char *hostname;

    // Identity inside; the parent writes the maps.
    uid_t inner_uid;
    gid_t inner_gid;

    // Namespaces (CLONE_* flags, without CLONE_NEWUSER which is always set).
    uint64_t clone_flags;
    int net_loopback;            ///< bring `lo` up in the new network namespace

    // Filesystem.
    const char *staging_dir;     ///< host directory to build the root on (default "/tmp")
    const struct cj_mount *mounts;
    size_t mount_count;

    // Limits.
    const struct cj_rlimit *rlimits;
    size_t rlimit_count;

    // Seccomp (a BPF program of `seccomp_filter_len` struct sock_filter entries); may be NULL.
    const void *seccomp_filter;
    size_t seccomp_filter_len;
    unsigned seccomp_flags;      ///< SECCOMP_FILTER_FLAG_* for seccomp(2)
    int last_cap;                ///< highest capability number the kernel knows

    // File descriptors the child gets as 0, 1, 2 (owned by the caller).
    int stdin_fd;
    int stdout_fd;
    int stderr_fd;

    /// An O_PATH fd of the `omega-jail-init` executable, run as pid 1 (it reaps orphans, launches
    /// the tool and reports its status); -1 runs the tool itself as pid 1.
    int init_fd;
    /// A memfd holding the launch blob for the init (see `cj_launch_header`); -1 without init.
    int blob_fd;
    /// Take a fresh network namespace (lo up) from the pool when one is ready, instead of creating
    /// one in the clone (requires `cj_netns_pool_start`; ignored when `net_loopback` is 0).
    int net_from_pool;
    /// Send a CJ_REPORT_TIMING record (CLOCK_MONOTONIC ns in `wait_status`/`tool_pid`) after each phase.
    int trace;
};

/// What the status pipe carries: one record per event, fixed size.
enum {
    CJ_REPORT_SETUP_ERROR = 1, ///< a step failed before execve; `step` and `err` say which
    CJ_REPORT_EXIT = 2,        ///< the tool ended; `wait_status` is its raw wait status
    CJ_REPORT_TIMING = 3,      ///< (trace) phase `step` ended at the monotonic time in `ns`
};

/// One record on the status pipe.
struct cj_report {
    int32_t kind;
    int32_t err;
    int32_t wait_status;
    int32_t tool_pid;
    int64_t ns;
    char step[104];
};

/// A started child: the pid of the jail's first process (in the caller's pid namespace), a pidfd
/// for it, the read end of the status pipe, the write end of the release pipe, and the stack the
/// child runs on until it executes (freed by `cj_child_free`).
struct cj_child {
    pid_t pid;
    int pidfd;
    int status_fd;
    int release_fd;
    void *stack;
    size_t stack_size;
};

/// The launch blob the init reads from fd 4: this header, then NUL-terminated strings (program,
/// `argc` arguments, `envc` environment entries, `pathc` search directories), zero padding to a
/// multiple of 8, then `seccomp_len` 8-byte BPF instructions.
struct cj_launch_header {
    uint32_t magic;        ///< CJ_LAUNCH_MAGIC
    uint32_t argc;
    uint32_t envc;
    uint32_t pathc;
    uint32_t seccomp_len;
    uint32_t seccomp_flags;
    uint32_t trace;
    uint32_t strings_len;  ///< bytes of strings, before padding
    /// 0: no egress (the init only launches and reaps). Otherwise a TCP port (1-65535): before the
    /// tool starts, the init listens on 127.0.0.1:`egress_port` and relays each connection to a
    /// fresh connection to the Unix socket at CJ_EGRESS_SOCKET_PATH.
    uint32_t egress_port;
    uint32_t reserved;     ///< 0 (keeps the header a multiple of 8 bytes)
};

/// The layout version of `cj_launch_header`; the init refuses any other (bumped with every change).
enum { CJ_LAUNCH_MAGIC = 0x4f4d4732 /* "OMG2" */ };

/// Where the run's egress proxy socket is bound inside the jail (JailSpec.egressSocketPath).
#define CJ_EGRESS_SOCKET_PATH "/run/omega/egress.sock"

/// Starts (once) a background thread that keeps up to `target` (1-16) fresh network namespaces with
/// `lo` up ready, so that creating one (≈300 µs of kernel time) is off the spawn path. Each is used
/// by exactly one jail. Needs CAP_SYS_ADMIN (root); returns 0, or -1 with errno when unavailable.
int cj_netns_pool_start(int target);

/// Frees what `cj_spawn` allocated for the child (its stack). Call only once the child has
/// executed or died (e.g. after reaping it).
void cj_child_free(struct cj_child *child);

/// Namespace flags (Linux ABI values, so Swift needs no _GNU_SOURCE headers).
enum {
    CJ_CLONE_NEWNS = 0x00020000,
    CJ_CLONE_NEWCGROUP = 0x02000000,
    CJ_CLONE_NEWUTS = 0x04000000,
    CJ_CLONE_NEWIPC = 0x08000000,
    CJ_CLONE_NEWPID = 0x20000000,
    CJ_CLONE_NEWNET = 0x40000000,
};

/// Resource numbers for `cj_rlimit.resource` (Linux ABI values).
enum {
    CJ_RLIMIT_CPU = 0, CJ_RLIMIT_FSIZE = 1, CJ_RLIMIT_STACK = 3, CJ_RLIMIT_CORE = 4, CJ_RLIMIT_NPROC = 6,
    CJ_RLIMIT_NOFILE = 7, CJ_RLIMIT_MEMLOCK = 8, CJ_RLIMIT_AS = 9, CJ_RLIMIT_MSGQUEUE = 12,
};

/// Clones the jail's first process in new namespaces, sharing the caller's memory (CLONE_VM: no
/// page-table copy) on a stack of its own. The child waits on the release pipe until the parent has
/// written its uid/gid maps and attached its cgroups, then builds the jail and executes the init
/// (or the program). Until it executes it reads `spec`: keep `spec` alive until the child is reaped.
/// The clone happens on a dedicated long-lived thread, so the child's parent-death signal fires
/// only when the whole supervising process dies.
///
/// Returns 0 and fills `child`, or -1 with errno set (nothing is left behind then).
int cj_spawn(const struct cj_spec *spec, struct cj_child *child);

/// Releases a child started by `cj_spawn` (closes the release pipe's write end after one byte).
/// Returns 0, or -1 with errno.
int cj_release(struct cj_child *child);

#ifdef __cplusplus
}
#endif
#endif
