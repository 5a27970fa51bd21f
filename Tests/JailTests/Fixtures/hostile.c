/*
 * hostile: adversarial probes for the Omega Exec jail (DESIGN §2), driven by JailAdversarialTests.swift.
 *
 * Usage: hostile SUBCOMMAND [ARGS...]
 *
 * Each attack subcommand tries one class of escape and prints exactly one line on stdout:
 *     BLOCKED <detail>    every attempt was refused (the detail names each attempt and its errno)
 *     ESCAPED <detail>    at least one attempt succeeded (the detail names the ones that did)
 * and exits 0 either way. Per-attempt notes go to stderr. A few subcommands only report facts
 * (`INFO <detail>`) or stress a limit (spin, output-flood, memory-bomb), where the verdict is the
 * jail's status. Exit 2 means a usage error.
 *
 * Nothing here sends data off the machine: the network probes only connect() inside the jail's own
 * network namespace, and the destructive-looking probes (sysrq-trigger, clocks, kexec) pass inputs that
 * are harmless even if the call were to succeed, or stop at open().
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/bpf.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <linux/sched.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pty.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/* System call numbers (x86_64) that older headers may lack. */
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_fsopen
#define SYS_fsopen 430
#endif
#ifndef SYS_fsmount
#define SYS_fsmount 432
#endif
#ifndef SYS_fspick
#define SYS_fspick 433
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef SYS_io_uring_setup
#define SYS_io_uring_setup 425
#endif
#ifndef SYS_userfaultfd
#define SYS_userfaultfd 323
#endif
#ifndef SYS_kexec_file_load
#define SYS_kexec_file_load 320
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
/* <linux/mount.h> clashes with glibc's <sys/mount.h>; the few constants needed: */
#define OPEN_TREE_CLONE_ 1
#define FSOPEN_CLOEXEC_ 1
#define MOVE_MOUNT_F_EMPTY_PATH_ 0x4
#define UFFD_USER_MODE_ONLY_ 1
#define X32_SYSCALL_BIT_ 0x40000000

/* ---- verdict bookkeeping ---------------------------------------------------------------------- */

static char blocked_notes[8192];
static char escaped_notes[8192];
static int escaped_count;

static void append(char *buffer, const char *fmt, va_list ap) {
    size_t used = strlen(buffer);
    if (used + 4 >= 8192) return;
    if (used > 0) {
        strcat(buffer, "; ");
        used += 2;
    }
    vsnprintf(buffer + used, 8192 - used, fmt, ap);
}

