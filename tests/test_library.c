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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
