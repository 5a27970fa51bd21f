// omega-jail-init: pid 1 of every jail.
//
// The jail's setup child executes this small static program once the jail is built (namespaces,
// root filesystem, limits, no capabilities, no_new_privs). It starts with fds 0-2 (the tool's stdio),
// 3 (the supervisor's status pipe) and 4 (the launch blob, see `struct cj_launch_header`). It
// launches the tool (vfork: the seccomp filter is installed in the tool only, then execve), reaps
// every orphan of the jail, reports the tool's wait status on fd 3, and exits as soon as the tool
// has exited, which makes the kernel kill whatever is left in the pid namespace.
//
// With egress (`egress_port` != 0 in the launch blob) it also is the jail's only way out: before the
// tool exists it listens on 127.0.0.1:`egress_port`, and then, in one single-threaded poll loop that
// also reaps, relays every connection byte for byte to a fresh connection of its own to the proxy's
// Unix socket at CJ_EGRESS_SOCKET_PATH (bound read-only into the jail). It never parses the bytes:
// what may pass is the proxy's business, outside the jail.
#define _GNU_SOURCE
#include "cjail.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
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
    unsigned egress_port;   ///< 0: no egress
    sigset_t tool_mask;     ///< the signal mask the tool starts with (the init's own at start)
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
    if (h.magic != CJ_LAUNCH_MAGIC || h.argc > 65536 || h.envc > 65536 || h.pathc > 1024 || h.egress_port > 65535 ||
        h.reserved != 0)
        fail("launch", "header", EINVAL);
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
    l->egress_port = h.egress_port;
}

/// In the vfork child: the init's original signal mask back, seccomp, then execve (searching the
/// path when the program has no '/'). Only async-signal-safe calls: it shares the init's memory.
__attribute__((noreturn)) static void exec_tool(const struct launch *l) {
    // With egress the init blocks SIGCHLD (for its signalfd) before the vfork: the tool must start
    // with the mask the init itself started with. A raw system call (8 bytes: the kernel's sigset_t),
    // so nothing of libc's state changes.
    if (l->egress_port && syscall(SYS_rt_sigprocmask, SIG_SETMASK, &l->tool_mask, NULL, (size_t)8) < 0)
        fail("sigprocmask", "tool", errno);
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

// MARK: - Egress relay

enum {
    RELAY_MAX_PAIRS = 64,       ///< relayed connections at once; more are accepted and closed at once
    RELAY_BUFFER = 256 << 10,   ///< bytes buffered per direction of a pair
    RELAY_BACKLOG = 64,
};

/// One direction of a pair: bytes read from `fd[i]` waiting to be written to the other side.
struct relay_dir {
    char *buf;
    size_t off, len;            ///< pending bytes are buf[off, off + len)
    int eof;                    ///< EOF read from the source
    int shut;                   ///< the EOF was passed on (shutdown(SHUT_WR) of the other side)
};

/// A relayed connection: fd[0] the tool's TCP connection, fd[1] the init's connection to the
/// proxy's socket; dir[i] carries what fd[i] sends to fd[1 - i].
struct relay_pair {
    int fd[2];
    struct relay_dir dir[2];
};

static struct relay_pair *g_pairs[RELAY_MAX_PAIRS];
static int g_pair_count;

/// Listens on 127.0.0.1:`port` (close-on-exec, non-blocking): bound before the tool exists, so the
/// tool can connect at once and can never take the port itself.
static int relay_listen(unsigned port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) fail("socket", "egress listener", errno);
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) fail("setsockopt", "egress listener", errno);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) fail("bind", "egress listener", errno);
    if (listen(fd, RELAY_BACKLOG) < 0) fail("listen", "egress listener", errno);
    return fd;
}

static void relay_close(int index) {
    struct relay_pair *p = g_pairs[index];
    close(p->fd[0]);
    close(p->fd[1]);
    free(p->dir[0].buf);
    free(p->dir[1].buf);
    free(p);
    g_pairs[index] = g_pairs[--g_pair_count];
    g_pairs[g_pair_count] = NULL;
}

/// Connects a fresh non-blocking Unix stream socket to the proxy; -1 when that fails (no proxy,
/// its backlog full): the tool's connection is then closed, as if refused.
static int relay_connect_upstream(void) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -1;
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    memcpy(addr.sun_path, CJ_EGRESS_SOCKET_PATH, sizeof CJ_EGRESS_SOCKET_PATH);
    int rc;
    do rc = connect(fd, (struct sockaddr *)&addr, sizeof addr);
    while (rc < 0 && errno == EINTR);
    if (rc < 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

/// Accepts every pending connection. Returns 0, or -1 when accepting fails for a reason that may
/// last (out of descriptors or memory): the caller then leaves the listener out of the next poll
/// (at most 100 ms) instead of spinning on it.
static int relay_accept(int listener) {
    for (;;) {
        int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) continue;
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
        }
        if (g_pair_count >= RELAY_MAX_PAIRS) {
            close(fd);
            continue;
        }
        struct relay_pair *p = calloc(1, sizeof *p);
        char *a = malloc(RELAY_BUFFER), *b = malloc(RELAY_BUFFER);
        int up = p && a && b ? relay_connect_upstream() : -1;
        if (up < 0) {
            free(a);
            free(b);
            free(p);
            close(fd);
            continue;
        }
        p->fd[0] = fd;
        p->fd[1] = up;
        p->dir[0].buf = a;
        p->dir[1].buf = b;
        g_pairs[g_pair_count++] = p;
    }
}