/* Records a refused attempt. */
static void blocked(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    append(blocked_notes, fmt, ap);
    va_end(ap);
    va_start(ap, fmt);
    fprintf(stderr, "blocked: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

/* Records an attempt that worked. */
static void escaped(const char *fmt, ...) {
    va_list ap;
    escaped_count++;
    va_start(ap, fmt);
    append(escaped_notes, fmt, ap);
    va_end(ap);
    va_start(ap, fmt);
    fprintf(stderr, "ESCAPED: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

/* Prints the single verdict line and exits 0. */
static int verdict(void) {
    if (escaped_count > 0)
        printf("ESCAPED %s\n", escaped_notes);
    else
        printf("BLOCKED %s\n", blocked_notes[0] ? blocked_notes : "(nothing to try)");
    fflush(stdout);
    return 0;
}

static const char *errname(int e) {
    switch (e) {
    case 0: return "OK";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case ESRCH: return "ESRCH";
    case EINTR: return "EINTR";
    case EIO: return "EIO";
    case ENXIO: return "ENXIO";
    case E2BIG: return "E2BIG";
    case EBADF: return "EBADF";
    case ECHILD: return "ECHILD";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case EXDEV: return "EXDEV";
    case ENODEV: return "ENODEV";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EINVAL: return "EINVAL";
    case ENFILE: return "ENFILE";
    case EMFILE: return "EMFILE";
    case ENOTTY: return "ENOTTY";
    case EFBIG: return "EFBIG";
    case ENOSPC: return "ENOSPC";
    case EROFS: return "EROFS";
    case EPIPE: return "EPIPE";
    case ENOSYS: return "ENOSYS";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case ENETDOWN: return "ENETDOWN";
    case ENETUNREACH: return "ENETUNREACH";
    case ECONNREFUSED: return "ECONNREFUSED";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EHOSTUNREACH: return "EHOSTUNREACH";
    case EINPROGRESS: return "EINPROGRESS";
    case EDQUOT: return "EDQUOT";
    case EKEYREVOKED: return "EKEYREVOKED";
    case ENOKEY: return "ENOKEY";
    case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
    default: {
        static char buffer[32];
        snprintf(buffer, sizeof buffer, "errno%d", e);
        return buffer;
    }
    }
}

/* For calls that return -1/errno: success is an escape. */
static void expect_fail(long rc, const char *what) {
    int e = errno;
    if (rc >= 0)
        escaped("%s succeeded (%ld)", what, rc);
    else
        blocked("%s: %s", what, errname(e));
}

/* Whether fd is the /dev/null character device (the way the jail masks files). */
static int is_dev_null(int fd) {
    struct stat st;
    if (fstat(fd, &st) != 0) return 0;
    return S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 3;
}

/* ---- namespaces ------------------------------------------------------------------------------- */

static const struct {
    int flag;
    const char *name;
} ns_flags[] = {
    {CLONE_NEWUSER, "CLONE_NEWUSER"}, {CLONE_NEWNS, "CLONE_NEWNS"},   {CLONE_NEWNET, "CLONE_NEWNET"},
    {CLONE_NEWPID, "CLONE_NEWPID"},   {CLONE_NEWIPC, "CLONE_NEWIPC"}, {CLONE_NEWUTS, "CLONE_NEWUTS"},
    {CLONE_NEWCGROUP, "CLONE_NEWCGROUP"}, {CLONE_NEWTIME, "CLONE_NEWTIME"},
};

static int cmd_unshare(void) {
    char what[64];
    for (size_t i = 0; i < sizeof ns_flags / sizeof ns_flags[0]; i++) {
        snprintf(what, sizeof what, "unshare(%s)", ns_flags[i].name);
        errno = 0;
        expect_fail(unshare(ns_flags[i].flag), what);
    }
    return verdict();
}

static int cmd_setns(void) {
    static const char *names[] = {"net", "mnt", "pid", "ipc", "uts", "user", "cgroup", "time"};
    static const char *owners[] = {"self", "1"};
    char path[64];
    for (size_t o = 0; o < 2; o++) {
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            snprintf(path, sizeof path, "/proc/%s/ns/%s", owners[o], names[i]);
            int fd = open(path, O_RDONLY | O_CLOEXEC);
            if (fd < 0) {
                blocked("open %s: %s", path, errname(errno));
                continue;
            }
            char what[96];
            snprintf(what, sizeof what, "setns(%s)", path);
            expect_fail(setns(fd, 0), what);
            close(fd);
        }
    }
    return verdict();
}

/* Raw clone with fork semantics: a child that appears exits at once. */
static void try_raw_clone(unsigned long flags, const char *name) {
    errno = 0;
    long rc = syscall(SYS_clone, flags | SIGCHLD, 0, NULL, NULL, 0);
    if (rc == 0) _exit(0);
    int e = errno;
    char what[96];
    snprintf(what, sizeof what, "clone(%s)", name);
    if (rc > 0) {
        waitpid((pid_t)rc, NULL, 0);
        escaped("%s created child %ld", what, rc);
    } else {
        blocked("%s: %s", what, errname(e));
    }
}

static int cmd_clone_ns(void) {
    try_raw_clone(CLONE_NEWUSER, "CLONE_NEWUSER");
    try_raw_clone(CLONE_NEWNS, "CLONE_NEWNS");
    try_raw_clone(CLONE_NEWUSER | CLONE_NEWNS, "CLONE_NEWUSER|CLONE_NEWNS");
    try_raw_clone(CLONE_NEWNET, "CLONE_NEWNET");
    try_raw_clone(CLONE_NEWPID, "CLONE_NEWPID");
    return verdict();
}

struct clone_args_ {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size,
        cgroup;
};

static int cmd_clone3(void) {
    static const struct {
        uint64_t flags;
        const char *name;
    } cases[] = {
        {CLONE_NEWUSER, "CLONE_NEWUSER"},
        {CLONE_NEWUSER | CLONE_NEWNS, "CLONE_NEWUSER|CLONE_NEWNS"},
        {CLONE_NEWNET, "CLONE_NEWNET"},
        {0, "no namespace flags"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct clone_args_ args;
        memset(&args, 0, sizeof args);
        args.flags = cases[i].flags;
        args.exit_signal = SIGCHLD;
        errno = 0;
        long rc = syscall(SYS_clone3, &args, sizeof args);
        if (rc == 0) _exit(0);
        int e = errno;
        if (rc > 0) {
            waitpid((pid_t)rc, NULL, 0);
            if (cases[i].flags != 0)
                escaped("clone3(%s) created child %ld", cases[i].name, rc);
            else
                escaped("clone3(%s) is callable, so its flags are out of seccomp's sight", cases[i].name);
        } else {
            blocked("clone3(%s): %s", cases[i].name, errname(e));
        }
    }
    return verdict();
}

/* ---- mounts ----------------------------------------------------------------------------------- */

static int cmd_mount(void) {
    errno = 0;
    expect_fail(mount("none", "/tmp", "tmpfs", 0, NULL), "mount tmpfs /tmp");
    expect_fail(mount("/usr", "/tmp", NULL, MS_BIND, NULL), "mount --bind /usr /tmp");
    expect_fail(mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND, NULL), "remount / read-write");
    expect_fail(mount("proc", "/tmp", "proc", 0, NULL), "mount proc /tmp");
    expect_fail(mount(NULL, "/", NULL, MS_PRIVATE | MS_REC, NULL), "make / private");
    long fd = syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC_);
    expect_fail(fd, "fsopen(tmpfs)");
    if (fd >= 0) close((int)fd);
    fd = syscall(SYS_fspick, AT_FDCWD, "/", 0);
    expect_fail(fd, "fspick(/)");
    if (fd >= 0) close((int)fd);
    fd = syscall(SYS_open_tree, AT_FDCWD, "/usr", OPEN_TREE_CLONE_);
    expect_fail(fd, "open_tree(/usr, OPEN_TREE_CLONE)");
    if (fd >= 0) {
        expect_fail(syscall(SYS_move_mount, (int)fd, "", AT_FDCWD, "/tmp", MOVE_MOUNT_F_EMPTY_PATH_),
                    "move_mount(cloned tree, /tmp)");
        close((int)fd);
    }
    expect_fail(syscall(SYS_move_mount, AT_FDCWD, "/proc", AT_FDCWD, "/tmp", 0), "move_mount(/proc, /tmp)");
    expect_fail(syscall(SYS_fsmount, 0, 0, 0), "fsmount(0)");
    return verdict();
}

static int cmd_umount(void) {
    static const char *targets[] = {"/proc/kcore", "/proc/sys", "/proc/sysrq-trigger", "/proc", "/usr", "/"};
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        char what[96];
        snprintf(what, sizeof what, "umount2(%s, MNT_DETACH)", targets[i]);
        expect_fail(umount2(targets[i], MNT_DETACH), what);
    }
    return verdict();
}

static int cmd_pivot_root(void) {
    expect_fail(syscall(SYS_pivot_root, "/tmp", "/tmp"), "pivot_root(/tmp, /tmp)");
    expect_fail(syscall(SYS_pivot_root, ".", "."), "pivot_root(., .)");
    return verdict();
}

static int cmd_chroot(void) {
    expect_fail(chroot("/tmp"), "chroot(/tmp)");
    expect_fail(chroot("/"), "chroot(/)");
    return verdict();
}

/* ---- kernel facilities that seccomp must refuse ------------------------------------------------ */

static int cmd_keyctl(void) {
    expect_fail(syscall(SYS_add_key, "user", "omega-probe", "x", 1, KEY_SPEC_PROCESS_KEYRING), "add_key(user)");
    expect_fail(syscall(SYS_request_key, "user", "omega-probe", NULL, 0), "request_key(user)");
    expect_fail(syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 1),
                "keyctl(GET_KEYRING_ID session)");
    expect_fail(syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL), "keyctl(JOIN_SESSION_KEYRING)");
    return verdict();
}

static int cmd_bpf(void) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.map_type = BPF_MAP_TYPE_ARRAY;
    attr.key_size = 4;
    attr.value_size = 4;
    attr.max_entries = 1;
    long fd = syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof attr);
    expect_fail(fd, "bpf(BPF_MAP_CREATE)");
    if (fd >= 0) close((int)fd);
    struct bpf_insn prog[2] = {
        {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0},
        {.code = BPF_JMP | BPF_EXIT},
    };
    memset(&attr, 0, sizeof attr);
    attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
    attr.insn_cnt = 2;
    attr.insns = (uint64_t)(uintptr_t)prog;
    attr.license = (uint64_t)(uintptr_t) "GPL";
    fd = syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr);
    expect_fail(fd, "bpf(BPF_PROG_LOAD socket filter)");
    if (fd >= 0) close((int)fd);
    return verdict();
}

static int cmd_perf_event_open(void) {
    struct perf_event_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.size = sizeof attr;
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_TASK_CLOCK;
    attr.disabled = 1;
    attr.exclude_kernel = 1;
    attr.exclude_hv = 1;
    long fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
    expect_fail(fd, "perf_event_open(self, task clock)");
    if (fd >= 0) close((int)fd);
    attr.type = PERF_TYPE_HARDWARE;
    attr.config = PERF_COUNT_HW_CPU_CYCLES;
    fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
    expect_fail(fd, "perf_event_open(self, cpu cycles)");
    if (fd >= 0) close((int)fd);
    return verdict();
}

static int cmd_io_uring_setup(void) {
    unsigned char params[120]; /* struct io_uring_params */
    memset(params, 0, sizeof params);
    long fd = syscall(SYS_io_uring_setup, 8, params);
    expect_fail(fd, "io_uring_setup(8)");
    if (fd >= 0) close((int)fd);
    return verdict();
}

static int cmd_userfaultfd(void) {
    long fd = syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY_);
    expect_fail(fd, "userfaultfd(UFFD_USER_MODE_ONLY)");
    if (fd >= 0) close((int)fd);
    fd = syscall(SYS_userfaultfd, O_CLOEXEC);
    expect_fail(fd, "userfaultfd(0)");
    if (fd >= 0) close((int)fd);
    long rc = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
    expect_fail(rc, "open /dev/userfaultfd");
    if (rc >= 0) close((int)rc);
    return verdict();
}

