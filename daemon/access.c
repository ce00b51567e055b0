/* access.c — who may read what (access.h): the per-query table, the public
 * views of answers and the redacted views of events. */
#include "access.h"

#include <stdio.h>
#include <string.h>

#define ROLE(x) LADDER__V1__ROLE__ROLE_##x
#define BODY(x) LADDER__V1__EVENT__BODY_##x
#define Q(x) LADDER__V1__QUERY__Q_##x

/* §1, §4, §6.6: case content and exam cases: reviewers and above */
#define CASE_READERS (ROLE(REVIEWER) | LD_READ_EVERYTHING)

typedef enum {
    ANYONE,             /* public: levels, titles, points, boards, rules ... */
    PUBLIC_VIEW,        /* others get ld_access_public's view */
    REFUSE,             /* others are refused */
} others_t;

/* §1 v2, one row per query. A query missing here is refused to everyone but
 * the LD_READ_EVERYTHING roles, so a new query is private until it has a row. */
static const struct {
    int q;
    const char *field;      /* what a refusal names */
    uint32_t all;           /* roles that read all of the answer */
    bool self;              /* the person the query names reads all of it */
    others_t others;
    const char *section;
    const char *who;        /* who reads all of it, in words */
} table[] = {
    {Q(EMPLOYEE), "query.employee.employee_id", LD_READ_EVERYTHING, true, PUBLIC_VIEW, "§1",
     "the person, managers, chairs, auditors and services"},
    {Q(READINESS), "query.readiness.employee_id", LD_READ_EVERYTHING, true, REFUSE, "§1",
     "the person, managers, chairs, auditors and services"},
    {Q(EXPLAIN), "query.explain.employee_id", LD_READ_EVERYTHING, true, REFUSE, "§1",
     "the person, managers, chairs, auditors and services"},
    /* names whose retention year or appeal window closes next */
    {Q(NEXT_DEADLINE), "query.next_deadline", LD_READ_EVERYTHING, false, REFUSE, "§1",
     "managers, chairs, auditors and services"},
    {Q(BOARD), "query.board", 0, false, ANYONE, "§1", "everyone"},
    /* the titles of test-half cases are the exam's questions */
    {Q(CASE_RANKING), "query.case_ranking", CASE_READERS, false, PUBLIC_VIEW, "§4",
     "reviewers, chairs, managers, auditors and services"},
    {Q(KB_ITEM), "query.kb_item", 0, false, ANYONE, "§4", "everyone"},
    {Q(PENDING), "query.pending.reviewer_id", CASE_READERS, true, REFUSE, "§4",
     "the reviewer named, reviewers, chairs, managers, auditors and services"},
    {Q(COMMITTEE), "query.committee", 0, false, ANYONE, "§5", "everyone"},
    /* each event through ld_access_view */
    {Q(READ_EVENTS), "query.read_events", 0, false, ANYONE, "§1", "everyone"},
    /* level.* and points.* */
    {Q(SNAPSHOT), "query.snapshot", 0, false, ANYONE, "§1", "everyone"},
    /* counters of the daemon: no one's record */
    {Q(STATS), "query.stats", 0, false, ANYONE, "§1", "everyone"},
    {Q(RULES), "query.rules", 0, false, ANYONE, "§10", "everyone"},
    {Q(WHAT_IF), "query.what_if", ROLE(MANAGER) | ROLE(CHAIR) | ROLE(AUDITOR), false, REFUSE,
     "§10", "managers, chairs and auditors"},
};

static bool is(const char *principal, const char *id)
{
    return principal && id && *id && !strcmp(principal, id);
}

uint32_t ld_access_roles(ld_core_t *c, ld_out_t *scratch, const char *principal, uint32_t roles)
{
    /* those who read what a reviewer reads by their role need no lookup */
    if (roles & LD_READ_EVERYTHING)
        return roles;
    roles &= ~(uint32_t)ROLE(REVIEWER);
    if (!principal || !*principal || ld_core_employee_find(c, principal) < 0)
        return roles;
    Ladder__V1__GetEmployee g = LADDER__V1__GET_EMPLOYEE__INIT;
    g.employee_id = (char *)principal;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = Q(EMPLOYEE);
    q.employee = &g;
    Ladder__V1__Ok ok = LADDER__V1__OK__INIT;
    ld_refusal_t why;
    ld_out_reset(scratch);
    if (ld_core_query(c, &q, 0, scratch, &ok, &why) == 0 && ok.employee &&
        ok.employee->committee_member && !ok.employee->left)
        roles |= ROLE(REVIEWER);
    ld_out_reset(scratch);
    return roles;
}

/* The person a query names, or NULL. */
static const char *subject(const Ladder__V1__Query *q)
{
    switch (q->q_case) {
    case Q(EMPLOYEE):
        return q->employee->employee_id;
    case Q(READINESS):
        return q->readiness->employee_id;
    case Q(EXPLAIN):
        return q->explain->employee_id;
    case Q(PENDING):
        return q->pending->reviewer_id;
    default:
        return NULL;
    }
}

