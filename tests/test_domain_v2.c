/* test_domain_v2.c — scenario tests of the v2 rules of issue 11 that the v2a
 * engineer owns (DOMAIN.md §2 placement, §6.5 confirmed mentoring, §6.6 void
 * exams, §6.7 time in level, §7 at-once demotion / waiver / extension / appeal
 * decider / conditions, §11 explanations, §12 reversals), each at its
 * boundaries. Faults 1, 2, 4, 8 and 11 of the issue each have a test that
 * failed on the core before the fix (named *_fault_N). */
#include "core_fixture.h"

#define EV(x) LADDER__V1__EVENT__BODY_##x
#define HALF_TRAINING LADDER__V1__HALF__HALF_TRAINING
#define HALF_TEST LADDER__V1__HALF__HALF_TEST
#define PROMO LADDER__V1__EXAM_PURPOSE__EXAM_PROMOTION
#define RETAIN LADDER__V1__EXAM_PURPOSE__EXAM_RETENTION
#define CHAIR LADDER__V1__ROLE__ROLE_CHAIR
#define GAP(x) LADDER__V1__RETENTION_GAP__GAP_##x

static int setup(void **s) { (void)s; fx_setup(); return 0; }
static int teardown(void **s) { (void)s; fx_teardown(); return 0; }

/* ------------------------------------------------------------- helpers -- */

static int place(const char *id, uint32_t level, const char *reason)
{
    Ladder__V1__PlaceEmployee m = LADDER__V1__PLACE_EMPLOYEE__INIT;
    m.employee_id = (char *)id;
    m.level = level;
    m.reason = (char *)reason;
    return fx_cmd(LADDER__V1__COMMAND__CMD_PLACE_EMPLOYEE, &m, "boss", MANAGER);
}

static int expire_exam(const char *id)
{
    Ladder__V1__ExpireExam m = LADDER__V1__EXPIRE_EXAM__INIT;
    m.employee_id = (char *)id;
    return fx_cmd(LADDER__V1__COMMAND__CMD_EXPIRE_EXAM, &m, "system", SYSTEM);
}

static int extend(const char *id, uint32_t days)
{
    Ladder__V1__ExtendRetentionWindow m = LADDER__V1__EXTEND_RETENTION_WINDOW__INIT;
    m.employee_id = (char *)id;
    m.days = days;
    m.reason = "sick leave";
    return fx_cmd(LADDER__V1__COMMAND__CMD_EXTEND_RETENTION_WINDOW, &m, "boss", MANAGER);
}

static int reverse(uint64_t seq)
{
    Ladder__V1__ReverseFact m = LADDER__V1__REVERSE_FACT__INIT;
    m.seq = seq;
    m.reason = "mistyped";
    return fx_cmd(LADDER__V1__COMMAND__CMD_REVERSE_FACT, &m, "boss", MANAGER);
}

static int decide_appeal_as(const char *id, const char *who, uint32_t roles)
{
    Ladder__V1__DecideAppeal m = LADDER__V1__DECIDE_APPEAL__INIT;
    m.employee_id = (char *)id;
    m.overturn = 1;
    m.reason = "was on approved leave";
    return fx_cmd(LADDER__V1__COMMAND__CMD_DECIDE_APPEAL, &m, who, roles);
}

static int appeal_as(const char *id, const char *who, uint32_t roles)
{
    Ladder__V1__Appeal m = LADDER__V1__APPEAL__INIT;
    m.employee_id = (char *)id;
    m.reason = "I was on sick leave";
    return fx_cmd(LADDER__V1__COMMAND__CMD_APPEAL, &m, who, roles);
}

static int volunteer(const char *report, const char *id, uint32_t hours)
{
    Ladder__V1__VolunteerEntry e = LADDER__V1__VOLUNTEER_ENTRY__INIT;
    e.employee_id = (char *)id;
    e.hours = hours;
    Ladder__V1__VolunteerEntry *ep[1] = {&e};
    Ladder__V1__ReportVolunteer m = LADDER__V1__REPORT_VOLUNTEER__INIT;
    m.report_id = (char *)report;
    m.n_entries = 1;
    m.entries = ep;
    return fx_cmd(LADDER__V1__COMMAND__CMD_REPORT_VOLUNTEER, &m, "boss", MANAGER);
}

static ld_out_t *q_out;

