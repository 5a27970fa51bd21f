// See include/csystemcalls.h.
#define _GNU_SOURCE
#include "csystemcalls.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

const char *omega_errno_name(int err) { return strerrorname_np(err); }

int omega_pipe(int fds[2], int nonblocking) { return pipe2(fds, O_CLOEXEC | (nonblocking ? O_NONBLOCK : 0)); }

int omega_memfd_create(const char *name) { return memfd_create(name, MFD_CLOEXEC); }

int omega_pidfd_send_signal(int pidfd, int sig) { return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0); }

int omega_waitid_pidfd(int pidfd) {
    siginfo_t info;
    return waitid((idtype_t)3 /* P_PIDFD */, (id_t)pidfd, &info, WEXITED | __WALL);
}

const int omega_o_path = O_PATH;
