/* test_people.c — scenario tests of the core, part 1 (DOMAIN.md §1–§3, §6,
 * §7, §10, §12): given events / when command / then events or refusal. */
#include "core_fixture.h"

#define EV(x) LADDER__V1__EVENT__BODY_##x
#define HALF_TRAINING LADDER__V1__HALF__HALF_TRAINING
#define HALF_TEST LADDER__V1__HALF__HALF_TEST
#define PROMO LADDER__V1__EXAM_PURPOSE__EXAM_PROMOTION
#define RETAIN LADDER__V1__EXAM_PURPOSE__EXAM_RETENTION

static int setup(void **s) { (void)s; fx_setup(); return 0; }
static int teardown(void **s) { (void)s; fx_teardown(); return 0; }

/* ------------------------------------------------------------ §1 §2 §3 -- */

static void test_s1_hire_starts_at_level_0_with_titles(void **s)
{
    (void)s;
    hire("e1");
    fx_ok();
    assert_int_equal(fx_ev(0), EV(EMPLOYEE_HIRED));
    assert_string_equal(fx_event(0)->stream, "emp/e1");
    assert_int_equal(fx_event(0)->seq, 1);
    Ladder__V1__EmployeeView *v = emp("e1");
    assert_int_equal(v->level->level, 0);
    assert_string_equal(v->level->title_zh, "小学生");
    assert_string_equal(v->level->title_en, "Pupil");
    assert_string_equal(v->level->belt, "white");
    assert_int_equal(v->level->salary_grade, 1);
    assert_true(v->level->n_privileges >= 1);
    assert_string_equal(v->team, "alpha");
    hire("e1");
    fx_refused("§1", "already exists");
    assert_int_equal(F.why.code, LADDER__V1__ERROR_CODE__ERR_DUPLICATE);
}

static void test_s1_only_managers_hire_and_ids_are_checked(void **s)
{
    (void)s;
    Ladder__V1__Hire m = LADDER__V1__HIRE__INIT;
    m.employee_id = "e2";
    m.name = "Wang";
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_HIRE;
    c.hire = &m;
    fx_run(&c, "e9", EMPLOYEE);
    fx_refused("§1", "may not hire");
    assert_int_equal(F.why.code, LADDER__V1__ERROR_CODE__ERR_FORBIDDEN);
    m.employee_id = "bad id!";
    fx_run(&c, "boss", MANAGER);
    fx_refused(NULL, "only letters");
    assert_string_equal(F.why.field, "hire.employee_id");
    m.employee_id = "e2";
    m.name = "\xff\xfe";
    fx_run(&c, "boss", MANAGER);
    fx_refused(NULL, "UTF-8");
    assert_string_equal(F.why.field, "hire.name");
    assert_int_equal(ld_core_next_seq(F.c), 1); /* nothing applied */
}

static void test_s3_ledger_totals_and_adjustment_reason(void **s)
{
    (void)s;
    hire("e1");
    adjust("e1", 120);
    fx_ok();
    assert_int_equal(fx_ev(0), EV(POINTS_ADJUSTED));
    adjust("e1", -20);
    fx_ok();
    Ladder__V1__EmployeeView *v = emp("e1");
    assert_int_equal(v->points_total, 100);
    assert_int_equal(v->points_since_level, 100);
    Ladder__V1__AdjustPoints m = LADDER__V1__ADJUST_POINTS__INIT;
    m.employee_id = "e1";
    m.amount = 5;
    m.reason = "";
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_ADJUST_POINTS;
    c.adjust_points = &m;
    fx_run(&c, "boss", MANAGER);
    fx_refused(NULL, "required");
    assert_string_equal(F.why.field, "adjust_points.reason");
}

static void test_s3_p1_level_task_pays_once_and_only_current_level(void **s)
{
    (void)s;
    hire("e1");
    task("e1", "level-1");
    fx_refused("§6.2", "the task due is level-0");
    task("e1", "level-0");
    fx_ok();
    assert_int_equal(fx_ev(0), EV(TASK_COMPLETED));
    assert_int_equal(fx_ev(1), EV(POINTS_AWARDED));
    assert_int_equal(fx_event(1)->points_awarded->source, LADDER__V1__POINT_SOURCE__P1_RULES_TASK);
    assert_int_equal(fx_event(1)->cause_seq, fx_event(0)->seq);
    assert_int_equal(emp("e1")->points_total, 50);
    task("e1", "level-0");
    fx_refused("§6.2", "already completed");
}

static void test_s3_p11_volunteer_hours_times_rate(void **s)
{
    (void)s;
    hire("e1");
    hire("e2");
    Ladder__V1__VolunteerEntry a = LADDER__V1__VOLUNTEER_ENTRY__INIT, b = a;
    a.employee_id = "e1", a.hours = 3;
    b.employee_id = "e2", b.hours = 5;
    Ladder__V1__VolunteerEntry *es[] = {&a, &b};
    Ladder__V1__ReportVolunteer m = LADDER__V1__REPORT_VOLUNTEER__INIT;
    m.report_id = "w1";
    m.n_entries = 2;
    m.entries = es;
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_REPORT_VOLUNTEER;
    c.report_volunteer = &m;
    fx_run(&c, "boss", MANAGER);
    fx_ok();
    assert_int_equal(ld_out_count(F.out), 3);
    assert_int_equal(emp("e1")->points_total, 30);
    assert_int_equal(emp("e2")->points_total, 50);
    fx_run(&c, "boss", MANAGER);
    fx_refused("§8", "already recorded");
    m.report_id = "w2";
    b.hours = 169;
    fx_run(&c, "boss", MANAGER);
    fx_refused("§8", "entries[1].hours");
}

