/* core_fixture.h — helpers for scenario tests of the core: given events /
 * when command / then events or refusal. Header-only so that each test
 * executable stays one file plus this. */
#ifndef LD_CORE_FIXTURE_H
#define LD_CORE_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

#define MANAGER LADDER__V1__ROLE__ROLE_MANAGER
#define EMPLOYEE LADDER__V1__ROLE__ROLE_EMPLOYEE
#define SYSTEM LADDER__V1__ROLE__ROLE_SYSTEM
#define DAY 86400000LL
/* 2026-01-05 00:00 +08:00 (a Monday) */
#define T0 1767542400000LL

typedef struct {
    ld_core_t *c;
    ld_out_t *out;
    ld_refusal_t why;
    int64_t now;
    uint64_t nreq;
    int rc;
} fx_t;

static fx_t F;

/* When set, called with every event the scenario applies, in order (tests
 * that keep the log they build, e.g. to feed it to a what-if). */
static void (*fx_on_event)(const Ladder__V1__Event *ev);

static inline void fx_setup(void)
{
    memset(&F, 0, sizeof F);
    F.c = ld_core_new(1);
    F.out = ld_out_new();
    F.now = T0;
}

static inline void fx_teardown(void)
{
    ld_core_destroy(&F.c);
    ld_out_destroy(&F.out);
}

/* A core loaded from a snapshot of F.c: the same state, boards built anew. */
static inline ld_core_t *fx_reloaded(void)
{
    uint8_t *buf;
    size_t len;
    ld_core_snapshot(F.c, &buf, &len);
    ld_core_t *loaded = ld_core_from_snapshot(buf, len);
    free(buf);
    assert_non_null(loaded);
    return loaded;
}

/* Runs one command as principal with roles; events land in F.out (reset first). */
static inline int fx_run(Ladder__V1__Command *cmd, const char *principal, uint32_t roles)
{
    char rid[32];
    int n = snprintf(rid, sizeof rid, "req-%llu", (unsigned long long)++F.nreq);
    ld_ctx_t ctx = {F.now, principal, roles, (const uint8_t *)rid, (size_t)n};
    ld_out_reset(F.out);
    memset(&F.why, 0, sizeof F.why);
    F.rc = ld_core_execute(F.c, cmd, &ctx, F.out, &F.why);
    for (size_t k = 0; F.rc == 0 && fx_on_event && k < ld_out_count(F.out); k++)
        fx_on_event(ld_out_events(F.out)[k]);
    return F.rc;
}

/* Runs the command whose oneof member is msg, cmd_case naming it: the member's
 * place in Command is found in its descriptor, so a helper names it once. */
static inline int fx_cmd(Ladder__V1__Command__CmdCase cmd_case, void *msg, const char *principal,
                         uint32_t roles)
{
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field(&ladder__v1__command__descriptor, (unsigned)cmd_case);
    assert_non_null(f);
    c.cmd_case = cmd_case;
    memcpy((char *)&c + f->offset, &msg, sizeof msg);
    return fx_run(&c, principal, roles);
}

/* Asserts the last run was refused with this § and a message containing text. */
static inline void fx_refused(const char *section, const char *text)
{
    if (F.rc == 0)
        fail_msg("expected a refusal (%s: %s), got %zu events", section ? section : "-",
                 text ? text : "-", ld_out_count(F.out));
    if (section && strcmp(F.why.section, section) != 0)
        fail_msg("expected section %s, got %s (%s)", section, F.why.section, F.why.message);
    if (text && !strstr(F.why.message, text))
        fail_msg("expected message containing \"%s\", got \"%s\"", text, F.why.message);
    assert_int_equal(ld_out_count(F.out), 0);
}

static inline void fx_ok(void)
{
    if (F.rc != 0)
        fail_msg("refused: [%s] %s (field %s)", F.why.section, F.why.message, F.why.field);
}

/* The body case of the k-th event of the last run. */
static inline int fx_ev(size_t k)
{
    assert_true(k < ld_out_count(F.out));
    return (int)ld_out_events(F.out)[k]->body_case;
}

static inline Ladder__V1__Event *fx_event(size_t k)
{
    assert_true(k < ld_out_count(F.out));
    return ld_out_events(F.out)[k];
}

/* Finds the first event of a body case in the last run, or NULL. */
static inline Ladder__V1__Event *fx_find(int body)
{
    for (size_t k = 0; k < ld_out_count(F.out); k++)
        if ((int)ld_out_events(F.out)[k]->body_case == body)
            return ld_out_events(F.out)[k];
    return NULL;
}

