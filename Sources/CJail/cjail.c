// CJail: clone and child-side setup of the jail. See include/cjail.h.
//
// Rules for everything reachable from `child_main`: no malloc, no stdio, no locks, no Swift; only
// system calls and plain memory operations on data the parent prepared. Every failing step is
// reported as (step, errno) on the status pipe.
#define _GNU_SOURCE
#include "cjail.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/mount.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <linux/securebits.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

// MARK: - Async-signal-safe helpers

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

/// `prefix` + `path` into `buf`; fails (ENAMETOOLONG) instead of truncating.
static int cj_join(char *buf, size_t cap, const char *prefix, const char *path) {
    size_t a = cj_strlen(prefix), b = cj_strlen(path);
    if (a + b + 1 > cap) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(buf, prefix, a);
    memcpy(buf + a, path, b + 1);
    return 0;
}

static void cj_write_all(int fd, const void *data, size_t len) {
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return;
        }
        p += n;
        len -= (size_t)n;
    }
}

static int g_status_fd = -1;

/// Reports a failed step and ends the child. `what` may be NULL.
__attribute__((noreturn)) static void cj_fail(const char *step, const char *what, int err) {
    struct cj_report r;
    memset(&r, 0, sizeof r);
    r.kind = CJ_REPORT_SETUP_ERROR;
    r.err = err;
    size_t len = 0;
    cj_append(r.step, sizeof r.step, &len, step);
    if (what) {
        cj_append(r.step, sizeof r.step, &len, " ");
        cj_append(r.step, sizeof r.step, &len, what);
    }
    if (g_status_fd >= 0) cj_write_all(g_status_fd, &r, sizeof r);
    _exit(125);
}

static int g_trace;

/// (trace) Reports that phase `step` just ended.
static void cj_mark(const char *step) {
    if (!g_trace) return;
    struct cj_report r;
    memset(&r, 0, sizeof r);
    r.kind = CJ_REPORT_TIMING;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    r.ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    size_t len = 0;
    cj_append(r.step, sizeof r.step, &len, step);
    cj_write_all(g_status_fd, &r, sizeof r);
}

/// mkdir -p for an absolute path (modifies a private copy).
static int cj_mkdirs(const char *path, mode_t mode) {
    char buf[4096];
    size_t n = cj_strlen(path);
    if (n + 1 > sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] == '/' || buf[i] == 0) {
            char saved = buf[i];
            buf[i] = 0;
            if (mkdir(buf, mode) < 0 && errno != EEXIST) return -1;
            buf[i] = saved;
        }
    }
    return 0;
}

/// Creates the parent directories of `path` and an empty file at `path` (for file bind targets).
static int cj_touch(const char *path) {
    char buf[4096];
    size_t n = cj_strlen(path);
    if (n + 1 > sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(buf, path, n + 1);
    char *slash = strrchr(buf, '/');
    if (slash && slash != buf) {
        *slash = 0;
        if (cj_mkdirs(buf, 0755) < 0) return -1;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) return errno == EEXIST ? 0 : -1;
    close(fd);
    return 0;
}

/// Sets mount attributes (recursively when asked). Falls back to a bind remount that keeps the
/// flags the kernel locked, on kernels without mount_setattr.
static int cj_setattr(const char *path, uint64_t attrs, int recursive) {
    struct mount_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.attr_set = attrs;
    long rc = syscall(SYS_mount_setattr, AT_FDCWD, path, recursive ? AT_RECURSIVE : 0, &attr, sizeof attr);
    if (rc == 0) return 0;
    if (errno != ENOSYS) return -1;
    struct statfs st;
    if (statfs(path, &st) < 0) return -1;
    unsigned long flags = MS_BIND | MS_REMOUNT;
    flags |= (unsigned long)st.f_flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME);
    if (attrs & MOUNT_ATTR_RDONLY) flags |= MS_RDONLY;
    if (attrs & MOUNT_ATTR_NOSUID) flags |= MS_NOSUID;
    if (attrs & MOUNT_ATTR_NODEV) flags |= MS_NODEV;
    if (attrs & MOUNT_ATTR_NOEXEC) flags |= MS_NOEXEC;
    return mount(NULL, path, NULL, flags, NULL);
}