static void test_s3_daily_cap_truncates_then_resets_next_day(void **s)
{
    (void)s;
    hire("e1");
    adopt("{\"points\":{\"daily_cap\":[0,0,0,0,0,0,0,0,0,0,0,50,0]}}");
    fx_ok();
    Ladder__V1__VolunteerEntry a = LADDER__V1__VOLUNTEER_ENTRY__INIT;
    a.employee_id = "e1", a.hours = 8;
    Ladder__V1__VolunteerEntry *es[] = {&a};
    Ladder__V1__ReportVolunteer m = LADDER__V1__REPORT_VOLUNTEER__INIT;
    m.report_id = "w1";
    m.n_entries = 1;
    m.entries = es;
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_REPORT_VOLUNTEER;
    c.report_volunteer = &m;
    fx_run(&c, "boss", MANAGER);
    fx_ok();
    assert_int_equal(fx_event(1)->points_awarded->amount, 50); /* 80 capped at 50 */
    m.report_id = "w2";
    F.now += 3600000;
    fx_run(&c, "boss", MANAGER);
    fx_ok();
    assert_int_equal(ld_out_count(F.out), 1); /* the report, no points today */
    m.report_id = "w3";
    F.now += DAY;
    fx_run(&c, "boss", MANAGER);
    fx_ok();
    assert_int_equal(fx_event(1)->points_awarded->amount, 50);
    assert_int_equal(emp("e1")->points_total, 100);
    /* other sources are not capped */
    adjust("e1", 500);
    fx_ok();
    assert_int_equal(emp("e1")->points_total, 600);
}

/* ------------------------------------------------------------------ §6 -- */

static void ready_for_exam(const char *id)
{
    adjust(id, 750); /* + 50 for the level-0 task: exactly 800 */
    task(id, "level-0");
    qtest(id, 145000);
    given_cases("c", 1, HALF_TEST, 10);
}

static void test_s6_1_points_boundary_799_800(void **s)
{
    (void)s;
    hire("e1");
    ready_for_exam("e1");
    adjust("e1", -1);
    draw("x1", "e1", PROMO);
    fx_refused("§6.1", "needs 1 more points");
    assert_string_equal(ready("e1")->items[0]->gap, "needs 1 more points");
    assert_false(ready("e1")->exam_allowed);
    adjust("e1", 1);
    draw("x1", "e1", PROMO);
    fx_ok();
}

static void test_s6_2_rules_task_required(void **s)
{
    (void)s;
    hire("e1");
    adjust("e1", 800);
    qtest("e1", 100000);
    given_cases("c", 1, HALF_TEST, 10);
    draw("x1", "e1", PROMO);
    fx_refused("§6.2", "level-0 not completed");
    task("e1", "level-0");
    draw("x1", "e1", PROMO);
    fx_ok();
}

static void test_s6_3_training_90_percent_of_current_cases(void **s)
{
    (void)s;
    hire("e1");
    ready_for_exam("e1");
    given_cases("tr", 1, HALF_TRAINING, 10);
    given_cases("tr", 2, HALF_TRAINING, 3); /* other levels do not count */
    for (int k = 0; k < 8; k++) {
        char id[32];
        snprintf(id, sizeof id, "tr-1-%d-%d", HALF_TRAINING, k);
        study("e1", id);
        fx_ok();
    }
    study("e1", "tr-1-1-0"); /* §4 v2: a second study of a case is refused */
    fx_refused("§4", "counts once per person");
    draw("x1", "e1", PROMO);
    fx_refused("§6.3", "studied 8 of 10 training cases of level 1, needs 9");
    study("e1", "tr-1-1-8");
    draw("x1", "e1", PROMO);
    fx_ok();
}

static void test_s6_3_no_training_cases_holds(void **s)
{
    (void)s;
    hire("e1");
    ready_for_exam("e1");
    assert_true(ready("e1")->items[2]->met);
    draw("x1", "e1", PROMO);
    fx_ok();
}

