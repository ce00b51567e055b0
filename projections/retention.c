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
    return ld_cal_format(buf, ms, ld_cur_rules(c)->utc_offset_min);
}

/* §7 / §11 v2: the conditions of a retention year, each with its numbers and
 * evidence seqs, built into the event body. */
typedef struct {
    Ladder__V1__UnmetCondition *v[6];
    size_t n;
    char expl[900];
    size_t len;
} conds_t;

static void cond_add(conds_t *k, ld_out_t *out, int gap, int64_t have, int64_t need,
                     const uint64_t *ev, size_t nev, const char *text)
{
    Ladder__V1__UnmetCondition *u = ld_body_new(out, &ladder__v1__unmet_condition__descriptor);
    u->gap = (Ladder__V1__RetentionGap)gap;
    u->section = ld_ostr(out, "§7");
    u->have = have;
    u->need = need;
    u->evidence_seqs = ld_arena_alloc(&out->arena, (nev + 1) * sizeof *u->evidence_seqs);
    for (size_t j = 0; j < nev; j++)
        if (ev[j])
            u->evidence_seqs[u->n_evidence_seqs++] = ev[j];
    char full[400];
    size_t fl = (size_t)snprintf(full, sizeof full, "%s", text);
    for (size_t j = 0; j < u->n_evidence_seqs && fl < sizeof full; j++)
        fl += (size_t)snprintf(full + fl, sizeof full - fl, "%s%llu", j ? ", " : " (evidence seqs ",
                               (unsigned long long)u->evidence_seqs[j]);
    if (u->n_evidence_seqs && fl < sizeof full)
        snprintf(full + fl, sizeof full - fl, ")");
    u->text = ld_ostr(out, full);
    k->v[k->n++] = u;
    k->len += (size_t)snprintf(k->expl + k->len, k->len < sizeof k->expl ? sizeof k->expl - k->len : 0,
                               "%s%s", k->len ? "; " : "", full);
}

static void fmt_s(char *b, size_t n, int64_t ms)
{
    snprintf(b, n, "%lld.%03lld s", (long long)(ms / 1000), (long long)(ms % 1000));
}

static void query_cond(conds_t *k, ld_out_t *out, const ld_rules_t *r, const emp_t *e, bool makeup)
{
    char t[240], a[32], b[32], nd[32];
    int64_t need = ld_band_need(r, e->level);
    fmt_s(a, sizeof a, e->rt_val[0]);
    fmt_s(b, sizeof b, e->rt_val[1]);
    fmt_s(nd, sizeof nd, need);
    int n = (e->rt_seq[0] != 0) + (e->rt_seq[1] != 0);
    if (n == 0)
        snprintf(t, sizeof t, "no query test in the re-test window; needs one below %s", nd);
    else if (n == 1)
        snprintf(t, sizeof t, "query test %s in the re-test window, needs below %s", a, nd);
    else
        snprintf(t, sizeof t, "query tests %s and %s (make-up) in the re-test window, %s below %s",
                 a, b, makeup ? "make-up failed: needs" : "needs", nd);
    cond_add(k, out, makeup ? LADDER__V1__RETENTION_GAP__GAP_MAKEUP_FAILED
                            : LADDER__V1__RETENTION_GAP__GAP_QUERY_TEST,
             n ? e->rt_val[n - 1] : 0, need, e->rt_seq, 2, t);
}

static void exam_cond(conds_t *k, ld_out_t *out, const ld_rules_t *r, const emp_t *e, bool makeup)
{
    char t[240];
    int n = (e->rt_seq[2] != 0) + (e->rt_seq[3] != 0);
    if (n == 0)
        snprintf(t, sizeof t, "no skill exam passed in the re-test window; needs %u %%",
                 r->exam_pass_pct);
    else if (n == 1)
        snprintf(t, sizeof t, "skill exam %lld %% in the re-test window, needs %u %%",
                 (long long)e->rt_val[2], r->exam_pass_pct);
    else
        snprintf(t, sizeof t, "skill exams %lld %% and %lld %% (make-up)%s, needs %u %%",
                 (long long)e->rt_val[2], (long long)e->rt_val[3],
                 makeup ? ": make-up failed" : "", r->exam_pass_pct);
    cond_add(k, out, makeup ? LADDER__V1__RETENTION_GAP__GAP_MAKEUP_FAILED
                            : LADDER__V1__RETENTION_GAP__GAP_EXAM,
             n ? e->rt_val[2 + n - 1] : 0, r->exam_pass_pct, e->rt_seq + 2, 2, t);
}

