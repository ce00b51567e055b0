/* test_access.c — DOMAIN §1 v2 "who may read what" against the real ladderd
 * (issue 10 item 6): one row per query and reader, each its own cmocka test,
 * asserting what the reader gets — the whole answer, the public view (with
 * its redacted flag and the private fields gone) or ERR_FORBIDDEN naming the
 * § and the field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "client.h"

#define R(x) LADDER__V1__ROLE__ROLE_##x
#define E(x) LADDER__V1__ERROR_CODE__##x
#define Q(x) LADDER__V1__QUERY__Q_##x

static daemon_t D;

static void must_ok(Ladder__V1__Reply *r, const char *what)
{
    if (!r || r->outcome_case != LADDER__V1__REPLY__OUTCOME_OK)
        fail_msg("fixture %s: %s", what, r ? r->error->message : "no reply");
    ladder__v1__reply__free_unpacked(r, NULL);
}

static void hire(const char *id)
{
    Ladder__V1__Hire h = LADDER__V1__HIRE__INIT;
    h.employee_id = (char *)id, h.name = "Guo Li", h.team = "alpha", h.centre = "north";
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_HIRE;
    c.hire = &h;
    must_ok(d_cmd(&D, &c), id);
}

/* author submits case_id; three managers accept it at level 1 in category. */
static void accepted_case(const char *sub, const char *case_id, const char *title,
                          const char *author, const char *category)
{
    static Ladder__V1__CaseNode root = LADDER__V1__CASE_NODE__INIT;
    root.customer_says = "Where is my refund?";
    Ladder__V1__CaseContent content = LADDER__V1__CASE_CONTENT__INIT;
    content.kind = LADDER__V1__CASE_KIND__CASE_KIND_TEXT, content.title = (char *)title;
    content.root = &root;
    Ladder__V1__SubmitCase sc = LADDER__V1__SUBMIT_CASE__INIT;
    sc.submission_id = (char *)sub, sc.case_id = (char *)case_id, sc.author_id = (char *)author;
    sc.content = &content;
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_SUBMIT_CASE;
    c.submit_case = &sc;
    must_ok(d_cmd_as(&D, &c, author, R(EMPLOYEE)), sub);
    for (int k = 1; k <= 3; k++) {
        char who[8];
        snprintf(who, sizeof who, "m%d", k);
        Ladder__V1__ReviewCase rv = LADDER__V1__REVIEW_CASE__INIT;
        rv.submission_id = (char *)sub, rv.reviewer_id = who;
        rv.verdict = LADDER__V1__VERDICT__VERDICT_APPROVE;
        rv.amount = 30, rv.level = 1, rv.category = (char *)category;
        c.cmd_case = LADDER__V1__COMMAND__CMD_REVIEW_CASE;
        c.review_case = &rv;
        must_ok(d_cmd_as(&D, &c, who, R(MANAGER)), "review");
    }
}

static int group_setup(void **s)
{
    (void)s;
    static const char *const manual[] = {"--clock", "manual", NULL};
    d_open(&D, "access", manual);
    Ladder__V1__AdvanceClock ac = LADDER__V1__ADVANCE_CLOCK__INIT;
    ac.to_ms = 1767542400000LL;
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_ADVANCE_CLOCK;
    c.advance_clock = &ac;
    must_ok(d_cmd(&D, &c), "clock");
    hire("e1");
    hire("e2");
    /* the first case of a partition goes to the training half, the second
     * to the test half (§4: the half with fewer cases, ties to training) */
    accepted_case("s1", "k1", "Refund, training", "e1", "refunds");
    accepted_case("s2", "k2", "Refund, the exam question", "e1", "refunds");
    /* §5 thresholds lowered (§10) so that rv, with one accepted case, joins the
     * committee: a reviewer by the log's fact, whatever its request claims */
    hire("rv");
    accepted_case("s3", "k3", "Billing", "rv", "billing");
    Ladder__V1__AdoptRules ar = LADDER__V1__ADOPT_RULES__INIT;
    ar.rules_json = "{\"committee\": {\"points\": 0, \"min_level\": 0, "
                    "\"acceptance_pct_x10\": 0, \"min_decided\": 0}}";
    c.cmd_case = LADDER__V1__COMMAND__CMD_ADOPT_RULES;
    c.adopt_rules = &ar;
    must_ok(d_cmd(&D, &c), "rules");
    Ladder__V1__ApplyCommittee ac2 = LADDER__V1__APPLY_COMMITTEE__INIT;
    ac2.employee_id = "rv";
    c.cmd_case = LADDER__V1__COMMAND__CMD_APPLY_COMMITTEE;
    c.apply_committee = &ac2;
    must_ok(d_cmd_as(&D, &c, "rv", R(EMPLOYEE)), "apply");
    Ladder__V1__DecideCommittee dc = LADDER__V1__DECIDE_COMMITTEE__INIT;
    dc.employee_id = "rv", dc.admit = true, dc.reason = "fit";
    c.cmd_case = LADDER__V1__COMMAND__CMD_DECIDE_COMMITTEE;
    c.decide_committee = &dc;
    must_ok(d_cmd(&D, &c), "admit");
    return 0;
}

