/* queries.c — answers from state, never changing it (DOMAIN.md §2, §6, §11,
 * §12): the employee view with the rule data of their level, readiness for
 * the next level with numeric gaps, explain (level changes and evidence), and
 * the next deadline. Reply memory comes from the output arena.
 */
#include <stdio.h>

#include "internal.h"

#define E(x) LADDER__V1__ERROR_CODE__##x

static Ladder__V1__LevelInfo *level_info(ld_out_t *out, const ld_rules_t *r, uint32_t level)
{
    const ld_level_rule_t *lr = &r->levels[level];
    Ladder__V1__LevelInfo *li = ld_body_new(out, &ladder__v1__level_info__descriptor);
    li->level = level;
    li->title_zh = ld_ostr(out, lr->title_zh);
    li->title_en = ld_ostr(out, lr->title_en);
    li->belt = ld_ostr(out, lr->belt);
    li->salary_grade = lr->salary_grade;
    li->n_privileges = lr->n_privileges;
    li->privileges = ld_arena_alloc(&out->arena, (lr->n_privileges + 1) * sizeof *li->privileges);
    for (uint32_t k = 0; k < lr->n_privileges; k++)
        li->privileges[k] = ld_ostr(out, lr->privileges[k]);
    return li;
}

Ladder__V1__LevelInfo *ld_core_level_info(const ld_core_t *c, ld_out_t *out, uint32_t level)
{
    return level_info(out, ld_cur_rules(c), level < LD_LEVELS ? level : 0);
}

static char *fmt(ld_out_t *out, const char *f, const char *when)
{
    size_t n = strlen(f) + (when ? strlen(when) : 0) + 1;
    char *s = ld_arena_alloc(&out->arena, n);
    snprintf(s, n, f, when ? when : "");
    return s;
}

static Ladder__V1__EmployeeView *view(ld_core_t *c, ld_out_t *out, uint32_t i, int64_t now)
{
    const ld_rules_t *r = ld_cur_rules(c);
    const emp_t *e = &c->emps[i];
    char tbuf[CAL_FMT_LEN];
    Ladder__V1__EmployeeView *v = ld_body_new(out, &ladder__v1__employee_view__descriptor);
    v->employee_id = ld_ostr(out, e->id);
    v->name = ld_ostr(out, ld_emp_name(c, e));
    v->team = ld_ostr(out, c->strings[e->team]);
    v->centre = ld_ostr(out, c->strings[e->centre]);
    v->level = level_info(out, r, e->level);
    v->points_total = e->points_total;
    v->points_since_level = e->points_since_level;
    v->points_in_year = e->points_in_year;
    v->n_apprentices = e->apprentices.len;
    v->apprentices = ld_arena_alloc(&out->arena, (e->apprentices.len + 1) * sizeof *v->apprentices);
    for (uint32_t k = 0; k < e->apprentices.len; k++)
        v->apprentices[k] = ld_ostr(out, c->emps[e->apprentices.v[k]].id);
    uint32_t t = e->level + 1u < LD_LEVELS ? e->level + 1u : e->level;
    v->apprentices_credited = e->credited[r->apprentices_from[t]];
    v->last_query_test_ms = e->qt_at_ms ? e->qt_total_ms : 0;
    v->retention_deadline_ms = e->year_end_ms;
    if (e->level == 0 || !e->year_end_ms)
        v->retention_status = ld_ostr(out, "none (level 0)");
    else if (now >= e->year_end_ms)
        v->retention_status = fmt(out, "year over at %s; closing due", ld_cal_format(tbuf, e->year_end_ms, r->utc_offset_min));
    else if (ld_in_window(c, e, now))
        v->retention_status = fmt(out, "re-test window until %s", ld_cal_format(tbuf, e->year_end_ms, r->utc_offset_min));
    else
        v->retention_status = fmt(out, "in year until %s", ld_cal_format(tbuf, e->year_end_ms, r->utc_offset_min));
    static const char *const ap[] = {"none", "open", "pending", "upheld", "overturned", "expired"};
    if (e->appeal == AP_OPEN)
        v->appeal_status = fmt(out, "open until %s", ld_cal_format(tbuf, e->appeal_deadline_ms, r->utc_offset_min));
    else
        v->appeal_status = ld_ostr(out, ap[e->appeal]);
    v->left = (e->flags & EF_LEFT) != 0;
    v->committee_member = (e->flags & EF_COMMITTEE) != 0;
    v->n_medals = e->medals.len;
    v->medals = ld_arena_alloc(&out->arena, (e->medals.len + 1) * sizeof *v->medals);
    for (uint32_t k = 0; k < e->medals.len; k++)
        v->medals[k] = ld_ostr(out, c->strings[e->medals.v[k]]);
    v->hired_ms = e->hired_ms;
    v->mentor_id = ld_ostr(out, e->mentor != NONE ? c->emps[e->mentor].id : "");
    return v;
}