// MARK: - Child setup

#define NEWROOT "/newroot"
#define OLDROOT "/oldroot"

static void cj_apply_mount(const struct cj_mount *m) {
    char dst[4096], src[4096];
    if (cj_join(dst, sizeof dst, NEWROOT, m->target) < 0) cj_fail("path", m->target, errno);
    struct stat st;
    switch (m->kind) {
    case CJ_MOUNT_BIND_RO:
    case CJ_MOUNT_BIND_RW:
    case CJ_MOUNT_DEV: {
        if (cj_join(src, sizeof src, OLDROOT, m->source) < 0) cj_fail("path", m->source, errno);
        if (stat(src, &st) < 0) {
            if (m->flags & CJ_MF_OPTIONAL) return;
            cj_fail("stat", m->source, errno);
        }
        if (S_ISDIR(st.st_mode)) {
            if (cj_mkdirs(dst, 0755) < 0) cj_fail("mkdir", m->target, errno);
        } else if (cj_touch(dst) < 0) {
            cj_fail("create", m->target, errno);
        }
        if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0) cj_fail("bind", m->target, errno);
        uint64_t attrs = MOUNT_ATTR_NOSUID;
        if (m->kind == CJ_MOUNT_DEV) attrs |= MOUNT_ATTR_NOEXEC;
        else attrs |= MOUNT_ATTR_NODEV;
        if (m->kind == CJ_MOUNT_BIND_RO) attrs |= MOUNT_ATTR_RDONLY;
        if (cj_setattr(dst, attrs, 1) < 0) cj_fail("remount", m->target, errno);
        return;
    }
    case CJ_MOUNT_TMPFS:
        if (cj_mkdirs(dst, 0755) < 0) cj_fail("mkdir", m->target, errno);
        if (mount("tmpfs", dst, "tmpfs", MS_NOSUID | MS_NODEV, m->data) < 0) cj_fail("mount tmpfs", m->target, errno);
        return;
    case CJ_MOUNT_PROC:
        if (cj_mkdirs(dst, 0555) < 0) cj_fail("mkdir", m->target, errno);
        if (mount("proc", dst, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) cj_fail("mount", m->target, errno);
        return;
    case CJ_MOUNT_DEVPTS:
        if (cj_mkdirs(dst, 0755) < 0) cj_fail("mkdir", m->target, errno);
        if (mount("devpts", dst, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620") < 0)
            cj_fail("mount", m->target, errno);
        return;
    case CJ_MOUNT_MQUEUE:
        if (cj_mkdirs(dst, 0755) < 0) cj_fail("mkdir", m->target, errno);
        if (mount("mqueue", dst, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
            if (m->flags & CJ_MF_OPTIONAL) return;
            cj_fail("mount", m->target, errno);
        }
        return;
    case CJ_MOUNT_DIR:
        if (cj_mkdirs(dst, m->mode ? m->mode : 0755) < 0) cj_fail("mkdir", m->target, errno);
        return;
    case CJ_MOUNT_FILE: {
        if (cj_touch(dst) < 0) cj_fail("create", m->target, errno);
        int fd = open(dst, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) cj_fail("open", m->target, errno);
        cj_write_all(fd, m->source, m->source_len);
        if (m->mode) fchmod(fd, m->mode);
        close(fd);
        return;
    }
    case CJ_MOUNT_SYMLINK: {
        char parent[4096];
        memcpy(parent, dst, cj_strlen(dst) + 1);
        char *slash = strrchr(parent, '/');
        if (slash && slash != parent) {
            *slash = 0;
            if (cj_mkdirs(parent, 0755) < 0) cj_fail("mkdir", m->target, errno);
        }
        if (symlink(m->source, dst) < 0 && errno != EEXIST) cj_fail("symlink", m->target, errno);
        return;
    }
    case CJ_MOUNT_MASK:
        if (lstat(dst, &st) < 0) return; // nothing to hide
        if (S_ISDIR(st.st_mode)) {
            if (mount("tmpfs", dst, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=0555") < 0)
                cj_fail("mask", m->target, errno);
        } else {
            if (mount(OLDROOT "/dev/null", dst, NULL, MS_BIND, NULL) < 0) cj_fail("mask", m->target, errno);
            if (cj_setattr(dst, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, 0) < 0)
                cj_fail("mask", m->target, errno);
        }
        return;
    case CJ_MOUNT_READONLY:
        if (lstat(dst, &st) < 0) return;
        if (mount(dst, dst, NULL, MS_BIND | MS_REC, NULL) < 0) cj_fail("bind", m->target, errno);
        if (cj_setattr(dst, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 1) < 0)
            cj_fail("remount", m->target, errno);
        return;
    default:
        cj_fail("mount", "unknown kind", EINVAL);
    }
}

static void cj_build_root(const struct cj_spec *spec) {
    const char *staging = spec->staging_dir ? spec->staging_dir : "/tmp";
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) cj_fail("make-private", "/", errno);
    if (mount("tmpfs", staging, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64k") < 0)
        cj_fail("mount tmpfs", staging, errno);
    if (chdir(staging) < 0) cj_fail("chdir", staging, errno);
    if (mkdir("newroot", 0755) < 0 || mkdir("oldroot", 0755) < 0) cj_fail("mkdir", "staging", errno);
    if (syscall(SYS_pivot_root, ".", "oldroot") < 0) cj_fail("pivot_root", "staging", errno);
    if (chdir("/") < 0) cj_fail("chdir", "/", errno);
    if (mount("tmpfs", NEWROOT, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m") < 0)
        cj_fail("mount tmpfs", "/", errno);

    cj_mark("staging");
    for (size_t i = 0; i < spec->mount_count; i++) cj_apply_mount(&spec->mounts[i]);
    cj_mark("mount list");

    // Read-only passes: mounts that asked for it, then the root itself.
    for (size_t i = 0; i < spec->mount_count; i++) {
        const struct cj_mount *m = &spec->mounts[i];
        if (!(m->flags & CJ_MF_REMOUNT_RO)) continue;
        char dst[4096];
        if (cj_join(dst, sizeof dst, NEWROOT, m->target) < 0) cj_fail("path", m->target, errno);
        if (cj_setattr(dst, MOUNT_ATTR_RDONLY, 0) < 0) cj_fail("remount", m->target, errno);
    }
    if (cj_setattr(NEWROOT, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 0) < 0)
        cj_fail("remount", "/", errno);

    // Enter the new root and detach everything else (the staging tmpfs and the host's tree).
    cj_mark("read-only passes");
    if (chdir(NEWROOT) < 0) cj_fail("chdir", "/", errno);
    if (syscall(SYS_pivot_root, ".", ".") < 0) cj_fail("pivot_root", "/", errno);
    if (umount2(".", MNT_DETACH) < 0) cj_fail("umount", "old root", errno);
    if (chdir("/") < 0) cj_fail("chdir", "/", errno);
}

static void cj_loopback_up(void) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) cj_fail("socket", "lo", errno);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    memcpy(ifr.ifr_name, "lo", 3);
    if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) cj_fail("ioctl", "SIOCGIFFLAGS lo", errno);
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) cj_fail("ioctl", "SIOCSIFFLAGS lo", errno);
    close(s);
}

static void cj_drop_privileges(const struct cj_spec *spec) {
    if (prctl(PR_SET_SECUREBITS, SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED |
                                     SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |
                                     SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED) < 0)
        cj_fail("prctl", "PR_SET_SECUREBITS", errno);
    for (int cap = 0; cap <= spec->last_cap; cap++) {
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) cj_fail("prctl", "PR_CAPBSET_DROP", errno);
    }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        cj_fail("prctl", "PR_CAP_AMBIENT_CLEAR_ALL", errno);
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    if (syscall(SYS_capset, &hdr, data) < 0) cj_fail("capset", NULL, errno);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) cj_fail("prctl", "PR_SET_NO_NEW_PRIVS", errno);
}

static void cj_install_seccomp(const struct cj_spec *spec) {
    if (!spec->seccomp_filter || spec->seccomp_filter_len == 0) return;
    struct sock_fprog prog;
    prog.len = (unsigned short)spec->seccomp_filter_len;
    prog.filter = (struct sock_filter *)spec->seccomp_filter;
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, spec->seccomp_flags, &prog) < 0)
        cj_fail("seccomp", NULL, errno);
}