static int group_teardown(void **s)
{
    (void)s;
    return d_remove(&D);
}

/* ------------------------------------------------------------- queries -- */

typedef enum {
    ALL,        /* the whole answer */
    PUBLIC,     /* the public view: redacted set, private fields empty */
    FORBIDDEN,  /* ERR_FORBIDDEN naming the § and the field */
    ANSWERED,   /* passed access; the core answers with an error of its own (code) */
} want_t;

typedef struct {
    const char *name;
    int q;
    const char *arg;        /* the employee, reviewer or item the query names */
    uint64_t as_of;         /* explain: as of this seq (answered off the loop); stats: with_digest */
    const char *who;        /* NULL: no principal at all */
    uint32_t roles;
    want_t want;
    int code;               /* ANSWERED: the core's code */
    const char *field;      /* FORBIDDEN: the field named */
    const char *section;
} row_t;

static Ladder__V1__Reply *ask(const row_t *r)
{
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    Ladder__V1__GetEmployee ge = LADDER__V1__GET_EMPLOYEE__INIT;
    Ladder__V1__GetReadiness gr = LADDER__V1__GET_READINESS__INIT;
    Ladder__V1__Explain ex = LADDER__V1__EXPLAIN__INIT;
    Ladder__V1__NextDeadline nd = LADDER__V1__NEXT_DEADLINE__INIT;
    Ladder__V1__GetBoard gb = LADDER__V1__GET_BOARD__INIT;
    Ladder__V1__GetCaseRanking cr = LADDER__V1__GET_CASE_RANKING__INIT;
    Ladder__V1__GetKbItem kb = LADDER__V1__GET_KB_ITEM__INIT;
    Ladder__V1__GetPending gp = LADDER__V1__GET_PENDING__INIT;
    Ladder__V1__GetCommittee gc = LADDER__V1__GET_COMMITTEE__INIT;
    Ladder__V1__ReadEvents re = LADDER__V1__READ_EVENTS__INIT;
    Ladder__V1__Snapshot sn = LADDER__V1__SNAPSHOT__INIT;
    Ladder__V1__Stats st = LADDER__V1__STATS__INIT;
    Ladder__V1__GetRules ru = LADDER__V1__GET_RULES__INIT;
    Ladder__V1__WhatIf wi = LADDER__V1__WHAT_IF__INIT;
    q.q_case = r->q;
    switch (r->q) {
    case Q(EMPLOYEE): ge.employee_id = (char *)r->arg, q.employee = &ge; break;
    case Q(READINESS): gr.employee_id = (char *)r->arg, q.readiness = &gr; break;
    case Q(EXPLAIN): ex.employee_id = (char *)r->arg, ex.as_of_seq = r->as_of, q.explain = &ex; break;
    case Q(NEXT_DEADLINE): q.next_deadline = &nd; break;
    case Q(BOARD): gb.top = 10, q.board = &gb; break;
    case Q(CASE_RANKING): cr.level = 1, cr.category = "refunds", q.case_ranking = &cr; break;
    case Q(KB_ITEM): kb.item_id = (char *)r->arg, q.kb_item = &kb; break;
    case Q(PENDING): gp.reviewer_id = (char *)r->arg, q.pending = &gp; break;
    case Q(COMMITTEE): q.committee = &gc; break;
    case Q(READ_EVENTS): re.from_seq = 1, q.read_events = &re; break;
    case Q(SNAPSHOT): sn.topic_prefix = "level.", q.snapshot = &sn; break;
    case Q(STATS): st.with_digest = r->as_of != 0, q.stats = &st; break;
    case Q(RULES): q.rules = &ru; break;
    case Q(WHAT_IF): wi.rules_json = "{}", q.what_if = &wi; break;
    default: fail_msg("no such query %d", r->q);
    }
    return d_query_as(&D, &q, r->who, r->roles);
}

