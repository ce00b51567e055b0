/* ladder_bench.c — the project's benchmark (not a test: numbers, not verdicts).
 *
 *   ladder-bench store [--n N] [--dir DIR] [--durability full|nometasync|nosync] [--batch B]
 *                      [--rounds R]
 *       Appends N events of ~200 bytes through ld_store_append in batches of
 *       B = 1, 100, 1000 (one request of one event each, with a request id, as the
 *       daemon's group commit does), and in the same invocation raw LMDB plain
 *       puts of 200-byte values in the same batches and durability, R rounds
 *       (3) of raw then ours. Prints the median events/s of both and the median
 *       of the rounds' ratios.
 *   ladder-bench core ...   (see `ladder-bench --help`)
 */
#include <errno.h>
#include <sys/stat.h>
#include <lmdb.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core.h"
#include "gen.h"
#include "replay.h"
#include "store.h"

/* --cpu-clock: time by the process's CPU clock, for a shared machine where
 * other work stretches the wall clock (say which one a figure used). */
static clockid_t bench_clock = CLOCK_MONOTONIC;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(bench_clock, &ts);
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
__attribute__((noinline)) static double bench_raw(const char *dir, ld_durability_t d, long n, long b)
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
__attribute__((noinline)) static double bench_store(const char *dir, ld_durability_t d, long n, long b, size_t *evsize)
{
    rm_rf(dir);
    ld_store_options_t opt = {.durability = d, .map_size = (size_t)1 << 30};
    ld_store_t *s;
    char err[256];
    if (ld_store_open(&s, dir, &opt, err, sizeof err))
        die("store", err);

    Ladder__V1__Event *evs = calloc((size_t)b, sizeof *evs);
    Ladder__V1__PointsAwarded *pa = calloc((size_t)b, sizeof *pa);
    Ladder__V1__Event **ptrs = calloc((size_t)b, sizeof *ptrs);
    ld_append_t *reqs = calloc((size_t)b, sizeof *reqs);
    /* the client's names, made before the clock starts (raw LMDB's payload
     * is made before its clock too): the store's cost is what is timed */
    enum { EMPS = 10000 };
    char(*streams)[32] = calloc(EMPS, 32);
    char(*emps)[16] = calloc(EMPS, 16);
    uint8_t(*rids)[16] = calloc((size_t)b, 16);
    uint8_t(*rkeys)[LD_REQUEST_KEY_MAX] = calloc((size_t)b, LD_REQUEST_KEY_MAX);
    uint8_t(*eids)[16] = calloc((size_t)b, 16);
    if (!evs || !pa || !ptrs || !reqs || !streams || !emps || !rids || !rkeys || !eids)
        die("bench", "out of memory");
    for (unsigned e = 0; emps && streams && e < EMPS; e++) {
        snprintf(emps[e], 16, "e%05u", e);
        snprintf(streams[e], 32, "emp/%s", emps[e]);
    }
    static char ref[] = "kb-revision/kb-000412/proposal-0009321 accepted by quorum of 3";
    /* only ld_store_append is timed: the events are the caller's, made
     * between appends as a client would (raw LMDB's payload is made once,
     * before its clock) */
    uint64_t rng = 88172645463325252ull, spent = 0, id = 0;
    for (long done = 0; done < n;) {
        long k = n - done < b ? n - done : b;
        for (long i = 0; i < k; i++, id++) {
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            unsigned emp = (unsigned)(rng % EMPS);
            /* time-ordered request ids (ULID-like: a big-endian counter, then
             * randomness), which is what the README asks clients to send */
            for (int j = 0; j < 8; j++)
                rids[i][j] = (uint8_t)(id >> (56 - 8 * j));
            memcpy(rids[i] + 8, &rng, 8);
            memcpy(eids[i], &rng, 8);
            memcpy(eids[i] + 8, &id, 8);
            ladder__v1__points_awarded__init(&pa[i]);
            pa[i].employee_id = emps[emp];
            pa[i].amount = 5;
            pa[i].source = LADDER__V1__POINT_SOURCE__P2_KB_REVISION;
            pa[i].ref = ref;
            ladder__v1__event__init(&evs[i]);
            evs[i].id = (ProtobufCBinaryData){16, eids[i]};
            evs[i].stream = streams[emp];
            evs[i].at_ms = 1795000000000 + (int64_t)id;
            evs[i].actor = "manager-7";
            evs[i].request_id = (ProtobufCBinaryData){16, rids[i]};
            evs[i].cause_seq = id;
            evs[i].rules_version = 1;
            evs[i].body_case = LADDER__V1__EVENT__BODY_POINTS_AWARDED;
            evs[i].points_awarded = &pa[i];
            ptrs[i] = &evs[i];
            reqs[i] = (ld_append_t){.request_key = rkeys[i],
                                    .request_key_len = ld_store_request_key(rkeys[i], "manager-7",
                                                                            rids[i], 16),
                                    .events = &ptrs[i], .n_events = 1};
        }
        uint64_t t0 = now_ns();
        int rc = ld_store_append(s, reqs, (size_t)k);
        spent += now_ns() - t0;
        if (rc)
            die("append", ld_strerror(rc));
        if (done == 0) {
            evs[0].prev_hash.len = LD_HASH_LEN;
            *evsize = protobuf_c_message_get_packed_size(&evs[0].base);
            evs[0].prev_hash.len = 0;
        }
        done += k;
    }
    double secs = (double)spent / 1e9;
    uint64_t head;
    ld_store_head(s, &head, NULL);
    if ((long)head != n)
        die("store", "head seq does not equal N");
    ld_store_close(&s);
    rm_rf(dir);
    free(evs), free(pa), free(ptrs), free(reqs), free(streams), free(emps), free(rids), free(rkeys),
        free(eids);
    return (double)n / secs;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int cmd_store(int argc, char **argv)
{
    long n = 200000, only = 0, rounds = 3;
    const char *dir = "/tmp/ladder-bench-store";
    ld_durability_t d = LD_DURABILITY_FULL;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--n") && i + 1 < argc)
            n = atol(argv[++i]);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            dir = argv[++i];
        else if (!strcmp(argv[i], "--batch") && i + 1 < argc)
            only = atol(argv[++i]);
        else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
            rounds = atol(argv[++i]);
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
    if (only && only != 1 && only != 100 && only != 1000)
        die("--batch", "must be 1, 100 or 1000");
    if (rounds < 1 || rounds > 15)
        die("--rounds", "must be 1 to 15");
    printf("%-8s %6s %9s %14s %14s %7s\n", "what", "batch", "events", "raw_lmdb_ev/s",
           "ladder_ev/s", "ratio");
    static const long batches[] = {1, 100, 1000};
    char rawdir[4200], ourdir[4200];
    snprintf(rawdir, sizeof rawdir, "%s-raw", dir);
    snprintf(ourdir, sizeof ourdir, "%s-ladder", dir);
    size_t evsize = 0;
    for (size_t i = 0; i < sizeof batches / sizeof *batches; i++) {
        long b = batches[i];
        if (only && b != only)
            continue;
        /* one fsync pair per event at B=1: a few thousand say enough */
        long nb = b == 1 ? (n < 3000 ? n : 3000) : n;
        /* rounds of raw then ours, back to back: the ratio of each round
         * compares two runs under the same load; the medians are printed
         * (one run of each on a shared machine varied 2x) */
        double raw[15], ours[15], ratio[15];
        for (long r = 0; r < rounds; r++) {
            raw[r] = bench_raw(rawdir, d, nb, b);
            ours[r] = bench_store(ourdir, d, nb, b, &evsize);
            ratio[r] = ours[r] / raw[r];
        }
        printf("# batch %ld, ratio per round:", b);
        for (long r = 0; r < rounds; r++)
            printf(" %.2f", ratio[r]);
        printf("\n");
        printf("%-8s %6ld %9ld %14.0f %14.0f %7.2f\n", "store", b, nb, median(raw, (int)rounds),
               median(ours, (int)rounds), median(ratio, (int)rounds));
        fflush(stdout);
    }
    printf("# ladder event size %zu bytes (serialized Event with envelope); raw value 200 bytes\n",
           evsize);
    return 0;
}

/* ------------------------------------------------------------------ core -- */

static long rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, rss = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
            rss = 0;
        fclose(f);
    }
    return rss * sysconf(_SC_PAGESIZE);
}