static int need(ld_core_t *c, const char *field, const char *id, uint32_t *i)
{
    if (!id || !*id)
        return ld_refuse(c, E(ERR_INVALID), NULL, field, "%s: required", field);
    if ((*i = ld_emp_find(c, id)) == NONE)
        return ld_refuse(c, E(ERR_NOT_FOUND), "§1", field, "§1: no employee %s", id);
    return 0;
}

static Ladder__V1__Readiness *readiness(ld_core_t *c, ld_out_t *out, uint32_t i, int64_t now)
{
    const ld_rules_t *r = ld_cur_rules(c);
    const emp_t *e = &c->emps[i];
    char tbuf[CAL_FMT_LEN];
    Ladder__V1__Readiness *rd = ld_body_new(out, &ladder__v1__readiness__descriptor);
    rd->employee_id = ld_ostr(out, e->id);
    rd->level = e->level;
    check_t it[LD_CHECKS];
    int n;
    int met = ld_promotion_check(c, i, now, it, &n);
    rd->target_level = n ? e->level + 1u : e->level;
    rd->n_items = (size_t)n;
    rd->items = ld_arena_alloc(&out->arena, (size_t)(n + 1) * sizeof *rd->items);
    for (int k = 0; k < n; k++) {
        Ladder__V1__ReadinessItem *x = ld_body_new(out, &ladder__v1__readiness_item__descriptor);
        x->section = ld_ostr(out, it[k].section);
        x->name = ld_ostr(out, it[k].name);
        x->met = it[k].met;
        x->have = it[k].have;
        x->need = it[k].need;
        x->gap = ld_ostr(out, it[k].gap);
        rd->items[k] = x;
    }
    if (n) {
        uint32_t pool = c->g.lib_count[e->level + 1][LADDER__V1__HALF__HALF_TEST];
        bool ok = met == LD_CHECKS - 1 && pool >= r->exam_size && e->open_exam == NONE &&
                  now >= e->exam_retake_ms && !(e->flags & EF_LEFT);
        rd->exam_allowed = ok;
        Ladder__V1__ReadinessItem *x = rd->items[LD_CHECKS - 1];
        if (e->open_exam != NONE)
            x->gap = fmt(out, "exam %s drawn; awaiting grades", c->exams[e->open_exam].id);
        else if (met == LD_CHECKS - 1 && pool < r->exam_size) {
            char buf[96];
            snprintf(buf, sizeof buf, "only %u test cases at level %u; an exam needs %u", pool,
                     e->level + 1, r->exam_size);
            x->gap = ld_ostr(out, buf);
        } else if (met == LD_CHECKS - 1 && now < e->exam_retake_ms)
            x->gap = fmt(out, "retake allowed from %s", ld_cal_format(tbuf, e->exam_retake_ms, r->utc_offset_min));
        else if (ok)
            x->gap = ld_ostr(out, "exam may be drawn now");
    }
    return rd;
}