/* Fills the body common to a close and a demotion at once. */
static Ladder__V1__RetentionYearClosed *close_body(ld_core_t *c, ld_out_t *out, const emp_t *e,
                                                   conds_t *k, bool waived, bool at_once,
                                                   int64_t now)
{
    const ld_rules_t *r = ld_cur_rules(c);
    bool kept = k->n == 0;
    uint32_t new_level = kept ? e->level : e->level - 1u;
    char full[1100];
    if (kept)
        snprintf(full, sizeof full, "§7: level %u kept%s", e->level,
                 waived ? "; the skill exam was waived: the level's test half held fewer cases "
                          "than an exam needs" : "");
    else
        snprintf(full, sizeof full, "§7: demoted from %u to %u%s: %s%s", e->level, new_level,
                 at_once ? " at once (failed make-up)" : "", k->expl,
                 waived ? "; the skill exam was waived (too few test cases)" : "");
    Ladder__V1__RetentionYearClosed *b = ld_body_new(out, &ladder__v1__retention_year_closed__descriptor);
    b->employee_id = ld_ostr(out, e->id);
    b->level = e->level;
    b->kept = kept;
    b->new_level = new_level;
    b->n_gaps = k->n;
    b->gaps = ld_arena_alloc(&out->arena, (k->n + 1) * sizeof *b->gaps);
    b->n_conditions = k->n;
    b->conditions = ld_arena_alloc(&out->arena, (k->n + 1) * sizeof *b->conditions);
    for (size_t j = 0; j < k->n; j++) {
        b->gaps[j] = k->v[j]->gap;
        b->conditions[j] = k->v[j];
    }
    b->explanation = ld_ostr(out, full);
    b->exam_waived = waived;
    b->at_once = at_once;
    b->year_start_ms = e->year_start_ms;
    b->year_end_ms = at_once ? now : e->year_end_ms;
    b->points_in_year = e->points_in_year;
    b->apprentices_in_year = e->credited_in_year;
    /* the next year opens where this one closed (no drift with late closes) */
    b->next_deadline_ms = new_level >= 1 ? ld_cal_add_months(b->year_end_ms, (int)r->year_months,
                                                          r->utc_offset_min)
                                         : 0;
    b->appeal_deadline_ms = kept ? 0 : ld_cal_add_days(now, (int)r->appeal_days);
    return b;
}