/// Executes the program, searching `search_path` when it has no '/'. Returns only on failure.
__attribute__((noreturn)) static void cj_exec(const struct cj_spec *spec) {
    const char *path = spec->path;
    int err = ENOENT;
    if (strchr(path, '/')) {
        execve(path, spec->argv, spec->envp);
        err = errno;
    } else if (spec->search_path) {
        char buf[4096];
        int saw_eacces = 0;
        for (const char *const *dir = spec->search_path; *dir; dir++) {
            size_t len = 0;
            buf[0] = 0;
            cj_append(buf, sizeof buf, &len, *dir);
            cj_append(buf, sizeof buf, &len, "/");
            cj_append(buf, sizeof buf, &len, path);
            execve(buf, spec->argv, spec->envp);
            if (errno == EACCES) saw_eacces = 1;
            else if (errno != ENOENT && errno != ENOTDIR) {
                err = errno;
                break;
            }
        }
        if (err == ENOENT && saw_eacces) err = EACCES;
    }
    cj_fail("execve", path, err);
}

/// pid 1 of the jail: reaps every orphan, reports the tool's status, then exits (which makes the
/// kernel kill whatever is left in the pid namespace).
__attribute__((noreturn)) static void cj_init_loop(pid_t tool) {
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    for (;;) {
        int st = 0;
        pid_t p = wait4(-1, &st, __WALL, NULL);
        if (p == tool) {
            struct cj_report r;
            memset(&r, 0, sizeof r);
            r.kind = CJ_REPORT_EXIT;
            r.wait_status = st;
            r.tool_pid = tool;
            cj_write_all(g_status_fd, &r, sizeof r);
            _exit(0);
        }
        if (p < 0 && errno != EINTR) _exit(0);
    }
}

