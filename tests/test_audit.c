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

/* ------------------------------------------- a scripted v2 log (§4, §10) -- */

#define DAY 86400000LL
#define MGR LADDER__V1__ROLE__ROLE_MANAGER
#define EMP LADDER__V1__ROLE__ROLE_EMPLOYEE
#define CHAIR LADDER__V1__ROLE__ROLE_CHAIR
#define SYS LADDER__V1__ROLE__ROLE_SYSTEM
#define CMD(x) LADDER__V1__COMMAND__CMD_##x

typedef struct {
    ld_store_t *s;
    ld_core_t *c;
    ld_out_t *out;
    int n;
    int64_t now;
    unsigned seen[512];          /* events appended, by body case */
} script_t;

static void sc_run(script_t *sc, Ladder__V1__Command *cmd, const char *who, uint32_t roles)
{
    char rid[16];
    int n = snprintf(rid, sizeof rid, "v%d", sc->n++);
    ld_ctx_t ctx = {sc->now, who, roles, (const uint8_t *)rid, (size_t)n};
    ld_refusal_t why;
    ld_out_reset(sc->out);
    if (ld_core_execute(sc->c, cmd, &ctx, sc->out, &why) != 0)
        fail_msg("command %d refused: [%s] %s", (int)cmd->cmd_case, why.section, why.message);
    ld_append_t a = {.request_id = (const uint8_t *)rid, .request_id_len = (size_t)n,
                     .events = ld_out_events(sc->out), .n_events = ld_out_count(sc->out)};
    assert_int_equal(ld_store_append(sc->s, &a, 1), 0);
    assert_int_equal(a.rc, 0);
    for (size_t i = 0; i < ld_out_count(sc->out); i++)
        sc->seen[ld_out_events(sc->out)[i]->body_case % 512]++;
}

static void sc_case(script_t *sc, const char *id)
{
    Ladder__V1__CaseNode root = LADDER__V1__CASE_NODE__INIT;
    root.customer_says = "Why was I charged twice?";
    Ladder__V1__CaseContent ct = LADDER__V1__CASE_CONTENT__INIT;
    ct.kind = LADDER__V1__CASE_KIND__CASE_KIND_TEXT, ct.title = "Double charge", ct.root = &root;
    Ladder__V1__SubmitCase m = LADDER__V1__SUBMIT_CASE__INIT;
    m.submission_id = (char *)id, m.case_id = (char *)id, m.author_id = "e1", m.content = &ct;
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = CMD(SUBMIT_CASE), c.submit_case = &m;
    sc_run(sc, &c, "e1", EMP);
    static const char *const mgr[] = {"m1", "m2", "m3"};
    for (int r = 0; r < 3; r++) {
        Ladder__V1__ReviewCase rv = LADDER__V1__REVIEW_CASE__INIT;
        rv.submission_id = (char *)id, rv.reviewer_id = (char *)mgr[r];
        rv.verdict = LADDER__V1__VERDICT__VERDICT_APPROVE;
        rv.amount = 30, rv.level = 2, rv.category = "billing";
        c.cmd_case = CMD(REVIEW_CASE), c.review_case = &rv;
        sc_run(sc, &c, mgr[r], MGR);
    }
}

static void sc_kb(script_t *sc, const char *prop, int new_item, int delete_item)
{
    Ladder__V1__ProposeKb pk = LADDER__V1__PROPOSE_KB__INIT;
    pk.proposal_id = (char *)prop, pk.item_id = "refunds", pk.proposer_id = "e1";
    pk.text = "Refunds take 5 working days", pk.new_item = new_item, pk.delete_item = delete_item;
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = CMD(PROPOSE_KB), c.propose_kb = &pk;
    sc_run(sc, &c, "e1", EMP);
    static const char *const mgr[] = {"m1", "m2", "m3"};
    for (int r = 0; r < 3; r++) {
        Ladder__V1__ReviewKb rk = LADDER__V1__REVIEW_KB__INIT;
        rk.proposal_id = (char *)prop, rk.reviewer_id = (char *)mgr[r];
        rk.verdict = LADDER__V1__VERDICT__VERDICT_APPROVE, rk.amount = 3;
        c.cmd_case = CMD(REVIEW_KB), c.review_kb = &rk;
        sc_run(sc, &c, mgr[r], MGR);
    }
}

