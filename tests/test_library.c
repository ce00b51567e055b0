/* test_library.c — scenario tests of the case library (RULES.md §4): review
 * by quorum, grading, halves, the cap and the history library, ratings. */
#include "core_fixture.h"

#define EV(x) LADDER__V1__EVENT__BODY_##x
#define TRAINING LADDER__V1__HALF__HALF_TRAINING
#define TEST LADDER__V1__HALF__HALF_TEST

static int setup(void **s)
{
    (void)s;
    fx_setup();
    hire("author");
    hire("r1");
    hire("r2");
    hire("r3");
    hire("r4");
    return 0;
}
static int teardown(void **s) { (void)s; fx_teardown(); return 0; }

/* Live cases of level `level` in category billing (the ranking query). */
static size_t library_count_of(uint32_t level)
{
    ld_out_t *o = ld_out_new();
    Ladder__V1__GetCaseRanking g = LADDER__V1__GET_CASE_RANKING__INIT;
    g.level = level, g.category = "billing";
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_CASE_RANKING;
    q.case_ranking = &g;
    Ladder__V1__Ok ok = LADDER__V1__OK__INIT;
    assert_int_equal(ld_core_query(F.c, &q, F.now, o, &ok, NULL), 0);
    size_t n = ok.case_ranking->n_rows;
    ld_out_destroy(&o);
    return n;
}

/* three approvals with these amounts and levels, category "billing" */
static void accept_with(const char *sub, int64_t a1, int64_t a2, int64_t a3, uint32_t l1, uint32_t l2,
                        uint32_t l3)
{
    review_case(sub, "r1", 1, a1, l1, "billing");
    fx_ok();
    review_case(sub, "r2", 1, a2, l2, "billing");
    fx_ok();
    review_case(sub, "r3", 1, a3, l3, "billing");
    fx_ok();
}

static void test_s4_case_accepted_at_quorum_3_not_2(void **s)
{
    (void)s;
    submit_case("s1", "case-1", "author");
    fx_ok();
    assert_int_equal(fx_ev(0), EV(CASE_SUBMITTED));
    review_case("s1", "r1", 1, 20, 2, "billing");
    fx_ok();
    assert_int_equal(ld_out_count(F.out), 2); /* reviewed + P7 */
    assert_int_equal(fx_event(1)->points_awarded->amount, 20);
    assert_int_equal(fx_event(1)->points_awarded->source, LADDER__V1__POINT_SOURCE__P7_CASE_REVIEW);
    review_case("s1", "r2", 1, 50, 3, "billing");
    fx_ok();
    assert_null(fx_find(EV(CASE_ACCEPTED))); /* 2 approvals: not yet */
    review_case("s1", "r3", 1, 31, 3, "billing");
    fx_ok();
    Ladder__V1__Event *a = fx_find(EV(CASE_ACCEPTED));
    assert_non_null(a);
    assert_int_equal(a->case_accepted->level, 3);      /* median of 2,3,3 */
    assert_int_equal(a->case_accepted->award, 31);     /* median of 20,50,31 */
    assert_int_equal(a->case_accepted->half, TRAINING); /* empty partition: ties to training */
    assert_string_equal(a->case_accepted->category, "billing");
    Ladder__V1__Event *p = fx_event(3);
    assert_string_equal(p->points_awarded->employee_id, "author");
    assert_int_equal(p->points_awarded->source, LADDER__V1__POINT_SOURCE__P3_NEW_CASE);
    assert_int_equal(p->cause_seq, a->seq);
    assert_int_equal(emp("author")->points_total, 31);
    assert_int_equal(emp("r1")->points_total, 20);
    review_case("s1", "r4", 1, 20, 3, "billing");
    fx_refused("§4", "already accepted");
}

static void test_s4_no_self_review_no_double_review(void **s)
{
    (void)s;
    submit_case("s1", "case-1", "author");
    review_case("s1", "author", 1, 20, 1, "billing");
    fx_refused("§4", "may not review their own submission");
    review_case("s1", "r1", 1, 20, 1, "billing");
    fx_ok();
    review_case("s1", "r1", 0, 0, 0, "");
    fx_refused("§4", "already reviewed");
    assert_int_equal(F.why.code, LADDER__V1__ERROR_CODE__ERR_DUPLICATE);
}