/* Whether the answer is the public view (true) or the whole one (false);
 * fails when it is neither. */
static bool public_view(const row_t *row, const Ladder__V1__Ok *ok)
{
    switch (ok->result_case) {
    case LADDER__V1__OK__RESULT_EMPLOYEE: {
        const Ladder__V1__EmployeeView *v = ok->employee;
        /* public either way: who, level and points */
        if (strcmp(v->name, "Guo Li") || strcmp(v->team, "alpha") || !v->level)
            fail_msg("%s: the public part is missing", row->name);
        bool private_seen = v->hired_ms != 0 || (v->retention_status && *v->retention_status);
        if (v->redacted == private_seen)
            fail_msg("%s: redacted %d but hired_ms %lld, retention \"%s\"", row->name, v->redacted,
                     (long long)v->hired_ms, v->retention_status);
        return v->redacted;
    }
    case LADDER__V1__OK__RESULT_CASE_RANKING: {
        const Ladder__V1__CaseRanking *cr = ok->case_ranking;
        int test_titled = -1, training_titled = -1;
        for (size_t i = 0; i < cr->n_rows; i++) {
            bool titled = cr->rows[i]->title && *cr->rows[i]->title;
            if (cr->rows[i]->half == LADDER__V1__HALF__HALF_TEST)
                test_titled = titled;
            else
                training_titled = titled;
        }
        if (test_titled < 0 || training_titled != 1)
            fail_msg("%s: %zu rows, test half titled %d, training titled %d", row->name,
                     cr->n_rows, test_titled, training_titled);
        if (cr->redacted == (test_titled == 1))
            fail_msg("%s: redacted %d with the test-half title %s", row->name, cr->redacted,
                     test_titled ? "present" : "removed");
        return cr->redacted;
    }
    default:
        return false; /* answers without a public view are whole or refused */
    }
}

static void run_row(void **state)
{
    const row_t *row = *state;
    Ladder__V1__Reply *r = ask(row);
    if (!r)
        fail_msg("%s: no reply", row->name);
    char msg[600] = "";
    if (r->outcome_case == LADDER__V1__REPLY__OUTCOME_ERROR)
        snprintf(msg, sizeof msg, "%d %s / %s / %s", r->error->code, r->error->message,
                 r->error->field, r->error->section);
    switch (row->want) {
    case ALL:
    case PUBLIC:
        if (r->outcome_case != LADDER__V1__REPLY__OUTCOME_OK)
            fail_msg("%s: refused (%s)", row->name, msg);
        if (public_view(row, r->ok) != (row->want == PUBLIC))
            fail_msg("%s: got the %s view", row->name, row->want == PUBLIC ? "whole" : "public");
        break;
    case FORBIDDEN:
        if (r->outcome_case != LADDER__V1__REPLY__OUTCOME_ERROR)
            fail_msg("%s: answered", row->name);
        if (r->error->code != E(ERR_FORBIDDEN) || strcmp(r->error->field, row->field) ||
            strcmp(r->error->section, row->section) ||
            !strstr(r->error->message, row->section) ||
            !strstr(r->error->message, row->field + 6))
            fail_msg("%s: want ERR_FORBIDDEN, %s, %s; got %s", row->name, row->section,
                     row->field, msg);
        break;
    case ANSWERED:
        if (r->outcome_case != LADDER__V1__REPLY__OUTCOME_ERROR || (int)r->error->code != row->code)
            fail_msg("%s: want the core's code %d, got %s", row->name, row->code,
                     msg[0] ? msg : "ok");
        break;
    }
    ladder__v1__reply__free_unpacked(r, NULL);
}