/* ------------------------------------------------------ command makers -- */

static inline int hire_in(const char *id, const char *team, const char *centre)
{
    Ladder__V1__Hire m = LADDER__V1__HIRE__INIT;
    m.employee_id = (char *)id;
    m.name = (char *)id;
    m.team = (char *)team;
    m.centre = (char *)centre;
    return fx_cmd(LADDER__V1__COMMAND__CMD_HIRE, &m, "boss", MANAGER);
}

static inline int hire(const char *id)
{
    return hire_in(id, "alpha", "north");
}

static inline int adjust(const char *id, int64_t amount)
{
    Ladder__V1__AdjustPoints m = LADDER__V1__ADJUST_POINTS__INIT;
    m.employee_id = (char *)id;
    m.amount = amount;
    m.reason = "test";
    return fx_cmd(LADDER__V1__COMMAND__CMD_ADJUST_POINTS, &m, "boss", MANAGER);
}

static inline int task(const char *id, const char *task_id)
{
    Ladder__V1__CompleteTask m = LADDER__V1__COMPLETE_TASK__INIT;
    m.employee_id = (char *)id;
    m.task_id = (char *)task_id;
    return fx_cmd(LADDER__V1__COMMAND__CMD_COMPLETE_TASK, &m, "boss", MANAGER);
}

static inline int level_task(const char *id)
{
    char t[16];
    Ladder__V1__EmployeeView *v;
    ld_out_t *o = ld_out_new();
    Ladder__V1__GetEmployee g = LADDER__V1__GET_EMPLOYEE__INIT;
    g.employee_id = (char *)id;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_EMPLOYEE;
    q.employee = &g;
    Ladder__V1__Ok ok = LADDER__V1__OK__INIT;
    assert_int_equal(ld_core_query(F.c, &q, F.now, o, &ok, NULL), 0);
    v = ok.employee;
    snprintf(t, sizeof t, "level-%u", v->level->level);
    ld_out_destroy(&o);
    return task(id, t);
}

static inline int qtest(const char *id, int64_t ms)
{
    Ladder__V1__RecordQueryTest m = LADDER__V1__RECORD_QUERY_TEST__INIT;
    m.employee_id = (char *)id;
    m.total_ms = ms;
    return fx_cmd(LADDER__V1__COMMAND__CMD_RECORD_QUERY_TEST, &m, "boss", MANAGER);
}

/* §6.5: the mentor proposes (as recorded by a manager). */
static inline int propose_mentor(const char *m_id, const char *a_id)
{
    Ladder__V1__StartApprenticeship m = LADDER__V1__START_APPRENTICESHIP__INIT;
    m.mentor_id = (char *)m_id;
    m.apprentice_id = (char *)a_id;
    return fx_cmd(LADDER__V1__COMMAND__CMD_START_APPRENTICESHIP, &m, "boss", MANAGER);
}

/* §6.5 v2: the apprentice (or a manager) confirms as principal who/roles. */
static inline int confirm_mentor_as(const char *m_id, const char *a_id, const char *who,
                                    uint32_t roles)
{
    Ladder__V1__ConfirmApprenticeship m = LADDER__V1__CONFIRM_APPRENTICESHIP__INIT;
    m.mentor_id = (char *)m_id;
    m.apprentice_id = (char *)a_id;
    return fx_cmd(LADDER__V1__COMMAND__CMD_CONFIRM_APPRENTICESHIP, &m, who, roles);
}

/* An apprenticeship that counts: proposed, confirmed by the apprentice, and
 * mentoring.min_days (30 by default) pass before anything else happens. On a
 * refused proposal, F holds that refusal. */
static inline int mentor(const char *m_id, const char *a_id)
{
    if (propose_mentor(m_id, a_id))
        return F.rc;
    if (confirm_mentor_as(m_id, a_id, a_id, EMPLOYEE))
        return F.rc;
    F.now += 30 * DAY;
    return 0;
}

static inline int study(const char *id, const char *case_id)
{
    Ladder__V1__StudyCase m = LADDER__V1__STUDY_CASE__INIT;
    m.employee_id = (char *)id;
    m.case_id = (char *)case_id;
    return fx_cmd(LADDER__V1__COMMAND__CMD_STUDY_CASE, &m, id, EMPLOYEE);
}

