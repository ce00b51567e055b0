/* test_core_fold.c — the fold of a stored log into the core (daemon/replay.c)
 * with its read-ahead (issue 17: events are decoded a few ahead and the core
 * is asked to prefetch what they name, ld_core_prefetch): the state it builds
 * is the live core's, byte for byte, whether the log is folded whole, in steps
 * of to_seq (a step ends with events still read ahead), or up to a time
 * (to_ms); an event that does not apply stops it with that event's seq and
 * the state of the events before it, none of the ones read after it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lmdb.h>

#include "core.h"
#include "gen.h"
#include "replay.h"
#include "store.h"

#define T0 1767542400000LL
#define EMPLOYEES 500
#define EVENTS 40000
#define CHECKS 8 /* live snapshots kept along the way */

typedef struct {
    char dir[64];
    ld_store_t *s;
    uint64_t head;
    uint64_t check_seq[CHECKS]; /* the state after this seq... */
    uint8_t *check[CHECKS];     /* ...is these snapshot bytes */
    size_t check_len[CHECKS];
    size_t n_checks;
} fixture_t;

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st, (void)flag, (void)f;
    return remove(p);
}

static void append_out(fixture_t *fx, ld_out_t *out)
{
    if (!ld_out_count(out))
        return;
    ld_append_t a = {.events = ld_out_events(out), .n_events = ld_out_count(out)};
    assert_int_equal(ld_store_append(fx->s, &a, 1), 0);
    assert_int_equal(a.rc, 0);
    ld_out_reset(out);
}

static void append_event(fixture_t *fx, Ladder__V1__Event *ev)
{
    ld_append_t a = {.events = &ev, .n_events = 1};
    assert_int_equal(ld_store_append(fx->s, &a, 1), 0);
    assert_int_equal(a.rc, 0);
}

static void keep_check(fixture_t *fx, const ld_core_t *c)
{
    assert_true(fx->n_checks < CHECKS);
    size_t k = fx->n_checks++;
    fx->check_seq[k] = ld_core_next_seq(c) - 1;
    assert_int_equal(ld_core_snapshot(c, &fx->check[k], &fx->check_len[k]), 0);
}

/* A log of the bench's realistic mix with churn: hires, a library, then
 * generated commands (points, studies, ratings, tests, leaves...). */
