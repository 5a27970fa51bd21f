// CJail, the child: everything that runs between clone and execve (`cj_child_main` and the helpers it
// calls). See include/cjail.h.
//
// The rule for this file: no malloc, no locks, no stdio, no errno, no Swift: raw system calls only
// (cj_syscall.h, which never touches thread-local state) and plain memory operations on data the
// parent prepared. The child shares the supervisor's memory (CLONE_VM) and runs on a stack of its
// own; every failing step is reported as (step, errno) on the status pipe, and the child never returns.
#define _GNU_SOURCE
#include "cjail.h"
#include "cjail_internal.h"
#include "cj_syscall.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/mount.h>
#include <linux/seccomp.h>
#include <linux/securebits.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

// MARK: - Child-side helpers (raw system calls only; see cj_syscall.h)

#define CJ_AT_FDCWD (-100)
#define CJ_AT_EMPTY_PATH 0x1000
#define CJ_AT_SYMLINK_NOFOLLOW 0x100

/// Per-child state, on the child's own stack (the child shares the parent's memory).
struct cj_ctx {
    const struct cj_spec *spec;
    int status_fd;
    int trace;
};

static size_t cj_strlen(const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

/// Appends `s` to `buf` (capacity `cap`) at `*len`, always NUL-terminating.
static void cj_append(char *buf, size_t cap, size_t *len, const char *s) {
    while (*s && *len + 1 < cap) buf[(*len)++] = *s++;
    buf[*len] = 0;
}

/// `prefix` + `path` into `buf`; -ENAMETOOLONG instead of truncating.
static long cj_join(char *buf, size_t cap, const char *prefix, const char *path) {
    size_t a = cj_strlen(prefix), b = cj_strlen(path);
    if (a + b + 1 > cap) return -ENAMETOOLONG;
    memcpy(buf, prefix, a);
    memcpy(buf + a, path, b + 1);
    return 0;
}

static void cj_write_all_raw(int fd, const void *data, size_t len) {
    const char *p = data;
    while (len > 0) {
        long n = CJ_SYS3(SYS_write, fd, p, len);
        if (n == -EINTR) continue;
        if (n <= 0) return;
        p += n;
        len -= (size_t)n;
    }
}

__attribute__((noreturn)) static void cj_exit(int code) {
    for (;;) CJ_SYS1(SYS_exit_group, code);
}

/// Reports a failed step (`err` is a positive errno) and ends the child. `what` may be NULL.
__attribute__((noreturn)) static void cj_fail(struct cj_ctx *ctx, const char *step, const char *what, long err) {
    struct cj_report r;
    memset(&r, 0, sizeof r);
    r.kind = CJ_REPORT_SETUP_ERROR;
    r.err = (int32_t)(err < 0 ? -err : err);
    size_t len = 0;
    cj_append(r.step, sizeof r.step, &len, step);
    if (what) {
        cj_append(r.step, sizeof r.step, &len, " ");
        cj_append(r.step, sizeof r.step, &len, what);
    }
    if (ctx->status_fd >= 0) cj_write_all_raw(ctx->status_fd, &r, sizeof r);
    cj_exit(125);
}

/// (trace) Reports that phase `step` just ended.
static void cj_mark(struct cj_ctx *ctx, const char *step) {
    if (!ctx->trace) return;
    struct cj_report r;
    memset(&r, 0, sizeof r);
    r.kind = CJ_REPORT_TIMING;
    struct timespec ts;
    CJ_SYS2(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
    r.ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    size_t len = 0;
    cj_append(r.step, sizeof r.step, &len, step);
    cj_write_all_raw(ctx->status_fd, &r, sizeof r);
}

static long cj_mkdir(const char *path, unsigned mode) { return CJ_SYS3(SYS_mkdirat, CJ_AT_FDCWD, path, mode); }

/// mkdir -p for an absolute path: tries the whole path first, walks the parents only on ENOENT.
static long cj_mkdirs(const char *path, unsigned mode) {
    long rc = cj_mkdir(path, mode);
    if (rc == 0 || rc == -EEXIST) return 0;
    if (rc != -ENOENT) return rc;
    char buf[4096];
    size_t n = cj_strlen(path);
    if (n + 1 > sizeof buf) return -ENAMETOOLONG;
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] == '/' || buf[i] == 0) {
            char saved = buf[i];
            buf[i] = 0;
            rc = cj_mkdir(buf, mode);
            if (rc < 0 && rc != -EEXIST) return rc;
            buf[i] = saved;
        }
    }
    return 0;
}

