/* career.c — promotion from L to L+1 (DOMAIN.md §6): the checklist in order,
 * query-speed tests (§6.4, also §7 re-tests), mentoring (§6.5), exams drawn
 * with a recorded seed and graded (§6.6), and the promotion they cause.
 */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

#define E(x) LADDER__V1__ERROR_CODE__##x
#define R(x) LADDER__V1__ROLE__ROLE_##x
#define DAY_MS 86400000LL

/* ----------------------------------------------------------- checklist -- */

/* The band threshold (ms) a query test must beat to qualify for level t. */
int64_t ld_band_need(const ld_rules_t *r, uint32_t t)
{
    int64_t need = 0;
    for (uint32_t i = 0; i < r->n_bands; i++)
        if (r->bands[i].up_to >= t && r->bands[i].below_ms > need)
            need = r->bands[i].below_ms;
    return need;
}

/* Training cases of level t the employee studied, and how many there are. */
static void training_counts(const ld_core_t *c, const emp_t *e, uint32_t t, int64_t *have,
                            int64_t *total)
{
    *total = c->g.lib_count[t][LADDER__V1__HALF__HALF_TRAINING];
    *have = 0;
    for (uint32_t k = 0; k < e->studied.len; k++) {
        const case_t *cs = &c->cases[e->studied.v[k]];
        if (cs->accepted && !cs->retired && cs->level == t &&
            cs->half == LADDER__V1__HALF__HALF_TRAINING)
            (*have)++;
    }
}

int ld_promotion_check(const ld_core_t *c, uint32_t emp, int64_t now, check_t it[LD_CHECKS],
                    int *n_items)
{
    const ld_rules_t *r = ld_cur_rules(c);
    const emp_t *e = &c->emps[emp];
    uint32_t L = e->level, t = L + 1;
    memset(it, 0, LD_CHECKS * sizeof *it);
    *n_items = LD_CHECKS;
    if (L >= LD_LEVELS - 1) {
        *n_items = 0;
        return 0;
    }

    it[0] = (check_t){"§6.1", "points", false, e->points_total, r->promotion_points[L], ""};
    it[0].met = it[0].have >= it[0].need;
    if (!it[0].met)
        snprintf(it[0].gap, sizeof it[0].gap, "needs %lld more points",
                 (long long)(it[0].need - it[0].have));

    it[1] = (check_t){"§6.2", "rules task", (e->tasks_done >> L) & 1, (e->tasks_done >> L) & 1, 1, ""};
    if (!it[1].met)
        snprintf(it[1].gap, sizeof it[1].gap, "rules-learning task level-%u not completed", L);

    int64_t have, total;
    training_counts(c, e, t, &have, &total);
    int64_t need = (total * r->training_pct + 99) / 100;
    it[2] = (check_t){"§6.3", "training", have >= need, have, need, ""};
    if (!it[2].met)
        snprintf(it[2].gap, sizeof it[2].gap,
                 "studied %lld of %lld training cases of level %u, needs %lld", (long long)have,
                 (long long)total, t, (long long)need);

    int64_t qneed = ld_band_need(r, t);
    it[3] = (check_t){"§6.4", "query speed", false, e->qt_at_ms ? e->qt_total_ms : 0, qneed, ""};
    it[3].met = e->qt_at_ms && ld_rules_band(r, e->qt_total_ms) >= t;
    if (!it[3].met) {
        if (!e->qt_at_ms)
            snprintf(it[3].gap, sizeof it[3].gap, "no query test yet; needs < %lld s",
                     (long long)(qneed / 1000));
        else
            snprintf(it[3].gap, sizeof it[3].gap, "query test %lld.%03lld s, needs < %lld s",
                     (long long)(e->qt_total_ms / 1000), (long long)(e->qt_total_ms % 1000),
                     (long long)(qneed / 1000));
    }

    uint32_t from = r->apprentices_from[t];
    it[4] = (check_t){"§6.5", "mentoring", true, e->credited[from], r->apprentices_needed[t], ""};
    it[4].met = it[4].have >= it[4].need;
    if (!it[4].met)
        snprintf(it[4].gap, sizeof it[4].gap, "%lld more apprentice%s brought from level %u to %u",
                 (long long)(it[4].need - it[4].have), it[4].need - it[4].have == 1 ? "" : "s",
                 from, from + 1);

    /* §6.7 v2: whole days at level L since it was reached (hire, placement,
     * promotion, demotion or restoration) */
    int64_t days = now > e->level_ms ? (now - e->level_ms) / DAY_MS : 0;
    it[5] = (check_t){"§6.7", "time in level", true, days, r->promotion_min_days[L], ""};
    it[5].met = days >= it[5].need;
    if (!it[5].met)
        snprintf(it[5].gap, sizeof it[5].gap, "%lld day%s at level %u, needs %lld",
                 (long long)days, days == 1 ? "" : "s", L, (long long)it[5].need);

    it[6] = (check_t){"§6.6", "exam", false, 0, 1, "pass the promotion exam"};
    int met = 0;
    while (met < LD_CHECKS - 1 && it[met].met)
        met++;
    return met;
}

/* ----------------------------------------------------------- query test -- */

bool ld_in_window(const ld_core_t *c, const emp_t *e, int64_t now)
{
    const ld_rules_t *r = ld_cur_rules(c);
    if (e->level < 1 || !e->year_end_ms)
        return false;
    int64_t open = ld_cal_add_months(e->year_start_ms, (int)(r->year_months - r->window_months),
                                  r->utc_offset_min);
    return now >= open && now < e->year_end_ms;
}