static int setup(void **state)
{
    fixture_t *fx = calloc(1, sizeof *fx);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/ladder-test-fold-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    ld_store_options_t o = {.durability = LD_DURABILITY_NOSYNC, .map_size = (size_t)256 << 20};
    char err[256];
    assert_int_equal(ld_store_open(&fx->s, fx->dir, &o, err, sizeof err), 0);
    ld_core_t *c = ld_core_new(1);
    ld_out_t *out = ld_out_new();
    for (uint32_t i = 0; i < EMPLOYEES; i++) {
        Ladder__V1__Hire h = LADDER__V1__HIRE__INIT;
        char id[16], team[16];
        snprintf(id, sizeof id, "e%u", i);
        snprintf(team, sizeof team, "team%u", i % 20);
        h.employee_id = id, h.name = "Li Wei", h.team = team, h.centre = "north";
        Ladder__V1__Command cmd = LADDER__V1__COMMAND__INIT;
        cmd.cmd_case = LADDER__V1__COMMAND__CMD_HIRE;
        cmd.hire = &h;
        ld_ctx_t ctx = {T0, "boss", LADDER__V1__ROLE__ROLE_MANAGER, NULL, 0};
        assert_int_equal(ld_core_execute(c, &cmd, &ctx, out, NULL), 0);
    }
    append_out(fx, out);
    for (uint32_t level = 1; level <= 5; level++)
        for (uint32_t half = 1; half <= 2; half++)
            for (uint32_t k = 0; k < 14; k++) {
                char cid[32];
                snprintf(cid, sizeof cid, "c%u-%u-%u", level, half, k);
                Ladder__V1__CaseAccepted m = LADDER__V1__CASE_ACCEPTED__INIT;
                m.case_id = cid, m.level = level, m.category = "billing";
                m.half = (Ladder__V1__Half)half;
                Ladder__V1__Event ev = LADDER__V1__EVENT__INIT;
                ev.seq = ld_core_next_seq(c), ev.stream = "case", ev.at_ms = T0;
                ev.body_case = LADDER__V1__EVENT__BODY_CASE_ACCEPTED;
                ev.case_accepted = &m;
                assert_int_equal(ld_core_evolve(c, &ev), 0);
                append_event(fx, &ev);
            }
    keep_check(fx, c);
    ld_gen_t g;
    ld_gen_init(&g, 17, EMPLOYEES, T0);
    g.realistic = 1;
    g.churn = 1;
    uint64_t next_check = EVENTS / (CHECKS - 1);
    while (ld_core_next_seq(c) - 1 < EVENTS) {
        Ladder__V1__Command *cmd = ld_gen_command(&g);
        ld_ctx_t ctx = {g.now, g.principal, g.roles, NULL, 0};
        (void)ld_core_execute(c, cmd, &ctx, out, NULL);
        /* appended in uneven chunks, the checks fall between them */
        if (ld_out_count(out) >= 777) {
            append_out(fx, out);
            if (ld_core_next_seq(c) - 1 >= next_check && fx->n_checks < CHECKS - 1) {
                keep_check(fx, c);
                next_check += EVENTS / (CHECKS - 1);
            }
        }
    }
    append_out(fx, out);
    keep_check(fx, c);
    ld_store_head(fx->s, &fx->head, NULL);
    assert_int_equal(fx->head, ld_core_next_seq(c) - 1);
    ld_out_destroy(&out);
    ld_core_destroy(&c);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *fx = *state;
    ld_store_close(&fx->s);
    nftw(fx->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
    for (size_t k = 0; k < fx->n_checks; k++)
        free(fx->check[k]);
    free(fx);
    return 0;
}

static void assert_state(const ld_core_t *c, const uint8_t *want, size_t want_len)
{
    uint8_t *got;
    size_t len;
    assert_int_equal(ld_core_snapshot(c, &got, &len), 0);
    assert_int_equal(len, want_len);
    assert_memory_equal(got, want, len);
    free(got);
}

/* The reference: events evolved one at a time as they are decoded, with no
 * read-ahead (ld_replay_each), up to seq `upto`. */
typedef struct {
    ld_core_t *c;
    uint64_t upto;
} ref_t;

static int ref_one(void *ctx, const Ladder__V1__Event *ev)
{
    ref_t *r = ctx;
    if (ev->seq > r->upto)
        return 1;
    return ld_core_evolve(r->c, ev) ? -1 : 0;
}

static ld_core_t *reference(ld_store_t *s, uint64_t upto)
{
    ref_t r = {ld_core_new(1), upto};
    uint64_t bad = 0;
    int rc = ld_replay_each(s, 1, ref_one, &r, &bad);
    assert_true(rc == 0 || rc == 1);
    assert_int_equal(ld_core_next_seq(r.c), upto + 1);
    return r.c;
}

/* The whole log in one fold: the live core's bytes at the head. */
static void test_s17_fold_whole_log_is_the_live_state(void **state)
{
    fixture_t *fx = *state;
    ld_core_t *c = ld_core_new(1);
    uint64_t count = 0, bad = 0;
    assert_int_equal(ld_replay(fx->s, c, &count, &bad), 0);
    assert_int_equal(count, fx->head);
    assert_int_equal(ld_core_next_seq(c), fx->head + 1);
    assert_state(c, fx->check[fx->n_checks - 1], fx->check_len[fx->n_checks - 1]);
    ld_core_destroy(&c);
}

/* Folds that stop at a seq (with events read ahead of it) and go on from
 * there: at every check, the live core's bytes; odd steps too. */
static void test_s17_fold_in_steps_of_to_seq(void **state)
{
    fixture_t *fx = *state;
    ld_core_t *c = ld_core_new(1);
    for (size_t k = 0; k < fx->n_checks; k++) {
        uint64_t count = 0, before = ld_core_next_seq(c);
        assert_int_equal(ld_replay_until(fx->s, c, fx->check_seq[k], 0, &count), 0);
        assert_int_equal(ld_core_next_seq(c), fx->check_seq[k] + 1);
        assert_int_equal(count, fx->check_seq[k] + 1 - before);
        assert_state(c, fx->check[k], fx->check_len[k]);
    }
    ld_core_destroy(&c);
    /* steps of 1, 2 and 3 events (fewer than read ahead), then 1001 */
    c = ld_core_new(1);
    uint64_t upto = 0;
    for (int i = 0; upto < 3000; i++) {
        upto += (uint64_t)(i % 3 + 1);
        assert_int_equal(ld_replay_until(fx->s, c, upto, 0, NULL), 0);
        assert_int_equal(ld_core_next_seq(c), upto + 1);
    }
    while (upto < fx->head) {
        upto = upto + 1001 < fx->head ? upto + 1001 : fx->head;
        assert_int_equal(ld_replay_until(fx->s, c, upto, 0, NULL), 0);
    }
    assert_state(c, fx->check[fx->n_checks - 1], fx->check_len[fx->n_checks - 1]);
    ld_core_destroy(&c);
}

typedef struct {
    uint64_t seq;
    int64_t at_ms, next_at_ms;
    uint64_t want;
} at_t;

/* The last event at or before a time in the middle of the log. */
static int find_time(void *ctx, const Ladder__V1__Event *ev)
{
    at_t *a = ctx;
    if (ev->seq == a->want)
        a->at_ms = ev->at_ms;
    else if (a->at_ms && ev->at_ms > a->at_ms) {
        a->next_at_ms = ev->at_ms;
        return 1;
    }
    a->seq = ev->seq;
    return 0;
}

/* A fold up to a time stops before the first event after it: the state of
 * the events before, as the one-at-a-time fold builds it. */
static void test_s17_fold_up_to_a_time(void **state)
{
    fixture_t *fx = *state;
    at_t a = {.want = fx->head / 2 + 3};
    uint64_t bad = 0;
    assert_int_equal(ld_replay_each(fx->s, 1, find_time, &a, &bad), 1);
    assert_true(a.seq >= a.want && a.seq < fx->head);
    ld_core_t *c = ld_core_new(1);
    uint64_t count = 0;
    assert_int_equal(ld_replay_until(fx->s, c, 0, a.at_ms, &count), 0);
    assert_int_equal(count, a.seq);
    assert_int_equal(ld_core_next_seq(c), a.seq + 1);
    ld_core_t *ref = reference(fx->s, a.seq);
    uint8_t *want;
    size_t len;
    assert_int_equal(ld_core_snapshot(ref, &want, &len), 0);
    assert_state(c, want, len);
    free(want);
    ld_core_destroy(&ref);
    ld_core_destroy(&c);
}

/* An event that does not apply (points for nobody), with valid ones read
 * ahead behind it: LD_ECORRUPT, its seq, and the state just before it. */
static void test_s17_fold_stops_at_an_event_that_does_not_apply(void **state)
{
    fixture_t *fx = *state;
    uint64_t bad_at = fx->head + 1;
    Ladder__V1__PointsAdjusted pa = LADDER__V1__POINTS_ADJUSTED__INIT;
    pa.employee_id = "nobody", pa.amount = 5, pa.reason = "x";
    Ladder__V1__Event ev = LADDER__V1__EVENT__INIT;
    ev.stream = "emp/nobody", ev.at_ms = T0 + 1;
    ev.body_case = LADDER__V1__EVENT__BODY_POINTS_ADJUSTED;
    ev.points_adjusted = &pa;
    append_event(fx, &ev);
    Ladder__V1__PointsAdjusted ok = LADDER__V1__POINTS_ADJUSTED__INIT;
    ok.employee_id = "e1", ok.amount = 7, ok.reason = "y";
    for (int i = 0; i < 4; i++) {
        Ladder__V1__Event e2 = LADDER__V1__EVENT__INIT;
        e2.stream = "emp/e1", e2.at_ms = T0 + 2;
        e2.body_case = LADDER__V1__EVENT__BODY_POINTS_ADJUSTED;
        e2.points_adjusted = &ok;
        append_event(fx, &e2);
    }
    ld_core_t *c = ld_core_new(1);
    uint64_t count = 0, bad = 0;
    assert_int_equal(ld_replay(fx->s, c, &count, &bad), LD_ECORRUPT);
    assert_int_equal(bad, bad_at);
    assert_int_equal(count, bad_at - 1);
    assert_int_equal(ld_core_next_seq(c), bad_at);
    assert_state(c, fx->check[fx->n_checks - 1], fx->check_len[fx->n_checks - 1]);
    ld_core_destroy(&c);
    /* the same from a core a few events short of it (fewer than read ahead) */
    c = ld_core_new(1);
    assert_int_equal(ld_replay_until(fx->s, c, bad_at - 2, 0, NULL), 0);
    assert_int_equal(ld_replay_until(fx->s, c, 0, 0, &count), LD_ECORRUPT);
    assert_int_equal(count, 1);
    assert_state(c, fx->check[fx->n_checks - 1], fx->check_len[fx->n_checks - 1]);
    ld_core_destroy(&c);
}

/* The threads the process runs now (/proc/self/status): a fold leaves none
 * behind (compared with the count before it: a sanitizer runs one of its own). */
static long threads_now(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long n = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "Threads:", 8))
            n = atol(line + 8);
    if (f)
        fclose(f);
    return n;
}