static Ladder__V1__Explanation *explain(const char *id)
{
    if (!q_out)
        q_out = ld_out_new();
    ld_out_reset(q_out);
    Ladder__V1__Explain ex = LADDER__V1__EXPLAIN__INIT;
    ex.employee_id = (char *)id;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_EXPLAIN;
    q.explain = &ex;
    static Ladder__V1__Ok ok;
    ladder__v1__ok__init(&ok);
    assert_int_equal(ld_core_query(F.c, &q, F.now, q_out, &ok, NULL), 0);
    return ok.explanation;
}


/* ----------------------------------------------------------------- §2 -- */

static void test_s2_placement_once_with_reason_starts_a_year(void **s)
{
    (void)s;
    hire("e1");
    adjust("e1", 300);
    place("e1", 3, "");
    fx_refused(NULL, "place_employee.reason: required");
    place("e1", 0, "existing senior teacher");
    fx_refused("§2", "level 1 to 5, not 0");
    place("e1", 6, "existing senior teacher");
    fx_refused("§2", "level 1 to 5, not 6");
    place("e1", 3, "existing senior teacher");
    fx_ok();
    assert_int_equal(fx_ev(0), EV(EMPLOYEE_PLACED));
    uint64_t placed = fx_event(0)->seq;
    assert_int_equal(fx_event(0)->employee_placed->from_level, 0);
    assert_int_equal(level_of("e1"), 3);
    Ladder__V1__EmployeeView *v = emp("e1");
    assert_string_equal(v->level->title_en, "Senior Teacher");
    assert_int_equal(v->points_since_level, 0);
    assert_int_equal(v->points_total, 300);
    assert_int_equal(v->retention_deadline_ms, T0 + 365 * DAY); /* 12 months: a retention year */
    place("e1", 2, "typo");
    fx_refused("§2", "already placed at level 3");
    assert_int_equal(F.why.code, LADDER__V1__ERROR_CODE__ERR_DUPLICATE);
    Ladder__V1__Explanation *x = explain("e1");
    assert_int_equal(x->n_changes, 1);
    assert_string_equal(x->changes[0]->cause, "placed");
    assert_int_equal(x->changes[0]->seq, placed);
    assert_string_equal(x->changes[0]->reason, "existing senior teacher");
    assert_string_equal(x->changes[0]->decided_by, "boss");
    /* the level's rules task is due, as after a promotion */
    assert_false(ready("e1")->items[1]->met);
    /* a placed employee's year closes like any other */
    F.now = YEAR_END;
    close_year("e1");
    fx_ok();
    assert_false(fx_event(0)->retention_year_closed->kept);
    assert_int_equal(level_of("e1"), 2);
}

static void test_s2_placement_only_before_the_first_promotion(void **s)
{
    (void)s;
    hire("e2");
    promote("e2");
    uint64_t promoted = fx_find(EV(PROMOTED))->seq;
    place("e2", 3, "existing staff");
    fx_refused("§2", "before the first promotion");
    char want[64];
    snprintf(want, sizeof want, "promoted at seq %llu", (unsigned long long)promoted);
    assert_non_null(strstr(F.why.message, want));
    place("nobody", 3, "x");
    fx_refused("§1", "no employee nobody");
    Ladder__V1__PlaceEmployee m = LADDER__V1__PLACE_EMPLOYEE__INIT;
    m.employee_id = "e2", m.level = 2, m.reason = "x";
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_PLACE_EMPLOYEE;
    c.place_employee = &m;
    fx_run(&c, "e2", EMPLOYEE);
    fx_refused("§2", "may not place employees");
    assert_int_equal(F.why.code, LADDER__V1__ERROR_CODE__ERR_FORBIDDEN);
}

/* ---------------------------------------------------------------- §6.5 -- */