int ld_decide_record_query_test(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
                                ld_out_t *out)
{
    const Ladder__V1__RecordQueryTest *m = cmd->record_query_test;
    uint32_t i;
    if (ld_need_emp(c, "record_query_test.employee_id", m->employee_id, &i))
        return -1;
    if (m->total_ms <= 0 || m->total_ms > DAY_MS)
        return ld_refuse(c, E(ERR_INVALID), "§6.4", "record_query_test.total_ms",
                      "§6.4: total_ms must be 1 to %lld (the 100 queries' total time)",
                      (long long)DAY_MS);
    const emp_t *e = &c->emps[i];
    uint32_t band = ld_rules_band(ld_cur_rules(c), m->total_ms);
    /* §7: in the re-test window, the first two tests (test and make-up) count */
    bool retention = ld_in_window(c, e, ctx->now_ms) && !(e->rt_flags & RT_QUERY_PASSED) &&
                     e->rt_query_tries < 2;
    Ladder__V1__Event *ev = ld_emit(c, out, ctx, "emp", e->id,
                                 LADDER__V1__EVENT__BODY_QUERY_TEST_RECORDED, 0);
    Ladder__V1__QueryTestRecorded *b = ld_body_new(out, &ladder__v1__query_test_recorded__descriptor);
    b->employee_id = ld_ostr(out, e->id);
    b->total_ms = m->total_ms;
    b->qualifies_up_to = band;
    b->retention = retention;
    b->makeup = retention && e->rt_query_tries == 1;
    b->passed = retention && band >= e->level;
    ev->query_test_recorded = b;
    if (ld_apply(c, ev))
        return -1;
    /* §7 v2: a failed make-up demotes at once */
    if (b->makeup && !b->passed)
        return ld_demote_at_once(c, out, ctx, i, ev->seq, LADDER__V1__RETENTION_GAP__GAP_QUERY_TEST);
    return 0;
}

/* ---------------------------------------------------------- mentoring -- */

int ld_decide_start_apprenticeship(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
                                   ld_out_t *out)
{
    const Ladder__V1__StartApprenticeship *m = cmd->start_apprenticeship;
    const ld_rules_t *r = ld_cur_rules(c);
    uint32_t mi, ai;
    if (ld_need_emp(c, "start_apprenticeship.mentor_id", m->mentor_id, &mi) ||
        ld_need_emp(c, "start_apprenticeship.apprentice_id", m->apprentice_id, &ai))
        return -1;
    const emp_t *me = &c->emps[mi], *ap = &c->emps[ai];
    if (mi == ai)
        return ld_refuse(c, E(ERR_REFUSED), "§6.5", "start_apprenticeship.apprentice_id",
                      "§6.5: %s cannot be their own apprentice", me->id);
    if (me->level < r->mentor_min_level) {
        if (me->level == 1)
            return ld_refuse(c, E(ERR_REFUSED), "§6.5", "start_apprenticeship.mentor_id",
                          "§6.5: level-1 employees may not take apprentices");
        return ld_refuse(c, E(ERR_REFUSED), "§6.5", "start_apprenticeship.mentor_id",
                      "§6.5: a mentor must be level %u or above; %s is level %u",
                      r->mentor_min_level, me->id, me->level);
    }
    if (me->level < ap->level + r->mentor_min_gap)
        return ld_refuse(c, E(ERR_REFUSED), "§6.5", "start_apprenticeship.mentor_id",
                      "§6.5: a mentor must be at least %u levels above the apprentice; %s is "
                      "level %u, %s is level %u",
                      r->mentor_min_gap, me->id, me->level, ap->id, ap->level);
    if (ap->level >= LD_LEVELS - 1)
        return ld_refuse(c, E(ERR_REFUSED), "§6.5", "start_apprenticeship.apprentice_id",
                      "§6.5: %s is at the top level and cannot be brought further", ap->id);
    if (ap->mentor != NONE)
        return ld_refuse(c, E(ERR_REFUSED), "§6.5", "start_apprenticeship.apprentice_id",
                      "§6.5: %s already has mentor %s%s; one mentor at a time", ap->id,
                      c->emps[ap->mentor].id, ap->mentor_since_ms ? "" : " (proposed)");
    if (me->apprentices.len >= r->mentoring_max_active)
        return ld_refuse(c, E(ERR_REFUSED), "§6.5", "start_apprenticeship.mentor_id",
                      "§6.5: %s has %u apprentices (proposed or in effect); at most %u at once",
                      me->id, me->apprentices.len, r->mentoring_max_active);
    Ladder__V1__Event *ev = ld_emit(c, out, ctx, "emp", ap->id,
                                 LADDER__V1__EVENT__BODY_APPRENTICESHIP_STARTED, 0);
    Ladder__V1__ApprenticeshipStarted *b =
        ld_body_new(out, &ladder__v1__apprenticeship_started__descriptor);
    b->mentor_id = ld_ostr(out, me->id);
    b->apprentice_id = ld_ostr(out, ap->id);
    b->apprentice_level = ap->level;
    b->proposed = true; /* §6.5 v2: effective when the apprentice or a manager confirms */
    ev->apprenticeship_started = b;
    return ld_apply(c, ev);
}

/* §6.5 v2: the apprentice or a manager confirms; the mentor cannot. */
int ld_decide_confirm_apprenticeship(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
                                     ld_out_t *out)
{
    const Ladder__V1__ConfirmApprenticeship *m = cmd->confirm_apprenticeship;
    const ld_rules_t *r = ld_cur_rules(c);
    uint32_t mi, ai;
    if (ld_need_emp(c, "confirm_apprenticeship.mentor_id", m->mentor_id, &mi) ||
        ld_need_emp(c, "confirm_apprenticeship.apprentice_id", m->apprentice_id, &ai))
        return -1;
    const emp_t *me = &c->emps[mi], *ap = &c->emps[ai];
    if (ctx->principal && strcmp(ctx->principal, me->id) == 0)
        return ld_refuse(c, E(ERR_FORBIDDEN), "§6.5", "confirm_apprenticeship.mentor_id",
                      "§6.5: the mentor %s cannot confirm their own proposal; the apprentice or "
                      "a manager confirms", me->id);
    if (ap->mentor != mi)
        return ld_refuse(c, E(ERR_NOT_FOUND), "§6.5", "confirm_apprenticeship.apprentice_id",
                      "§6.5: %s proposed no apprenticeship of %s", me->id, ap->id);
    if (ap->mentor_since_ms)
        return ld_refuse(c, E(ERR_DUPLICATE), "§6.5", "confirm_apprenticeship.apprentice_id",
                      "§6.5: the apprenticeship of %s with %s is already in effect", ap->id, me->id);
    if (me->level < r->mentor_min_level || me->level < ap->level + r->mentor_min_gap)
        return ld_refuse(c, E(ERR_REFUSED), "§6.5", "confirm_apprenticeship.mentor_id",
                      "§6.5: a mentor must be level %u or above and at least %u levels above the "
                      "apprentice; %s is level %u, %s is level %u",
                      r->mentor_min_level, r->mentor_min_gap, me->id, me->level, ap->id, ap->level);
    Ladder__V1__Event *ev = ld_emit(c, out, ctx, "emp", ap->id,
                                 LADDER__V1__EVENT__BODY_APPRENTICESHIP_CONFIRMED, 0);
    Ladder__V1__ApprenticeshipConfirmed *b =
        ld_body_new(out, &ladder__v1__apprenticeship_confirmed__descriptor);
    b->mentor_id = ld_ostr(out, me->id);
    b->apprentice_id = ld_ostr(out, ap->id);
    ev->apprenticeship_confirmed = b;
    return ld_apply(c, ev);
}

