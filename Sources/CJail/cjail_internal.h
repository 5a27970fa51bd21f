// CJail's internal interface between its files (not part of include/cjail.h, not seen by Swift).
#ifndef CJAIL_INTERNAL_H
#define CJAIL_INTERNAL_H

#include "cjail.h"

/// What the spawner hands the child, at the top of the child's own stack (so it outlives the
/// spawner's frame while the child reads it).
struct cj_child_args {
    const struct cj_spec *spec;
    int status_fd;   ///< write end of the status pipe
    int release_fd;  ///< read end of the release pipe
    int pooled_net;  ///< the child was cloned inside a pooled network namespace (lo is up already)
};

/// The clone's entry point (cjail_child.c): builds the jail and executes the init or the program;
/// never returns. `arg` is a `struct cj_child_args *`. Async-signal-safe: raw system calls only.
int cj_child_main(void *arg);

#endif