int ld_decide_close_retention_year(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
                                   ld_out_t *out)
{
    const Ladder__V1__CloseRetentionYear *m = cmd->close_retention_year;
    char tbuf[CAL_FMT_LEN];
    const ld_rules_t *r = ld_cur_rules(c);
    uint32_t i;
    if (ld_need_emp(c, "close_retention_year.employee_id", m->employee_id, &i))
        return -1;
    const emp_t *e = &c->emps[i];
    if (e->level < 1 || !e->year_end_ms)
        return ld_refuse(c, E(ERR_REFUSED), "§7", "close_retention_year.employee_id",
                      "§7: %s is at level 0, which has no retention", e->id);
    if (ctx->now_ms < e->year_end_ms)
        return ld_refuse(c, E(ERR_REFUSED), "§7", "close_retention_year.employee_id",
                      "§7: the retention year of %s closes at %s", e->id, when(tbuf, c, e->year_end_ms));

    conds_t k = {.n = 0};
    bool waived = false;
    if (!(e->rt_flags & RT_QUERY_PASSED))
        query_cond(&k, out, r, e, false);
    if (!(e->rt_flags & RT_EXAM_PASSED)) {
        /* §7 v2: nobody is demoted for an exam the system could not set */
        uint32_t pool = c->g.lib_count[e->level][LADDER__V1__HALF__HALF_TEST];
        if (pool < r->exam_size && !(e->rt_flags & RT_EXAM_MAKEUP_FAILED))
            waived = true;
        else
            exam_cond(&k, out, r, e, false);
    }
    if (e->points_in_year < r->retention_points) {
        char t[160];
        snprintf(t, sizeof t, "%lld points in the year, needs %lld", (long long)e->points_in_year,
                 (long long)r->retention_points);
        uint64_t ev[2] = {e->year_seq, e->pts_seq > e->year_seq ? e->pts_seq : 0};
        cond_add(&k, out, LADDER__V1__RETENTION_GAP__GAP_POINTS, e->points_in_year,
                 r->retention_points, ev, 2, t);
    }
    uint32_t need_app = r->retention_apprentices[e->level];
    if (e->credited_in_year < need_app) {
        char t[160];
        snprintf(t, sizeof t, "%u apprentice%s brought out in the year, needs %u", e->credited_in_year,
                 e->credited_in_year == 1 ? "" : "s", need_app);
        uint64_t ev[2] = {e->year_seq, e->credit_seq > e->year_seq ? e->credit_seq : 0};
        cond_add(&k, out, LADDER__V1__RETENTION_GAP__GAP_APPRENTICES, e->credited_in_year, need_app,
                 ev, 2, t);
    }
    bool kept = k.n == 0;
    bool retest_open = e->open_exam != NONE &&
                       c->exams[e->open_exam].purpose == LADDER__V1__EXAM_PURPOSE__EXAM_RETENTION;
    Ladder__V1__Event *ev = ld_emit(c, out, ctx, "emp", e->id,
                                 LADDER__V1__EVENT__BODY_RETENTION_YEAR_CLOSED, 0);
    ev->retention_year_closed = close_body(c, out, e, &k, waived, false, ctx->now_ms);
    if (ld_apply(c, ev))
        return -1;
    /* §6.6 v2: a re-test exam is void when its year closes; any exam when the level changes */
    if (retest_open)
        return ld_void_open_exam(c, out, ctx, i, LADDER__V1__VOID_CAUSE__VOID_YEAR_CLOSED,
                              "§6.6: its retention year closed", ev->seq);
    if (!kept)
        return ld_void_open_exam(c, out, ctx, i, LADDER__V1__VOID_CAUSE__VOID_LEVEL_CHANGED,
                              "§6.6: the level changed (demotion)", ev->seq);
    return 0;
}

int ld_demote_at_once(ld_core_t *c, ld_out_t *out, const ld_ctx_t *ctx, uint32_t i, uint64_t fact_seq,
                   int gap)
{
    const ld_rules_t *r = ld_cur_rules(c);
    const emp_t *e = &c->emps[i];
    conds_t k = {.n = 0};
    if (gap == LADDER__V1__RETENTION_GAP__GAP_QUERY_TEST)
        query_cond(&k, out, r, e, true);
    else
        exam_cond(&k, out, r, e, true);
    Ladder__V1__Event *ev = ld_emit(c, out, ctx, "emp", e->id,
                                 LADDER__V1__EVENT__BODY_RETENTION_YEAR_CLOSED, fact_seq);
    ev->retention_year_closed = close_body(c, out, e, &k, false, true, ctx->now_ms);
    if (ld_apply(c, ev))
        return -1;
    return ld_void_open_exam(c, out, ctx, i, LADDER__V1__VOID_CAUSE__VOID_LEVEL_CHANGED,
                          "§6.6: the level changed (demotion)", ev->seq);
}

/* §7 v2: a manager extends the re-test window of the current year once, by up to
 * retention.extension_max_days, with a reason (leave, sickness). */