static const char *cause_name(int cause)
{
    static const char *const names[] = {"?", "promoted", "demoted", "appeal overturned", "placed",
                                        "placement reversed"};
    return cause >= 1 && cause <= CH_UNPLACED ? names[cause] : "?";
}

static const char *const check_sections[LD_CHECKS] = {"§6.1", "§6.2", "§6.3", "§6.4",
                                                      "§6.5", "§6.7", "§6.6"};
static const char *const check_names[LD_CHECKS] = {"points", "rules task", "training",
                                                   "query speed", "mentoring", "time in level",
                                                   "exam"};

/* §7 / §11 v2: one unmet condition in words, with its numbers. */
static size_t cond_words(char *t, size_t n, const cond_t *cd)
{
    long long have = cd->have, need = cd->need;
    bool query = cd->code == LADDER__V1__RETENTION_GAP__GAP_QUERY_TEST ||
                 (cd->code == LADDER__V1__RETENTION_GAP__GAP_MAKEUP_FAILED && need >= 1000);
    const char *pre = cd->code == LADDER__V1__RETENTION_GAP__GAP_MAKEUP_FAILED ? "make-up failed: " : "";
    switch (cd->code) {
    case LADDER__V1__RETENTION_GAP__GAP_POINTS:
        return (size_t)snprintf(t, n, "points: %lld in the year, needs %lld", have, need);
    case LADDER__V1__RETENTION_GAP__GAP_APPRENTICES:
        return (size_t)snprintf(t, n, "apprentices: %lld brought out in the year, needs %lld", have,
                                need);
    default:
        if (query && have)
            return (size_t)snprintf(t, n, "%squery test %lld.%03lld s, needs below %lld.%03lld s",
                                    pre, have / 1000, have % 1000, need / 1000, need % 1000);
        if (query)
            return (size_t)snprintf(t, n, "query test: none in the re-test window, needs below "
                                    "%lld.%03lld s", need / 1000, need % 1000);
        if (have)
            return (size_t)snprintf(t, n, "%sskill exam %lld %%, needs %lld %%", pre, have, need);
        return (size_t)snprintf(t, n, "skill exam: none passed in the re-test window, needs %lld %%",
                                need);
    }
}

