/* test_wal.c — the store's write-ahead log (daemon/store_wal.c): records
 * written but not yet in LMDB are applied by the next writer's open, byte for
 * byte as ld_store_append would have written them; a record torn at any byte
 * is ignored and the ones before it recovered; recovery twice is recovery
 * once; the file is reused without ever writing over a record LMDB lacks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client.h"
#include "store.h"

#define WAL_ALIGN 4096        /* store_int.h, LD_WAL_ALIGN */
#define WAL_SIZE (8u << 20)   /* store_int.h, LD_WAL_SIZE */

/* ------------------------------------------------------------- helpers -- */

#define MAX_EV 8
typedef struct {
    Ladder__V1__Event ev[MAX_EV];
    Ladder__V1__Event *evp[MAX_EV];
    Ladder__V1__PointsAwarded pa[MAX_EV];
    char stream[MAX_EV][32], emp[MAX_EV][16];
    uint8_t key[LD_REQUEST_KEY_MAX];
    ld_append_t app;
} treq_t;

/* Request number i of principal "p": n events from seq first on. */
static void treq_init(treq_t *t, unsigned i, size_t n, uint64_t first)
{
    char rid[32];
    int rl = snprintf(rid, sizeof rid, "01JWAL%08u", i);
    memset(&t->app, 0, sizeof t->app);
    t->app.request_key = t->key;
    t->app.request_key_len = ld_store_request_key(t->key, "p", (const uint8_t *)rid, (size_t)rl);
    memset(t->app.digest, (int)(i & 0xff), LD_HASH_LEN);
    for (size_t k = 0; k < n; k++) {
        ladder__v1__points_awarded__init(&t->pa[k]);
        ladder__v1__event__init(&t->ev[k]);
        snprintf(t->emp[k], sizeof t->emp[k], "e%u", (i + (unsigned)k) % 7);
        snprintf(t->stream[k], sizeof t->stream[k], "emp/%s", t->emp[k]);
        t->pa[k].employee_id = t->emp[k];
        t->pa[k].amount = (int64_t)(i * 10 + k);
        t->pa[k].source = LADDER__V1__POINT_SOURCE__P12_ADJUSTMENT;
        t->pa[k].ref = "";
        t->ev[k].seq = first + k;
        t->ev[k].stream = t->stream[k];
        t->ev[k].at_ms = 1700000000000 + (int64_t)i;
        t->ev[k].actor = "tester";
        t->ev[k].body_case = LADDER__V1__EVENT__BODY_POINTS_AWARDED;
        t->ev[k].points_awarded = &t->pa[k];
        t->evp[k] = &t->ev[k];
    }
    t->app.events = t->evp;
    t->app.n_events = n;
}

static char *tmpdir(void)
{
    char *d = strdup("/tmp/ladder-test-wal-XXXXXX");
    assert_non_null(mkdtemp(d));
    return d;
}

static void rm_store(char *d)
{
    const char *names[] = {"data.mdb", "lock.mdb", "lock", "wal"};
    char p[512];
    for (size_t i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s/%s", d, names[i]);
        unlink(p);
    }
    rmdir(d);
    free(d);
}

static ld_store_t *open_store(const char *dir, bool wal)
{
    ld_store_options_t o = {.durability = LD_DURABILITY_FULL, .wal = wal};
    ld_store_t *s = NULL;
    char err[256];
    int rc = ld_store_open(&s, dir, &o, err, sizeof err);
    if (rc)
        fail_msg("open: %s (%s)", err, ld_strerror(rc));
    return s;
}

/* Batch b (of nb) of a fixed series: 3 requests of 1-3 events each. */
static uint64_t batch(treq_t *t, ld_append_t *apps, unsigned b, uint64_t first)
{
    for (unsigned r = 0; r < 3; r++) {
        size_t n = 1 + (b + r) % 3;
        treq_init(&t[r], b * 3 + r, n, first);
        apps[r] = t[r].app;
        first += n;
    }
    return first;
}

/* Writes batches [from, to) to the WAL only (a crash before LMDB got them). */
static uint64_t wal_only(ld_store_t *s, unsigned from, unsigned to, uint64_t next)
{
    for (unsigned b = from; b < to; b++) {
        treq_t t[3];
        ld_append_t apps[3];
        next = batch(t, apps, b, next);
        assert_int_equal(ld_store_wal_write(s, apps, 3), 0);
    }
    return next;
}

/* Writes batches [from, to) to the WAL and LMDB (as ladderd's L stage does). */
static uint64_t wal_and_lmdb(ld_store_t *s, unsigned from, unsigned to, uint64_t next)
{
    for (unsigned b = from; b < to; b++) {
        treq_t t[3];
        ld_append_t apps[3];
        next = batch(t, apps, b, next);
        assert_int_equal(ld_store_wal_write(s, apps, 3), 0);
        assert_int_equal(ld_store_append(s, apps, 3), 0);
        for (int r = 0; r < 3; r++)
            assert_int_equal(apps[r].rc, 0);
    }
    return next;
}

/* The same batches straight into LMDB: what recovery must reproduce. */
static char *reference(unsigned nb)
{
    char *d = tmpdir();
    ld_store_t *s = open_store(d, false);
    uint64_t next = 1;
    for (unsigned b = 0; b < nb; b++) {
        treq_t t[3];
        ld_append_t apps[3];
        next = batch(t, apps, b, next);
        assert_int_equal(ld_store_append(s, apps, 3), 0);
    }
    ld_store_close(&s);
    return d;
}

typedef struct {
    uint8_t *buf;
    size_t len;
} bytes_t;

static int collect_cb(void *ctx, uint64_t seq, const uint8_t *data, size_t len)
{
    bytes_t *b = ctx;
    b->buf = realloc(b->buf, b->len + 12 + len);
    assert_non_null(b->buf);
    memcpy(b->buf + b->len, &seq, 8);
    uint32_t l = (uint32_t)len;
    memcpy(b->buf + b->len + 8, &l, 4);
    memcpy(b->buf + b->len + 12, data, len);
    b->len += 12 + len;
    return 0;
}

/* Every stored event's bytes, the head, and request r's entry, of store dir. */
static bytes_t log_bytes(ld_store_t *s)
{
    bytes_t b = {0};
    assert_int_equal(ld_store_scan(s, 1, 0, collect_cb, &b), 0);
    return b;
}

static void assert_same_log(ld_store_t *s, const char *ref_dir, uint64_t head_want)
{
    ld_store_options_t o = {.read_only = true};
    ld_store_t *r = NULL;
    char err[256];
    assert_int_equal(ld_store_open(&r, ref_dir, &o, err, sizeof err), 0);
    uint64_t h1, h2;
    uint8_t x1[LD_HASH_LEN], x2[LD_HASH_LEN];
    ld_store_head(s, &h1, x1);
    ld_store_head(r, &h2, x2);
    assert_int_equal(h1, head_want);
    assert_int_equal(h1, h2);
    assert_memory_equal(x1, x2, LD_HASH_LEN);
    bytes_t a = log_bytes(s), b = log_bytes(r);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.buf, b.buf, a.len);
    free(a.buf), free(b.buf);
    uint64_t bad;
    char why[128];
    assert_int_equal(ld_store_verify(s, &bad, why, sizeof why), 0);
    ld_store_close(&r);
}

static void copy_file(const char *from, const char *to)
{
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    assert_non_null(a);
    assert_non_null(b);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, a)) > 0)
        assert_int_equal(fwrite(buf, 1, n, b), n);
    fclose(a);
    assert_int_equal(fclose(b), 0);
}

/* A copy of d's LMDB (its "walkey" with it) in d2: the same store, whose
 * logs may then diverge. */
static void clone_lmdb(const char *d, const char *d2)
{
    char a[512], b[512];
    snprintf(a, sizeof a, "%s/data.mdb", d);
    snprintf(b, sizeof b, "%s/data.mdb", d2);
    copy_file(a, b);
}

static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc(*len);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, *len, f), *len);
    fclose(f);
    return p;
}

