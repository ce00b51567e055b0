/* test_contrib.c — scenario tests of §4 knowledge base and quality awards,
 * §5 committee, §8 suggestions and QC projects. */
#include "core_fixture.h"

#define EV(x) LADDER__V1__EVENT__BODY_##x
#define P(x) LADDER__V1__POINT_SOURCE__##x

static int setup(void **s)
{
    (void)s;
    fx_setup();
    const char *ids[] = {"author", "r1", "r2", "r3", "r4", "m1", "m2", "m3", "m4", "m5", "m6"};
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++)
        hire(ids[i]);
    return 0;
}
static int teardown(void **s) { (void)s; fx_teardown(); return 0; }

static int propose(const char *prop, const char *item, int new_item)
{
    Ladder__V1__ProposeKb m = LADDER__V1__PROPOSE_KB__INIT;
    m.proposal_id = (char *)prop, m.item_id = (char *)item, m.proposer_id = "author";
    m.text = "Refunds take 5 working days", m.new_item = new_item;
    return fx_cmd(LADDER__V1__COMMAND__CMD_PROPOSE_KB, &m, "author", EMPLOYEE);
}

static int review_kb(const char *prop, const char *who, int approve, int64_t amount)
{
    Ladder__V1__ReviewKb m = LADDER__V1__REVIEW_KB__INIT;
    m.proposal_id = (char *)prop, m.reviewer_id = (char *)who, m.amount = amount;
    m.verdict = approve ? LADDER__V1__VERDICT__VERDICT_APPROVE : LADDER__V1__VERDICT__VERDICT_REJECT;
    return fx_cmd(LADDER__V1__COMMAND__CMD_REVIEW_KB, &m, who, MANAGER);
}

static void test_s4_kb_quorum_3_median_p2_and_p6(void **s)
{
    (void)s;
    propose("p1", "refunds", 0);
    fx_refused("§4", "no knowledge-base item refunds");
    propose("p1", "refunds", 1);
    fx_ok();
    review_kb("p1", "author", 1, 3);
    fx_refused("§4", "may not review their own proposal");
    review_kb("p1", "r1", 1, 2);
    fx_ok();
    assert_int_equal(fx_event(1)->points_awarded->source, P(P6_KB_REVIEW));
    assert_int_equal(fx_event(1)->points_awarded->amount, 5);
    review_kb("p1", "r1", 1, 2);
    fx_refused("§4", "already reviewed");
    review_kb("p1", "r2", 1, 6);
    fx_refused("§3", "2 to 5");
    review_kb("p1", "r2", 1, 5);
    assert_null(fx_find(EV(KB_ACCEPTED))); /* 2 approvals */
    review_kb("p1", "r3", 1, 4);
    fx_ok();
    Ladder__V1__Event *a = fx_find(EV(KB_ACCEPTED));
    assert_non_null(a);
    assert_int_equal(a->kb_accepted->new_version, 1);
    assert_int_equal(a->kb_accepted->award, 4); /* median of 2, 5, 4 */
    Ladder__V1__Event *p2 = fx_event(3);
    assert_int_equal(p2->points_awarded->source, P(P2_KB_REVISION));
    assert_int_equal(p2->points_awarded->amount, 4);
    assert_int_equal(emp("author")->points_total, 4);
    /* a revision raises the version */
    propose("p2", "refunds", 1);
    fx_refused("§4", "already exists");
    propose("p2", "refunds", 0);
    review_kb("p2", "r1", 1, 2), review_kb("p2", "r2", 1, 3), review_kb("p2", "r4", 1, 3);
    assert_int_equal(fx_find(EV(KB_ACCEPTED))->kb_accepted->new_version, 2);
    ld_out_t *o = ld_out_new();
    Ladder__V1__GetKbItem g = LADDER__V1__GET_KB_ITEM__INIT;
    g.item_id = "refunds";
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_KB_ITEM;
    q.kb_item = &g;
    Ladder__V1__Ok ok = LADDER__V1__OK__INIT;
    assert_int_equal(ld_core_query(F.c, &q, F.now, o, &ok, NULL), 0);
    assert_int_equal(ok.kb_item->version, 2);
    assert_int_equal(ok.kb_item->n_history, 2);
    assert_string_equal(ok.kb_item->history[1]->proposal_id, "p2");
    ld_out_destroy(&o);
}

