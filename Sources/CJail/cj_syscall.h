// Raw system calls that never touch errno or any other thread-local state.
//
// The jail's setup child shares the supervisor's memory (CLONE_VM) and its thread pointer, so the
// libc wrappers' errno writes would land in the spawning thread's TLS and race with other children.
// Every call here returns the kernel's result: >= 0 on success, -errno on failure.
#ifndef CJ_SYSCALL_H
#define CJ_SYSCALL_H

#include <sys/syscall.h>

#if defined(__x86_64__)
static inline long cj_sys6(long n, long a, long b, long c, long d, long e, long f) {
    long ret;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}
#elif defined(__aarch64__)
static inline long cj_sys6(long n, long a, long b, long c, long d, long e, long f) {
    register long x8 __asm__("x8") = n;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    register long x4 __asm__("x4") = e;
    register long x5 __asm__("x5") = f;
    __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5) : "memory", "cc");
    return x0;
}
#else
#error "CJail supports x86_64 and aarch64"
#endif

#define CJ_SYS0(n) cj_sys6((n), 0, 0, 0, 0, 0, 0)
#define CJ_SYS1(n, a) cj_sys6((n), (long)(a), 0, 0, 0, 0, 0)
#define CJ_SYS2(n, a, b) cj_sys6((n), (long)(a), (long)(b), 0, 0, 0, 0)
#define CJ_SYS3(n, a, b, c) cj_sys6((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define CJ_SYS4(n, a, b, c, d) cj_sys6((n), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define CJ_SYS5(n, a, b, c, d, e) cj_sys6((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)

#endif