static void test_s5_only_members_and_managers_review(void **s)
{
    (void)s;
    submit_case("s1", "case-1", "author");
    Ladder__V1__ReviewCase m = LADDER__V1__REVIEW_CASE__INIT;
    m.submission_id = "s1";
    m.reviewer_id = "r1";
    m.verdict = LADDER__V1__VERDICT__VERDICT_APPROVE;
    m.amount = 20;
    m.level = 1;
    m.category = "billing";
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_REVIEW_CASE;
    c.review_case = &m;
    fx_run(&c, "r1", EMPLOYEE);
    fx_refused("§5", "only committee members and managers may review");
    fx_run(&c, "r2", MANAGER);
    fx_refused("§5", "in one's own name");
}

static void test_s4_rejected_at_3_rejections(void **s)
{
    (void)s;
    submit_case("s1", "case-1", "author");
    review_case("s1", "r1", 0, 0, 0, "");
    review_case("s1", "r2", 0, 0, 0, "");
    assert_null(fx_find(EV(CASE_REJECTED)));
    review_case("s1", "r3", 0, 0, 0, "");
    fx_ok();
    assert_non_null(fx_find(EV(CASE_REJECTED)));
    assert_int_equal(emp("author")->points_total, 0);
    assert_int_equal(emp("r3")->points_total, 20); /* P7 for any verdict */
}

static void test_s3_p3_amount_range_and_level_checked(void **s)
{
    (void)s;
    submit_case("s1", "case-1", "author");
    review_case("s1", "r1", 1, 19, 1, "billing");
    fx_refused("§3", "20 to 50");
    review_case("s1", "r1", 1, 51, 1, "billing");
    fx_refused("§3", "20 to 50");
    review_case("s1", "r1", 1, 20, 6, "billing");
    fx_refused("§4", "level must be 1 to 5");
}

static void test_s4_half_goes_to_the_smaller_ties_to_training(void **s)
{
    (void)s;
    int halves[4];
    for (int i = 0; i < 4; i++) {
        char sub[16], id[16];
        snprintf(sub, sizeof sub, "s%d", i);
        snprintf(id, sizeof id, "case-%d", i);
        submit_case(sub, id, "author");
        accept_with(sub, 20, 20, 20, 2, 2, 2);
        halves[i] = fx_find(EV(CASE_ACCEPTED))->case_accepted->half;
    }
    assert_int_equal(halves[0], TRAINING);
    assert_int_equal(halves[1], TEST);
    assert_int_equal(halves[2], TRAINING);
    assert_int_equal(halves[3], TEST);
    /* another category is another partition */
    submit_case("x", "case-x", "author");
    review_case("x", "r1", 1, 20, 2, "network");
    review_case("x", "r2", 1, 20, 2, "network");
    review_case("x", "r3", 1, 20, 2, "billing");
    assert_string_equal(fx_find(EV(CASE_ACCEPTED))->case_accepted->category, "network");
    assert_int_equal(fx_find(EV(CASE_ACCEPTED))->case_accepted->half, TRAINING);
}