static uint8_t *snapshot_of(const ld_core_t *c, size_t *len)
{
    uint8_t *buf;
    assert_int_equal(ld_core_snapshot(c, &buf, len), 0);
    return buf;
}

/* The fold as replay.c batches it (256 events a batch from the first one it
 * reads): seqs below are picked to fall inside a batch, not at its edge. */
#define FOLD_BATCH 256

/* Issue 17: the pipelined fold (a reader thread decodes batches, the caller
 * evolves them) and the one-thread fold build the same bytes: over the whole
 * log (over 150 batches), and in to_seq steps that end mid-batch. */
static void test_s17_pipelined_fold_equals_one_thread_fold(void **state)
{
    fixture_t *fx = *state;
    const long threads = threads_now();
    assert_true(fx->head > 150 * FOLD_BATCH);
    uint8_t *snap[2];
    size_t len[2];
    for (int pipelined = 0; pipelined < 2; pipelined++) {
        ld_replay_set_pipelined(pipelined);
        ld_core_t *c = ld_core_new(1);
        uint64_t count = 0, bad = 0;
        assert_int_equal(ld_replay(fx->s, c, &count, &bad), 0);
        assert_int_equal(count, fx->head);
        assert_int_equal(bad, 0);
        snap[pipelined] = snapshot_of(c, &len[pipelined]);
        ld_core_destroy(&c);
        /* steps whose ends fall inside batches, each fold starting mid-batch */
        c = ld_core_new(1);
        uint64_t upto = 0;
        while (upto < fx->head) {
            upto = upto + 3 * FOLD_BATCH + 37 < fx->head ? upto + 3 * FOLD_BATCH + 37 : fx->head;
            uint64_t before = ld_core_next_seq(c);
            assert_int_equal(ld_replay_until(fx->s, c, upto, 0, &count), 0);
            assert_int_equal(count, upto + 1 - before);
        }
        assert_state(c, snap[pipelined], len[pipelined]);
        ld_core_destroy(&c);
        assert_int_equal(threads_now(), threads);
    }
    ld_replay_set_pipelined(true);
    assert_int_equal(len[0], len[1]);
    assert_memory_equal(snap[0], snap[1], len[0]);
    assert_int_equal(len[1], fx->check_len[fx->n_checks - 1]);
    assert_memory_equal(snap[1], fx->check[fx->n_checks - 1], len[1]);
    free(snap[0]);
    free(snap[1]);
}

