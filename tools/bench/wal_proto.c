/* wal_proto.c — issue 12's feasibility measurement for a write-ahead log in
 * front of LMDB (daemon/DESIGN.md, "The write path"): does acking on one
 * sequential record + fdatasync, with LMDB committed (fully synced) behind,
 * bring the ack p99 at 10 k/s near the disk's own fdatasync p99?
 *
 *   cc -O2 -o /tmp/wal_proto tools/bench/wal_proto.c -llmdb -lpthread
 *   /tmp/wal_proto DIR [seconds per variant, default 3] [rounds, default 1]
 *
 * Arrivals: one request every 100 us (10 k/s), each 2 events of 300 B and a
 * 24 B request id. Thread W does group commit into a file of written zeros:
 * all requests waiting when a flush starts make one record (pwrite +
 * fdatasync); their ack latency is arrival to the flush's return. Thread L
 * commits the same events (and ids) into LMDB behind W, fully synced,
 * merging the records that accumulated, at most one commit per `every` ms.
 * Variant "lmdb" is today's design for comparison: the group commit is the
 * LMDB commit itself. The disk's 4 KiB append + fdatasync p99 is measured
 * right before each variant (half its time) and the ratio printed. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define EV_BYTES 300
#define EV_PER_REQ 2
#define MAXQ (1 << 20)
#define WAL_BYTES (256u << 20)

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

static uint64_t pct(uint64_t *v, size_t n, double p)
{
    if (!n)
        return 0;
    qsort(v, n, sizeof *v, cmp_u64);
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return v[i];
}

static void die(const char *what, int rc)
{
    fprintf(stderr, "%s: %s\n", what, rc > 0 ? strerror(rc) : mdb_strerror(rc));
    exit(1);
}

/* ------------------------------------------------------------- the disk -- */

static void disk_append(const char *dir, double secs, uint64_t *p50, uint64_t *p99)
{
    size_t n = 200000;
    char path[512];
    snprintf(path, sizeof path, "%s/append.dat", dir);
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    if (fd < 0)
        die("open", errno);
    static char buf[4096];
    uint64_t *lat = malloc(n * sizeof *lat);
    uint64_t end = now_ns() + (uint64_t)(secs * 1e9);
    size_t i;
    for (i = 0; i < n && now_ns() < end; i++) {
        uint64_t t = now_ns();
        if (pwrite(fd, buf, sizeof buf, (off_t)(i * sizeof buf)) != (ssize_t)sizeof buf ||
            fdatasync(fd))
            die("append", errno);
        lat[i] = now_ns() - t;
    }
    close(fd);
    unlink(path);
    n = i;
    size_t slow = 0;
    uint64_t mx = 0;
    for (size_t k = 0; k < n; k++) {
        slow += lat[k] > 4000000u;
        mx = lat[k] > mx ? lat[k] : mx;
    }
    printf("disk 4k-append+fdatasync  flushes %zu, %zu over 4 ms (%.1f/s), max %.1f ms\n", n, slow,
           (double)slow / secs, mx / 1e6);
    *p50 = pct(lat, n, 0.5);
    *p99 = pct(lat, n, 0.99);
    free(lat);
}

/* ------------------------------------------------------------ the queue -- */

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t arr[MAXQ]; /* arrival times; requests numbered from 0 */
    size_t produced, taken;
    int done;
    /* W -> L: requests acked (in the WAL) but not yet in LMDB */
    size_t walled, applied;
    pthread_cond_t lcv;
    uint64_t *ack;  /* per request: ack latency */
    uint64_t *lmdb_ns; /* per L commit: duration */
    size_t n_lmdb;
} q = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER};

static MDB_env *env;
static MDB_dbi dbi_ev, dbi_req;
static int walfd;
static int mode_lmdb_direct;
static size_t n_flush, n_slow;
static unsigned every_ms;