/// The poll events pair `p` needs on its side `k`: readable while direction k has room and no
/// EOF yet, writable while the other direction has bytes for it.
static short relay_events(const struct relay_pair *p, int k) {
    short events = 0;
    const struct relay_dir *in = &p->dir[k], *out = &p->dir[1 - k];
    if (!in->eof && in->off + in->len < RELAY_BUFFER) events |= POLLIN;
    if (out->len > 0) events |= POLLOUT;
    return events;
}

/// Moves what it can for pair `p` after poll said `revents` for its two sides. Returns -1 when the
/// pair is done (both EOFs passed on) or broken (an error on either side): close it then.
static int relay_step(struct relay_pair *p, const short revents[2]) {
    for (int k = 0; k < 2; k++) {
        struct relay_dir *in = &p->dir[k];
        // Read side k into direction k.
        if ((revents[k] & (POLLIN | POLLHUP | POLLERR)) && !in->eof) {
            if (in->len == 0) in->off = 0;
            size_t room = RELAY_BUFFER - in->off - in->len;
            if (room > 0) {
                ssize_t n;
                do n = recv(p->fd[k], in->buf + in->off + in->len, room, 0);
                while (n < 0 && errno == EINTR);
                if (n > 0) in->len += (size_t)n;
                else if (n == 0) in->eof = 1;
                else if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
            }
        }
    }
    for (int k = 0; k < 2; k++) {
        // Write direction k to side 1 - k: after a read (the socket is usually writable) or POLLOUT.
        struct relay_dir *d = &p->dir[k];
        int to = p->fd[1 - k];
        while (d->len > 0) {
            ssize_t n = send(to, d->buf + d->off, d->len, MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
            if (n <= 0) return -1;
            d->off += (size_t)n;
            d->len -= (size_t)n;
        }
        if (d->len == 0) d->off = 0;
        // The source's EOF, passed on once everything before it is delivered (half-close).
        if (d->eof && d->len == 0 && !d->shut) {
            if (shutdown(to, SHUT_WR) < 0 && errno != ENOTCONN) return -1;
            d->shut = 1;
        }
    }
    return p->dir[0].shut && p->dir[1].shut ? -1 : 0;
}

/// Reaps every child that has ended; reports the tool's status and exits when the tool is among
/// them (exactly as the plain wait loop does).
static void reap(pid_t tool) {
    for (;;) {
        int st = 0;
        pid_t p = wait4(-1, &st, __WALL | WNOHANG, NULL);
        if (p == tool) {
            if (g_trace) report(CJ_REPORT_TIMING, "tool exited", NULL, 0, 0, 0);
            report(CJ_REPORT_EXIT, NULL, NULL, 0, st, tool);
            _exit(0);
        }
        if (p == 0) return;
        if (p < 0 && errno != EINTR) _exit(0);
    }
}

/// The init's loop with egress: reaps (through `sigfd`, a signalfd for SIGCHLD) and relays, in one
/// thread, until the tool has exited. Never returns.
__attribute__((noreturn)) static void serve(pid_t tool, int sigfd, int listener) {
    struct pollfd fds[2 + 2 * RELAY_MAX_PAIRS];
    int paused = 0;
    for (;;) {
        int count = g_pair_count;
        fds[0] = (struct pollfd){sigfd, POLLIN, 0};
        fds[1] = (struct pollfd){paused ? -1 : listener, POLLIN, 0};
        for (int i = 0; i < count; i++) {
            for (int k = 0; k < 2; k++) {
                short events = relay_events(g_pairs[i], k);
                // A side with nothing to do is left out: its POLLHUP would otherwise wake us forever.
                fds[2 + 2 * i + k] = (struct pollfd){events ? g_pairs[i]->fd[k] : -1, events, 0};
            }
        }
        int n = poll(fds, (nfds_t)(2 + 2 * count), paused ? 100 : -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("poll", "egress", errno);
        }
        paused = 0;
        if (fds[0].revents) {
            struct signalfd_siginfo info[8];
            while (read(sigfd, info, sizeof info) > 0) {}
            reap(tool);
        }
        // Pairs first (by the indexes polled), from the end: closing one moves the last into its slot.
        for (int i = count - 1; i >= 0; i--) {
            short revents[2] = {fds[2 + 2 * i].revents, fds[2 + 2 * i + 1].revents};
            if ((revents[0] | revents[1]) && relay_step(g_pairs[i], revents) < 0) relay_close(i);
        }
        if (fds[1].revents && relay_accept(listener) < 0) paused = 1;
    }
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

    // With egress: the listener before the tool exists, and SIGCHLD through a signalfd (blocked
    // here, unblocked again in the tool before its execve). No handler is ever installed: signals
    // from inside the jail keep being dropped by the kernel for pid 1.
    int listener = -1, sigfd = -1;
    if (l.egress_port) {
        listener = relay_listen(l.egress_port);
        sigset_t chld;
        sigemptyset(&chld);
        sigaddset(&chld, SIGCHLD);
        if (sigprocmask(SIG_BLOCK, &chld, &l.tool_mask) < 0) fail("sigprocmask", "init", errno);
        sigfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
        if (sigfd < 0) fail("signalfd", "init", errno);
    }

    pid_t tool = vfork();
    if (tool == 0) exec_tool(&l);
    if (tool < 0) fail("vfork", "tool", errno);

    // The tool owns its stdio now; the init keeps nothing the tool could wait on.
    close(0);
    close(1);
    close(2);
    if (l.egress_port) serve(tool, sigfd, listener);
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
