/* reversal.c — corrections as new events (DOMAIN.md §12 v2): every fact a
 * manager records (query test, exam grade, study, task, volunteer hours, QC
 * completion, quality award, placement) is remembered by its seq in a few
 * dozen bytes (fact_t, with the points it paid), and can be reversed by naming that seq with a
 * reason. The reversal undoes the fact's effects from then on (points as
 * derived negative PointsAwarded, counters, the make-up it used up); decisions
 * already taken stand, and the reversal names the level changes that used it.
 */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

#define E(x) LADDER__V1__ERROR_CODE__##x
#define R(x) LADDER__V1__ROLE__ROLE_##x
#define B(x) LADDER__V1__EVENT__BODY_##x

enum { QF_RETENTION = 1, QF_MAKEUP = 2, QF_PASSED = 4 };
#define LEVEL_TASK 0x80000000u /* n2 of a level task: this bit | the level */

/* The fact recorded at seq: facts are kept in seq order. */
static uint32_t fact_find(const ld_core_t *c, uint64_t seq)
{
    uint32_t lo = 0, hi = c->g.n_facts;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (c->facts[mid].seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->g.n_facts && c->facts[lo].seq == seq ? lo : NONE;
}

/* The first pay of fact f (pays are in fact order), or n_pays. */
static uint32_t pays_of(const ld_core_t *c, uint32_t f)
{
    uint32_t lo = 0, hi = c->g.n_pays;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (c->pays[mid].fact < f)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static const char *kind_name(int body)
{
    switch (body) {
    case B(QUERY_TEST_RECORDED): return "query test";
    case B(EXAM_GRADED): return "exam grade";
    case B(CASE_STUDIED): return "study";
    case B(TASK_COMPLETED): return "task";
    case B(VOLUNTEER_REPORTED): return "volunteer hours";
    case B(QC_COMPLETED): return "QC completion";
    case B(QUALITY_AWARDED): return "quality award";
    case B(EMPLOYEE_PLACED): return "placement";
    default: return "fact";
    }
}

/* Called by ld_core_evolve after every applied event. */
void ld_facts_note(ld_core_t *c, const Ladder__V1__Event *ev)
{
    if (ev->cause_seq) {
        /* points paid for a reversible fact: remembered with the fact */
        if (ev->body_case != B(POINTS_AWARDED))
            return;
        int src = ev->points_awarded->source;
        if (src != LADDER__V1__POINT_SOURCE__P1_RULES_TASK &&
            src != LADDER__V1__POINT_SOURCE__P5_QUALITY_CASE &&
            src != LADDER__V1__POINT_SOURCE__P10_QC_PROJECT &&
            src != LADDER__V1__POINT_SOURCE__P11_VOLUNTEER)
            return;
        /* only the last fact takes pays (ld_fact_pay): a cause that is not
         * the last fact pays nothing, so no search for it (issue 17) */
        uint32_t n = c->g.n_facts;
        if (!n || c->facts[n - 1].seq != ev->cause_seq || ev->points_awarded->amount <= 0)
            return;
        uint32_t f = n - 1, i = ld_emp_find(c, ev->points_awarded->employee_id);
        if (i == NONE)
            return;
        ld_fact_pay(c, f, i, (uint32_t)ev->points_awarded->amount);
        return;
    }
    const char *emp = NULL;
    uint32_t n1 = 0, n2 = NONE;
    int64_t value = 0;
    switch (ev->body_case) {
    case B(QUERY_TEST_RECORDED): {
        const Ladder__V1__QueryTestRecorded *m = ev->query_test_recorded;
        emp = m->employee_id;
        value = m->total_ms;
        n1 = (m->retention ? QF_RETENTION : 0) | (m->makeup ? QF_MAKEUP : 0) |
             (m->passed ? QF_PASSED : 0);
        break;
    }
    case B(EXAM_GRADED):
        emp = ev->exam_graded->employee_id, n2 = ld_exam_find(c, ev->exam_graded->exam_id);
        n1 = ev->exam_graded->passed ? QF_PASSED : 0;
        break;
    case B(CASE_STUDIED):
        emp = ev->case_studied->employee_id, n2 = ld_case_find(c, ev->case_studied->case_id);
        break;
    case B(TASK_COMPLETED): {
        const char *t = ev->task_completed->task_id;
        emp = ev->task_completed->employee_id;
        n2 = strncmp(t, "level-", 6) == 0 ? LEVEL_TASK | (uint32_t)(t[6] - '0') : ld_task_find(c, t);
        break;
    }
    case B(EMPLOYEE_PLACED):
        emp = ev->employee_placed->employee_id;
        n1 = ev->employee_placed->from_level, value = ev->employee_placed->level;
        break;
    case B(VOLUNTEER_REPORTED):
    case B(QC_COMPLETED):
    case B(QUALITY_AWARDED): break; /* points only: they follow as derived events */
    default: return;
    }
    if (c->g.n_facts && c->facts[c->g.n_facts - 1].seq >= ev->seq)
        return; /* facts arrive in seq order; a replayed one is known */
    uint32_t f = ld_fact_new(c, ev->seq);
    fact_t *r = &c->facts[f];
    r->body = (uint8_t)ev->body_case;
    r->emp = emp ? ld_emp_find(c, emp) : NONE;
    r->n1 = (uint8_t)n1;
    r->value = value > INT32_MAX ? INT32_MAX : value < INT32_MIN ? INT32_MIN : (int32_t)value;
    r->at_s = (uint32_t)(ev->at_ms / 1000);
    r->n2 = n2;
}

/* The level changes of employee i that used fact seq (evidence or conditions). */
static size_t decisions_of(const ld_core_t *c, uint32_t i, uint64_t seq, uint32_t exam, uint64_t *out,
                           size_t max, size_t n)
{
    const emp_t *e = &c->emps[i];
    for (uint32_t k = 0; k < e->changes.len && n < max; k++) {
        const change_t *ch = &c->changes[e->changes.v[k]];
        bool used = exam != NONE && ch->exam == exam;
        for (uint32_t j = 0; j < ch->n_evidence && !used; j++)
            used = ch->evidence[j] == seq;
        for (uint32_t j = 0; j < ch->n_conds && !used; j++)
            for (uint32_t q = 0; q < ch->conds[j].n_ev && !used; q++)
                used = ch->conds[j].ev[q] == seq;
        if (used)
            out[n++] = ch->seq;
    }
    return n;
}

int ld_decide_reverse_fact(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
                           ld_out_t *out)
{
    const Ladder__V1__ReverseFact *m = cmd->reverse_fact;
    if (ld_check_text(c, "reverse_fact.reason", m->reason, true))
        return -1;
    uint32_t f = m->seq ? fact_find(c, m->seq) : NONE;
    if (f == NONE)
        return ld_refuse(c, E(ERR_NOT_FOUND), "§12", "reverse_fact.seq",
                      "§12: seq %llu is not a fact a manager recorded (query test, exam grade, "
                      "study, task, volunteer hours, QC completion, quality award, placement)",
                      (unsigned long long)m->seq);
    const fact_t *r = &c->facts[f];
    if (r->reversed)
        return ld_refuse(c, E(ERR_DUPLICATE), "§12", "reverse_fact.seq",
                      "§12: the %s at seq %llu was already reversed", kind_name((int)r->body),
                      (unsigned long long)m->seq);
    uint32_t exam = r->body == B(EXAM_GRADED) ? r->n2 : NONE;
    if (r->emp != NONE && r->body == B(EMPLOYEE_PLACED)) {
        const emp_t *e = &c->emps[r->emp];
        const change_t *last = e->changes.len ? &c->changes[e->changes.v[e->changes.len - 1]] : NULL;
        if (!last || last->seq != r->seq)
            return ld_refuse(c, E(ERR_REFUSED), "§12", "reverse_fact.seq",
                          "§12: the level of %s changed after the placement (seq %llu); "
                          "decisions taken are not recomputed, an appeal is the remedy", e->id,
                          (unsigned long long)(last ? last->seq : 0));
    }
    /* who is affected, and which decisions used the fact */
    uint32_t emps[64];
    size_t ne = 0;
    if (r->emp != NONE)
        emps[ne++] = r->emp;
    uint32_t pay0 = pays_of(c, f), npts = 0;
    while (pay0 + npts < c->g.n_pays && c->pays[pay0 + npts].fact == f)
        npts++;
    for (uint32_t k = 0; k < npts && ne < 64; k++) {
        uint32_t who = c->pays[pay0 + k].emp;
        bool seen = false;
        for (size_t j = 0; j < ne; j++)
            seen |= emps[j] == who;
        if (!seen)
            emps[ne++] = who;
    }
    uint64_t dec[32];
    size_t nd = 0;
    for (size_t k = 0; k < ne; k++)
        nd = decisions_of(c, emps[k], r->seq, exam, dec, 32, nd);

    /* stream: the first employee's, so their history shows it */
    char sid[24];
    snprintf(sid, sizeof sid, "%llu", (unsigned long long)r->seq);
    Ladder__V1__Event *ev = ld_emit(c, out, ctx, ne ? "emp" : "fact", ne ? c->emps[emps[0]].id : sid,
                                 B(FACT_REVERSED), 0);
    Ladder__V1__FactReversed *b = ld_body_new(out, &ladder__v1__fact_reversed__descriptor);
    b->seq = r->seq;
    b->reason = ld_ostr(out, m->reason);
    b->kind = ld_ostr(out, kind_name((int)r->body));
    b->n_employee_ids = ne;
    b->employee_ids = ld_arena_alloc(&out->arena, (ne + 1) * sizeof *b->employee_ids);
    for (size_t k = 0; k < ne; k++)
        b->employee_ids[k] = ld_ostr(out, c->emps[emps[k]].id);
    b->n_decision_seqs = nd;
    b->decision_seqs = ld_arena_alloc(&out->arena, (nd + 1) * sizeof *b->decision_seqs);
    memcpy(b->decision_seqs, dec, nd * sizeof *dec);
    char expl[400];
    size_t len = (size_t)snprintf(expl, sizeof expl, "§12: the %s at seq %llu is reversed",
                                  kind_name((int)r->body), (unsigned long long)r->seq);
    if (nd) {
        len += (size_t)snprintf(expl + len, sizeof expl - len,
                                "; decisions that used it stand (an appeal is the remedy): seq");
        for (size_t k = 0; k < nd && len < sizeof expl; k++)
            len += (size_t)snprintf(expl + len, sizeof expl - len, "%s %llu", k ? "," : "",
                                    (unsigned long long)dec[k]);
    }
    b->explanation = ld_ostr(out, expl);
    ev->fact_reversed = b;
    uint64_t fseq = r->seq;
    uint32_t body = r->body;
    uint32_t placed = r->body == B(EMPLOYEE_PLACED) ? r->emp : NONE;
    if (ld_apply(c, ev))
        return -1;
    char ref[32];
    snprintf(ref, sizeof ref, "reversal:%llu", (unsigned long long)fseq);
    for (uint32_t k = 0; k < npts; k++) {
        uint32_t who = c->pays[pay0 + k].emp; /* award may grow the arrays: by index */
        int64_t amount = (int64_t)c->pays[pay0 + k].amount;
        int src = body == B(TASK_COMPLETED) ? LADDER__V1__POINT_SOURCE__P1_RULES_TASK
                  : body == B(VOLUNTEER_REPORTED) ? LADDER__V1__POINT_SOURCE__P11_VOLUNTEER
                  : body == B(QC_COMPLETED) ? LADDER__V1__POINT_SOURCE__P10_QC_PROJECT
                                            : LADDER__V1__POINT_SOURCE__P5_QUALITY_CASE;
        if (ld_award(c, out, ctx, who, -amount, src, ref, ev->seq))
            return -1;
    }
    if (placed != NONE)
        return ld_void_open_exam(c, out, ctx, placed, LADDER__V1__VOID_CAUSE__VOID_LEVEL_CHANGED,
                              "§6.6: the level changed (placement reversed)", ev->seq);
    return 0;
}

/* The latest query test of employee i before record f that is not reversed. */
static uint32_t previous_test(const ld_core_t *c, uint32_t i, uint32_t f)
{
    while (f-- > 0) {
        const fact_t *r = &c->facts[f];
        if (r->body == B(QUERY_TEST_RECORDED) && r->emp == i && !r->reversed)
            return f;
    }
    return NONE;
}

int ld_reversal_evolve(ld_core_t *c, const Ladder__V1__Event *ev)
{
    if (ev->body_case != B(FACT_REVERSED))
        return -1; /* not of this module: the event table routes it elsewhere */
    const Ladder__V1__FactReversed *m = ev->fact_reversed;
    uint32_t f = fact_find(c, m->seq);
    if (f == NONE || c->facts[f].reversed)
        return -1;
    ld_touch_fact(c, f);
    fact_t *r = &c->facts[f];
    r->reversed = 1;
    uint32_t i = r->emp;

    if (i == NONE)
        return 0; /* points only: the derived PointsAwarded follow */
    emp_t *e = &c->emps[i];
    ld_touch_emp(c, i);
    bool this_year = r->seq > e->year_seq && e->year_end_ms;
    switch (r->body) {
    case B(QUERY_TEST_RECORDED):
        if (e->qt_seq == r->seq) {
            uint32_t p = previous_test(c, i, f);
            e->qt_seq = p == NONE ? 0 : c->facts[p].seq;
            e->qt_at_ms = p == NONE ? 0 : (int64_t)c->facts[p].at_s * 1000;
            e->qt_total_ms = p == NONE ? 0 : c->facts[p].value;
        }
        if ((r->n1 & QF_RETENTION) && this_year) {
            /* the test no longer counts: the try (and the make-up) is free again */
            if (e->rt_query_tries > 0)
                e->rt_query_tries--;
            if (r->n1 & QF_PASSED)
                e->rt_flags &= (uint8_t)~RT_QUERY_PASSED;
            else if (r->n1 & QF_MAKEUP)
                e->rt_flags &= (uint8_t)~RT_QUERY_MAKEUP_FAILED;
            for (int k = 0; k < 2; k++)
                if (e->rt_seq[k] == r->seq)
                    e->rt_seq[k] = 0, e->rt_val[k] = 0;
        }
        return 0;
    case B(EXAM_GRADED): {
        uint32_t xi = r->n2;
        if (xi >= c->g.n_exams)
            return -1;
        ld_touch_exam(c, xi);
        exam_t *x = &c->exams[xi];
        x->voided = 1; /* counts for nothing from now on */
        if (x->purpose == LADDER__V1__EXAM_PURPOSE__EXAM_RETENTION && this_year) {
            if (e->rt_exam_tries > 0)
                e->rt_exam_tries--;
            if (x->passed)
                e->rt_flags &= (uint8_t)~RT_EXAM_PASSED;
            else if (x->makeup)
                e->rt_flags &= (uint8_t)~RT_EXAM_MAKEUP_FAILED;
            for (int k = 2; k < 4; k++)
                if (e->rt_seq[k] == r->seq)
                    e->rt_seq[k] = 0, e->rt_val[k] = 0;
        } else if (x->purpose == LADDER__V1__EXAM_PURPOSE__EXAM_PROMOTION && !x->passed) {
            e->exam_retake_ms = 0; /* the failure no longer delays a retake */
        }
        return 0;
    }
    case B(CASE_STUDIED): {
        uint32_t k = r->n2;
        if (k >= c->g.n_cases)
            return -1;
        if (ld_ent_vec_remove(c, ENT_EMP, i, &e->studied, k)) {
            ld_touch_case(c, k);
            if (c->cases[k].studies > 0)
                c->cases[k].studies--;
        }
        return 0;
    }
    case B(TASK_COMPLETED):
        if (r->n2 != NONE && (r->n2 & LEVEL_TASK)) {
            uint32_t l = r->n2 & ~LEVEL_TASK;
            if (l < LD_LEVELS && e->level == l)
                e->tasks_done &= (uint8_t)~(1u << l);
            if (e->task_seq == r->seq)
                e->task_seq = 0;
        } else if (r->n2 < c->g.n_tasks) {
            ld_pair_add(c, PS_TASK_DONE, r->n2, i, 0);
        }
        return 0;
    case B(EMPLOYEE_PLACED): {
        uint32_t reason = ld_intern(c, m->reason ? m->reason : ""),
                 who = ld_intern(c, ev->actor ? ev->actor : "");
        int from = (int)r->value, to = (int)r->n1;
        uint64_t evidence[1] = {r->seq};
        ld_add_change(c, i, ev, from, to, CH_UNPLACED, evidence, 1);
        c->changes[c->g.n_changes - 1].text = reason;
        c->changes[c->g.n_changes - 1].actor = who;
        e = &c->emps[i];
        ld_boards_remove(c, i);
        e->flags &= (uint8_t)~EF_PLACED;
        e->level = (uint8_t)to;
        e->level_ms = ev->at_ms;
        e->points_since_level = 0;
        ld_start_year(c, e, i, ev->at_ms, 0, ev->seq);
        ld_boards_insert(c, i);
        return 0;
    }
    default:
        return 0;
    }
}