static void write_all(const char *path, const uint8_t *p, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* --------------------------------------------------------------- tests -- */

/* §12 + "nothing acknowledged before its fsync": what the WAL acknowledged is
 * in LMDB after the next open, the same bytes as a direct append, request
 * ids included (a re-sent id is then found with its first seq and count). */
static void test_s12_wal_records_are_recovered_into_lmdb(void **state)
{
    (void)state;
    char *d = tmpdir(), *ref = reference(5);
    ld_store_t *s = open_store(d, true);
    uint64_t next = wal_and_lmdb(s, 0, 2, 1);
    next = wal_only(s, 2, 5, next);
    uint64_t head;
    ld_store_head(s, &head, NULL);
    assert_true(head < next - 1); /* LMDB lacks batches 2..4 */
    ld_store_close(&s);           /* as a crash: nothing more reaches LMDB */

    s = open_store(d, false);     /* any writer recovers, WAL mode or not */
    assert_int_equal(ld_store_wal_applied(s), 3);
    assert_same_log(s, ref, next - 1);
    treq_t t;
    treq_init(&t, 4 * 3 + 2, 1, 0); /* batch 4's last request's key */
    uint64_t first;
    uint32_t count;
    uint8_t dg[LD_HASH_LEN];
    assert_int_equal(ld_store_request_get(s, t.key, t.app.request_key_len, &first, &count, dg), 0);
    assert_int_equal(first + count, next);
    ld_store_close(&s);
    rm_store(d), rm_store(ref);
}

/* A crash while the last record was being written, at every byte of it
 * (the rest of the file still zeros, or stale bytes of an earlier lap): the
 * torn record is ignored, the ones before it are recovered. */
static void test_wal_torn_last_record_at_every_byte_is_ignored(void **state)
{
    (void)state;
    char *d = tmpdir(), *ref = reference(2);
    char *empty = tmpdir();
    ld_store_t *s = open_store(d, true);
    ld_store_close(&s);
    clone_lmdb(d, empty); /* d's LMDB before the records, its "walkey" with it */
    s = open_store(d, true);
    wal_only(s, 0, 2, 1);
    ld_store_close(&s);
    char p[512], q[512];
    snprintf(p, sizeof p, "%s/wal", d);
    size_t len;
    uint8_t *wal = read_all(p, &len);
    len = 3 * WAL_ALIGN; /* the rest is zeros: left out to keep the test quick */
    /* the second record starts at the second aligned block; its length is
     * the header's 64 bytes and the payload length at bytes 8..11 */
    const uint8_t *r2 = wal + WAL_ALIGN;
    size_t rlen = 64 + ((size_t)r2[8] << 24 | (size_t)r2[9] << 16 | (size_t)r2[10] << 8 | r2[11]);
    assert_memory_equal(r2, "LDWAL02\n", 8);
    uint8_t *torn = malloc(len);
    assert_non_null(torn);
    for (int fill = 0; fill < 2; fill++) {
        for (size_t cut = 0; cut <= rlen; cut++) {
            memcpy(torn, wal, len);
            memset(torn + WAL_ALIGN + cut, fill ? 0xa5 : 0, len - WAL_ALIGN - cut);
            char *t = tmpdir();
            snprintf(q, sizeof q, "%s/data.mdb", empty);
            snprintf(p, sizeof p, "%s/data.mdb", t);
            copy_file(q, p);
            snprintf(p, sizeof p, "%s/wal", t);
            write_all(p, torn, len);
            s = open_store(t, false);
            uint64_t head;
            ld_store_head(s, &head, NULL);
            uint64_t want = cut == rlen ? 12 : 6; /* batch 0: seqs 1..6, batch 1: 7..12 */
            if (head != want)
                fail_msg("cut at byte %zu (fill %d): head %llu, want %llu", cut, fill,
                         (unsigned long long)head, (unsigned long long)want);
            assert_int_equal(ld_store_wal_applied(s), cut == rlen ? 2 : 1);
            ld_store_close(&s);
            if (cut == rlen) {
                s = open_store(t, false);
                assert_same_log(s, ref, want);
                ld_store_close(&s);
            }
            rm_store(t);
        }
    }
    free(torn);
    free(wal);
    rm_store(d), rm_store(ref), rm_store(empty);
}

/* Recovery is idempotent: recovering again applies nothing and changes no
 * byte; a crash in the middle of recovery (LMDB has the first records of
 * the WAL already) ends where one uninterrupted recovery ends. */
static void test_wal_recovery_twice_is_recovery_once(void **state)
{
    (void)state;
    char *d = tmpdir(), *ref = reference(6), *half = tmpdir();
    ld_store_t *s = open_store(d, true);
    ld_store_close(&s);
    clone_lmdb(d, half); /* the same store, empty: for the cut-short case */
    s = open_store(d, true);
    uint64_t next = wal_and_lmdb(s, 0, 2, 1);
    next = wal_only(s, 2, 6, next);
    ld_store_close(&s);
    char p[512];
    snprintf(p, sizeof p, "%s/wal", d);
    size_t len;
    uint8_t *wal = read_all(p, &len);

    s = open_store(d, false);
    assert_int_equal(ld_store_wal_applied(s), 4);
    assert_same_log(s, ref, next - 1);
    ld_store_close(&s);
    s = open_store(d, true);
    assert_int_equal(ld_store_wal_applied(s), 0);
    assert_same_log(s, ref, next - 1);
    ld_store_close(&s);

    /* cut short: LMDB got batches 0..3 (as if the crash came after two of
     * the four records were applied), the WAL still holds all six */
    s = open_store(half, false);
    uint64_t n2 = 1;
    for (unsigned b = 0; b < 4; b++) {
        treq_t t[3];
        ld_append_t apps[3];
        n2 = batch(t, apps, b, n2);
        assert_int_equal(ld_store_append(s, apps, 3), 0);
    }
    ld_store_close(&s);
    snprintf(p, sizeof p, "%s/wal", half);
    write_all(p, wal, len);
    s = open_store(half, false);
    assert_int_equal(ld_store_wal_applied(s), 2);
    assert_same_log(s, ref, next - 1);
    ld_store_close(&s);
    free(wal);
    rm_store(d), rm_store(ref), rm_store(half);
}

static off_t file_size(const char *dir)
{
    char p[512];
    snprintf(p, sizeof p, "%s/wal", dir);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    return st.st_size;
}

/* The file is reused: with LMDB keeping up, thousands of records stay in
 * its first size (the writer goes back to the start); without LMDB keeping
 * up it grows instead of writing over a record LMDB lacks, and every such
 * record is recovered. */
static void test_wal_wraps_and_never_overwrites_what_lmdb_lacks(void **state)
{
    (void)state;
    char *d = tmpdir();
    ld_store_t *s = open_store(d, true);
    assert_int_equal(file_size(d), WAL_SIZE);
    /* 2 600 records of one aligned block each: 10 MiB, more than the file */
    uint64_t next = wal_and_lmdb(s, 0, 2600, 1);
    assert_int_equal(file_size(d), WAL_SIZE);
    ld_store_close(&s);
    s = open_store(d, true);
    assert_int_equal(ld_store_wal_applied(s), 0);
    uint64_t head;
    ld_store_head(s, &head, NULL);
    assert_int_equal(head, next - 1);
    /* now LMDB stops: 2 600 more records must all survive */
    uint64_t lmdb_head = next - 1;
    next = wal_only(s, 2600, 5200, next);
    assert_true(file_size(d) > (off_t)WAL_SIZE);
    ld_store_close(&s);
    s = open_store(d, false);
    assert_int_equal(ld_store_wal_applied(s), 2600);
    ld_store_head(s, &head, NULL);
    assert_int_equal(head, next - 1);
    assert_true(head > lmdb_head);
    uint64_t bad;
    char why[128];
    assert_int_equal(ld_store_verify(s, &bad, why, sizeof why), 0);
    ld_store_close(&s);
    rm_store(d);
}

/* The writer back at the start of the file meets a record LMDB lacks: it
 * waits for LMDB rather than write over it (here the wait is cut short with
 * ld_store_wal_abort, as ladderd does when its LMDB writer fails), and
 * every record, of both laps, is recovered. */
static void test_wal_second_lap_waits_for_what_lmdb_lacks(void **state)
{
    (void)state;
    char *d = tmpdir();
    ld_store_t *s = open_store(d, true);
    /* lap 1: blocks 0..1020 written and in LMDB, 1021..1023 only logged */
    uint64_t next = wal_and_lmdb(s, 0, 1021, 1);
    uint64_t lmdb_head = next - 1;
    next = wal_only(s, 1021, 1024, next);
    /* lap 2 (past 4 MiB the writer goes back to 0): blocks 0..1019 */
    next = wal_only(s, 1024, 2044, next);
    assert_int_equal(file_size(d), WAL_SIZE);
    /* block 1020 holds LMDB's head, whose hash block 1021's chain names: it
     * is written over only once LMDB holds a later record (never here) */
    ld_store_wal_abort(s);
    treq_t t[3];
    ld_append_t apps[3];
    batch(t, apps, 2044, next);
    assert_int_equal(ld_store_wal_write(s, apps, 3), LD_EIO);
    uint64_t head;
    ld_store_head(s, &head, NULL);
    assert_int_equal(head, lmdb_head);
    ld_store_close(&s);
    s = open_store(d, false);
    assert_int_equal(ld_store_wal_applied(s), 1023);
    ld_store_head(s, &head, NULL);
    assert_int_equal(head, next - 1);
    uint64_t bad;
    char why[128];
    assert_int_equal(ld_store_verify(s, &bad, why, sizeof why), 0);
    ld_store_close(&s);
    rm_store(d);
}

/* A WAL in front of LMDB needs LMDB fully synced behind it (DESIGN.md: a
 * nosync LMDB may reuse pages its last durable meta page points to). */
static void test_wal_refuses_lmdb_without_full_sync(void **state)
{
    (void)state;
    char *d = tmpdir();
    ld_store_options_t o = {.durability = LD_DURABILITY_NOMETASYNC, .wal = true};
    ld_store_t *s = NULL;
    char err[256];
    assert_int_equal(ld_store_open(&s, d, &o, err, sizeof err), LD_EINVAL);
    assert_non_null(strstr(err, "full durability"));
    rm_store(d);
}

/* ------------------------------------------------- through ladderd -- */

static daemon_t D;
static const char *const WAL[] = {"--clock", "manual", "--durability", "wal", NULL};

/* A request of one Hire of emp (name varies the commands) with id rid. */
static size_t pack_hire(uint8_t *buf, size_t cap, const char *rid, const char *emp,
                        const char *name)
{
    Ladder__V1__Hire h = LADDER__V1__HIRE__INIT;
    h.employee_id = (char *)emp, h.name = (char *)name, h.team = "t", h.centre = "c";
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT, *cs[1] = {&c};
    c.cmd_case = LADDER__V1__COMMAND__CMD_HIRE;
    c.hire = &h;
    Ladder__V1__Principal p = LADDER__V1__PRINCIPAL__INIT;
    p.id = "boss", p.roles = LADDER__V1__ROLE__ROLE_MANAGER;
    Ladder__V1__Request req = LADDER__V1__REQUEST__INIT;
    req.request_id = (ProtobufCBinaryData){strlen(rid), (uint8_t *)rid};
    req.principal = &p;
    req.n_commands = 1;
    req.commands = cs;
    size_t n = ladder__v1__request__get_packed_size(&req);
    assert_true(n <= cap);
    return ladder__v1__request__pack(&req, buf);
}

/* Sends n hires with ids prefix-NNNNN at once (pipelined, many to a batch),
 * then reads the replies until n or none for 10 s: seq[i] of id i (0 when
 * refused or unanswered, code[i] why). Returns the replies read. */
static int hires_some(const char *prefix, int n, const char *name, uint64_t *seq,
                      uint32_t *code)
{
    uint8_t buf[512];
    char rid[32], emp[32];
    for (int i = 0; i < n; i++) {
        snprintf(rid, sizeof rid, "%s-%05d", prefix, i);
        snprintf(emp, sizeof emp, "%s%d", prefix, i);
        size_t len = pack_hire(buf, sizeof buf, rid, emp, name);
        assert_int_equal(zmq_send(D.dealer, "", 0, ZMQ_SNDMORE), 0);
        assert_int_equal(zmq_send(D.dealer, buf, len, 0), (int)len);
    }
    for (int got = 0; got < n; got++) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        do {
            zmq_msg_close(&m);
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, D.dealer, 0) < 0) {
                zmq_msg_close(&m);
                return got;
            }
        } while (zmq_msg_more(&m));
        Ladder__V1__Reply *r = ladder__v1__reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
        zmq_msg_close(&m);
        assert_non_null(r);
        char id[32];
        snprintf(id, sizeof id, "%.*s", (int)r->request_id.len, (const char *)r->request_id.data);
        int i = atoi(id + strlen(prefix) + 1);
        assert_true(i >= 0 && i < n);
        seq[i] = 0, code[i] = 0;
        if (r->outcome_case == LADDER__V1__REPLY__OUTCOME_OK) {
            assert_int_equal(r->ok->n_seqs, 1);
            seq[i] = r->ok->seqs[0];
        } else {
            code[i] = r->error->code;
        }
        ladder__v1__reply__free_unpacked(r, NULL);
    }
    return n;
}

