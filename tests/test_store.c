/* test_store.c — the LMDB event store (daemon/store*.c), including its anomaly
 * tests: a flipped byte anywhere, an unknown format, map growth, kill -9. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <lmdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store.h"
#include "wire.h"

/* ------------------------------------------------------------- helpers -- */

typedef struct {
    Ladder__V1__Event ev;
    Ladder__V1__PointsAwarded pa;
    char stream[64];
    char emp[32];
    char *ref;
} tev_t;

static void tev_init(tev_t *t, const char *emp, int64_t amount, const char *ref)
{
    ladder__v1__points_awarded__init(&t->pa);
    ladder__v1__event__init(&t->ev);
    snprintf(t->emp, sizeof t->emp, "%s", emp);
    snprintf(t->stream, sizeof t->stream, "emp/%s", emp);
    t->pa.employee_id = t->emp;
    t->pa.amount = amount;
    t->pa.source = LADDER__V1__POINT_SOURCE__P12_ADJUSTMENT;
    t->pa.ref = (char *)(ref ? ref : "");
    t->ev.stream = t->stream;
    t->ev.at_ms = 1700000000000 + amount;
    t->ev.actor = "tester";
    t->ev.body_case = LADDER__V1__EVENT__BODY_POINTS_AWARDED;
    t->ev.points_awarded = &t->pa;
}

static char *tmpdir(void)
{
    char *d = strdup("/tmp/ladder-test-store-XXXXXX");
    assert_non_null(mkdtemp(d));
    return d;
}

static void rmdir_all(char *d)
{
    char p[512];
    snprintf(p, sizeof p, "%s/data.mdb", d);
    unlink(p);
    snprintf(p, sizeof p, "%s/lock.mdb", d);
    unlink(p);
    snprintf(p, sizeof p, "%s/lock", d);
    unlink(p);
    rmdir(d);
    free(d);
}

static uint64_t index_every; /* 0: the default; tests set it small */
static uint8_t digest_byte;  /* the digest append_req gives its request */

static ld_store_t *open_store(const char *dir, ld_durability_t d, size_t map)
{
    ld_store_options_t o = {.durability = d, .map_size = map, .index_every = index_every};
    ld_store_t *s = NULL;
    char err[256];
    int rc = ld_store_open(&s, dir, &o, err, sizeof err);
    if (rc)
        fail_msg("open: %s (%s)", err, ld_strerror(rc));
    return s;
}

/* The requests-index key of a test request id, sent by principal "t". */
static const uint8_t *key_of(const char *rid)
{
    static uint8_t buf[8][LD_REQUEST_KEY_MAX];
    static int slot;
    slot = (slot + 1) & 7;
    ld_store_request_key(buf[slot], "t", (const uint8_t *)rid, strlen(rid));
    return buf[slot];
}
#define KLEN(rid) (3 + strlen(rid)) /* the id, "t", 1, 0x01 (format 4) */
#define KEY(rid) key_of(rid), KLEN(rid)

/* Appends one request of n events for employees emp[i]; returns its result. */
static ld_append_t append_req(ld_store_t *s, const char *rid, const char **emps, size_t n,
                              const uint64_t *expected)
{
    tev_t *t = calloc(n, sizeof *t);
    Ladder__V1__Event **p = calloc(n, sizeof *p);
    for (size_t i = 0; i < n; i++) {
        tev_init(&t[i], emps[i], (int64_t)i + 1, NULL);
        p[i] = &t[i].ev;
    }
    uint8_t key[LD_REQUEST_KEY_MAX];
    ld_append_t r = {.request_key = rid ? key : NULL,
                     .request_key_len = rid ? ld_store_request_key(key, "t", (const uint8_t *)rid,
                                                                   strlen(rid)) : 0,
                     .events = p, .n_events = n, .expected = expected};
    r.digest[0] = digest_byte;
    assert_int_equal(ld_store_append(s, &r, 1), 0);
    free(p);
    free(t);
    return r;
}

typedef struct {
    uint64_t seqs[64];
    char streams[64][64];
    uint64_t versions[64];
    int64_t amounts[64];
    size_t n;
} collect_t;

static int collect_cb(void *ctx, uint64_t seq, const uint8_t *data, size_t len)
{
    collect_t *c = ctx;
    Ladder__V1__Event *ev = ladder__v1__event__unpack(NULL, len, data);
    assert_non_null(ev);
    assert_int_equal(ev->seq, seq);
    assert_true(c->n < 64);
    c->seqs[c->n] = seq;
    snprintf(c->streams[c->n], 64, "%s", ev->stream);
    c->versions[c->n] = ev->stream_version;
    c->amounts[c->n] = ev->points_awarded ? ev->points_awarded->amount : -1;
    c->n++;
    ladder__v1__event__free_unpacked(ev, NULL);
    return 0;
}

/* Flips one byte of the stored value of seq, with plain LMDB (store closed). */
static void flip_byte(const char *dir, uint64_t seq, size_t at)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    assert_int_equal(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 8);
    mdb_env_set_mapsize(env, (size_t)64 << 20);
    assert_int_equal(mdb_env_open(env, dir, 0, 0640), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "events", 0, &dbi), 0);
    uint8_t key[8];
    for (int i = 0; i < 8; i++)
        key[i] = (uint8_t)(seq >> (56 - 8 * i));
    MDB_val k = {8, key}, v;
    assert_int_equal(mdb_get(txn, dbi, &k, &v), 0);
    uint8_t *copy = malloc(v.mv_size);
    memcpy(copy, v.mv_data, v.mv_size);
    copy[at % v.mv_size] ^= 0x20;
    MDB_val nv = {v.mv_size, copy};
    assert_int_equal(mdb_put(txn, dbi, &k, &nv, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    free(copy);
}

/* --------------------------------------------------------------- tests -- */

static void test_round_trip_assigns_seq_version_and_chain(void **state)
{
    (void)state;
    char *dir = tmpdir();
    ld_store_t *s = open_store(dir, LD_DURABILITY_NOSYNC, 0);
    const char *emps[] = {"e1", "e2", "e1"};
    ld_append_t r = append_req(s, "req-1", emps, 3, NULL);
    assert_int_equal(r.rc, 0);
    assert_false(r.duplicate);
    assert_int_equal(r.first_seq, 1);
    assert_int_equal(r.count, 3);

    collect_t c = {0};
    assert_int_equal(ld_store_scan(s, 1, 0, collect_cb, &c), 0);
    assert_int_equal(c.n, 3);
    assert_string_equal(c.streams[0], "emp/e1");
    assert_int_equal(c.versions[0], 1);
    assert_string_equal(c.streams[1], "emp/e2");
    assert_int_equal(c.versions[1], 1);
    assert_int_equal(c.versions[2], 2);
    assert_int_equal(c.amounts[2], 3);

    uint64_t head, bad;
    uint8_t hash[LD_HASH_LEN], zero[LD_HASH_LEN] = {0};
    ld_store_head(s, &head, hash);
    assert_int_equal(head, 3);
    assert_memory_not_equal(hash, zero, LD_HASH_LEN);
    assert_int_equal(ld_store_verify(s, &bad, NULL, 0), 0);
    ld_store_close(&s);
    assert_null(s);
    rmdir_all(dir);
}

static void test_seqs_gapless_across_reopen(void **state)
{
    (void)state;
    char *dir = tmpdir();
    const char *emps[] = {"a", "b"};
    for (int round = 0; round < 3; round++) {
        ld_store_t *s = open_store(dir, LD_DURABILITY_FULL, 0);
        ld_append_t r = append_req(s, NULL, emps, 2, NULL);
        assert_int_equal(r.first_seq, (uint64_t)round * 2 + 1);
        ld_store_close(&s);
    }
    ld_store_t *s = open_store(dir, LD_DURABILITY_FULL, 0);
    collect_t c = {0};
    assert_int_equal(ld_store_scan(s, 1, 0, collect_cb, &c), 0);
    assert_int_equal(c.n, 6);
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(c.seqs[i], i + 1);
    /* the stream versions continue too (cache is cold after reopen) */
    assert_int_equal(c.versions[4], 3);
    uint64_t v;
    assert_int_equal(ld_store_stream_version(s, "emp/b", &v), 0);
    assert_int_equal(v, 3);
    assert_int_equal(ld_store_stream_version(s, "emp/none", &v), 0);
    assert_int_equal(v, 0);
    uint64_t bad;
    assert_int_equal(ld_store_verify(s, &bad, NULL, 0), 0);
    ld_store_close(&s);
    rmdir_all(dir);
}

static void test_scan_stream_and_paging(void **state)
{
    (void)state;
    char *dir = tmpdir();
    ld_store_t *s = open_store(dir, LD_DURABILITY_NOSYNC, 0);
    const char *emps[] = {"x", "xy", "x", "x", "xy"};
    append_req(s, NULL, emps, 5, NULL);
    collect_t c = {0};
    assert_int_equal(ld_store_scan_stream(s, "emp/x", 1, 0, collect_cb, &c), 0);
    assert_int_equal(c.n, 3);
    assert_int_equal(c.seqs[0], 1);
    assert_int_equal(c.seqs[1], 3);
    assert_int_equal(c.seqs[2], 4);
    memset(&c, 0, sizeof c);
    assert_int_equal(ld_store_scan_stream(s, "emp/x", 2, 1, collect_cb, &c), 0);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.seqs[0], 3);
    memset(&c, 0, sizeof c);
    assert_int_equal(ld_store_scan_stream(s, "emp/xy", 1, 0, collect_cb, &c), 0);
    assert_int_equal(c.n, 2);
    memset(&c, 0, sizeof c);
    assert_int_equal(ld_store_scan(s, 2, 2, collect_cb, &c), 0);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.seqs[0], 2);
    assert_int_equal(c.seqs[1], 3);
    ld_store_close(&s);
    rmdir_all(dir);
}

