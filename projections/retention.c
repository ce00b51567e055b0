/* retention.c — keeping a level (DOMAIN.md §7): the retention year closes
 * 12 calendar months after it opened and decides kept or demoted, naming
 * every unmet condition; a demotion may be appealed within the window, and
 * an overturn restores the level with a fresh year.
 */
#include <stdio.h>

#include "internal.h"

#define E(x) LADDER__V1__ERROR_CODE__##x
#define R(x) LADDER__V1__ROLE__ROLE_##x

static char *when(char buf[CAL_FMT_LEN], const ld_core_t *c, int64_t ms)
{
    return cal_format(buf, ms, cur_rules(c)->utc_offset_min);
}

static int close_year(ld_core_t *c, const Ladder__V1__CloseRetentionYear *m, const ld_ctx_t *ctx,
                      ld_out_t *out)
{
    char tbuf[CAL_FMT_LEN];
    const ld_rules_t *r = cur_rules(c);
    uint32_t i;
    if (need_role(c, ctx, R(SYSTEM) | R(MANAGER), NULL, "§7", "close retention years") ||
        need_emp(c, "close_retention_year.employee_id", m->employee_id, &i))
        return -1;
    const emp_t *e = &c->emps[i];
    if (e->level < 1 || !e->year_end_ms)
        return refuse(c, E(ERR_REFUSED), "§7", "close_retention_year.employee_id",
                      "§7: %s is at level 0, which has no retention", e->id);
    if (ctx->now_ms < e->year_end_ms)
        return refuse(c, E(ERR_REFUSED), "§7", "close_retention_year.employee_id",
                      "§7: the retention year of %s closes at %s", e->id, when(tbuf, c, e->year_end_ms));

    Ladder__V1__RetentionGap gaps[5];
    size_t ng = 0;
    char expl[600] = "";
    size_t len = 0;
#define SAY(...) (len += (size_t)snprintf(expl + len, len < sizeof expl ? sizeof expl - len : 0, __VA_ARGS__))
    if (!(e->rt_flags & RT_QUERY_PASSED)) {
        gaps[ng++] = LADDER__V1__RETENTION_GAP__GAP_QUERY_TEST;
        SAY("%sno qualifying query test in the re-test window%s", len ? "; " : "",
            e->rt_flags & RT_QUERY_MAKEUP_FAILED ? " (make-up failed)" : "");
    }
    if (!(e->rt_flags & RT_EXAM_PASSED)) {
        gaps[ng++] = LADDER__V1__RETENTION_GAP__GAP_EXAM;
        SAY("%sno passed skill exam in the re-test window%s", len ? "; " : "",
            e->rt_flags & RT_EXAM_MAKEUP_FAILED ? " (make-up failed)" : "");
    }
    if (e->rt_flags & (RT_QUERY_MAKEUP_FAILED | RT_EXAM_MAKEUP_FAILED))
        gaps[ng++] = LADDER__V1__RETENTION_GAP__GAP_MAKEUP_FAILED;
    if (e->points_in_year < r->retention_points) {
        gaps[ng++] = LADDER__V1__RETENTION_GAP__GAP_POINTS;
        SAY("%s%lld points in the year, needs %lld", len ? "; " : "",
            (long long)e->points_in_year, (long long)r->retention_points);
    }
    uint32_t need_app = r->retention_apprentices[e->level];
    if (e->credited_in_year < need_app) {
        gaps[ng++] = LADDER__V1__RETENTION_GAP__GAP_APPRENTICES;
        SAY("%s%u apprentice%s brought out in the year, needs %u", len ? "; " : "",
            e->credited_in_year, e->credited_in_year == 1 ? "" : "s", need_app);
    }
#undef SAY
    bool kept = ng == 0;
    uint32_t new_level = kept ? e->level : e->level - 1u;
    char full[700];
    if (kept)
        snprintf(full, sizeof full, "§7: level %u kept", e->level);
    else
        snprintf(full, sizeof full, "§7: demoted from %u to %u: %s", e->level, new_level, expl);

    Ladder__V1__Event *ev = emit(c, out, ctx, "emp", e->id,
                                 LADDER__V1__EVENT__BODY_RETENTION_YEAR_CLOSED, 0);
    Ladder__V1__RetentionYearClosed *b = body_new(out, &ladder__v1__retention_year_closed__descriptor);
    b->employee_id = ostr(out, e->id);
    b->level = e->level;
    b->kept = kept;
    b->new_level = new_level;
    b->n_gaps = ng;
    b->gaps = arena_alloc(&out->arena, (ng ? ng : 1) * sizeof *b->gaps);
    memcpy(b->gaps, gaps, ng * sizeof *gaps);
    b->explanation = ostr(out, full);
    b->year_start_ms = e->year_start_ms;
    b->year_end_ms = e->year_end_ms;
    b->points_in_year = e->points_in_year;
    b->apprentices_in_year = e->credited_in_year;
    /* the next year opens where this one closed (no drift with late closes) */
    b->next_deadline_ms = new_level >= 1 ? cal_add_months(e->year_end_ms, (int)r->year_months,
                                                          r->utc_offset_min)
                                         : 0;
    b->appeal_deadline_ms = kept ? 0 : cal_add_days(ctx->now_ms, (int)r->appeal_days);
    ev->retention_year_closed = b;
    return apply(c, ev);
}