static void test_s6_5_proposal_takes_effect_only_when_confirmed(void **s)
{
    (void)s;
    hire("m");
    hire("a");
    promote("m");
    promote("m");
    propose_mentor("m", "m");
    fx_refused("§6.5", "cannot be their own apprentice");
    propose_mentor("m", "a");
    fx_ok();
    assert_true(fx_event(0)->apprenticeship_started->proposed);
    assert_string_equal(emp("a")->mentor_id, "m");
    confirm_mentor_as("m", "a", "m", MANAGER | EMPLOYEE); /* even a mentor who manages */
    fx_refused("§6.5", "cannot confirm their own proposal");
    confirm_mentor_as("m", "a", "t", EMPLOYEE);
    fx_refused("§6.5", "may not confirm this apprenticeship");
    /* promoted while only proposed: no credit, the proposal ends */
    int64_t before = emp("m")->points_total;
    F.now += 60 * DAY;
    promote("a");
    assert_null(fx_find(EV(APPRENTICE_CREDITED)));
    Ladder__V1__Event *end = fx_find(EV(APPRENTICESHIP_ENDED));
    assert_non_null(end);
    assert_non_null(strstr(end->apprenticeship_ended->reason, "never confirmed"));
    assert_int_equal(emp("m")->points_total, before);
    assert_string_equal(emp("a")->mentor_id, "");
    /* a manager may confirm too */
    hire("b");
    propose_mentor("m", "b");
    confirm_mentor_as("m", "b", "boss", MANAGER);
    fx_ok();
    assert_int_equal(fx_ev(0), EV(APPRENTICESHIP_CONFIRMED));
    confirm_mentor_as("m", "b", "b", EMPLOYEE);
    fx_refused("§6.5", "already in effect");
}

static void test_s6_5_one_mentor_at_a_time_at_most_5(void **s)
{
    (void)s;
    hire("m");
    hire("m2");
    promote("m"), promote("m"), promote("m2"), promote("m2");
    char id[8];
    for (int k = 0; k < 5; k++) {
        snprintf(id, sizeof id, "a%d", k);
        hire(id);
        propose_mentor("m", id);
        fx_ok();
    }
    hire("a5");
    propose_mentor("m", "a5");
    fx_refused("§6.5", "m has 5 apprentices (proposed or in effect); at most 5 at once");
    propose_mentor("m2", "a0");
    fx_refused("§6.5", "a0 already has mentor m (proposed); one mentor at a time");
    propose_mentor("m2", "a5");
    fx_ok();
    /* the limit is a rule */
    adopt("{\"mentoring\":{\"max_active\":6}}");
    fx_ok();
    hire("a6");
    propose_mentor("m", "a6");
    fx_ok();
}

/* Fault 8: a mentor attached after the apprentice's exam was drawn got +200.
 * Now the apprenticeship must be in effect 30 days before the draw: 29 days
 * earns nothing, 30 days earns the credit and P8. */
static void test_s6_5_counts_only_30_days_before_the_draw_fault_8(void **s)
{
    (void)s;
    hire("m");
    promote("m");
    promote("m");
    const char *ids[2] = {"a29", "a30"};
    for (int k = 0; k < 2; k++) {
        hire(ids[k]);
        adjust(ids[k], 800);
        level_task(ids[k]);
        qtest(ids[k], 100000);
        propose_mentor("m", ids[k]);
        confirm_mentor_as("m", ids[k], ids[k], EMPLOYEE);
        fx_ok();
    }
    given_cases("t1", 1, HALF_TEST, 10);
    int64_t confirmed = F.now;
    F.now = confirmed + 29 * DAY;
    draw("x29", "a29", PROMO);
    fx_ok();
    F.now = confirmed + 30 * DAY;
    draw("x30", "a30", PROMO);
    fx_ok();
    int64_t before = emp("m")->points_total;
    grade("x29", 90, 10);
    fx_ok();
    assert_int_equal(level_of("a29"), 1);
    assert_null(fx_find(EV(APPRENTICE_CREDITED)));
    assert_non_null(strstr(fx_find(EV(APPRENTICESHIP_ENDED))->apprenticeship_ended->reason,
                           "in effect 29 days before exam x29 was drawn, needs 30"));
    assert_int_equal(emp("m")->points_total, before);
    grade("x30", 90, 10);
    fx_ok();
    assert_non_null(fx_find(EV(APPRENTICE_CREDITED)));
    assert_int_equal(emp("m")->points_total, before + 200);
    assert_int_equal(emp("m")->apprentices_credited, 1);
    /* before v2 a mentor attached after the draw was credited: it is not now */
    hire("late");
    adjust("late", 800);
    level_task("late");
    qtest("late", 100000);
    draw("xl", "late", PROMO);
    propose_mentor("m", "late");
    confirm_mentor_as("m", "late", "late", EMPLOYEE);
    grade("xl", 90, 10);
    fx_ok();
    assert_null(fx_find(EV(APPRENTICE_CREDITED)));
    assert_int_equal(emp("m")->points_total, before + 200);
}

/* ---------------------------------------------------------------- §6.6 -- */