int ld_decide_end_apprenticeship(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
                                 ld_out_t *out)
{
    const Ladder__V1__EndApprenticeship *m = cmd->end_apprenticeship;
    uint32_t mi, ai;
    if (ld_check_id(c, "end_apprenticeship.mentor_id", m->mentor_id) ||
        ld_check_id(c, "end_apprenticeship.apprentice_id", m->apprentice_id))
        return -1;
    if ((mi = ld_emp_find(c, m->mentor_id)) == NONE)
        return ld_refuse(c, E(ERR_NOT_FOUND), "§1", "end_apprenticeship.mentor_id",
                      "§1: no employee %s", m->mentor_id);
    if ((ai = ld_emp_find(c, m->apprentice_id)) == NONE)
        return ld_refuse(c, E(ERR_NOT_FOUND), "§1", "end_apprenticeship.apprentice_id",
                      "§1: no employee %s", m->apprentice_id);
    if (c->emps[ai].mentor != mi)
        return ld_refuse(c, E(ERR_REFUSED), "§6.5", "end_apprenticeship.apprentice_id",
                      "§6.5: %s is not an apprentice of %s", m->apprentice_id, m->mentor_id);
    Ladder__V1__Event *ev = ld_emit(c, out, ctx, "emp", m->apprentice_id,
                                 LADDER__V1__EVENT__BODY_APPRENTICESHIP_ENDED, 0);
    Ladder__V1__ApprenticeshipEnded *b = ld_body_new(out, &ladder__v1__apprenticeship_ended__descriptor);
    b->mentor_id = ld_ostr(out, m->mentor_id);
    b->apprentice_id = ld_ostr(out, m->apprentice_id);
    b->reason = ld_ostr(out, m->reason);
    ev->apprenticeship_ended = b;
    return ld_apply(c, ev);
}

/* --------------------------------------------------------------- exams -- */

typedef struct {
    uint32_t idx;
    uint32_t seen;     /* examined this employee before: drawn last */
    uint32_t uses;     /* then the least used */
    uint64_t lot;      /* then the seeded lot */
} cand_t;