/// Creates the parent directories of `path` (only when needed) and an empty file at `path`.
static long cj_touch(const char *path) {
    long fd = CJ_SYS4(SYS_openat, CJ_AT_FDCWD, path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd == -ENOENT) {
        char buf[4096];
        size_t n = cj_strlen(path);
        if (n + 1 > sizeof buf) return -ENAMETOOLONG;
        memcpy(buf, path, n + 1);
        char *slash = strrchr(buf, '/');
        if (slash && slash != buf) {
            *slash = 0;
            long rc = cj_mkdirs(buf, 0755);
            if (rc < 0) return rc;
        }
        fd = CJ_SYS4(SYS_openat, CJ_AT_FDCWD, path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    }
    if (fd < 0) return fd == -EEXIST ? 0 : fd;
    CJ_SYS1(SYS_close, fd);
    return 0;
}

static long cj_stat(const char *path, struct stat *st, int nofollow) {
    return CJ_SYS4(SYS_newfstatat, CJ_AT_FDCWD, path, st, nofollow ? CJ_AT_SYMLINK_NOFOLLOW : 0);
}

static long cj_mount(const char *src, const char *dst, const char *type, unsigned long flags, const void *data) {
    return CJ_SYS5(SYS_mount, src, dst, type, flags, data);
}

/// Sets mount attributes (recursively when asked). Falls back to a bind remount that keeps the
/// flags the kernel locked, on kernels without mount_setattr.
static long cj_setattr(const char *path, uint64_t attrs, int recursive) {
    struct mount_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.attr_set = attrs;
    long rc = CJ_SYS5(SYS_mount_setattr, CJ_AT_FDCWD, path, recursive ? AT_RECURSIVE : 0, &attr, sizeof attr);
    if (rc != -ENOSYS) return rc;
    struct statfs st;
    rc = CJ_SYS2(SYS_statfs, path, &st);
    if (rc < 0) return rc;
    unsigned long flags = MS_BIND | MS_REMOUNT;
    flags |= (unsigned long)st.f_flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME);
    if (attrs & MOUNT_ATTR_RDONLY) flags |= MS_RDONLY;
    if (attrs & MOUNT_ATTR_NOSUID) flags |= MS_NOSUID;
    if (attrs & MOUNT_ATTR_NODEV) flags |= MS_NODEV;
    if (attrs & MOUNT_ATTR_NOEXEC) flags |= MS_NOEXEC;
    return cj_mount(NULL, path, NULL, flags, NULL);
}

// MARK: - Child setup

#define NEWROOT "/newroot"
#define OLDROOT "/oldroot"
#define CHECK(ctx, expr, step, what)                 \
    do {                                              \
        long rc_ = (expr);                            \
        if (rc_ < 0) cj_fail((ctx), (step), (what), rc_); \
    } while (0)