/* Replies went missing: ladderd's log says why (a sanitizer's report, an
 * exit), which a CI run otherwise loses with the test's directory. */
static void log_tail(void)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "tail -n 30 %s/ladderd.log >&2", D.dir);
    if (system(cmd) != 0)
        print_error("no ladderd.log in %s\n", D.dir);
}

/* hires_some, every reply required. */
static void hires(const char *prefix, int n, const char *name, uint64_t *seq, uint32_t *code)
{
    memset(seq, 0, (size_t)n * sizeof *seq);
    int got = hires_some(prefix, n, name, seq, code);
    if (got != n) {
        log_tail();
        fail_msg("%s: replies %d of %d, then none for 10 s", prefix, got, n);
    }
}

/* Every id prefix-i is in the store (read beside ladderd, read-only) with
 * the seq it was acknowledged with; returns how many. */
static int ids_in_store(const char *prefix, int n, const uint64_t *seq)
{
    char data[300];
    snprintf(data, sizeof data, "%s/data", D.dir);
    ld_store_options_t o = {.read_only = true};
    ld_store_t *s = NULL;
    char err[256];
    if (ld_store_open(&s, data, &o, err, sizeof err))
        fail_msg("read-only open: %s", err);
    int found = 0;
    for (int i = 0; i < n; i++) {
        char rid[32];
        uint8_t key[LD_REQUEST_KEY_MAX];
        int rl = snprintf(rid, sizeof rid, "%s-%05d", prefix, i);
        size_t kl = ld_store_request_key(key, "boss", (const uint8_t *)rid, (size_t)rl);
        uint64_t first;
        uint32_t count;
        if (ld_store_request_get(s, key, kl, &first, &count, NULL) == 0) {
            assert_int_equal(first, seq[i]);
            found++;
        }
    }
    ld_store_close(&s);
    return found;
}

/* Issue 12 + §12 + "every acknowledged request survives kill -9", with the
 * write-ahead log: 3 000 pipelined hires, each acknowledged, then ladderd is
 * killed at once (L may not have written the last batches into LMDB), three
 * times over. After each restart every id is answered with the seq it got
 * (a duplicate, nothing decided again), the same ids with other commands are
 * refused (ERR_ID_REUSED), and after a clean stop every id is in LMDB. */
static void test_s12_wal_acked_ids_survive_kill_9(void **state)
{
    (void)state;
    enum { N = 3000 };
    static uint64_t first[3][N], again[N];
    static uint32_t code[N];
    const char *prefix[3] = {"k9a", "k9b", "k9c"};
    d_open(&D, "wal", WAL);
    int before_restart = 0;
    for (int round = 0; round < 3; round++) {
        hires(prefix[round], N, "Wu", first[round], code);
        for (int i = 0; i < N; i++)
            if (!first[round][i])
                fail_msg("%s-%05d refused (code %u)", prefix[round], i, code[i]);
        assert_int_equal(d_stop(&D, SIGKILL) & 0x7f, SIGKILL);
        before_restart += ids_in_store(prefix[round], N, first[round]);
        d_start(&D, WAL);
        assert_true(d_ready(&D));
        for (int r = 0; r <= round; r++) {
            hires(prefix[r], N, "Wu", again, code);
            for (int i = 0; i < N; i++)
                if (again[i] != first[r][i])
                    fail_msg("%s-%05d: answered seq %llu after kill -9, first %llu (code %u)",
                             prefix[r], i, (unsigned long long)again[i],
                             (unsigned long long)first[r][i], code[i]);
        }
        hires(prefix[round], N, "Other", again, code);
        for (int i = 0; i < N; i++)
            assert_int_equal(code[i], LADDER__V1__ERROR_CODE__ERR_ID_REUSED);
    }
    print_message("ids in LMDB at the kill: %d of %d (the rest came from the write-ahead log)\n",
                  before_restart, 3 * N);
    assert_int_equal(WEXITSTATUS(d_stop(&D, SIGTERM)), 0);
    for (int round = 0; round < 3; round++)
        assert_int_equal(ids_in_store(prefix[round], N, first[round]), N);
    assert_int_equal(d_remove(&D), 0);
}

