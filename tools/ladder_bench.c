/* ladder_bench.c — the project's benchmark (not a test: numbers, not verdicts).
 *
 *   ladder-bench store [--n N] [--dir DIR] [--durability full|nometasync|nosync]
 *       Appends N events of ~200 bytes through ld_store_append in batches of
 *       B = 1, 100, 1000 (one request of one event each, with a request id, as the
 *       daemon's group commit does), and in the same invocation raw LMDB plain
 *       puts of 200-byte values in the same batches and durability. Prints
 *       events/s for both and the ratio.
 *   ladder-bench core ...   (see `ladder-bench --help`)
 */
#include <errno.h>
#include <sys/stat.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what, const char *why)
{
    fprintf(stderr, "ladder-bench: %s: %s\n", what, why);
    exit(2);
}

static void rm_rf(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/lock.mdb", dir);
    unlink(path);
    rmdir(dir);
}

/* Raw LMDB: the peers harness's method (sequential u64 keys, MDB_APPEND). */
static double bench_raw(const char *dir, ld_durability_t d, long n, long b)
{
    rm_rf(dir);
    if (mkdir(dir, 0700) && errno != EEXIST)
        die(dir, strerror(errno));
    unsigned flags = d == LD_DURABILITY_NOMETASYNC ? MDB_NOMETASYNC
                   : d == LD_DURABILITY_NOSYNC    ? MDB_NOSYNC : 0;
    MDB_env *env;
    MDB_dbi dbi;
    MDB_txn *txn;
    if (mdb_env_create(&env) || mdb_env_set_mapsize(env, (size_t)8 << 30) ||
        mdb_env_set_maxdbs(env, 4) || mdb_env_open(env, dir, flags, 0644))
        die("raw lmdb", "open failed");
    mdb_txn_begin(env, NULL, 0, &txn);
    mdb_dbi_open(txn, "events", MDB_CREATE | MDB_INTEGERKEY, &dbi);
    mdb_txn_commit(txn);
    unsigned char payload[200];
    for (size_t i = 0; i < sizeof payload; i++)
        payload[i] = (unsigned char)(i * 131 + 7);
    uint64_t seq = 1, t0 = now_ns();
    for (long done = 0; done < n;) {
        long k = n - done < b ? n - done : b;
        if (mdb_txn_begin(env, NULL, 0, &txn))
            die("raw lmdb", "txn_begin");
        for (long i = 0; i < k; i++, seq++) {
            MDB_val key = {sizeof seq, &seq}, val = {sizeof payload, payload};
            if (mdb_put(txn, dbi, &key, &val, MDB_APPEND))
                die("raw lmdb", "put");
        }
        if (mdb_txn_commit(txn))
            die("raw lmdb", "commit");
        done += k;
    }
    double secs = (double)(now_ns() - t0) / 1e9;
    mdb_env_close(env);
    rm_rf(dir);
    return (double)n / secs;
}