/* Writes requests [from, to) into LMDB, one fully synced commit. */
static void lmdb_commit(size_t from, size_t to)
{
    MDB_txn *txn;
    int rc;
    static char val[EV_BYTES];
    if ((rc = mdb_txn_begin(env, NULL, 0, &txn)))
        die("txn", rc);
    for (size_t r = from; r < to; r++) {
        for (int e = 0; e < EV_PER_REQ; e++) {
            uint64_t seq = r * EV_PER_REQ + (uint64_t)e + 1;
            uint8_t k[8];
            for (int i = 7; i >= 0; i--)
                k[i] = (uint8_t)(seq >> (8 * (7 - i)));
            memcpy(val, &seq, sizeof seq);
            MDB_val kv = {8, k}, vv = {EV_BYTES, val};
            if ((rc = mdb_put(txn, dbi_ev, &kv, &vv, MDB_APPEND)))
                die("put ev", rc);
        }
        char id[32];
        snprintf(id, sizeof id, "01JD%020zu", r);
        uint8_t v[44] = {0};
        MDB_val kv = {24, id}, vv = {sizeof v, v};
        if ((rc = mdb_put(txn, dbi_req, &kv, &vv, MDB_NOOVERWRITE)))
            die("put req", rc);
    }
    uint64_t t = now_ns();
    if ((rc = mdb_txn_commit(txn)))
        die("commit", rc);
    q.lmdb_ns[q.n_lmdb++] = now_ns() - t;
}

static void *w_thread(void *arg)
{
    (void)arg;
    static uint8_t rec[MAXQ / 16 * (EV_BYTES * EV_PER_REQ + 64)];
    off_t off = 0;
    pthread_mutex_lock(&q.mu);
    for (;;) {
        while (q.taken == q.produced && !q.done)
            pthread_cond_wait(&q.cv, &q.mu);
        if (q.taken == q.produced && q.done)
            break;
        size_t from = q.taken, to = q.produced;
        q.taken = to;
        pthread_mutex_unlock(&q.mu);
        if (mode_lmdb_direct) {
            lmdb_commit(from, to);
        } else {
            size_t len = 24 + (to - from) * (EV_BYTES * EV_PER_REQ + 48);
            len = (len + 4095) & ~(size_t)4095;
            if (len > sizeof rec)
                len = sizeof rec;
            memset(rec, 0xab, 64);
            if ((size_t)off + len > WAL_BYTES)
                off = 0;
            uint64_t f0 = now_ns();
            if (pwrite(walfd, rec, len, off) != (ssize_t)len || fdatasync(walfd))
                die("wal", errno);
            uint64_t fd = now_ns() - f0;
            n_flush++;
            n_slow += fd > 4000000u;
            off += (off_t)len;
        }
        uint64_t t = now_ns();
        pthread_mutex_lock(&q.mu);
        for (size_t r = from; r < to; r++)
            q.ack[r] = t - q.arr[r];
        q.walled = to;
        pthread_cond_signal(&q.lcv);
    }
    q.walled = q.produced;
    pthread_cond_signal(&q.lcv);
    pthread_mutex_unlock(&q.mu);
    return NULL;
}

static int w_done;

static void *l_thread(void *arg)
{
    (void)arg;
    uint64_t last = 0;
    pthread_mutex_lock(&q.mu);
    for (;;) {
        while (q.applied == q.walled && !w_done)
            pthread_cond_wait(&q.lcv, &q.mu);
        if (q.applied == q.walled && w_done)
            break;
        uint64_t wait_until = last + (uint64_t)every_ms * 1000000u;
        if (now_ns() < wait_until && !w_done) {
            pthread_mutex_unlock(&q.mu);
            uint64_t d = wait_until - now_ns();
            struct timespec ts = {(time_t)(d / 1000000000u), (long)(d % 1000000000u)};
            nanosleep(&ts, NULL);
            pthread_mutex_lock(&q.mu);
        }
        size_t from = q.applied, to = q.walled;
        pthread_mutex_unlock(&q.mu);
        last = now_ns();
        lmdb_commit(from, to);
        pthread_mutex_lock(&q.mu);
        q.applied = to;
    }
    pthread_mutex_unlock(&q.mu);
    return NULL;
}

static void open_lmdb(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/lmdb", dir);
    mkdir(path, 0700);
    char f[600];
    snprintf(f, sizeof f, "%s/data.mdb", path);
    unlink(f);
    snprintf(f, sizeof f, "%s/lock.mdb", path);
    unlink(f);
    int rc;
    MDB_txn *txn;
    if ((rc = mdb_env_create(&env)) || (rc = mdb_env_set_maxdbs(env, 4)) ||
        (rc = mdb_env_set_mapsize(env, (size_t)4 << 30)) || (rc = mdb_env_open(env, path, 0, 0600)))
        die("env", rc);
    if ((rc = mdb_txn_begin(env, NULL, 0, &txn)) ||
        (rc = mdb_dbi_open(txn, "events", MDB_CREATE, &dbi_ev)) ||
        (rc = mdb_dbi_open(txn, "requests", MDB_CREATE, &dbi_req)) || (rc = mdb_txn_commit(txn)))
        die("dbi", rc);
}