/* Fault 2: an open promotion exam survived a demotion (drawn at level 2 for
 * level 3, graded after the demotion to 1, promoted 1 -> 2). Now the level
 * change voids it, as an event, and it cannot be graded. */
static void test_s6_6_exam_void_on_level_change_fault_2(void **s)
{
    (void)s;
    hire("e1");
    promote("e1");
    promote("e1");
    assert_int_equal(level_of("e1"), 2);
    int64_t reached = F.now;
    adjust("e1", 2400);
    level_task("e1");
    qtest("e1", 100000);
    given_cases("t3", 3, HALF_TEST, 10);
    /* this scenario is about the exam, not §6.5: level 3 needs no apprentices */
    adopt("{\"promotion\":{\"apprentices\":[0,0,0,0,3,0]}}");
    fx_ok();
    F.now = reached + 365 * DAY - 2 * DAY;
    draw("x3", "e1", PROMO);
    fx_ok();
    uint64_t drawn = fx_event(0)->seq;
    F.now = reached + 365 * DAY; /* the year closes: no re-tests, demoted to 1 */
    close_year("e1");
    fx_ok();
    assert_false(fx_event(0)->retention_year_closed->kept);
    Ladder__V1__Event *v = fx_find(EV(EXAM_VOIDED));
    assert_non_null(v);
    assert_int_equal(v->cause_seq, fx_event(0)->seq);
    assert_string_equal(v->exam_voided->exam_id, "x3");
    assert_int_equal(v->exam_voided->cause, LADDER__V1__VOID_CAUSE__VOID_LEVEL_CHANGED);
    assert_true(drawn < v->seq);
    grade("x3", 95, 10);
    fx_refused("§6.6", "exam x3 is void and cannot be graded");
    assert_int_equal(level_of("e1"), 1);
}

/* Fault 2, second half: a re-test graded after its year closed counted for the
 * next year. Now the close voids it. */
static void test_s6_6_retest_void_when_its_year_closes_fault_2(void **s)
{
    (void)s;
    level_1_employee();
    adjust("e1", 200);
    F.now = WINDOW_OPEN;
    qtest("e1", 100000);
    F.now = YEAR_END - DAY;
    draw("y1", "e1", RETAIN);
    fx_ok();
    assert_int_equal(fx_event(0)->exam_drawn->year_start_ms, T0);
    F.now = YEAR_END;
    close_year("e1");
    fx_ok();
    Ladder__V1__Event *v = fx_find(EV(EXAM_VOIDED));
    assert_non_null(v);
    assert_int_equal(v->exam_voided->cause, LADDER__V1__VOID_CAUSE__VOID_YEAR_CLOSED);
    F.now += DAY;
    grade("y1", 90, 10);
    fx_refused("§6.6", "is void");
}

/* An exam not graded within exam.expiry_days (14) is void; it counts for
 * nothing (a void re-test does not use up the make-up). */
static void test_s6_6_exam_expires_after_14_days(void **s)
{
    (void)s;
    level_1_employee();
    adjust("e1", 200);
    F.now = WINDOW_OPEN;
    qtest("e1", 100000);
    draw("y1", "e1", RETAIN);
    fx_ok();
    int64_t drawn = F.now;
    assert_int_equal(fx_event(0)->exam_drawn->expires_ms, drawn + 14 * DAY);
    int64_t at;
    const char *who;
    int kind;
    assert_true(ld_core_next_deadline(F.c, &at, &who, &kind));
    assert_int_equal(kind, LD_DEADLINE_EXAM);
    assert_int_equal(at, drawn + 14 * DAY);
    F.now = drawn + 14 * DAY - 1;
    expire_exam("e1");
    fx_refused("§6.6", "may be graded until");
    F.now = drawn + 14 * DAY;
    grade("y1", 90, 10);
    fx_refused("§6.6", "expired at");
    draw("y2", "e1", RETAIN);
    fx_refused("§6.6", "it must be voided");
    expire_exam("e1");
    fx_ok();
    assert_int_equal(fx_ev(0), EV(EXAM_VOIDED));
    assert_int_equal(fx_event(0)->cause_seq, 0);
    assert_int_equal(fx_event(0)->exam_voided->cause, LADDER__V1__VOID_CAUSE__VOID_EXPIRED);
    assert_non_null(strstr(fx_event(0)->exam_voided->reason, "not graded by"));
    /* the void exam did not use a try: the next draw is the first, not the make-up */
    draw("y2", "e1", RETAIN);
    fx_ok();
    assert_false(fx_event(0)->exam_drawn->makeup);
    /* graded one millisecond before its expiry: counts */
    F.now += 14 * DAY - 1;
    grade("y2", 90, 10);
    fx_ok();
    F.now = YEAR_END;
    close_year("e1");
    assert_true(fx_event(0)->retention_year_closed->kept);
}