__attribute__((noreturn)) static void cj_child_main(const struct cj_spec *spec, int status_fd, int release_fd) {
    g_status_fd = status_fd;
    g_trace = spec->trace;
    cj_mark("cloned");

    // Signal dispositions and mask back to defaults (the spawner thread blocks everything).
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    for (int sig = 1; sig < _NSIG; sig++) sigaction(sig, &sa, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) cj_fail("prctl", "PR_SET_PDEATHSIG", errno);

    // Wait for the parent: uid/gid maps written, cgroups attached. EOF means "abandon".
    char go = 0;
    ssize_t n;
    do n = read(release_fd, &go, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1) _exit(0);
    close(release_fd);
    cj_mark("released");

    // Identity: the unprivileged inner ids (mapped to an unprivileged host id). Capabilities in the
    // new user namespace are kept until dropped below.
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) cj_fail("prctl", "PR_SET_KEEPCAPS", errno);
    // Raw system calls: glibc's set*id/setgroups wrappers broadcast to every thread the parent had,
    // and its fork() takes locks other parent threads may have held at clone time.
    if (syscall(SYS_setgroups, 0, NULL) < 0 && errno != EPERM) cj_fail("setgroups", NULL, errno);
    if (syscall(SYS_setresgid, spec->inner_gid, spec->inner_gid, spec->inner_gid) < 0) cj_fail("setresgid", NULL, errno);
    if (syscall(SYS_setresuid, spec->inner_uid, spec->inner_uid, spec->inner_uid) < 0) cj_fail("setresuid", NULL, errno);
    {
        struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
        struct __user_cap_data_struct data[2];
        if (syscall(SYS_capget, &hdr, data) < 0) cj_fail("capget", NULL, errno);
        data[0].effective = data[0].permitted;
        data[1].effective = data[1].permitted;
        if (syscall(SYS_capset, &hdr, data) < 0) cj_fail("capset", "effective", errno);
    }

    // File descriptors: 0, 1, 2 from the spec; the status pipe at 3 (close-on-exec); nothing else.
    if (dup2(spec->stdin_fd, 0) < 0 || dup2(spec->stdout_fd, 1) < 0 || dup2(spec->stderr_fd, 2) < 0)
        cj_fail("dup2", "stdio", errno);
    if (status_fd != 3) {
        if (dup3(status_fd, 3, O_CLOEXEC) < 0) cj_fail("dup3", "status", errno);
        g_status_fd = 3;
    }
    if (syscall(SYS_close_range, 4, ~0U, 0) < 0) {
        struct rlimit rl;
        int max = (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536) ? (int)rl.rlim_cur : 65536;
        for (int fd = 4; fd < max; fd++) close(fd);
    }

    if (spec->hostname) {
        if (sethostname(spec->hostname, cj_strlen(spec->hostname)) < 0) cj_fail("sethostname", NULL, errno);
        if (setdomainname(spec->hostname, cj_strlen(spec->hostname)) < 0) cj_fail("setdomainname", NULL, errno);
    }
    if (spec->net_loopback) cj_loopback_up();
    cj_mark("identity, fds, network");

    cj_build_root(spec);
    cj_mark("root filesystem");
    if (chdir(spec->workdir ? spec->workdir : "/") < 0) cj_fail("chdir", spec->workdir, errno);

    for (size_t i = 0; i < spec->rlimit_count; i++) {
        struct rlimit rl = {spec->rlimits[i].soft, spec->rlimits[i].hard};
        if (setrlimit(spec->rlimits[i].resource, &rl) < 0) cj_fail("setrlimit", NULL, errno);
    }
    if (setsid() < 0) cj_fail("setsid", NULL, errno);
    umask(022);
    cj_drop_privileges(spec);
    cj_mark("limits, privileges dropped");

    if (spec->use_init) {
        pid_t tool = (pid_t)syscall(SYS_clone, (unsigned long)SIGCHLD, 0UL, 0UL, 0UL, 0UL);
        if (tool < 0) cj_fail("fork", "tool", errno);
        if (tool > 0) {
            close(0);
            close(1);
            close(2);
            cj_init_loop(tool);
        }
    }
    cj_install_seccomp(spec);
    cj_mark("seccomp (tool)");
    cj_exec(spec);
}