/* Ladder's store: B requests of one PointsAwarded event each, per commit. */
static double bench_store(const char *dir, ld_durability_t d, long n, long b, size_t *evsize)
{
    rm_rf(dir);
    ld_store_options_t opt = {d, (size_t)1 << 30};
    ld_store_t *s;
    char err[256];
    if (ld_store_open(&s, dir, &opt, err, sizeof err))
        die("store", err);

    Ladder__V1__Event *evs = calloc((size_t)b, sizeof *evs);
    Ladder__V1__PointsAwarded *pa = calloc((size_t)b, sizeof *pa);
    Ladder__V1__Event **ptrs = calloc((size_t)b, sizeof *ptrs);
    ld_append_t *reqs = calloc((size_t)b, sizeof *reqs);
    char(*streams)[32] = calloc((size_t)b, 32);
    char(*emps)[16] = calloc((size_t)b, 16);
    uint8_t(*rids)[16] = calloc((size_t)b, 16);
    uint8_t(*eids)[16] = calloc((size_t)b, 16);
    if (!evs || !pa || !ptrs || !reqs || !streams || !emps || !rids || !eids)
        die("bench", "out of memory");
    static char ref[] = "kb-revision/kb-000412/proposal-0009321 accepted by quorum of 3";
    uint64_t rng = 88172645463325252ull, t0 = now_ns(), id = 0;
    for (long done = 0; done < n;) {
        long k = n - done < b ? n - done : b;
        for (long i = 0; i < k; i++, id++) {
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            unsigned emp = (unsigned)(rng % 10000);
            snprintf(emps[i], 16, "e%05u", emp);
            snprintf(streams[i], 32, "emp/%s", emps[i]);
            /* time-ordered request ids (ULID-like: a big-endian counter, then
             * randomness), which is what the README asks clients to send */
            for (int j = 0; j < 8; j++)
                rids[i][j] = (uint8_t)(id >> (56 - 8 * j));
            memcpy(rids[i] + 8, &rng, 8);
            memcpy(eids[i], &rng, 8);
            memcpy(eids[i] + 8, &id, 8);
            ladder__v1__points_awarded__init(&pa[i]);
            pa[i].employee_id = emps[i];
            pa[i].amount = 5;
            pa[i].source = LADDER__V1__POINT_SOURCE__P2_KB_REVISION;
            pa[i].ref = ref;
            ladder__v1__event__init(&evs[i]);
            evs[i].id = (ProtobufCBinaryData){16, eids[i]};
            evs[i].stream = streams[i];
            evs[i].at_ms = 1795000000000 + (int64_t)id;
            evs[i].actor = "manager-7";
            evs[i].request_id = (ProtobufCBinaryData){16, rids[i]};
            evs[i].cause_seq = id;
            evs[i].rules_version = 1;
            evs[i].body_case = LADDER__V1__EVENT__BODY_POINTS_AWARDED;
            evs[i].points_awarded = &pa[i];
            ptrs[i] = &evs[i];
            reqs[i] = (ld_append_t){.request_id = rids[i], .request_id_len = 16,
                                    .events = &ptrs[i], .n_events = 1};
        }
        int rc = ld_store_append(s, reqs, (size_t)k);
        if (rc)
            die("append", ld_strerror(rc));
        if (done == 0) {
            evs[0].prev_hash.len = LD_HASH_LEN;
            *evsize = protobuf_c_message_get_packed_size(&evs[0].base);
            evs[0].prev_hash.len = 0;
        }
        done += k;
    }
    double secs = (double)(now_ns() - t0) / 1e9;
    uint64_t head;
    ld_store_head(s, &head, NULL);
    if ((long)head != n)
        die("store", "head seq does not equal N");
    ld_store_close(&s);
    rm_rf(dir);
    free(evs), free(pa), free(ptrs), free(reqs), free(streams), free(emps), free(rids),
        free(eids);
    return (double)n / secs;
}

static int cmd_store(int argc, char **argv)
{
    long n = 200000;
    const char *dir = "/tmp/ladder-bench-store";
    ld_durability_t d = LD_DURABILITY_FULL;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--n") && i + 1 < argc)
            n = atol(argv[++i]);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            dir = argv[++i];
        else if (!strcmp(argv[i], "--durability") && i + 1 < argc) {
            const char *v = argv[++i];
            d = !strcmp(v, "full") ? LD_DURABILITY_FULL
              : !strcmp(v, "nometasync") ? LD_DURABILITY_NOMETASYNC
              : !strcmp(v, "nosync") ? LD_DURABILITY_NOSYNC
              : (die("--durability", "must be full, nometasync or nosync"), d);
        } else
            die(argv[i], "unknown option (see ladder-bench --help)");
    }
    if (n < 1000)
        die("--n", "must be at least 1000");
    printf("%-8s %6s %9s %14s %14s %7s\n", "what", "batch", "events", "raw_lmdb_ev/s",
           "ladder_ev/s", "ratio");
    static const long batches[] = {1, 100, 1000};
    char rawdir[4200], ourdir[4200];
    snprintf(rawdir, sizeof rawdir, "%s-raw", dir);
    snprintf(ourdir, sizeof ourdir, "%s-ladder", dir);
    size_t evsize = 0;
    for (size_t i = 0; i < sizeof batches / sizeof *batches; i++) {
        long b = batches[i];
        /* one fsync pair per event at B=1: a few thousand say enough */
        long nb = b == 1 ? (n < 3000 ? n : 3000) : n;
        double raw = bench_raw(rawdir, d, nb, b);
        double ours = bench_store(ourdir, d, nb, b, &evsize);
        printf("%-8s %6ld %9ld %14.0f %14.0f %7.2f\n", "store", b, nb, raw, ours, ours / raw);
        fflush(stdout);
    }
    printf("# ladder event size %zu bytes (serialized Event with envelope); raw value 200 bytes\n",
           evsize);
    return 0;
}

static void usage(FILE *f)
{
    fputs("usage: ladder-bench store [--n N] [--dir DIR] [--durability full|nometasync|nosync]\n"
          "  store   append N events through the store and through raw LMDB in the same\n"
          "          run, batches of 1, 100 and 1000; prints events/s and the ratio\n",
          f);
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "store"))
        return cmd_store(argc - 2, argv + 2);
    usage(stderr);
    return 2;
}