static int propose_delete(const char *prop, const char *item, int new_item)
{
    Ladder__V1__ProposeKb m = LADDER__V1__PROPOSE_KB__INIT;
    m.proposal_id = (char *)prop, m.item_id = (char *)item, m.proposer_id = "author";
    m.text = "Superseded by the refund policy of 2026", m.delete_item = 1, m.new_item = new_item;
    return fx_cmd(LADDER__V1__COMMAND__CMD_PROPOSE_KB, &m, "author", EMPLOYEE);
}

static Ladder__V1__KbItemView *kb_item(ld_out_t *o, const char *id)
{
    ld_out_reset(o);
    Ladder__V1__GetKbItem g = LADDER__V1__GET_KB_ITEM__INIT;
    g.item_id = (char *)id;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_KB_ITEM;
    q.kb_item = &g;
    Ladder__V1__Ok ok = LADDER__V1__OK__INIT;
    assert_int_equal(ld_core_query(F.c, &q, F.now, o, &ok, NULL), 0);
    return ok.kb_item;
}

/* §4 v2: a deletion passes the same quorum; the item leaves the base and its
 * history stays readable; revisions of it can no longer pass. */
static void test_s4_kb_deletion_by_quorum(void **s)
{
    (void)s;
    ld_out_t *o = ld_out_new();
    propose_delete("d0", "refunds", 0);
    fx_refused("§4", "no knowledge-base item refunds");
    propose("p1", "refunds", 1);
    review_kb("p1", "r1", 1, 3), review_kb("p1", "r2", 1, 3), review_kb("p1", "r3", 1, 3);
    fx_ok();
    propose_delete("d1", "refunds", 1);
    fx_refused("§4", "not both");
    propose("p2", "refunds", 0); /* a revision still open when the deletion passes */
    fx_ok();
    propose_delete("d1", "refunds", 0);
    fx_ok();
    assert_true(fx_event(0)->kb_proposed->delete_item);
    review_kb("d1", "r1", 1, 2), review_kb("d1", "r2", 0, 0);
    assert_null(fx_find(EV(KB_ACCEPTED))); /* 1 approval, 1 rejection */
    review_kb("d1", "r3", 1, 4);
    assert_null(fx_find(EV(KB_ACCEPTED))); /* 2 approvals: the same quorum of 3 */
    int64_t before = emp("author")->points_total;
    review_kb("d1", "r4", 1, 5);
    fx_ok();
    Ladder__V1__Event *a = fx_find(EV(KB_ACCEPTED));
    assert_non_null(a);
    assert_true(a->kb_accepted->deleted);
    assert_int_equal(a->kb_accepted->new_version, 2);
    assert_int_equal(a->kb_accepted->award, 4); /* median of 2, 4, 5: P2 as for a revision */
    assert_int_equal(emp("author")->points_total, before + 4);
    Ladder__V1__KbItemView *v = kb_item(o, "refunds");
    assert_true(v->deleted);
    assert_int_equal(v->version, 2);
    assert_int_equal(v->n_history, 2);
    assert_false(v->history[0]->deleted);
    assert_true(v->history[1]->deleted);
    assert_string_equal(v->text, "Refunds take 5 working days"); /* readable in its history */
    /* out of the base: no revision, no second deletion; the open revision is dead */
    propose("p3", "refunds", 0);
    fx_refused("§4", "was deleted at version 2");
    propose_delete("d2", "refunds", 0);
    fx_refused("§4", "was deleted");
    review_kb("p2", "r1", 1, 3);
    fx_refused("§4", "proposal p2 can no longer pass");
    /* it may be created again, continuing its versions */
    propose("p4", "refunds", 1);
    fx_ok();
    review_kb("p4", "r1", 1, 3), review_kb("p4", "r2", 1, 3), review_kb("p4", "r3", 1, 3);
    assert_int_equal(fx_find(EV(KB_ACCEPTED))->kb_accepted->new_version, 3);
    v = kb_item(o, "refunds");
    assert_false(v->deleted);
    assert_int_equal(v->n_history, 3);
    ld_out_destroy(&o);
}