static int appeal(ld_core_t *c, const Ladder__V1__Appeal *m, const ld_ctx_t *ctx, ld_out_t *out)
{
    char tbuf[CAL_FMT_LEN];
    uint32_t i;
    if (need_emp(c, "appeal.employee_id", m->employee_id, &i) ||
        need_role(c, ctx, R(MANAGER), m->employee_id, "§7", "appeal for this employee") ||
        check_text(c, "appeal.reason", m->reason, true))
        return -1;
    const emp_t *e = &c->emps[i];
    if (e->appeal == AP_PENDING)
        return refuse(c, E(ERR_DUPLICATE), "§7", "appeal.employee_id",
                      "§7: %s already appealed; a manager has yet to decide", e->id);
    if (e->appeal != AP_OPEN)
        return refuse(c, E(ERR_REFUSED), "§7", "appeal.employee_id",
                      "§7: %s has no demotion open to appeal", e->id);
    if (ctx->now_ms >= e->appeal_deadline_ms)
        return refuse(c, E(ERR_REFUSED), "§7", "appeal.employee_id",
                      "§7: the appeal window closed at %s", when(tbuf, c, e->appeal_deadline_ms));
    Ladder__V1__Event *ev = emit(c, out, ctx, "emp", e->id,
                                 LADDER__V1__EVENT__BODY_DEMOTION_APPEALED, 0);
    Ladder__V1__DemotionAppealed *b = body_new(out, &ladder__v1__demotion_appealed__descriptor);
    b->employee_id = ostr(out, e->id);
    b->demotion_seq = e->demotion_seq;
    b->reason = ostr(out, m->reason);
    ev->demotion_appealed = b;
    return apply(c, ev);
}

static int decide_appeal(ld_core_t *c, const Ladder__V1__DecideAppeal *m, const ld_ctx_t *ctx,
                         ld_out_t *out)
{
    const ld_rules_t *r = cur_rules(c);
    uint32_t i;
    if (need_role(c, ctx, R(MANAGER), NULL, "§7", "decide appeals") ||
        need_emp(c, "decide_appeal.employee_id", m->employee_id, &i) ||
        check_text(c, "decide_appeal.reason", m->reason, true))
        return -1;
    const emp_t *e = &c->emps[i];
    if (e->appeal != AP_PENDING)
        return refuse(c, E(ERR_REFUSED), "§7", "decide_appeal.employee_id",
                      "§7: %s has no appeal pending", e->id);
    Ladder__V1__Event *ev = emit(c, out, ctx, "emp", e->id,
                                 LADDER__V1__EVENT__BODY_APPEAL_DECIDED, 0);
    Ladder__V1__AppealDecided *b = body_new(out, &ladder__v1__appeal_decided__descriptor);
    b->employee_id = ostr(out, e->id);
    b->overturned = m->overturn;
    b->reason = ostr(out, m->reason);
    if (m->overturn) {
        b->restored_level = e->level + 1u;
        b->retention_deadline_ms = cal_add_months(ctx->now_ms, (int)r->year_months, r->utc_offset_min);
    }
    ev->appeal_decided = b;
    return apply(c, ev);
}

static int expire_appeal(ld_core_t *c, const Ladder__V1__ExpireAppeal *m, const ld_ctx_t *ctx,
                         ld_out_t *out)
{
    char tbuf[CAL_FMT_LEN];
    uint32_t i;
    if (need_role(c, ctx, R(SYSTEM) | R(MANAGER), NULL, "§7", "close appeal windows") ||
        need_emp(c, "expire_appeal.employee_id", m->employee_id, &i))
        return -1;
    const emp_t *e = &c->emps[i];
    if (e->appeal != AP_OPEN)
        return refuse(c, E(ERR_REFUSED), "§7", "expire_appeal.employee_id",
                      "§7: %s has no open appeal window", e->id);
    if (ctx->now_ms < e->appeal_deadline_ms)
        return refuse(c, E(ERR_REFUSED), "§7", "expire_appeal.employee_id",
                      "§7: the appeal window of %s is open until %s", e->id,
                      when(tbuf, c, e->appeal_deadline_ms));
    Ladder__V1__Event *ev = emit(c, out, ctx, "emp", e->id, LADDER__V1__EVENT__BODY_APPEAL_EXPIRED, 0);
    Ladder__V1__AppealExpired *b = body_new(out, &ladder__v1__appeal_expired__descriptor);
    b->employee_id = ostr(out, e->id);
    b->demotion_seq = e->demotion_seq;
    ev->appeal_expired = b;
    return apply(c, ev);
}