static void test_s4_cap_retires_lowest_classicness_then_oldest(void **s)
{
    (void)s;
    adopt("{\"case\":{\"cap\":3,\"protect_days\":0}}"); /* no protection here */
    fx_ok();
    const char *ids[] = {"c-a", "c-b", "c-c"};
    for (int i = 0; i < 3; i++) {
        char sub[16];
        snprintf(sub, sizeof sub, "s%d", i);
        submit_case(sub, ids[i], "author");
        accept_with(sub, 20, 20, 20, 1, 1, 1);
        F.now += DAY;
    }
    /* c-a is oldest; give it classicness by study so c-b (next oldest, 0) goes */
    study("r1", "c-a");
    fx_ok();
    submit_case("s3", "c-d", "author");
    accept_with("s3", 20, 20, 20, 1, 1, 1);
    Ladder__V1__Event *r = fx_find(EV(CASE_RETIRED));
    assert_non_null(r);
    assert_string_equal(r->case_retired->case_id, "c-b");
    assert_int_equal(r->case_retired->classicness, 0);
    /* the history library stays readable, but the case takes no studies */
    study("r1", "c-b");
    fx_refused("§4", "retired to the history library");
    {
        ld_out_t *o = ld_out_new();
        Ladder__V1__GetCaseRanking g = LADDER__V1__GET_CASE_RANKING__INIT;
        g.level = 1, g.category = "billing", g.history = 1;
        Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
        q.q_case = LADDER__V1__QUERY__Q_CASE_RANKING;
        q.case_ranking = &g;
        Ladder__V1__Ok ok = LADDER__V1__OK__INIT;
        assert_int_equal(ld_core_query(F.c, &q, F.now, o, &ok, NULL), 0);
        assert_int_equal(ok.case_ranking->n_rows, 1);
        assert_string_equal(ok.case_ranking->rows[0]->case_id, "c-b");
        assert_true(ok.case_ranking->rows[0]->retired);
        g.history = 0; /* the live partition: three, c-a (studied) first, eviction order last */
        ld_out_reset(o);
        assert_int_equal(ld_core_query(F.c, &q, F.now, o, &ok, NULL), 0);
        assert_int_equal(ok.case_ranking->n_rows, 3);
        assert_string_equal(ok.case_ranking->rows[0]->case_id, "c-a");
        assert_int_equal(ok.case_ranking->rows[2]->eviction_order, 1);
        ld_out_destroy(&o);
    }
    /* ties in classicness and stable time go by id: c-c and c-d both 0 but
     * c-c is older; then rating poor pushes c-d below c-c */
    Ladder__V1__RateCase rc = LADDER__V1__RATE_CASE__INIT;
    rc.case_id = "c-d";
    rc.employee_id = "r2";
    rc.rating = LADDER__V1__RATING__RATING_POOR;
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_RATE_CASE;
    c.rate_case = &rc;
    fx_run(&c, "r2", EMPLOYEE);
    fx_ok();
    submit_case("s4", "c-e", "author");
    accept_with("s4", 20, 20, 20, 1, 1, 1);
    assert_string_equal(fx_find(EV(CASE_RETIRED))->case_retired->case_id, "c-d");
    assert_int_equal(fx_find(EV(CASE_RETIRED))->case_retired->classicness, -5);
}

static void test_s4_rating_once_per_user(void **s)
{
    (void)s;
    submit_case("s1", "case-1", "author");
    accept_with("s1", 20, 20, 20, 1, 1, 1);
    Ladder__V1__RateCase rc = LADDER__V1__RATE_CASE__INIT;
    rc.case_id = "case-1";
    rc.employee_id = "r4";
    rc.rating = LADDER__V1__RATING__RATING_EXCELLENT;
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_RATE_CASE;
    c.rate_case = &rc;
    fx_run(&c, "r4", EMPLOYEE);
    fx_ok();
    rc.rating = LADDER__V1__RATING__RATING_POOR;
    fx_run(&c, "r4", EMPLOYEE);
    fx_refused("§4", "each user rates a case once");
    fx_run(&c, "r3", EMPLOYEE);
    fx_refused("§4", "may not rate on behalf");
}

static void test_s4_revision_pays_p4_and_moves_stable_time(void **s)
{
    (void)s;
    submit_case("s1", "case-1", "author");
    accept_with("s1", 20, 20, 20, 1, 1, 1);
    F.now += 10 * DAY;
    Ladder__V1__CaseNode root = LADDER__V1__CASE_NODE__INIT;
    root.customer_says = "My bill is still wrong";
    Ladder__V1__CaseContent ct = LADDER__V1__CASE_CONTENT__INIT;
    ct.kind = LADDER__V1__CASE_KIND__CASE_KIND_TEXT;
    ct.title = "Billing dispute, revised";
    ct.root = &root;
    Ladder__V1__ReviseCase m = LADDER__V1__REVISE_CASE__INIT;
    m.submission_id = "s1r";
    m.case_id = "case-1";
    m.author_id = "r4";
    m.content = &ct;
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_REVISE_CASE;
    c.revise_case = &m;
    fx_run(&c, "r4", EMPLOYEE);
    fx_ok();
    assert_int_equal(fx_ev(0), EV(CASE_REVISED));
    review_case("s1r", "r1", 1, 21, 0, "");
    fx_refused("§3", "5 to 20");
    accept_with("s1r", 5, 20, 10, 0, 0, 0);
    Ladder__V1__Event *a = fx_find(EV(CASE_ACCEPTED));
    assert_true(a->case_accepted->revision);
    assert_int_equal(a->case_accepted->stable_ms, F.now);
    assert_int_equal(a->case_accepted->level, 1); /* stays in its partition */
    assert_int_equal(emp("r4")->points_total, 10);
}