static void test_s4_kb_rejected_at_3_and_pending_lists_it(void **s)
{
    (void)s;
    propose("p1", "fees", 1);
    review_kb("p1", "r1", 0, 0);
    ld_out_t *o = ld_out_new();
    Ladder__V1__GetPending g = LADDER__V1__GET_PENDING__INIT;
    g.reviewer_id = "r2";
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_PENDING;
    q.pending = &g;
    Ladder__V1__Ok ok = LADDER__V1__OK__INIT;
    assert_int_equal(ld_core_query(F.c, &q, F.now, o, &ok, NULL), 0);
    assert_int_equal(ok.pending->n_items, 1);
    assert_int_equal(ok.pending->items[0]->rejections, 1);
    g.reviewer_id = "r1"; /* already reviewed it */
    ld_out_reset(o);
    assert_int_equal(ld_core_query(F.c, &q, F.now, o, &ok, NULL), 0);
    assert_int_equal(ok.pending->n_items, 0);
    review_kb("p1", "r2", 0, 0);
    review_kb("p1", "r3", 0, 0);
    assert_non_null(fx_find(EV(KB_REJECTED)));
    ld_out_destroy(&o);
}

static int revise(const char *sub, const char *case_id, const char *author)
{
    Ladder__V1__CaseNode root = LADDER__V1__CASE_NODE__INIT;
    root.customer_says = "My bill is wrong again";
    Ladder__V1__CaseContent ct = LADDER__V1__CASE_CONTENT__INIT;
    ct.kind = LADDER__V1__CASE_KIND__CASE_KIND_TEXT, ct.title = "Billing, revised", ct.root = &root;
    Ladder__V1__ReviseCase m = LADDER__V1__REVISE_CASE__INIT;
    m.submission_id = (char *)sub, m.case_id = (char *)case_id, m.author_id = (char *)author;
    m.content = &ct;
    return fx_cmd(LADDER__V1__COMMAND__CMD_REVISE_CASE, &m, author, EMPLOYEE);
}

/* §4 v2 (fault 9): the contributors are the case's author and the authors of
 * its accepted revisions, as the log shows; nobody else can be named. */
static void test_s4_quality_contributors_from_the_log(void **s)
{
    (void)s;
    submit_case("s1", "c1", "author");
    review_case("s1", "r1", 1, 20, 1, "x"), review_case("s1", "r2", 1, 20, 1, "x");
    review_case("s1", "r3", 1, 20, 1, "x");
    revise("s1r", "c1", "m4"); /* accepted: m4 contributed */
    review_case("s1r", "r1", 1, 5, 0, ""), review_case("s1r", "r2", 1, 5, 0, "");
    review_case("s1r", "r3", 1, 5, 0, "");
    fx_ok();
    revise("s1x", "c1", "m2"); /* rejected: m2 did not */
    review_case("s1x", "r1", 0, 0, 0, ""), review_case("s1x", "r2", 0, 0, 0, "");
    review_case("s1x", "r3", 0, 0, 0, "");
    assert_non_null(fx_find(EV(CASE_REJECTED)));
    revise("s1p", "c1", "m3"); /* still pending: m3 has not (yet) */
    int64_t before = emp("author")->points_total, m4 = emp("m4")->points_total;
    Ladder__V1__ApplyQuality aq = LADDER__V1__APPLY_QUALITY__INIT;
    char *contrib[] = {"author", "m4", "m1"};
    aq.case_id = "c1", aq.n_contributor_ids = 3, aq.contributor_ids = contrib;
    aq.outstanding_id = "author";
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_APPLY_QUALITY;
    c.apply_quality = &aq;
    fx_run(&c, "m1", EMPLOYEE); /* before v2: accepted, m1 was paid without touching c1 */
    fx_refused("§4", "m1 is neither the author of case c1 nor of an accepted revision");
    assert_string_equal(F.why.field, "apply_quality.contributor_ids[2]");
    contrib[2] = "m2";
    fx_run(&c, "m2", EMPLOYEE);
    fx_refused("§4", "m2 is neither the author");
    contrib[2] = "m3";
    fx_run(&c, "m3", EMPLOYEE);
    fx_refused("§4", "m3 is neither the author");
    aq.n_contributor_ids = 2;
    fx_run(&c, "r4", EMPLOYEE);
    fx_refused("§4", "apply for themselves");
    fx_run(&c, "m4", EMPLOYEE);
    fx_ok();
    Ladder__V1__AwardQuality aw = LADDER__V1__AWARD_QUALITY__INIT;
    aw.case_id = "c1", aw.amount_each = 11, aw.approve = 1;
    c.cmd_case = LADDER__V1__COMMAND__CMD_AWARD_QUALITY;
    c.award_quality = &aw;
    fx_run(&c, "boss", MANAGER);
    fx_refused("§3", "5 to 10");
    aw.amount_each = 8;
    fx_run(&c, "boss", MANAGER);
    fx_ok();
    assert_int_equal(ld_out_count(F.out), 3); /* awarded + two P5 */
    assert_int_equal(emp("author")->points_total, before + 60);
    assert_int_equal(emp("m4")->points_total, m4 + 8);
    assert_int_equal(emp("m1")->points_total, 0);
    fx_run(&c, "boss", MANAGER);
    fx_refused("§4", "already decided");
}