int retention_decide(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
                     ld_out_t *out)
{
    switch (cmd->cmd_case) {
    case LADDER__V1__COMMAND__CMD_CLOSE_RETENTION_YEAR:
        return close_year(c, cmd->close_retention_year, ctx, out);
    case LADDER__V1__COMMAND__CMD_APPEAL: return appeal(c, cmd->appeal, ctx, out);
    case LADDER__V1__COMMAND__CMD_DECIDE_APPEAL: return decide_appeal(c, cmd->decide_appeal, ctx, out);
    case LADDER__V1__COMMAND__CMD_EXPIRE_APPEAL: return expire_appeal(c, cmd->expire_appeal, ctx, out);
    default: return 1;
    }
}

int retention_evolve(ld_core_t *c, const Ladder__V1__Event *ev)
{
    uint32_t i;
    switch (ev->body_case) {
    case LADDER__V1__EVENT__BODY_RETENTION_YEAR_CLOSED: {
        const Ladder__V1__RetentionYearClosed *m = ev->retention_year_closed;
        if ((i = emp_find(c, m->employee_id)) == NONE || c->emps[i].level != m->level ||
            m->level < 1 || (!m->kept && m->new_level + 1 != m->level))
            return -1;
        if (!m->kept) {
            /* the close itself names the gaps; the latest query test is the fact */
            uint64_t evidence[1] = {c->emps[i].qt_seq};
            add_change(c, i, ev, (int)m->level, (int)m->new_level, CH_DEMOTED, evidence,
                       evidence[0] ? 1 : 0);
        }
        emp_t *e = &c->emps[i];
        touch_emp(c, i);
        boards_remove(c, i);
        if (!m->kept) {
            e->level = (uint8_t)m->new_level;
            e->level_ms = ev->at_ms;
            e->points_since_level = 0;
            e->appeal = AP_OPEN;
            e->appeal_deadline_ms = m->appeal_deadline_ms;
            e->demotion_seq = ev->seq;
            deadline_push(c, e->appeal_deadline_ms, i, LD_DEADLINE_APPEAL);
        }
        start_year(c, e, i, m->year_end_ms, m->next_deadline_ms);
        boards_insert(c, i);
        return 0;
    }
    case LADDER__V1__EVENT__BODY_DEMOTION_APPEALED:
        if ((i = emp_find(c, ev->demotion_appealed->employee_id)) == NONE ||
            c->emps[i].appeal != AP_OPEN)
            return -1;
        touch_emp(c, i);
        c->emps[i].appeal = AP_PENDING;
        return 0;
    case LADDER__V1__EVENT__BODY_APPEAL_DECIDED: {
        const Ladder__V1__AppealDecided *m = ev->appeal_decided;
        if ((i = emp_find(c, m->employee_id)) == NONE || c->emps[i].appeal != AP_PENDING)
            return -1;
        if (m->overturned) {
            if (m->restored_level != c->emps[i].level + 1u || m->restored_level >= LD_LEVELS)
                return -1;
            uint64_t evidence[2] = {c->emps[i].demotion_seq, ev->seq};
            add_change(c, i, ev, c->emps[i].level, (int)m->restored_level, CH_RESTORED, evidence, 2);
        }
        emp_t *e = &c->emps[i];
        touch_emp(c, i);
        boards_remove(c, i);
        e->appeal = m->overturned ? AP_OVERTURNED : AP_UPHELD;
        if (m->overturned) {
            e->level = (uint8_t)m->restored_level;
            e->level_ms = ev->at_ms;
            e->points_since_level = 0;
            start_year(c, e, i, ev->at_ms, m->retention_deadline_ms);
        }
        boards_insert(c, i);
        return 0;
    }
    case LADDER__V1__EVENT__BODY_APPEAL_EXPIRED:
        if ((i = emp_find(c, ev->appeal_expired->employee_id)) == NONE ||
            c->emps[i].appeal != AP_OPEN)
            return -1;
        touch_emp(c, i);
        c->emps[i].appeal = AP_EXPIRED;
        return 0;
    default:
        return 1;
    }
}