static void test_expected_version_conflict_writes_nothing(void **state)
{
    (void)state;
    char *dir = tmpdir();
    ld_store_t *s = open_store(dir, LD_DURABILITY_NOSYNC, 0);
    const char *one[] = {"e9"};
    uint64_t exp0 = 0;
    ld_append_t r = append_req(s, "r1", one, 1, &exp0);
    assert_int_equal(r.rc, 0);

    /* a group commit: a conflicting request between two good ones */
    tev_t t[4];
    tev_init(&t[0], "e1", 1, NULL);
    tev_init(&t[1], "e9", 2, NULL);
    tev_init(&t[2], "e9", 3, NULL);
    tev_init(&t[3], "e2", 4, NULL);
    Ladder__V1__Event *a[] = {&t[0].ev}, *b[] = {&t[1].ev, &t[2].ev}, *c3[] = {&t[3].ev};
    uint64_t expb[] = {1, 0}; /* second event wrongly expects a new stream */
    ld_append_t reqs[3] = {
        {.request_key = key_of("g1"), .request_key_len = KLEN("g1"), .events = a, .n_events = 1},
        {.request_key = key_of("g2"), .request_key_len = KLEN("g2"), .events = b, .n_events = 2, .expected = expb},
        {.request_key = key_of("g3"), .request_key_len = KLEN("g3"), .events = c3, .n_events = 1},
    };
    assert_int_equal(ld_store_append(s, reqs, 3), 0);
    assert_int_equal(reqs[0].rc, 0);
    assert_int_equal(reqs[1].rc, LD_ECONFLICT);
    assert_int_equal(reqs[1].count, 0);
    assert_int_equal(reqs[2].rc, 0);
    assert_int_equal(reqs[2].first_seq, 3); /* no gap where the refused one was */

    uint64_t head, v, first;
    uint32_t count;
    ld_store_head(s, &head, NULL);
    assert_int_equal(head, 3);
    assert_int_equal(ld_store_stream_version(s, "emp/e9", &v), 0);
    assert_int_equal(v, 1);
    assert_int_equal(ld_store_request_get(s, KEY("g2"), &first, &count, NULL),
                     LD_ENOTFOUND);
    /* the version the refused request reserved is free again */
    uint64_t exp1[] = {1};
    const char *e9[] = {"e9"};
    r = append_req(s, "r2", e9, 1, exp1);
    assert_int_equal(r.rc, 0);
    assert_int_equal(ld_store_stream_version(s, "emp/e9", &v), 0);
    assert_int_equal(v, 2);
    uint64_t bad;
    assert_int_equal(ld_store_verify(s, &bad, NULL, 0), 0);
    ld_store_close(&s);
    rmdir_all(dir);
}

static void test_repeated_request_id_returns_first_result(void **state)
{
    (void)state;
    char *dir = tmpdir();
    ld_store_t *s = open_store(dir, LD_DURABILITY_NOSYNC, 0);
    const char *emps[] = {"p", "q"};
    ld_append_t r1 = append_req(s, "same-id", emps, 2, NULL);
    ld_append_t r2 = append_req(s, "other", emps, 1, NULL);
    assert_int_equal(r2.first_seq, 3);
    ld_store_close(&s);
    s = open_store(dir, LD_DURABILITY_NOSYNC, 0); /* durable across reopen */
    ld_append_t r3 = append_req(s, "same-id", emps, 2, NULL);
    assert_true(r3.duplicate);
    assert_int_equal(r3.first_seq, r1.first_seq);
    assert_int_equal(r3.count, 2);
    uint64_t head;
    ld_store_head(s, &head, NULL);
    assert_int_equal(head, 3);
    ld_store_close(&s);
    rmdir_all(dir);
}

static int len_cb(void *ctx, uint64_t seq, const uint8_t *data, size_t len)
{
    (void)seq, (void)data;
    *(size_t *)ctx = len;
    return 0;
}

static size_t stored_len(ld_store_t *s, uint64_t seq)
{
    size_t len = 0;
    assert_int_equal(ld_store_scan(s, seq, 1, len_cb, &len), 0);
    return len;
}

static void test_verify_finds_one_flipped_byte_in_any_event(void **state)
{
    (void)state;
    char *dir = tmpdir();
    ld_store_t *s = open_store(dir, LD_DURABILITY_NOSYNC, 0);
    const char *emps[] = {"a", "b", "c", "d", "e", "f"};
    append_req(s, "r", emps, 6, NULL);
    size_t lens[7];
    for (uint64_t q = 1; q <= 6; q++)
        lens[q] = stored_len(s, q);
    ld_store_close(&s);

    for (uint64_t q = 1; q <= 6; q++) {
        /* first byte, a byte inside prev_hash territory, middle, last */
        size_t spots[] = {0, 20, lens[q] / 2, lens[q] - 1};
        for (size_t i = 0; i < 4; i++) {
            flip_byte(dir, q, spots[i]);
            /* a writer refuses the store, naming the seq (the whole log is
             * its tail: no snapshot); the offline verify names it too */
            ld_store_options_t o = {.durability = LD_DURABILITY_NOSYNC};
            char err[512], want[64];
            s = NULL;
            snprintf(want, sizeof want, "hash chain at seq %llu ", (unsigned long long)q);
            if (ld_store_open(&s, dir, &o, err, sizeof err) != LD_ECORRUPT || !strstr(err, want))
                fail_msg("flip at seq %llu byte %zu: open did not refuse with \"%s\": %s",
                         (unsigned long long)q, spots[i], want, s ? "(opened)" : err);
            o.read_only = true;
            assert_int_equal(ld_store_open(&s, dir, &o, err, sizeof err), 0);
            uint64_t bad = 0;
            char why[200];
            int rc = ld_store_verify(s, &bad, why, sizeof why);
            if (rc != LD_ECORRUPT || bad != q)
                fail_msg("flip at seq %llu byte %zu: rc %d bad %llu (%s)", (unsigned long long)q,
                         spots[i], rc, (unsigned long long)bad, why);
            ld_store_close(&s);
            flip_byte(dir, q, spots[i]); /* restore */
        }
    }
    s = open_store(dir, LD_DURABILITY_NOSYNC, 0);
    uint64_t bad;
    assert_int_equal(ld_store_verify(s, &bad, NULL, 0), 0);
    ld_store_close(&s);
    rmdir_all(dir);
}

static void test_map_grows_from_1mib_past_100mib(void **state)
{
    (void)state;
    char *dir = tmpdir();
    ld_store_t *s = open_store(dir, LD_DURABILITY_NOSYNC, (size_t)1 << 20);
    assert_int_equal(ld_store_map_size(s), (size_t)1 << 20);
    char *ref = malloc(8192);
    memset(ref, 'r', 8191);
    ref[8191] = 0;
    enum { PER = 100, ROUNDS = 140 }; /* 14 000 events of ~8 KiB: ~115 MiB */
    tev_t *t = calloc(PER, sizeof *t);
    Ladder__V1__Event *p[PER];
    for (int round = 0; round < ROUNDS; round++) {
        for (int i = 0; i < PER; i++) {
            char emp[16];
            snprintf(emp, sizeof emp, "m%d", i);
            tev_init(&t[i], emp, round, ref);
            p[i] = &t[i].ev;
        }
        ld_append_t r = {.events = p, .n_events = PER};
        assert_int_equal(ld_store_append(s, &r, 1), 0);
        assert_int_equal(r.first_seq, (uint64_t)round * PER + 1);
    }
    assert_true(ld_store_map_size(s) > ((size_t)100 << 20));
    uint64_t head, bad;
    ld_store_head(s, &head, NULL);
    assert_int_equal(head, PER * ROUNDS);
    assert_int_equal(ld_store_verify(s, &bad, NULL, 0), 0);
    ld_store_close(&s);
    free(t);
    free(ref);
    rmdir_all(dir);
}

static void test_unknown_format_version_refused(void **state)
{
    (void)state;
    char *dir = tmpdir();
    ld_store_t *s = open_store(dir, LD_DURABILITY_NOSYNC, 0);
    ld_store_close(&s);
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    mdb_env_create(&env);
    mdb_env_set_maxdbs(env, 8);
    assert_int_equal(mdb_env_open(env, dir, 0, 0640), 0);
    mdb_txn_begin(env, NULL, 0, &txn);
    assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
    uint8_t seven[4] = {0, 0, 0, 7};
    MDB_val k = {6, "format"}, v = {4, seven};
    assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
    mdb_txn_commit(txn);
    mdb_env_close(env);

    char err[256] = "";
    ld_store_options_t o = {.durability = LD_DURABILITY_NOSYNC};
    assert_int_equal(ld_store_open(&s, dir, &o, err, sizeof err), LD_EFORMAT);
    assert_null(s);
    assert_non_null(strstr(err, "format version 7"));
    rmdir_all(dir);
}