static int cand_cmp(const void *a, const void *b)
{
    const cand_t *x = a, *y = b;
    if (x->seen != y->seen)
        return x->seen < y->seen ? -1 : 1;
    if (x->uses != y->uses)
        return x->uses < y->uses ? -1 : 1;
    if (x->lot != y->lot)
        return x->lot < y->lot ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

int ld_decide_draw_exam(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
                        ld_out_t *out)
{
    const Ladder__V1__DrawExam *m = cmd->draw_exam;
    const ld_rules_t *r = ld_cur_rules(c);
    uint32_t i;
    if (ld_need_emp(c, "draw_exam.employee_id", m->employee_id, &i) ||
        ld_check_id(c, "draw_exam.exam_id", m->exam_id))
        return -1;
    const emp_t *e = &c->emps[i];
    if (ld_exam_find(c, m->exam_id) != NONE)
        return ld_refuse(c, E(ERR_DUPLICATE), "§6.6", "draw_exam.exam_id", "§6.6: exam %s already exists",
                      m->exam_id);
    if (e->open_exam != NONE) {
        const exam_t *ox = &c->exams[e->open_exam];
        char tb[CAL_FMT_LEN];
        if (ctx->now_ms >= ox->expires_ms)
            return ld_refuse(c, E(ERR_REFUSED), "§6.6", "draw_exam.employee_id",
                          "§6.6: exam %s of %s expired at %s; it must be voided (expire_exam) "
                          "before another is drawn", ox->id, e->id,
                          ld_cal_format(tb, ox->expires_ms, r->utc_offset_min));
        return ld_refuse(c, E(ERR_REFUSED), "§6.6", "draw_exam.employee_id",
                      "§6.6: %s has exam %s drawn and not yet graded", e->id, ox->id);
    }
    if (m->seed == 0)
        return ld_refuse(c, E(ERR_INVALID), "§6.6", "draw_exam.seed",
                      "§6.6: draw_exam.seed must be non-zero (the daemon fills it in)");
    uint32_t size = m->size ? m->size : r->exam_size;
    if (size < r->exam_min_size || size > r->exam_max_size || size > LD_EXAM_MAX)
        return ld_refuse(c, E(ERR_INVALID), "§6.6", "draw_exam.size",
                      "§6.6: an exam has %u to %u cases, not %u", r->exam_min_size,
                      r->exam_max_size, size);

    bool retention = m->purpose == LADDER__V1__EXAM_PURPOSE__EXAM_RETENTION;
    uint32_t level;
    bool makeup = false;
    if (retention) {
        if (!ld_in_window(c, e, ctx->now_ms))
            return ld_refuse(c, E(ERR_REFUSED), "§7", "draw_exam.purpose",
                          "§7: %s is not in a re-test window", e->id);
        if (e->rt_flags & RT_EXAM_PASSED)
            return ld_refuse(c, E(ERR_REFUSED), "§7", "draw_exam.purpose",
                          "§7: %s already passed this year's skill exam", e->id);
        if (e->rt_exam_tries >= 2)
            return ld_refuse(c, E(ERR_REFUSED), "§7", "draw_exam.purpose",
                          "§7: the make-up exam of this retention year was already used");
        level = e->level;
        makeup = e->rt_exam_tries == 1;
    } else {
        if (e->level >= LD_LEVELS - 1)
            return ld_refuse(c, E(ERR_REFUSED), "§6", "draw_exam.employee_id",
                          "§6: %s is at level %u, the top", e->id, e->level);
        check_t it[LD_CHECKS];
        int n;
        int met = ld_promotion_check(c, i, ctx->now_ms, it, &n);
        if (met < LD_CHECKS - 1)
            return ld_refuse(c, E(ERR_REFUSED), it[met].section, "draw_exam.employee_id",
                          "%s: %s", it[met].section, it[met].gap);
        if (ctx->now_ms < e->exam_retake_ms) {
            char when[CAL_FMT_LEN];
            ld_cal_format(when, e->exam_retake_ms, r->utc_offset_min);
            return ld_refuse(c, E(ERR_REFUSED), "§6.6", "draw_exam.employee_id",
                          "§6.6: a failed exam may be retaken after %u days, from %s",
                          r->exam_retake_days, when);
        }
        level = e->level + 1u;
    }

    uint32_t pool = c->g.lib_count[level][LADDER__V1__HALF__HALF_TEST];
    if (pool < size)
        return ld_refuse(c, E(ERR_REFUSED), "§6.6", "draw_exam.size",
                      "§6.6: level %u has %u test case%s; an exam of %u cannot be drawn", level,
                      pool, pool == 1 ? "" : "s", size);
    cand_t *cand = ld_xmalloc(pool * sizeof *cand);
    uint32_t n = 0;
    for (uint32_t k = 0; k < c->g.n_cases && n < pool; k++) {
        const case_t *cs = &c->cases[k];
        if (!cs->accepted || cs->retired || cs->level != level ||
            cs->half != LADDER__V1__HALF__HALF_TEST)
            continue;
        cand[n++] = (cand_t){k, ld_vec_has(&e->examined, k), cs->exam_uses,
                             ld_mix64(m->seed ^ ld_hash_str(cs->id, strlen(cs->id)))};
    }
    qsort(cand, n, sizeof *cand, cand_cmp);

    Ladder__V1__Event *ev = ld_emit(c, out, ctx, "emp", e->id, LADDER__V1__EVENT__BODY_EXAM_DRAWN, 0);
    Ladder__V1__ExamDrawn *b = ld_body_new(out, &ladder__v1__exam_drawn__descriptor);
    b->exam_id = ld_ostr(out, m->exam_id);
    b->employee_id = ld_ostr(out, e->id);
    b->purpose = retention ? LADDER__V1__EXAM_PURPOSE__EXAM_RETENTION
                           : LADDER__V1__EXAM_PURPOSE__EXAM_PROMOTION;
    b->level = level;
    b->seed = m->seed;
    b->makeup = makeup;
    b->expires_ms = ld_cal_add_days(ctx->now_ms, (int)r->exam_expiry_days);
    b->year_start_ms = retention ? e->year_start_ms : 0;
    b->n_case_ids = size;
    b->case_ids = ld_arena_alloc(&out->arena, size * sizeof *b->case_ids);
    for (uint32_t k = 0; k < size; k++)
        b->case_ids[k] = ld_ostr(out, c->cases[cand[k].idx].id);
    ev->exam_drawn = b;
    free(cand);
    if (ld_apply(c, ev))
        return -1;
    uint64_t drawn = ev->seq;
    for (uint32_t k = 0; k < size; k++) {
        Ladder__V1__Event *u = ld_emit(c, out, ctx, "case", b->case_ids[k],
                                    LADDER__V1__EVENT__BODY_CASE_USED_IN_EXAM, drawn);
        Ladder__V1__CaseUsedInExam *ub = ld_body_new(out, &ladder__v1__case_used_in_exam__descriptor);
        ub->case_id = b->case_ids[k];
        ub->exam_id = b->exam_id;
        u->case_used_in_exam = ub;
        if (ld_apply(c, u))
            return -1;
    }
    return 0;
}

/* §6: the promotion a passed exam causes, and the mentor's credit (§6.5, P8):
 * only for an apprenticeship in effect at least mentoring.min_days before the
 * exam was drawn (v2); otherwise the apprenticeship ends without credit. */
static int promote(ld_core_t *c, ld_out_t *out, const ld_ctx_t *ctx, uint32_t i, const exam_t *x,
                   uint64_t graded_seq, uint32_t percent)
{
    const ld_rules_t *r = ld_cur_rules(c);
    emp_t *e = &c->emps[i];
    check_t it[LD_CHECKS];
    int n;
    ld_promotion_check(c, i, ctx->now_ms, it, &n);
    it[LD_CHECKS - 1].met = true;
    it[LD_CHECKS - 1].have = percent;
    it[LD_CHECKS - 1].need = r->exam_pass_pct;
    snprintf(it[LD_CHECKS - 1].gap, sizeof it[0].gap, "exam %s passed with %u %%", x->id, percent);
    Ladder__V1__Event *ev = ld_emit(c, out, ctx, "emp", e->id, LADDER__V1__EVENT__BODY_PROMOTED,
                                 graded_seq);
    Ladder__V1__Promoted *b = ld_body_new(out, &ladder__v1__promoted__descriptor);
    b->employee_id = ld_ostr(out, e->id);
    b->from_level = e->level;
    b->to_level = e->level + 1u;
    b->exam_id = ld_ostr(out, x->id);
    uint64_t evidence[4] = {x->drawn_seq, graded_seq, e->qt_seq, e->task_seq};
    b->evidence_seqs = ld_arena_alloc(&out->arena, sizeof evidence);
    for (int k = 0; k < 4; k++)
        if (evidence[k])
            b->evidence_seqs[b->n_evidence_seqs++] = evidence[k];
    b->retention_deadline_ms = ld_cal_add_months(ctx->now_ms, (int)r->year_months, r->utc_offset_min);
    b->exam_percent = percent;
    b->n_checklist = (size_t)n;
    b->checklist = ld_arena_alloc(&out->arena, (size_t)(n + 1) * sizeof *b->checklist);
    for (int k = 0; k < n; k++) {
        Ladder__V1__ReadinessItem *ri = ld_body_new(out, &ladder__v1__readiness_item__descriptor);
        ri->section = ld_ostr(out, it[k].section);
        ri->name = ld_ostr(out, it[k].name);
        ri->met = it[k].met;
        ri->have = it[k].have;
        ri->need = it[k].need;
        ri->gap = ld_ostr(out, it[k].gap);
        b->checklist[k] = ri;
    }
    ev->promoted = b;
    uint32_t mentor = e->mentor, from = e->level;
    int64_t since = e->mentor_since_ms;
    if (ld_apply(c, ev))
        return -1;
    if (mentor == NONE)
        return 0;
    uint64_t promoted = ev->seq;
    const emp_t *me = &c->emps[mentor];
    int64_t need_ms = (int64_t)r->mentoring_min_days * DAY_MS;
    if (!since || x->drawn_ms - since < need_ms || (me->flags & EF_LEFT)) {
        char why[200];
        if (me->flags & EF_LEFT)
            snprintf(why, sizeof why, "§6.5: mentor %s has left; no credit", me->id);
        else if (!since)
            snprintf(why, sizeof why, "§6.5: never confirmed before the promotion; no credit");
        else
            snprintf(why, sizeof why,
                     "§6.5: in effect %lld days before exam %s was drawn, needs %u; no credit",
                     (long long)((x->drawn_ms - since) / DAY_MS), x->id, r->mentoring_min_days);
        ev = ld_emit(c, out, ctx, "emp", e->id, LADDER__V1__EVENT__BODY_APPRENTICESHIP_ENDED, promoted);
        Ladder__V1__ApprenticeshipEnded *eb =
            ld_body_new(out, &ladder__v1__apprenticeship_ended__descriptor);
        eb->mentor_id = ld_ostr(out, me->id);
        eb->apprentice_id = ld_ostr(out, e->id);
        eb->reason = ld_ostr(out, why);
        ev->apprenticeship_ended = eb;
        return ld_apply(c, ev);
    }
    ev = ld_emit(c, out, ctx, "emp", me->id, LADDER__V1__EVENT__BODY_APPRENTICE_CREDITED, promoted);
    Ladder__V1__ApprenticeCredited *cb = ld_body_new(out, &ladder__v1__apprentice_credited__descriptor);
    cb->mentor_id = ld_ostr(out, me->id);
    cb->apprentice_id = ld_ostr(out, e->id);
    cb->from_level = from;
    ev->apprentice_credited = cb;
    if (ld_apply(c, ev))
        return -1;
    return ld_award(c, out, ctx, mentor, r->apprentice, LADDER__V1__POINT_SOURCE__P8_APPRENTICE,
                 e->id, ev->seq);
}

/* §6.6 v2: the open exam of emp becomes void (derived from cause_seq). */
int ld_void_open_exam(ld_core_t *c, ld_out_t *out, const ld_ctx_t *ctx, uint32_t emp, int cause,
                   const char *reason, uint64_t cause_seq)
{
    const emp_t *e = &c->emps[emp];
    if (e->open_exam == NONE)
        return 0;
    const exam_t *x = &c->exams[e->open_exam];
    Ladder__V1__Event *ev = ld_emit(c, out, ctx, "emp", e->id, LADDER__V1__EVENT__BODY_EXAM_VOIDED,
                                 cause_seq);
    Ladder__V1__ExamVoided *b = ld_body_new(out, &ladder__v1__exam_voided__descriptor);
    b->exam_id = ld_ostr(out, x->id);
    b->employee_id = ld_ostr(out, e->id);
    b->cause = (Ladder__V1__VoidCause)cause;
    b->reason = ld_ostr(out, reason);
    ev->exam_voided = b;
    return ld_apply(c, ev);
}

/* §6.6 v2: an exam not graded within exam.expiry_days is void (the system, at its
 * deadline; or a manager). */
int ld_decide_expire_exam(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
                          ld_out_t *out)
{
    const Ladder__V1__ExpireExam *m = cmd->expire_exam;
    char tb[CAL_FMT_LEN], why[160];
    uint32_t i;
    if (ld_need_emp(c, "expire_exam.employee_id", m->employee_id, &i))
        return -1;
    const emp_t *e = &c->emps[i];
    if (e->open_exam == NONE ||
        (m->exam_id && *m->exam_id && strcmp(m->exam_id, c->exams[e->open_exam].id)))
        return ld_refuse(c, E(ERR_NOT_FOUND), "§6.6", "expire_exam.exam_id",
                      "§6.6: %s has no open exam%s%s", e->id, m->exam_id && *m->exam_id ? " " : "",
                      m->exam_id ? m->exam_id : "");
    const exam_t *x = &c->exams[e->open_exam];
    ld_cal_format(tb, x->expires_ms, ld_cur_rules(c)->utc_offset_min);
    if (ctx->now_ms < x->expires_ms)
        return ld_refuse(c, E(ERR_REFUSED), "§6.6", "expire_exam.exam_id",
                      "§6.6: exam %s may be graded until %s", x->id, tb);
    snprintf(why, sizeof why, "§6.6: not graded by %s (exam.expiry_days)", tb);
    Ladder__V1__Event *ev = ld_emit(c, out, ctx, "emp", e->id, LADDER__V1__EVENT__BODY_EXAM_VOIDED, 0);
    Ladder__V1__ExamVoided *b = ld_body_new(out, &ladder__v1__exam_voided__descriptor);
    b->exam_id = ld_ostr(out, x->id);
    b->employee_id = ld_ostr(out, e->id);
    b->cause = LADDER__V1__VOID_CAUSE__VOID_EXPIRED;
    b->reason = ld_ostr(out, why);
    ev->exam_voided = b;
    return ld_apply(c, ev);
}

/* §2 v2: a manager places an employee at a level, once, with a reason, before
 * their first promotion; it starts a retention year like a promotion. */
int ld_decide_place_employee(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
                             ld_out_t *out)
{
    const Ladder__V1__PlaceEmployee *m = cmd->place_employee;
    const ld_rules_t *r = ld_cur_rules(c);
    uint32_t i;
    if (ld_need_emp(c, "place_employee.employee_id", m->employee_id, &i) ||
        ld_check_text(c, "place_employee.reason", m->reason, true))
        return -1;
    const emp_t *e = &c->emps[i];
    if (m->level < 1 || m->level >= LD_LEVELS)
        return ld_refuse(c, E(ERR_INVALID), "§2", "place_employee.level",
                      "§2: a placement is at level 1 to %d, not %u", LD_LEVELS - 1, m->level);
    if (e->flags & EF_PLACED)
        return ld_refuse(c, E(ERR_DUPLICATE), "§2", "place_employee.employee_id",
                      "§2: %s was already placed at level %u; a placement is made once "
                      "(reverse it first to correct it)", e->id, e->level);
    for (uint32_t k = 0; k < e->changes.len; k++)
        if (c->changes[e->changes.v[k]].cause == CH_PROMOTED)
            return ld_refuse(c, E(ERR_REFUSED), "§2", "place_employee.employee_id",
                          "§2: %s was promoted at seq %llu; placement comes before the first "
                          "promotion", e->id,
                          (unsigned long long)c->changes[e->changes.v[k]].seq);
    Ladder__V1__Event *ev = ld_emit(c, out, ctx, "emp", e->id, LADDER__V1__EVENT__BODY_EMPLOYEE_PLACED, 0);
    Ladder__V1__EmployeePlaced *b = ld_body_new(out, &ladder__v1__employee_placed__descriptor);
    b->employee_id = ld_ostr(out, e->id);
    b->from_level = e->level;
    b->level = m->level;
    b->reason = ld_ostr(out, m->reason);
    b->retention_deadline_ms = ld_cal_add_months(ctx->now_ms, (int)r->year_months, r->utc_offset_min);
    ev->employee_placed = b;
    if (ld_apply(c, ev))
        return -1;
    return ld_void_open_exam(c, out, ctx, i, LADDER__V1__VOID_CAUSE__VOID_LEVEL_CHANGED,
                          "§6.6: the level changed (placement)", ev->seq);
}

int ld_decide_grade_exam(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
                         ld_out_t *out)
{
    const Ladder__V1__GradeExam *m = cmd->grade_exam;
    const ld_rules_t *r = ld_cur_rules(c);
    if (ld_check_id(c, "grade_exam.exam_id", m->exam_id))
        return -1;
    uint32_t xi = ld_exam_find(c, m->exam_id);
    if (xi == NONE)
        return ld_refuse(c, E(ERR_NOT_FOUND), "§6.6", "grade_exam.exam_id", "§6.6: no exam %s",
                      m->exam_id);
    exam_t x = c->exams[xi];
    if (x.graded)
        return ld_refuse(c, E(ERR_DUPLICATE), "§6.6", "grade_exam.exam_id",
                      "§6.6: exam %s was already graded", x.id);
    if (x.voided)
        return ld_refuse(c, E(ERR_REFUSED), "§6.6", "grade_exam.exam_id",
                      "§6.6: exam %s is void and cannot be graded", x.id);
    if (ctx->now_ms >= x.expires_ms) {
        char tb[CAL_FMT_LEN];
        return ld_refuse(c, E(ERR_REFUSED), "§6.6", "grade_exam.exam_id",
                      "§6.6: exam %s expired at %s (exam.expiry_days) and is void", x.id,
                      ld_cal_format(tb, x.expires_ms, r->utc_offset_min));
    }
    if (m->n_scores != x.n)
        return ld_refuse(c, E(ERR_INVALID), "§6.6", "grade_exam.scores",
                      "§6.6: exam %s has %u cases; %zu scores given", x.id, x.n, m->n_scores);
    uint64_t sum = 0;
    for (size_t k = 0; k < m->n_scores; k++) {
        if (m->scores[k] > 100) {
            char field[48];
            snprintf(field, sizeof field, "grade_exam.scores[%zu]", k);
            return ld_refuse(c, E(ERR_INVALID), "§6.6", field, "§6.6: %s must be 0 to 100", field);
        }
        sum += m->scores[k];
    }
    uint32_t percent = (uint32_t)(sum / x.n);
    bool passed = percent >= r->exam_pass_pct;
    const emp_t *e = &c->emps[x.emp];
    if (e->flags & EF_LEFT)
        return ld_refuse(c, E(ERR_REFUSED), "§1", "grade_exam.exam_id", "§1: employee %s has left",
                      e->id);
    Ladder__V1__Event *ev = ld_emit(c, out, ctx, "emp", e->id, LADDER__V1__EVENT__BODY_EXAM_GRADED, 0);
    Ladder__V1__ExamGraded *b = ld_body_new(out, &ladder__v1__exam_graded__descriptor);
    b->exam_id = ld_ostr(out, x.id);
    b->employee_id = ld_ostr(out, e->id);
    b->n_scores = m->n_scores;
    b->scores = ld_arena_alloc(&out->arena, m->n_scores * sizeof *b->scores);
    memcpy(b->scores, m->scores, m->n_scores * sizeof *b->scores);
    b->percent = percent;
    b->passed = passed;
    ev->exam_graded = b;
    if (ld_apply(c, ev))
        return -1;
    if (passed && x.purpose == LADDER__V1__EXAM_PURPOSE__EXAM_PROMOTION)
        return promote(c, out, ctx, x.emp, &x, ev->seq, percent);
    /* §7 v2: a failed make-up demotes at once */
    if (!passed && x.makeup && x.purpose == LADDER__V1__EXAM_PURPOSE__EXAM_RETENTION)
        return ld_demote_at_once(c, out, ctx, x.emp, ev->seq, LADDER__V1__RETENTION_GAP__GAP_EXAM);
    return 0;
}

/* -------------------------------------------------------------- evolve -- */

void ld_add_change(ld_core_t *c, uint32_t i, const Ladder__V1__Event *ev, int from, int to,
                       int cause, const uint64_t *evidence, size_t n)
{
    uint32_t k = ld_change_new(c);
    change_t *ch = &c->changes[k];
    ch->emp = i;
    ch->from = (uint8_t)from;
    ch->to = (uint8_t)to;
    ch->cause = (uint8_t)cause;
    ch->rules_version = ev->rules_version;
    ch->seq = ev->seq;
    ch->at_ms = ev->at_ms;
    for (size_t j = 0; j < n && j < 6; j++)
        ch->evidence[ch->n_evidence++] = evidence[j];
    ld_touch_emp(c, i);
    ld_vec_push(&c->emps[i].changes, k);
}

void ld_start_year(ld_core_t *c, emp_t *e, uint32_t i, int64_t at, int64_t end, uint64_t seq)
{
    e->points_in_year = 0;
    e->credited_in_year = 0;
    e->rt_flags = 0;
    e->rt_query_tries = e->rt_exam_tries = 0;
    e->year_seq = seq;
    memset(e->rt_seq, 0, sizeof e->rt_seq);
    memset(e->rt_val, 0, sizeof e->rt_val);
    if (e->level >= 1 && end > at) {
        e->year_start_ms = at;
        e->year_end_ms = end;
        ld_deadline_push(c, e->year_end_ms, i, LD_DEADLINE_RETENTION);
    } else {
        e->year_start_ms = e->year_end_ms = 0;
    }
}

int ld_career_evolve(ld_core_t *c, const Ladder__V1__Event *ev)
{
    uint32_t i, j;
    switch (ev->body_case) {
    case LADDER__V1__EVENT__BODY_QUERY_TEST_RECORDED: {
        const Ladder__V1__QueryTestRecorded *m = ev->query_test_recorded;
        if ((i = ld_emp_find(c, m->employee_id)) == NONE)
            return -1;
        emp_t *e = &c->emps[i];
        ld_touch_emp(c, i);
        e->qt_total_ms = m->total_ms;
        e->qt_at_ms = ev->at_ms;
        e->qt_seq = ev->seq;
        if (m->retention) {
            if (e->rt_query_tries < 2) {
                e->rt_seq[e->rt_query_tries] = ev->seq;
                e->rt_val[e->rt_query_tries] = (int32_t)m->total_ms; /* <= a day (§6.4) */
            }
            e->rt_query_tries++;
            if (m->passed)
                e->rt_flags |= RT_QUERY_PASSED;
            else if (m->makeup)
                e->rt_flags |= RT_QUERY_MAKEUP_FAILED;
        }
        return 0;
    }
    case LADDER__V1__EVENT__BODY_APPRENTICESHIP_STARTED: {
        const Ladder__V1__ApprenticeshipStarted *m = ev->apprenticeship_started;
        if ((i = ld_emp_find(c, m->mentor_id)) == NONE || (j = ld_emp_find(c, m->apprentice_id)) == NONE)
            return -1;
        ld_touch_emp(c, i);
        ld_touch_emp(c, j);
        c->emps[j].mentor = i;
        /* §6.5 v2: a proposal takes effect when confirmed; older logs: at once */
        c->emps[j].mentor_since_ms = m->proposed ? 0 : ev->at_ms;
        ld_vec_push(&c->emps[i].apprentices, j);
        return 0;
    }
    case LADDER__V1__EVENT__BODY_APPRENTICESHIP_CONFIRMED: {
        const Ladder__V1__ApprenticeshipConfirmed *m = ev->apprenticeship_confirmed;
        if ((i = ld_emp_find(c, m->mentor_id)) == NONE || (j = ld_emp_find(c, m->apprentice_id)) == NONE ||
            c->emps[j].mentor != i || c->emps[j].mentor_since_ms)
            return -1;
        ld_touch_emp(c, j);
        c->emps[j].mentor_since_ms = ev->at_ms;
        return 0;
    }
    case LADDER__V1__EVENT__BODY_APPRENTICESHIP_ENDED: {
        const Ladder__V1__ApprenticeshipEnded *m = ev->apprenticeship_ended;
        if ((i = ld_emp_find(c, m->mentor_id)) == NONE || (j = ld_emp_find(c, m->apprentice_id)) == NONE)
            return -1;
        ld_touch_emp(c, i);
        ld_touch_emp(c, j);
        c->emps[j].mentor = NONE;
        c->emps[j].mentor_since_ms = 0;
        ld_ent_vec_remove(c, ENT_EMP, i, &c->emps[i].apprentices, j);
        return 0;
    }
    case LADDER__V1__EVENT__BODY_APPRENTICE_CREDITED: {
        const Ladder__V1__ApprenticeCredited *m = ev->apprentice_credited;
        if ((i = ld_emp_find(c, m->mentor_id)) == NONE || (j = ld_emp_find(c, m->apprentice_id)) == NONE ||
            m->from_level >= LD_LEVELS)
            return -1;
        ld_touch_emp(c, i);
        ld_touch_emp(c, j);
        emp_t *me = &c->emps[i];
        if (me->credited[m->from_level] < 255)
            me->credited[m->from_level]++;
        if (me->credited_in_year < 255)
            me->credited_in_year++;
        me->credit_seq = ev->seq;
        /* an apprentice counts once: the apprenticeship ends with the credit */
        c->emps[j].mentor = NONE;
        c->emps[j].mentor_since_ms = 0;
        ld_ent_vec_remove(c, ENT_EMP, i, &me->apprentices, j);
        return 0;
    }
    case LADDER__V1__EVENT__BODY_EXAM_DRAWN: {
        const Ladder__V1__ExamDrawn *m = ev->exam_drawn;
        if ((i = ld_emp_find(c, m->employee_id)) == NONE || !m->exam_id ||
            ld_exam_find(c, m->exam_id) != NONE || m->n_case_ids > LD_EXAM_MAX)
            return -1;
        uint32_t idx[LD_EXAM_MAX];
        for (size_t k = 0; k < m->n_case_ids; k++)
            if ((idx[k] = ld_case_find(c, m->case_ids[k])) == NONE)
                return -1;
        uint32_t xi = ld_exam_new(c, m->exam_id);
        exam_t *x = &c->exams[xi];
        x->purpose = (uint8_t)m->purpose;
        x->level = (uint8_t)m->level;
        x->n = (uint8_t)m->n_case_ids;
        x->makeup = m->makeup;
        x->emp = i;
        x->drawn_seq = ev->seq;
        x->drawn_ms = ev->at_ms;
        /* §6.6 v2; older logs carry no expiry: never */
        x->expires_ms = m->expires_ms ? m->expires_ms : LD_MAX_MS + 1;
        x->year_start_ms = m->year_start_ms;
        if (m->expires_ms)
            ld_deadline_push(c, x->expires_ms, i, LD_DEADLINE_EXAM);
        memcpy(x->cases, idx, m->n_case_ids * sizeof *idx);
        emp_t *e = &c->emps[i];
        ld_touch_emp(c, i);
        e->open_exam = xi;
        if (m->purpose == LADDER__V1__EXAM_PURPOSE__EXAM_RETENTION)
            e->rt_exam_tries++;
        for (size_t k = 0; k < m->n_case_ids; k++)
            if (!ld_vec_has(&e->examined, idx[k]))
                ld_vec_push(&e->examined, idx[k]);
        return 0;
    }
    case LADDER__V1__EVENT__BODY_EXAM_GRADED: {
        const Ladder__V1__ExamGraded *m = ev->exam_graded;
        uint32_t xi = m->exam_id ? ld_exam_find(c, m->exam_id) : NONE;
        if (xi == NONE || c->exams[xi].graded || c->exams[xi].voided)
            return -1;
        ld_touch_exam(c, xi);
        exam_t *x = &c->exams[xi];
        x->graded = 1;
        x->passed = m->passed;
        x->percent = m->percent;
        x->graded_seq = ev->seq;
        i = x->emp;
        emp_t *e = &c->emps[i];
        ld_touch_emp(c, i);
        if (e->open_exam == xi)
            e->open_exam = NONE;
        if (x->purpose == LADDER__V1__EXAM_PURPOSE__EXAM_RETENTION) {
            e->rt_seq[2 + (x->makeup ? 1 : 0)] = ev->seq;
            e->rt_val[2 + (x->makeup ? 1 : 0)] = (int32_t)m->percent;
            if (m->passed)
                e->rt_flags |= RT_EXAM_PASSED;
            else if (x->makeup)
                e->rt_flags |= RT_EXAM_MAKEUP_FAILED;
        } else if (!m->passed) {
            e->exam_retake_ms = ld_cal_add_days(ev->at_ms, (int)ld_cur_rules(c)->exam_retake_days);
        }
        return 0;
    }
    case LADDER__V1__EVENT__BODY_PROMOTED: {
        const Ladder__V1__Promoted *m = ev->promoted;
        if ((i = ld_emp_find(c, m->employee_id)) == NONE || m->to_level >= LD_LEVELS ||
            m->to_level != c->emps[i].level + 1u)
            return -1;
        ld_add_change(c, i, ev, (int)m->from_level, (int)m->to_level, CH_PROMOTED, m->evidence_seqs,
                   m->n_evidence_seqs);
        {
            change_t *ch = &c->changes[c->g.n_changes - 1];
            ch->exam = m->exam_id ? ld_exam_find(c, m->exam_id) : NONE;
            ch->pct = m->exam_percent;
            for (size_t k = 0; k < m->n_checklist && k < LD_CONDS; k++) {
                const Ladder__V1__ReadinessItem *ri = m->checklist[k];
                ch->conds[ch->n_conds++] = (cond_t){(uint8_t)k, ri->met, 0, ri->have, ri->need, {0}};
            }
        }
        emp_t *e = &c->emps[i];
        ld_touch_emp(c, i);
        ld_boards_remove(c, i);
        e->level = (uint8_t)m->to_level;
        e->level_ms = ev->at_ms;
        e->points_since_level = 0;
        e->exam_retake_ms = 0;
        e->tasks_done &= (uint8_t)~(1u << m->to_level); /* the new level's task is due */
        if (e->appeal == AP_OPEN || e->appeal == AP_PENDING)
            e->appeal = AP_NONE; /* a promotion makes the old demotion moot */
        ld_start_year(c, e, i, ev->at_ms, m->retention_deadline_ms, ev->seq);
        ld_boards_insert(c, i);
        return 0;
    }
    case LADDER__V1__EVENT__BODY_EMPLOYEE_PLACED: {
        const Ladder__V1__EmployeePlaced *m = ev->employee_placed;
        if ((i = ld_emp_find(c, m->employee_id)) == NONE || m->level < 1 || m->level >= LD_LEVELS ||
            (c->emps[i].flags & EF_PLACED) || m->from_level != c->emps[i].level)
            return -1;
        uint32_t reason = ld_intern(c, m->reason ? m->reason : ""), actor = ld_intern(c, ev->actor ? ev->actor : "");
        ld_add_change(c, i, ev, (int)m->from_level, (int)m->level, CH_PLACED, NULL, 0);
        c->changes[c->g.n_changes - 1].text = reason;
        c->changes[c->g.n_changes - 1].actor = actor;
        emp_t *e = &c->emps[i];
        ld_touch_emp(c, i);
        ld_boards_remove(c, i);
        e->flags |= EF_PLACED;
        e->level = (uint8_t)m->level;
        e->level_ms = ev->at_ms;
        e->points_since_level = 0;
        e->exam_retake_ms = 0;
        e->tasks_done &= (uint8_t)~(1u << m->level); /* the level's rules task is due */
        ld_start_year(c, e, i, ev->at_ms, m->retention_deadline_ms, ev->seq);
        ld_boards_insert(c, i);
        return 0;
    }
    case LADDER__V1__EVENT__BODY_EXAM_VOIDED: {
        const Ladder__V1__ExamVoided *m = ev->exam_voided;
        uint32_t xi = m->exam_id ? ld_exam_find(c, m->exam_id) : NONE;
        if (xi == NONE || c->exams[xi].graded || c->exams[xi].voided)
            return -1;
        ld_touch_exam(c, xi);
        exam_t *x = &c->exams[xi];
        x->voided = 1;
        i = x->emp;
        emp_t *e = &c->emps[i];
        ld_touch_emp(c, i);
        if (e->open_exam == xi)
            e->open_exam = NONE;
        /* a void exam counts for nothing: it does not use up the make-up */
        if (x->purpose == LADDER__V1__EXAM_PURPOSE__EXAM_RETENTION &&
            x->year_start_ms == e->year_start_ms && e->rt_exam_tries > 0)
            e->rt_exam_tries--;
        return 0;
    }
    default:
        return -1; /* not of this module: the event table routes it elsewhere */
    }
}
