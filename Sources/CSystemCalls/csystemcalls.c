#define _GNU_SOURCE
#include <string.h>
#include "csystemcalls.h"

const char *omega_errno_name(int err) { return strerrorname_np(err); }