int ld_decide_extend_retention_window(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
                                      ld_out_t *out)
{
    const Ladder__V1__ExtendRetentionWindow *m = cmd->extend_retention_window;
    char tbuf[CAL_FMT_LEN];
    const ld_rules_t *r = ld_cur_rules(c);
    uint32_t i;
    if (ld_need_emp(c, "extend_retention_window.employee_id", m->employee_id, &i) ||
        ld_check_text(c, "extend_retention_window.reason", m->reason, true))
        return -1;
    const emp_t *e = &c->emps[i];
    if (m->days < 1 || m->days > r->extension_max_days)
        return ld_refuse(c, E(ERR_INVALID), "§7", "extend_retention_window.days",
                      "§7: a window is extended by 1 to %u days, not %u", r->extension_max_days,
                      m->days);
    if (e->level < 1 || !e->year_end_ms)
        return ld_refuse(c, E(ERR_REFUSED), "§7", "extend_retention_window.employee_id",
                      "§7: %s is at level 0, which has no retention", e->id);
    if (ctx->now_ms >= e->year_end_ms)
        return ld_refuse(c, E(ERR_REFUSED), "§7", "extend_retention_window.employee_id",
                      "§7: the retention year of %s closed at %s", e->id,
                      when(tbuf, c, e->year_end_ms));
    if (e->rt_flags & RT_EXTENDED)
        return ld_refuse(c, E(ERR_DUPLICATE), "§7", "extend_retention_window.employee_id",
                      "§7: the window of this year of %s was already extended (once per year)",
                      e->id);
    Ladder__V1__Event *ev = ld_emit(c, out, ctx, "emp", e->id,
                                 LADDER__V1__EVENT__BODY_RETENTION_WINDOW_EXTENDED, 0);
    Ladder__V1__RetentionWindowExtended *b =
        ld_body_new(out, &ladder__v1__retention_window_extended__descriptor);
    b->employee_id = ld_ostr(out, e->id);
    b->days = m->days;
    b->reason = ld_ostr(out, m->reason);
    b->year_end_ms = ld_cal_add_days(e->year_end_ms, (int)m->days);
    ev->retention_window_extended = b;
    return ld_apply(c, ev);
}

int ld_decide_appeal(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
                     ld_out_t *out)
{
    const Ladder__V1__Appeal *m = cmd->appeal;
    char tbuf[CAL_FMT_LEN];
    uint32_t i;
    if (ld_need_emp(c, "appeal.employee_id", m->employee_id, &i) ||
        ld_check_text(c, "appeal.reason", m->reason, true))
        return -1;
    const emp_t *e = &c->emps[i];
    if (e->appeal == AP_PENDING)
        return ld_refuse(c, E(ERR_DUPLICATE), "§7", "appeal.employee_id",
                      "§7: %s already appealed; a manager has yet to decide", e->id);
    if (e->appeal != AP_OPEN)
        return ld_refuse(c, E(ERR_REFUSED), "§7", "appeal.employee_id",
                      "§7: %s has no demotion open to appeal", e->id);
    if (ctx->now_ms >= e->appeal_deadline_ms)
        return ld_refuse(c, E(ERR_REFUSED), "§7", "appeal.employee_id",
                      "§7: the appeal window closed at %s", when(tbuf, c, e->appeal_deadline_ms));
    Ladder__V1__Event *ev = ld_emit(c, out, ctx, "emp", e->id,
                                 LADDER__V1__EVENT__BODY_DEMOTION_APPEALED, 0);
    Ladder__V1__DemotionAppealed *b = ld_body_new(out, &ladder__v1__demotion_appealed__descriptor);
    b->employee_id = ld_ostr(out, e->id);
    b->demotion_seq = e->demotion_seq;
    b->reason = ld_ostr(out, m->reason);
    ev->demotion_appealed = b;
    return ld_apply(c, ev);
}