/* §11 v2: the facts of a level change, carried in the answer itself. */
static void change_facts(ld_core_t *c, ld_out_t *out, const change_t *ch,
                         Ladder__V1__LevelChange *lc, char *buf, size_t cap, size_t *len)
{
#define SAY(...) (*len += (size_t)snprintf(buf + *len, *len < cap ? cap - *len : 0, __VA_ARGS__))
    lc->exam_waived = (ch->cflags & CF_WAIVED) != 0;
    if (ch->text)
        lc->reason = ld_ostr(out, c->strings[ch->text]);
    if (ch->actor)
        lc->decided_by = ld_ostr(out, c->strings[ch->actor]);
    if (ch->cause == CH_DEMOTED) {
        lc->n_conditions = ch->n_conds;
        lc->conditions = ld_arena_alloc(&out->arena, (ch->n_conds + 1u) * sizeof *lc->conditions);
        if (ch->cflags & CF_AT_ONCE)
            SAY(" at once (failed make-up)");
        SAY(":");
        for (uint32_t k = 0; k < ch->n_conds; k++) {
            const cond_t *cd = &ch->conds[k];
            Ladder__V1__UnmetCondition *u = ld_body_new(out, &ladder__v1__unmet_condition__descriptor);
            u->gap = (Ladder__V1__RetentionGap)cd->code;
            u->section = ld_ostr(out, "§7");
            u->have = cd->have;
            u->need = cd->need;
            u->n_evidence_seqs = cd->n_ev;
            u->evidence_seqs = ld_arena_alloc(&out->arena, (cd->n_ev + 1u) * sizeof(uint64_t));
            memcpy(u->evidence_seqs, cd->ev, cd->n_ev * sizeof(uint64_t));
            char t[240];
            size_t tl = cond_words(t, sizeof t, cd);
            for (uint32_t j = 0; j < cd->n_ev && tl < sizeof t; j++)
                tl += (size_t)snprintf(t + tl, sizeof t - tl, "%s%llu", j ? ", " : " (evidence seqs ",
                                       (unsigned long long)cd->ev[j]);
            if (cd->n_ev && tl < sizeof t)
                snprintf(t + tl, sizeof t - tl, ")");
            u->text = ld_ostr(out, t);
            lc->conditions[k] = u;
            SAY("%s %s", k ? ";" : "", t);
        }
        if (!ch->n_conds)
            SAY(" (recorded before v2: see the RetentionYearClosed event)");
        if (ch->cflags & CF_WAIVED)
            SAY("; the skill exam was waived (too few test cases)");
    } else if (ch->cause == CH_PROMOTED) {
        if (ch->exam != NONE) {
            lc->exam_id = ld_ostr(out, c->exams[ch->exam].id);
            lc->exam_percent = ch->pct;
            SAY(": exam %s passed with %u %%", c->exams[ch->exam].id, ch->pct);
        }
        lc->n_checklist = ch->n_conds;
        lc->checklist = ld_arena_alloc(&out->arena, (ch->n_conds + 1u) * sizeof *lc->checklist);
        for (uint32_t k = 0; k < ch->n_conds; k++) {
            const cond_t *cd = &ch->conds[k];
            Ladder__V1__ReadinessItem *x = ld_body_new(out, &ladder__v1__readiness_item__descriptor);
            uint32_t code = cd->code < LD_CHECKS ? cd->code : 0;
            x->section = ld_ostr(out, check_sections[code]);
            x->name = ld_ostr(out, check_names[code]);
            x->met = cd->met;
            x->have = cd->have;
            x->need = cd->need;
            lc->checklist[k] = x;
            SAY("%s %s %s %lld/%lld", k ? ";" : "; checklist:", check_sections[code],
                check_names[code], (long long)cd->have, (long long)cd->need);
        }
    } else if (ch->text) {
        SAY(": \"%s\" by %s", c->strings[ch->text], ch->actor ? c->strings[ch->actor] : "?");
    }
#undef SAY
}

static Ladder__V1__Explanation *explain(ld_core_t *c, ld_out_t *out, uint32_t i,
                                        const Ladder__V1__Explain *q, int64_t now)
{
    const emp_t *e = &c->emps[i];
    Ladder__V1__Explanation *x = ld_body_new(out, &ladder__v1__explanation__descriptor);
    x->state = view(c, out, i, now);
    x->as_of_seq = q->as_of_seq ? q->as_of_seq : c->g.next_seq - 1;
    x->changes = ld_arena_alloc(&out->arena, (e->changes.len + 1) * sizeof *x->changes);
    for (uint32_t k = 0; k < e->changes.len; k++) {
        const change_t *ch = &c->changes[e->changes.v[k]];
        if ((q->as_of_seq && ch->seq > q->as_of_seq) || (q->as_of_ms && ch->at_ms > q->as_of_ms))
            continue;
        Ladder__V1__LevelChange *lc = ld_body_new(out, &ladder__v1__level_change__descriptor);
        lc->seq = ch->seq;
        lc->at_ms = ch->at_ms;
        lc->from_level = ch->from;
        lc->to_level = ch->to;
        lc->cause = ld_ostr(out, cause_name(ch->cause));
        lc->rules_version = ch->rules_version;
        lc->n_evidence_seqs = ch->n_evidence;
        lc->evidence_seqs = ld_arena_alloc(&out->arena, (ch->n_evidence + 1) * sizeof(uint64_t));
        memcpy(lc->evidence_seqs, ch->evidence, ch->n_evidence * sizeof(uint64_t));
        char buf[1600];
        size_t len = (size_t)snprintf(buf, sizeof buf, "%s from level %u to %u at seq %llu under rules v%u",
                                      cause_name(ch->cause), ch->from, ch->to,
                                      (unsigned long long)ch->seq, ch->rules_version);
        change_facts(c, out, ch, lc, buf, sizeof buf, &len);
        lc->explanation = ld_ostr(out, buf);
        x->changes[x->n_changes++] = lc;
    }
    return x;
}