/* Readers: the person (e1), another employee (e2), a claimed reviewer, a chair,
 * a manager, an auditor, a service and a request with no principal at all. */
#define SELF "e1", R(EMPLOYEE)
#define OTHER "e2", R(EMPLOYEE)
#define REVIEWER "r1", R(REVIEWER)
#define CHAIR "c1", R(CHAIR)
#define MANAGER "m1", R(MANAGER)
#define AUDITOR "a1", R(AUDITOR)
#define SERVICE "svc", R(SERVICE)
#define NOBODY NULL, 0
#define MEMBER "rv", R(EMPLOYEE)        /* on the committee (§5): a reviewer by fact */

#define EMP(reader, w) {"s1 employee e1 as " #reader, Q(EMPLOYEE), "e1", 0, reader, w, 0, "query.employee.employee_id", "§1"}
#define READY(reader, w) {"s1 readiness of e1 as " #reader, Q(READINESS), "e1", 0, reader, w, 0, "query.readiness.employee_id", "§1"}
#define EXPL(reader, w) {"s1 explain e1 as " #reader, Q(EXPLAIN), "e1", 0, reader, w, 0, "query.explain.employee_id", "§1"}
#define EXPL_ASOF(reader, w) {"s1 explain e1 as of seq 2 as " #reader, Q(EXPLAIN), "e1", 2, reader, w, 0, "query.explain.employee_id", "§1"}
#define DEADLINE(reader, w) {"s1 next deadline as " #reader, Q(NEXT_DEADLINE), NULL, 0, reader, w, 0, "query.next_deadline", "§1"}
#define CASES(reader, w) {"s4 case ranking as " #reader, Q(CASE_RANKING), NULL, 0, reader, w, 0, "query.case_ranking", "§4"}
#define PENDING(arg, reader, w) {"s4 pending of " arg " as " #reader, Q(PENDING), arg, 0, reader, w, 0, "query.pending.reviewer_id", "§4"}
#define WHATIF(reader, w, code) {"s10 what-if as " #reader, Q(WHAT_IF), NULL, 0, reader, w, code, "query.what_if", "§10"}
#define DIGEST(reader, w) {"s1 stats with digest as " #reader, Q(STATS), NULL, 1, reader, w, 0, "query.stats.with_digest", "§1"}
#define OPEN(q, reader) {"s1 " #q " as " #reader, Q(q), "ghost", 0, reader, ALL, 0, NULL, NULL}