/* Writes meta key (4-byte or longer value) with plain LMDB, store closed. */
static void put_meta(const char *dir, const char *key, const void *val, size_t len)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    mdb_env_create(&env);
    mdb_env_set_maxdbs(env, 8);
    mdb_env_set_mapsize(env, (size_t)64 << 20);
    assert_int_equal(mdb_env_open(env, dir, 0, 0640), 0);
    mdb_txn_begin(env, NULL, 0, &txn);
    assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
    MDB_val k = {strlen(key), (void *)key}, v = {len, (void *)val};
    assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

static int open_err(const char *dir, bool read_only, char *err, size_t errlen)
{
    ld_store_options_t o = {.durability = LD_DURABILITY_NOSYNC, .read_only = read_only};
    ld_store_t *s = NULL;
    err[0] = 0;
    int rc = ld_store_open(&s, dir, &o, err, errlen);
    if (rc == 0)
        ld_store_close(&s);
    assert_null(s);
    return rc;
}

#define EXPECT_REFUSED(rc_, err_, text)                                                   \
    do {                                                                                  \
        if ((rc_) == 0 || !strstr((err_), (text)))                                        \
            fail_msg("expected a refusal with \"%s\", got rc %d: %s", (text), (rc_), (err_)); \
    } while (0)

/* Issue 10 item 1: a format-1 store (global ids, no digest) is refused with
 * a sentence saying why and what to do. */
static void test_format_1_refused_clearly(void **state)
{
    (void)state;
    char *dir = tmpdir();
    ld_store_t *s = open_store(dir, LD_DURABILITY_NOSYNC, 0);
    ld_store_close(&s);
    uint8_t one[4] = {0, 0, 0, 1};
    put_meta(dir, "format", one, 4);
    char err[512];
    int rc = open_err(dir, false, err, sizeof err);
    assert_int_equal(rc, LD_EFORMAT);
    EXPECT_REFUSED(rc, err, "format version 1 is not supported");
    EXPECT_REFUSED(rc, err, "scoped per principal");
    EXPECT_REFUSED(rc, err, "not migrated");
    rmdir_all(dir);
}

/* Issue 10 item 1 / §12: ids are per principal; the daemon's namespace is
 * apart; a repeat with other commands is refused with the first outcome. */
static void test_s12_request_ids_scoped_per_principal_with_digest(void **state)
{
    (void)state;
    char *dir = tmpdir();
    ld_store_t *s = open_store(dir, LD_DURABILITY_NOSYNC, 0);
    tev_t t[4];
    tev_init(&t[0], "a", 1, NULL);
    tev_init(&t[1], "b", 2, NULL);
    tev_init(&t[2], "c", 3, NULL);
    tev_init(&t[3], "d", 4, NULL);
    Ladder__V1__Event *e0[] = {&t[0].ev}, *e1[] = {&t[1].ev}, *e2[] = {&t[2].ev}, *e3[] = {&t[3].ev};
    const uint8_t *rid = (const uint8_t *)"deadline/r/e000/1830614400000";
    uint8_t km1[LD_REQUEST_KEY_MAX], ke2[LD_REQUEST_KEY_MAX], ksys[LD_REQUEST_KEY_MAX];
    size_t lm1 = ld_store_request_key(km1, "m1", rid, 29);
    size_t le2 = ld_store_request_key(ke2, "e2", rid, 29);
    size_t lsys = ld_store_request_key(ksys, NULL, rid, 29);
    /* a client who names itself "" or anything cannot produce the daemon's key */
    uint8_t kempty[LD_REQUEST_KEY_MAX];
    size_t lempty = ld_store_request_key(kempty, "", rid, 29);
    assert_true(lempty != lsys || memcmp(kempty, ksys, lsys));
    /* format 4: the id first, the namespace in the last byte */
    assert_memory_equal(ksys, rid, 29);
    assert_memory_equal(kempty, rid, 29);
    assert_int_not_equal(ksys[lsys - 1], kempty[lempty - 1]);
    ld_append_t r[3] = {
        {.request_key = km1, .request_key_len = lm1, .events = e0, .n_events = 1},
        {.request_key = ke2, .request_key_len = le2, .events = e1, .n_events = 1},
        {.request_key = ksys, .request_key_len = lsys, .events = e2, .n_events = 1},
    };
    r[0].digest[0] = 1, r[1].digest[0] = 2, r[2].digest[0] = 3;
    assert_int_equal(ld_store_append(s, r, 3), 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(r[i].rc, 0);
        assert_false(r[i].duplicate);
        assert_int_equal(r[i].first_seq, (uint64_t)i + 1);
    }
    ld_store_close(&s);
    s = open_store(dir, LD_DURABILITY_NOSYNC, 0);
    /* the same key and digest: the first outcome */
    ld_append_t again = {.request_key = ke2, .request_key_len = le2, .events = e3, .n_events = 1};
    again.digest[0] = 2;
    assert_int_equal(ld_store_append(s, &again, 1), 0);
    assert_true(again.duplicate);
    assert_int_equal(again.first_seq, 2);
    /* the same key, other commands: refused, nothing written */
    again.digest[0] = 9;
    assert_int_equal(ld_store_append(s, &again, 1), 0);
    assert_int_equal(again.rc, LD_EREUSED);
    assert_false(again.duplicate);
    uint64_t head, first;
    uint32_t count;
    uint8_t dg[LD_HASH_LEN];
    ld_store_head(s, &head, NULL);
    assert_int_equal(head, 3);
    assert_int_equal(ld_store_request_get(s, ksys, lsys, &first, &count, dg), 0);
    assert_int_equal(first, 3);
    assert_int_equal(dg[0], 3);
    /* a malformed key (no namespace byte) is refused */
    ld_append_t raw = {.request_key = rid, .request_key_len = 29, .events = e3, .n_events = 1};
    assert_int_equal(ld_store_append(s, &raw, 1), 0);
    assert_int_equal(raw.rc, LD_EINVAL);
    assert_int_equal(ld_store_request_get(s, rid, 29, &first, &count, NULL), LD_EINVAL);
    /* too long a principal makes no key */
    char longp[LD_PRINCIPAL_MAX + 2];
    memset(longp, 'p', sizeof longp - 1);
    longp[sizeof longp - 1] = 0;
    assert_int_equal(ld_store_request_key(kempty, longp, rid, 29), 0);
    ld_store_close(&s);
    rmdir_all(dir);
}

/* Issue 10 item 2: a second writer on the same directory is refused with
 * the PID of the first; after the first closes, it may open. */
static void test_data_directory_lock(void **state)
{
    (void)state;
    char *dir = tmpdir();
    ld_store_t *s = open_store(dir, LD_DURABILITY_NOSYNC, 0);
    char err[512], want[600];
    int rc;
    pid_t pid = fork();
    if (pid == 0) { /* another process: flock is per open file, so use one */
        ld_store_options_t o = {.durability = LD_DURABILITY_NOSYNC};
        ld_store_t *t = NULL;
        rc = ld_store_open(&t, dir, &o, err, sizeof err);
        snprintf(want, sizeof want, "data directory %s is in use by PID %ld", dir, (long)getppid());
        _exit(rc == LD_EBUSY && !strcmp(err, want) ? 0 : 1);
    }
    int st;
    waitpid(pid, &st, 0);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    /* in this process too (a second open file description) */
    rc = open_err(dir, false, err, sizeof err);
    assert_int_equal(rc, LD_EBUSY);
    EXPECT_REFUSED(rc, err, "is in use by PID");
    /* offline readers take no lock */
    assert_int_equal(open_err(dir, true, err, sizeof err), 0);
    ld_store_close(&s);
    assert_int_equal(open_err(dir, false, err, sizeof err), 0);
    rmdir_all(dir);
}

/* Issue 10 items 10-12: damaged files are refused at open with a sentence. */
static void test_open_refuses_damaged_stores(void **state)
{
    (void)state;
    char err[512], path[600];
    int rc;
    /* item 12: a 0-byte data.mdb is not a new store */
    char *dir = tmpdir();
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    FILE *f = fopen(path, "w");
    fclose(f);
    rc = open_err(dir, false, err, sizeof err);
    EXPECT_REFUSED(rc, err, "is empty (0 bytes)");
    rc = open_err(dir, true, err, sizeof err);
    EXPECT_REFUSED(rc, err, "is empty (0 bytes)");
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_size, 0); /* untouched */
    rmdir_all(dir);

    /* item 10: cut to half */
    dir = tmpdir();
    ld_store_t *s = open_store(dir, LD_DURABILITY_NOSYNC, 0);
    const char *emps[] = {"a", "b", "c", "d"};
    for (int i = 0; i < 400; i++)
        append_req(s, NULL, emps, 4, NULL);
    ld_store_close(&s);
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(truncate(path, sb.st_size / 2), 0);
    rc = open_err(dir, false, err, sizeof err);
    EXPECT_REFUSED(rc, err, "is truncated");
    EXPECT_REFUSED(rc, err, "last page ends at byte");
    rc = open_err(dir, true, err, sizeof err);
    EXPECT_REFUSED(rc, err, "is truncated");
    rmdir_all(dir);

    /* item 11: meta head beyond the log */
    dir = tmpdir();
    s = open_store(dir, LD_DURABILITY_NOSYNC, 0);
    append_req(s, NULL, emps, 3, NULL);
    ld_store_close(&s);
    uint8_t head[8 + LD_HASH_LEN] = {0, 0, 0, 0, 0, 0, 0, 9};
    put_meta(dir, "head", head, sizeof head);
    rc = open_err(dir, false, err, sizeof err);
    EXPECT_REFUSED(rc, err, "says seq 9 but the log ends at seq 3");
    rmdir_all(dir);
}

