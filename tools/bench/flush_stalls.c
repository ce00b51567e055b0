/* flush_stalls.c — the disk's periodic slow flushes, with no LMDB and no
 * ladderd (daemon/DESIGN.md, "Measured (round 5)"): requests arrive every
 * 100 us (10 k/s) for SECONDS; one thread group-commits them, one 4 KiB
 * overwrite of written zeros per flush, in one of three ways:
 *   0: buffered pwrite + fdatasync   1: O_DIRECT pwrite + fdatasync
 *   2: O_DIRECT|O_DSYNC pwrite (no fdatasync call)
 * Prints the flushes over 4 ms (start ms since the run began, duration, gap
 * to the previous one), the flush and ack p50/p99, and in which tenth of
 * each 100 ms the slow flushes began. GAP_US (default 0) spaces the flushes
 * at least that far apart (fewer, larger group commits: whether the stalls
 * depend on the rate of flushes).
 *   cc -O2 -o /tmp/flush_stalls tools/bench/flush_stalls.c -lpthread
 *   /tmp/flush_stalls FILE VARIANT SECONDS [GAP_US] */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SLOTS 2048 /* 4 KiB blocks written round */
#define MAX_FLUSH 400000

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static uint64_t *arrival, *ack;
static long n, produced, done;
static int fd, variant;
static uint64_t gap_ns;
static void *block;
static uint64_t f_start[MAX_FLUSH], f_len[MAX_FLUSH];
static long nflush;

static void *flusher(void *arg)
{
    (void)arg;
    long slot = 0;
    pthread_mutex_lock(&mu);
    while (done < n) {
        while (produced == done)
            pthread_cond_wait(&cv, &mu);
        pthread_mutex_unlock(&mu);
        if (nflush && gap_ns && now_ns() < f_start[nflush - 1] + gap_ns) {
            uint64_t d = f_start[nflush - 1] + gap_ns - now_ns();
            struct timespec ts = {(time_t)(d / 1000000000u), (long)(d % 1000000000u)};
            nanosleep(&ts, NULL);
        }
        pthread_mutex_lock(&mu);
        long to = produced;
        pthread_mutex_unlock(&mu);
        uint64_t t0 = now_ns();
        if (pwrite(fd, block, 4096, slot * 4096L) != 4096 || (variant < 2 && fdatasync(fd))) {
            perror("flush");
            exit(1);
        }
        uint64_t t1 = now_ns();
        if (nflush < MAX_FLUSH)
            f_start[nflush] = t0, f_len[nflush++] = t1 - t0;
        slot = (slot + 1) % SLOTS;
        pthread_mutex_lock(&mu);
        for (long i = done; i < to; i++)
            ack[i] = t1 - arrival[i];
        done = to;
    }
    pthread_mutex_unlock(&mu);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: flush_stalls FILE VARIANT(0|1|2) SECONDS\n");
        return 2;
    }
    variant = atoi(argv[2]);
    double secs = atof(argv[3]);
    gap_ns = argc > 4 ? (uint64_t)atol(argv[4]) * 1000u : 0;
    int flags = O_CREAT | O_RDWR | (variant >= 1 ? O_DIRECT : 0) | (variant == 2 ? O_DSYNC : 0);
    fd = open(argv[1], flags, 0600);
    if (fd < 0 || posix_memalign(&block, 4096, 4096)) {
        perror("open");
        return 1;
    }
    memset(block, 0, 4096);
    for (long i = 0; i < SLOTS; i++)
        if (pwrite(fd, block, 4096, i * 4096L) != 4096) {
            perror("zeros");
            return 1;
        }
    fsync(fd);
    memset(block, 7, 4096);
    n = (long)(secs * 10000);
    arrival = calloc((size_t)n, sizeof *arrival);
    ack = calloc((size_t)n, sizeof *ack);
    pthread_t t;
    pthread_create(&t, NULL, flusher, NULL);
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    uint64_t t0 = now_ns();
    for (long i = 0; i < n; i++) {
        next.tv_nsec += 100000;
        if (next.tv_nsec >= 1000000000)
            next.tv_nsec -= 1000000000, next.tv_sec++;
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
        pthread_mutex_lock(&mu);
        arrival[i] = now_ns();
        produced = i + 1;
        pthread_cond_signal(&cv);
        pthread_mutex_unlock(&mu);
    }
    pthread_join(t, NULL);
    long slow = 0;
    int phase[10] = {0};
    uint64_t last = 0;
    printf("variant %d slow flushes, start ms (length ms) [gap ms]:", variant);
    for (long i = 0; i < nflush; i++) {
        if (f_len[i] <= 4000000u)
            continue;
        slow++;
        phase[(f_start[i] - t0) / 1000000 % 100 / 10]++;
        printf(" %.0f(%.0f)[%.0f]", (double)(f_start[i] - t0) / 1e6, (double)f_len[i] / 1e6,
               last ? (double)(f_start[i] - last) / 1e6 : 0.0);
        last = f_start[i];
    }
    qsort(ack, (size_t)n, sizeof *ack, cmp_u64);
    qsort(f_len, (size_t)nflush, sizeof *f_len, cmp_u64);
    printf("\nvariant %d: flushes %ld (p50 %.0f p99 %.0f us), over 4 ms %ld (%.1f/s); "
           "ack p50 %.0f p99 %.0f us; slow ones by tenth of 100 ms:",
           variant, nflush, f_len[nflush / 2] / 1e3, f_len[nflush * 99 / 100] / 1e3, slow,
           (double)slow / secs, ack[n / 2] / 1e3, ack[n * 99 / 100] / 1e3);
    for (int i = 0; i < 10; i++)
        printf(" %d", phase[i]);
    printf("\n");
    close(fd);
    unlink(argv[1]);
    return 0;
}