/* Issue 17: a fold up to a time whose last event sits inside a batch (the
 * batch holds later events the reader decoded): both folds stop after it,
 * with the one-at-a-time reference's bytes. */
static void test_s17_pipelined_fold_up_to_a_time_mid_batch(void **state)
{
    fixture_t *fx = *state;
    const long threads = threads_now();
    at_t a = {.want = 70 * FOLD_BATCH + 29};
    uint64_t bad = 0;
    assert_int_equal(ld_replay_each(fx->s, 1, find_time, &a, &bad), 1);
    assert_true(a.seq % FOLD_BATCH != 0 && a.seq < fx->head);
    ld_core_t *ref = reference(fx->s, a.seq);
    size_t want_len;
    uint8_t *want = snapshot_of(ref, &want_len);
    ld_core_destroy(&ref);
    for (int pipelined = 0; pipelined < 2; pipelined++) {
        ld_replay_set_pipelined(pipelined);
        ld_core_t *c = ld_core_new(1);
        uint64_t count = 0;
        assert_int_equal(ld_replay_until(fx->s, c, 0, a.at_ms, &count), 0);
        assert_int_equal(count, a.seq);
        assert_int_equal(ld_core_next_seq(c), a.seq + 1);
        assert_state(c, want, want_len);
        ld_core_destroy(&c);
        assert_int_equal(threads_now(), threads);
    }
    ld_replay_set_pipelined(true);
    free(want);
}