static ld_core_t *hire_all(long n, int64_t t0, double *secs)
{
    ld_core_t *c = ld_core_new(1);
    ld_out_t *out = ld_out_new();
    char id[24], team[32], centre[32];
    Ladder__V1__Hire h = LADDER__V1__HIRE__INIT;
    Ladder__V1__Command cmd = LADDER__V1__COMMAND__INIT;
    cmd.cmd_case = LADDER__V1__COMMAND__CMD_HIRE;
    cmd.hire = &h;
    h.employee_id = id, h.name = "Li Wei", h.team = team, h.centre = centre;
    uint64_t t = now_ns();
    for (long i = 0; i < n; i++) {
        snprintf(id, sizeof id, "e%ld", i);
        snprintf(team, sizeof team, "team%ld", i % 500);
        snprintf(centre, sizeof centre, "centre%ld", i % 7);
        ld_ctx_t ctx = {t0, "boss", LADDER__V1__ROLE__ROLE_MANAGER, NULL, 0};
        if (ld_core_execute(c, &cmd, &ctx, out, NULL))
            die("hire", "refused");
        if (i % 1024 == 0)
            ld_out_reset(out);
    }
    *secs = (double)(now_ns() - t) / 1e9;
    ld_out_destroy(&out);
    return c;
}