/* given: decided contributions of an employee, without the reviews */
static void given_decisions(const char *who, int accepted, int rejected)
{
    static int n;
    for (int i = 0; i < accepted + rejected; i++) {
        char sub[16], cid[16];
        snprintf(sub, sizeof sub, "gs%d", n);
        snprintf(cid, sizeof cid, "gc%d", n++);
        Ladder__V1__CaseSubmitted cs = LADDER__V1__CASE_SUBMITTED__INIT;
        cs.submission_id = sub, cs.case_id = cid, cs.author_id = (char *)who;
        Ladder__V1__Event ev = LADDER__V1__EVENT__INIT;
        ev.seq = ld_core_next_seq(F.c), ev.stream = "case", ev.at_ms = F.now;
        ev.body_case = EV(CASE_SUBMITTED), ev.case_submitted = &cs;
        assert_int_equal(ld_core_evolve(F.c, &ev), 0);
        Ladder__V1__CaseAccepted ca = LADDER__V1__CASE_ACCEPTED__INIT;
        Ladder__V1__CaseRejected cr = LADDER__V1__CASE_REJECTED__INIT;
        ev.seq = ld_core_next_seq(F.c);
        if (i < accepted) {
            ca.submission_id = sub, ca.case_id = cid, ca.level = 5, ca.category = "x";
            ca.half = LADDER__V1__HALF__HALF_TRAINING;
            ev.body_case = EV(CASE_ACCEPTED), ev.case_accepted = &ca;
        } else {
            cr.submission_id = sub, cr.case_id = cid;
            ev.body_case = EV(CASE_REJECTED), ev.case_rejected = &cr;
        }
        assert_int_equal(ld_core_evolve(F.c, &ev), 0);
    }
}

static int apply_committee(const char *who)
{
    Ladder__V1__ApplyCommittee m = LADDER__V1__APPLY_COMMITTEE__INIT;
    m.employee_id = (char *)who;
    return fx_cmd(LADDER__V1__COMMAND__CMD_APPLY_COMMITTEE, &m, who, EMPLOYEE);
}

/* The points and record thresholds, with the level floor lowered to isolate them
 * (the level is test_s5_committee_needs_level_4_as_well). */
static void test_s5_committee_thresholds(void **s)
{
    (void)s;
    adopt("{\"committee\":{\"min_level\":0}}");
    fx_ok();
    adjust("m1", 3199);
    given_decisions("m1", 23, 4); /* 85.19 % of 27 */
    apply_committee("m1");
    fx_refused("§5", "needs 3200 points, has 3199");
    adjust("m1", 1);
    apply_committee("m1");
    fx_ok();
    assert_int_equal(fx_event(0)->committee_applied->accepted, 23);
    apply_committee("m1");
    fx_refused("§5", "already applied");

    adjust("m2", 3200);
    given_decisions("m2", 17, 3); /* exactly 85.0 %: not more than 85 % */
    apply_committee("m2");
    fx_refused("§5", "17 of 20 is 85.0%");
    adjust("m3", 3200);
    given_decisions("m3", 6, 1); /* 85.7 % but only 7 decided */
    apply_committee("m3");
    fx_refused("§5", "at least 10 decided contributions");

    /* a manager admits; the member may then review; removal ends that */
    Ladder__V1__DecideCommittee d = LADDER__V1__DECIDE_COMMITTEE__INIT;
    d.employee_id = "m1", d.admit = 1, d.reason = "meets §5";
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_DECIDE_COMMITTEE;
    c.decide_committee = &d;
    fx_run(&c, "m2", EMPLOYEE);
    fx_refused("§5", "may not decide");
    fx_run(&c, "boss", MANAGER);
    fx_ok();
    assert_true(emp("m1")->committee_member);
    submit_case("s9", "c9", "author");
    Ladder__V1__ReviewCase rv = LADDER__V1__REVIEW_CASE__INIT;
    rv.submission_id = "s9", rv.reviewer_id = "m1", rv.verdict = LADDER__V1__VERDICT__VERDICT_APPROVE;
    rv.amount = 20, rv.level = 1, rv.category = "x";
    c.cmd_case = LADDER__V1__COMMAND__CMD_REVIEW_CASE;
    c.review_case = &rv;
    fx_run(&c, "m1", EMPLOYEE);
    fx_ok();
    Ladder__V1__RemoveCommittee rm = LADDER__V1__REMOVE_COMMITTEE__INIT;
    rm.employee_id = "m1", rm.reason = "left the committee";
    c.cmd_case = LADDER__V1__COMMAND__CMD_REMOVE_COMMITTEE;
    c.remove_committee = &rm;
    fx_run(&c, "boss", MANAGER);
    fx_ok();
    rv.submission_id = "s9";
    submit_case("s10", "c10", "author");
    rv.submission_id = "s10";
    c.cmd_case = LADDER__V1__COMMAND__CMD_REVIEW_CASE;
    c.review_case = &rv;
    fx_run(&c, "m1", EMPLOYEE);
    fx_refused("§5", "only committee members and managers");
}