static void test_s6_4_query_bands_half_open(void **s)
{
    (void)s;
    const ld_rules_t *r = ld_core_rules(F.c);
    struct { int64_t ms; uint32_t band; } cases[] = {
        {150000, 0}, {149999, 1}, {140000, 1}, {139999, 2}, {130000, 2},
        {129999, 4}, {120000, 4}, {119999, 5}, {1, 5}, {200000, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        assert_int_equal(ld_rules_band(r, cases[i].ms), cases[i].band);
    hire("e1");
    adjust("e1", 800);
    task("e1", "level-0");
    given_cases("c", 1, HALF_TEST, 10);
    draw("x1", "e1", PROMO);
    fx_refused("§6.4", "no query test yet");
    qtest("e1", 150000);
    fx_ok();
    assert_int_equal(fx_event(0)->query_test_recorded->qualifies_up_to, 0);
    draw("x1", "e1", PROMO);
    fx_refused("§6.4", "query test 150.000 s, needs < 150 s");
    qtest("e1", 149999);
    draw("x1", "e1", PROMO);
    fx_ok();
}

static void test_s6_4_level_3_needs_below_130(void **s)
{
    (void)s;
    hire("e1");
    adjust("e1", 5000);
    /* level 2 -> 3 needs band 4 or better: T < 130 s */
    promote("e1");
    promote("e1");
    assert_int_equal(level_of("e1"), 2);
    qtest("e1", 132000);
    Ladder__V1__Readiness *rd = ready("e1");
    assert_false(rd->items[3]->met);
    assert_string_equal(rd->items[3]->gap, "query test 132.000 s, needs < 130 s");
    qtest("e1", 129999);
    assert_true(ready("e1")->items[3]->met);
}

static void test_s6_5_level_1_may_not_take_apprentices(void **s)
{
    (void)s;
    hire("m");
    hire("a");
    promote("m");
    mentor("m", "a");
    fx_refused("§6.5", "level-1 employees may not take apprentices");
    assert_string_equal(F.why.field, "start_apprenticeship.mentor_id");
}

static void test_s6_5_mentor_two_levels_above(void **s)
{
    (void)s;
    hire("m");
    hire("a");
    hire("b");
    promote("m");
    promote("m");
    promote("a");
    mentor("m", "a");
    fx_refused("§6.5", "at least 2 levels above");
    propose_mentor("m", "b");
    fx_ok();
    assert_int_equal(fx_ev(0), EV(APPRENTICESHIP_STARTED));
    assert_true(fx_event(0)->apprenticeship_started->proposed);
    hire("m2");
    mentor("m2", "b");
    fx_refused("§6.5", "level 2 or above");
    mentor("m", "b");
    fx_refused("§6.5", "already has mentor m");
}

static void test_s6_5_credit_and_p8_when_apprentice_promoted(void **s)
{
    (void)s;
    hire("m");
    hire("a");
    promote("m");
    promote("m");
    mentor("m", "a");
    fx_ok();
    int64_t before = emp("m")->points_total;
    promote("a");
    /* the promotion's run: graded, promoted, credited, +200 for the mentor */
    assert_int_equal(fx_ev(0), EV(EXAM_GRADED));
    assert_int_equal(fx_ev(1), EV(PROMOTED));
    assert_int_equal(fx_ev(2), EV(APPRENTICE_CREDITED));
    assert_int_equal(fx_ev(3), EV(POINTS_AWARDED));
    assert_int_equal(fx_event(2)->cause_seq, fx_event(1)->seq);
    assert_int_equal(fx_event(3)->cause_seq, fx_event(2)->seq);
    assert_string_equal(fx_event(3)->points_awarded->employee_id, "m");
    assert_int_equal(fx_event(3)->points_awarded->amount, 200);
    assert_int_equal(fx_event(3)->points_awarded->source, LADDER__V1__POINT_SOURCE__P8_APPRENTICE);
    assert_int_equal(emp("m")->points_total, before + 200);
    /* counts once: the apprenticeship ended with the credit */
    assert_int_equal(emp("m")->n_apprentices, 0);
    assert_string_equal(emp("a")->mentor_id, "");
}

static void test_s6_5_level_3_needs_three_apprentices_from_0(void **s)
{
    (void)s;
    hire("m");
    promote("m");
    promote("m");
    adjust("m", 2400);
    level_task("m");
    qtest("m", 100000);
    given_cases("c", 3, HALF_TEST, 10);
    char id[8];
    for (int k = 0; k < 2; k++) {
        snprintf(id, sizeof id, "a%d", k);
        hire(id);
        mentor("m", id);
        fx_ok();
        promote(id);
    }
    draw("x3", "m", PROMO);
    fx_refused("§6.5", "1 more apprentice brought from level 0 to 1");
    Ladder__V1__Readiness *rd = ready("m");
    assert_int_equal(rd->items[4]->have, 2);
    assert_int_equal(rd->items[4]->need, 3);
    hire("a2");
    mentor("m", "a2");
    promote("a2");
    draw("x3", "m", PROMO);
    fx_ok();
}

static void test_s6_6_exam_needs_enough_test_cases_and_valid_size(void **s)
{
    (void)s;
    hire("e1");
    adjust("e1", 800);
    task("e1", "level-0");
    qtest("e1", 100000);
    given_cases("c", 1, HALF_TEST, 7);
    draw("x1", "e1", PROMO);
    fx_refused("§6.6", "level 1 has 7 test cases; an exam of 10 cannot be drawn");
    given_cases("d", 1, HALF_TEST, 20);
    draw_sized("x1", "e1", PROMO, 7, 9);
    fx_refused("§6.6", "10 to 20 cases, not 9");
    draw_sized("x1", "e1", PROMO, 7, 21);
    fx_refused("§6.6", "not 21");
    draw_sized("x1", "e1", PROMO, 7, 20);
    fx_ok();
    assert_int_equal(fx_event(0)->exam_drawn->n_case_ids, 20);
    assert_int_equal(fx_event(0)->exam_drawn->seed, 7);
    assert_int_equal(ld_out_count(F.out), 21); /* drawn + 20 uses */
    assert_int_equal(fx_ev(1), EV(CASE_USED_IN_EXAM));
    draw("x2", "e1", PROMO);
    fx_refused("§6.6", "not yet graded");
}

static void test_s6_6_draw_is_reproducible_and_prefers_unseen_then_least_used(void **s)
{
    (void)s;
    hire("e1");
    hire("e2");
    ready_for_exam("e1");
    ready_for_exam("e2");
    given_cases("more", 1, HALF_TEST, 10); /* 20 test cases */
    draw_sized("x1", "e1", PROMO, 99, 10);
    fx_ok();
    char first[10][40];
    for (int k = 0; k < 10; k++)
        snprintf(first[k], 40, "%s", fx_event(0)->exam_drawn->case_ids[k]);
    grade("x1", 10, 10); /* failed */
    fx_ok();
    /* the same seed for e2: the 10 used cases are now "more used": the other 10 come */
    draw_sized("x2", "e2", PROMO, 99, 10);
    fx_ok();
    for (int k = 0; k < 10; k++)
        for (int j = 0; j < 10; j++)
            assert_string_not_equal(fx_event(0)->exam_drawn->case_ids[k], first[j]);
    grade("x2", 10, 10);
    /* every case used once now; e1 retakes after 14 days: unseen ones first */
    F.now += 14 * DAY;
    draw_sized("x3", "e1", PROMO, 12345, 10);
    fx_ok();
    for (int k = 0; k < 10; k++)
        for (int j = 0; j < 10; j++)
            assert_string_not_equal(fx_event(0)->exam_drawn->case_ids[k], first[j]);

    /* a replay of the same log draws the same cases: a second core, same commands */
    fx_t saved = F;
    fx_setup();
    hire("e1");
    hire("e2");
    ready_for_exam("e1");
    ready_for_exam("e2");
    given_cases("more", 1, HALF_TEST, 10);
    draw_sized("x1", "e1", PROMO, 99, 10);
    for (int k = 0; k < 10; k++)
        assert_string_equal(fx_event(0)->exam_drawn->case_ids[k], first[k]);
    fx_teardown();
    F = saved;
}

static void test_s6_6_pass_mark_80_and_retake_after_14_days(void **s)
{
    (void)s;
    hire("e1");
    ready_for_exam("e1");
    draw("x1", "e1", PROMO);
    uint32_t scores[10] = {80, 80, 80, 80, 80, 80, 80, 80, 80, 79};
    Ladder__V1__GradeExam m = LADDER__V1__GRADE_EXAM__INIT;
    m.exam_id = "x1";
    m.n_scores = 10;
    m.scores = scores;
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_GRADE_EXAM;
    c.grade_exam = &m;
    fx_run(&c, "boss", MANAGER);
    fx_ok();
    assert_int_equal(fx_event(0)->exam_graded->percent, 79); /* 799/10 rounded down */
    assert_false(fx_event(0)->exam_graded->passed);
    assert_int_equal(ld_out_count(F.out), 1);
    assert_int_equal(level_of("e1"), 0);
    fx_run(&c, "boss", MANAGER);
    fx_refused("§6.6", "already graded");
    F.now += 14 * DAY - 1;
    draw("x2", "e1", PROMO);
    fx_refused("§6.6", "retaken after 14 days");
    F.now += 1;
    draw("x2", "e1", PROMO);
    fx_ok();
    scores[9] = 80;
    m.exam_id = "x2";
    fx_run(&c, "boss", MANAGER);
    fx_ok();
    assert_true(fx_event(0)->exam_graded->passed);
    assert_int_equal(fx_ev(1), EV(PROMOTED));
    assert_int_equal(level_of("e1"), 1);
}

static void test_s6_promotion_resets_since_level_starts_year_assigns_task(void **s)
{
    (void)s;
    hire("e1");
    adjust("e1", 900);
    promote("e1");
    Ladder__V1__Event *p = fx_find(EV(PROMOTED));
    assert_non_null(p);
    assert_int_equal(p->promoted->from_level, 0);
    assert_int_equal(p->promoted->to_level, 1);
    assert_true(p->promoted->n_evidence_seqs >= 3);
    Ladder__V1__EmployeeView *v = emp("e1");
    assert_int_equal(v->points_total, 950); /* 900 + the level-0 task's 50 */
    assert_int_equal(v->points_since_level, 0);
    assert_int_equal(v->points_in_year, 0);
    /* 2026-01-05 + 12 calendar months */
    assert_int_equal(v->retention_deadline_ms, T0 + 365 * DAY);
    assert_int_equal(p->promoted->retention_deadline_ms, T0 + 365 * DAY);
    assert_string_equal(v->level->title_en, "Undergraduate");
    task("e1", "level-0");
    fx_refused("§6.2", "the task due is level-1");
    assert_false(ready("e1")->items[1]->met);
    task("e1", "level-1");
    fx_ok();
}

static void test_s6_level_5_is_the_top(void **s)
{
    (void)s;
    hire("m");
    /* §6.5: three apprentices from 0 to 1, then three from 1 to 2 */
    level_3_mentor("m");
    char id[8];
    for (int k = 0; k < 3; k++) {
        snprintf(id, sizeof id, "a%d", k);
        mentor("m", id);
        fx_ok();
        promote(id);
    }
    promote("m");
    promote("m");
    assert_int_equal(level_of("m"), 5);
    assert_string_equal(emp("m")->level->title_zh, "大师");
    draw("xt", "m", PROMO);
    fx_refused("§6", "the top");
    assert_int_equal(ready("m")->n_items, 0);
}

/* ------------------------------------------------------------------ §7 -- */


static void keep_activity(void)
{
    adjust("e1", 200);
}

static void test_s7_retest_outside_window_does_not_count(void **s)
{
    (void)s;
    level_1_employee();
    F.now = WINDOW_OPEN - 1;
    qtest("e1", 100000);
    fx_ok();
    assert_false(fx_event(0)->query_test_recorded->retention);
    draw("y1", "e1", RETAIN);
    fx_refused("§7", "not in a re-test window");
    F.now = WINDOW_OPEN;
    qtest("e1", 100000);
    assert_true(fx_event(0)->query_test_recorded->retention);
    assert_true(fx_event(0)->query_test_recorded->passed);
}

static void test_s7_kept_when_everything_met_and_new_year_opens(void **s)
{
    (void)s;
    level_1_employee();
    keep_activity();
    F.now = WINDOW_OPEN + DAY;
    qtest("e1", 145000);
    draw("y1", "e1", RETAIN);
    fx_ok();
    assert_int_equal(fx_event(0)->exam_drawn->level, 1);
    grade("y1", 85, 10);
    fx_ok();
    F.now = YEAR_END - 1;
    close_year("e1");
    fx_refused("§7", "closes at 2027-01-05 00:00+08:00");
    F.now = YEAR_END;
    close_year("e1");
    fx_ok();
    Ladder__V1__RetentionYearClosed *y = fx_event(0)->retention_year_closed;
    assert_true(y->kept);
    assert_int_equal(y->n_gaps, 0);
    assert_int_equal(y->next_deadline_ms, YEAR_END + 365 * DAY);
    assert_int_equal(level_of("e1"), 1);
    assert_int_equal(emp("e1")->points_in_year, 0);
    assert_int_equal(emp("e1")->retention_deadline_ms, YEAR_END + 365 * DAY);
}

/* §7 v2: failing the make-up demotes at once (the seed: 仍不达标即降级), naming
 * both tests; a third test no longer counts for retention. */
static void test_s7_makeup_failure_demotes_at_once(void **s)
{
    (void)s;
    level_1_employee();
    keep_activity();
    F.now = WINDOW_OPEN;
    qtest("e1", 151000);
    uint64_t first = fx_event(0)->seq;
    assert_true(fx_event(0)->query_test_recorded->retention);
    assert_false(fx_event(0)->query_test_recorded->makeup);
    assert_false(fx_event(0)->query_test_recorded->passed);
    assert_int_equal(ld_out_count(F.out), 1);
    assert_int_equal(level_of("e1"), 1);
    qtest("e1", 150000); /* the make-up, still too slow: demoted at once */
    fx_ok();
    assert_true(fx_event(0)->query_test_recorded->makeup);
    assert_false(fx_event(0)->query_test_recorded->passed);
    Ladder__V1__Event *d = fx_find(EV(RETENTION_YEAR_CLOSED));
    assert_non_null(d);
    assert_int_equal(d->cause_seq, fx_event(0)->seq);
    Ladder__V1__RetentionYearClosed *y = d->retention_year_closed;
    assert_false(y->kept);
    assert_true(y->at_once);
    assert_int_equal(y->new_level, 0);
    assert_int_equal(y->n_conditions, 1);
    assert_int_equal(y->conditions[0]->gap, LADDER__V1__RETENTION_GAP__GAP_MAKEUP_FAILED);
    assert_int_equal(y->conditions[0]->have, 150000);
    assert_int_equal(y->conditions[0]->need, 150000);
    assert_int_equal(y->conditions[0]->n_evidence_seqs, 2);
    assert_int_equal(y->conditions[0]->evidence_seqs[0], first);
    assert_int_equal(y->conditions[0]->evidence_seqs[1], fx_event(0)->seq);
    assert_non_null(strstr(y->explanation, "make-up failed"));
    assert_int_equal(y->year_end_ms, WINDOW_OPEN);
    assert_int_equal(level_of("e1"), 0);
    assert_string_not_equal(emp("e1")->appeal_status, "none");
    qtest("e1", 100000); /* level 0 now: no retention */
    assert_false(fx_event(0)->query_test_recorded->retention);
}

static void test_s7_exam_makeup_failure_demotes_at_once(void **s)
{
    (void)s;
    level_1_employee();
    keep_activity();
    F.now = WINDOW_OPEN;
    qtest("e1", 100000);
    draw("y1", "e1", RETAIN);
    grade("y1", 50, 10);
    fx_ok();
    assert_int_equal(ld_out_count(F.out), 1);
    draw("y2", "e1", RETAIN);
    fx_ok();
    assert_true(fx_event(0)->exam_drawn->makeup);
    grade("y2", 79, 10);
    fx_ok();
    Ladder__V1__RetentionYearClosed *y = fx_find(EV(RETENTION_YEAR_CLOSED))->retention_year_closed;
    assert_false(y->kept);
    assert_true(y->at_once);
    assert_int_equal(y->conditions[0]->gap, LADDER__V1__RETENTION_GAP__GAP_MAKEUP_FAILED);
    assert_int_equal(y->conditions[0]->have, 79);
    assert_int_equal(y->conditions[0]->need, 80);
    assert_int_equal(level_of("e1"), 0);
    draw("y3", "e1", RETAIN);
    fx_refused("§7", "not in a re-test window");
}

static void test_s7_minimum_points_199_vs_200(void **s)
{
    (void)s;
    level_1_employee();
    adjust("e1", 199);
    F.now = WINDOW_OPEN;
    qtest("e1", 100000);
    draw("y1", "e1", RETAIN);
    grade("y1", 90, 10);
    F.now = YEAR_END;
    close_year("e1");
    Ladder__V1__RetentionYearClosed *y = fx_event(0)->retention_year_closed;
    assert_false(y->kept);
    assert_int_equal(y->n_gaps, 1);
    assert_int_equal(y->gaps[0], LADDER__V1__RETENTION_GAP__GAP_POINTS);
    assert_non_null(strstr(y->explanation, "199 points in the year, needs 200"));

    fx_teardown();
    fx_setup();
    level_1_employee();
    adjust("e1", 200);
    F.now = WINDOW_OPEN;
    qtest("e1", 100000);
    draw("y1", "e1", RETAIN);
    grade("y1", 90, 10);
    F.now = YEAR_END;
    close_year("e1");
    assert_true(fx_event(0)->retention_year_closed->kept);
}

static void test_s7_minimum_apprentices_at_level_3(void **s)
{
    (void)s;
    hire("m");
    level_3_mentor("m");
    int64_t start = F.now;
    given_cases("r", 3, HALF_TEST, 10);
    adjust("m", 300);
    F.now = start + 340 * DAY;
    qtest("m", 100000);
    draw("y1", "m", RETAIN);
    grade("y1", 90, 10);
    F.now = start + 365 * DAY;
    close_year("m");
    Ladder__V1__RetentionYearClosed *y = fx_event(0)->retention_year_closed;
    assert_false(y->kept);
    assert_int_equal(y->n_gaps, 1);
    assert_int_equal(y->gaps[0], LADDER__V1__RETENTION_GAP__GAP_APPRENTICES);
    assert_non_null(strstr(y->explanation, "0 apprentices brought out in the year, needs 1"));
    assert_int_equal(level_of("m"), 2);
}

static void test_s7_appeal_overturned_restores_with_fresh_year(void **s)
{
    (void)s;
    level_1_employee();
    F.now = YEAR_END;
    close_year("e1");
    assert_int_equal(level_of("e1"), 0);
    assert_non_null(strstr(emp("e1")->appeal_status, "open until"));
    F.now += 10 * DAY;
    appeal("e1");
    fx_ok();
    appeal("e1");
    fx_refused("§7", "already appealed");
    decide_appeal("e1", 1);
    fx_ok();
    Ladder__V1__AppealDecided *d = fx_event(0)->appeal_decided;
    assert_true(d->overturned);
    assert_int_equal(d->restored_level, 1);
    assert_int_equal(level_of("e1"), 1);
    assert_int_equal(emp("e1")->retention_deadline_ms, F.now + 365 * DAY);
    assert_string_equal(emp("e1")->appeal_status, "overturned");
}

static void test_s7_appeal_upheld_keeps_demotion(void **s)
{
    (void)s;
    level_1_employee();
    F.now = YEAR_END;
    close_year("e1");
    appeal("e1");
    decide_appeal("e1", 0);
    fx_ok();
    assert_int_equal(level_of("e1"), 0);
    assert_string_equal(emp("e1")->appeal_status, "upheld");
    decide_appeal("e1", 1);
    fx_refused("§7", "no appeal pending");
}

static void test_s7_appeal_too_late_after_30_days(void **s)
{
    (void)s;
    level_1_employee();
    F.now = YEAR_END;
    close_year("e1");
    F.now = YEAR_END + 30 * DAY;
    appeal("e1");
    fx_refused("§7", "appeal window closed");
    expire_appeal("e1");
    fx_ok();
    assert_int_equal(fx_ev(0), EV(APPEAL_EXPIRED));
    appeal("e1");
    fx_refused("§7", "no demotion open to appeal");
}

static void test_s7_deadlines_feed_the_daemon_timer(void **s)
{
    (void)s;
    int64_t at;
    const char *who;
    int kind;
    assert_false(ld_core_next_deadline(F.c, &at, &who, &kind));
    level_1_employee();
    assert_true(ld_core_next_deadline(F.c, &at, &who, &kind));
    assert_int_equal(at, YEAR_END);
    assert_string_equal(who, "e1");
    assert_int_equal(kind, LD_DEADLINE_RETENTION);
    F.now = YEAR_END;
    close_year("e1"); /* demoted to 0: only the appeal window remains */
    assert_true(ld_core_next_deadline(F.c, &at, &who, &kind));
    assert_int_equal(kind, LD_DEADLINE_APPEAL);
    assert_int_equal(at, YEAR_END + 30 * DAY);
}

/* Found by the fuzzer: an event time near INT64_MAX overflowed the calendar.
 * Such an event is refused by evolve, and the clock cannot be moved there. */
static void test_times_beyond_year_9999_are_refused(void **s)
{
    (void)s;
    hire("e1");
    Ladder__V1__PointsAwarded pa = LADDER__V1__POINTS_AWARDED__INIT;
    pa.employee_id = "e1", pa.amount = 5;
    Ladder__V1__Event ev = LADDER__V1__EVENT__INIT;
    ev.seq = ld_core_next_seq(F.c), ev.stream = "emp/e1", ev.at_ms = INT64_MAX - 1000;
    ev.body_case = LADDER__V1__EVENT__BODY_POINTS_AWARDED, ev.points_awarded = &pa;
    assert_int_equal(ld_core_evolve(F.c, &ev), -1);
    ev.at_ms = -5;
    assert_int_equal(ld_core_evolve(F.c, &ev), -1);
    assert_int_equal(emp("e1")->points_total, 0);
    Ladder__V1__AdvanceClock ac = LADDER__V1__ADVANCE_CLOCK__INIT;
    ac.to_ms = INT64_MAX;
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_ADVANCE_CLOCK;
    c.advance_clock = &ac;
    fx_run(&c, "system", SYSTEM);
    fx_refused(NULL, "beyond the year 9999");
}

/* ----------------------------------------------------------------- §10 -- */

static void test_s10_rules_change_is_not_retroactive(void **s)
{
    (void)s;
    hire("e1");
    adjust("e1", 900);
    uint32_t v0 = fx_event(0)->rules_version;
    adopt("{\"promotion\":{\"points\":[1000,1600,2400,3200,4000,4800]}}");
    fx_ok();
    assert_int_equal(fx_event(0)->rules_adopted->version, 1);
    assert_int_equal(emp("e1")->points_total, 900); /* nothing recomputed */
    task("e1", "level-0");
    qtest("e1", 100000);
    assert_int_equal(fx_event(0)->rules_version, 1);
    assert_int_equal(v0, 0);
    given_cases("c", 1, HALF_TEST, 10);
    draw("x1", "e1", PROMO);
    fx_refused("§6.1", "needs 50 more points");
}

static void test_s10_bad_rules_name_the_field(void **s)
{
    (void)s;
    adopt("{\"exam\":{\"pass_pct\":101}}");
    fx_refused("§10", "exam.pass_pct: must be between 0 and 100");
    assert_string_equal(F.why.field, "exam.pass_pct");
    adopt("{\"exam\":{\"passmark\":80}}");
    fx_refused("§10", "exam.passmark: unknown key");
    adopt("{\"query\":{\"bands\":[{\"below_ms\":\"fast\",\"up_to\":1}]}}");
    fx_refused("§10", "query.bands[0].below_ms: must be an integer");
    adopt("{\"levels\":[]}");
    fx_refused("§10", "levels: must be an array of 6");
    adopt("not json");
    fx_refused("§10", "not valid JSON");
    adopt("{\"exam\":{\"size\":25}}");
    fx_refused("§10", "exam.size");
    assert_int_equal(ld_core_rules(F.c)->version, 0);
}

/* ------------------------------------------------------------- §11 §12 -- */

static void test_s12_readiness_lists_every_gap_in_numbers(void **s)
{
    (void)s;
    hire("e1");
    adjust("e1", 460);
    qtest("e1", 152000);
    Ladder__V1__Readiness *rd = ready("e1");
    assert_int_equal(rd->n_items, 7);
    assert_int_equal(rd->target_level, 1);
    assert_string_equal(rd->items[0]->section, "§6.1");
    assert_string_equal(rd->items[0]->gap, "needs 340 more points");
    assert_false(rd->items[1]->met);
    assert_true(rd->items[2]->met);
    assert_string_equal(rd->items[3]->gap, "query test 152.000 s, needs < 150 s");
    assert_true(rd->items[4]->met);
    assert_string_equal(rd->items[5]->section, "§6.7");
    assert_true(rd->items[5]->met);
    assert_string_equal(rd->items[6]->section, "§6.6");
    assert_false(rd->exam_allowed);
}

static void test_s11_explain_lists_level_changes_with_evidence(void **s)
{
    (void)s;
    level_1_employee();
    uint64_t promoted_seq = fx_find(EV(PROMOTED))->seq;
    F.now = YEAR_END;
    close_year("e1");
    uint64_t demoted_seq = fx_event(0)->seq;
    ld_out_t *o = ld_out_new();
    Ladder__V1__Explain ex = LADDER__V1__EXPLAIN__INIT;
    ex.employee_id = "e1";
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_EXPLAIN;
    q.explain = &ex;
    Ladder__V1__Ok ok = LADDER__V1__OK__INIT;
    assert_int_equal(ld_core_query(F.c, &q, F.now, o, &ok, NULL), 0);
    assert_int_equal(ok.explanation->n_changes, 2);
    assert_int_equal(ok.explanation->changes[0]->seq, promoted_seq);
    assert_string_equal(ok.explanation->changes[0]->cause, "promoted");
    assert_true(ok.explanation->changes[0]->n_evidence_seqs >= 3);
    assert_int_equal(ok.explanation->changes[1]->seq, demoted_seq);
    assert_string_equal(ok.explanation->changes[1]->cause, "demoted");
    ex.as_of_seq = demoted_seq - 1;
    ld_out_reset(o);
    assert_int_equal(ld_core_query(F.c, &q, F.now, o, &ok, NULL), 0);
    assert_int_equal(ok.explanation->n_changes, 1);
    ld_out_destroy(&o);
}

/* ----------------------------------------------------------- the career -- */

static void test_full_career_to_3_idle_year_demoted_appeal_overturned(void **s)
{
    (void)s;
    hire("star");
    promote("star");
    promote("star");
    char id[8];
    for (int k = 0; k < 6; k++) {
        snprintf(id, sizeof id, "p%d", k);
        hire(id);
        mentor("star", id);
        fx_ok();
        promote(id);
    }
    assert_int_equal(emp("star")->points_total >= 1200, 1);
    promote("star");
    assert_int_equal(level_of("star"), 3);
    int64_t reached = F.now;
    assert_int_equal(emp("star")->retention_deadline_ms, reached + 365 * DAY);
    /* a year with no activity */
    F.now = reached + 365 * DAY;
    close_year("star");
    fx_ok();
    Ladder__V1__RetentionYearClosed *y = fx_event(0)->retention_year_closed;
    assert_false(y->kept);
    assert_int_equal(y->new_level, 2);
    assert_int_equal(y->n_gaps, 4);
    assert_int_equal(level_of("star"), 2);
    F.now += DAY;
    appeal("star");
    fx_ok();
    decide_appeal("star", 1);
    fx_ok();
    assert_int_equal(level_of("star"), 3);
    /* 12 calendar months from 2027-07: 366 days (2028 is a leap year) */
    assert_int_equal(emp("star")->retention_deadline_ms, F.now + 366 * DAY);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_s1_hire_starts_at_level_0_with_titles),
        T(test_s1_only_managers_hire_and_ids_are_checked),
        T(test_s3_ledger_totals_and_adjustment_reason),
        T(test_s3_p1_level_task_pays_once_and_only_current_level),
        T(test_s3_p11_volunteer_hours_times_rate),
        T(test_s3_daily_cap_truncates_then_resets_next_day),
        T(test_s6_1_points_boundary_799_800),
        T(test_s6_2_rules_task_required),
        T(test_s6_3_training_90_percent_of_current_cases),
        T(test_s6_3_no_training_cases_holds),
        T(test_s6_4_query_bands_half_open),
        T(test_s6_4_level_3_needs_below_130),
        T(test_s6_5_level_1_may_not_take_apprentices),
        T(test_s6_5_mentor_two_levels_above),
        T(test_s6_5_credit_and_p8_when_apprentice_promoted),
        T(test_s6_5_level_3_needs_three_apprentices_from_0),
        T(test_s6_6_exam_needs_enough_test_cases_and_valid_size),
        T(test_s6_6_draw_is_reproducible_and_prefers_unseen_then_least_used),
        T(test_s6_6_pass_mark_80_and_retake_after_14_days),
        T(test_s6_promotion_resets_since_level_starts_year_assigns_task),
        T(test_s6_level_5_is_the_top),
        T(test_s7_retest_outside_window_does_not_count),
        T(test_s7_kept_when_everything_met_and_new_year_opens),
        T(test_s7_makeup_failure_demotes_at_once),
        T(test_s7_exam_makeup_failure_demotes_at_once),
        T(test_s7_minimum_points_199_vs_200),
        T(test_s7_minimum_apprentices_at_level_3),
        T(test_s7_appeal_overturned_restores_with_fresh_year),
        T(test_s7_appeal_upheld_keeps_demotion),
        T(test_s7_appeal_too_late_after_30_days),
        T(test_s7_deadlines_feed_the_daemon_timer),
        T(test_times_beyond_year_9999_are_refused),
        T(test_s10_rules_change_is_not_retroactive),
        T(test_s10_bad_rules_name_the_field),
        T(test_s12_readiness_lists_every_gap_in_numbers),
        T(test_s11_explain_lists_level_changes_with_evidence),
        T(test_full_career_to_3_idle_year_demoted_appeal_overturned),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