/* ---------------------------------------------------------------- §6.7 -- */

static void test_s6_7_time_in_level_after_5_before_the_exam(void **s)
{
    (void)s;
    adopt("{\"promotion\":{\"min_days\":[10,0,0,0,0,0]}}");
    fx_ok();
    hire("e1");
    adjust("e1", 800);
    level_task("e1");
    qtest("e1", 100000);
    given_cases("t1", 1, HALF_TEST, 10);
    F.now = T0 + 9 * DAY;
    Ladder__V1__Readiness *rd = ready("e1");
    assert_string_equal(rd->items[5]->section, "§6.7");
    assert_false(rd->items[5]->met);
    assert_int_equal(rd->items[5]->have, 9);
    assert_int_equal(rd->items[5]->need, 10);
    assert_string_equal(rd->items[5]->gap, "9 days at level 0, needs 10");
    assert_false(rd->exam_allowed);
    draw("x1", "e1", PROMO);
    fx_refused("§6.7", "9 days at level 0, needs 10");
    F.now = T0 + 10 * DAY;
    assert_true(ready("e1")->items[5]->met);
    draw("x1", "e1", PROMO);
    fx_ok();
    /* checked after §6.1-§6.5: a points gap is reported first */
    hire("e2");
    draw("x2", "e2", PROMO);
    fx_refused("§6.1", "needs 800 more points");
}

/* ------------------------------------------------------------------ §7 -- */

/* Fault 1: demoted for an exam the system refused to set. With fewer test
 * cases at the level than an exam needs, the exam condition is waived and the
 * close says so. */
static void test_s7_exam_waived_when_the_test_half_is_too_small_fault_1(void **s)
{
    (void)s;
    hire("e1");
    promote("e1"); /* its 10 level-1 test cases ... */
    adjust("e1", 200);
    adopt("{\"exam\":{\"size\":11,\"min_size\":10}}"); /* ... fall short of an exam of 11 */
    fx_ok();
    F.now = WINDOW_OPEN;
    qtest("e1", 100000);
    draw("y1", "e1", RETAIN);
    fx_refused("§6.6", "an exam of 11 cannot be drawn");
    F.now = YEAR_END;
    close_year("e1");
    fx_ok();
    Ladder__V1__RetentionYearClosed *y = fx_event(0)->retention_year_closed;
    assert_true(y->kept);
    assert_true(y->exam_waived);
    assert_non_null(strstr(y->explanation, "skill exam was waived"));
    assert_int_equal(level_of("e1"), 1);
    /* with 11 cases the exam is set, and missing it demotes */
    given_cases("more", 1, HALF_TEST, 1);
    adjust("e1", 200);
    F.now = YEAR_END + 365 * DAY;
    close_year("e1");
    fx_ok();
    y = fx_event(0)->retention_year_closed;
    assert_false(y->kept);
    assert_false(y->exam_waived);
}

/* A manager extends the window once, by 1 to 60 days, with a reason. */
static void test_s7_extension_once_up_to_60_days(void **s)
{
    (void)s;
    level_1_employee();
    adjust("e1", 200);
    extend("e1", 61);
    fx_refused("§7", "1 to 60 days, not 61");
    assert_string_equal(F.why.field, "extend_retention_window.days");
    extend("e1", 0);
    fx_refused("§7", "not 0");
    extend("e1", 60);
    fx_ok();
    assert_int_equal(fx_ev(0), EV(RETENTION_WINDOW_EXTENDED));
    assert_int_equal(fx_event(0)->retention_window_extended->year_end_ms, YEAR_END + 60 * DAY);
    extend("e1", 1);
    fx_refused("§7", "already extended (once per year)");
    assert_int_equal(emp("e1")->retention_deadline_ms, YEAR_END + 60 * DAY);
    F.now = YEAR_END;
    close_year("e1");
    fx_refused("§7", "closes at 2027-03-06");
    /* tests in the extended window count */
    F.now = YEAR_END + 59 * DAY;
    qtest("e1", 100000);
    assert_true(fx_event(0)->query_test_recorded->retention);
    draw("y1", "e1", RETAIN);
    grade("y1", 90, 10);
    fx_ok();
    F.now = YEAR_END + 60 * DAY;
    close_year("e1");
    fx_ok();
    assert_true(fx_event(0)->retention_year_closed->kept);
    /* the next year opens at the extended close: 2027-03-06 + 12 months (2028 is a leap year) */
    assert_int_equal(emp("e1")->retention_deadline_ms, YEAR_END + 60 * DAY + 366 * DAY);
    hire("z");
    extend("z", 5);
    fx_refused("§7", "level 0, which has no retention");
}

