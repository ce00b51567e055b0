/* library.c — the case library (DOMAIN.md §4) as the people side needs it:
 * accepted cases by level and half (training/test), studies (§6.3), ratings
 * once per user, exam uses and retirement, which feed classicness.
 */
#include <stdio.h>

#include "internal.h"

#define E(x) LADDER__V1__ERROR_CODE__##x
#define R(x) LADDER__V1__ROLE__ROLE_##x

uint32_t library_count(const ld_core_t *c, uint32_t level, int half)
{
    return level < LD_LEVELS && half >= 0 && half < 3 ? c->g.lib_count[level][half] : 0;
}

static int need_live_case(ld_core_t *c, const char *field, const char *id, uint32_t *k)
{
    if (check_id(c, field, id))
        return -1;
    if ((*k = case_find(c, id)) == NONE || !c->cases[*k].accepted)
        return refuse(c, E(ERR_NOT_FOUND), "§4", field, "§4: no case %s in the library", id);
    if (c->cases[*k].retired)
        return refuse(c, E(ERR_REFUSED), "§4", field,
                      "§4: case %s is retired to the history library", id);
    return 0;
}

static int study(ld_core_t *c, const Ladder__V1__StudyCase *m, const ld_ctx_t *ctx, ld_out_t *out)
{
    uint32_t i, k;
    if (need_emp(c, "study_case.employee_id", m->employee_id, &i) ||
        need_role(c, ctx, R(MANAGER), m->employee_id, "§6.3", "record this study") ||
        need_live_case(c, "study_case.case_id", m->case_id, &k))
        return -1;
    Ladder__V1__Event *ev = emit(c, out, ctx, "case", m->case_id, LADDER__V1__EVENT__BODY_CASE_STUDIED, 0);
    Ladder__V1__CaseStudied *b = body_new(out, &ladder__v1__case_studied__descriptor);
    b->case_id = ostr(out, m->case_id);
    b->employee_id = ostr(out, m->employee_id);
    ev->case_studied = b;
    return apply(c, ev);
}

static int rate(ld_core_t *c, const Ladder__V1__RateCase *m, const ld_ctx_t *ctx, ld_out_t *out)
{
    uint32_t i, k;
    if (need_emp(c, "rate_case.employee_id", m->employee_id, &i) ||
        need_role(c, ctx, 0, m->employee_id, "§4", "rate on behalf of another employee") ||
        need_live_case(c, "rate_case.case_id", m->case_id, &k))
        return -1;
    if (m->rating < LADDER__V1__RATING__RATING_EXCELLENT || m->rating > LADDER__V1__RATING__RATING_POOR)
        return refuse(c, E(ERR_INVALID), "§4", "rate_case.rating",
                      "§4: rating must be excellent, average or poor");
    if (pairset_get(&c->pairs[PS_RATED], k, i, NULL))
        return refuse(c, E(ERR_DUPLICATE), "§4", "rate_case.case_id",
                      "§4: %s already rated case %s; each user rates a case once", m->employee_id,
                      m->case_id);
    Ladder__V1__Event *ev = emit(c, out, ctx, "case", m->case_id, LADDER__V1__EVENT__BODY_CASE_RATED, 0);
    Ladder__V1__CaseRated *b = body_new(out, &ladder__v1__case_rated__descriptor);
    b->case_id = ostr(out, m->case_id);
    b->employee_id = ostr(out, m->employee_id);
    b->rating = m->rating;
    ev->case_rated = b;
    return apply(c, ev);
}

int library_decide(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx, ld_out_t *out)
{
    switch (cmd->cmd_case) {
    case LADDER__V1__COMMAND__CMD_STUDY_CASE: return study(c, cmd->study_case, ctx, out);
    case LADDER__V1__COMMAND__CMD_RATE_CASE: return rate(c, cmd->rate_case, ctx, out);
    default: return 1;
    }
}

int library_evolve(ld_core_t *c, const Ladder__V1__Event *ev)
{
    uint32_t k, i;
    switch (ev->body_case) {
    case LADDER__V1__EVENT__BODY_CASE_ACCEPTED: {
        const Ladder__V1__CaseAccepted *m = ev->case_accepted;
        if (!m->case_id || !*m->case_id || strlen(m->case_id) > LD_ID_MAX || m->level < 1 ||
            m->level >= LD_LEVELS || (m->half != LADDER__V1__HALF__HALF_TRAINING &&
                                      m->half != LADDER__V1__HALF__HALF_TEST))
            return -1;
        uint32_t cat = intern(c, m->category ? m->category : "");
        k = case_find(c, m->case_id);
        if (k == NONE)
            k = case_new(c, m->case_id);
        case_t *cs = &c->cases[k];
        touch_case(c, k);
        touch_globals(c);
        if (cs->accepted && !cs->retired)
            c->g.lib_count[cs->level][cs->half]--;
        cs->accepted = 1;
        cs->retired = 0;
        cs->level = (uint8_t)m->level;
        cs->half = (uint8_t)m->half;
        cs->category = cat;
        cs->stable_ms = m->stable_ms ? m->stable_ms : ev->at_ms;
        cs->accepted_seq = ev->seq;
        c->g.lib_count[cs->level][cs->half]++;
        return 0;
    }
    case LADDER__V1__EVENT__BODY_CASE_RETIRED:
        if ((k = case_find(c, ev->case_retired->case_id)) == NONE || !c->cases[k].accepted ||
            c->cases[k].retired)
            return -1;
        touch_case(c, k);
        touch_globals(c);
        c->cases[k].retired = 1;
        c->g.lib_count[c->cases[k].level][c->cases[k].half]--;
        return 0;
    case LADDER__V1__EVENT__BODY_CASE_STUDIED:
        if ((k = case_find(c, ev->case_studied->case_id)) == NONE ||
            (i = emp_find(c, ev->case_studied->employee_id)) == NONE)
            return -1;
        touch_case(c, k);
        c->cases[k].studies++;
        if (!vec_has(&c->emps[i].studied, k)) {
            touch_emp(c, i);
            vec_push(&c->emps[i].studied, k);
        }
        return 0;
    case LADDER__V1__EVENT__BODY_CASE_RATED: {
        const Ladder__V1__CaseRated *m = ev->case_rated;
        if ((k = case_find(c, m->case_id)) == NONE || (i = emp_find(c, m->employee_id)) == NONE ||
            pairset_get(&c->pairs[PS_RATED], k, i, NULL))
            return -1;
        touch_case(c, k);
        case_t *cs = &c->cases[k];
        if (m->rating == LADDER__V1__RATING__RATING_EXCELLENT)
            cs->excellent++;
        else if (m->rating == LADDER__V1__RATING__RATING_POOR)
            cs->poor++;
        else
            cs->average++;
        pair_add(c, PS_RATED, k, i, (uint32_t)m->rating);
        return 0;
    }
    case LADDER__V1__EVENT__BODY_CASE_USED_IN_EXAM:
        if ((k = case_find(c, ev->case_used_in_exam->case_id)) == NONE)
            return -1;
        touch_case(c, k);
        c->cases[k].exam_uses++;
        return 0;
    default:
        return 1;
    }
}