/* Overwrites the stored bytes of event seq (the store closed meanwhile);
 * the old bytes go to *old (caller frees) when old is not NULL. A log whose
 * chain fails must reopen read_only (a writer's open verifies the chain). */
static void rewrite_event(fixture_t *fx, uint64_t seq, const void *bytes, size_t len,
                          void **old, size_t *old_len, bool read_only)
{
    ld_store_close(&fx->s);
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 8), 0);
    assert_int_equal(mdb_env_set_mapsize(env, (size_t)256 << 20), 0);
    assert_int_equal(mdb_env_open(env, fx->dir, 0, 0640), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "events", 0, &dbi), 0);
    uint8_t key[8];
    for (int i = 0; i < 8; i++)
        key[i] = (uint8_t)(seq >> (56 - 8 * i));
    MDB_val k = {8, key}, v;
    if (old) {
        assert_int_equal(mdb_get(txn, dbi, &k, &v), 0);
        *old = malloc(v.mv_size);
        memcpy(*old, v.mv_data, v.mv_size);
        *old_len = v.mv_size;
    }
    v = (MDB_val){len, (void *)bytes};
    assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    ld_store_options_t o = {.durability = LD_DURABILITY_NOSYNC, .map_size = (size_t)256 << 20,
                            .read_only = read_only};
    char err[256];
    assert_int_equal(ld_store_open(&fx->s, fx->dir, &o, err, sizeof err), 0);
}

/* Issue 17: an event that does not decode, inside a batch with decoded
 * events before and after it: LD_ECORRUPT with its seq, the events before it
 * evolved (the reference's bytes), none after it; the reader thread is gone
 * when the fold returns. Then the same event's bytes behind another body
 * member's (it still folds as itself). The bytes are put back at the end. */