// MARK: - Spawning (parent side)

static pid_t cj_clone(const struct cj_spec *spec, int *pidfd) {
    struct clone_args args;
    memset(&args, 0, sizeof args);
    args.flags = CLONE_NEWUSER | spec->clone_flags | CLONE_PIDFD;
    args.pidfd = (uint64_t)(uintptr_t)pidfd;
    args.exit_signal = SIGCHLD;
    if (spec->cgroup_fd >= 0) {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = (uint64_t)spec->cgroup_fd;
    }
    long pid = syscall(SYS_clone3, &args, sizeof args);
    if (pid < 0 && errno == ENOSYS && spec->cgroup_fd < 0) {
        // Kernels before 5.3: clone(2); CLONE_PIDFD stores the fd through parent_tid.
        pid = syscall(SYS_clone, (unsigned long)(CLONE_NEWUSER | spec->clone_flags | CLONE_PIDFD | SIGCHLD), NULL,
                      pidfd, NULL, NULL);
    }
    return (pid_t)pid;
}

static int cj_spawn_now(const struct cj_spec *spec, struct cj_child *child) {
    int status[2], release[2];
    if (pipe2(status, O_CLOEXEC) < 0) return -1;
    if (pipe2(release, O_CLOEXEC) < 0) {
        int e = errno;
        close(status[0]);
        close(status[1]);
        errno = e;
        return -1;
    }
    int pidfd = -1;
    pid_t pid = cj_clone(spec, &pidfd);
    if (pid == 0) {
        close(status[0]);
        close(release[1]);
        cj_child_main(spec, status[1], release[0]);
    }
    int e = errno;
    close(status[1]);
    close(release[0]);
    if (pid < 0) {
        close(status[0]);
        close(release[1]);
        errno = e;
        return -1;
    }
    child->pid = pid;
    child->pidfd = pidfd;
    child->status_fd = status[0];
    child->release_fd = release[1];
    return 0;
}