/* Issue 10 item 15: read-only opens refuse a missing or empty directory and
 * never create a file. */
static void test_read_only_open_creates_nothing(void **state)
{
    (void)state;
    char err[512], path[600];
    int rc = open_err("/no/such/dir", true, err, sizeof err);
    EXPECT_REFUSED(rc, err, "no store in /no/such/dir");
    char *dir = tmpdir();
    rc = open_err(dir, true, err, sizeof err);
    EXPECT_REFUSED(rc, err, "no data.mdb");
    const char *names[] = {"data.mdb", "lock.mdb", "lock"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (access(path, F_OK) == 0)
            fail_msg("a read-only open created %s", path);
    }
    /* a store whose writer is gone and whose lock.mdb was removed: no new file */
    ld_store_t *s = open_store(dir, LD_DURABILITY_NOSYNC, 0);
    const char *emps[] = {"a"};
    append_req(s, NULL, emps, 1, NULL);
    ld_store_close(&s);
    snprintf(path, sizeof path, "%s/lock.mdb", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/lock", dir);
    unlink(path);
    assert_int_equal(open_err(dir, true, err, sizeof err), 0);
    snprintf(path, sizeof path, "%s/lock.mdb", dir);
    assert_int_not_equal(access(path, F_OK), 0);
    snprintf(path, sizeof path, "%s/lock", dir);
    assert_int_not_equal(access(path, F_OK), 0);
    rmdir_all(dir);
}

/* Issue 10 item 13: with seqs 1 and 2 both altered, verify names seq 1; and
 * item 4: the tail after a snapshot is checked at open, the rest with verify_all. */
static void test_verify_names_the_first_of_two_altered(void **state)
{
    (void)state;
    char *dir = tmpdir();
    ld_store_t *s = open_store(dir, LD_DURABILITY_NOSYNC, 0);
    const char *emps[] = {"a", "b", "c", "d", "e", "f"};
    append_req(s, NULL, emps, 6, NULL);
    size_t l1 = stored_len(s, 1), l2 = stored_len(s, 2);
    ld_store_close(&s);
    flip_byte(dir, 1, l1 / 2);
    flip_byte(dir, 2, l2 / 2);
    ld_store_options_t o = {.durability = LD_DURABILITY_NOSYNC, .read_only = true};
    char err[512], why[200];
    assert_int_equal(ld_store_open(&s, dir, &o, err, sizeof err), 0);
    uint64_t bad = 0;
    assert_int_equal(ld_store_verify(s, &bad, why, sizeof why), LD_ECORRUPT);
    assert_int_equal(bad, 1);
    ld_store_close(&s);
    flip_byte(dir, 1, l1 / 2);
    flip_byte(dir, 2, l2 / 2);

    /* a snapshot at seq 4: an altered seq 2 is before the tail */
    s = open_store(dir, LD_DURABILITY_NOSYNC, 0);
    assert_int_equal(ld_store_snapshot_put(s, "core", 4, "x", 1), 0);
    ld_store_close(&s);
    flip_byte(dir, 2, l2 / 2);
    o.read_only = false;
    assert_int_equal(ld_store_open(&s, dir, &o, err, sizeof err), 0);
    ld_store_close(&s);
    o.verify_all = true;
    int rc = ld_store_open(&s, dir, &o, err, sizeof err);
    EXPECT_REFUSED(rc, err, "hash chain at seq 2 ");
    /* an altered seq 5 (in the tail) is refused by the default open */
    flip_byte(dir, 2, l2 / 2);
    flip_byte(dir, 5, 30);
    o.verify_all = false;
    rc = ld_store_open(&s, dir, &o, err, sizeof err);
    EXPECT_REFUSED(rc, err, "hash chain at seq 5 ");
    rmdir_all(dir);
}

static size_t index_entries(const char *dir)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_stat st;
    mdb_env_create(&env);
    mdb_env_set_maxdbs(env, 8);
    mdb_env_set_mapsize(env, (size_t)64 << 20);
    assert_int_equal(mdb_env_open(env, dir, MDB_RDONLY, 0640), 0);
    mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
    assert_int_equal(mdb_dbi_open(txn, "streams", 0, &dbi), 0);
    mdb_stat(txn, dbi, &st);
    mdb_txn_abort(txn);
    mdb_env_close(env);
    return st.ms_entries;
}

/* The stream index is written behind the log (store.h): versions and stream
 * reads are right before, across and after flushes, and across reopen. */