static void test_s17_pipelined_fold_stops_at_an_undecodable_event_mid_batch(void **state)
{
    fixture_t *fx = *state;
    const long threads = threads_now();
    const uint64_t bad_at = 100 * FOLD_BATCH + 23;
    assert_true(bad_at + FOLD_BATCH < fx->head);
    static const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    ld_core_t *ref = reference(fx->s, bad_at - 1);
    size_t want_len;
    uint8_t *want = snapshot_of(ref, &want_len);
    ld_core_destroy(&ref);
    void *old;
    size_t old_len;
    rewrite_event(fx, bad_at, junk, sizeof junk, &old, &old_len, true);
    for (int pipelined = 0; pipelined < 2; pipelined++) {
        ld_replay_set_pipelined(pipelined);
        ld_core_t *c = ld_core_new(1);
        uint64_t count = 0, bad = 0;
        assert_int_equal(ld_replay(fx->s, c, &count, &bad), LD_ECORRUPT);
        assert_int_equal(bad, bad_at);
        assert_int_equal(count, bad_at - 1);
        assert_int_equal(ld_core_next_seq(c), bad_at);
        assert_state(c, want, want_len);
        assert_int_equal(threads_now(), threads);
        /* a fold that stops just before it is whole; one from there fails at once */
        ld_core_destroy(&c);
        c = ld_core_new(1);
        assert_int_equal(ld_replay_until(fx->s, c, bad_at - 1, 0, &count), 0);
        assert_int_equal(count, bad_at - 1);
        assert_int_equal(ld_replay_until(fx->s, c, 0, 0, &count), LD_ECORRUPT);
        assert_int_equal(count, 0);
        assert_state(c, want, want_len);
        ld_core_destroy(&c);
    }
    ld_replay_set_pipelined(true);
    free(want);
    /* Bytes holding two body members, the event's own last: protobuf-c keeps
     * the last, so they fold as the event itself (the reader's cut decode
     * must not take the first member) */
    Ladder__V1__Event *orig = ladder__v1__event__unpack(NULL, old_len, old);
    assert_non_null(orig);
    Ladder__V1__EmployeeLeft left = LADDER__V1__EMPLOYEE_LEFT__INIT;
    Ladder__V1__PointsAdjusted pa = LADDER__V1__POINTS_ADJUSTED__INIT;
    left.employee_id = pa.employee_id = "nobody";
    Ladder__V1__Event first = LADDER__V1__EVENT__INIT;
    first.seq = bad_at, first.stream = "emp/nobody", first.at_ms = T0;
    if (orig->body_case == LADDER__V1__EVENT__BODY_EMPLOYEE_LEFT) {
        first.body_case = LADDER__V1__EVENT__BODY_POINTS_ADJUSTED;
        first.points_adjusted = &pa;
    } else {
        first.body_case = LADDER__V1__EVENT__BODY_EMPLOYEE_LEFT;
        first.employee_left = &left;
    }
    ladder__v1__event__free_unpacked(orig, NULL);
    size_t flen = ladder__v1__event__get_packed_size(&first);
    uint8_t *two = malloc(flen + old_len);
    ladder__v1__event__pack(&first, two);
    memcpy(two + flen, old, old_len);
    rewrite_event(fx, bad_at, two, flen + old_len, NULL, NULL, true);
    for (int pipelined = 0; pipelined < 2; pipelined++) {
        ld_replay_set_pipelined(pipelined);
        ld_core_t *c = ld_core_new(1);
        uint64_t count = 0, bad = 0;
        assert_int_equal(ld_replay(fx->s, c, &count, &bad), 0);
        assert_int_equal(count, fx->head);
        assert_state(c, fx->check[fx->n_checks - 1], fx->check_len[fx->n_checks - 1]);
        ld_core_destroy(&c);
    }
    ld_replay_set_pipelined(true);
    free(two);
    rewrite_event(fx, bad_at, old, old_len, NULL, NULL, false);
    free(old);
    ld_core_t *c = ld_core_new(1);
    assert_int_equal(ld_replay(fx->s, c, NULL, NULL), 0);
    assert_state(c, fx->check[fx->n_checks - 1], fx->check_len[fx->n_checks - 1]);
    ld_core_destroy(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_s17_fold_whole_log_is_the_live_state),
        cmocka_unit_test(test_s17_fold_in_steps_of_to_seq),
        cmocka_unit_test(test_s17_fold_up_to_a_time),
        cmocka_unit_test(test_s17_pipelined_fold_equals_one_thread_fold),
        cmocka_unit_test(test_s17_pipelined_fold_up_to_a_time_mid_batch),
        cmocka_unit_test(test_s17_pipelined_fold_stops_at_an_undecodable_event_mid_batch),
        /* last: it appends to the log */
        cmocka_unit_test(test_s17_fold_stops_at_an_event_that_does_not_apply),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