int ld_decide_decide_appeal(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
                            ld_out_t *out)
{
    const Ladder__V1__DecideAppeal *m = cmd->decide_appeal;
    const ld_rules_t *r = ld_cur_rules(c);
    uint32_t i;
    if (ld_need_emp(c, "decide_appeal.employee_id", m->employee_id, &i) ||
        ld_check_text(c, "decide_appeal.reason", m->reason, true))
        return -1;
    const emp_t *e = &c->emps[i];
    if (e->appeal != AP_PENDING)
        return ld_refuse(c, E(ERR_REFUSED), "§7", "decide_appeal.employee_id",
                      "§7: %s has no appeal pending", e->id);
    /* §7 v2: the decider is a manager or chair other than the appellant */
    const char *who = ctx->principal ? ctx->principal : "";
    if (!strcmp(who, e->id) || (e->appellant && !strcmp(who, c->strings[e->appellant])))
        return ld_refuse(c, E(ERR_FORBIDDEN), "§7", "decide_appeal.employee_id",
                      "§7: %s appealed (or is appealed for) and cannot decide the appeal; "
                      "another manager or chair decides", who);
    Ladder__V1__Event *ev = ld_emit(c, out, ctx, "emp", e->id,
                                 LADDER__V1__EVENT__BODY_APPEAL_DECIDED, 0);
    Ladder__V1__AppealDecided *b = ld_body_new(out, &ladder__v1__appeal_decided__descriptor);
    b->employee_id = ld_ostr(out, e->id);
    b->overturned = m->overturn;
    b->reason = ld_ostr(out, m->reason);
    if (m->overturn) {
        b->restored_level = e->level + 1u;
        b->retention_deadline_ms = ld_cal_add_months(ctx->now_ms, (int)r->year_months, r->utc_offset_min);
    }
    ev->appeal_decided = b;
    if (ld_apply(c, ev))
        return -1;
    return m->overturn ? ld_void_open_exam(c, out, ctx, i, LADDER__V1__VOID_CAUSE__VOID_LEVEL_CHANGED,
                                        "§6.6: the level changed (appeal overturned)", ev->seq)
                       : 0;
}

int ld_decide_expire_appeal(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
                            ld_out_t *out)
{
    const Ladder__V1__ExpireAppeal *m = cmd->expire_appeal;
    char tbuf[CAL_FMT_LEN];
    uint32_t i;
    if (ld_need_emp(c, "expire_appeal.employee_id", m->employee_id, &i))
        return -1;
    const emp_t *e = &c->emps[i];
    if (e->appeal != AP_OPEN)
        return ld_refuse(c, E(ERR_REFUSED), "§7", "expire_appeal.employee_id",
                      "§7: %s has no open appeal window", e->id);
    if (ctx->now_ms < e->appeal_deadline_ms)
        return ld_refuse(c, E(ERR_REFUSED), "§7", "expire_appeal.employee_id",
                      "§7: the appeal window of %s is open until %s", e->id,
                      when(tbuf, c, e->appeal_deadline_ms));
    Ladder__V1__Event *ev = ld_emit(c, out, ctx, "emp", e->id, LADDER__V1__EVENT__BODY_APPEAL_EXPIRED, 0);
    Ladder__V1__AppealExpired *b = ld_body_new(out, &ladder__v1__appeal_expired__descriptor);
    b->employee_id = ld_ostr(out, e->id);
    b->demotion_seq = e->demotion_seq;
    ev->appeal_expired = b;
    return ld_apply(c, ev);
}