/* The library the generator studies from; also written to s when given. */
static void seed_cases_to(ld_core_t *c, int64_t t0, ld_store_t *s)
{
    for (uint32_t level = 1; level <= 5; level++)
        for (uint32_t half = 1; half <= 2; half++)
            for (uint32_t k = 0; k < 14; k++) {
                char cid[32];
                snprintf(cid, sizeof cid, "c%u-%u-%u", level, half, k);
                Ladder__V1__CaseAccepted m = LADDER__V1__CASE_ACCEPTED__INIT;
                m.case_id = cid;
                m.level = level;
                m.category = "billing";
                m.half = (Ladder__V1__Half)half;
                Ladder__V1__Event ev = LADDER__V1__EVENT__INIT;
                ev.seq = ld_core_next_seq(c);
                ev.stream = "case";
                ev.at_ms = t0;
                ev.body_case = LADDER__V1__EVENT__BODY_CASE_ACCEPTED;
                ev.case_accepted = &m;
                if (ld_core_evolve(c, &ev))
                    die("seed", "case did not apply");
                if (s) {
                    Ladder__V1__Event *one = &ev;
                    ld_append_t a = {.events = &one, .n_events = 1};
                    if (ld_store_append(s, &a, 1))
                        die("seed", "append failed");
                }
            }
}

static void seed_cases(ld_core_t *c, int64_t t0) { seed_cases_to(c, t0, NULL); }

/* One §9 board query (top 10 of the org's all-time board): the boards catch
 * up with every change since the last one, as at ladderd's publish tick. */
static void board_tick(ld_core_t *c, ld_out_t *out, int64_t now)
{
    Ladder__V1__GetBoard g = LADDER__V1__GET_BOARD__INIT;
    g.top = 10;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_BOARD;
    q.board = &g;
    Ladder__V1__Ok ok = LADDER__V1__OK__INIT;
    if (ld_core_query(c, &q, now, out, &ok, NULL))
        die("board", "query failed");
}