static int cmd_ptrace(void) {
    /* PTRACE_TRACEME in a child, so that a success does not leave this process traced. */
    int pipefd[2];
    if (pipe(pipefd) != 0) return perror("pipe"), 1;
    pid_t child = fork();
    if (child == 0) {
        errno = 0;
        long rc = ptrace(PTRACE_TRACEME, 0, NULL, NULL);
        int result[2] = {(int)rc, errno};
        if (write(pipefd[1], result, sizeof result) < 0) _exit(1);
        _exit(0);
    }
    close(pipefd[1]);
    int result[2] = {0, 0};
    if (child < 0 || read(pipefd[0], result, sizeof result) != (ssize_t)sizeof result) {
        blocked("ptrace(PTRACE_TRACEME): could not run the probe child");
    } else if (result[0] >= 0) {
        escaped("ptrace(PTRACE_TRACEME) succeeded");
    } else {
        blocked("ptrace(PTRACE_TRACEME): %s", errname(result[1]));
    }
    if (child > 0) waitpid(child, NULL, 0);
    close(pipefd[0]);

    /* On success, wait for the attach stop and detach at once, so the target runs on unharmed. */
    pid_t targets[2] = {1, getppid()};
    for (int i = 0; i < 2; i++) {
        pid_t target = targets[i];
        if (i == 1 && target <= 1) continue;
        char what[64];
        snprintf(what, sizeof what, "ptrace(PTRACE_ATTACH, %s %d)", i == 0 ? "init" : "parent", target);
        errno = 0;
        long rc = ptrace(PTRACE_ATTACH, target, NULL, NULL);
        expect_fail(rc, what);
        if (rc == 0) {
            waitpid(target, NULL, __WALL);
            ptrace(PTRACE_DETACH, target, NULL, NULL);
        }
    }
    long rc = ptrace(PTRACE_SEIZE, 1, NULL, NULL);
    expect_fail(rc, "ptrace(PTRACE_SEIZE, 1)");
    if (rc == 0) ptrace(PTRACE_DETACH, 1, NULL, NULL);
    return verdict();
}

/* The first mapped address of pid 1, when /proc/1/maps is readable. */
static unsigned long first_mapping_of_pid1(void) {
    FILE *maps = fopen("/proc/1/maps", "re");
    unsigned long start = 0x400000;
    if (maps) {
        if (fscanf(maps, "%lx", &start) != 1) start = 0x400000;
        fclose(maps);
    }
    return start;
}

static int cmd_process_vm_readv(void) {
    char buffer[64];
    struct iovec local = {buffer, sizeof buffer};
    struct iovec remote = {(void *)first_mapping_of_pid1(), sizeof buffer};
    errno = 0;
    long rc = process_vm_readv(1, &local, 1, &remote, 1, 0);
    if (rc >= 0)
        escaped("process_vm_readv(1) read %ld bytes at %p", rc, remote.iov_base);
    else if (errno == EFAULT)
        escaped("process_vm_readv(1): EFAULT (the permission check passed)");
    else
        blocked("process_vm_readv(1): %s", errname(errno));
    rc = process_vm_writev(1, &local, 1, &remote, 1, 0);
    if (rc >= 0)
        escaped("process_vm_writev(1) wrote %ld bytes", rc);
    else if (errno == EFAULT)
        escaped("process_vm_writev(1): EFAULT (the permission check passed)");
    else
        blocked("process_vm_writev(1): %s", errname(errno));
    int fd = open("/proc/1/mem", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        escaped("open /proc/1/mem succeeded");
        close(fd);
    } else {
        blocked("open /proc/1/mem: %s", errname(errno));
    }
    return verdict();
}

static int cmd_kexec_load(void) {
    /* Zero segments and no flags: even a success would only unload nothing. */
    expect_fail(syscall(SYS_kexec_load, 0UL, 0UL, NULL, 0UL), "kexec_load(0 segments)");
    expect_fail(syscall(SYS_kexec_file_load, -1, -1, 0UL, "", 0UL), "kexec_file_load(-1)");
    return verdict();
}

static int cmd_init_module(void) {
    static const char image[] = "not an ELF module";
    expect_fail(syscall(SYS_init_module, image, sizeof image, ""), "init_module(garbage)");
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    expect_fail(syscall(SYS_finit_module, fd, "", 0), "finit_module(/dev/null)");
    if (fd >= 0) close(fd);
    expect_fail(syscall(SYS_delete_module, "omega_nonexistent", O_NONBLOCK), "delete_module(omega_nonexistent)");
    return verdict();
}

static int cmd_settimeofday(void) {
    /* Set the clock to what it already reads, so that an unexpected success changes nothing. */
    struct timeval tv;
    gettimeofday(&tv, NULL);
    expect_fail(settimeofday(&tv, NULL), "settimeofday(now)");
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    expect_fail(clock_settime(CLOCK_REALTIME, &ts), "clock_settime(CLOCK_REALTIME, now)");
    struct timex tx;
    memset(&tx, 0, sizeof tx);
    tx.modes = ADJ_OFFSET_SINGLESHOT;
    tx.offset = 0;
    expect_fail(adjtimex(&tx), "adjtimex(ADJ_OFFSET_SINGLESHOT 0)");
    return verdict();
}

/*
 * TIOCSTI on a pty that is our controlling terminal: the kernel's own check (same controlling tty, and
 * dev.tty.legacy_tiocsti) would let it through, so only seccomp can make it fail with EPERM.
 */
static int cmd_tiocsti(void) {
    int pipefd[2];
    if (pipe(pipefd) != 0) return perror("pipe"), 1;
    pid_t child = fork();
    if (child == 0) {
        close(pipefd[0]);
        int report[3] = {0, 0, 0}; /* stage, rc, errno */
        if (setsid() < 0) {
            report[0] = 1, report[1] = -1, report[2] = errno;
        } else {
            int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
            if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) {
                report[0] = 2, report[1] = -1, report[2] = errno;
            } else {
                char *name = ptsname(master);
                int slave = name ? open(name, O_RDWR | O_CLOEXEC) : -1; /* no O_NOCTTY: becomes our ctty */
                if (slave < 0) {
                    report[0] = 3, report[1] = -1, report[2] = errno;
                } else {
                    char c = '#';
                    errno = 0;
                    report[0] = 4;
                    report[1] = ioctl(slave, TIOCSTI, &c);
                    report[2] = errno;
                }
            }
        }
        if (write(pipefd[1], report, sizeof report) < 0) _exit(1);
        _exit(0);
    }
    close(pipefd[1]);
    int report[3] = {0, 0, 0};
    ssize_t n = child > 0 ? read(pipefd[0], report, sizeof report) : -1;
    if (child > 0) waitpid(child, NULL, 0);
    if (n != (ssize_t)sizeof report) {
        blocked("tiocsti probe child failed to report");
    } else if (report[0] < 4) {
        static const char *stages[] = {"", "setsid", "open /dev/ptmx", "open pts slave"};
        /* Cannot reach the ioctl: not an escape, but not proof of the seccomp rule either. */
        escaped("probe setup failed at %s: %s (TIOCSTI not exercised)", stages[report[0]], errname(report[2]));
    } else if (report[1] == 0) {
        escaped("ioctl(TIOCSTI) on our controlling pty succeeded");
    } else if (report[2] == EPERM) {
        blocked("ioctl(TIOCSTI) on our controlling pty: EPERM");
    } else {
        escaped("ioctl(TIOCSTI) reached the kernel (%s): seccomp did not refuse it", errname(report[2]));
    }
    /* Also the plain form on fd 0, for the record (ENOTTY when stdin is not a terminal). */
    char c = '#';
    errno = 0;
    int rc = ioctl(0, TIOCSTI, &c);
    if (rc == 0)
        escaped("ioctl(0, TIOCSTI) succeeded");
    else
        blocked("ioctl(0, TIOCSTI): %s", errname(errno));
    return verdict();
}

