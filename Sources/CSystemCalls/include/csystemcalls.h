// CSystemCalls: the few C library entry points Swift's Glibc module does not export (they need
// _GNU_SOURCE or are raw system calls), for the SystemCalls module only. Each returns what the C call
// returns: -1 with errno set on failure.
#ifndef CSYSTEMCALLS_H
#define CSYSTEMCALLS_H

/// The symbolic name of an errno value (`"EPERM"`, from `strerrorname_np(3)`), or NULL when glibc does
/// not know it.
const char *_Nullable omega_errno_name(int err);

/// `pipe2(fds, O_CLOEXEC | (nonblocking ? O_NONBLOCK : 0))`: fds[0] reads, fds[1] writes.
int omega_pipe(int fds[_Nonnull 2], int nonblocking);

/// `memfd_create(name, MFD_CLOEXEC)`: an anonymous close-on-exec memory file.
int omega_memfd_create(const char *_Nonnull name);

/// `pidfd_send_signal(pidfd, sig, NULL, 0)` (raw system call).
int omega_pidfd_send_signal(int pidfd, int sig);

/// `waitid(P_PIDFD, pidfd, &info, WEXITED | __WALL)`: reaps the process behind `pidfd`.
int omega_waitid_pidfd(int pidfd);

/// `O_PATH`: an fd that only names a file (to execute it later with `execveat`).
extern const int omega_o_path;

#endif