static void core_mix(long emps, long n, int realistic, int64_t t0)
{
    double hsecs;
    ld_core_t *c = hire_all(emps, t0, &hsecs);
    seed_cases(c, t0);
    ld_gen_t g;
    ld_gen_init(&g, 1, (uint32_t)emps, t0);
    g.realistic = realistic;
    g.churn = realistic; /* realistic time: ~0.3 commands per person a day */
    Ladder__V1__Command **cmds = malloc((size_t)n * sizeof *cmds);
    const char **who = malloc((size_t)n * sizeof *who);
    uint32_t *roles = malloc((size_t)n * sizeof *roles);
    int64_t *at = malloc((size_t)n * sizeof *at);
    for (long i = 0; i < n; i++) {
        Ladder__V1__Command *cmd = ld_gen_command(&g);
        size_t len = ladder__v1__command__get_packed_size(cmd);
        uint8_t buf[4096];
        if (len > sizeof buf)
            die("gen", "command too large");
        ladder__v1__command__pack(cmd, buf);
        cmds[i] = ladder__v1__command__unpack(NULL, len, buf);
        who[i] = strdup(g.principal);
        roles[i] = g.roles;
        at[i] = g.now;
    }
    ld_out_t *out = ld_out_new();
    size_t ok = 0, events = 0;
    board_tick(c, out, t0); /* boards built before the clock starts */
    ld_out_reset(out);
    const long tick = 100000; /* 100 ms of commands at 1 M/s */
    uint64_t t = now_ns(), board_ns = 0;
    for (long i = 0; i < n; i += 100) {
        if (i && i % tick == 0) {
            uint64_t tb = now_ns();
            board_tick(c, out, at[i - 1]);
            ld_out_reset(out);
            board_ns += now_ns() - tb;
        }
        /* one group commit's worth under one savepoint, as ladderd does */
        uint32_t mark = ld_core_savepoint(c);
        (void)mark;
        for (long j = i; j < i + 100 && j < n; j++) {
            ld_ctx_t ctx = {at[j], who[j], roles[j], (const uint8_t *)&j, sizeof j};
            ok += ld_core_execute(c, cmds[j], &ctx, out, NULL) == 0;
        }
        events += ld_out_count(out);
        ld_core_release(c);
        ld_out_reset(out);
    }
    double all = (double)(now_ns() - t) / 1e9, secs = all - (double)board_ns / 1e9;
    printf("core %s mix: %ld employees, %ld commands (%.0f%% accepted), %zu events: "
           "%.0f commands/s, %.0f events/s (target >= 1000000 commands/s); "
           "with the boards caught up every %ld commands: %.0f commands/s "
           "(a catch-up %.1f ms, %.0f%% of the time)\n",
           realistic ? "realistic" : "refusal-heavy", emps, n, 100.0 * (double)ok / (double)n,
           events, (double)n / secs, (double)events / secs, tick, (double)n / all,
           n > tick ? (double)board_ns / 1e6 / (double)((n - 1) / tick) : 0.0,
           100.0 * (double)board_ns / 1e9 / all);
    for (long i = 0; i < n; i++) {
        ladder__v1__command__free_unpacked(cmds[i], NULL);
        free((void *)who[i]);
    }
    free(cmds), free(who), free(roles), free(at);
    ld_out_destroy(&out);
    ld_core_destroy(&c);
}