static int cmd_sethostname(void) {
    expect_fail(sethostname("evil", 4), "sethostname(evil)");
    expect_fail(setdomainname("evil", 4), "setdomainname(evil)");
    char name[65] = {0};
    gethostname(name, sizeof name - 1);
    if (strcmp(name, "omega") != 0)
        escaped("hostname is '%s', not omega", name);
    else
        blocked("hostname is omega");
    return verdict();
}

/* sysv-ipc [KEY MSQID [SHMKEY SHMID]]: host objects must be invisible; private ones may exist. */
static int cmd_sysv_ipc(int argc, char **argv) {
    if (argc >= 2) {
        key_t key = (key_t)strtoul(argv[0], NULL, 0);
        int id = atoi(argv[1]);
        int q = msgget(key, 0);
        if (q >= 0)
            escaped("msgget(host key 0x%08x) found queue %d", (unsigned)key, q);
        else
            blocked("msgget(host key 0x%08x): %s", (unsigned)key, errname(errno));
        struct msqid_ds ds;
        if (msgctl(id, IPC_STAT, &ds) == 0)
            escaped("msgctl(host msqid %d, IPC_STAT) succeeded", id);
        else
            blocked("msgctl(host msqid %d): %s", id, errname(errno));
    }
    if (argc >= 4) {
        key_t key = (key_t)strtoul(argv[2], NULL, 0);
        int id = atoi(argv[3]);
        int s = shmget(key, 0, 0);
        if (s >= 0)
            escaped("shmget(host key 0x%08x) found segment %d", (unsigned)key, s);
        else
            blocked("shmget(host key 0x%08x): %s", (unsigned)key, errname(errno));
        struct shmid_ds ds;
        if (shmctl(id, IPC_STAT, &ds) == 0)
            escaped("shmctl(host shmid %d, IPC_STAT) succeeded", id);
        else
            blocked("shmctl(host shmid %d): %s", id, errname(errno));
    }
    /* What the namespace holds: only what this process creates now. */
    int visible = 0;
    for (int id = 0; id < 64; id++) {
        struct msqid_ds ds;
        if (msgctl(id, MSG_STAT, &ds) >= 0) visible++;
        struct shmid_ds sds;
        if (shmctl(id, SHM_STAT, &sds) >= 0) visible++;
    }
    if (visible > 0)
        escaped("%d pre-existing IPC objects visible", visible);
    else
        blocked("the IPC namespace is empty");
    int q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    int s = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    int m = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
    fprintf(stderr, "private objects: msg %d shm %d sem %d\n", q, s, m);
    if (q >= 0) msgctl(q, IPC_RMID, NULL);
    if (s >= 0) shmctl(s, IPC_RMID, NULL);
    if (m >= 0) semctl(m, 0, IPC_RMID);
    return verdict();
}

/* ---- syscall ABIs ----------------------------------------------------------------------------- */

static int cmd_i386(void) {
    /* getpid through the 32-bit entry (int 0x80, eax = 20): the foreign architecture must be killed. */
    long result;
    __asm__ volatile("int $0x80" : "=a"(result) : "a"(20L) : "memory", "rcx", "r11");
    if (result >= 0)
        escaped("int 0x80 getpid returned %ld", result);
    else
        escaped("int 0x80 getpid returned %s instead of killing the process", errname((int)-result));
    return verdict();
}

static int cmd_x32(void) {
    errno = 0;
    long rc = syscall(SYS_getpid | X32_SYSCALL_BIT_);
    if (rc >= 0)
        escaped("x32 getpid returned %ld", rc);
    else
        blocked("x32 getpid: %s", errname(errno));
    rc = syscall(SYS_unshare | X32_SYSCALL_BIT_, CLONE_NEWUSER);
    if (rc >= 0)
        escaped("x32 unshare(CLONE_NEWUSER) returned %ld", rc);
    else
        blocked("x32 unshare(CLONE_NEWUSER): %s", errname(errno));
    return verdict();
}

/* ---- identity --------------------------------------------------------------------------------- */

static int cmd_caps(void) {
    FILE *status = fopen("/proc/self/status", "re");
    if (!status) {
        escaped("cannot read /proc/self/status: %s", errname(errno));
        return verdict();
    }
    char line[256];
    int seen = 0;
    while (fgets(line, sizeof line, status)) {
        line[strcspn(line, "\n")] = 0;
        char *colon = strchr(line, ':');
        if (!colon) continue;
        *colon = 0;
        char *value = colon + 1;
        while (isspace((unsigned char)*value)) value++;
        if (strncmp(line, "Cap", 3) == 0) {
            seen++;
            if (strtoull(value, NULL, 16) != 0)
                escaped("%s=%s", line, value);
            else
                blocked("%s=0", line);
        } else if (strcmp(line, "NoNewPrivs") == 0) {
            seen++;
            if (strcmp(value, "1") != 0)
                escaped("NoNewPrivs=%s", value);
            else
                blocked("NoNewPrivs=1");
        } else if (strcmp(line, "Seccomp") == 0) {
            seen++;
            if (strcmp(value, "2") != 0)
                escaped("Seccomp=%s", value);
            else
                blocked("Seccomp=2");
        }
    }
    fclose(status);
    if (seen < 7) escaped("only %d of CapInh/CapPrm/CapEff/CapBnd/CapAmb/NoNewPrivs/Seccomp found", seen);
    return verdict();
}

static int cmd_uid(void) {
    uid_t r, e, s;
    gid_t gr, ge, gs;
    getresuid(&r, &e, &s);
    getresgid(&gr, &ge, &gs);
    if (r == 0 || e == 0 || s == 0)
        escaped("uid %u/%u/%u includes 0", r, e, s);
    else
        blocked("uid=%u", e);
    if (gr == 0 || ge == 0 || gs == 0)
        escaped("gid %u/%u/%u includes 0", gr, ge, gs);
    else
        blocked("gid=%u", ge);
    gid_t groups[64];
    int n = getgroups(64, groups);
    for (int i = 0; i < n; i++)
        if (groups[i] == 0) escaped("supplementary group 0");
    static const char *maps[] = {"/proc/self/uid_map", "/proc/self/gid_map"};
    for (int m = 0; m < 2; m++) {
        FILE *f = fopen(maps[m], "re");
        if (!f) {
            escaped("cannot read %s: %s", maps[m], errname(errno));
            continue;
        }
        unsigned long inside, outside, count;
        int lines = 0;
        while (fscanf(f, "%lu %lu %lu", &inside, &outside, &count) == 3) {
            lines++;
            if (outside == 0)
                escaped("%s maps %lu to host 0", maps[m], inside);
            else if (count > 1 && inside == 0)
                escaped("%s maps inside root (%lu..+%lu)", maps[m], outside, count);
            else
                blocked("%s: %lu -> host %lu (x%lu)", maps[m], inside, outside, count);
        }
        if (lines == 0) escaped("%s is empty", maps[m]);
        fclose(f);
    }
    /* Becoming root must fail too. */
    expect_fail(setuid(0), "setuid(0)");
    expect_fail(setgid(0), "setgid(0)");
    gid_t zero = 0;
    expect_fail(setgroups(1, &zero), "setgroups([0])");
    return verdict();
}