/* The decider is a manager or chair other than the appellant. */
static void test_s7_appeal_decider_is_not_the_appellant(void **s)
{
    (void)s;
    level_1_employee();
    F.now = YEAR_END;
    close_year("e1");
    assert_int_equal(level_of("e1"), 0);
    appeal_as("e1", "hr1", MANAGER); /* a manager appeals on e1's behalf */
    fx_ok();
    decide_appeal_as("e1", "hr1", MANAGER);
    fx_refused("§7", "hr1 appealed (or is appealed for) and cannot decide the appeal");
    decide_appeal_as("e1", "e1", MANAGER | EMPLOYEE);
    fx_refused("§7", "e1 appealed");
    decide_appeal_as("e1", "judge", EMPLOYEE);
    fx_refused("§7", "may not decide appeals");
    decide_appeal_as("e1", "chair1", CHAIR);
    fx_ok();
    assert_int_equal(level_of("e1"), 1);
}

/* The close names every unmet condition with its numbers and evidence seqs. */
static void test_s7_close_names_every_unmet_condition_with_evidence(void **s)
{
    (void)s;
    hire("m");
    level_3_mentor("m");
    uint64_t opened = fx_find(EV(PROMOTED))->seq;
    int64_t start = F.now;
    given_cases("r", 3, HALF_TEST, 10);
    adjust("m", 150);
    uint64_t points = fx_event(0)->seq;
    F.now = start + 340 * DAY;
    qtest("m", 131000);
    uint64_t q1 = fx_event(0)->seq;
    draw("y1", "m", RETAIN);
    grade("y1", 70, 10);
    uint64_t g1 = fx_event(0)->seq;
    F.now = start + 365 * DAY;
    close_year("m");
    fx_ok();
    Ladder__V1__RetentionYearClosed *y = fx_event(0)->retention_year_closed;
    assert_false(y->kept);
    assert_int_equal(y->n_conditions, 4);
    assert_int_equal(y->conditions[0]->gap, GAP(QUERY_TEST));
    assert_int_equal(y->conditions[0]->have, 131000);
    assert_int_equal(y->conditions[0]->need, 130000);
    assert_int_equal(y->conditions[0]->n_evidence_seqs, 1);
    assert_int_equal(y->conditions[0]->evidence_seqs[0], q1);
    assert_int_equal(y->conditions[1]->gap, GAP(EXAM));
    assert_int_equal(y->conditions[1]->have, 70);
    assert_int_equal(y->conditions[1]->need, 80);
    assert_int_equal(y->conditions[1]->evidence_seqs[0], g1);
    assert_int_equal(y->conditions[2]->gap, GAP(POINTS));
    assert_int_equal(y->conditions[2]->have, 150);
    assert_int_equal(y->conditions[2]->need, 200);
    assert_int_equal(y->conditions[2]->n_evidence_seqs, 2);
    assert_int_equal(y->conditions[2]->evidence_seqs[0], opened);
    assert_int_equal(y->conditions[2]->evidence_seqs[1], points);
    assert_int_equal(y->conditions[3]->gap, GAP(APPRENTICES));
    assert_int_equal(y->conditions[3]->have, 0);
    assert_int_equal(y->conditions[3]->need, 1);
    assert_non_null(strstr(y->explanation, "query test 131.000 s in the re-test window, needs below 130.000 s"));
    assert_non_null(strstr(y->explanation, "150 points in the year, needs 200"));
    char ev[48];
    snprintf(ev, sizeof ev, "(evidence seqs %llu)", (unsigned long long)q1);
    assert_non_null(strstr(y->explanation, ev));
}

/* ----------------------------------------------------------------- §11 -- */