static int cmd_core(int argc, char **argv)
{
    long emps = 100000, n = 2000000, mem_emps = 1000000;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--employees") && i + 1 < argc)
            emps = atol(argv[++i]);
        else if (!strcmp(argv[i], "--commands") && i + 1 < argc)
            n = atol(argv[++i]);
        else if (!strcmp(argv[i], "--memory-employees") && i + 1 < argc)
            mem_emps = atol(argv[++i]);
        else
            die(argv[i], "unknown option (see ladder-bench --help)");
    }
    const int64_t t0 = 1767542400000LL;

    /* 1. memory: RSS per employee at mem_emps employees */
    long rss0 = rss_bytes();
    double hsecs;
    ld_core_t *big = hire_all(mem_emps, t0, &hsecs);
    long rss1 = rss_bytes();
    ld_out_t *bo = ld_out_new();
    uint64_t tb = now_ns();
    board_tick(big, bo, t0);
    double build_ms = (double)(now_ns() - tb) / 1e6;
    ld_out_reset(bo);
    long rss1b = rss_bytes();
    printf("core memory: %ld employees, RSS +%.1f MiB, %.0f bytes/employee (target <= 512); "
           "hires %.0f/s; with the all-time boards built (%.0f ms): %.0f bytes/employee\n",
           mem_emps, (double)(rss1 - rss0) / 1048576.0, (double)(rss1 - rss0) / (double)mem_emps,
           (double)mem_emps / hsecs, build_ms, (double)(rss1b - rss0) / (double)mem_emps);

    /* §9 boards at that size: everyone earns points, then top 10 and rank */
    uint64_t x = 99;
    for (long i = 0; i < mem_emps; i++) {
        char id[24];
        snprintf(id, sizeof id, "e%ld", i);
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        Ladder__V1__AdjustPoints ap = LADDER__V1__ADJUST_POINTS__INIT;
        ap.employee_id = id, ap.amount = 1 + (int64_t)(x % 5000), ap.reason = "bench";
        Ladder__V1__Command ac = LADDER__V1__COMMAND__INIT;
        ac.cmd_case = LADDER__V1__COMMAND__CMD_ADJUST_POINTS;
        ac.adjust_points = &ap;
        ld_ctx_t ctx = {t0 + i, "boss", LADDER__V1__ROLE__ROLE_MANAGER, NULL, 0};
        if (ld_core_execute(big, &ac, &ctx, bo, NULL))
            die("adjust", "refused");
        if (i % 1024 == 0)
            ld_out_reset(bo);
    }
    tb = now_ns();
    board_tick(big, bo, t0 + mem_emps); /* the boards catch up: 1 M employees moved */
    double catch_ms = (double)(now_ns() - tb) / 1e6;
    ld_out_reset(bo);
    long rss2 = rss_bytes();
    const int Q = 200000;
    /* Three passes of Q queries: top 10; the rank of Q askers right after
     * the catch-up (the first touch of the fresh blocks: on this VM its
     * cost varies 2-3x from run to run with what the host does to memory
     * just written, so it is printed at the end of the line, not used as
     * the figure); then the rank of Q other askers, the figure: a query
     * against boards in use, no asker's data left in cache by the pass
     * before (the askers differ). */
    double top_us = 0, rank_us = 0, cold_us = 0;
    /* the askers' ids are written before the clock starts: the query is timed,
     * not snprintf */
    char (*ids)[24] = malloc((size_t)2 * Q * sizeof *ids); /* a different asker each time */
    if (!ids)
        die("bench", "out of memory");
    for (int i = 0; i < 2 * Q; i++)
        snprintf(ids[i], sizeof ids[i], "e%ld", (long)((uint64_t)i * 2654435761u % (uint64_t)mem_emps));
    for (int pass = 0; pass < 3; pass++) {
        uint64_t t = now_ns();
        for (int i = 0; i < Q; i++) {
            const char *id = ids[pass == 2 ? Q + i : i];
            Ladder__V1__GetBoard g = LADDER__V1__GET_BOARD__INIT;
            g.window = pass ? LADDER__V1__BOARD_WINDOW__WINDOW_ALL : LADDER__V1__BOARD_WINDOW__WINDOW_WEEK;
            if (pass) {
                g.around = (char *)id;
                g.radius = 1; /* the rank of one, with a neighbour either side */
            } else {
                g.top = 10;
            }
            Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
            q.q_case = LADDER__V1__QUERY__Q_BOARD;
            q.board = &g;
            Ladder__V1__Ok ok = LADDER__V1__OK__INIT;
            if (ld_core_query(big, &q, t0 + mem_emps, bo, &ok, NULL) || !ok.board->n_rows)
                die("board", "query failed");
            if (i % 256 == 0)
                ld_out_reset(bo);
        }
        double us = (double)(now_ns() - t) / 1e3 / Q;
        if (pass == 2)
            rank_us = us;
        else if (pass == 1)
            cold_us = us;
        else
            top_us = us;
    }
    printf("core boards: %ld employees with points, RSS +%.0f bytes/employee with boards; "
           "top-10 %.2f us, rank (around, 3 rows) %.2f us (target <= 2 us); "
           "all 20 boards caught up in %.0f ms; "
           "rank right after the catch-up (other askers) %.2f us\n",
           mem_emps, (double)(rss2 - rss0) / (double)mem_emps, top_us, rank_us, catch_ms, cold_us);
    free(ids);
    ld_out_destroy(&bo);
    ld_core_destroy(&big);

    /* 2. throughput: decide + evolve of a generated stream, one thread: a
     * production-like mix, then the test generator's refusal-heavy mix */
    for (int realistic = 1; realistic >= 0; realistic--)
        core_mix(emps, n, realistic, t0);
    return 0;
}