static int cmd_fds(void) {
    DIR *dir = opendir("/proc/self/fd");
    if (!dir) {
        escaped("cannot list /proc/self/fd: %s", errname(errno));
        return verdict();
    }
    int own = dirfd(dir);
    struct dirent *entry;
    char list[512] = "";
    while ((entry = readdir(dir))) {
        if (!isdigit((unsigned char)entry->d_name[0])) continue;
        int fd = atoi(entry->d_name);
        if (fd == own) continue;
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%d", used ? "," : "", fd);
        if (fd > 2) {
            char path[64], target[256] = "?";
            snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
            ssize_t n = readlink(path, target, sizeof target - 1);
            if (n >= 0) target[n] = 0;
            escaped("fd %d is open (%s)", fd, target);
        }
    }
    closedir(dir);
    if (escaped_count == 0) blocked("open fds: %s", list);
    return verdict();
}

/* ---- filesystem ------------------------------------------------------------------------------- */

static void try_open_write(const char *path, int flags) {
    errno = 0;
    int fd = open(path, O_WRONLY | O_CLOEXEC | flags, 0644);
    if (fd < 0) {
        blocked("open %s for writing: %s", path, errname(errno));
        return;
    }
    if (is_dev_null(fd)) {
        blocked("%s is masked by /dev/null", path);
    } else {
        escaped("opened %s for writing", path); /* nothing is written */
        if (flags & O_CREAT) unlink(path);
    }
    close(fd);
}

static int cmd_write_sys(void) {
    try_open_write("/usr/bin/omega-probe", O_CREAT | O_EXCL);
    try_open_write("/usr/bin/sh", 0);
    try_open_write("/etc/passwd", O_APPEND);
    try_open_write("/etc/omega-probe", O_CREAT | O_EXCL);
    try_open_write("/proc/sys/kernel/hostname", 0);
    try_open_write("/proc/sys/kernel/core_pattern", 0);
    try_open_write("/proc/sys/vm/drop_caches", 0);
    try_open_write("/proc/sysrq-trigger", 0);
    try_open_write("/omega-probe", O_CREAT | O_EXCL);
    try_open_write("/dev/omega-probe", O_CREAT | O_EXCL);
    if (mkdir("/omega-probe-dir", 0755) == 0) {
        escaped("mkdir /omega-probe-dir succeeded");
        rmdir("/omega-probe-dir");
    } else {
        blocked("mkdir /omega-probe-dir: %s", errname(errno));
    }
    if (chmod("/usr/bin", 0777) == 0)
        escaped("chmod /usr/bin succeeded");
    else
        blocked("chmod /usr/bin: %s", errname(errno));
    if (symlink("/", "/omega-probe-link") == 0) {
        escaped("symlink in / succeeded");
        unlink("/omega-probe-link");
    } else {
        blocked("symlink in /: %s", errname(errno));
    }
    return verdict();
}

/* Reads up to 64 bytes; returns the count, or -1 with errno. */
static ssize_t peek(const char *path, char *buffer, size_t size, int *devnull) {
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return -1;
    *devnull = is_dev_null(fd);
    ssize_t n = read(fd, buffer, size);
    int e = errno;
    close(fd);
    errno = e;
    return n;
}

/*
 * read-host [REVERSED_SECRET]: nothing of the host beyond /usr and the few /etc files. The optional
 * argument is a value the test put in omega-exec's own environment, reversed so that it does not appear
 * verbatim in any command line of the jail.
 */
static int cmd_read_host(int argc, char **argv) {
    char secret_buffer[256];
    const char *secret = NULL;
    if (argc >= 1) {
        size_t n = strlen(argv[0]);
        if (n >= sizeof secret_buffer) n = sizeof secret_buffer - 1;
        for (size_t i = 0; i < n; i++) secret_buffer[i] = argv[0][n - 1 - i];
        secret_buffer[n] = 0;
        secret = secret_buffer;
    }
    static const char *absent[] = {"/etc/shadow", "/etc/gshadow", "/etc/sudoers", "/etc/ssh", "/root",
                                   "/home",       "/var",         "/run",         "/sys",     "/boot",
                                   "/srv",        "/mnt",         "/media",       "/opt/omega", "/etc/machine-id"};
    for (size_t i = 0; i < sizeof absent / sizeof absent[0]; i++) {
        struct stat st;
        if (lstat(absent[i], &st) == 0)
            escaped("%s exists", absent[i]);
        else
            blocked("%s: %s", absent[i], errname(errno));
    }
    static const char *masked[] = {"/proc/kcore", "/proc/kallsyms", "/proc/keys", "/proc/kmsg",
                                   "/proc/sched_debug", "/proc/timer_list", "/proc/sysrq-trigger"};
    for (size_t i = 0; i < sizeof masked / sizeof masked[0]; i++) {
        char buffer[64];
        int devnull = 0;
        ssize_t n = peek(masked[i], buffer, sizeof buffer, &devnull);
        if (n > 0)
            escaped("read %zd bytes of %s", n, masked[i]);
        else if (n == 0)
            blocked("%s reads empty%s", masked[i], devnull ? " (/dev/null)" : "");
        else
            blocked("%s: %s", masked[i], errname(errno));
    }
    /* /etc holds only the synthesized and runtime files. */
    static const char *allowed_etc[] = {"passwd", "group", "hosts", "hostname", "nsswitch.conf", "ld.so.cache",
                                        "ld.so.conf", "ld.so.conf.d", "alternatives", "localtime", "mime.types",
                                        "python3", "python3.11", "python3.12", "python3.13", "resolv.conf"};
    DIR *etc = opendir("/etc");
    struct dirent *entry;
    while (etc && (entry = readdir(etc))) {
        if (entry->d_name[0] == '.') continue;
        int ok = 0;
        for (size_t i = 0; i < sizeof allowed_etc / sizeof allowed_etc[0]; i++)
            if (strcmp(entry->d_name, allowed_etc[i]) == 0) ok = 1;
        if (!ok) escaped("/etc/%s is visible", entry->d_name);
    }
    if (etc) closedir(etc);
    /* /etc/passwd is synthesized: no host accounts. */
    FILE *passwd = fopen("/etc/passwd", "re");
    char line[512];
    while (passwd && fgets(line, sizeof line, passwd)) {
        if (strncmp(line, "root:", 5) && strncmp(line, "tool:", 5) && strncmp(line, "nobody:", 7)) {
            line[strcspn(line, "\n")] = 0;
            escaped("/etc/passwd has host entry '%.40s'", line);
        }
    }
    if (passwd) fclose(passwd);
    /* The supervisor's environment must not be readable through any process of the jail. */
    if (secret) {
        DIR *proc = opendir("/proc");
        while (proc && (entry = readdir(proc))) {
            if (!isdigit((unsigned char)entry->d_name[0])) continue;
            static const char *files[] = {"environ", "cmdline"};
            for (int f = 0; f < 2; f++) {
                char path[300], buffer[65536];
                snprintf(path, sizeof path, "/proc/%s/%s", entry->d_name, files[f]);
                int fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0) continue;
                ssize_t n = read(fd, buffer, sizeof buffer - 1);
                close(fd);
                if (n > 0 && memmem(buffer, (size_t)n, secret, strlen(secret)))
                    escaped("%s contains the host's secret", path);
            }
        }
        if (proc) closedir(proc);
        blocked("no /proc/*/environ or cmdline holds the host secret");
    }
    return verdict();
}