static inline int draw_sized(const char *exam, const char *id, int purpose, uint64_t seed, uint32_t size)
{
    Ladder__V1__DrawExam m = LADDER__V1__DRAW_EXAM__INIT;
    m.exam_id = (char *)exam;
    m.employee_id = (char *)id;
    m.seed = seed;
    m.size = size;
    m.purpose = (Ladder__V1__ExamPurpose)purpose;
    return fx_cmd(LADDER__V1__COMMAND__CMD_DRAW_EXAM, &m, "boss", MANAGER);
}

static inline int draw(const char *exam, const char *id, int purpose)
{
    return draw_sized(exam, id, purpose, 42, 0);
}

static inline int grade(const char *exam, uint32_t each, uint32_t n)
{
    uint32_t scores[20];
    for (uint32_t k = 0; k < n; k++)
        scores[k] = each;
    Ladder__V1__GradeExam m = LADDER__V1__GRADE_EXAM__INIT;
    m.exam_id = (char *)exam;
    m.n_scores = n;
    m.scores = scores;
    return fx_cmd(LADDER__V1__COMMAND__CMD_GRADE_EXAM, &m, "boss", MANAGER);
}

static inline int close_year(const char *id)
{
    Ladder__V1__CloseRetentionYear m = LADDER__V1__CLOSE_RETENTION_YEAR__INIT;
    m.employee_id = (char *)id;
    return fx_cmd(LADDER__V1__COMMAND__CMD_CLOSE_RETENTION_YEAR, &m, "system", SYSTEM);
}

static inline int appeal(const char *id)
{
    Ladder__V1__Appeal m = LADDER__V1__APPEAL__INIT;
    m.employee_id = (char *)id;
    m.reason = "I was on sick leave";
    return fx_cmd(LADDER__V1__COMMAND__CMD_APPEAL, &m, id, EMPLOYEE);
}

static inline int decide_appeal(const char *id, int overturn)
{
    Ladder__V1__DecideAppeal m = LADDER__V1__DECIDE_APPEAL__INIT;
    m.employee_id = (char *)id;
    m.overturn = overturn;
    m.reason = "reviewed the record";
    return fx_cmd(LADDER__V1__COMMAND__CMD_DECIDE_APPEAL, &m, "boss", MANAGER);
}

static inline int expire_appeal(const char *id)
{
    Ladder__V1__ExpireAppeal m = LADDER__V1__EXPIRE_APPEAL__INIT;
    m.employee_id = (char *)id;
    return fx_cmd(LADDER__V1__COMMAND__CMD_EXPIRE_APPEAL, &m, "system", SYSTEM);
}

static inline int adopt(const char *json)
{
    Ladder__V1__AdoptRules m = LADDER__V1__ADOPT_RULES__INIT;
    m.rules_json = (char *)json;
    return fx_cmd(LADDER__V1__COMMAND__CMD_ADOPT_RULES, &m, "boss", MANAGER);
}

/* Given: a case accepted into the library (part 2's review flow emits this). */
static inline void given_case(const char *id, uint32_t level, int half)
{
    Ladder__V1__CaseAccepted m = LADDER__V1__CASE_ACCEPTED__INIT;
    m.case_id = (char *)id;
    m.submission_id = (char *)id;
    m.level = level;
    m.category = "billing";
    m.half = (Ladder__V1__Half)half;
    Ladder__V1__Event ev = LADDER__V1__EVENT__INIT;
    ev.seq = ld_core_next_seq(F.c);
    ev.stream = "case";
    ev.at_ms = F.now;
    ev.body_case = LADDER__V1__EVENT__BODY_CASE_ACCEPTED;
    ev.case_accepted = &m;
    assert_int_equal(ld_core_evolve(F.c, &ev), 0);
    if (fx_on_event)
        fx_on_event(&ev);
}

static inline void given_cases(const char *prefix, uint32_t level, int half, int n)
{
    for (int k = 0; k < n; k++) {
        char id[64];
        snprintf(id, sizeof id, "%.20s-%u-%d-%d", prefix, level, half, k);
        given_case(id, level, half);
    }
}

static inline int submit_case(const char *sub, const char *case_id, const char *author)
{
    Ladder__V1__CaseNode root = LADDER__V1__CASE_NODE__INIT;
    root.customer_says = "My bill is wrong";
    Ladder__V1__CaseContent ct = LADDER__V1__CASE_CONTENT__INIT;
    ct.kind = LADDER__V1__CASE_KIND__CASE_KIND_TEXT;
    ct.title = "Billing dispute";
    ct.root = &root;
    Ladder__V1__SubmitCase m = LADDER__V1__SUBMIT_CASE__INIT;
    m.submission_id = (char *)sub;
    m.case_id = (char *)case_id;
    m.author_id = (char *)author;
    m.content = &ct;
    return fx_cmd(LADDER__V1__COMMAND__CMD_SUBMIT_CASE, &m, author, EMPLOYEE);
}