/* §12 while LMDB lags: ids sent again at once, while their batches are being
 * logged or are acknowledged but not yet in LMDB, are answered with their
 * first seq (or, while their record is being written, ERR_CONFLICT "being
 * committed"); none is decided a second time. */
static void test_s12_wal_resent_ids_are_duplicates_before_lmdb_has_them(void **state)
{
    (void)state;
    enum { N = 2000 };
    static uint64_t first[N], again[N];
    static uint32_t code[N], code2[N];
    d_open(&D, "wal", WAL);
    uint8_t buf[512];
    char rid[32], emp[32];
    /* the first sending and the second interleaved: both pipelined */
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < N; i++) {
            snprintf(rid, sizeof rid, "dup-%05d", i);
            snprintf(emp, sizeof emp, "dup%d", i);
            size_t len = pack_hire(buf, sizeof buf, rid, emp, "Wu");
            assert_int_equal(zmq_send(D.dealer, "", 0, ZMQ_SNDMORE), 0);
            assert_int_equal(zmq_send(D.dealer, buf, len, 0), (int)len);
        }
    int conflicts = 0;
    memset(first, 0, sizeof first);
    for (int got = 0; got < 2 * N; got++) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        do {
            zmq_msg_close(&m);
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, D.dealer, 0) < 0) {
                log_tail();
                fail_msg("reply %d: none", got);
            }
        } while (zmq_msg_more(&m));
        Ladder__V1__Reply *r = ladder__v1__reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
        zmq_msg_close(&m);
        assert_non_null(r);
        char id[32];
        snprintf(id, sizeof id, "%.*s", (int)r->request_id.len, (const char *)r->request_id.data);
        int i = atoi(id + 4);
        if (r->outcome_case == LADDER__V1__REPLY__OUTCOME_OK) {
            assert_int_equal(r->ok->n_seqs, 1);
            if (first[i] && first[i] != r->ok->seqs[0])
                fail_msg("%s decided twice: seqs %llu and %llu", id,
                         (unsigned long long)first[i], (unsigned long long)r->ok->seqs[0]);
            first[i] = r->ok->seqs[0];
        } else {
            assert_int_equal(r->error->code, LADDER__V1__ERROR_CODE__ERR_CONFLICT);
            conflicts++;
        }
        ladder__v1__reply__free_unpacked(r, NULL);
    }
    for (int i = 0; i < N; i++)
        assert_true(first[i] > 0);
    /* and once all is in LMDB, the same again: every one a duplicate */
    hires("dup", N, "Wu", again, code);
    assert_memory_equal(again, first, sizeof first);
    hires("dup", N, "Other", again, code2);
    for (int i = 0; i < N; i++)
        assert_int_equal(code2[i], LADDER__V1__ERROR_CODE__ERR_ID_REUSED);
    print_message("second sendings answered ERR_CONFLICT while being logged: %d of %d\n",
                  conflicts, N);
    assert_int_equal(d_remove(&D), 0);
}

/* A SUB socket on D's updates with these n topics, returned once ladderd
 * counts them (Stats.subscriptions: its XPUB has applied them), so no
 * update of a command sent next can be missed; 5 s receive timeout. */
