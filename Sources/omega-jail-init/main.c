// omega-jail-init: pid 1 of every jail.
//
// The jail's setup child executes this small static program once the jail is built (namespaces,
// root filesystem, limits, no capabilities, no_new_privs). It starts with fds 0-2 (the tool's stdio),
// 3 (the supervisor's status pipe) and 4 (the launch blob, see `struct cj_launch_header`). It
// launches the tool (vfork: the seccomp filter is installed in the tool only, then execve), reaps
// every orphan of the jail, reports the tool's wait status on fd 3, and exits as soon as the tool
// has exited, which makes the kernel kill whatever is left in the pid namespace.
#define _GNU_SOURCE
#include "cjail.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { STATUS_FD = 3, BLOB_FD = 4, MAX_BLOB = 64 << 20 };

static int g_trace;

static void write_all(int fd, const void *data, size_t len) {
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        p += n;
        len -= (size_t)n;
    }
}

static void report(int kind, const char *step, const char *what, int err, int wait_status, pid_t tool) {
    struct cj_report r;
    memset(&r, 0, sizeof r);
    r.kind = kind;
    r.err = err;
    r.wait_status = wait_status;
    r.tool_pid = tool;
    if (kind == CJ_REPORT_TIMING) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        r.ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    }
    if (step) {
        size_t n = strlen(step);
        if (n > sizeof r.step - 1) n = sizeof r.step - 1;
        memcpy(r.step, step, n);
        if (what && n + 1 < sizeof r.step - 1) {
            r.step[n++] = ' ';
            size_t m = strlen(what);
            if (m > sizeof r.step - 1 - n) m = sizeof r.step - 1 - n;
            memcpy(r.step + n, what, m);
        }
    }
    write_all(STATUS_FD, &r, sizeof r);
}

__attribute__((noreturn)) static void fail(const char *step, const char *what, int err) {
    report(CJ_REPORT_SETUP_ERROR, step, what, err, 0, 0);
    _exit(125);
}

/// The decoded launch blob.
struct launch {
    const char *path;
    char **argv;
    char **envp;
    char **search;
    struct sock_fprog seccomp;
    unsigned seccomp_flags;
};

static char **take_strings(char **cursor, const char *end, uint32_t count) {
    char **list = calloc((size_t)count + 1, sizeof *list);
    if (!list) fail("calloc", "launch", ENOMEM);
    for (uint32_t i = 0; i < count; i++) {
        char *s = *cursor;
        char *nul = memchr(s, 0, (size_t)(end - s));
        if (!nul) fail("launch", "strings", EINVAL);
        list[i] = s;
        *cursor = nul + 1;
    }
    return list;
}

static void read_launch(struct launch *l) {
    struct stat st;
    if (fstat(BLOB_FD, &st) < 0) fail("fstat", "launch", errno);
    if (st.st_size < (off_t)sizeof(struct cj_launch_header) || st.st_size > MAX_BLOB) fail("launch", "size", EINVAL);
    size_t size = (size_t)st.st_size;
    char *buf = malloc(size + 1);
    if (!buf) fail("malloc", "launch", ENOMEM);
    size_t got = 0;
    while (got < size) {
        ssize_t n = pread(BLOB_FD, buf + got, size - got, (off_t)got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) fail("read", "launch", n < 0 ? errno : EIO);
        got += (size_t)n;
    }
    buf[size] = 0;
    close(BLOB_FD);
    struct cj_launch_header h;
    memcpy(&h, buf, sizeof h);
    if (h.magic != CJ_LAUNCH_MAGIC || h.argc > 65536 || h.envc > 65536 || h.pathc > 1024) fail("launch", "header", EINVAL);
    size_t strings_end = sizeof h + h.strings_len;
    size_t bpf_start = (strings_end + 7) & ~(size_t)7;
    if (strings_end > size || bpf_start + (size_t)h.seccomp_len * 8 > size || h.seccomp_len > 4096) fail("launch", "layout", EINVAL);
    g_trace = (int)h.trace;
    char *cursor = buf + sizeof h;
    const char *end = buf + strings_end;
    char **program = take_strings(&cursor, end, 1);
    l->path = program[0];
    l->argv = take_strings(&cursor, end, h.argc);
    l->envp = take_strings(&cursor, end, h.envc);
    l->search = take_strings(&cursor, end, h.pathc);
    l->seccomp.len = (unsigned short)h.seccomp_len;
    l->seccomp.filter = h.seccomp_len ? (struct sock_filter *)(buf + bpf_start) : NULL;
    l->seccomp_flags = h.seccomp_flags;
}

/// In the vfork child: seccomp, then execve (searching the path when the program has no '/').
__attribute__((noreturn)) static void exec_tool(const struct launch *l) {
    if (l->seccomp.len && syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, l->seccomp_flags, &l->seccomp) < 0)
        fail("seccomp", NULL, errno);
    if (g_trace) report(CJ_REPORT_TIMING, "seccomp (tool)", NULL, 0, 0, 0);
    int err = ENOENT;
    if (strchr(l->path, '/')) {
        execve(l->path, l->argv, l->envp);
        err = errno;
    } else {
        char buf[4096];
        int saw_eacces = 0;
        for (char **dir = l->search; *dir; dir++) {
            size_t a = strlen(*dir), b = strlen(l->path);
            if (a + b + 2 > sizeof buf) continue;
            memcpy(buf, *dir, a);
            buf[a] = '/';
            memcpy(buf + a + 1, l->path, b + 1);
            execve(buf, l->argv, l->envp);
            if (errno == EACCES) saw_eacces = 1;
            else if (errno != ENOENT && errno != ENOTDIR) {
                err = errno;
                break;
            }
        }
        if (err == ENOENT && saw_eacces) err = EACCES;
    }
    fail("execve", l->path, err);
}

int main(void) {
    // Before anything else, and before the tool exists: a non-dumpable init cannot be inspected
    // through /proc/1 (exe, cwd, fd, map_files, mem) by the same-uid tool. The tool's own execve
    // gives it a fresh, dumpable memory image.
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    struct launch l;
    memset(&l, 0, sizeof l);
    read_launch(&l);
    if (fcntl(STATUS_FD, F_SETFD, FD_CLOEXEC) < 0) fail("fcntl", "status", errno);
    if (g_trace) report(CJ_REPORT_TIMING, "init started", NULL, 0, 0, 0);

    pid_t tool = vfork();
    if (tool == 0) exec_tool(&l);
    if (tool < 0) fail("vfork", "tool", errno);

    // The tool owns its stdio now; the init keeps nothing the tool could wait on.
    close(0);
    close(1);
    close(2);
    for (;;) {
        int st = 0;
        pid_t p = wait4(-1, &st, __WALL, NULL);
        if (p == tool) {
            if (g_trace) report(CJ_REPORT_TIMING, "tool exited", NULL, 0, 0, 0);
            report(CJ_REPORT_EXIT, NULL, NULL, 0, st, tool);
            _exit(0);
        }
        if (p < 0 && errno != EINTR) _exit(0);
    }
}

// swiftc links every executable with swiftrt.o, whose constructor registers the image with the
// Swift runtime and so drags the whole runtime (and its start-up work) into this C program. The init
// has no Swift code: a no-op registration keeps the runtime out of the binary.
void swift_addNewDSOImage(const void *header);
void swift_addNewDSOImage(const void *header) { (void)header; }
