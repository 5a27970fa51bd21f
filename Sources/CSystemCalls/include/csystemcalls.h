#ifndef CSYSTEMCALLS_H
#define CSYSTEMCALLS_H

/// The symbolic name of an errno value (`"EPERM"`), or NULL when glibc does not know it.
const char *_Nullable omega_errno_name(int err);

#endif