/* Runs a command of the library as the given principal. */
static int lib_cmd(int which, const char *case_id, const char *reason, const char *who, uint32_t roles)
{
    Ladder__V1__RetireCase rt = LADDER__V1__RETIRE_CASE__INIT;
    Ladder__V1__RestoreCase rs = LADDER__V1__RESTORE_CASE__INIT;
    Ladder__V1__CheckLibrary cl = LADDER__V1__CHECK_LIBRARY__INIT;
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = (Ladder__V1__Command__CmdCase)which;
    rt.case_id = rs.case_id = (char *)case_id;
    rt.reason = rs.reason = (char *)reason;
    if (which == LADDER__V1__COMMAND__CMD_RETIRE_CASE)
        c.retire_case = &rt;
    else if (which == LADDER__V1__COMMAND__CMD_RESTORE_CASE)
        c.restore_case = &rs;
    else
        c.check_library = &cl;
    return fx_run(&c, who, roles);
}
#define CHAIR LADDER__V1__ROLE__ROLE_CHAIR
#define RETIRE LADDER__V1__COMMAND__CMD_RETIRE_CASE
#define RESTORE LADDER__V1__COMMAND__CMD_RESTORE_CASE
#define CHECK LADDER__V1__COMMAND__CMD_CHECK_LIBRARY

static Ladder__V1__Deadline *next_deadline(void)
{
    static ld_out_t *o;
    if (!o)
        o = ld_out_new();
    ld_out_reset(o);
    Ladder__V1__NextDeadline g = LADDER__V1__NEXT_DEADLINE__INIT;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_NEXT_DEADLINE;
    q.next_deadline = &g;
    Ladder__V1__Ok ok = LADDER__V1__OK__INIT;
    assert_int_equal(ld_core_query(F.c, &q, F.now, o, &ok, NULL), 0);
    return ok.deadline;
}

/* A partition of cap 3 filled a day apart from T0: c-a, c-b, c-c (all 0 classicness). */
static void fill_three(void)
{
    adopt("{\"case\":{\"cap\":3}}");
    fx_ok();
    const char *ids[] = {"c-a", "c-b", "c-c"};
    for (int i = 0; i < 3; i++) {
        char sub[16];
        snprintf(sub, sizeof sub, "s%d", i);
        submit_case(sub, ids[i], "author");
        accept_with(sub, 20, 20, 20, 1, 1, 1);
        fx_ok();
        F.now += DAY;
    }
}

/* §4 v2 (fault 3): a newly accepted case never goes straight to history; no
 * case younger than case.protect_days (180) leaves; the partition stands above
 * its cap until one is old enough, then the next acceptance evicts it. */
static void test_s4_young_cases_protected_179_vs_180_days(void **s)
{
    (void)s;
    fill_three(); /* c-a accepted at T0, now T0 + 3 days */
    study("r1", "c-a"), study("r2", "c-b"), study("r3", "c-c"); /* the newcomer ranks last */
    submit_case("s3", "c-d", "author");
    accept_with("s3", 20, 20, 20, 1, 1, 1);
    fx_ok();
    assert_null(fx_find(EV(CASE_RETIRED))); /* before v2: c-d (classicness 0) retired at once */
    assert_int_equal(library_count_of(1), 4);
    /* 179 days after c-a's acceptance (+23:59:59.999): still protected */
    F.now = T0 + 180 * DAY - 1;
    submit_case("s4", "c-e", "author");
    accept_with("s4", 20, 20, 20, 1, 1, 1);
    fx_ok();
    assert_null(fx_find(EV(CASE_RETIRED)));
    /* exactly 180 days: c-a may leave, and it is the only one old enough, so it
     * leaves although c-d, c-e rank lower (the young are never taken) */
    F.now = T0 + 180 * DAY;
    submit_case("s5", "c-f", "author");
    accept_with("s5", 20, 20, 20, 1, 1, 1);
    fx_ok();
    Ladder__V1__Event *r = fx_find(EV(CASE_RETIRED));
    assert_non_null(r);
    assert_string_equal(r->case_retired->case_id, "c-a");
    assert_int_equal(r->case_retired->classicness, 1);
    assert_non_null(strstr(r->case_retired->reason, "180 days"));
    assert_int_equal(r->cause_seq, fx_find(EV(CASE_ACCEPTED))->seq);
    assert_int_equal(library_count_of(1), 5); /* still above the cap of 3 */
}