static void sc_lib(script_t *sc, int which, const char *case_id, const char *who, uint32_t roles)
{
    Ladder__V1__RetireCase rt = LADDER__V1__RETIRE_CASE__INIT;
    Ladder__V1__RestoreCase rs = LADDER__V1__RESTORE_CASE__INIT;
    Ladder__V1__CheckLibrary cl = LADDER__V1__CHECK_LIBRARY__INIT;
    rt.case_id = rs.case_id = (char *)case_id;
    rt.reason = rs.reason = "chair's decision";
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = (Ladder__V1__Command__CmdCase)which;
    if (which == CMD(RETIRE_CASE))
        c.retire_case = &rt;
    else if (which == CMD(RESTORE_CASE))
        c.restore_case = &rs;
    else
        c.check_library = &cl;
    sc_run(sc, &c, who, roles);
}

/* §11 with the v2 events of §4 and §10: KB deletion, the library check and its
 * evictions, an eviction at acceptance, chair retire and restore, merged rules.
 * The audit re-decides each fact and finds every derived event equal. */
static void test_s11_v2_library_events_audit_clean(void **st)
{
    (void)st;
    char vdir[] = "/tmp/ladder-test-audit-v2-XXXXXX";
    assert_non_null(mkdtemp(vdir));
    script_t sc = {.c = ld_core_new(1), .out = ld_out_new(), .now = T0};
    ld_store_options_t o = {LD_DURABILITY_NOSYNC, 0, 0};
    char err[256];
    assert_int_equal(ld_store_open(&sc.s, vdir, &o, err, sizeof err), 0);
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    Ladder__V1__Hire h = LADDER__V1__HIRE__INIT;
    h.employee_id = "e1", h.name = "Li Wei";
    c.cmd_case = CMD(HIRE), c.hire = &h;
    sc_run(&sc, &c, "boss", MGR);
    Ladder__V1__AdoptRules ar = LADDER__V1__ADOPT_RULES__INIT;
    ar.rules_json = "{\"case\":{\"cap\":2}}";
    c.cmd_case = CMD(ADOPT_RULES), c.adopt_rules = &ar;
    sc_run(&sc, &c, "boss", MGR);
    ar.rules_json = "{\"retention\":{\"points\":300}}"; /* merged: the cap stays 2 */
    sc_run(&sc, &c, "boss", MGR);
    assert_int_equal(ld_core_rules(sc.c)->case_cap, 2);
    sc_kb(&sc, "kp1", 1, 0);
    sc_kb(&sc, "kp2", 0, 1); /* the deletion */
    const char *ids[] = {"c0", "c1", "c2"};
    for (int i = 0; i < 3; i++, sc.now += DAY)
        sc_case(&sc, ids[i]); /* three in a partition of cap 2: all young, none leaves */
    sc.now = T0 + 180 * DAY;
    sc_lib(&sc, CMD(CHECK_LIBRARY), NULL, "system", SYS); /* c0 leaves */
    sc.now = T0 + 182 * DAY;
    sc_case(&sc, "c3"); /* c1 is old enough: evicted at this acceptance */
    sc_lib(&sc, CMD(RETIRE_CASE), "c3", "chair1", CHAIR);
    sc_lib(&sc, CMD(RESTORE_CASE), "c0", "chair1", CHAIR);
    ld_store_close(&sc.s);
    assert_int_equal(sc.seen[LADDER__V1__EVENT__BODY_LIBRARY_CHECKED], 1);
    assert_int_equal(sc.seen[LADDER__V1__EVENT__BODY_CASE_RETIRED], 3);
    assert_int_equal(sc.seen[LADDER__V1__EVENT__BODY_CASE_RESTORED], 1);
    assert_int_equal(sc.seen[LADDER__V1__EVENT__BODY_KB_ACCEPTED], 2);
    assert_int_equal(sc.seen[LADDER__V1__EVENT__BODY_RULES_ADOPTED], 2);

    assert_int_equal(ld_store_open(&sc.s, vdir, &o, err, sizeof err), 0);
    ld_audit_t a;
    assert_int_equal(ld_audit_run(sc.s, &a, stderr, NULL), 0);
    print_message("v2 log: %llu events, %llu facts, %llu derived, %llu discrepancies\n",
                  (unsigned long long)a.events, (unsigned long long)a.facts,
                  (unsigned long long)a.derived, (unsigned long long)a.discrepancies);
    assert_int_equal(a.discrepancies, 0);
    assert_int_equal(a.derived, 2 + 2 + 4 + 4 + 2); /* KB accepted, P2, case accepted, P3, evictions */
    ld_store_close(&sc.s);
    ld_out_destroy(&sc.out);
    ld_core_destroy(&sc.c);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", vdir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_s11_clean_log_audits_clean_and_tampering_is_found),
        cmocka_unit_test(test_s11_v2_library_events_audit_clean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