static void run(const char *dir, const char *name, int direct, int with_l, unsigned every,
                double secs, uint64_t disk99)
{
    open_lmdb(dir);
    char path[512];
    snprintf(path, sizeof path, "%s/wal.dat", dir);
    walfd = open(path, O_CREAT | O_RDWR, 0600);
    if (walfd < 0)
        die("wal open", errno);
    struct stat st;
    fstat(walfd, &st);
    if (st.st_size < (off_t)WAL_BYTES) { /* written zeros, not holes */
        static char z[1 << 20];
        for (off_t o = 0; o < (off_t)WAL_BYTES; o += (off_t)sizeof z)
            if (pwrite(walfd, z, sizeof z, o) != (ssize_t)sizeof z)
                die("zero", errno);
        fsync(walfd);
    }
    size_t n = (size_t)(secs * 10000);
    q.produced = q.taken = q.walled = q.applied = q.n_lmdb = 0;
    q.done = w_done = 0;
    q.ack = calloc(n, sizeof *q.ack);
    q.lmdb_ns = calloc(n, sizeof *q.lmdb_ns);
    mode_lmdb_direct = direct;
    every_ms = every;
    pthread_t w, l;
    pthread_cond_init(&q.lcv, NULL);
    pthread_create(&w, NULL, w_thread, NULL);
    if (with_l)
        pthread_create(&l, NULL, l_thread, NULL);
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    for (size_t i = 0; i < n; i++) {
        next.tv_nsec += 100000;
        if (next.tv_nsec >= 1000000000) {
            next.tv_nsec -= 1000000000;
            next.tv_sec++;
        }
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
        pthread_mutex_lock(&q.mu);
        q.arr[i] = now_ns();
        q.produced = i + 1;
        pthread_cond_signal(&q.cv);
        pthread_mutex_unlock(&q.mu);
    }
    pthread_mutex_lock(&q.mu);
    q.done = 1;
    pthread_cond_signal(&q.cv);
    pthread_mutex_unlock(&q.mu);
    pthread_join(w, NULL);
    pthread_mutex_lock(&q.mu);
    w_done = 1;
    pthread_cond_signal(&q.lcv);
    pthread_mutex_unlock(&q.mu);
    if (with_l)
        pthread_join(l, NULL);
    size_t nl = q.n_lmdb;
    uint64_t l50 = pct(q.lmdb_ns, nl, 0.5), l99 = pct(q.lmdb_ns, nl, 0.99);
    uint64_t a99 = pct(q.ack, n, 0.99);
    if (!direct)
        printf("%-14s wal flushes %zu, %zu over 4 ms (%.1f/s)\n", name, n_flush, n_slow, (double)n_slow / secs);
    n_flush = n_slow = 0;
    printf("%-14s acks %zu  p50 %6.0f us  p99 %6.0f us  p999 %6.0f us  ratio p99/disk %.2f | lmdb commits %zu p50 %.0f p99 %.0f us\n",
           name, n, pct(q.ack, n, 0.5) / 1e3, a99 / 1e3, pct(q.ack, n, 0.999) / 1e3,
           (double)a99 / (double)disk99, nl, l50 / 1e3, l99 / 1e3);
    fflush(stdout);
    free(q.ack);
    free(q.lmdb_ns);
    close(walfd);
    mdb_env_close(env);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: wal_proto DIR [seconds]\n");
        return 2;
    }
    const char *dir = argv[1];
    double secs = argc > 2 ? atof(argv[2]) : 3;
    const char *names[] = {"lmdb-direct", "wal-only", "wal+L-each", "wal+L-5ms", "wal+L-50ms"};
    const int direct[] = {1, 0, 0, 0, 0}, with_l[] = {0, 0, 1, 1, 1};
    const unsigned every[] = {0, 0, 0, 5, 50};
    int rounds = argc > 3 ? atoi(argv[3]) : 1;
    for (int r = 0; r < rounds; r++)
        for (int v = 0; v < 5; v++) {
            uint64_t a50, a99;
            disk_append(dir, secs / 2, &a50, &a99);
            printf("disk 4k-append+fdatasync  p50 %6.0f us  p99 %6.0f us\n", a50 / 1e3, a99 / 1e3);
            run(dir, names[v], direct[v], with_l[v], every[v], secs, a99);
        }
    return 0;
}