static void cj_apply_mount(struct cj_ctx *ctx, const struct cj_mount *m) {
    char dst[4096], src[4096];
    CHECK(ctx, cj_join(dst, sizeof dst, NEWROOT, m->target), "path", m->target);
    struct stat st;
    long rc;
    switch (m->kind) {
    case CJ_MOUNT_BIND_RO:
    case CJ_MOUNT_BIND_RW:
    case CJ_MOUNT_DEV: {
        CHECK(ctx, cj_join(src, sizeof src, OLDROOT, m->source), "path", m->source);
        rc = cj_stat(src, &st, 0);
        if (rc < 0) {
            if (m->flags & CJ_MF_OPTIONAL) return;
            cj_fail(ctx, "stat", m->source, rc);
        }
        if (S_ISDIR(st.st_mode)) CHECK(ctx, cj_mkdirs(dst, 0755), "mkdir", m->target);
        else CHECK(ctx, cj_touch(dst), "create", m->target);
        CHECK(ctx, cj_mount(src, dst, NULL, MS_BIND | MS_REC, NULL), "bind", m->target);
        uint64_t attrs = MOUNT_ATTR_NOSUID;
        if (m->kind == CJ_MOUNT_DEV) attrs |= MOUNT_ATTR_NOEXEC;
        else attrs |= MOUNT_ATTR_NODEV;
        if (m->kind == CJ_MOUNT_BIND_RO) attrs |= MOUNT_ATTR_RDONLY;
        CHECK(ctx, cj_setattr(dst, attrs, 1), "remount", m->target);
        return;
    }
    case CJ_MOUNT_TMPFS:
        CHECK(ctx, cj_mkdirs(dst, 0755), "mkdir", m->target);
        CHECK(ctx, cj_mount("tmpfs", dst, "tmpfs", MS_NOSUID | MS_NODEV, m->data), "mount tmpfs", m->target);
        return;
    case CJ_MOUNT_PROC:
        CHECK(ctx, cj_mkdirs(dst, 0555), "mkdir", m->target);
        CHECK(ctx, cj_mount("proc", dst, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL), "mount", m->target);
        return;
    case CJ_MOUNT_DEVPTS:
        CHECK(ctx, cj_mkdirs(dst, 0755), "mkdir", m->target);
        CHECK(ctx, cj_mount("devpts", dst, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620"),
              "mount", m->target);
        return;
    case CJ_MOUNT_MQUEUE:
        CHECK(ctx, cj_mkdirs(dst, 0755), "mkdir", m->target);
        rc = cj_mount("mqueue", dst, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
        if (rc < 0 && !(m->flags & CJ_MF_OPTIONAL)) cj_fail(ctx, "mount", m->target, rc);
        return;
    case CJ_MOUNT_DIR:
        CHECK(ctx, cj_mkdirs(dst, m->mode ? m->mode : 0755), "mkdir", m->target);
        return;
    case CJ_MOUNT_FILE: {
        long fd = CJ_SYS4(SYS_openat, CJ_AT_FDCWD, dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, m->mode ? m->mode : 0644);
        if (fd == -ENOENT) {
            CHECK(ctx, cj_touch(dst), "create", m->target);
            fd = CJ_SYS4(SYS_openat, CJ_AT_FDCWD, dst, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0);
        }
        if (fd < 0) cj_fail(ctx, "open", m->target, fd);
        cj_write_all_raw((int)fd, m->source, m->source_len);
        if (m->mode) CJ_SYS2(SYS_fchmod, fd, m->mode);
        CJ_SYS1(SYS_close, fd);
        return;
    }
    case CJ_MOUNT_SYMLINK:
        rc = CJ_SYS3(SYS_symlinkat, m->source, CJ_AT_FDCWD, dst);
        if (rc == -ENOENT) {
            char parent[4096];
            memcpy(parent, dst, cj_strlen(dst) + 1);
            char *slash = strrchr(parent, '/');
            if (slash && slash != parent) {
                *slash = 0;
                CHECK(ctx, cj_mkdirs(parent, 0755), "mkdir", m->target);
            }
            rc = CJ_SYS3(SYS_symlinkat, m->source, CJ_AT_FDCWD, dst);
        }
        if (rc < 0 && rc != -EEXIST) cj_fail(ctx, "symlink", m->target, rc);
        return;
    case CJ_MOUNT_MASK:
        if (cj_stat(dst, &st, 1) < 0) return; // nothing to hide
        if (S_ISDIR(st.st_mode)) {
            CHECK(ctx, cj_mount("tmpfs", dst, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=0555"),
                  "mask", m->target);
        } else {
            CHECK(ctx, cj_mount(OLDROOT "/dev/null", dst, NULL, MS_BIND, NULL), "mask", m->target);
            CHECK(ctx, cj_setattr(dst, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, 0),
                  "mask", m->target);
        }
        return;
    case CJ_MOUNT_READONLY:
        if (cj_stat(dst, &st, 1) < 0) return;
        CHECK(ctx, cj_mount(dst, dst, NULL, MS_BIND | MS_REC, NULL), "bind", m->target);
        CHECK(ctx, cj_setattr(dst, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 1), "remount", m->target);
        return;
    default:
        cj_fail(ctx, "mount", "unknown kind", EINVAL);
    }
}

static void cj_build_root(struct cj_ctx *ctx) {
    const struct cj_spec *spec = ctx->spec;
    const char *staging = spec->staging_dir ? spec->staging_dir : "/tmp";
    CHECK(ctx, cj_mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), "make-private", "/");
    CHECK(ctx, cj_mount("tmpfs", staging, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64k"), "mount tmpfs", staging);
    CHECK(ctx, CJ_SYS1(SYS_chdir, staging), "chdir", staging);
    CHECK(ctx, cj_mkdir("newroot", 0755), "mkdir", "newroot");
    CHECK(ctx, cj_mkdir("oldroot", 0755), "mkdir", "oldroot");
    CHECK(ctx, CJ_SYS2(SYS_pivot_root, ".", "oldroot"), "pivot_root", "staging");
    CHECK(ctx, CJ_SYS1(SYS_chdir, "/"), "chdir", "/");
    CHECK(ctx, cj_mount("tmpfs", NEWROOT, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m"), "mount tmpfs", "/");
    cj_mark(ctx, "staging");

    for (size_t i = 0; i < spec->mount_count; i++) cj_apply_mount(ctx, &spec->mounts[i]);
    cj_mark(ctx, "mount list");

    // Read-only passes: mounts that asked for it, then the root itself.
    for (size_t i = 0; i < spec->mount_count; i++) {
        const struct cj_mount *m = &spec->mounts[i];
        if (!(m->flags & CJ_MF_REMOUNT_RO)) continue;
        char dst[4096];
        CHECK(ctx, cj_join(dst, sizeof dst, NEWROOT, m->target), "path", m->target);
        CHECK(ctx, cj_setattr(dst, MOUNT_ATTR_RDONLY, 0), "remount", m->target);
    }
    CHECK(ctx, cj_setattr(NEWROOT, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 0), "remount", "/");

    // Enter the new root and detach everything else (the staging tmpfs and the host's tree).
    CHECK(ctx, CJ_SYS1(SYS_chdir, NEWROOT), "chdir", "/");
    CHECK(ctx, CJ_SYS2(SYS_pivot_root, ".", "."), "pivot_root", "/");
    CHECK(ctx, CJ_SYS2(SYS_umount2, ".", MNT_DETACH), "umount", "old root");
    CHECK(ctx, CJ_SYS1(SYS_chdir, "/"), "chdir", "/");
}

static void cj_loopback_up(struct cj_ctx *ctx) {
    long s = CJ_SYS3(SYS_socket, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) cj_fail(ctx, "socket", "lo", s);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    memcpy(ifr.ifr_name, "lo", 3);
    CHECK(ctx, CJ_SYS3(SYS_ioctl, s, SIOCGIFFLAGS, &ifr), "ioctl", "SIOCGIFFLAGS lo");
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    CHECK(ctx, CJ_SYS3(SYS_ioctl, s, SIOCSIFFLAGS, &ifr), "ioctl", "SIOCSIFFLAGS lo");
    CJ_SYS1(SYS_close, s);
}

static void cj_drop_privileges(struct cj_ctx *ctx) {
    CHECK(ctx,
          CJ_SYS2(SYS_prctl, PR_SET_SECUREBITS,
                  SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_NOROOT |
                      SECBIT_NOROOT_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED),
          "prctl", "PR_SET_SECUREBITS");
    for (int cap = 0; cap <= ctx->spec->last_cap; cap++) {
        long rc = CJ_SYS2(SYS_prctl, PR_CAPBSET_DROP, cap);
        if (rc < 0 && rc != -EINVAL) cj_fail(ctx, "prctl", "PR_CAPBSET_DROP", rc);
    }
    long rc = CJ_SYS2(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL);
    if (rc < 0 && rc != -EINVAL) cj_fail(ctx, "prctl", "PR_CAP_AMBIENT_CLEAR_ALL", rc);
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    CHECK(ctx, CJ_SYS2(SYS_capset, &hdr, data), "capset", NULL);
    CHECK(ctx, CJ_SYS2(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1), "prctl", "PR_SET_NO_NEW_PRIVS");
}

/// Executes the program directly (no init), searching `search_path` when it has no '/'.
__attribute__((noreturn)) static void cj_exec_tool(struct cj_ctx *ctx) {
    const struct cj_spec *spec = ctx->spec;
    if (spec->seccomp_filter && spec->seccomp_filter_len > 0) {
        struct sock_fprog prog;
        prog.len = (unsigned short)spec->seccomp_filter_len;
        prog.filter = (struct sock_filter *)spec->seccomp_filter;
        CHECK(ctx, CJ_SYS3(SYS_seccomp, SECCOMP_SET_MODE_FILTER, spec->seccomp_flags, &prog), "seccomp", NULL);
    }
    const char *path = spec->path;
    long err = -ENOENT;
    if (strchr(path, '/')) {
        err = CJ_SYS3(SYS_execve, path, spec->argv, spec->envp);
    } else if (spec->search_path) {
        char buf[4096];
        int saw_eacces = 0;
        for (const char *const *dir = spec->search_path; *dir; dir++) {
            size_t len = 0;
            buf[0] = 0;
            cj_append(buf, sizeof buf, &len, *dir);
            cj_append(buf, sizeof buf, &len, "/");
            cj_append(buf, sizeof buf, &len, path);
            long rc = CJ_SYS3(SYS_execve, buf, spec->argv, spec->envp);
            if (rc == -EACCES) saw_eacces = 1;
            else if (rc != -ENOENT && rc != -ENOTDIR) {
                err = rc;
                break;
            }
        }
        if (err == -ENOENT && saw_eacces) err = -EACCES;
    }
    cj_fail(ctx, "execve", path, err);
}

/// Moves `fd` to a fresh descriptor >= 10 (so the final dup3 into 0..5 cannot clobber a source).
static int cj_lift(struct cj_ctx *ctx, int fd, const char *what) {
    long rc = CJ_SYS3(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 10);
    if (rc < 0) cj_fail(ctx, "dup", what, rc);
    return (int)rc;
}

static void cj_place(struct cj_ctx *ctx, int from, int to, int cloexec, const char *what) {
    CHECK(ctx, CJ_SYS3(SYS_dup3, from, to, cloexec ? O_CLOEXEC : 0), "dup3", what);
}

int cj_child_main(void *arg) {
    struct cj_child_args *args = arg;
    struct cj_ctx ctx_storage = {args->spec, args->status_fd, args->spec->trace};
    struct cj_ctx *ctx = &ctx_storage;
    const struct cj_spec *spec = ctx->spec;
    int release_fd = args->release_fd;
    cj_mark(ctx, "cloned");

    // Signal dispositions back to defaults (the spawner thread blocks everything, so nothing can be
    // delivered to an inherited handler meanwhile), then an empty mask.
    unsigned long kact[4] = {0, 0, 0, 0};
    for (int sig = 1; sig <= 64; sig++) CJ_SYS4(SYS_rt_sigaction, sig, kact, NULL, 8);
    unsigned long none = 0;
    CJ_SYS4(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, 8);

    CHECK(ctx, CJ_SYS2(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL), "prctl", "PR_SET_PDEATHSIG");

    // Wait for the parent: uid/gid maps written, cgroups attached. EOF means "abandon".
    char go = 0;
    long n;
    do n = CJ_SYS3(SYS_read, release_fd, &go, 1);
    while (n == -EINTR);
    if (n != 1) cj_exit(0);
    CJ_SYS1(SYS_close, release_fd);
    cj_mark(ctx, "released");

    // Identity: the unprivileged inner ids (mapped to an unprivileged host id). Capabilities in the
    // new user namespace are kept until dropped below.
    CHECK(ctx, CJ_SYS2(SYS_prctl, PR_SET_KEEPCAPS, 1), "prctl", "PR_SET_KEEPCAPS");
    long rc = CJ_SYS2(SYS_setgroups, 0, NULL);
    if (rc < 0 && rc != -EPERM) cj_fail(ctx, "setgroups", NULL, rc);
    CHECK(ctx, CJ_SYS3(SYS_setresgid, spec->inner_gid, spec->inner_gid, spec->inner_gid), "setresgid", NULL);
    CHECK(ctx, CJ_SYS3(SYS_setresuid, spec->inner_uid, spec->inner_uid, spec->inner_uid), "setresuid", NULL);
    {
        struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
        struct __user_cap_data_struct data[2];
        CHECK(ctx, CJ_SYS2(SYS_capget, &hdr, data), "capget", NULL);
        data[0].effective = data[0].permitted;
        data[1].effective = data[1].permitted;
        CHECK(ctx, CJ_SYS2(SYS_capset, &hdr, data), "capset", "effective");
    }

    // File descriptors: 0, 1, 2 from the spec; with an init, the status pipe at 3 and the launch
    // blob at 4 (both kept across its execve) and the init executable at 5; nothing else.
    int in = cj_lift(ctx, spec->stdin_fd, "stdin"), out = cj_lift(ctx, spec->stdout_fd, "stdout");
    int err = cj_lift(ctx, spec->stderr_fd, "stderr"), status = cj_lift(ctx, ctx->status_fd, "status");
    int blob = -1, init = -1;
    if (spec->init_fd >= 0) {
        blob = cj_lift(ctx, spec->blob_fd, "launch blob");
        init = cj_lift(ctx, spec->init_fd, "init");
    }
    cj_place(ctx, in, 0, 0, "stdin");
    cj_place(ctx, out, 1, 0, "stdout");
    cj_place(ctx, err, 2, 0, "stderr");
    cj_place(ctx, status, 3, spec->init_fd < 0, "status");
    ctx->status_fd = 3;
    int first_closed = 4;
    if (spec->init_fd >= 0) {
        cj_place(ctx, blob, 4, 0, "launch blob");
        cj_place(ctx, init, 5, 1, "init");
        first_closed = 6;
    }
    if (CJ_SYS3(SYS_close_range, first_closed, ~0U, 0) < 0) {
        for (int fd = first_closed; fd < 65536; fd++) CJ_SYS1(SYS_close, fd);
    }

    if (spec->hostname) {
        CHECK(ctx, CJ_SYS2(SYS_sethostname, spec->hostname, cj_strlen(spec->hostname)), "sethostname", NULL);
        CHECK(ctx, CJ_SYS2(SYS_setdomainname, spec->hostname, cj_strlen(spec->hostname)), "setdomainname", NULL);
    }
    if (spec->net_loopback && !args->pooled_net) cj_loopback_up(ctx);
    cj_mark(ctx, "identity, fds, network");

    cj_build_root(ctx);
    cj_mark(ctx, "root filesystem");
    CHECK(ctx, CJ_SYS1(SYS_chdir, spec->workdir ? spec->workdir : "/"), "chdir", spec->workdir);

    for (size_t i = 0; i < spec->rlimit_count; i++) {
        struct rlimit rl = {spec->rlimits[i].soft, spec->rlimits[i].hard};
        CHECK(ctx, CJ_SYS4(SYS_prlimit64, 0, spec->rlimits[i].resource, &rl, NULL), "setrlimit", NULL);
    }
    CHECK(ctx, CJ_SYS0(SYS_setsid), "setsid", NULL);
    CJ_SYS1(SYS_umask, 022);
    cj_drop_privileges(ctx);
    // The parent-death signal again: every credential change above (setresuid, capset) cleared it.
    // Then make sure the supervisor did not die in between: its end of the status pipe is gone then.
    CHECK(ctx, CJ_SYS2(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL), "prctl", "PR_SET_PDEATHSIG");
    {
        struct pollfd pfd = {ctx->status_fd, 0, 0};
        if (CJ_SYS3(SYS_poll, &pfd, 1, 0) > 0 && (pfd.revents & (POLLERR | POLLHUP))) cj_exit(0);
    }
    cj_mark(ctx, "limits, privileges dropped");

    if (spec->init_fd >= 0) {
        static char *const init_argv[] = {"omega-jail-init", NULL};
        static char *const init_envp[] = {NULL};
        long e = CJ_SYS5(SYS_execveat, 5, "", init_argv, init_envp, CJ_AT_EMPTY_PATH);
        cj_fail(ctx, "execve", "omega-jail-init", e);
    }
    cj_exec_tool(ctx);
}