/* §5 v2 (fault 7): 3200 points are not enough below level 4. */
static void test_s5_committee_needs_level_4_as_well(void **s)
{
    (void)s;
    adjust("m1", 3200);
    given_decisions("m1", 10, 0);
    apply_committee("m1"); /* before v2: accepted at level 0 */
    fx_refused("§5", "needs level 4, m1 is level 0");
    adopt("{\"promotion\":{\"apprentices\":[0,0,0,0,0,0]}}"); /* no mentoring needed here */
    fx_ok();
    for (int i = 0; i < 3; i++)
        promote("m1");
    assert_int_equal(level_of("m1"), 3);
    apply_committee("m1");
    fx_refused("§5", "needs level 4, m1 is level 3");
    promote("m1");
    assert_int_equal(level_of("m1"), 4);
    apply_committee("m1");
    fx_ok();
    assert_int_equal(fx_ev(0), EV(COMMITTEE_APPLIED));
}

static int suggest(const char *id)
{
    Ladder__V1__SubmitSuggestion m = LADDER__V1__SUBMIT_SUGGESTION__INIT;
    m.suggestion_id = (char *)id, m.employee_id = "r1", m.text = "Queue callbacks at peak";
    return fx_cmd(LADDER__V1__COMMAND__CMD_SUBMIT_SUGGESTION, &m, "r1", EMPLOYEE);
}

static int judge(const char *id, int verdict, int64_t amount, const char *dup)
{
    Ladder__V1__JudgeSuggestion m = LADDER__V1__JUDGE_SUGGESTION__INIT;
    m.suggestion_id = (char *)id, m.verdict = verdict, m.amount = amount;
    m.duplicate_of = (char *)dup, m.reason = "reviewed";
    return fx_cmd(LADDER__V1__COMMAND__CMD_JUDGE_SUGGESTION, &m, "boss", MANAGER);
}

static void test_s8_suggestions_adopted_feasible_duplicate(void **s)
{
    (void)s;
    suggest("g1"), suggest("g2"), suggest("g3"), suggest("g4");
    judge("g1", LADDER__V1__SUGGESTION_VERDICT__SUGGESTION_ADOPTED, 101, "");
    fx_refused("§8", "30 to 100");
    judge("g1", LADDER__V1__SUGGESTION_VERDICT__SUGGESTION_ADOPTED, 100, "");
    fx_ok();
    assert_int_equal(fx_event(1)->points_awarded->source, P(P9_SUGGESTION));
    judge("g1", LADDER__V1__SUGGESTION_VERDICT__SUGGESTION_ADOPTED, 50, "");
    fx_refused("§8", "already judged");
    judge("g2", LADDER__V1__SUGGESTION_VERDICT__SUGGESTION_ADOPTED_FEASIBLE, 59, "");
    fx_refused("§8", "60 to 200");
    judge("g2", LADDER__V1__SUGGESTION_VERDICT__SUGGESTION_ADOPTED_FEASIBLE, 200, "");
    fx_ok();
    judge("g3", LADDER__V1__SUGGESTION_VERDICT__SUGGESTION_DUPLICATE, 0, "g4");
    fx_refused("§8", "not earlier");
    judge("g3", LADDER__V1__SUGGESTION_VERDICT__SUGGESTION_DUPLICATE, 80, "g1");
    fx_ok();
    assert_int_equal(ld_out_count(F.out), 1); /* a duplicate earns nothing */
    judge("g4", LADDER__V1__SUGGESTION_VERDICT__SUGGESTION_NOT_ADOPTED, 0, "");
    fx_ok();
    assert_int_equal(emp("r1")->points_total, 300);
}