static int cmd_devices(void) {
    expect_fail(mknod("/tmp/omega-null", S_IFCHR | 0666, makedev(1, 3)), "mknod /tmp/omega-null c 1 3");
    unlink("/tmp/omega-null");
    expect_fail(mknod("/tmp/omega-sda", S_IFBLK | 0666, makedev(8, 0)), "mknod /tmp/omega-sda b 8 0");
    unlink("/tmp/omega-sda");
    expect_fail(mknod("/dev/omega-mem", S_IFCHR | 0666, makedev(1, 1)), "mknod /dev/omega-mem c 1 1");
    static const char *allowed[] = {"null", "zero",   "full",   "random", "urandom", "tty",  "pts", "ptmx",
                                    "shm",  "mqueue", "fd",     "stdin",  "stdout",  "stderr", "core"};
    DIR *dev = opendir("/dev");
    if (!dev) {
        escaped("cannot list /dev: %s", errname(errno));
        return verdict();
    }
    struct dirent *entry;
    char list[512] = "";
    while ((entry = readdir(dev))) {
        if (entry->d_name[0] == '.') continue;
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%s", used ? "," : "", entry->d_name);
        int ok = 0;
        for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
            if (strcmp(entry->d_name, allowed[i]) == 0) ok = 1;
        if (!ok) escaped("/dev/%s is present", entry->d_name);
    }
    closedir(dev);
    blocked("/dev holds %s", list);
    static const char *dangerous[] = {"/dev/mem", "/dev/kmem", "/dev/port", "/dev/kmsg", "/dev/sda", "/dev/vda",
                                      "/dev/nvme0n1", "/dev/loop0", "/dev/fuse", "/dev/net/tun"};
    for (size_t i = 0; i < sizeof dangerous / sizeof dangerous[0]; i++) {
        int fd = open(dangerous[i], O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (fd >= 0) {
            escaped("opened %s", dangerous[i]);
            close(fd);
        }
    }
    return verdict();
}

/* ---- network ---------------------------------------------------------------------------------- */

/* connect() with a 1 s limit; returns 0 or the errno. */
static int timed_connect(int fd, const struct sockaddr *addr, socklen_t len) {
    int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    if (connect(fd, addr, len) == 0) return 0;
    if (errno != EINPROGRESS) return errno;
    struct pollfd p = {fd, POLLOUT, 0};
    int n = poll(&p, 1, 1000);
    if (n == 0) return ETIMEDOUT;
    int err = 0;
    socklen_t errlen = sizeof err;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &errlen);
    return err;
}

static void connect_inet(const char *ip, int port, int *out_errno) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *out_errno = errno;
        blocked("socket(AF_INET): %s", errname(errno));
        return;
    }
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, ip, &sa.sin_addr);
    int e = timed_connect(fd, (struct sockaddr *)&sa, sizeof sa);
    *out_errno = e;
    if (e == 0)
        escaped("connect %s:%d succeeded", ip, port);
    else
        blocked("connect %s:%d: %s", ip, port, errname(e));
    close(fd);
}

static int cmd_net_loopback(int argc, char **argv) {
    if (argc < 1) return fprintf(stderr, "usage: net-loopback PORT\n"), 2;
    int e;
    connect_inet("127.0.0.1", atoi(argv[0]), &e);
    return verdict();
}

static int cmd_net_abstract(int argc, char **argv) {
    if (argc < 1) return fprintf(stderr, "usage: net-abstract NAME\n"), 2;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        blocked("socket(AF_UNIX): %s", errname(errno));
        return verdict();
    }
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    size_t n = strlen(argv[0]);
    if (n > sizeof sa.sun_path - 1) n = sizeof sa.sun_path - 1;
    memcpy(sa.sun_path + 1, argv[0], n);
    int e = timed_connect(fd, (struct sockaddr *)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n));
    if (e == 0)
        escaped("connect @%s succeeded", argv[0]);
    else
        blocked("connect @%s: %s", argv[0], errname(e));
    close(fd);
    return verdict();
}

static int cmd_net_out(void) {
    int e;
    connect_inet("1.1.1.1", 53, &e);
    connect_inet("10.0.0.1", 80, &e);
    int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0) {
        struct sockaddr_in6 sa;
        memset(&sa, 0, sizeof sa);
        sa.sin6_family = AF_INET6;
        sa.sin6_port = htons(53);
        inet_pton(AF_INET6, "2606:4700:4700::1111", &sa.sin6_addr);
        e = timed_connect(fd, (struct sockaddr *)&sa, sizeof sa);
        if (e == 0)
            escaped("connect [2606:4700:4700::1111]:53 succeeded");
        else
            blocked("connect [2606:4700:4700::1111]:53: %s", errname(e));
        close(fd);
    } else {
        blocked("socket(AF_INET6): %s", errname(errno));
    }
    /* A UDP "connect" only consults the routing table; nothing is sent. */
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd >= 0) {
        struct sockaddr_in sa;
        memset(&sa, 0, sizeof sa);
        sa.sin_family = AF_INET;
        sa.sin_port = htons(53);
        inet_pton(AF_INET, "1.1.1.1", &sa.sin_addr);
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
            escaped("a route to 1.1.1.1 exists (udp connect succeeded)");
        else
            blocked("udp route to 1.1.1.1: %s", errname(errno));
        close(fd);
    }
    return verdict();
}

/* INFO: which interfaces exist and whether lo is up. */
static int cmd_lo(void) {
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) != 0) {
        printf("INFO lo unknown (%s)\n", errname(errno));
        return 0;
    }
    char list[512] = "", line[256];
    FILE *dev = fopen("/proc/net/dev", "re"); /* if_nameindex needs netlink, which seccomp refuses */
    while (dev && fgets(line, sizeof line, dev)) {
        char *colon = strchr(line, ':');
        if (!colon) continue;
        *colon = 0;
        char *name = line;
        while (*name == ' ') name++;
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%s", used ? "," : "", name);
    }
    if (dev) fclose(dev);
    printf("INFO lo %s interfaces=%s\n", (ifr.ifr_flags & IFF_UP) ? "up" : "down", list);
    return 0;
}

/* INFO: which socket families may be created. */
static int cmd_sockets(void) {
    static const struct {
        int family;
        const char *name;
    } families[] = {{AF_UNIX, "unix"}, {AF_INET, "inet"}, {AF_INET6, "inet6"}, {AF_NETLINK, "netlink"},
                    {AF_PACKET, "packet"}};
    char line[256] = "INFO";
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++) {
        int type = families[i].family == AF_PACKET ? SOCK_RAW : SOCK_DGRAM;
        int fd = socket(families[i].family, type | SOCK_CLOEXEC, 0);
        size_t used = strlen(line);
        snprintf(line + used, sizeof line - used, " %s=%s", families[i].name, fd >= 0 ? "ok" : errname(errno));
        if (fd >= 0) close(fd);
    }
    printf("%s\n", line);
    return 0;
}