ld_read_t ld_access_query(const Ladder__V1__Query *q, const char *principal, uint32_t roles,
                          ld_read_refusal_t *why)
{
    size_t i = 0, n = sizeof table / sizeof *table;
    while (i < n && table[i].q != (int)q->q_case)
        i++;
    if (i == n) {
        if (roles & LD_READ_EVERYTHING)
            return LD_READ_ALL;
        why->section = "§1";
        snprintf(why->field, sizeof why->field, "query");
        snprintf(why->message, sizeof why->message,
                 "§1: query %d is read by managers, chairs, auditors and services only",
                 (int)q->q_case);
        return LD_READ_REFUSED;
    }
    /* the digest is a fold of the whole committed state on the thread pool:
     * work on everyone's records, for those who audit them */
    if (q->q_case == Q(STATS) && q->stats->with_digest && !(roles & LD_READ_EVERYTHING)) {
        why->section = "§1";
        snprintf(why->field, sizeof why->field, "query.stats.with_digest");
        snprintf(why->message, sizeof why->message,
                 "§1: stats.with_digest (a fold of everyone's state) is read by managers, chairs, "
                 "auditors and services, not by %s", principal && *principal ? principal : "an anonymous reader");
        return LD_READ_REFUSED;
    }
    if (table[i].others == ANYONE || (roles & table[i].all) ||
        (table[i].self && is(principal, subject(q))))
        return LD_READ_ALL;
    if (table[i].others == PUBLIC_VIEW)
        return LD_READ_PUBLIC;
    const char *name = subject(q);
    why->section = table[i].section;
    snprintf(why->field, sizeof why->field, "%s", table[i].field);
    snprintf(why->message, sizeof why->message, "%s: %s%s%s is read by %s, not by %s",
             table[i].section, table[i].field + 6 /* past "query." */,
             name && *name ? " of " : "", name && *name ? name : "", table[i].who,
             principal && *principal ? principal : "an anonymous reader");
    return LD_READ_REFUSED;
}

void ld_access_public(Ladder__V1__Ok *ok)
{
    switch (ok->result_case) {
    case LADDER__V1__OK__RESULT_EMPLOYEE: {
        /* §1: others see id, name, team, centre, level, points (and whether
         * they left or sit on the committee, public through GetCommittee) */
        Ladder__V1__EmployeeView *v = ok->employee;
        v->n_apprentices = 0, v->apprentices = NULL;
        v->apprentices_credited = 0;
        v->last_query_test_ms = 0;
        v->retention_deadline_ms = 0;
        v->retention_status = "";
        v->appeal_status = "";
        v->n_medals = 0, v->medals = NULL;
        v->hired_ms = 0;
        v->mentor_id = "";
        v->redacted = true;
        break;
    }
    case LADDER__V1__OK__RESULT_CASE_RANKING: {
        /* §4, §6.6: a test-half case's title names an exam question */
        Ladder__V1__CaseRanking *cr = ok->case_ranking;
        for (size_t i = 0; i < cr->n_rows; i++)
            if (cr->rows[i]->half == LADDER__V1__HALF__HALF_TEST && cr->rows[i]->title &&
                *cr->rows[i]->title) {
                cr->rows[i]->title = "";
                cr->redacted = true;
            }
        break;
    }
    default:
        break;
    }
}

const Ladder__V1__Event *ld_access_view(const Ladder__V1__Event *ev, const char *principal,
                                        uint32_t roles, ld_view_t *room)
{
    /* §1: reasons and appeal texts: the person, managers, auditors */
    bool personal = roles & (ROLE(MANAGER) | ROLE(AUDITOR) | ROLE(SYSTEM));
    bool cases = roles & CASE_READERS;
    room->ev = *ev;
    switch (ev->body_case) {
    case BODY(POINTS_ADJUSTED):
        if (personal || is(principal, ev->points_adjusted->employee_id) ||
            !ev->points_adjusted->reason || !*ev->points_adjusted->reason)
            return ev;
        room->body.points_adjusted = *ev->points_adjusted;
        room->body.points_adjusted.reason = NULL;
        room->ev.points_adjusted = &room->body.points_adjusted;
        break;
    case BODY(DEMOTION_APPEALED):
        if (personal || is(principal, ev->demotion_appealed->employee_id) ||
            !ev->demotion_appealed->reason || !*ev->demotion_appealed->reason)
            return ev;
        room->body.demotion_appealed = *ev->demotion_appealed;
        room->body.demotion_appealed.reason = NULL;
        room->ev.demotion_appealed = &room->body.demotion_appealed;
        break;
    case BODY(APPEAL_DECIDED):
        if (personal || is(principal, ev->appeal_decided->employee_id) ||
            !ev->appeal_decided->reason || !*ev->appeal_decided->reason)
            return ev;
        room->body.appeal_decided = *ev->appeal_decided;
        room->body.appeal_decided.reason = NULL;
        room->ev.appeal_decided = &room->body.appeal_decided;
        break;
    case BODY(CASE_SUBMITTED):
        if (cases || is(principal, ev->case_submitted->author_id) || !ev->case_submitted->content)
            return ev;
        room->body.case_submitted = *ev->case_submitted;
        room->body.case_submitted.content = NULL;
        room->ev.case_submitted = &room->body.case_submitted;
        break;
    case BODY(CASE_REVISED):
        if (cases || is(principal, ev->case_revised->author_id) || !ev->case_revised->content)
            return ev;
        room->body.case_revised = *ev->case_revised;
        room->body.case_revised.content = NULL;
        room->ev.case_revised = &room->body.case_revised;
        break;
    case BODY(EXAM_DRAWN):
        if (cases || !ev->exam_drawn->n_case_ids)
            return ev;
        room->body.exam_drawn = *ev->exam_drawn;
        room->body.exam_drawn.n_case_ids = 0;
        room->body.exam_drawn.case_ids = NULL;
        room->ev.exam_drawn = &room->body.exam_drawn;
        break;
    case BODY(CASE_USED_IN_EXAM):
        if (cases)
            return ev;
        room->body.case_used_in_exam = *ev->case_used_in_exam;
        room->body.case_used_in_exam.case_id = NULL;
        room->ev.case_used_in_exam = &room->body.case_used_in_exam;
        break;
    default:
        return ev;
    }
    room->ev.redacted = true;
    return &room->ev;
}