static inline int review_case(const char *sub, const char *reviewer, int approve, int64_t amount,
                       uint32_t level, const char *category)
{
    Ladder__V1__ReviewCase m = LADDER__V1__REVIEW_CASE__INIT;
    m.submission_id = (char *)sub;
    m.reviewer_id = (char *)reviewer;
    m.verdict = approve ? LADDER__V1__VERDICT__VERDICT_APPROVE : LADDER__V1__VERDICT__VERDICT_REJECT;
    m.amount = amount;
    m.level = level;
    m.category = (char *)category;
    return fx_cmd(LADDER__V1__COMMAND__CMD_REVIEW_CASE, &m, reviewer, MANAGER);
}

/* ---------------------------------------------------------------- views -- */

static Ladder__V1__EmployeeView *emp(const char *id)
{
    static ld_out_t *o;
    if (!o)
        o = ld_out_new();
    ld_out_reset(o);
    Ladder__V1__GetEmployee g = LADDER__V1__GET_EMPLOYEE__INIT;
    g.employee_id = (char *)id;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_EMPLOYEE;
    q.employee = &g;
    Ladder__V1__Ok ok = LADDER__V1__OK__INIT;
    assert_int_equal(ld_core_query(F.c, &q, F.now, o, &ok, NULL), 0);
    return ok.employee;
}

static Ladder__V1__Readiness *ready(const char *id)
{
    static ld_out_t *o;
    if (!o)
        o = ld_out_new();
    ld_out_reset(o);
    Ladder__V1__GetReadiness g = LADDER__V1__GET_READINESS__INIT;
    g.employee_id = (char *)id;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_READINESS;
    q.readiness = &g;
    Ladder__V1__Ok ok = LADDER__V1__OK__INIT;
    assert_int_equal(ld_core_query(F.c, &q, F.now, o, &ok, NULL), 0);
    return ok.readiness;
}

static inline uint32_t level_of(const char *id)
{
    return emp(id)->level->level;
}

/* Makes employee id meet §6.1–6.5 for its next level and passes its exam:
 * enough points, the rules task, a fast query test, the exam's test cases.
 * Apprentices (§6.5) must already be there. */
static inline void promote(const char *id)
{
    static int exam_no;
    uint32_t L = level_of(id);
    Ladder__V1__EmployeeView *v = emp(id);
    int64_t need = 800 * (int64_t)(L + 1) - v->points_total;
    if (need > 0) {
        adjust(id, need);
        fx_ok();
    }
    level_task(id);
    fx_ok();
    qtest(id, 100000);
    fx_ok();
    char prefix[48];
    snprintf(prefix, sizeof prefix, "t%s", id);
    if (ready(id)->exam_allowed == 0)
        given_cases(prefix, L + 1, LADDER__V1__HALF__HALF_TEST, 10);
    char exam[32];
    snprintf(exam, sizeof exam, "x%d", ++exam_no);
    draw(exam, id, LADDER__V1__EXAM_PURPOSE__EXAM_PROMOTION);
    fx_ok();
    grade(exam, 90, 10);
    fx_ok();
    assert_int_equal(level_of(id), L + 1);
}

/* Brings mentor id to level 3 the §6.5 way: promoted twice, then three
 * apprentices a0..a2 brought from level 0 to 1, then promoted again. */
static inline void level_3_mentor(const char *id)
{
    promote(id);
    promote(id);
    char a[8];
    for (int k = 0; k < 3; k++) {
        snprintf(a, sizeof a, "a%d", k);
        hire(a);
        mentor(id, a);
        promote(a);
    }
    promote(id);
    assert_int_equal(level_of(id), 3);
}

/* e1 at level 1 since T0: its §7 retention year closes at T0 + 12 months
 * (YEAR_END) and its re-test window opens in month 11 (WINDOW_OPEN); ten
 * test cases at level 1 for its re-tests. */
#define WINDOW_OPEN (T0 + 334 * DAY) /* 2026-12-05 */
#define YEAR_END (T0 + 365 * DAY)
static inline void level_1_employee(void)
{
    hire("e1");
    promote("e1");
    given_cases("r", 1, LADDER__V1__HALF__HALF_TEST, 10);
}

#endif
