// CJail, the threads: the spawner thread every clone happens on, and the background thread that keeps
// fresh network namespaces ready. See include/cjail.h.
//
// The rule for this file: ordinary threaded C (pthread mutexes and conditions, libc wrappers, errno),
// and nothing of the child: the clone's entry point is `cj_child_main` (cjail_child.c), which gets all
// it needs in a `struct cj_child_args` at the top of its own stack. Every thread started here blocks
// every signal, so no signal handler of the caller ever runs on it (nor, inherited, in a child).
#define _GNU_SOURCE
#include "cjail.h"
#include "cjail_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

// MARK: - Network namespace pool

static pthread_mutex_t g_np_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_np_wake = PTHREAD_COND_INITIALIZER;
static pthread_cond_t g_np_ready = PTHREAD_COND_INITIALIZER;
static int g_np_fds[16];
static int g_np_count;
static int g_np_target;
static int g_np_home = -1; // this process's own network namespace
static int g_np_inflight;  // the filler is creating one right now

/// A ready namespace's fd, or -1 when the pool is empty or not running. Waits (at most 2 ms) only
/// for a namespace already being created: that is always sooner than creating another.
static int cj_netns_take(void) {
    int fd = -1;
    pthread_mutex_lock(&g_np_mu);
    if (g_np_count == 0 && g_np_inflight) {
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_nsec += 2000000;
        if (deadline.tv_nsec >= 1000000000) {
            deadline.tv_sec++;
            deadline.tv_nsec -= 1000000000;
        }
        while (g_np_count == 0 && g_np_inflight) {
            if (pthread_cond_timedwait(&g_np_ready, &g_np_mu, &deadline) != 0) break;
        }
    }
    if (g_np_count > 0) {
        fd = g_np_fds[--g_np_count];
        pthread_cond_signal(&g_np_wake);
    }
    pthread_mutex_unlock(&g_np_mu);
    return fd;
}

static void *cj_netns_filler(void *unused) {
    (void)unused;
    struct sched_param none = {0};
    pthread_setschedparam(pthread_self(), SCHED_BATCH, &none);
    for (;;) {
        pthread_mutex_lock(&g_np_mu);
        while (g_np_count >= g_np_target) pthread_cond_wait(&g_np_wake, &g_np_mu);
        g_np_inflight = 1;
        pthread_mutex_unlock(&g_np_mu);

        int fd = -1;
        if (unshare(CLONE_NEWNET) == 0) {
            int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            struct ifreq ifr;
            memset(&ifr, 0, sizeof ifr);
            memcpy(ifr.ifr_name, "lo", 3);
            int up = s >= 0 && ioctl(s, SIOCGIFFLAGS, &ifr) == 0;
            ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
            up = up && ioctl(s, SIOCSIFFLAGS, &ifr) == 0;
            if (s >= 0) close(s);
            if (up) fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
            if (setns(g_np_home, CLONE_NEWNET) < 0) {
                if (fd >= 0) close(fd);
                return NULL; // cannot get home: stop pooling (spawns fall back to CLONE_NEWNET)
            }
        }
        pthread_mutex_lock(&g_np_mu);
        g_np_inflight = 0;
        if (fd >= 0) g_np_fds[g_np_count++] = fd;
        pthread_cond_broadcast(&g_np_ready);
        pthread_mutex_unlock(&g_np_mu);
        if (fd < 0) sleep(1);
    }
    return NULL;
}

int cj_netns_pool_start(int target) {
    static pthread_mutex_t once = PTHREAD_MUTEX_INITIALIZER;
    if (target < 1) target = 1;
    if (target > 16) target = 16;
    pthread_mutex_lock(&once);
    int rc = 0;
    if (g_np_home < 0) {
        g_np_home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        pthread_t tid;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        if (g_np_home < 0 || pthread_create(&tid, &attr, cj_netns_filler, NULL) != 0) {
            int e = errno;
            if (g_np_home >= 0) close(g_np_home);
            g_np_home = -1;
            errno = e ? e : EAGAIN;
            rc = -1;
        }
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        pthread_attr_destroy(&attr);
    }
    if (rc == 0) {
        pthread_mutex_lock(&g_np_mu);
        if (target > g_np_target) g_np_target = target;
        pthread_cond_signal(&g_np_wake);
        pthread_mutex_unlock(&g_np_mu);
    }
    pthread_mutex_unlock(&once);
    return rc;
}

enum { CJ_CHILD_STACK = 256 * 1024 };

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
    // The child runs on its own stack in our memory until it executes; a guard page below it.
    size_t size = CJ_CHILD_STACK + 4096;
    void *stack = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) {
        int e = errno;
        close(status[0]);
        close(status[1]);
        close(release[0]);
        close(release[1]);
        errno = e;
        return -1;
    }
    mprotect(stack, 4096, PROT_NONE);
    // The arguments live at the top of the child's stack, so they outlive this frame.
    struct cj_child_args *args = (void *)((char *)stack + size - 64);
    args->spec = spec;
    args->status_fd = status[1];
    args->release_fd = release[0];
    args->pooled_net = 0;

    int pidfd = -1;
    int flags = CLONE_VM | CLONE_NEWUSER | (int)spec->clone_flags | CLONE_PIDFD | SIGCHLD;
    // A pooled network namespace: this thread enters it just for the clone, the child inherits it.
    int netfd = (spec->net_from_pool && spec->net_loopback && (flags & CLONE_NEWNET)) ? cj_netns_take() : -1;
    if (netfd >= 0) {
        if (setns(netfd, CLONE_NEWNET) == 0) {
            flags &= ~CLONE_NEWNET;
            args->pooled_net = 1;
        }
        close(netfd);
    }
    pid_t pid = clone(cj_child_main, (char *)stack + size - 128, flags, args, &pidfd, NULL, NULL);
    int e = errno;
    if (args->pooled_net) setns(g_np_home, CLONE_NEWNET);
    close(status[1]);
    close(release[0]);
    if (pid < 0) {
        close(status[0]);
        close(release[1]);
        munmap(stack, size);
        errno = e;
        return -1;
    }
    child->pid = pid;
    child->pidfd = pidfd;
    child->status_fd = status[0];
    child->release_fd = release[1];
    child->stack = stack;
    child->stack_size = size;
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