/* §4 v2: the library check is a deadline at the moment the first case of a
 * partition above its cap becomes old enough; it retires down to the cap. */
static void test_s4_library_check_is_a_deadline(void **s)
{
    (void)s;
    fill_three();                 /* c-a T0, c-b T0+1d, c-c T0+2d */
    submit_case("s3", "c-d", "author");
    accept_with("s3", 20, 20, 20, 1, 1, 1); /* T0+3d */
    submit_case("s4", "c-e", "author");
    accept_with("s4", 20, 20, 20, 1, 1, 1); /* 5 cases, cap 3 */
    fx_ok();
    Ladder__V1__Deadline *d = next_deadline();
    assert_string_equal(d->kind, "library");
    assert_int_equal(d->at_ms, T0 + 180 * DAY);
    F.now = T0 + 180 * DAY - 1;
    lib_cmd(CHECK, NULL, NULL, "system", SYSTEM);
    fx_refused("§4", "no partition above its cap of 3 holds a case stable for 180 days");
    lib_cmd(CHECK, NULL, NULL, "e1", EMPLOYEE);
    assert_int_equal(F.why.code, LADDER__V1__ERROR_CODE__ERR_FORBIDDEN);
    F.now = T0 + 181 * DAY; /* c-a and c-b are old enough; two must leave */
    lib_cmd(CHECK, NULL, NULL, "system", SYSTEM);
    fx_ok();
    assert_int_equal(ld_out_count(F.out), 3);
    assert_int_equal(fx_ev(0), EV(LIBRARY_CHECKED));
    assert_int_equal(fx_event(0)->library_checked->retired, 2);
    assert_string_equal(fx_event(1)->case_retired->case_id, "c-a");
    assert_string_equal(fx_event(2)->case_retired->case_id, "c-b");
    assert_int_equal(fx_event(1)->cause_seq, fx_event(0)->seq);
    assert_int_equal(library_count_of(1), 3);
    assert_int_equal(next_deadline()->at_ms, 0); /* at the cap: nothing due */
    lib_cmd(CHECK, NULL, NULL, "system", SYSTEM);
    fx_refused("§4", "no partition above its cap");
    /* lowering the cap makes the check due for what is old enough */
    adopt("{\"case\":{\"cap\":2}}");
    fx_ok();
    d = next_deadline();
    assert_string_equal(d->kind, "library");
    assert_int_equal(d->at_ms, T0 + 2 * DAY + 180 * DAY); /* c-c's */
}

