/* failsync.c — an LD_PRELOAD library for test_wal: the Nth fdatasync(2) of
 * a file named "wal" (LADDER_FAILSYNC_AT=N) fails with EIO, as a disk
 * error would; every other call is the real one. The count starts again
 * at a call made while the variable is unset. With LADDER_SLOWSYNC_MS=M
 * every fdatasync of a file named "data.mdb" (LMDB's commits: L behind the
 * log) first sleeps M ms, as a slow disk would: LMDB lags the log. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int fdatasync(int fd)
{
    static int (*real)(int);
    static int count;
    if (!real)
        real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    char p[64], l[512];
    snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(p, l, sizeof l - 1);
    const char *at = getenv("LADDER_FAILSYNC_AT");
    if (!at)
        __atomic_store_n(&count, 0, __ATOMIC_SEQ_CST); /* unset: counting starts again */
    const char *slow = getenv("LADDER_SLOWSYNC_MS");
    if (slow && n > 9) {
        l[n] = 0;
        long ms = atol(slow);
        if (!strcmp(l + n - 9, "/data.mdb") && ms > 0)
            nanosleep(&(struct timespec){ms / 1000, (ms % 1000) * 1000000}, NULL);
    }
    if (at && n > 4) {
        l[n] = 0;
        if (!strcmp(l + n - 4, "/wal") && __atomic_add_fetch(&count, 1, __ATOMIC_SEQ_CST) == atoi(at)) {
            errno = EIO;
            return -1;
        }
    }
    return real(fd);
}