static void *subscribe(const char *const *topics, int n)
{
    void *sub = zmq_socket(D.zctx, ZMQ_SUB);
    int linger = 0, tmo = 5000;
    zmq_setsockopt(sub, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(sub, ZMQ_RCVTIMEO, &tmo, sizeof tmo);
    for (int i = 0; i < n; i++)
        zmq_setsockopt(sub, ZMQ_SUBSCRIBE, topics[i], strlen(topics[i]));
    assert_int_equal(zmq_connect(sub, D.pub_ep), 0);
    Ladder__V1__Stats st = LADDER__V1__STATS__INIT;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_STATS;
    q.stats = &st;
    uint64_t subs = 0;
    for (int i = 0; i < 500 && subs < (uint64_t)n; i++) {
        Ladder__V1__Reply *r = d_query(&D, &q);
        assert_non_null(r);
        assert_int_equal(r->outcome_case, LADDER__V1__REPLY__OUTCOME_OK);
        subs = r->ok->stats->subscriptions;
        ladder__v1__reply__free_unpacked(r, NULL);
        if (subs < (uint64_t)n)
            usleep(10000);
    }
    assert_true(subs >= (uint64_t)n);
    return sub;
}

/* One command as "boss"; its reply must be OK. */
static void cmd_ok(Ladder__V1__Command *c, const char *what)
{
    Ladder__V1__Reply *r = d_cmd(&D, c);
    if (!r || r->outcome_case != LADDER__V1__REPLY__OUTCOME_OK)
        fail_msg("%s: %s", what, r && r->error ? r->error->message : "no reply");
    ladder__v1__reply__free_unpacked(r, NULL);
}

/* Finding 4 (walrev): in wal mode an evt.* update is published only once L
 * has written its event to LMDB, so its stream_version is the one LMDB
 * stores (it was 0: versions are assigned when LMDB is written, after W's
 * ack). One employee's stream gets a hire and five adjustments, each
 * acknowledged by W before L writes it: the updates carry versions 1..6, in
 * order, and a read of the stream returns the same seqs and versions. */
static void test_s1_wal_evt_updates_carry_the_stream_version_lmdb_stores(void **state)
{
    (void)state;
    enum { N = 6 };
    d_open(&D, "wal", WAL);
    void *sub = subscribe((const char *[]){"evt."}, 1);
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    Ladder__V1__Hire h = LADDER__V1__HIRE__INIT;
    h.employee_id = "sv1", h.name = "Wu", h.team = "t", h.centre = "c";
    c.cmd_case = LADDER__V1__COMMAND__CMD_HIRE, c.hire = &h;
    cmd_ok(&c, "hire");
    Ladder__V1__AdjustPoints a = LADDER__V1__ADJUST_POINTS__INIT;
    a.employee_id = "sv1", a.reason = "test";
    c.cmd_case = LADDER__V1__COMMAND__CMD_ADJUST_POINTS, c.adjust_points = &a;
    for (int i = 1; i < N; i++) {
        a.amount = i;
        cmd_ok(&c, "adjust");
    }
    char stream[N][64];
    uint64_t seq[N], ver[N];
    for (int k = 0; k < N; k++) {
        char topic[64];
        int n = zmq_recv(sub, topic, sizeof topic - 1, 0);
        if (n < 0)
            fail_msg("evt.* update %d: none within 5 s", k);
        zmq_msg_t m;
        zmq_msg_init(&m);
        assert_true(zmq_msg_recv(&m, sub, 0) >= 0);
        Ladder__V1__Update *u = ladder__v1__update__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
        zmq_msg_close(&m);
        assert_non_null(u);
        assert_int_equal(u->payload_case, LADDER__V1__UPDATE__PAYLOAD_EVENT);
        snprintf(stream[k], sizeof stream[k], "%s", u->event->stream);
        seq[k] = u->event->seq;
        ver[k] = u->event->stream_version;
        ladder__v1__update__free_unpacked(u, NULL);
        assert_string_equal(stream[k], stream[0]); /* all of the employee's stream */
        if (ver[k] != (uint64_t)k + 1)
            fail_msg("evt.* update %d (seq %llu, %s): stream_version %llu, want %d", k,
                     (unsigned long long)seq[k], stream[k], (unsigned long long)ver[k], k + 1);
    }
    zmq_close(sub);
    /* the stream's history (the read waits for L) says the same */
    Ladder__V1__ReadEvents re = LADDER__V1__READ_EVENTS__INIT;
    re.stream = stream[0], re.from_seq = 1, re.max = 100;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_READ_EVENTS;
    q.read_events = &re;
    Ladder__V1__Reply *r = d_query(&D, &q);
    assert_non_null(r);
    assert_int_equal(r->outcome_case, LADDER__V1__REPLY__OUTCOME_OK);
    assert_int_equal(r->ok->events->n_events, N);
    for (int k = 0; k < N; k++) {
        assert_int_equal(r->ok->events->events[k]->seq, seq[k]);
        assert_int_equal(r->ok->events->events[k]->stream_version, ver[k]);
    }
    ladder__v1__reply__free_unpacked(r, NULL);
    assert_int_equal(WEXITSTATUS(d_stop(&D, SIGTERM)), 0);
    assert_int_equal(d_remove(&D), 0);
}

/* walrev3 finding 2: in wal mode a board update never goes out before the
 * evt.* updates of the events it reflects. Acknowledged batches publish
 * when L has written them (up to LD_LMDB_EVERY_MS + an LMDB commit after
 * the ack); a board round between two commands (none collecting or being
 * written) sent its top 10 at once, showing points whose events were
 * still unpublished. 300 adjustments of +1 one after the other, 3 ms apart
 * (over 1 s: ten board rounds or more), and at each board.all/org update
 * the points it shows are at most those of the evt.* updates received. */
static void test_s9_wal_board_updates_follow_the_events_they_show(void **state)
{
    (void)state;
    enum { N = 300 };
    d_open(&D, "wal", WAL);
    void *sub = subscribe((const char *[]){"evt.", "board.all/org"}, 2);
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    Ladder__V1__Hire h = LADDER__V1__HIRE__INIT;
    h.employee_id = "bo1", h.name = "Wu", h.team = "t", h.centre = "c";
    c.cmd_case = LADDER__V1__COMMAND__CMD_HIRE, c.hire = &h;
    cmd_ok(&c, "hire");
    Ladder__V1__AdjustPoints a = LADDER__V1__ADJUST_POINTS__INIT;
    a.employee_id = "bo1", a.reason = "test";
    c.cmd_case = LADDER__V1__COMMAND__CMD_ADJUST_POINTS, c.adjust_points = &a;
    for (int i = 1; i <= N; i++) {
        a.amount = 1;
        cmd_ok(&c, "adjust");
        usleep(3000); /* the board timer fires between commands too */
    }
    /* every update until the last adjustment's evt.* (seq N + 1) */
    uint64_t evt_max = 0;
    int64_t seen = 0; /* points of the evt.* updates received */
    int boards = 0, early = 0;
    while (evt_max < N + 1) {
        char topic[64];
        int n = zmq_recv(sub, topic, sizeof topic - 1, 0);
        if (n < 0)
            fail_msg("updates stopped at evt seq %llu", (unsigned long long)evt_max);
        zmq_msg_t m;
        zmq_msg_init(&m);
        assert_true(zmq_msg_recv(&m, sub, 0) >= 0);
        Ladder__V1__Update *u = ladder__v1__update__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
        zmq_msg_close(&m);
        assert_non_null(u);
        if (u->payload_case == LADDER__V1__UPDATE__PAYLOAD_EVENT) {
            evt_max = u->event->seq > evt_max ? u->event->seq : evt_max;
            if (u->event->body_case == LADDER__V1__EVENT__BODY_POINTS_ADJUSTED)
                seen += u->event->points_adjusted->amount;
        } else {
            assert_int_equal(u->payload_case, LADDER__V1__UPDATE__PAYLOAD_BOARD);
            boards++;
            assert_true(u->board->n_rows >= 1);
            int64_t shown = u->board->rows[0]->points;
            if (u->seq > evt_max || shown > seen) {
                early++;
                print_message("board update (seq %llu, %lld points) before its events "
                              "(last evt.* seq %llu, %lld points)\n", (unsigned long long)u->seq,
                              (long long)shown, (unsigned long long)evt_max, (long long)seen);
            }
        }
        ladder__v1__update__free_unpacked(u, NULL);
    }
    zmq_close(sub);
    print_message("%d board updates, %d before the events they show\n", boards, early);
    assert_true(boards >= 5);
    assert_int_equal(early, 0);
    assert_int_equal(WEXITSTATUS(d_stop(&D, SIGTERM)), 0);
    assert_int_equal(d_remove(&D), 0);
}

/* ld_store_open of dir (a writer) fails with LD_ECORRUPT and a message
 * holding want. */
static void open_refused(const char *dir, const char *want)
{
    ld_store_options_t o = {.durability = LD_DURABILITY_FULL};
    ld_store_t *s = NULL;
    char err[512] = "";
    int rc = ld_store_open(&s, dir, &o, err, sizeof err);
    if (rc == 0) {
        uint64_t head;
        ld_store_head(s, &head, NULL);
        ld_store_close(&s);
        fail_msg("opened (head %llu); want a refusal naming \"%s\"",
                 (unsigned long long)head, want);
    }
    assert_int_equal(rc, LD_ECORRUPT);
    if (!strstr(err, want))
        fail_msg("error \"%s\" does not name \"%s\"", err, want);
    print_message("refused: %s\n", err);
}

/* Copies block from of wal file a over block to of wal file b. */
static void copy_block(const char *a, size_t from, const char *b, size_t to)
{
    char p[512];
    size_t la, lb;
    snprintf(p, sizeof p, "%s/wal", a);
    uint8_t *x = read_all(p, &la);
    snprintf(p, sizeof p, "%s/wal", b);
    uint8_t *y = read_all(p, &lb);
    assert_true((from + 1) * WAL_ALIGN <= la && (to + 1) * WAL_ALIGN <= lb);
    memcpy(y + to * WAL_ALIGN, x + from * WAL_ALIGN, WAL_ALIGN);
    write_all(p, y, lb);
    free(x), free(y);
}

/* A valid record past LMDB's head left unapplied (the one before it lost:
 * here zeroed) may hold acknowledged requests: the open refuses, naming its
 * seqs, instead of starting without them (walrev finding 2). */
static void test_s12_wal_unapplied_record_past_head_refuses_open(void **state)
{
    (void)state;
    char *d = tmpdir();
    ld_store_t *s = open_store(d, true);
    wal_only(s, 0, 3, 1); /* blocks 0, 1, 2: seqs 1..6, 7..12, 13..18 */
    ld_store_close(&s);
    char p[512];
    snprintf(p, sizeof p, "%s/wal", d);
    size_t len;
    uint8_t *w = read_all(p, &len);
    memset(w + WAL_ALIGN, 0, WAL_ALIGN);
    write_all(p, w, len);
    free(w);
    open_refused(d, "seqs 13..18 (LMDB's head 6) is past LMDB's head and cannot be applied");
    rm_store(d);
}

/* Two valid records claiming the same first seq (one from a copy of the
 * store, its log gone another way): the open refuses rather than pick one
 * by its place in the file. */
static void test_wal_two_records_of_one_seq_refuse_open(void **state)
{
    (void)state;
    char *d = tmpdir(), *d2 = tmpdir();
    ld_store_t *s = open_store(d, true);
    wal_only(s, 0, 1, 1); /* seqs 1..6 */
    ld_store_close(&s);
    clone_lmdb(d, d2);
    s = open_store(d2, true);
    treq_t t;
    treq_init(&t, 77, 2, 1); /* seqs 1..2, other events */
    assert_int_equal(ld_store_wal_write(s, &t.app, 1), 0);
    ld_store_close(&s);
    copy_block(d2, 0, d, 1);
    open_refused(d, "is claimed by two records");
    rm_store(d), rm_store(d2);
}

/* A record that starts at LMDB's head + 1 but was written after another
 * history (a copy of the store that went another way, same seqs): its chain
 * names neither LMDB's head nor the record holding it, and the open refuses. */
static void test_wal_record_of_another_history_does_not_chain(void **state)
{
    (void)state;
    char *d = tmpdir(), *d2 = tmpdir();
    ld_store_t *s = open_store(d, true);
    ld_store_close(&s);
    clone_lmdb(d, d2); /* empty, the same "walkey" */
    s = open_store(d, true);
    uint64_t next = wal_and_lmdb(s, 0, 1, 1); /* seqs 1..6 in LMDB */
    ld_store_close(&s);
    s = open_store(d2, true);
    treq_t t;
    treq_init(&t, 77, 6, 1); /* seqs 1..6, other events, in LMDB */
    assert_int_equal(ld_store_wal_write(s, &t.app, 1), 0);
    assert_int_equal(ld_store_append(s, &t.app, 1), 0);
    wal_only(s, 1, 2, next); /* seqs 7..12 after d2's history */
    ld_store_close(&s);
    copy_block(d2, 1, d, 1);
    open_refused(d, "seqs 7..12 (LMDB's head 6) does not chain on LMDB's head");
    rm_store(d), rm_store(d2);
}

/* walrev2, low: a record is bound to its store. Two new stores have the
 * same (empty) head, so a record of the other's log chains on this one's
 * head; keyed with the other store's "walkey", it never verifies here: the
 * writer's open applies nothing and a read-only open counts nothing. */
static void test_wal_record_of_another_store_is_never_applied(void **state)
{
    (void)state;
    char *d = tmpdir(), *d2 = tmpdir();
    ld_store_t *s = open_store(d, true);
    ld_store_close(&s);
    s = open_store(d2, true);
    wal_only(s, 0, 1, 1); /* seqs 1..6, in d2's log only */
    ld_store_close(&s);
    copy_block(d2, 0, d, 0);
    ld_store_options_t ro = {.read_only = true};
    char err[256];
    assert_int_equal(ld_store_open(&s, d, &ro, err, sizeof err), 0);
    uint64_t last = 99;
    assert_int_equal(ld_store_wal_unapplied(s, &last), 0);
    ld_store_close(&s);
    s = open_store(d, false);
    uint64_t head = 99;
    ld_store_head(s, &head, NULL);
    assert_int_equal(head, 0);
    assert_int_equal(ld_store_wal_applied(s), 0);
    ld_store_close(&s);
    /* d2 itself still applies it: the record is intact */
    s = open_store(d2, false);
    ld_store_head(s, &head, NULL);
    assert_int_equal(head, 6);
    ld_store_close(&s);
    rm_store(d), rm_store(d2);
}

/* walrev3 finding 3: a record this store cannot verify, past LMDB's head,
 * may hold acknowledged requests (e.g. a round-5 "LDWAL01" log left by
 * kill -9, or a log whose store lost its "walkey"): every open refuses,
 * naming the file and what to do, instead of ignoring it (and a writer
 * then writing over it). */
static void test_s12_wal_unverifiable_record_refuses_open(void **state)
{
    (void)state;
    char *d = tmpdir(), *d2 = tmpdir(), p[512], p2[512];
    ld_store_t *s = open_store(d, false); /* no "walkey" */
    ld_store_close(&s);
    s = open_store(d2, true);
    wal_only(s, 0, 1, 1); /* seqs 1..6, in d2's log only */
    ld_store_close(&s);
    snprintf(p, sizeof p, "%s/wal", d);
    snprintf(p2, sizeof p2, "%s/wal", d2);
    copy_file(p2, p);
    open_refused(d, "cannot verify (store meta \"walkey\" is missing)");
    open_refused(d, "move ");
    ld_store_options_t ro = {.read_only = true};
    char err[512] = "";
    assert_int_equal(ld_store_open(&s, d, &ro, err, sizeof err), LD_ECORRUPT);
    assert_non_null(strstr(err, p));
    /* another version's record in a store with a key */
    size_t len;
    uint8_t *w = read_all(p2, &len);
    w[6] = '1';
    write_all(p2, w, len);
    free(w);
    open_refused(d2, "holds a LDWAL01 record (seqs 1..6, LMDB's head 0) that this version "
                     "cannot read");
    /* one whose seqs LMDB already holds loses nothing: the open goes on */
    char *d3 = tmpdir();
    snprintf(p, sizeof p, "%s/wal", d3);
    s = open_store(d3, true);
    wal_and_lmdb(s, 0, 1, 1); /* seqs 1..6, in the log and LMDB */
    ld_store_close(&s);
    w = read_all(p, &len);
    w[6] = '1';
    write_all(p, w, len);
    free(w);
    s = open_store(d3, false);
    uint64_t head = 0;
    ld_store_head(s, &head, NULL);
    assert_int_equal(head, 6);
    ld_store_close(&s);
    rm_store(d), rm_store(d2), rm_store(d3);
}

/* Runs cmd (a shell line) with stdout and stderr into out; its exit code. */
static int run(const char *cmd, char *out, size_t cap)
{
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    size_t n = fread(out, 1, cap - 1, f);
    out[n] = 0;
    int st = pclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A store whose LMDB holds seqs 1..6 and whose log holds 7..18 too (ladderd
 * killed before L wrote them): the acknowledged log is reference(3)'s. */
static char *store_with_log_ahead(void)
{
    char *d = tmpdir();
    ld_store_t *s = open_store(d, true);
    uint64_t next = wal_and_lmdb(s, 0, 1, 1);
    wal_only(s, 1, 3, next);
    ld_store_close(&s);
    return d;
}

/* The backup file f opened read-only (copied into a new directory). */
static ld_store_t *open_backup(const char *f, char **dir)
{
    *dir = tmpdir();
    char p[512];
    snprintf(p, sizeof p, "%s/data.mdb", *dir);
    copy_file(f, p);
    ld_store_options_t o = {.read_only = true};
    ld_store_t *s = NULL;
    char err[256];
    if (ld_store_open(&s, *dir, &o, err, sizeof err))
        fail_msg("open of the backup: %s", err);
    return s;
}

/* Finding 3 (walrev): `ladderctl backup` of a directory ladderd is not
 * running on holds every acknowledged request, the ones only in DIR/wal too
 * (applied to the copy, the source left as it is); while ladderd runs (here:
 * its flock held) the copy is what LMDB holds, as documented. */
static void test_s12_wal_offline_backup_holds_records_only_in_the_log(void **state)
{
    (void)state;
    char *d = store_with_log_ahead(), *ref = reference(3), *r = NULL;
    char cmd[1200], out[4096], f[512];
    snprintf(f, sizeof f, "%s.b1.mdb", d);
    snprintf(cmd, sizeof cmd, "%s backup --data %s --to %s 2>&1", LADDERCTL, d, f);
    int rc = run(cmd, out, sizeof out);
    if (rc)
        fail_msg("backup exited %d: %s", rc, out);
    if (!strstr(out, "18 events") ||
        !strstr(out, "2 acknowledged record(s) of") || !strstr(out, "/wal not yet in its LMDB"))
        fail_msg("backup said: %s", out);
    ld_store_t *s = open_backup(f, &r);
    assert_same_log(s, ref, 18);
    ld_store_close(&s);
    rm_store(r);
    unlink(f);
    /* the source is untouched: LMDB at 6, the log still ahead */
    ld_store_options_t o = {.read_only = true};
    char err[256];
    assert_int_equal(ld_store_open(&s, d, &o, err, sizeof err), 0);
    uint64_t head, last;
    ld_store_head(s, &head, NULL);
    assert_int_equal(head, 6);
    assert_int_equal(ld_store_wal_unapplied(s, &last), 2);
    assert_int_equal(last, 18);
    ld_store_close(&s);

    /* "ladderd" running: the copy is LMDB's */
    char lp[512];
    snprintf(lp, sizeof lp, "%s/lock", d);
    int lfd = open(lp, O_RDWR | O_CREAT, 0640);
    assert_true(lfd >= 0);
    assert_int_equal(flock(lfd, LOCK_EX | LOCK_NB), 0);
    rc = run(cmd, out, sizeof out);
    close(lfd);
    if (rc)
        fail_msg("backup beside ladderd exited %d: %s", rc, out);
    assert_non_null(strstr(out, " 6 events"));
    assert_null(strstr(out, "acknowledged record(s) of"));
    s = open_backup(f, &r);
    ld_store_head(s, &head, NULL);
    assert_int_equal(head, 6);
    ld_store_close(&s);
    rm_store(r);
    unlink(f);
    rm_store(d), rm_store(ref);
}

/* walrev3 finding 5: when DIR/lock cannot be opened (here a symlink loop)
 * backup cannot tell whether ladderd runs: it fails naming the file and the
 * reason, and makes no backup (before, it took that for "no ladderd"). */
static void test_wal_backup_fails_when_dir_lock_cannot_be_opened(void **state)
{
    (void)state;
    char *d = store_with_log_ahead();
    char cmd[1200], out[4096], f[512], lp[512], want[700];
    snprintf(lp, sizeof lp, "%s/lock", d);
    unlink(lp);
    assert_int_equal(symlink("lock", lp), 0);
    snprintf(f, sizeof f, "%s.b2.mdb", d);
    snprintf(cmd, sizeof cmd, "%s backup --data %s --to %s 2>&1", LADDERCTL, d, f);
    int rc = run(cmd, out, sizeof out);
    snprintf(want, sizeof want, "ladderctl: backup: cannot open %s/lock to tell whether ladderd "
             "runs on %s: %s", d, d, strerror(ELOOP));
    if (rc == 0 || !strstr(out, want))
        fail_msg("backup exited %d: %s", rc, out);
    struct stat st;
    assert_int_not_equal(stat(f, &st), 0);
    rm_store(d);
}

/* walrev3 finding 5: while an offline backup/reader holds its shared flock
 * on DIR/lock, a writer's open (ladderd's start) names that, not the PID
 * left in the file by the last ladderd. */
static void test_wal_start_beside_an_offline_reader_names_it(void **state)
{
    (void)state;
    char *d = tmpdir(), lp[512];
    ld_store_t *s = open_store(d, true);
    ld_store_close(&s);
    snprintf(lp, sizeof lp, "%s/lock", d);
    int lfd = open(lp, O_RDWR);
    assert_true(lfd >= 0);
    assert_int_equal(ftruncate(lfd, 0), 0);
    assert_int_equal(pwrite(lfd, "424242\n", 7, 0), 7);
    assert_int_equal(flock(lfd, LOCK_SH | LOCK_NB), 0);
    ld_store_options_t o = {.durability = LD_DURABILITY_FULL, .wal = true};
    char err[512] = "";
    assert_int_equal(ld_store_open(&s, d, &o, err, sizeof err), LD_EBUSY);
    if (!strstr(err, "is held by an offline backup/reader") || strstr(err, "424242"))
        fail_msg("open beside a reader: %s", err);
    /* an exclusive holder (a running ladderd) is still named by its PID */
    assert_int_equal(flock(lfd, LOCK_EX | LOCK_NB), 0);
    assert_int_equal(ld_store_open(&s, d, &o, err, sizeof err), LD_EBUSY);
    if (!strstr(err, "in use by PID 424242"))
        fail_msg("open beside a writer: %s", err);
    close(lfd);
    rm_store(d);
}

/* Finding 3 (walrev): `ladderctl what-if` (a read-only open) warns on stderr
 * when the log holds acknowledged records its LMDB lacks. */
static void test_wal_whatif_warns_of_records_only_in_the_log(void **state)
{
    (void)state;
    char *d = store_with_log_ahead();
    char cmd[1200], out[8192], want[600];
    snprintf(cmd, sizeof cmd,
             "echo '{\"retention\":{\"points\":400}}' | %s what-if - --data %s 2>&1 >/dev/null",
             LADDERCTL, d);
    run(cmd, out, sizeof out);
    snprintf(want, sizeof want, "ladderctl: what-if: warning: %s/wal holds 2 acknowledged "
             "record(s) past LMDB's head 6 (up to seq 18), not seen here; start ladderd once "
             "to apply them", d);
    if (!strstr(out, want))
        fail_msg("what-if's stderr: %s", out);
    /* walrev3 finding 4: with ladderd running (its flock on DIR/lock held)
     * L is applying them: no advice to start it */
    char lp[512];
    snprintf(lp, sizeof lp, "%s/lock", d);
    int lfd = open(lp, O_RDWR | O_CREAT, 0640);
    assert_true(lfd >= 0);
    assert_int_equal(flock(lfd, LOCK_EX | LOCK_NB), 0);
    run(cmd, out, sizeof out);
    snprintf(want, sizeof want, "ladderctl: what-if: note: %s/wal holds 2 acknowledged "
             "record(s) past LMDB's head 6 (up to seq 18), not seen here; ladderd is running; "
             "LMDB trails the log by at most L's lag", d);
    if (!strstr(out, want) || strstr(out, "start ladderd once"))
        fail_msg("what-if's stderr beside ladderd: %s", out);
    snprintf(cmd, sizeof cmd, "%s verify --data %s 2>&1 >/dev/null", LADDERCTL, d);
    run(cmd, out, sizeof out);
    if (!strstr(out, "ladderd is running; LMDB trails the log") ||
        strstr(out, "start ladderd once"))
        fail_msg("verify's stderr beside ladderd: %s", out);
    close(lfd);
    rm_store(d);
}

/* A read-only open of d by a user who may read data.mdb but not wal
 * (EACCES; as root, in a child turned into "nobody"): 0 when it fails with
 * LD_EIO and a message naming the log and the reason. */
static int open_without_wal_access(const char *d)
{
    char p[512];
    snprintf(p, sizeof p, "%s/lock.mdb", d);
    unlink(p); /* a reader without it takes no lock (MDB_NOLOCK) */
    snprintf(p, sizeof p, "%s/data.mdb", d);
    assert_int_equal(chmod(p, 0644), 0);
    assert_int_equal(chmod(d, 0755), 0);
    snprintf(p, sizeof p, "%s/wal", d);
    bool root = geteuid() == 0;
    assert_int_equal(chmod(p, root ? 0600 : 0), 0);
    pid_t pid = root ? fork() : 0;
    assert_true(pid >= 0);
    if (pid > 0) {
        int st;
        assert_int_equal(waitpid(pid, &st, 0), pid);
        return WIFEXITED(st) ? WEXITSTATUS(st) : 99;
    }
    if (root && (setgid(65534) || setuid(65534)))
        _exit(98);
    ld_store_options_t o = {.read_only = true};
    ld_store_t *s = NULL;
    char err[512] = "";
    int rc = ld_store_open(&s, d, &o, err, sizeof err);
    bool ok = rc == LD_EIO && !s &&
              strstr(err, "/wal (it may hold acknowledged records not yet in LMDB): "
                          "Permission denied");
    if (!ok)
        fprintf(stderr, "read-only open without access to the log: rc %d, %s\n", rc, err);
    if (!root) { /* no child: this process */
        assert_int_equal(chmod(p, 0600), 0);
        return ok ? 0 : 1;
    }
    _exit(ok ? 0 : 1);
}

/* Finding 3 (walrev): a log that exists but cannot be opened is an error of
 * every read-only open (ladderctl verify, audit, what-if), not "no records":
 * it may hold acknowledged ones. EACCES (was taken for "no log") and a
 * symlink loop (ELOOP). */
static void test_wal_unreadable_log_fails_read_only_open(void **state)
{
    (void)state;
    char *d = store_with_log_ahead();
    assert_int_equal(open_without_wal_access(d), 0);
    char p[512], err[512];
    snprintf(p, sizeof p, "%s/wal", d);
    assert_int_equal(unlink(p), 0);
    assert_int_equal(symlink("wal", p), 0);
    ld_store_options_t o = {.read_only = true};
    ld_store_t *s = NULL;
    assert_int_equal(ld_store_open(&s, d, &o, err, sizeof err), LD_EIO);
    assert_null(s);
    if (!strstr(err, "/wal (it may hold acknowledged records not yet in LMDB): Too many levels"))
        fail_msg("open said: %s", err);
    char cmd[1200], out[4096];
    snprintf(cmd, sizeof cmd, "%s verify --data %s 2>&1", LADDERCTL, d);
    assert_int_not_equal(run(cmd, out, sizeof out), 0);
    assert_non_null(strstr(out, "may hold acknowledged records"));
    rm_store(d);
}

/* Read-only opens (ladderctl verify, audit, backup) do not apply the log:
 * they report the valid records past LMDB's head, which a writer's open
 * would apply (walrev finding 3). */
static void test_wal_read_only_open_reports_unapplied_records(void **state)
{
    (void)state;
    char *d = tmpdir();
    ld_store_t *s = open_store(d, true);
    uint64_t next = wal_and_lmdb(s, 0, 1, 1);
    next = wal_only(s, 1, 3, next); /* seqs 7..18 only in the log */
    ld_store_close(&s);
    ld_store_options_t o = {.read_only = true};
    char err[256];
    assert_int_equal(ld_store_open(&s, d, &o, err, sizeof err), 0);
    uint64_t last, head;
    assert_int_equal(ld_store_wal_unapplied(s, &last), 2);
    assert_int_equal(last, next - 1);
    ld_store_head(s, &head, NULL);
    assert_int_equal(head, 6);
    ld_store_close(&s);
    s = open_store(d, false); /* a writer applies them */
    ld_store_close(&s);
    assert_int_equal(ld_store_open(&s, d, &o, err, sizeof err), 0);
    assert_int_equal(ld_store_wal_unapplied(s, &last), 0);
    ld_store_close(&s);
    rm_store(d);
}

/* "Nothing acknowledged is lost": a W whose fdatasync fails (an injected
 * EIO, tests/failsync.c, in this process) leaves the file's state past the
 * last good record unknown; every later ld_store_wal_write must fail too,
 * never write a record over it and report it durable (walrev finding 1). */
static void test_wal_write_after_a_failed_one_fails(void **state)
{
    (void)state;
    char *d = tmpdir();
    setenv("LADDER_FAILSYNC_AT", "2", 1); /* 1: the file's zeros; 2: batch 0's record */
    ld_store_t *s = open_store(d, true);
    treq_t t[3], u[3];
    ld_append_t apps[3], apps2[3];
    uint64_t next = batch(t, apps, 0, 1);
    assert_int_equal(ld_store_wal_write(s, apps, 3), LD_EIO);
    batch(u, apps2, 1, next); /* decided on top of the failed one */
    assert_int_equal(ld_store_wal_write(s, apps2, 3), LD_EIO);
    unsetenv("LADDER_FAILSYNC_AT");
    assert_int_equal(ld_store_wal_write(s, apps2, 3), LD_EIO); /* sticky */
    ld_store_close(&s);
    rm_store(d);
}

/* d_open of a wal-mode ladderd with failsync.so preloaded and var=value in
 * its environment (this process's is as before). Under ASan (tools/test.sh's
 * second stage) the preloaded library comes before the ASan runtime: ladderd
 * is told that is expected (failsync.so wraps fdatasync only, no allocator). */
static void open_preloaded(const char *name, const char *var, const char *value)
{
    const char *asan = getenv("ASAN_OPTIONS");
    char *saved = asan ? strdup(asan) : NULL, opts[512];
    snprintf(opts, sizeof opts, "%s%sverify_asan_link_order=0", asan ? asan : "", asan ? ":" : "");
    setenv("ASAN_OPTIONS", opts, 1);
    setenv("LD_PRELOAD", FAILSYNC, 1);
    setenv(var, value, 1);
    d_open(&D, name, WAL);
    unsetenv("LD_PRELOAD");
    unsetenv(var);
    if (saved)
        setenv("ASAN_OPTIONS", saved, 1);
    else
        unsetenv("ASAN_OPTIONS");
    free(saved);
}

/* The same through ladderd under pipelined load (LD_PRELOAD=failsync.so:
 * the 5th fdatasync of DIR/wal fails): ladderd stops with exit code 3, and
 * after a restart every request it acknowledged is in the log with the seq
 * it was answered with; none is lost or decided again (walrev finding 1). */
static void test_s12_wal_failed_w_loses_no_acked_request(void **state)
{
    (void)state;
    enum { N = 6000 };
    static uint64_t first[N], again[N];
    static uint32_t code[N];
    open_preloaded("walfail", "LADDER_FAILSYNC_AT", "5");
    memset(first, 0, sizeof first);
    hires_some("f", N, "Wu", first, code);
    int acked = 0;
    for (int i = 0; i < N; i++)
        acked += first[i] != 0;
    int st = d_stop(&D, SIGKILL);
    print_message("acknowledged before the failed fdatasync: %d of %d\n", acked, N);
    assert_true(acked > 0 && acked < N);
    assert_true(WIFEXITED(st)); /* it stopped by itself */
    assert_int_equal(WEXITSTATUS(st), 3);
    d_start(&D, WAL);
    assert_true(d_ready(&D));
    hires("f", N, "Wu", again, code); /* re-sent: duplicates of what was acked */
    for (int i = 0; i < N; i++)
        if (first[i] && again[i] != first[i])
            fail_msg("f-%05d: acknowledged with seq %llu, after the restart %llu (code %u)", i,
                     (unsigned long long)first[i], (unsigned long long)again[i], code[i]);
    assert_int_equal(WEXITSTATUS(d_stop(&D, SIGTERM)), 0);
    assert_int_equal(d_remove(&D), 0);
}

/* §12 while L lags (LD_PRELOAD=failsync.so: every LMDB fdatasync takes
 * 300 ms): hires answered one by one, each sent again at once. A re-sent id
 * is answered from its acknowledged batch (acked_find) in a batch of no
 * events, which waits as LD_B_ACKED behind the unwritten batches (walrev3
 * finding 2) and goes to L with the next one. Every re-send gets its first
 * seq, LMDB catches up with every id, and ladderd stops cleanly. CI's ASan
 * stage lost 416 of 4 000 replies of the pipelined test above: ladderd had
 * died of UBSan ("null pointer passed as argument 2") at lmdb_start's copy
 * of such a batch's requests (none, and a slot that never held any: apps
 * NULL); this sequence made it die at the first L after the first one. */
static void test_s12_wal_duplicates_behind_a_lagging_lmdb_keep_ladderd_up(void **state)
{
    (void)state;
    enum { N = 12 };
    uint64_t first[N], again[1];
    uint32_t code[1];
    char prefix[N][16];
    open_preloaded("wallag", "LADDER_SLOWSYNC_MS", "300");
    for (int i = 0; i < N; i++) {
        snprintf(prefix[i], sizeof prefix[i], "lag%02d", i);
        hires(prefix[i], 1, "Wu", &first[i], code);
        if (!first[i])
            fail_msg("%s-00000 refused (code %u)", prefix[i], code[0]);
        hires(prefix[i], 1, "Wu", again, code); /* a duplicate: no events */
        if (again[0] != first[i])
            fail_msg("%s-00000 sent again: seq %llu, first %llu (code %u)", prefix[i],
                     (unsigned long long)again[0], (unsigned long long)first[i], code[0]);
    }
    int in_lmdb = 0;
    for (int tries = 0; tries < 100 && in_lmdb < N; tries++) {
        usleep(100000);
        in_lmdb = 0;
        for (int i = 0; i < N; i++)
            in_lmdb += ids_in_store(prefix[i], 1, &first[i]);
    }
    if (in_lmdb != N)
        log_tail();
    assert_int_equal(in_lmdb, N);
    int st = d_stop(&D, SIGTERM);
    if (!WIFEXITED(st) || WEXITSTATUS(st))
        log_tail();
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    assert_int_equal(d_remove(&D), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wal_read_only_open_reports_unapplied_records),
        cmocka_unit_test(test_wal_write_after_a_failed_one_fails),
        cmocka_unit_test(test_s12_wal_unapplied_record_past_head_refuses_open),
        cmocka_unit_test(test_wal_two_records_of_one_seq_refuse_open),
        cmocka_unit_test(test_wal_record_of_another_history_does_not_chain),
        cmocka_unit_test(test_wal_record_of_another_store_is_never_applied),
        cmocka_unit_test(test_s12_wal_unverifiable_record_refuses_open),
        cmocka_unit_test(test_s12_wal_failed_w_loses_no_acked_request),
        cmocka_unit_test(test_s12_wal_duplicates_behind_a_lagging_lmdb_keep_ladderd_up),
        cmocka_unit_test(test_s12_wal_records_are_recovered_into_lmdb),
        cmocka_unit_test(test_wal_torn_last_record_at_every_byte_is_ignored),
        cmocka_unit_test(test_wal_recovery_twice_is_recovery_once),
        cmocka_unit_test(test_wal_wraps_and_never_overwrites_what_lmdb_lacks),
        cmocka_unit_test(test_wal_second_lap_waits_for_what_lmdb_lacks),
        cmocka_unit_test(test_wal_refuses_lmdb_without_full_sync),
        cmocka_unit_test(test_s12_wal_acked_ids_survive_kill_9),
        cmocka_unit_test(test_s12_wal_resent_ids_are_duplicates_before_lmdb_has_them),
        cmocka_unit_test(test_s1_wal_evt_updates_carry_the_stream_version_lmdb_stores),
        cmocka_unit_test(test_s9_wal_board_updates_follow_the_events_they_show),
        cmocka_unit_test(test_s12_wal_offline_backup_holds_records_only_in_the_log),
        cmocka_unit_test(test_wal_whatif_warns_of_records_only_in_the_log),
        cmocka_unit_test(test_wal_backup_fails_when_dir_lock_cannot_be_opened),
        cmocka_unit_test(test_wal_start_beside_an_offline_reader_names_it),
        cmocka_unit_test(test_wal_unreadable_log_fails_read_only_open),
    };
    /* LADDER_TEST_FILTER=pattern runs the matching tests only (a loop on one) */
    const char *only = getenv("LADDER_TEST_FILTER");
    if (only && *only)
        cmocka_set_test_filter(only);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