/* ---- resource exhaustion ---------------------------------------------------------------------- */

/* fork-bomb [LIMIT]: fork until fork fails; children wait for the parent's pipe to close. */
static int cmd_fork_bomb(int argc, char **argv) {
    long limit = argc >= 1 ? atol(argv[0]) : 0;
    const long hard_stop = 2000; /* never more than this, whatever the jail does */
    int pipefd[2];
    if (pipe(pipefd) != 0) return perror("pipe"), 1;
    long count = 0;
    int e = 0;
    while (count < hard_stop) {
        pid_t child = fork();
        if (child == 0) {
            char c;
            close(pipefd[1]);
            while (read(pipefd[0], &c, 1) < 0 && errno == EINTR) {}
            _exit(0);
        }
        if (child < 0) {
            e = errno;
            break;
        }
        count++;
    }
    close(pipefd[1]);
    while (wait(NULL) > 0 || errno == EINTR) {}
    if (count >= hard_stop || (limit > 0 && count >= limit))
        escaped("forked %ld processes (limit %ld) before %s", count, limit, errname(e));
    else
        blocked("forked %ld processes before %s", count, errname(e));
    return verdict();
}

static int cmd_memory_bomb(void) {
    const size_t step = 16u << 20, total = 1u << 30;
    size_t done = 0;
    while (done < total) {
        char *block = malloc(step);
        if (!block) {
            blocked("malloc failed after %zu MiB", done >> 20);
            return verdict();
        }
        memset(block, 0xA5, step);
        done += step;
        fprintf(stderr, "touched %zu MiB\n", done >> 20);
    }
    escaped("allocated and touched %zu MiB", done >> 20);
    return verdict();
}

static void spin_forever(void) {
    volatile unsigned long counter = 0;
    for (;;) counter++;
}

/* busy-daemon MARKER [stay]: a detached session leader that ignores polite signals and spins. */
static int cmd_busy_daemon(int argc, char **argv) {
    const char *marker = argc >= 1 ? argv[0] : "omega-daemon";
    int stay = argc >= 2 && strcmp(argv[1], "stay") == 0;
    pid_t child = fork();
    if (child < 0) return perror("fork"), 1;
    if (child == 0) {
        setsid();
        pid_t grandchild = fork(); /* double fork: orphaned, reparented to the jail's init */
        if (grandchild != 0) _exit(0);
        signal(SIGHUP, SIG_IGN);
        signal(SIGTERM, SIG_IGN);
        signal(SIGINT, SIG_IGN);
        signal(SIGPIPE, SIG_IGN);
        prctl(PR_SET_NAME, marker, 0, 0, 0);
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2(null, 0), dup2(null, 1), dup2(null, 2);
            if (null > 2) close(null);
        }
        spin_forever();
    }
    waitpid(child, NULL, 0);
    printf("INFO daemon %s started\n", marker);
    fflush(stdout);
    if (stay) spin_forever();
    return 0;
}

static int cmd_output_flood(void) {
    static char chunk[65536];
    memset(chunk, 'x', sizeof chunk);
    for (size_t i = 0; i < sizeof chunk; i += 64) chunk[i + 63] = '\n';
    size_t total = 100u << 20, written = 0;
    while (written < total) {
        ssize_t n = write(1, chunk, sizeof chunk);
        if (n < 0) {
            if (errno == EINTR) continue;
            fprintf(stderr, "write failed after %zu bytes: %s\n", written, errname(errno));
            return 0;
        }
        written += (size_t)n;
    }
    return 0;
}

/* tmp-fill [LIMIT_BYTES]: fill /tmp until ENOSPC, across files (RLIMIT_FSIZE caps each one). */
static int cmd_tmp_fill(int argc, char **argv) {
    long long limit = argc >= 1 ? atoll(argv[0]) : 0;
    signal(SIGXFSZ, SIG_IGN);
    static char chunk[65536];
    memset(chunk, 'f', sizeof chunk);
    long long total = 0;
    int e = 0;
    const long long hard_stop = 2LL << 30;
    for (int file = 0; file < 64 && e != ENOSPC && total < hard_stop; file++) {
        char path[64];
        snprintf(path, sizeof path, "/tmp/fill-%d", file);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) {
            e = errno;
            break;
        }
        for (;;) {
            ssize_t n = write(fd, chunk, sizeof chunk);
            if (n < 0) {
                e = errno;
                break;
            }
            if (n == 0) break;
            total += n;
            if (total >= hard_stop) break;
        }
        close(fd);
        if (e != EFBIG && e != ENOSPC) break;
    }
    if ((limit > 0 && total > limit) || total >= hard_stop)
        escaped("wrote %lld bytes to /tmp (limit %lld) before %s", total, limit, errname(e));
    else
        blocked("wrote %lld bytes to /tmp before %s", total, errname(e));
    return verdict();
}

/* env [EXTRA_KEY...]: only PATH, HOME, LANG, TMPDIR and the named extra keys. */
extern char **environ;
static int cmd_env(int argc, char **argv) {
    static const char *allowed[] = {"PATH", "HOME", "LANG", "TMPDIR"};
    char keys[1024] = "";
    for (char **e = environ; *e; e++) {
        size_t len = strcspn(*e, "=");
        int ok = 0;
        for (size_t i = 0; i < 4; i++)
            if (strlen(allowed[i]) == len && strncmp(*e, allowed[i], len) == 0) ok = 1;
        for (int i = 0; i < argc; i++)
            if (strlen(argv[i]) == len && strncmp(*e, argv[i], len) == 0) ok = 1;
        size_t used = strlen(keys);
        snprintf(keys + used, sizeof keys - used, "%s%.*s", used ? "," : "", (int)len, *e);
        if (!ok) escaped("unexpected variable %.60s", *e);
        fprintf(stderr, "env: %s\n", *e);
    }
    if (escaped_count == 0) blocked("env=%s", keys);
    return verdict();
}

/* ps [MAX]: the processes visible in /proc. */
static int cmd_ps(int argc, char **argv) {
    long max = argc >= 1 ? atol(argv[0]) : 3;
    DIR *proc = opendir("/proc");
    if (!proc) {
        escaped("cannot list /proc: %s", errname(errno));
        return verdict();
    }
    struct dirent *entry;
    long count = 0;
    char list[1024] = "";
    while ((entry = readdir(proc))) {
        if (!isdigit((unsigned char)entry->d_name[0])) continue;
        count++;
        char path[300], comm[32] = "?";
        snprintf(path, sizeof path, "/proc/%s/comm", entry->d_name);
        FILE *f = fopen(path, "re");
        if (f) {
            if (fgets(comm, sizeof comm, f)) comm[strcspn(comm, "\n")] = 0;
            fclose(f);
        }
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%s:%s", used ? "," : "", entry->d_name, comm);
    }
    closedir(proc);
    if (count > max)
        escaped("%ld processes visible (max %ld): %s", count, max, list);
    else
        blocked("%ld processes visible: %s", count, list);
    return verdict();
}