static const row_t rows[] = {
    /* §1: one's own whole record; everyone else sees level, title, points */
    EMP(SELF, ALL), EMP(OTHER, PUBLIC), EMP(REVIEWER, PUBLIC), EMP(CHAIR, ALL),
    EMP(MANAGER, ALL), EMP(AUDITOR, ALL), EMP(SERVICE, ALL), EMP(NOBODY, PUBLIC),
    READY(SELF, ALL), READY(OTHER, FORBIDDEN), READY(REVIEWER, FORBIDDEN), READY(CHAIR, ALL),
    READY(MANAGER, ALL), READY(AUDITOR, ALL), READY(SERVICE, ALL), READY(NOBODY, FORBIDDEN),
    EXPL(SELF, ALL), EXPL(OTHER, FORBIDDEN), EXPL(REVIEWER, FORBIDDEN), EXPL(CHAIR, ALL),
    EXPL(MANAGER, ALL), EXPL(AUDITOR, ALL), EXPL(SERVICE, ALL), EXPL(NOBODY, FORBIDDEN),
    EXPL_ASOF(SELF, ALL), EXPL_ASOF(OTHER, FORBIDDEN), EXPL_ASOF(AUDITOR, ALL),
    EXPL_ASOF(NOBODY, FORBIDDEN),
    /* the next deadline names a person and their retention year or appeal */
    DEADLINE(SELF, FORBIDDEN), DEADLINE(OTHER, FORBIDDEN), DEADLINE(REVIEWER, FORBIDDEN),
    DEADLINE(CHAIR, ALL), DEADLINE(MANAGER, ALL), DEADLINE(AUDITOR, ALL), DEADLINE(SERVICE, ALL),
    DEADLINE(NOBODY, FORBIDDEN),
    /* §4, §6.6: test-half titles are the exam's questions */
    /* §1 v2: a claimed reviewer role gains nothing; a committee member reads as one */
    CASES(SELF, PUBLIC), CASES(OTHER, PUBLIC), CASES(REVIEWER, PUBLIC), CASES(MEMBER, ALL),
    CASES(CHAIR, ALL),
    CASES(MANAGER, ALL), CASES(AUDITOR, ALL), CASES(SERVICE, ALL), CASES(NOBODY, PUBLIC),
    /* §4: what waits for a reviewer: the reviewers and the one named */
    PENDING("r1", REVIEWER, ALL), PENDING("e1", SELF, ALL), PENDING("r1", SELF, FORBIDDEN),
    PENDING("e1", REVIEWER, FORBIDDEN), PENDING("e1", MEMBER, ALL),
    PENDING("r1", OTHER, FORBIDDEN), PENDING("r1", CHAIR, ALL), PENDING("r1", MANAGER, ALL),
    PENDING("r1", AUDITOR, ALL), PENDING("r1", SERVICE, ALL), PENDING("r1", NOBODY, FORBIDDEN),
    /* §10: a what-if is for managers, chairs and auditors ({} adopts nothing new) */
    WHATIF(SELF, FORBIDDEN, 0), WHATIF(REVIEWER, FORBIDDEN, 0), WHATIF(SERVICE, FORBIDDEN, 0),
    WHATIF(NOBODY, FORBIDDEN, 0), WHATIF(MANAGER, ALL, 0), WHATIF(AUDITOR, ALL, 0),
    /* public: boards, the committee, rules, the level.* snapshot, counters,
     * events (each through its own view, test_hostile) */
    OPEN(BOARD, OTHER), OPEN(BOARD, NOBODY), OPEN(COMMITTEE, OTHER), OPEN(COMMITTEE, NOBODY),
    OPEN(RULES, NOBODY), OPEN(SNAPSHOT, OTHER), OPEN(SNAPSHOT, NOBODY), OPEN(STATS, NOBODY),
    OPEN(READ_EVENTS, OTHER), OPEN(READ_EVENTS, NOBODY),
    /* the state digest folds everyone's records on the thread pool */
    DIGEST(SELF, FORBIDDEN), DIGEST(REVIEWER, FORBIDDEN), DIGEST(NOBODY, FORBIDDEN),
    DIGEST(MANAGER, ALL), DIGEST(AUDITOR, ALL), DIGEST(SERVICE, ALL),
    {"s4 kb item as NOBODY reaches the core", Q(KB_ITEM), "ghost", 0, NOBODY, ANSWERED,
     E(ERR_NOT_FOUND), NULL, NULL},
};

/* §5 with committee.min_decided 0: an applicant with no decided contribution
 * is refused (a share of none), not a division by zero that stops ladderd. */
static void test_s5_apply_with_none_decided_is_refused(void **s)
{
    (void)s;
    Ladder__V1__ApplyCommittee ap = LADDER__V1__APPLY_COMMITTEE__INIT;
    ap.employee_id = "e2";
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_APPLY_COMMITTEE;
    c.apply_committee = &ap;
    Ladder__V1__Reply *r = d_cmd_as(&D, &c, "e2", R(EMPLOYEE));
    assert_non_null(r);
    assert_int_equal(r->outcome_case, LADDER__V1__REPLY__OUTCOME_ERROR);
    assert_int_equal(r->error->code, E(ERR_REFUSED));
    assert_string_equal(r->error->section, "§5");
    assert_non_null(strstr(r->error->message, "none decided"));
    ladder__v1__reply__free_unpacked(r, NULL);
}

int main(void)
{
    enum { N = sizeof rows / sizeof *rows };
    static struct CMUnitTest tests[N + 1];
    for (size_t i = 0; i < N; i++)
        tests[i] = (struct CMUnitTest){rows[i].name, run_row, NULL, NULL, (void *)&rows[i]};
    tests[N] = (struct CMUnitTest)cmocka_unit_test(test_s5_apply_with_none_decided_is_refused);
    return _cmocka_run_group_tests("test_access", tests, N + 1, group_setup, group_teardown);
}
