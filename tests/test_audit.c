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
    ld_gen_t g;
    ld_gen_init(&g, 21, 80, T0);
    for (int i = 0; i < 6000; i++) {
        Ladder__V1__Command *cmd = ld_gen_command(&g);
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
    uint8_t key[LD_REQUEST_KEY_MAX];
    ld_append_t a = {.request_key = key,
                     .request_key_len = ld_store_request_key(key, who, (const uint8_t *)rid, (size_t)n),
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
    ld_store_options_t o = {.durability = LD_DURABILITY_NOSYNC};
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

/* ------------------------------- v2 events of §2, §6.5-§6.7, §7, §12 (v2a) -- */

typedef struct {
    ld_store_t *s;
    ld_core_t *c;
    ld_out_t *out;
    int64_t now;
    int n;
    uint32_t seen[256];   /* events by body case */
} scen_t;

static void scen_run(scen_t *x, Ladder__V1__Command *cmd, const char *who, uint32_t roles)
{
    char rid[16];
    int n = snprintf(rid, sizeof rid, "v%d", ++x->n);
    ld_ctx_t ctx = {x->now, who, roles, (const uint8_t *)rid, (size_t)n};
    ld_refusal_t why;
    ld_out_reset(x->out);
    if (ld_core_execute(x->c, cmd, &ctx, x->out, &why) != 0)
        fail_msg("command %d refused: %s", (int)cmd->cmd_case, why.message);
    uint8_t key_[LD_REQUEST_KEY_MAX];
    ld_append_t a = {.request_key = key_,
                     .request_key_len = ld_store_request_key(key_, NULL, (const uint8_t *)rid, (size_t)n),
                     .events = ld_out_events(x->out), .n_events = ld_out_count(x->out)};
    assert_int_equal(ld_store_append(x->s, &a, 1), 0);
    assert_int_equal(a.rc, 0);
    for (size_t k = 0; k < ld_out_count(x->out); k++)
        x->seen[ld_out_events(x->out)[k]->body_case & 255]++;
}

#define RUN(x, field, CASE, who, roles)                                        \
    do {                                                                       \
        Ladder__V1__Command c_ = LADDER__V1__COMMAND__INIT;                    \
        c_.cmd_case = LADDER__V1__COMMAND__CMD_##CASE;                         \
        c_.field = &m_;                                                        \
        scen_run(x, &c_, who, roles);                                          \
    } while (0)

static void s_hire(scen_t *x, const char *id)
{
    Ladder__V1__Hire m_ = LADDER__V1__HIRE__INIT;
    m_.employee_id = (char *)id, m_.name = (char *)id;
    RUN(x, hire, HIRE, "boss", MGR);
}
static void s_place(scen_t *x, const char *id, uint32_t level)
{
    Ladder__V1__PlaceEmployee m_ = LADDER__V1__PLACE_EMPLOYEE__INIT;
    m_.employee_id = (char *)id, m_.level = level, m_.reason = "existing centre";
    RUN(x, place_employee, PLACE_EMPLOYEE, "boss", MGR);
}
static uint64_t s_qtest(scen_t *x, const char *id, int64_t ms)
{
    Ladder__V1__RecordQueryTest m_ = LADDER__V1__RECORD_QUERY_TEST__INIT;
    m_.employee_id = (char *)id, m_.total_ms = ms;
    RUN(x, record_query_test, RECORD_QUERY_TEST, "boss", MGR);
    return ld_out_events(x->out)[0]->seq;
}
static void s_draw(scen_t *x, const char *exam, const char *id, int purpose)
{
    Ladder__V1__DrawExam m_ = LADDER__V1__DRAW_EXAM__INIT;
    m_.exam_id = (char *)exam, m_.employee_id = (char *)id, m_.seed = 99;
    m_.purpose = (Ladder__V1__ExamPurpose)purpose;
    RUN(x, draw_exam, DRAW_EXAM, "boss", MGR);
}
static void s_grade(scen_t *x, const char *exam, uint32_t score)
{
    uint32_t sc[10];
    for (int k = 0; k < 10; k++)
        sc[k] = score;
    Ladder__V1__GradeExam m_ = LADDER__V1__GRADE_EXAM__INIT;
    m_.exam_id = (char *)exam, m_.n_scores = 10, m_.scores = sc;
    RUN(x, grade_exam, GRADE_EXAM, "boss", MGR);
}
static uint64_t s_reverse(scen_t *x, uint64_t seq)
{
    Ladder__V1__ReverseFact m_ = LADDER__V1__REVERSE_FACT__INIT;
    m_.seq = seq, m_.reason = "recorded in error";
    RUN(x, reverse_fact, REVERSE_FACT, "boss", MGR);
    return ld_out_events(x->out)[0]->seq;
}

/* Seeds test cases at a level as facts (the audit folds them unaudited). */
static void s_cases(scen_t *x, uint32_t level)
{
    for (int k = 0; k < 10; k++) {
        char id[24];
        snprintf(id, sizeof id, "seed-%u-%d", level, k);
        Ladder__V1__CaseAccepted m = LADDER__V1__CASE_ACCEPTED__INIT;
        m.case_id = id, m.submission_id = id, m.level = level, m.category = "billing";
        m.half = LADDER__V1__HALF__HALF_TEST;
        Ladder__V1__Event ev = LADDER__V1__EVENT__INIT;
        ev.seq = ld_core_next_seq(x->c), ev.stream = "case", ev.at_ms = x->now;
        ev.body_case = LADDER__V1__EVENT__BODY_CASE_ACCEPTED, ev.case_accepted = &m;
        assert_int_equal(ld_core_evolve(x->c, &ev), 0);
        Ladder__V1__Event *evp[1] = {&ev};
        uint8_t key_[LD_REQUEST_KEY_MAX];
        ld_append_t a = {.request_key = key_,
                         .request_key_len = ld_store_request_key(key_, NULL, (const uint8_t *)id, strlen(id)),
                         .events = evp, .n_events = 1};
        assert_int_equal(ld_store_append(x->s, &a, 1), 0);
    }
}

/* Every new event of issue 11 (v2a): placement, confirmation, promotion with its
 * checklist, credit, exam void (expiry, year close, level change), extension,
 * reversals with negative points, at-once demotion, conditions, appeal. */
static void write_v2_log(scen_t *x)
{
    s_cases(x, 1), s_cases(x, 2), s_cases(x, 3);
    const char *ids[] = {"m", "a", "e1", "p1", "r1"};
    for (int k = 0; k < 5; k++)
        s_hire(x, ids[k]);
    s_place(x, "m", 2);
    s_place(x, "e1", 1);
    s_place(x, "p1", 2);
    s_place(x, "r1", 3);
    s_reverse(x, ld_out_events(x->out)[0]->seq); /* a mistaken placement */
    {
        Ladder__V1__StartApprenticeship m_ = LADDER__V1__START_APPRENTICESHIP__INIT;
        m_.mentor_id = "m", m_.apprentice_id = "a";
        RUN(x, start_apprenticeship, START_APPRENTICESHIP, "m", EMP);
    }
    {
        Ladder__V1__ConfirmApprenticeship m_ = LADDER__V1__CONFIRM_APPRENTICESHIP__INIT;
        m_.mentor_id = "m", m_.apprentice_id = "a";
        RUN(x, confirm_apprenticeship, CONFIRM_APPRENTICESHIP, "a", EMP);
    }
    {
        Ladder__V1__AdjustPoints m_ = LADDER__V1__ADJUST_POINTS__INIT;
        m_.employee_id = "a", m_.amount = 800, m_.reason = "work";
        RUN(x, adjust_points, ADJUST_POINTS, "boss", MGR);
    }
    {
        Ladder__V1__CompleteTask m_ = LADDER__V1__COMPLETE_TASK__INIT;
        m_.employee_id = "a", m_.task_id = "level-0";
        RUN(x, complete_task, COMPLETE_TASK, "boss", MGR);
    }
    s_qtest(x, "a", 100000);
    x->now += 30 * DAY;
    s_draw(x, "xa", "a", LADDER__V1__EXAM_PURPOSE__EXAM_PROMOTION);
    s_grade(x, "xa", 90); /* promoted, the mentor credited (P8) */
    {
        Ladder__V1__VolunteerEntry e = LADDER__V1__VOLUNTEER_ENTRY__INIT;
        e.employee_id = "e1", e.hours = 3;
        Ladder__V1__VolunteerEntry *ep[1] = {&e};
        Ladder__V1__ReportVolunteer m_ = LADDER__V1__REPORT_VOLUNTEER__INIT;
        m_.report_id = "w1", m_.n_entries = 1, m_.entries = ep;
        RUN(x, report_volunteer, REPORT_VOLUNTEER, "boss", MGR);
        s_reverse(x, ld_out_events(x->out)[0]->seq); /* -30 points */
    }
    {
        Ladder__V1__ExtendRetentionWindow m_ = LADDER__V1__EXTEND_RETENTION_WINDOW__INIT;
        m_.employee_id = "e1", m_.days = 30, m_.reason = "sick leave";
        RUN(x, extend_retention_window, EXTEND_RETENTION_WINDOW, "boss", MGR);
    }
    x->now = T0 + 340 * DAY; /* the re-test windows */
    s_draw(x, "y1", "e1", LADDER__V1__EXAM_PURPOSE__EXAM_RETENTION);
    x->now += 14 * DAY;
    {
        Ladder__V1__ExpireExam m_ = LADDER__V1__EXPIRE_EXAM__INIT;
        m_.employee_id = "e1";
        RUN(x, expire_exam, EXPIRE_EXAM, "system", SYS);
    }
    uint64_t typo = s_qtest(x, "e1", 1510000);
    s_reverse(x, typo); /* the make-up is free again */
    s_qtest(x, "e1", 151000);
    s_qtest(x, "e1", 150500); /* the make-up fails: demoted at once */
    s_draw(x, "y2", "p1", LADDER__V1__EXAM_PURPOSE__EXAM_RETENTION);
    x->now = T0 + 366 * DAY;
    {
        Ladder__V1__CloseRetentionYear m_ = LADDER__V1__CLOSE_RETENTION_YEAR__INIT;
        m_.employee_id = "p1";
        RUN(x, close_retention_year, CLOSE_RETENTION_YEAR, "system", SYS); /* void y2 */
    }
    {
        Ladder__V1__Appeal m_ = LADDER__V1__APPEAL__INIT;
        m_.employee_id = "p1", m_.reason = "the exam was voided by the close";
        RUN(x, appeal, APPEAL, "p1", EMP);
    }
    {
        Ladder__V1__DecideAppeal m_ = LADDER__V1__DECIDE_APPEAL__INIT;
        m_.employee_id = "p1", m_.overturn = 1, m_.reason = "agreed";
        RUN(x, decide_appeal, DECIDE_APPEAL, "chair1", LADDER__V1__ROLE__ROLE_CHAIR);
    }
}

static void test_s11_v2_events_audit_clean(void **st)
{
    (void)st;
    char d[] = "/tmp/ladder-test-audit-v2-XXXXXX";
    assert_non_null(mkdtemp(d));
    ld_store_options_t o = {.durability = LD_DURABILITY_NOSYNC};
    char err[256];
    scen_t x = {0};
    x.now = T0;
    assert_int_equal(ld_store_open(&x.s, d, &o, err, sizeof err), 0);
    x.c = ld_core_new(1);
    x.out = ld_out_new();
    write_v2_log(&x);
#define B(e) LADDER__V1__EVENT__BODY_##e
    static const int want[] = {B(EMPLOYEE_PLACED), B(APPRENTICESHIP_CONFIRMED), B(EXAM_VOIDED),
                               B(RETENTION_WINDOW_EXTENDED), B(FACT_REVERSED), B(PROMOTED),
                               B(APPRENTICE_CREDITED), B(RETENTION_YEAR_CLOSED),
                               B(APPEAL_DECIDED)};
    for (size_t k = 0; k < sizeof want / sizeof *want; k++)
        if (!x.seen[want[k]])
            fail_msg("the scenario wrote no event of body case %d", want[k]);
    assert_true(x.seen[B(EXAM_VOIDED)] >= 2);  /* the expiry (a fact) and the close */
    assert_true(x.seen[B(FACT_REVERSED)] >= 3);
    assert_true(x.seen[B(RETENTION_YEAR_CLOSED)] >= 2); /* at once (e1) and at the close (p1) */
    ld_out_destroy(&x.out);
    ld_core_destroy(&x.c);
    ld_audit_t a;
    assert_int_equal(ld_audit_run(x.s, &a, stderr, NULL), 0);
    print_message("v2 log: %llu events, %llu facts, %llu derived, %llu discrepancies\n",
                  (unsigned long long)a.events, (unsigned long long)a.facts,
                  (unsigned long long)a.derived, (unsigned long long)a.discrepancies);
    assert_true(a.derived >= 10);
    assert_int_equal(a.discrepancies, 0);
    ld_store_close(&x.s);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", d);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_s11_clean_log_audits_clean_and_tampering_is_found),
        cmocka_unit_test(test_s11_v2_library_events_audit_clean),
        cmocka_unit_test(test_s11_v2_events_audit_clean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