static int claim(const char *group, char **members, size_t n)
{
    Ladder__V1__ClaimQc m = LADDER__V1__CLAIM_QC__INIT;
    m.project_id = "q1", m.group_id = (char *)group, m.n_member_ids = n, m.member_ids = members;
    return fx_cmd(LADDER__V1__COMMAND__CMD_CLAIM_QC, &m, "boss", MANAGER);
}

static void test_s8_qc_groups_of_3_to_5_at_most_3_groups(void **s)
{
    (void)s;
    Ladder__V1__PublishQc pq = LADDER__V1__PUBLISH_QC__INIT;
    pq.project_id = "q1", pq.topic = "Shorten hold times", pq.points = 120;
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_PUBLISH_QC;
    c.publish_qc = &pq;
    fx_run(&c, "boss", MANAGER);
    fx_ok();
    char *two[] = {"r1", "r2"};
    char *six[] = {"r1", "r2", "r3", "r4", "m1", "m2"};
    char *g1[] = {"r1", "r2", "r3"}, *g2[] = {"m1", "m2", "m3", "m4"}, *g3[] = {"m5", "m6", "r4"};
    claim("a", two, 2);
    fx_refused("§8", "3 to 5 members, not 2");
    claim("a", six, 6);
    fx_refused("§8", "3 to 5 members, not 6");
    claim("a", g1, 3), fx_ok();
    claim("b", g2, 4), fx_ok();
    claim("c", g3, 3), fx_ok();
    claim("d", g1, 3);
    fx_refused("§8", "at most 3 groups per topic");
    Ladder__V1__CompleteQc cq = LADDER__V1__COMPLETE_QC__INIT;
    cq.project_id = "q1", cq.group_id = "b";
    c.cmd_case = LADDER__V1__COMMAND__CMD_COMPLETE_QC;
    c.complete_qc = &cq;
    fx_run(&c, "boss", MANAGER);
    fx_ok();
    assert_int_equal(ld_out_count(F.out), 5); /* completed + four P10 */
    assert_int_equal(fx_event(1)->points_awarded->source, P(P10_QC_PROJECT));
    assert_int_equal(emp("m3")->points_total, 120);
    fx_run(&c, "boss", MANAGER);
    fx_refused("§8", "already completed");
}

/* §8 v2: a person sits in at most one group of a topic (fault 13). */
static void test_s8_one_group_per_topic(void **s)
{
    (void)s;
    Ladder__V1__PublishQc pq = LADDER__V1__PUBLISH_QC__INIT;
    pq.project_id = "q1", pq.topic = "Shorten hold times", pq.points = 120;
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_PUBLISH_QC;
    c.publish_qc = &pq;
    fx_run(&c, "boss", MANAGER);
    fx_ok();
    pq.project_id = "q2", pq.topic = "Fewer transfers";
    fx_run(&c, "boss", MANAGER);
    fx_ok();
    char *g1[] = {"r1", "r2", "r3"}, *g2[] = {"m1", "m2", "r2"}, *g3[] = {"m1", "m2", "m3"};
    claim("a", g1, 3), fx_ok();
    claim("b", g2, 3); /* before v2: accepted, r2 paid twice for one topic */
    fx_refused("§8", "r2 already sits in a group of topic q1");
    assert_string_equal(F.why.field, "claim_qc.member_ids[2]");
    claim("b", g3, 3), fx_ok();
    /* another topic is another matter */
    Ladder__V1__ClaimQc m = LADDER__V1__CLAIM_QC__INIT;
    m.project_id = "q2", m.group_id = "x", m.n_member_ids = 3, m.member_ids = g1;
    c.cmd_case = LADDER__V1__COMMAND__CMD_CLAIM_QC;
    c.claim_qc = &m;
    fx_run(&c, "boss", MANAGER);
    fx_ok();
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_s4_kb_quorum_3_median_p2_and_p6),
        T(test_s4_kb_rejected_at_3_and_pending_lists_it),
        T(test_s4_kb_deletion_by_quorum),
        T(test_s4_quality_contributors_from_the_log),
        T(test_s5_committee_thresholds),
        T(test_s5_committee_needs_level_4_as_well),
        T(test_s8_suggestions_adopted_feasible_duplicate),
        T(test_s8_qc_groups_of_3_to_5_at_most_3_groups),
        T(test_s8_one_group_per_topic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