static void test_stream_index_written_behind(void **state)
{
    (void)state;
    char *dir = tmpdir();
    index_every = 4;
    ld_store_t *s = open_store(dir, LD_DURABILITY_NOSYNC, 0);
    const char *a[] = {"s1", "s2", "s1"};
    append_req(s, NULL, a, 3, NULL); /* 3 events: not yet indexed */
    ld_store_close(&s);              /* close flushes */
    assert_int_equal(index_entries(dir), 2); /* one chunk per stream (format 3) */
    s = open_store(dir, LD_DURABILITY_NOSYNC, 0);
    const char *b[] = {"s1"};
    append_req(s, NULL, b, 1, NULL);
    append_req(s, NULL, b, 1, NULL); /* seq 5: 2 behind, below the threshold */
    uint64_t v;
    assert_int_equal(ld_store_stream_version(s, "emp/s1", &v), 0);
    assert_int_equal(v, 4);
    collect_t c = {0};
    assert_int_equal(ld_store_scan_stream(s, "emp/s1", 2, 0, collect_cb, &c), 0);
    assert_int_equal(c.n, 3); /* version 2 from the index, 3 and 4 from the tail */
    assert_int_equal(c.versions[0], 2);
    assert_int_equal(c.versions[2], 4);
    assert_int_equal(c.seqs[2], 5);
    memset(&c, 0, sizeof c);
    assert_int_equal(ld_store_scan_stream(s, "emp/s1", 1, 2, collect_cb, &c), 0);
    assert_int_equal(c.n, 2); /* max counts across index and tail */
    ld_store_close(&s);
    /* a crash before a flush (a child that exits without closing): the
     * tail is rebuilt from the log at the next open */
    assert_int_equal(index_entries(dir), 2); /* s1's chunk grew to 4 seqs */
    index_every = 1000;
    pid_t pid = fork();
    if (pid == 0) {
        s = open_store(dir, LD_DURABILITY_FULL, 0);
        append_req(s, NULL, b, 1, NULL);
        uint64_t expect[] = {5};
        ld_append_t r = append_req(s, NULL, b, 1, expect);
        _exit(r.rc == 0 ? 0 : 1);
    }
    int st;
    waitpid(pid, &st, 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_int_equal(index_entries(dir), 2);
    index_every = 0;
    ld_append_t r;
    s = open_store(dir, LD_DURABILITY_NOSYNC, 0);
    assert_int_equal(ld_store_stream_version(s, "emp/s1", &v), 0);
    assert_int_equal(v, 6);
    uint64_t stale[] = {5};
    r = append_req(s, NULL, b, 1, stale);
    assert_int_equal(r.rc, LD_ECONFLICT);
    uint64_t bad;
    assert_int_equal(ld_store_verify(s, &bad, NULL, 0), 0);
    ld_store_close(&s);
    rmdir_all(dir);
}

/* ---- format 3's stream index: chunks of LD_INDEX_CHUNK seqs per stream -- */

#define IX_STREAMS 4
#define IX_MAX 400
/* prefixes of each other, so that one stream's chunks sit beside another's */
static const char *ix_emps[IX_STREAMS] = {"a", "a-", "ab", "b"};

typedef struct {
    uint64_t seqs[IX_STREAMS][IX_MAX]; /* seqs[i][v-1]: seq of version v */
    size_t n[IX_STREAMS];
} ixmodel_t;

/* The stream of the t-th event (0-based): mostly "a", the others between. */
static int ix_stream_of(size_t t)
{
    return t % 5 == 1 ? 1 : t % 7 == 2 ? 2 : t % 11 == 3 ? 3 : 0;
}

/* Appends events t0..t1 one request each (seq t+1) and records them. */
static void ix_append(ld_store_t *s, ixmodel_t *m, size_t t0, size_t t1)
{
    for (size_t t = t0; t < t1; t++) {
        int i = ix_stream_of(t);
        const char *e[] = {ix_emps[i]};
        ld_append_t r = append_req(s, NULL, e, 1, NULL);
        assert_int_equal(r.rc, 0);
        assert_int_equal(r.first_seq, t + 1);
        if (m) {
            assert_true(m->n[i] < IX_MAX);
            m->seqs[i][m->n[i]++] = t + 1;
        }
    }
}

static void ix_model(ixmodel_t *m, size_t t0, size_t t1)
{
    for (size_t t = t0; t < t1; t++) {
        int i = ix_stream_of(t);
        m->seqs[i][m->n[i]++] = t + 1;
    }
}

typedef struct {
    const char *stream;
    uint64_t seqs[IX_MAX], versions[IX_MAX];
    size_t n;
} sread_t;

static int sread_cb(void *ctx, uint64_t seq, const uint8_t *data, size_t len)
{
    sread_t *r = ctx;
    Ladder__V1__Event *ev = ladder__v1__event__unpack(NULL, len, data);
    assert_non_null(ev);
    assert_string_equal(ev->stream, r->stream);
    assert_int_equal(ev->seq, seq);
    assert_true(r->n < IX_MAX);
    r->seqs[r->n] = seq;
    r->versions[r->n] = ev->stream_version;
    r->n++;
    ladder__v1__event__free_unpacked(ev, NULL);
    return 0;
}

/* Every stream's version, and its reads from versions around the chunk
 * boundaries with several limits, give exactly the model's seqs in order. */
static void ix_check(ld_store_t *s, const ixmodel_t *m)
{
    static const uint64_t froms[] = {0, 1, 2, 63, 64, 65, 66, 127, 128, 129, 130,
                                     191, 192, 193, 250, 256, 257, 1000};
    static const uint64_t maxes[] = {0, 1, 3, 64, 65, 200};
    for (int i = 0; i < IX_STREAMS; i++) {
        char stream[16];
        snprintf(stream, sizeof stream, "emp/%s", ix_emps[i]);
        uint64_t v;
        assert_int_equal(ld_store_stream_version(s, stream, &v), 0);
        assert_int_equal(v, m->n[i]);
        for (size_t f = 0; f < sizeof froms / sizeof *froms; f++) {
            for (size_t x = 0; x < sizeof maxes / sizeof *maxes; x++) {
                sread_t *r = calloc(1, sizeof *r);
                r->stream = stream;
                assert_int_equal(ld_store_scan_stream(s, stream, froms[f], maxes[x], sread_cb, r), 0);
                size_t start = froms[f] ? froms[f] - 1 : 0;
                size_t want = start < m->n[i] ? m->n[i] - start : 0;
                if (maxes[x] && want > maxes[x])
                    want = maxes[x];
                if (r->n != want)
                    fail_msg("%s from %llu max %llu: %zu events, want %zu", stream,
                             (unsigned long long)froms[f], (unsigned long long)maxes[x], r->n, want);
                for (size_t j = 0; j < want; j++) {
                    assert_int_equal(r->versions[j], start + j + 1);
                    assert_int_equal(r->seqs[j], m->seqs[i][start + j]);
                }
                free(r);
            }
        }
    }
}

static size_t ix_chunks(const ixmodel_t *m)
{
    size_t n = 0;
    for (int i = 0; i < IX_STREAMS; i++)
        n += (m->n[i] + LD_INDEX_CHUNK - 1) / LD_INDEX_CHUNK;
    return n;
}

static size_t index_entries(const char *dir);

/* Format 3 (store.h): reads by stream give exactly the right seqs in order
 * across chunk boundaries, with some of the log not yet indexed, after
 * reopen, after a crash before a flush, and from a read-only open. */
static void test_stream_index_chunks_exact_across_reopen_and_crash(void **state)
{
    (void)state;
    char *dir = tmpdir();
    ixmodel_t *m = calloc(1, sizeof *m);
    index_every = 7; /* flushes inside commits, not on chunk boundaries */
    ld_store_t *s = open_store(dir, LD_DURABILITY_NOSYNC, 0);
    ix_append(s, m, 0, 250);
    assert_true(ld_store_index_pending(s) > 0 && ld_store_index_pending(s) < 7);
    ix_check(s, m); /* index and unindexed tail together */
    ld_store_close(&s);
    assert_int_equal(index_entries(dir), ix_chunks(m));
    assert_true(m->n[0] > 2 * LD_INDEX_CHUNK); /* stream "a" spans 3+ chunks */

    s = open_store(dir, LD_DURABILITY_NOSYNC, 0);
    ix_check(s, m);
    ix_append(s, m, 250, 420);
    ix_check(s, m);
    ld_store_close(&s);
    assert_int_equal(index_entries(dir), ix_chunks(m));

    /* a crash before the next flush: a child appends and exits unclosed */
    index_every = 100000;
    pid_t pid = fork();
    if (pid == 0) {
        ld_store_t *c = open_store(dir, LD_DURABILITY_FULL, 0);
        ix_append(c, NULL, 420, 520);
        _exit(ld_store_index_pending(c) == 100 ? 0 : 1);
    }
    int st;
    waitpid(pid, &st, 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    ix_model(m, 420, 520);
    assert_int_equal(index_entries(dir), ix_chunks(m) - 1); /* "a" has a 7th chunk only in the log */
    s = open_store(dir, LD_DURABILITY_NOSYNC, 0);
    assert_int_equal(ld_store_index_pending(s), 100); /* rebuilt from the log */
    ix_check(s, m);
    /* the versions the writer knows continue the streams */
    uint64_t expect[] = {m->n[0]};
    const char *a[] = {"a"};
    ld_append_t r = append_req(s, NULL, a, 1, expect);
    assert_int_equal(r.rc, 0);
    m->seqs[0][m->n[0]++] = r.first_seq;
    assert_int_equal(ld_store_index_flush(s), 0);
    assert_int_equal(ld_store_index_pending(s), 0);
    ix_check(s, m);
    ld_store_close(&s);
    assert_int_equal(index_entries(dir), ix_chunks(m));

    ld_store_options_t ro = {.read_only = true};
    char err[256];
    assert_int_equal(ld_store_open(&s, dir, &ro, err, sizeof err), 0);
    ix_check(s, m);
    ld_store_close(&s);
    index_every = 0;
    free(m);
    rmdir_all(dir);
}

#define MIG_MAX 1024 /* request ids make_format_3 moves at most */
static void make_format_3(const char *dir, size_t keep);

/* Rewrites a format 3 store as format 2 would have stored it: one entry
 * per (stream, version), the first `indexed` seqs indexed (the request ids
 * as make_format_3 leaves them). */
static void make_format_2(const char *dir, const ixmodel_t *m, uint64_t indexed)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi streams, meta;
    mdb_env_create(&env);
    mdb_env_set_maxdbs(env, 8);
    mdb_env_set_mapsize(env, (size_t)64 << 20);
    assert_int_equal(mdb_env_open(env, dir, 0, 0640), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "streams", 0, &streams), 0);
    assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
    assert_int_equal(mdb_drop(txn, streams, 0), 0);
    for (int i = 0; i < IX_STREAMS; i++) {
        for (size_t v = 1; v <= m->n[i]; v++) {
            if (m->seqs[i][v - 1] > indexed)
                continue;
            uint8_t key[64], val[8];
            int len = snprintf((char *)key, 32, "emp/%s", ix_emps[i]);
            key[len] = 0;
            for (int b = 0; b < 8; b++) {
                key[len + 1 + b] = (uint8_t)(v >> (56 - 8 * b));
                val[b] = (uint8_t)(m->seqs[i][v - 1] >> (56 - 8 * b));
            }
            MDB_val k = {(size_t)len + 9, key}, d = {8, val};
            assert_int_equal(mdb_put(txn, streams, &k, &d, 0), 0);
        }
    }
    uint8_t two[4] = {0, 0, 0, 2}, iv[8];
    for (int b = 0; b < 8; b++)
        iv[b] = (uint8_t)(indexed >> (56 - 8 * b));
    MDB_val fk = {6, "format"}, fv = {4, two}, ik = {7, "indexed"}, ivv = {8, iv};
    assert_int_equal(mdb_put(txn, meta, &fk, &fv, 0), 0);
    assert_int_equal(mdb_put(txn, meta, &ik, &ivv, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

static uint32_t stored_format(const char *dir)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi meta;
    mdb_env_create(&env);
    mdb_env_set_maxdbs(env, 8);
    assert_int_equal(mdb_env_open(env, dir, MDB_RDONLY, 0640), 0);
    mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
    assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
    MDB_val k = {6, "format"}, v;
    assert_int_equal(mdb_get(txn, meta, &k, &v), 0);
    assert_int_equal(v.mv_size, 4);
    const uint8_t *p = v.mv_data;
    uint32_t f = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    mdb_txn_abort(txn);
    mdb_env_close(env);
    return f;
}

/* A format 2 store (one index entry per event) is read by a read-only open
 * without its index, and migrated to format 3 (and on to 4) by a writer's open. */
static void test_format_2_store_read_and_migrated(void **state)
{
    (void)state;
    char *dir = tmpdir();
    ixmodel_t *m = calloc(1, sizeof *m);
    ld_store_t *s = open_store(dir, LD_DURABILITY_NOSYNC, 0);
    ix_append(s, m, 0, 300);
    ld_store_close(&s);
    make_format_3(dir, 0);
    make_format_2(dir, m, 280);
    assert_int_equal(index_entries(dir), 280);

    ld_store_options_t ro = {.read_only = true};
    char err[256];
    assert_int_equal(ld_store_open(&s, dir, &ro, err, sizeof err), 0);
    ix_check(s, m);
    uint64_t bad;
    assert_int_equal(ld_store_verify(s, &bad, NULL, 0), 0);
    ld_store_close(&s);
    assert_int_equal(stored_format(dir), 2);

    s = open_store(dir, LD_DURABILITY_NOSYNC, 0);
    assert_int_equal(stored_format(dir), LD_STORE_FORMAT); /* 2 -> 3 -> 4 */
    assert_int_equal(ld_store_index_pending(s), 0); /* rebuilt at open */
    assert_int_equal(index_entries(dir), ix_chunks(m));
    ix_check(s, m);
    ix_append(s, m, 300, 330);
    ix_check(s, m);
    ld_store_close(&s);
    s = open_store(dir, LD_DURABILITY_NOSYNC, 0);
    ix_check(s, m);
    ld_store_close(&s);
    free(m);
    rmdir_all(dir);
}

/* Rewrites a format 4 store's request ids as format 2/3 stored them: in
 * "requests", keyed 0x01, u8 principal length, principal, id (0x00, id for
 * the daemon's own). Keys from the keep-th on move; with keep 0 the table
 * "request_ids" goes too (a store format 3 wrote), otherwise it keeps the
 * first keep keys (a migration cut short by a crash). Format: 3. */
static void make_format_3(const char *dir, size_t keep)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi ids, old, meta;
    MDB_cursor *c;
    mdb_env_create(&env);
    mdb_env_set_maxdbs(env, 8);
    mdb_env_set_mapsize(env, (size_t)64 << 20);
    assert_int_equal(mdb_env_open(env, dir, 0, 0640), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "request_ids", 0, &ids), 0);
    assert_int_equal(mdb_dbi_open(txn, "requests", MDB_CREATE, &old), 0);
    assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
    assert_int_equal(mdb_cursor_open(txn, ids, &c), 0);
    MDB_val k, v;
    size_t i = 0;
    for (int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT), i++) {
        if (i < keep)
            continue;
        const uint8_t *kk = k.mv_data;
        size_t n = k.mv_size;
        uint8_t ok[LD_REQUEST_KEY_MAX];
        if (kk[n - 1] == 0x00) {
            ok[0] = 0x00;
            memcpy(ok + 1, kk, n - 1);
        } else {
            assert_int_equal(kk[n - 1], 0x01);
            size_t plen = kk[n - 2], rlen = n - 2 - plen;
            ok[0] = 0x01;
            ok[1] = (uint8_t)plen;
            memcpy(ok + 2, kk + rlen, plen);
            memcpy(ok + 2 + plen, kk, rlen);
        }
        MDB_val okv = {n, ok};
        assert_int_equal(mdb_put(txn, old, &okv, &v, 0), 0);
    }
    mdb_cursor_close(c);
    /* the moved ones leave "request_ids" (every one with keep 0) */
    if (!keep) {
        assert_int_equal(mdb_drop(txn, ids, 1), 0);
    } else {
        uint8_t (*gone)[LD_REQUEST_KEY_MAX] = calloc(MIG_MAX, sizeof *gone);
        size_t *glen = calloc(MIG_MAX, sizeof *glen), ng = 0;
        assert_int_equal(mdb_cursor_open(txn, ids, &c), 0);
        i = 0;
        for (int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
             rc = mdb_cursor_get(c, &k, &v, MDB_NEXT), i++) {
            if (i < keep)
                continue;
            assert_true(ng < MIG_MAX);
            memcpy(gone[ng], k.mv_data, k.mv_size);
            glen[ng++] = k.mv_size;
        }
        mdb_cursor_close(c);
        for (size_t g = 0; g < ng; g++) {
            MDB_val gk = {glen[g], gone[g]};
            assert_int_equal(mdb_del(txn, ids, &gk, NULL), 0);
        }
        free(gone);
        free(glen);
    }
    uint8_t three[4] = {0, 0, 0, 3};
    MDB_val fk = {6, "format"}, fv = {4, three};
    assert_int_equal(mdb_put(txn, meta, &fk, &fv, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

/* Whether the store in dir still has the table name. */
static bool has_table(const char *dir, const char *name)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    mdb_env_create(&env);
    mdb_env_set_maxdbs(env, 8);
    assert_int_equal(mdb_env_open(env, dir, MDB_RDONLY, 0640), 0);
    mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
    bool found = mdb_dbi_open(txn, name, 0, &dbi) == 0;
    mdb_txn_abort(txn);
    mdb_env_close(env);
    return found;
}

typedef struct {
    size_t n, expect;
    int bad;
} keywalk_t;

static int kw_size(void *ctx, uint64_t n)
{
    ((keywalk_t *)ctx)->expect = (size_t)n;
    return 0;
}

/* Each key walked must be a format 4 key of a request written (r-NNNN or the daemon's d-N). */
static int kw_key(void *ctx, const uint8_t *key, size_t len)
{
    keywalk_t *w = ctx;
    uint8_t want[LD_REQUEST_KEY_MAX];
    char rid[16];
    size_t wl;
    if (len == 7 && key[6] == 0x00) {
        memcpy(rid, key, 6), rid[6] = 0;
        wl = ld_store_request_key(want, NULL, key, 6);
    } else {
        snprintf(rid, sizeof rid, "%.*s", len >= 3 ? (int)len - 3 : 0, (const char *)key);
        wl = ld_store_request_key(want, "t", (const uint8_t *)rid, strlen(rid));
    }
    if (wl != len || memcmp(want, key, len))
        w->bad++;
    w->n++;
    return 0;
}

#define MIG_N 300

/* The 300 client ids and 2 daemon ids, each with its first seq and digest. */
static void mig_check(ld_store_t *s)
{
    uint64_t first;
    uint32_t count;
    uint8_t dg[LD_HASH_LEN];
    char rid[16];
    for (int i = 0; i < MIG_N; i++) {
        snprintf(rid, sizeof rid, "r-%04d", i);
        assert_int_equal(ld_store_request_get(s, KEY(rid), &first, &count, dg), 0);
        assert_int_equal(first, (uint64_t)i + 1);
        assert_int_equal(count, 1);
        assert_int_equal(dg[0], (uint8_t)(i & 0x7f));
    }
    for (int i = 0; i < 2; i++) {
        uint8_t k[LD_REQUEST_KEY_MAX];
        snprintf(rid, sizeof rid, "d-%04d", i);
        size_t kl = ld_store_request_key(k, NULL, (const uint8_t *)rid, 6);
        assert_int_equal(ld_store_request_get(s, k, kl, &first, &count, dg), 0);
        assert_int_equal(first, (uint64_t)MIG_N + 1 + i);
    }
    assert_int_equal(ld_store_request_get(s, KEY("r-9999"), &first, &count, dg), LD_ENOTFOUND);
    keywalk_t w = {0};
    assert_int_equal(ld_store_request_keys(s, kw_size, kw_key, &w), 0);
    assert_int_equal(w.expect, MIG_N + 2);
    assert_int_equal(w.n, MIG_N + 2);
    assert_int_equal(w.bad, 0);
}

/* §12, store format 4: request ids are keyed id first. A format 3 store
 * (keyed principal first), whole or with a migration cut short, is read by
 * a read-only open as it is and migrated by a writer's open: every id is
 * found with its first seq and digest, a repeat is a duplicate, a repeat
 * with other commands is refused, and the old table is gone. */
static void test_s12_format_3_request_ids_read_and_migrated(void **state)
{
    (void)state;
    for (size_t keep = 0; keep <= 150; keep += 150) {
        char *dir = tmpdir();
        ld_store_t *s = open_store(dir, LD_DURABILITY_NOSYNC, 0);
        char rid[16];
        for (int i = 0; i < MIG_N; i++) {
            snprintf(rid, sizeof rid, "r-%04d", i);
            const char *e[] = {"emp/a"};
            digest_byte = (uint8_t)(i & 0x7f);
            assert_int_equal(append_req(s, rid, e, 1, NULL).rc, 0);
        }
        digest_byte = 0;
        for (int i = 0; i < 2; i++) {
            tev_t t;
            tev_init(&t, "emp/b", 1, NULL);
            Ladder__V1__Event *ev[] = {&t.ev};
            uint8_t k[LD_REQUEST_KEY_MAX];
            snprintf(rid, sizeof rid, "d-%04d", i);
            ld_append_t r = {.request_key = k,
                             .request_key_len = ld_store_request_key(k, NULL, (const uint8_t *)rid, 6),
                             .events = ev, .n_events = 1};
            assert_int_equal(ld_store_append(s, &r, 1), 0);
            assert_int_equal(r.rc, 0);
        }
        ld_store_close(&s);
        make_format_3(dir, keep);
        assert_int_equal(stored_format(dir), 3);
        assert_int_equal(has_table(dir, "request_ids"), keep > 0);

        ld_store_options_t ro = {.read_only = true};
        char err[256];
        assert_int_equal(ld_store_open(&s, dir, &ro, err, sizeof err), 0);
        mig_check(s);
        ld_store_close(&s);
        assert_int_equal(stored_format(dir), 3);

        s = open_store(dir, LD_DURABILITY_NOSYNC, 0);
        assert_int_equal(stored_format(dir), LD_STORE_FORMAT);
        assert_false(has_table(dir, "requests"));
        mig_check(s);
        const char *e[] = {"emp/a"};
        digest_byte = 7;
        ld_append_t again = append_req(s, "r-0007", e, 1, NULL);
        assert_true(again.duplicate);
        assert_int_equal(again.first_seq, 8);
        digest_byte = 9;
        again = append_req(s, "r-0007", e, 1, NULL);
        assert_int_equal(again.rc, LD_EREUSED);
        digest_byte = 0;
        uint64_t head;
        ld_store_head(s, &head, NULL);
        assert_int_equal(head, MIG_N + 2);
        ld_store_close(&s);
        s = open_store(dir, LD_DURABILITY_NOSYNC, 0);
        mig_check(s);
        ld_store_close(&s);
        rmdir_all(dir);
    }
}

typedef struct {
    uint8_t *data;
    size_t len;
} bytes_t;

static int copy_cb(void *ctx, uint64_t seq, const uint8_t *data, size_t len)
{
    bytes_t *b = ctx;
    (void)seq;
    b->data = malloc(len ? len : 1);
    memcpy(b->data, data, len);
    b->len = len;
    return 0;
}

/* The store packs the envelope itself (store_append.c, "packer"): for an event
 * of every body kind, with every envelope field set, the stored bytes are
 * the ones protobuf-c packs for that event with its seq, version and link. */
static void test_stored_bytes_are_protobuf_c_packing_for_every_body_kind(void **state)
{
    (void)state;
    char *dir = tmpdir();
    ld_store_t *s = open_store(dir, LD_DURABILITY_NOSYNC, 0);
    const ProtobufCMessageDescriptor *d = &ladder__v1__event__descriptor;
    uint8_t id[16], rid[16];
    memset(id, 0xa5, sizeof id);
    memset(rid, 0x5a, sizeof rid);
    size_t kinds = 0;
    for (unsigned f = 0; f <= d->n_fields; f++) {
        /* f == n_fields: an event without a body */
        const ProtobufCFieldDescriptor *fd = f < d->n_fields ? &d->fields[f] : NULL;
        if (fd && !(fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
            continue;
        for (int variant = 0; variant < 2; variant++) {
            Ladder__V1__Event ev;
            ladder__v1__event__init(&ev);
            ProtobufCMessage *body = NULL;
            if (fd) {
                const ProtobufCMessageDescriptor *bd = fd->descriptor;
                body = calloc(1, bd->sizeof_message);
                bd->message_init(body);
                /* variant 1: the body's string fields set, some long */
                for (unsigned j = 0; variant && j < bd->n_fields; j++)
                    if (bd->fields[j].type == PROTOBUF_C_TYPE_STRING &&
                        bd->fields[j].label == PROTOBUF_C_LABEL_NONE)
                        *(const char **)((char *)body + bd->fields[j].offset) =
                            j % 2 ? "x" : "a string of more than one hundred and twenty-seven "
                                          "bytes, so that its length takes two bytes of varint, "
                                          "which is what this is for";
                ev.body_case = (Ladder__V1__Event__BodyCase)fd->id;
                *(ProtobufCMessage **)((char *)&ev + fd->offset) = body;
            }
            ev.id = (ProtobufCBinaryData){sizeof id, id};
            ev.stream = variant ? "emp/kind" : "kb/k";
            ev.at_ms = variant ? -1 : 1795000000123; /* negative: ten bytes */
            ev.actor = variant ? "" : "manager-7";
            ev.request_id = (ProtobufCBinaryData){variant ? 0 : sizeof rid, rid};
            ev.cause_seq = variant ? 0 : 300000;
            ev.rules_version = variant ? 0 : 70000;
            ev.redacted = variant == 1; /* never in the log; packed all the same */
            Ladder__V1__Event *p = &ev;
            ld_append_t r = {.events = &p, .n_events = 1};
            assert_int_equal(ld_store_append(s, &r, 1), 0);
            assert_int_equal(r.rc, 0);
            assert_null(ev.prev_hash.data); /* the caller's event keeps no link */

            /* protobuf-c's packing of the same event as stored */
            bytes_t stored = {0};
            assert_int_equal(ld_store_scan(s, r.first_seq, 1, copy_cb, &stored), 0);
            size_t slen = stored.len;
            Ladder__V1__Event *back = ladder__v1__event__unpack(NULL, slen, stored.data);
            assert_non_null(back);
            ev.prev_hash = back->prev_hash;
            size_t want = protobuf_c_message_get_packed_size(&ev.base);
            uint8_t *buf = malloc(want);
            assert_int_equal(protobuf_c_message_pack(&ev.base, buf), want);
            if (want != slen || memcmp(buf, stored.data, want) != 0)
                fail_msg("body %s variant %d: stored %zu bytes differ from protobuf-c's %zu",
                         fd ? fd->name : "(none)", variant, slen, want);
            ladder__v1__event__free_unpacked(back, NULL);
            free(buf);
            free(stored.data);
            free(body);
            kinds++;
        }
    }
    assert_true(kinds > 2 * 40);
    uint64_t bad;
    assert_int_equal(ld_store_verify(s, &bad, NULL, 0), 0);
    ld_store_close(&s);
    rmdir_all(dir);
}

/* wire.c packs the reply to commands (Reply{request_id, ok: Ok{seqs}}) by
 * hand: the same bytes as protobuf-c's, for ids of 0..64 bytes and seq lists
 * of 0..300 seqs of every varint length. */
static void test_reply_seqs_packing_is_protobuf_c_packing(void **state)
{
    (void)state;
    static uint64_t seqs[300];
    uint8_t rid[64];
    memset(rid, 'r', sizeof rid);
    size_t lens[] = {0, 1, 5, 16, 64}, counts[] = {0, 1, 2, 17, 300};
    for (size_t a = 0; a < 5; a++)
        for (size_t c = 0; c < 5; c++)
            for (int shift = 0; shift < 64; shift += 9) {
                for (size_t i = 0; i < counts[c]; i++)
                    seqs[i] = ((uint64_t)1 << shift) + i * 131;
                Ladder__V1__Ok ok = LADDER__V1__OK__INIT;
                ok.n_seqs = counts[c], ok.seqs = seqs;
                Ladder__V1__Reply r = LADDER__V1__REPLY__INIT;
                r.request_id = (ProtobufCBinaryData){lens[a], rid};
                r.outcome_case = LADDER__V1__REPLY__OUTCOME_OK;
                r.ok = &ok;
                size_t want = ladder__v1__reply__get_packed_size(&r);
                size_t size = ld_wire_reply_seqs_size(lens[a], seqs, counts[c]);
                uint8_t *x = malloc(want + 1), *y = malloc(size + 1);
                assert_int_equal(ladder__v1__reply__pack(&r, x), want);
                assert_int_equal(ld_wire_reply_seqs(y, rid, lens[a], seqs, counts[c]), size);
                if (size != want || memcmp(x, y, want))
                    fail_msg("id %zu bytes, %zu seqs from 2^%d: %zu bytes, protobuf-c %zu", lens[a],
                             counts[c], shift, size, want);
                free(x);
                free(y);
            }
}

/* wire.c packs refusals (Reply{request_id, error: Error{...}}) by hand: the
 * same bytes as protobuf-c's for every field empty or set, short and long
 * (a two-byte length), codes and command indexes of one and two bytes. */
static void test_reply_error_packing_is_protobuf_c_packing(void **state)
{
    (void)state;
    static const char *strs[] = {"", "x", "§6.5: level-1 needs 40 points; a longer message, long "
                                          "enough that its length takes two bytes of varint: "
                                          "more than one hundred and twenty-seven bytes"};
    static const int codes[] = {0, 3, 127, 128, 300};
    static const uint32_t idx[] = {0, 1, 200};
    uint8_t rid[64];
    memset(rid, 'q', sizeof rid);
    size_t lens[] = {0, 7, 64}, n = 0;
    for (size_t a = 0; a < 3; a++)
        for (size_t c = 0; c < 5; c++)
            for (size_t m = 0; m < 27; m++)
                for (size_t i = 0; i < 3; i++) {
                    const char *msg = strs[m % 3], *field = strs[m / 3 % 3], *sec = strs[m / 9];
                    Ladder__V1__Error e = LADDER__V1__ERROR__INIT;
                    e.code = (Ladder__V1__ErrorCode)codes[c];
                    e.message = (char *)msg, e.field = (char *)field, e.section = (char *)sec;
                    e.command_index = idx[i];
                    Ladder__V1__Reply r = LADDER__V1__REPLY__INIT;
                    r.request_id = (ProtobufCBinaryData){lens[a], rid};
                    r.outcome_case = LADDER__V1__REPLY__OUTCOME_ERROR;
                    r.error = &e;
                    size_t want = ladder__v1__reply__get_packed_size(&r);
                    size_t size = ld_wire_reply_error_size(lens[a], codes[c], msg, field, sec, idx[i]);
                    uint8_t *x = malloc(want + 1), *y = malloc(size + 1);
                    assert_int_equal(ladder__v1__reply__pack(&r, x), want);
                    assert_int_equal(ld_wire_reply_error(y, rid, lens[a], codes[c], msg, field, sec,
                                                         idx[i]),
                                     size);
                    if (size != want || memcmp(x, y, want))
                        fail_msg("id %zu bytes, code %d, strings %zu, index %u: %zu bytes, "
                                 "protobuf-c %zu", lens[a], codes[c], m, idx[i], size, want);
                    free(x);
                    free(y);
                    n++;
                }
    assert_int_equal(n, 3 * 5 * 27 * 3);
}

static void test_snapshot_put_get(void **state)
{
    (void)state;
    char *dir = tmpdir();
    ld_store_t *s = open_store(dir, LD_DURABILITY_NOSYNC, 0);
    uint64_t seq;
    void *data;
    size_t len;
    assert_int_equal(ld_store_snapshot_get(s, "core", &seq, &data, &len), LD_ENOTFOUND);
    assert_int_equal(ld_store_snapshot_put(s, "core", 41, "abc", 3), 0);
    assert_int_equal(ld_store_snapshot_put(s, "core", 42, "hello", 5), 0);
    assert_int_equal(ld_store_snapshot_get(s, "core", &seq, &data, &len), 0);
    assert_int_equal(seq, 42);
    assert_int_equal(len, 5);
    assert_memory_equal(data, "hello", 5);
    free(data);
    ld_store_close(&s);
    rmdir_all(dir);
}

/* Issue 17: a snapshot read in place (start-up parses it where LMDB maps it)
 * gives the same seq and bytes as a copy, and fn's result comes back. */
static int view_check(void *ctx, uint64_t seq, const void *data, size_t len)
{
    (void)ctx;
    assert_int_equal(seq, 42);
    assert_int_equal(len, 5);
    assert_memory_equal(data, "hello", 5);
    return 7;
}

static void test_snapshot_view_in_place(void **state)
{
    (void)state;
    char *dir = tmpdir();
    ld_store_t *s = open_store(dir, LD_DURABILITY_NOSYNC, 0);
    assert_int_equal(ld_store_snapshot_view(s, "core", view_check, NULL), LD_ENOTFOUND);
    assert_int_equal(ld_store_snapshot_put(s, "core", 42, "hello", 5), 0);
    assert_int_equal(ld_store_snapshot_view(s, "core", view_check, NULL), 7);
    ld_store_close(&s);
    rmdir_all(dir);
}

/* Crash trials: a child appends batches with full durability and tells the
 * parent through a pipe about each acknowledged one; a timer SIGKILLs it at a
 * random moment (often inside a commit). After reopening, every acknowledged
 * batch is there whole, and every batch that is there at all is whole. */
typedef struct {
    uint32_t batch;
    uint32_t count;
    uint64_t first_seq;
} ack_t;

static void on_alarm(int sig)
{
    (void)sig;
    raise(SIGKILL);
}

static void crash_child(const char *dir, int fd, unsigned seed)
{
    signal(SIGALRM, on_alarm);
    struct itimerval it = {{0, 0}, {0, 2000 + (long)(seed % 60000)}};
    ld_store_t *s = open_store(dir, LD_DURABILITY_FULL, (size_t)1 << 20);
    setitimer(ITIMER_REAL, &it, NULL);
    uint64_t head;
    ld_store_head(s, &head, NULL);
    for (uint32_t b = (uint32_t)head;; b++) {
        uint32_t n = 1 + (b * 2654435761u + seed) % 40;
        tev_t t[40];
        Ladder__V1__Event *p[40];
        char rid[32];
        snprintf(rid, sizeof rid, "batch-%u", b);
        for (uint32_t i = 0; i < n; i++) {
            char emp[16];
            snprintf(emp, sizeof emp, "c%u", (b + i) % 17);
            tev_init(&t[i], emp, i, rid);
            p[i] = &t[i].ev;
        }
        ld_append_t r = {.request_key = key_of(rid), .request_key_len = KLEN(rid), .events = p, .n_events = n};
        if (ld_store_append(s, &r, 1) || r.rc)
            _exit(3);
        ack_t a = {b, r.count, r.first_seq};
        if (write(fd, &a, sizeof a) != sizeof a)
            _exit(4);
    }
}

typedef struct {
    char rid[32];
    uint64_t first;
    uint32_t count;
} run_t;

typedef struct {
    run_t runs[20000];
    size_t n;
    int bad;
} runs_t;

/* Splits the log into runs of consecutive events of one request id. Events of
 * a batch carry amounts 0, 1, 2, ...: a hole inside a run shows as a skip. */
static int runs_cb(void *ctx, uint64_t seq, const uint8_t *data, size_t len)
{
    runs_t *w = ctx;
    Ladder__V1__Event *ev = ladder__v1__event__unpack(NULL, len, data);
    if (!ev)
        return -1;
    const char *ref = ev->points_awarded->ref;
    run_t *r = w->n ? &w->runs[w->n - 1] : NULL;
    if (!r || strcmp(ref, r->rid) != 0) {
        if (w->n == 20000)
            return -1;
        r = &w->runs[w->n++];
        snprintf(r->rid, sizeof r->rid, "%s", ref);
        r->first = seq;
        r->count = 0;
    }
    if (ev->points_awarded->amount != (int64_t)r->count)
        w->bad = 1;
    r->count++;
    ladder__v1__event__free_unpacked(ev, NULL);
    return 0;
}

static void test_crash_kill9_keeps_every_acknowledged_batch(void **state)
{
    (void)state;
    const int trials = 20;
    size_t total_acks = 0;
    for (int trial = 0; trial < trials; trial++) {
        char *dir = tmpdir();
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        unsigned seed = (unsigned)(trial * 7919 + 17) * 2246822519u;
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            crash_child(dir, fds[1], seed);
        }
        close(fds[1]);
        ack_t acks[20000];
        size_t nack = 0;
        ack_t a;
        while (read(fds[0], &a, sizeof a) == sizeof a && nack < 20000)
            acks[nack++] = a;
        close(fds[0]);
        int st;
        waitpid(pid, &st, 0);
        assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);

        ld_store_t *s = open_store(dir, LD_DURABILITY_FULL, 0);
        for (size_t i = 0; i < nack; i++) {
            char rid[32];
            snprintf(rid, sizeof rid, "batch-%u", acks[i].batch);
            uint64_t first;
            uint32_t count;
            int rc = ld_store_request_get(s, KEY(rid), &first, &count, NULL);
            if (rc || first != acks[i].first_seq || count != acks[i].count)
                fail_msg("trial %d: acknowledged %s lost (rc %d)", trial, rid, rc);
        }
        static runs_t w;
        memset(&w, 0, sizeof w);
        assert_int_equal(ld_store_scan(s, 1, 0, runs_cb, &w), 0);
        assert_int_equal(w.bad, 0);
        /* every batch in the log is whole: its events match its request record */
        for (size_t i = 0; i < w.n; i++) {
            uint64_t first;
            uint32_t count;
            assert_int_equal(ld_store_request_get(s, KEY(w.runs[i].rid), &first, &count, NULL), 0);
            assert_int_equal(first, w.runs[i].first);
            assert_int_equal(count, w.runs[i].count);
        }
        assert_true(w.n >= nack);
        assert_true(w.n <= nack + 1); /* at most the batch whose ack was cut off */
        total_acks += nack;
        uint64_t bad;
        assert_int_equal(ld_store_verify(s, &bad, NULL, 0), 0);
        ld_store_close(&s);
        rmdir_all(dir);
    }
    print_message("crash trials: %d, acknowledged batches checked: %zu\n", trials, total_acks);
    assert_true(total_acks > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_assigns_seq_version_and_chain),
        cmocka_unit_test(test_seqs_gapless_across_reopen),
        cmocka_unit_test(test_scan_stream_and_paging),
        cmocka_unit_test(test_expected_version_conflict_writes_nothing),
        cmocka_unit_test(test_repeated_request_id_returns_first_result),
        cmocka_unit_test(test_verify_finds_one_flipped_byte_in_any_event),
        cmocka_unit_test(test_map_grows_from_1mib_past_100mib),
        cmocka_unit_test(test_unknown_format_version_refused),
        cmocka_unit_test(test_snapshot_put_get),
        cmocka_unit_test(test_snapshot_view_in_place),
        cmocka_unit_test(test_stream_index_written_behind),
        cmocka_unit_test(test_stream_index_chunks_exact_across_reopen_and_crash),
        cmocka_unit_test(test_format_2_store_read_and_migrated),
        cmocka_unit_test(test_stored_bytes_are_protobuf_c_packing_for_every_body_kind),
        cmocka_unit_test(test_crash_kill9_keeps_every_acknowledged_batch),
        cmocka_unit_test(test_format_1_refused_clearly),
        cmocka_unit_test(test_s12_request_ids_scoped_per_principal_with_digest),
        cmocka_unit_test(test_s12_format_3_request_ids_read_and_migrated),
        cmocka_unit_test(test_reply_seqs_packing_is_protobuf_c_packing),
        cmocka_unit_test(test_reply_error_packing_is_protobuf_c_packing),
        cmocka_unit_test(test_data_directory_lock),
        cmocka_unit_test(test_open_refuses_damaged_stores),
        cmocka_unit_test(test_read_only_open_creates_nothing),
        cmocka_unit_test(test_verify_names_the_first_of_two_altered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