int ld_retention_evolve(ld_core_t *c, const Ladder__V1__Event *ev)
{
    uint32_t i;
    switch (ev->body_case) {
    case LADDER__V1__EVENT__BODY_RETENTION_YEAR_CLOSED: {
        const Ladder__V1__RetentionYearClosed *m = ev->retention_year_closed;
        if ((i = ld_emp_find(c, m->employee_id)) == NONE || c->emps[i].level != m->level ||
            m->level < 1 || (!m->kept && m->new_level + 1 != m->level))
            return -1;
        if (!m->kept) {
            /* §11 v2: the change keeps every unmet condition and its evidence;
             * before v2 (no conditions) the latest query test is the fact */
            uint64_t evidence[6];
            size_t ne = 0;
            for (size_t k = 0; k < m->n_conditions; k++)
                for (size_t j = 0; j < m->conditions[k]->n_evidence_seqs && ne < 6; j++)
                    evidence[ne++] = m->conditions[k]->evidence_seqs[j];
            if (!m->n_conditions && c->emps[i].qt_seq)
                evidence[ne++] = c->emps[i].qt_seq;
            ld_add_change(c, i, ev, (int)m->level, (int)m->new_level, CH_DEMOTED, evidence, ne);
            change_t *ch = &c->changes[c->g.n_changes - 1];
            ch->cflags = (uint8_t)((m->exam_waived ? CF_WAIVED : 0) | (m->at_once ? CF_AT_ONCE : 0));
            for (size_t k = 0; k < m->n_conditions && k < LD_CONDS; k++) {
                const Ladder__V1__UnmetCondition *u = m->conditions[k];
                cond_t *cd = &ch->conds[ch->n_conds++];
                *cd = (cond_t){(uint8_t)u->gap, 0, 0, u->have, u->need, {0}};
                for (size_t j = 0; j < u->n_evidence_seqs && j < LD_COND_EV; j++)
                    cd->ev[cd->n_ev++] = u->evidence_seqs[j];
            }
        }
        emp_t *e = &c->emps[i];
        ld_touch_emp(c, i);
        ld_boards_remove(c, i);
        if (!m->kept) {
            e->level = (uint8_t)m->new_level;
            e->level_ms = ev->at_ms;
            e->points_since_level = 0;
            e->appeal = AP_OPEN;
            e->appeal_deadline_ms = m->appeal_deadline_ms;
            e->demotion_seq = ev->seq;
            ld_deadline_push(c, e->appeal_deadline_ms, i, LD_DEADLINE_APPEAL);
        }
        ld_start_year(c, e, i, m->year_end_ms, m->next_deadline_ms, ev->seq);
        ld_boards_insert(c, i);
        return 0;
    }
    case LADDER__V1__EVENT__BODY_RETENTION_WINDOW_EXTENDED: {
        const Ladder__V1__RetentionWindowExtended *m = ev->retention_window_extended;
        if ((i = ld_emp_find(c, m->employee_id)) == NONE || !c->emps[i].year_end_ms ||
            m->year_end_ms <= c->emps[i].year_end_ms)
            return -1;
        ld_touch_emp(c, i);
        c->emps[i].year_end_ms = m->year_end_ms;
        c->emps[i].rt_flags |= RT_EXTENDED;
        ld_deadline_push(c, m->year_end_ms, i, LD_DEADLINE_RETENTION);
        return 0;
    }
    case LADDER__V1__EVENT__BODY_DEMOTION_APPEALED: {
        if ((i = ld_emp_find(c, ev->demotion_appealed->employee_id)) == NONE ||
            c->emps[i].appeal != AP_OPEN)
            return -1;
        uint32_t who = ld_intern(c, ev->actor ? ev->actor : "");
        ld_touch_emp(c, i);
        c->emps[i].appeal = AP_PENDING;
        c->emps[i].appellant = who;
        return 0;
    }
    case LADDER__V1__EVENT__BODY_APPEAL_DECIDED: {
        const Ladder__V1__AppealDecided *m = ev->appeal_decided;
        if ((i = ld_emp_find(c, m->employee_id)) == NONE || c->emps[i].appeal != AP_PENDING)
            return -1;
        if (m->overturned) {
            if (m->restored_level != c->emps[i].level + 1u || m->restored_level >= LD_LEVELS)
                return -1;
            uint64_t evidence[2] = {c->emps[i].demotion_seq, ev->seq};
            uint32_t reason = ld_intern(c, m->reason ? m->reason : ""), who = ld_intern(c, ev->actor ? ev->actor : "");
            ld_add_change(c, i, ev, c->emps[i].level, (int)m->restored_level, CH_RESTORED, evidence, 2);
            c->changes[c->g.n_changes - 1].text = reason;
            c->changes[c->g.n_changes - 1].actor = who;
        }
        emp_t *e = &c->emps[i];
        ld_touch_emp(c, i);
        ld_boards_remove(c, i);
        e->appeal = m->overturned ? AP_OVERTURNED : AP_UPHELD;
        if (m->overturned) {
            e->level = (uint8_t)m->restored_level;
            e->level_ms = ev->at_ms;
            e->points_since_level = 0;
            ld_start_year(c, e, i, ev->at_ms, m->retention_deadline_ms, ev->seq);
        }
        ld_boards_insert(c, i);
        return 0;
    }
    case LADDER__V1__EVENT__BODY_APPEAL_EXPIRED:
        if ((i = ld_emp_find(c, ev->appeal_expired->employee_id)) == NONE ||
            c->emps[i].appeal != AP_OPEN)
            return -1;
        ld_touch_emp(c, i);
        c->emps[i].appeal = AP_EXPIRED;
        return 0;
    default:
        return -1; /* not of this module: the event table routes it elsewhere */
    }
}