/* §4 v2: a chair retires or restores a case with a reason; nobody else may. */
static void test_s4_chair_retires_and_restores(void **s)
{
    (void)s;
    fill_three();
    lib_cmd(RETIRE, "c-b", "tariff withdrawn", "boss", MANAGER);
    fx_refused("§4", "retire cases (a chair does)");
    lib_cmd(RETIRE, "c-b", "", "chair1", CHAIR);
    fx_refused(NULL, "retire_case.reason");
    lib_cmd(RETIRE, "c-b", "tariff withdrawn", "chair1", CHAIR);
    fx_ok();
    Ladder__V1__Event *r = fx_event(0);
    assert_int_equal(r->body_case, EV(CASE_RETIRED));
    assert_int_equal(r->cause_seq, 0); /* a fact, not derived */
    assert_string_equal(r->case_retired->reason, "tariff withdrawn");
    assert_int_equal(library_count_of(1), 2);
    study("r1", "c-b");
    fx_refused("§4", "retired to the history library");
    lib_cmd(RETIRE, "c-b", "again", "chair1", CHAIR);
    fx_refused("§4", "retired to the history library");
    lib_cmd(RESTORE, "c-a", "x", "chair1", CHAIR);
    fx_refused("§4", "is in the library, not in its history");
    /* the partition fills up to its cap: no restore until a chair makes room */
    submit_case("s3", "c-d", "author");
    accept_with("s3", 20, 20, 20, 1, 1, 1);
    lib_cmd(RESTORE, "c-b", "tariff is back", "chair1", CHAIR);
    fx_refused("§4", "holds 3 cases, its cap is 3; retire one first");
    lib_cmd(RETIRE, "c-d", "duplicate of c-b", "chair1", CHAIR);
    fx_ok();
    lib_cmd(RESTORE, "c-b", "tariff is back", "boss", MANAGER);
    assert_int_equal(F.why.code, LADDER__V1__ERROR_CODE__ERR_FORBIDDEN);
    lib_cmd(RESTORE, "c-b", "tariff is back", "chair1", CHAIR);
    fx_ok();
    Ladder__V1__CaseRestored *b = fx_event(0)->case_restored;
    assert_string_equal(b->case_id, "c-b");
    assert_string_equal(b->reason, "tariff is back");
    assert_int_equal(b->level, 1);
    assert_string_equal(b->category, "billing");
    assert_int_equal(b->half, TEST); /* c-b went to the test half; it returns there */
    assert_int_equal(library_count_of(1), 3);
}

/* §4 v2 (fault 10): only training cases are studied; a study counts once. */
static void test_s4_study_training_only_distinct_studiers(void **s)
{
    (void)s;
    submit_case("s0", "c-train", "author");
    accept_with("s0", 20, 20, 20, 1, 1, 1);
    submit_case("s1", "c-test", "author");
    accept_with("s1", 20, 20, 20, 1, 1, 1);
    assert_int_equal(fx_find(EV(CASE_ACCEPTED))->case_accepted->half, TEST);
    study("r1", "c-test"); /* before v2: accepted, and the exam case was shown */
    fx_refused("§4", "only training cases can be studied");
    study("r1", "c-train");
    fx_ok();
    study("r1", "c-train"); /* before v2: accepted, classicness 2 */
    fx_refused("§4", "counts once per person");
    assert_int_equal(F.why.code, LADDER__V1__ERROR_CODE__ERR_DUPLICATE);
    study("r2", "c-train");
    fx_ok();
    ld_out_t *o = ld_out_new();
    Ladder__V1__GetCaseRanking g = LADDER__V1__GET_CASE_RANKING__INIT;
    g.level = 1, g.category = "billing";
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_CASE_RANKING;
    q.case_ranking = &g;
    Ladder__V1__Ok ok = LADDER__V1__OK__INIT;
    assert_int_equal(ld_core_query(F.c, &q, F.now, o, &ok, NULL), 0);
    assert_string_equal(ok.case_ranking->rows[0]->case_id, "c-train");
    assert_int_equal(ok.case_ranking->rows[0]->studies, 2);
    assert_int_equal(ok.case_ranking->rows[0]->classicness, 2);
    ld_out_destroy(&o);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_s4_case_accepted_at_quorum_3_not_2),
        T(test_s4_no_self_review_no_double_review),
        T(test_s5_only_members_and_managers_review),
        T(test_s4_rejected_at_3_rejections),
        T(test_s3_p3_amount_range_and_level_checked),
        T(test_s4_half_goes_to_the_smaller_ties_to_training),
        T(test_s4_cap_retires_lowest_classicness_then_oldest),
        T(test_s4_rating_once_per_user),
        T(test_s4_revision_pays_p4_and_moves_stable_time),
        T(test_s4_young_cases_protected_179_vs_180_days),
        T(test_s4_library_check_is_a_deadline),
        T(test_s4_chair_retires_and_restores),
        T(test_s4_study_training_only_distinct_studiers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