// The spawner thread: every clone happens here, so that PR_SET_PDEATHSIG (which follows the parent
// *thread*) fires only when the process dies, never when a worker thread of the caller exits.

struct cj_request {
    const struct cj_spec *spec;
    struct cj_child *child;
    int rc;
    int err;
    int done;
    struct cj_request *next;
};

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_wake = PTHREAD_COND_INITIALIZER;
static pthread_cond_t g_done = PTHREAD_COND_INITIALIZER;
static struct cj_request *g_head, *g_tail;
static int g_thread_ok;

static void *cj_spawner(void *unused) {
    (void)unused;
    for (;;) {
        pthread_mutex_lock(&g_mu);
        while (!g_head) pthread_cond_wait(&g_wake, &g_mu);
        struct cj_request *req = g_head;
        g_head = req->next;
        if (!g_head) g_tail = NULL;
        pthread_mutex_unlock(&g_mu);

        req->rc = cj_spawn_now(req->spec, req->child);
        req->err = errno;

        pthread_mutex_lock(&g_mu);
        req->done = 1;
        pthread_cond_broadcast(&g_done);
        pthread_mutex_unlock(&g_mu);
    }
    return NULL;
}

static void cj_start_spawner(void) {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_t tid;
    g_thread_ok = pthread_create(&tid, &attr, cj_spawner, NULL) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
}

int cj_spawn(const struct cj_spec *spec, struct cj_child *child) {
    pthread_once(&g_once, cj_start_spawner);
    if (!g_thread_ok) {
        errno = EAGAIN;
        return -1;
    }
    struct cj_request req = {spec, child, 0, 0, 0, NULL};
    pthread_mutex_lock(&g_mu);
    if (g_tail) g_tail->next = &req;
    else g_head = &req;
    g_tail = &req;
    pthread_cond_signal(&g_wake);
    while (!req.done) pthread_cond_wait(&g_done, &g_mu);
    pthread_mutex_unlock(&g_mu);
    errno = req.err;
    return req.rc;
}

int cj_release(struct cj_child *child) {
    char go = 1;
    ssize_t n;
    do n = write(child->release_fd, &go, 1);
    while (n < 0 && errno == EINTR);
    int e = errno;
    close(child->release_fd);
    child->release_fd = -1;
    if (n != 1) {
        errno = e;
        return -1;
    }
    return 0;
}

const char *cj_errno_name(int err) { return strerrorname_np(err); }

int cj_write_file(const char *path, const char *data, size_t len) {
    int fd;
    do fd = open(path, O_WRONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) return -1;
    ssize_t n;
    do n = write(fd, data, len);
    while (n < 0 && errno == EINTR);
    int e = errno;
    close(fd);
    if (n < 0 || (size_t)n != len) {
        errno = n < 0 ? e : EIO;
        return -1;
    }
    return 0;
}

ssize_t cj_read_file(const char *path, char *buf, size_t cap) {
    int fd;
    do fd = open(path, O_RDONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) return -1;
    size_t len = 0;
    while (len + 1 < cap) {
        ssize_t n = read(fd, buf + len, cap - 1 - len);
        if (n < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        if (n == 0) break;
        len += (size_t)n;
    }
    buf[len] = 0;
    close(fd);
    return (ssize_t)len;
}

int cj_pidfd_send_signal(int pidfd, int sig) { return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0); }

pid_t cj_wait(pid_t pid, int *status, int64_t *user_us, int64_t *sys_us, int64_t *maxrss_kb, int nohang) {
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    pid_t r;
    do r = wait4(pid, status, __WALL | (nohang ? WNOHANG : 0), &ru);
    while (r < 0 && errno == EINTR);
    if (r > 0) {
        if (user_us) *user_us = (int64_t)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec;
        if (sys_us) *sys_us = (int64_t)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec;
        if (maxrss_kb) *maxrss_kb = ru.ru_maxrss;
    }
    return r;
}

int cj_pipe(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int cj_memfd_with(const void *data, size_t len) {
    int fd = memfd_create("omega-stdin", MFD_CLOEXEC);
    if (fd < 0) return -1;
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    if (lseek(fd, 0, SEEK_SET) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}
