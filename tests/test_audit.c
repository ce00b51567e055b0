/* test_audit.c — §11: the offline audit re-derives every derived event from
 * its fact (tools/audit.c): a log written by the core audits clean, and a
 * tampered derived event is reported with its seq. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <lmdb.h>
#include <stdlib.h>

#include "audit.h"
#include "core.h"
#include "gen.h"

#define T0 1767542400000LL

static char dir[] = "/tmp/ladder-test-audit-XXXXXX";

/* Writes a log: cases by review and a generated stream, all through the core. */
static uint64_t write_log(void)
{
    ld_store_t *s;
    ld_store_options_t o = {.durability = LD_DURABILITY_NOSYNC};
    char err[256];
    assert_int_equal(ld_store_open(&s, dir, &o, err, sizeof err), 0);
    ld_core_t *c = ld_core_new(1);
    ld_out_t *out = ld_out_new();
    gen_t g;
    gen_init(&g, 21, 80, T0);
    for (int i = 0; i < 6000; i++) {
        Ladder__V1__Command *cmd = gen_command(&g);
        char rid[16];
        int n = snprintf(rid, sizeof rid, "a%d", i);
        ld_ctx_t ctx = {g.now, g.principal, g.roles, (const uint8_t *)rid, (size_t)n};
        ld_out_reset(out);
        if (ld_core_execute(c, cmd, &ctx, out, NULL) == 0) {
            uint8_t key[LD_REQUEST_KEY_MAX];
            ld_append_t a = {.request_key = key,
                             .request_key_len = ld_store_request_key(key, g.principal,
                                                                     (const uint8_t *)rid, (size_t)n),
                             .events = ld_out_events(out), .n_events = ld_out_count(out)};
            assert_int_equal(ld_store_append(s, &a, 1), 0);
            assert_int_equal(a.rc, 0);
        }
    }
    uint64_t head;
    ld_store_head(s, &head, NULL);
    ld_out_destroy(&out);
    ld_core_destroy(&c);
    ld_store_close(&s);
    return head;
}

/* Finds the first derived PointsAwarded and rewrites its amount in place. */
static uint64_t tamper(void)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_cursor *cur;
    mdb_env_create(&env);
    mdb_env_set_maxdbs(env, 8);
    mdb_env_set_mapsize(env, (size_t)1 << 30);
    assert_int_equal(mdb_env_open(env, dir, 0, 0640), 0);
    mdb_txn_begin(env, NULL, 0, &txn);
    assert_int_equal(mdb_dbi_open(txn, "events", 0, &dbi), 0);
    mdb_cursor_open(txn, dbi, &cur);
    MDB_val k, v;
    uint64_t seq = 0;
    while (!seq && mdb_cursor_get(cur, &k, &v, MDB_NEXT) == 0) {
        Ladder__V1__Event *ev = ladder__v1__event__unpack(NULL, v.mv_size, v.mv_data);
        if (ev->body_case == LADDER__V1__EVENT__BODY_POINTS_AWARDED && ev->cause_seq &&
            ev->points_awarded->source == LADDER__V1__POINT_SOURCE__P7_CASE_REVIEW) {
            ev->points_awarded->amount += 1000; /* a reviewer paid far more than P7 */
            seq = ev->seq;
            size_t n = ladder__v1__event__get_packed_size(ev);
            uint8_t *buf = malloc(n);
            ladder__v1__event__pack(ev, buf);
            MDB_val nk = k, nv = {n, buf};
            mdb_cursor_close(cur);
            cur = NULL;
            assert_int_equal(mdb_put(txn, dbi, &nk, &nv, 0), 0);
            free(buf);
        }
        ladder__v1__event__free_unpacked(ev, NULL);
    }
    if (cur)
        mdb_cursor_close(cur);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    return seq;
}

static void test_s11_clean_log_audits_clean_and_tampering_is_found(void **st)
{
    (void)st;
    assert_non_null(mkdtemp(dir));
    uint64_t head = write_log();
    ld_store_t *s;
    ld_store_options_t o = {.durability = LD_DURABILITY_NOSYNC};
    char err[256];
    assert_int_equal(ld_store_open(&s, dir, &o, err, sizeof err), 0);
    ld_audit_t a;
    assert_int_equal(ld_audit_run(s, &a, stderr, NULL), 0);
    print_message("clean log: %llu events, %llu facts, %llu derived, %llu discrepancies\n",
                  (unsigned long long)a.events, (unsigned long long)a.facts,
                  (unsigned long long)a.derived, (unsigned long long)a.discrepancies);
    assert_int_equal(a.events, head);
    assert_true(a.facts > 1000);
    assert_true(a.derived > 100);
    assert_int_equal(a.discrepancies, 0);
    ld_store_close(&s);

    uint64_t bad = tamper();
    assert_true(bad > 0);
    o.read_only = true; /* as ladderctl audit opens it */
    assert_int_equal(ld_store_open(&s, dir, &o, err, sizeof err), 0);
    char *report = NULL;
    size_t rlen = 0;
    FILE *f = open_memstream(&report, &rlen);
    assert_int_equal(ld_audit_run(s, &a, f, NULL), 0);
    fclose(f);
    assert_int_equal(a.discrepancies, 1);
    char want[64];
    snprintf(want, sizeof want, "seq %llu: derived event does not match", (unsigned long long)bad);
    if (!strstr(report, want))
        fail_msg("report lacks \"%s\": %s", want, report);
    /* the hash chain sees it too */
    uint64_t vbad;
    assert_int_equal(ld_store_verify(s, &vbad, NULL, 0), LD_ECORRUPT);
    assert_int_equal(vbad, bad);
    free(report);
    ld_store_close(&s);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_s11_clean_log_audits_clean_and_tampering_is_found),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
