// CJail, the parent side of a started child: releasing it and freeing its stack. See include/cjail.h.
//
// The rule for this file: plain calls on the supervisor's own thread, with errno; no thread, no state.
// Generic system calls (pipes, memory files, reaping, signals through a pidfd) are not here: they
// belong to the SystemCalls module.
#define _GNU_SOURCE
#include "cjail.h"

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

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

void cj_child_free(struct cj_child *child) {
    if (child->stack) munmap(child->stack, child->stack_size);
    child->stack = NULL;
    child->stack_size = 0;
}