int bench_daemon(int argc, char **argv);

/* ---------------------------------------------------------------- replay -- */

/* kB fields of /proc/self/status: RssAnon (the process's own memory),
 * RssFile (mapped files: the log as LMDB maps it, page cache) and VmHWM. */
static long status_kb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = 0;
    size_t n = strlen(field);
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, field, n) && line[n] == ':')
            v = atol(line + n + 1);
    if (f)
        fclose(f);
    return v;
}

static void append_out(ld_store_t *s, ld_out_t *out)
{
    if (!ld_out_count(out))
        return;
    ld_append_t a = {.events = ld_out_events(out), .n_events = ld_out_count(out)};
    int rc = ld_store_append(s, &a, 1);
    if (rc)
        die("append", ld_strerror(rc));
    ld_out_reset(out);
}

/* Writes n events of the realistic mix with churn (people join and leave,
 * cases churn, time advances ~3 s a command) for `employees` people, then
 * times a start-up from the snapshot and a full replay, printing the
 * replaying core's memory after every 1 M events. */
static int cmd_replay(int argc, char **argv)
{
    long n = 2000000;
    uint32_t employees = 100000;
    const char *dir = "/tmp/ladder-bench-replay";
    int keep = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--events") && i + 1 < argc)
            n = atol(argv[++i]);
        else if (!strcmp(argv[i], "--keep") && i + 1 < argc)
            keep = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--employees") && i + 1 < argc)
            employees = (uint32_t)atol(argv[++i]);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            dir = argv[++i];
        else
            die(argv[i], "unknown option (see ladder-bench --help)");
    }
    const int64_t t0 = 1767542400000LL;
    rm_rf(dir);
    ld_store_options_t opt = {.durability = LD_DURABILITY_NOSYNC, .map_size = (size_t)1 << 30};
    ld_store_t *s;
    char err[256];
    if (ld_store_open(&s, dir, &opt, err, sizeof err))
        die("store", err);
    ld_core_t *c = ld_core_new(1);
    ld_out_t *out = ld_out_new();
    uint64_t t = now_ns();
    for (uint32_t i = 0; i < employees; i++) {
        Ladder__V1__Hire h = LADDER__V1__HIRE__INIT;
        char id[16], team[16], centre[16];
        snprintf(id, sizeof id, "e%u", i);
        snprintf(team, sizeof team, "team%u", i % 500);
        snprintf(centre, sizeof centre, "centre%u", i % 7);
        h.employee_id = id, h.name = "Li Wei", h.team = team, h.centre = centre;
        Ladder__V1__Command cmd1 = LADDER__V1__COMMAND__INIT;
        cmd1.cmd_case = LADDER__V1__COMMAND__CMD_HIRE;
        cmd1.hire = &h;
        ld_ctx_t ctx = {t0, "boss", LADDER__V1__ROLE__ROLE_MANAGER, NULL, 0};
        if (ld_core_execute(c, &cmd1, &ctx, out, NULL))
            die("hire", "refused");
        if (ld_out_count(out) >= 4096)
            append_out(s, out);
    }
    append_out(s, out);
    seed_cases_to(c, t0, s);
    ld_gen_t g;
    ld_gen_init(&g, 5, employees, t0);
    g.realistic = 1;
    g.churn = 1;
    long refused_run = 0, commands = 0, accepted = 0;
    while ((long)(ld_core_next_seq(c) - 1) < n) {
        Ladder__V1__Command *cmd1 = ld_gen_command(&g);
        ld_ctx_t ctx = {g.now, g.principal, g.roles, NULL, 0};
        commands++;
        if (ld_core_execute(c, cmd1, &ctx, out, NULL) == 0)
            accepted++, refused_run = 0;
        else if (++refused_run > 1000000)
            die("generator", "a million refusals in a row: the mix is no longer realistic");
        if (ld_out_count(out) >= 4096)
            append_out(s, out);
    }
    append_out(s, out);
    uint64_t head = 0;
    ld_store_head(s, &head, NULL);
    double wsecs = (double)(now_ns() - t) / 1e9;
    size_t live_emps = ld_core_employee_count(c);
    long gen_anon = status_kb("RssAnon");
    uint8_t *snap;
    size_t slen;
    t = now_ns();
    ld_core_snapshot(c, &snap, &slen);
    if (ld_store_snapshot_put(s, "core", head, snap, slen))
        die("snapshot", "put failed");
    double snap_ms = (double)(now_ns() - t) / 1e6;
    free(snap);
    ld_core_destroy(&c);
    ld_out_destroy(&out);
    fprintf(stderr,
            "# wrote %llu events in %.1f s (%ld commands, %.0f%% accepted; %zu people hired "
            "in all, %u employed at the end; %.0f days of history); snapshot %zu bytes in %.0f ms\n",
            (unsigned long long)head, wsecs, commands, 100.0 * (double)accepted / (double)commands,
            live_emps, g.hi - g.lo, (double)(g.now - t0) / 86400000.0, slen, snap_ms);

    /* start-up: snapshot + (empty) tail, then the boards (first query) */
    uint64_t from, replayed, bad;
    int rc;
    t = now_ns();
    c = ld_replay_open(s, &from, &replayed, &rc, &bad);
    double start_ms = (double)(now_ns() - t) / 1e6;
    if (!c)
        die("start-up", ld_strerror(rc));
    out = ld_out_new();
    t = now_ns();
    board_tick(c, out, ld_core_last_at(c));
    double boards_ms = (double)(now_ns() - t) / 1e6;
    ld_out_destroy(&out);
    ld_core_destroy(&c);

    /* full replay from the first event, 1 M events at a time; freed heap
     * memory goes back first, so RssAnon is what the replaying core holds */
    malloc_trim(0);
    long anon0 = status_kb("RssAnon"), peak = gen_anon > anon0 ? gen_anon : anon0;
    c = ld_core_new(1);
    double rsecs = 0;
    char steps[2048] = "";
    size_t sl = 0;
    long at1m = 0, atend = 0;
    for (uint64_t upto = 1000000;; upto += 1000000) {
        uint64_t k = 0;
        t = now_ns();
        rc = ld_replay_until(s, c, upto < head ? upto : head, 0, &k);
        rsecs += (double)(now_ns() - t) / 1e9;
        if (rc)
            die("replay", ld_strerror(rc));
        long anon = status_kb("RssAnon") - anon0;
        if (anon + anon0 > peak)
            peak = anon + anon0;
        if (upto == 1000000)
            at1m = anon;
        atend = anon;
        if (sl < sizeof steps - 32)
            sl += (size_t)snprintf(steps + sl, sizeof steps - sl, " %.0f", (double)anon / 1024.0);
        if (upto >= head)
            break;
    }
    replayed = ld_core_next_seq(c) - 1;
    printf("replay: %llu events, start-up from snapshot %.0f ms (target < 1000 ms; boards "
           "built at the first query in %.0f ms after); full replay %.2f s = %.0f events/s "
           "(target >= 1000000); peak RSS %.0f MiB (target <= 2048; the process's own memory, "
           "RssAnon, sampled each 1 M events; VmHWM %.0f MiB also counts the log mapped by "
           "LMDB); replaying core RSS per 1 M events (MiB):%s; last/first %.2f\n",
           (unsigned long long)head, start_ms, boards_ms, rsecs, (double)replayed / rsecs,
           (double)peak / 1024.0, (double)status_kb("VmHWM") / 1024.0, steps,
           at1m ? (double)atend / (double)at1m : 0.0);
    ld_core_destroy(&c);
    ld_store_close(&s);
    if (!keep)
        rm_rf(dir);
    return 0;
}