/* Fault 4: explain did not say why. A demotion carries every unmet condition
 * with its numbers and evidence; a promotion its exam and checklist; a
 * restored level the appeal decision. */
static void test_s11_explain_carries_the_facts_fault_4(void **s)
{
    (void)s;
    level_1_employee();
    adjust("e1", 120);
    uint64_t points = fx_event(0)->seq;
    F.now = WINDOW_OPEN;
    qtest("e1", 152000);
    uint64_t q1 = fx_event(0)->seq;
    F.now = YEAR_END;
    close_year("e1");
    uint64_t demoted = fx_event(0)->seq;
    F.now += DAY;
    appeal("e1");
    decide_appeal_as("e1", "hr2", MANAGER);
    fx_ok();
    Ladder__V1__Explanation *x = explain("e1");
    assert_int_equal(x->n_changes, 3);
    Ladder__V1__LevelChange *p = x->changes[0], *d = x->changes[1], *r = x->changes[2];
    assert_string_equal(p->cause, "promoted");
    assert_true(strlen(p->exam_id) > 0);
    assert_int_equal(p->exam_percent, 90);
    assert_int_equal(p->n_checklist, 7);
    assert_string_equal(p->checklist[0]->section, "§6.1");
    assert_int_equal(p->checklist[0]->have, 850); /* 800 adjusted + the level-0 task's 50 */
    assert_int_equal(p->checklist[0]->need, 800);
    assert_string_equal(p->checklist[6]->section, "§6.6");
    assert_true(p->checklist[6]->met);
    char passed[64];
    snprintf(passed, sizeof passed, "exam %s passed with 90 %%", p->exam_id);
    assert_non_null(strstr(p->explanation, passed));
    assert_string_equal(d->cause, "demoted");
    assert_int_equal(d->seq, demoted);
    assert_int_equal(d->n_conditions, 3);
    assert_int_equal(d->conditions[0]->gap, GAP(QUERY_TEST));
    assert_int_equal(d->conditions[0]->have, 152000);
    assert_int_equal(d->conditions[0]->evidence_seqs[0], q1);
    assert_int_equal(d->conditions[1]->gap, GAP(EXAM));
    assert_int_equal(d->conditions[2]->gap, GAP(POINTS));
    assert_int_equal(d->conditions[2]->have, 120);
    assert_int_equal(d->conditions[2]->need, 200);
    assert_int_equal(d->conditions[2]->evidence_seqs[1], points);
    char want[96];
    snprintf(want, sizeof want, "query test 152.000 s, needs below 150.000 s (evidence seqs %llu)",
             (unsigned long long)q1);
    assert_non_null(strstr(d->explanation, want));
    assert_non_null(strstr(d->explanation, "skill exam: none passed in the re-test window, needs 80 %"));
    assert_non_null(strstr(d->explanation, "points: 120 in the year, needs 200 (evidence seqs"));
    assert_string_equal(r->cause, "appeal overturned");
    assert_string_equal(r->reason, "was on approved leave");
    assert_string_equal(r->decided_by, "hr2");
    assert_non_null(strstr(r->explanation, "\"was on approved leave\" by hr2"));
}

/* ----------------------------------------------------------------- §12 -- */

/* Fault 11: a mistyped query time in the re-test window used up the make-up
 * for good. Reversing it frees the try. */
static void test_s12_reversed_retest_frees_the_makeup_fault_11(void **s)
{
    (void)s;
    level_1_employee();
    adjust("e1", 200);
    F.now = WINDOW_OPEN;
    qtest("e1", 1510000); /* 1510 s: a typo for 151.0 s */
    uint64_t typo = fx_event(0)->seq;
    reverse(typo);
    fx_ok();
    assert_int_equal(fx_ev(0), EV(FACT_REVERSED));
    assert_string_equal(fx_event(0)->fact_reversed->kind, "query test");
    assert_string_equal(fx_event(0)->stream, "emp/e1");
    reverse(typo);
    fx_refused("§12", "already reversed");
    /* the next test is the first try again, not the make-up */
    qtest("e1", 151000);
    assert_true(fx_event(0)->query_test_recorded->retention);
    assert_false(fx_event(0)->query_test_recorded->makeup);
    qtest("e1", 100000);
    assert_true(fx_event(0)->query_test_recorded->makeup);
    assert_true(fx_event(0)->query_test_recorded->passed);
    assert_int_equal(level_of("e1"), 1);
}