int ld_queries_run(ld_core_t *c, const Ladder__V1__Query *q, int64_t now, ld_out_t *out,
                Ladder__V1__Ok *ok)
{
    uint32_t i;
    switch (q->q_case) {
    case LADDER__V1__QUERY__Q_EMPLOYEE:
        if (need(c, "employee.employee_id", q->employee->employee_id, &i))
            return -1;
        ok->result_case = LADDER__V1__OK__RESULT_EMPLOYEE;
        ok->employee = view(c, out, i, now);
        return 0;
    case LADDER__V1__QUERY__Q_READINESS:
        if (need(c, "readiness.employee_id", q->readiness->employee_id, &i))
            return -1;
        ok->result_case = LADDER__V1__OK__RESULT_READINESS;
        ok->readiness = readiness(c, out, i, now);
        return 0;
    case LADDER__V1__QUERY__Q_EXPLAIN:
        if (need(c, "explain.employee_id", q->explain->employee_id, &i))
            return -1;
        ok->result_case = LADDER__V1__OK__RESULT_EXPLANATION;
        ok->explanation = explain(c, out, i, q->explain, now);
        return 0;
    case LADDER__V1__QUERY__Q_NEXT_DEADLINE: {
        Ladder__V1__Deadline *d = ld_body_new(out, &ladder__v1__deadline__descriptor);
        const char *emp = "";
        int kind = 0;
        int64_t at = 0;
        if (ld_core_next_deadline(c, &at, &emp, &kind)) {
            d->at_ms = at;
            d->employee_id = ld_ostr(out, emp);
            d->kind = ld_ostr(out, kind == LD_DEADLINE_RETENTION ? "retention"
                                : kind == LD_DEADLINE_LIBRARY ? "library"
                                : kind == LD_DEADLINE_EXAM    ? "exam"
                                                              : "appeal");
        }
        ok->result_case = LADDER__V1__OK__RESULT_DEADLINE;
        ok->deadline = d;
        return 0;
    }
    case LADDER__V1__QUERY__Q_CASE_RANKING:
        if (ld_library_ranking(c, q->case_ranking, out, &ok->case_ranking))
            return -1;
        ok->result_case = LADDER__V1__OK__RESULT_CASE_RANKING;
        return 0;
    case LADDER__V1__QUERY__Q_BOARD:
        if (ld_boards_query(c, q->board, now, out, &ok->board))
            return -1;
        ok->result_case = LADDER__V1__OK__RESULT_BOARD;
        return 0;
    default: {
        int rc = ld_contrib_query(c, q, out, ok);
        if (rc != 1)
            return rc;
        return ld_refuse(c, E(ERR_INVALID), NULL, "query",
                      "query (oneof case %d) is not answered by the core", (int)q->q_case);
    }
    }
}

bool ld_core_level_change(const ld_core_t *c, uint64_t seq, uint32_t *from, uint32_t *to,
                          const char **cause)
{
    /* changes are kept in seq order, and the one of seq is among the last */
    for (uint32_t k = c->g.n_changes; k-- > 0 && c->changes[k].seq >= seq;) {
        const change_t *ch = &c->changes[k];
        if (ch->seq == seq) {
            *from = ch->from, *to = ch->to, *cause = cause_name(ch->cause);
            return true;
        }
    }
    return false;
}