/* inherited-fd [FD...]: descriptors the host left open must not be. */
static int cmd_inherited_fd(int argc, char **argv) {
    int defaults[] = {7};
    int n = argc > 0 ? argc : 1;
    for (int i = 0; i < n; i++) {
        int fd = argc > 0 ? atoi(argv[i]) : defaults[i];
        if (fcntl(fd, F_GETFD) >= 0) {
            char path[64], target[256] = "?";
            snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
            ssize_t len = readlink(path, target, sizeof target - 1);
            if (len >= 0) target[len] = 0;
            escaped("fd %d is open (%s)", fd, target);
        } else {
            blocked("fd %d: %s", fd, errname(errno));
        }
    }
    return verdict();
}

/*
 * signal-init: every catchable and uncatchable signal sent to the jail's init (same uid inside). The kernel
 * drops signals that init has no handler for; whatever init does with the rest, the run must still end with
 * this process's own verdict (the tool would die with init, and the test would see status != ok).
 */
static int cmd_signal_init(void) {
    static const struct {
        int number;
        const char *name;
    } signals[] = {{SIGHUP, "HUP"},   {SIGINT, "INT"},   {SIGQUIT, "QUIT"}, {SIGUSR1, "USR1"}, {SIGUSR2, "USR2"},
                   {SIGPIPE, "PIPE"}, {SIGALRM, "ALRM"}, {SIGTERM, "TERM"}, {SIGCHLD, "CHLD"}, {SIGCONT, "CONT"},
                   {SIGTSTP, "TSTP"}, {SIGSTOP, "STOP"}, {SIGSEGV, "SEGV"}, {SIGKILL, "KILL"}};
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) {
        errno = 0;
        int rc = kill(1, signals[i].number);
        fprintf(stderr, "kill(1, SIG%s): %s\n", signals[i].name, rc == 0 ? "delivered" : errname(errno));
        struct timespec pause = {0, 20 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    struct timespec pause = {0, 200 * 1000 * 1000};
    nanosleep(&pause, NULL);
    char state[64] = "?";
    FILE *status = fopen("/proc/1/status", "re");
    char line[128];
    while (status && fgets(line, sizeof line, status))
        if (strncmp(line, "State:", 6) == 0) {
            snprintf(state, sizeof state, "%.60s", line + 7);
            state[strcspn(state, "\n")] = 0;
        }
    if (status) fclose(status);
    if (state[0] == 'T' || state[0] == 't')
        escaped("init is stopped (%s)", state);
    else
        blocked("init survived every signal (state %s)", state);
    return verdict();
}

/*
 * proc-1: the jail's init is a clone of the host supervisor, so its /proc entries lead to host objects
 * (the omega-exec binary as /proc/1/exe, maybe a host cwd or descriptors). None may be reachable.
 */
static int cmd_proc_1(void) {
    int fd = open("/proc/1/exe", O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        escaped("opened /proc/1/exe (the host binary) for writing");
        close(fd);
    } else {
        blocked("open /proc/1/exe for writing: %s", errname(errno));
    }
    fd = open("/proc/1/exe", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        escaped("opened /proc/1/exe for reading");
        close(fd);
    } else {
        blocked("open /proc/1/exe: %s", errname(errno));
    }
    static const char *dirs[] = {"/proc/1/cwd", "/proc/1/root", "/proc/1/fd", "/proc/1/map_files"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        DIR *dir = opendir(dirs[i]);
        if (dir) {
            int entries = 0;
            while (readdir(dir)) entries++;
            closedir(dir);
            escaped("listed %s (%d entries)", dirs[i], entries);
        } else {
            blocked("opendir %s: %s", dirs[i], errname(errno));
        }
    }
    for (int n = 0; n < 16; n++) {
        char path[64];
        snprintf(path, sizeof path, "/proc/1/fd/%d", n);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (fd >= 0) {
            escaped("reopened init's descriptor %s", path);
            close(fd);
        }
    }
    return verdict();
}

/* ---- dispatch --------------------------------------------------------------------------------- */

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2) {
        fprintf(stderr, "usage: hostile SUBCOMMAND [ARGS...]\n");
        return 2;
    }
    const char *c = argv[1];
    int rest = argc - 2;
    char **args = argv + 2;
    if (!strcmp(c, "unshare")) return cmd_unshare();
    if (!strcmp(c, "setns")) return cmd_setns();
    if (!strcmp(c, "clone-ns")) return cmd_clone_ns();
    if (!strcmp(c, "clone3")) return cmd_clone3();
    if (!strcmp(c, "mount")) return cmd_mount();
    if (!strcmp(c, "umount")) return cmd_umount();
    if (!strcmp(c, "pivot_root")) return cmd_pivot_root();
    if (!strcmp(c, "chroot")) return cmd_chroot();
    if (!strcmp(c, "keyctl")) return cmd_keyctl();
    if (!strcmp(c, "bpf")) return cmd_bpf();
    if (!strcmp(c, "perf_event_open")) return cmd_perf_event_open();
    if (!strcmp(c, "io_uring_setup")) return cmd_io_uring_setup();
    if (!strcmp(c, "userfaultfd")) return cmd_userfaultfd();
    if (!strcmp(c, "ptrace")) return cmd_ptrace();
    if (!strcmp(c, "process_vm_readv")) return cmd_process_vm_readv();
    if (!strcmp(c, "kexec_load")) return cmd_kexec_load();
    if (!strcmp(c, "init_module")) return cmd_init_module();
    if (!strcmp(c, "settimeofday")) return cmd_settimeofday();
    if (!strcmp(c, "tiocsti")) return cmd_tiocsti();
    if (!strcmp(c, "sethostname")) return cmd_sethostname();
    if (!strcmp(c, "sysv-ipc")) return cmd_sysv_ipc(rest, args);
    if (!strcmp(c, "i386")) return cmd_i386();
    if (!strcmp(c, "x32")) return cmd_x32();
    if (!strcmp(c, "caps")) return cmd_caps();
    if (!strcmp(c, "uid")) return cmd_uid();
    if (!strcmp(c, "fds")) return cmd_fds();
    if (!strcmp(c, "write-sys")) return cmd_write_sys();
    if (!strcmp(c, "read-host")) return cmd_read_host(rest, args);
    if (!strcmp(c, "devices")) return cmd_devices();
    if (!strcmp(c, "net-loopback")) return cmd_net_loopback(rest, args);
    if (!strcmp(c, "net-abstract")) return cmd_net_abstract(rest, args);
    if (!strcmp(c, "net-out")) return cmd_net_out();
    if (!strcmp(c, "lo")) return cmd_lo();
    if (!strcmp(c, "sockets")) return cmd_sockets();
    if (!strcmp(c, "fork-bomb")) return cmd_fork_bomb(rest, args);
    if (!strcmp(c, "memory-bomb")) return cmd_memory_bomb();
    if (!strcmp(c, "busy-daemon")) return cmd_busy_daemon(rest, args);
    if (!strcmp(c, "spin")) return spin_forever(), 0;
    if (!strcmp(c, "output-flood")) return cmd_output_flood();
    if (!strcmp(c, "tmp-fill")) return cmd_tmp_fill(rest, args);
    if (!strcmp(c, "env")) return cmd_env(rest, args);
    if (!strcmp(c, "ps")) return cmd_ps(rest, args);
    if (!strcmp(c, "inherited-fd")) return cmd_inherited_fd(rest, args);
    if (!strcmp(c, "signal-init")) return cmd_signal_init();
    if (!strcmp(c, "proc-1")) return cmd_proc_1();
    fprintf(stderr, "hostile: unknown subcommand %s\n", c);
    return 2;
}