static void test_s12_reversal_undoes_points_and_names_decisions(void **s)
{
    (void)s;
    hire("e1");
    volunteer("w1", "e1", 3);
    uint64_t report = fx_event(0)->seq;
    assert_int_equal(emp("e1")->points_total, 30);
    reverse(report);
    fx_ok();
    assert_int_equal(fx_ev(1), EV(POINTS_AWARDED));
    assert_int_equal(fx_event(1)->points_awarded->amount, -30);
    assert_int_equal(fx_event(1)->cause_seq, fx_event(0)->seq);
    assert_int_equal(emp("e1")->points_total, 0);
    /* not a reversible fact; not a manager; no reason */
    reverse(1);
    fx_refused("§12", "is not a fact a manager recorded");
    Ladder__V1__ReverseFact m = LADDER__V1__REVERSE_FACT__INIT;
    m.seq = report;
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_REVERSE_FACT;
    c.reverse_fact = &m;
    fx_run(&c, "boss", MANAGER);
    fx_refused(NULL, "reverse_fact.reason: required");
    m.reason = "x";
    fx_run(&c, "e1", EMPLOYEE);
    fx_refused("§12", "may not reverse facts");
    /* a promotion that used the exam stands, and is named */
    promote("e1");
    uint64_t graded = fx_find(EV(EXAM_GRADED))->seq, promoted = fx_find(EV(PROMOTED))->seq;
    reverse(graded);
    fx_ok();
    assert_int_equal(fx_event(0)->fact_reversed->n_decision_seqs, 1);
    assert_int_equal(fx_event(0)->fact_reversed->decision_seqs[0], promoted);
    assert_non_null(strstr(fx_event(0)->fact_reversed->explanation, "decisions that used it stand"));
    assert_int_equal(level_of("e1"), 1);
    /* a level task: its points come back off and the task is due again */
    level_task("e1");
    uint64_t t = fx_event(0)->seq;
    int64_t before = emp("e1")->points_total;
    reverse(t);
    fx_ok();
    assert_int_equal(emp("e1")->points_total, before - 50);
    assert_false(ready("e1")->items[1]->met);
}

static void test_s12_placement_reversed_while_nothing_used_it(void **s)
{
    (void)s;
    hire("e1");
    given_cases("t1", 1, HALF_TEST, 10);
    place("e1", 4, "existing mentor");
    uint64_t placed = fx_event(0)->seq;
    reverse(placed);
    fx_ok();
    assert_int_equal(level_of("e1"), 0);
    assert_int_equal(emp("e1")->retention_deadline_ms, 0);
    Ladder__V1__Explanation *x = explain("e1");
    assert_int_equal(x->n_changes, 2);
    assert_string_equal(x->changes[1]->cause, "placement reversed");
    /* a reversed placement does not count: the right one can be made */
    place("e1", 2, "existing teacher (corrected)");
    fx_ok();
    assert_int_equal(level_of("e1"), 2);
    uint64_t second = fx_event(0)->seq;
    F.now = T0 + 365 * DAY;
    close_year("e1"); /* a decision after the placement: it can no longer be reversed */
    reverse(second);
    fx_refused("§12", "changed after the placement");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_s2_placement_once_with_reason_starts_a_year),
        T(test_s2_placement_only_before_the_first_promotion),
        T(test_s6_5_proposal_takes_effect_only_when_confirmed),
        T(test_s6_5_one_mentor_at_a_time_at_most_5),
        T(test_s6_5_counts_only_30_days_before_the_draw_fault_8),
        T(test_s6_6_exam_void_on_level_change_fault_2),
        T(test_s6_6_retest_void_when_its_year_closes_fault_2),
        T(test_s6_6_exam_expires_after_14_days),
        T(test_s6_7_time_in_level_after_5_before_the_exam),
        T(test_s7_exam_waived_when_the_test_half_is_too_small_fault_1),
        T(test_s7_extension_once_up_to_60_days),
        T(test_s7_appeal_decider_is_not_the_appellant),
        T(test_s7_close_names_every_unmet_condition_with_evidence),
        T(test_s11_explain_carries_the_facts_fault_4),
        T(test_s12_reversed_retest_frees_the_makeup_fault_11),
        T(test_s12_reversal_undoes_points_and_names_decisions),
        T(test_s12_placement_reversed_while_nothing_used_it),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ld_out_destroy(&q_out);
    return rc;
}