static void usage(FILE *f)
{
    fputs("usage: ladder-bench [--cpu-clock] store|core|replay ... (CPU time, not wall time)\n"
          "usage: ladder-bench store [--n N] [--dir DIR] [--durability full|nometasync|nosync]\n"
          "                     [--batch 1|100|1000]  (one batch size only) [--rounds R]\n"
          "  store   append N events through the store and through raw LMDB in the same\n"
          "          run, batches of 1, 100 and 1000, R rounds (3) of raw then ours;\n"
          "          prints the median events/s of both and the median ratio of the rounds\n"
          "usage: ladder-bench core [--employees N] [--commands N] [--memory-employees N]\n"
          "  core    decide+evolve a generated mixed command stream in one thread\n"
          "          (commands/s), and RSS per employee after hiring N employees\n"
          "usage: ladder-bench daemon [--clients K] [--window W] [--seconds S] [--rate R]\n"
          "                           [--latency-seconds L] [--employees E] [--durability D]\n"
          "                           [--port P] [--pub-port P] [--ladderd PATH]\n"
          "                           [--log-level LEVEL] [--keep 1]\n"
          "  daemon  start ladderd, K clients keep W commands in flight for S s (commands/s),\n"
          "          then one client at R commands/s for L s (p50/p99 ack latency); prints\n"
          "          both runs' commit histograms, acks >= 2 ms and the five slowest;\n"
          "          --keep 1 leaves the data directory and ladderd.log\n"
          "usage: ladder-bench replay [--events N] [--employees E] [--dir DIR] [--keep 1]\n"
          "  replay  write N events of the realistic mix with churn, then time start-up\n"
          "          from a snapshot and a full replay; peak RSS, RSS per 1 M events;\n"
          "          --keep 1 leaves the log and its snapshot in DIR; the replay reads\n"
          "          on a second thread, so its events/s are wall time (with --cpu-clock\n"
          "          they count both threads' CPU time)\n",
          f);
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--version")) {
        printf("ladder-bench %s\n", LADDER_VERSION);
        return 0;
    }
    if (argc > 1 && !strcmp(argv[1], "--cpu-clock")) {
        bench_clock = CLOCK_PROCESS_CPUTIME_ID;
        fprintf(stderr, "# times below are CPU time of this process, not wall time\n");
        argv++, argc--;
    }
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "store"))
        return cmd_store(argc - 2, argv + 2);
    if (!strcmp(argv[1], "core"))
        return cmd_core(argc - 2, argv + 2);
    if (!strcmp(argv[1], "daemon"))
        return bench_daemon(argc - 2, argv + 2);
    if (!strcmp(argv[1], "replay"))
        return cmd_replay(argc - 2, argv + 2);
    usage(stderr);
    return 2;
}
