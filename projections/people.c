/* people.c — employees and their points ledger (DOMAIN.md §1, §2, §3, §8, §8a):
 * hire and leave, rules-learning tasks (P1), manual adjustments (P12),
 * volunteer reports (P11), medals, and the award path every other module
 * uses (with the per-source daily caps of the rules, default off).
 */
#include <stdio.h>

#include "internal.h"

#define E(x) LADDER__V1__ERROR_CODE__##x
#define R(x) LADDER__V1__ROLE__ROLE_##x

/* ---------------------------------------------------------- validation -- */

bool ld_has_role(const ld_ctx_t *ctx, uint32_t roles)
{
    return (ctx->roles & roles) != 0;
}

static bool utf8_ok(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int n = *p < 0x80 ? 0 : (*p >> 5) == 6 ? 1 : (*p >> 4) == 14 ? 2 : (*p >> 3) == 30 ? 3 : -1;
        if (n < 0 || (n == 1 && *p < 0xc2) || (n == 3 && *p > 0xf4))
            return false;
        p++;
        for (int i = 0; i < n; i++, p++)
            if ((*p & 0xc0) != 0x80)
                return false;
    }
    return true;
}

int ld_check_id(ld_core_t *c, const char *field, const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0)
        return ld_refuse(c, E(ERR_INVALID), NULL, field, "%s: required", field);
    if (n > LD_ID_MAX)
        return ld_refuse(c, E(ERR_INVALID), NULL, field, "%s: at most %d bytes, got %zu", field,
                      LD_ID_MAX, n);
    for (size_t i = 0; i < n; i++) {
        char ch = id[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                  ch == '.' || ch == '_' || ch == '-' || ch == ':' || ch == '@';
        if (!ok)
            return ld_refuse(c, E(ERR_INVALID), NULL, field,
                          "%s: only letters, digits and . _ - : @ are allowed", field);
    }
    return 0;
}

int ld_check_text(ld_core_t *c, const char *field, const char *s, bool required)
{
    size_t n = s ? strlen(s) : 0;
    if (required && n == 0)
        return ld_refuse(c, E(ERR_INVALID), NULL, field, "%s: required", field);
    if (n > LD_NAME_MAX * 50)
        return ld_refuse(c, E(ERR_INVALID), NULL, field, "%s: at most %d bytes", field,
                      LD_NAME_MAX * 50);
    if (n && !utf8_ok(s))
        return ld_refuse(c, E(ERR_INVALID), NULL, field, "%s: not valid UTF-8", field);
    return 0;
}

int ld_need_emp(ld_core_t *c, const char *field, const char *id, uint32_t *idx)
{
    if (ld_check_id(c, field, id))
        return -1;
    *idx = ld_emp_find(c, id);
    if (*idx == NONE)
        return ld_refuse(c, E(ERR_NOT_FOUND), "§1", field, "§1: no employee %s", id);
    c->emp_hint = *idx;
    /* the boards' note of this employee (boards.c) reads its dirty mark:
     * ask for it now, it arrives while the decider works (issue 17) */
    if (*idx < c->bdirty_cap)
        __builtin_prefetch(&c->bdirty[*idx]);
    if (c->emps[*idx].flags & EF_LEFT)
        return ld_refuse(c, E(ERR_REFUSED), "§1", field, "§1: employee %s has left", id);
    return 0;
}

bool ld_registry_has(const ld_core_t *c, const char *kind, const char *id)
{
    char key[LD_ID_MAX + 32];
    snprintf(key, sizeof key, "%s:%s", kind, id);
    return ld_intern_find(c, key) != NONE;
}

void ld_registry_add(ld_core_t *c, const char *kind, const char *id)
{
    char key[LD_ID_MAX + 32];
    snprintf(key, sizeof key, "%s:%s", kind, id);
    ld_intern(c, key);
}

/* Names are kept end to end in one pool (a name never changes; an undone
 * hire leaves its few bytes behind): 4 B in the record and the name's
 * length, instead of a pointer and a heap block. */
uint32_t ld_name_add(ld_core_t *c, const char *name)
{
    size_t n = strlen(name) + 1;
    if (c->names_len + n > c->names_cap) {
        size_t cap = c->names_cap ? c->names_cap : 4096;
        while (cap < c->names_len + n)
            cap *= 2;
        c->names = ld_xrealloc(c->names, cap);
        c->names_cap = cap;
    }
    uint32_t at = (uint32_t)c->names_len;
    memcpy(c->names + at, name, n);
    c->names_len += n;
    return at;
}

/* -------------------------------------------------------------- ledger -- */

int ld_award(ld_core_t *c, ld_out_t *out, const ld_ctx_t *ctx, uint32_t emp, int64_t amount,
          int source, const char *ref, uint64_t cause)
{
    const ld_rules_t *r = ld_cur_rules(c);
    emp_t *e = &c->emps[emp];
    int64_t cap = source > 0 && source < LD_SOURCES ? r->daily_cap[source] : 0;
    if (cap > 0 && amount > 0) {
        int32_t day = (int32_t)ld_cal_day_index(ctx->now_ms, r->utc_offset_min);
        int64_t used = e->cap_day == day ? e->day_tally[source] : 0;
        if (amount > cap - used)
            amount = cap - used;
        if (amount <= 0)
            return 0; /* capped for today: no event at all */
    }
    Ladder__V1__Event *ev = ld_emit(c, out, ctx, "emp", e->id, LADDER__V1__EVENT__BODY_POINTS_AWARDED,
                                 cause);
    Ladder__V1__PointsAwarded *b = ld_body_new(out, &ladder__v1__points_awarded__descriptor);
    b->employee_id = ld_ostr(out, e->id);
    b->amount = amount;
    b->source = (Ladder__V1__PointSource)source;
    b->ref = ld_ostr(out, ref);
    ev->points_awarded = b;
    return ld_apply(c, ev);
}

static void ledger_add(ld_core_t *c, uint32_t i, int64_t amount, int source, int64_t at)
{
    emp_t *e = &c->emps[i];
    ld_touch_emp(c, i);
    ld_boards_remove(c, i);
    ld_boards_add_points(c, i, amount, at);
    e->points_total += amount;
    e->points_since_level += amount;
    e->points_in_year += amount;
    if (amount)
        e->score_at_ms = at;
    int32_t day = (int32_t)ld_cal_day_index(at, ld_cur_rules(c)->utc_offset_min);
    if (e->cap_day != day) {
        e->cap_day = day;
        memset(e->day_tally, 0, sizeof e->day_tally);
    }
    if (source > 0 && source < LD_SOURCES)
        e->day_tally[source] += (int32_t)amount;
    ld_boards_insert(c, i);
}

/* ------------------------------------------------------------- decide -- */

int ld_decide_hire(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
                   ld_out_t *out)
{
    const Ladder__V1__Hire *m = cmd->hire;
    if (ld_check_id(c, "hire.employee_id", m->employee_id) ||
        ld_check_text(c, "hire.name", m->name, true) || ld_check_text(c, "hire.team", m->team, false) ||
        ld_check_text(c, "hire.centre", m->centre, false))
        return -1;
    const char *group = m->team && strlen(m->team) > LD_GROUP_NAME_MAX ? "hire.team"
                        : m->centre && strlen(m->centre) > LD_GROUP_NAME_MAX ? "hire.centre" : NULL;
    if (group)
        return ld_refuse(c, E(ERR_INVALID), "§1", group, "%s: §1: team and centre names are at most %d bytes",
                      group, LD_GROUP_NAME_MAX);
    if (strlen(m->name) > LD_NAME_MAX)
        return ld_refuse(c, E(ERR_INVALID), NULL, "hire.name", "hire.name: at most %d bytes",
                      LD_NAME_MAX);
    if (ld_emp_find(c, m->employee_id) != NONE)
        return ld_refuse(c, E(ERR_DUPLICATE), "§1", "hire.employee_id",
                      "§1: employee %s already exists", m->employee_id);
    Ladder__V1__Event *ev = ld_emit(c, out, ctx, "emp", m->employee_id,
                                 LADDER__V1__EVENT__BODY_EMPLOYEE_HIRED, 0);
    Ladder__V1__EmployeeHired *b = ld_body_new(out, &ladder__v1__employee_hired__descriptor);
    b->employee_id = ld_ostr(out, m->employee_id);
    b->name = ld_ostr(out, m->name);
    b->team = ld_ostr(out, m->team);
    b->centre = ld_ostr(out, m->centre);
    ev->employee_hired = b;
    return ld_apply(c, ev);
}

int ld_decide_leave(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
                    ld_out_t *out)
{
    const Ladder__V1__Leave *m = cmd->leave;
    uint32_t i;
    if (ld_need_emp(c, "leave.employee_id", m->employee_id, &i) ||
        ld_check_text(c, "leave.reason", m->reason, false))
        return -1;
    Ladder__V1__Event *ev = ld_emit(c, out, ctx, "emp", m->employee_id,
                                 LADDER__V1__EVENT__BODY_EMPLOYEE_LEFT, 0);
    Ladder__V1__EmployeeLeft *b = ld_body_new(out, &ladder__v1__employee_left__descriptor);
    b->employee_id = ld_ostr(out, m->employee_id);
    b->reason = ld_ostr(out, m->reason);
    ev->employee_left = b;
    return ld_apply(c, ev);
}

int ld_decide_publish_task(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
                           ld_out_t *out)
{
    const Ladder__V1__PublishTask *m = cmd->publish_task;
    if (ld_check_id(c, "publish_task.task_id", m->task_id) ||
        ld_check_text(c, "publish_task.title", m->title, true))
        return -1;
    if (strncmp(m->task_id, "level-", 6) == 0)
        return ld_refuse(c, E(ERR_INVALID), "§8", "publish_task.task_id",
                      "§8: task ids starting with \"level-\" are the per-level tasks");
    if (ld_task_find(c, m->task_id) != NONE)
        return ld_refuse(c, E(ERR_DUPLICATE), "§8", "publish_task.task_id",
                      "§8: task %s already exists", m->task_id);
    if (m->points < 0 || m->points > 1000000)
        return ld_refuse(c, E(ERR_INVALID), "§3", "publish_task.points",
                      "§3 P1: points must be 0 to 1000000");
    Ladder__V1__Event *ev = ld_emit(c, out, ctx, "task", m->task_id,
                                 LADDER__V1__EVENT__BODY_TASK_PUBLISHED, 0);
    Ladder__V1__TaskPublished *b = ld_body_new(out, &ladder__v1__task_published__descriptor);
    b->task_id = ld_ostr(out, m->task_id);
    b->title = ld_ostr(out, m->title);
    b->points = m->points;
    ev->task_published = b;
    return ld_apply(c, ev);
}

/* §3 P1 / §6.2: "level-L" is the rules task of level L, due at sign-up and
 * after each promotion; any other id is a task a manager published. */
int ld_decide_complete_task(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
                            ld_out_t *out)
{
    const Ladder__V1__CompleteTask *m = cmd->complete_task;
    uint32_t i;
    if (ld_need_emp(c, "complete_task.employee_id", m->employee_id, &i) ||
        ld_check_id(c, "complete_task.task_id", m->task_id))
        return -1;
    emp_t *e = &c->emps[i];
    int64_t points;
    if (strncmp(m->task_id, "level-", 6) == 0) {
        int l = m->task_id[6] - '0';
        if (m->task_id[7] || l < 0 || l >= LD_LEVELS)
            return ld_refuse(c, E(ERR_INVALID), "§6.2", "complete_task.task_id",
                          "§6.2: level tasks are level-0 .. level-5");
        if (l != e->level)
            return ld_refuse(c, E(ERR_REFUSED), "§6.2", "complete_task.task_id",
                          "§6.2: %s is at level %d; the task due is level-%d", e->id, e->level,
                          e->level);
        if (e->tasks_done & (1u << l))
            return ld_refuse(c, E(ERR_DUPLICATE), "§6.2", "complete_task.task_id",
                          "§6.2: %s already completed task level-%d", e->id, l);
        points = ld_cur_rules(c)->level_task[l];
    } else {
        uint32_t t = ld_task_find(c, m->task_id);
        if (t == NONE)
            return ld_refuse(c, E(ERR_NOT_FOUND), "§8", "complete_task.task_id", "§8: no task %s",
                          m->task_id);
        uint32_t done = 0; /* 0 once a completion is reversed (§12 v2) */
        if (ld_pairs_get(&c->pairs[PS_TASK_DONE], t, i, &done) && done)
            return ld_refuse(c, E(ERR_DUPLICATE), "§8", "complete_task.task_id",
                          "§8: %s already completed task %s", e->id, m->task_id);
        points = c->tasks[t].points;
    }
    Ladder__V1__Event *ev = ld_emit(c, out, ctx, "emp", e->id, LADDER__V1__EVENT__BODY_TASK_COMPLETED, 0);
    Ladder__V1__TaskCompleted *b = ld_body_new(out, &ladder__v1__task_completed__descriptor);
    b->employee_id = ld_ostr(out, e->id);
    b->task_id = ld_ostr(out, m->task_id);
    ev->task_completed = b;
    if (ld_apply(c, ev))
        return -1;
    return points ? ld_award(c, out, ctx, i, points, LADDER__V1__POINT_SOURCE__P1_RULES_TASK,
                          m->task_id, ev->seq)
                  : 0;
}

int ld_decide_adjust_points(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
                            ld_out_t *out)
{
    const Ladder__V1__AdjustPoints *m = cmd->adjust_points;
    uint32_t i;
    if (ld_need_emp(c, "adjust_points.employee_id", m->employee_id, &i) ||
        ld_check_text(c, "adjust_points.reason", m->reason, true))
        return -1;
    if (m->amount == 0 || m->amount < -1000000 || m->amount > 1000000)
        return ld_refuse(c, E(ERR_INVALID), "§3", "adjust_points.amount",
                      "§3 P12: amount must be non-zero, between -1000000 and 1000000");
    Ladder__V1__Event *ev = ld_emit(c, out, ctx, "emp", m->employee_id,
                                 LADDER__V1__EVENT__BODY_POINTS_ADJUSTED, 0);
    Ladder__V1__PointsAdjusted *b = ld_body_new(out, &ladder__v1__points_adjusted__descriptor);
    b->employee_id = ld_ostr(out, m->employee_id);
    b->amount = m->amount;
    b->reason = ld_ostr(out, m->reason);
    ev->points_adjusted = b;
    return ld_apply(c, ev);
}

int ld_decide_report_volunteer(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
                               ld_out_t *out)
{
    const Ladder__V1__ReportVolunteer *m = cmd->report_volunteer;
    if (ld_check_id(c, "report_volunteer.report_id", m->report_id))
        return -1;
    if (ld_registry_has(c, "volunteer", m->report_id))
        return ld_refuse(c, E(ERR_DUPLICATE), "§8", "report_volunteer.report_id",
                      "§8: volunteer report %s was already recorded", m->report_id);
    if (m->n_entries == 0 || m->n_entries > 10000)
        return ld_refuse(c, E(ERR_INVALID), "§8", "report_volunteer.entries",
                      "§8: a weekly report lists 1 to 10000 entries");
    uint32_t idx[10000];
    for (size_t k = 0; k < m->n_entries; k++) {
        char field[64];
        snprintf(field, sizeof field, "report_volunteer.entries[%zu].employee_id", k);
        if (!m->entries[k] || ld_need_emp(c, field, m->entries[k]->employee_id, &idx[k]))
            return c->why->code ? -1
                                : ld_refuse(c, E(ERR_INVALID), NULL, field, "%s: required", field);
        if (m->entries[k]->hours == 0 || m->entries[k]->hours > 168) {
            snprintf(field, sizeof field, "report_volunteer.entries[%zu].hours", k);
            return ld_refuse(c, E(ERR_INVALID), "§8", field, "§8: %s must be 1 to 168", field);
        }
    }
    Ladder__V1__Event *ev = ld_emit(c, out, ctx, "volunteer", m->report_id,
                                 LADDER__V1__EVENT__BODY_VOLUNTEER_REPORTED, 0);
    Ladder__V1__VolunteerReported *b = ld_body_new(out, &ladder__v1__volunteer_reported__descriptor);
    b->report_id = ld_ostr(out, m->report_id);
    b->week_start_ms = m->week_start_ms;
    b->n_entries = m->n_entries;
    b->entries = ld_arena_alloc(&out->arena, m->n_entries * sizeof *b->entries);
    for (size_t k = 0; k < m->n_entries; k++) {
        Ladder__V1__VolunteerEntry *en = ld_body_new(out, &ladder__v1__volunteer_entry__descriptor);
        en->employee_id = ld_ostr(out, m->entries[k]->employee_id);
        en->hours = m->entries[k]->hours;
        b->entries[k] = en;
    }
    ev->volunteer_reported = b;
    if (ld_apply(c, ev))
        return -1;
    int64_t rate = ld_cur_rules(c)->volunteer_per_hour;
    for (size_t k = 0; k < m->n_entries; k++)
        if (ld_award(c, out, ctx, idx[k], rate * m->entries[k]->hours,
                  LADDER__V1__POINT_SOURCE__P11_VOLUNTEER, m->report_id, ev->seq))
            return -1;
    return 0;
}

int ld_decide_award_medal(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
                          ld_out_t *out)
{
    const Ladder__V1__AwardMedal *m = cmd->award_medal;
    uint32_t i;
    if (ld_need_emp(c, "award_medal.employee_id", m->employee_id, &i) ||
        ld_check_text(c, "award_medal.medal", m->medal, true) ||
        ld_check_text(c, "award_medal.reason", m->reason, true))
        return -1;
    if (strlen(m->medal) > 64)
        return ld_refuse(c, E(ERR_INVALID), "§8a", "award_medal.medal",
                      "award_medal.medal: at most 64 bytes");
    Ladder__V1__Event *ev = ld_emit(c, out, ctx, "emp", m->employee_id,
                                 LADDER__V1__EVENT__BODY_MEDAL_AWARDED, 0);
    Ladder__V1__MedalAwarded *b = ld_body_new(out, &ladder__v1__medal_awarded__descriptor);
    b->employee_id = ld_ostr(out, m->employee_id);
    b->medal = ld_ostr(out, m->medal);
    b->reason = ld_ostr(out, m->reason);
    ev->medal_awarded = b;
    return ld_apply(c, ev);
}

/* ------------------------------------------------------------- evolve -- */

int ld_people_evolve(ld_core_t *c, const Ladder__V1__Event *ev)
{
    uint32_t i;
    switch (ev->body_case) {
    case LADDER__V1__EVENT__BODY_EMPLOYEE_HIRED: {
        const Ladder__V1__EmployeeHired *m = ev->employee_hired;
        if (!m->employee_id || !*m->employee_id || strlen(m->employee_id) > LD_ID_MAX ||
            ld_emp_find(c, m->employee_id) != NONE)
            return -1;
        uint32_t team = ld_intern(c, m->team ? m->team : ""), centre = ld_intern(c, m->centre ? m->centre : "");
        i = ld_emp_new(c, m->employee_id);
        emp_t *e = &c->emps[i];
        e->name = ld_name_add(c, m->name ? m->name : "");
        e->team = team;
        e->centre = centre;
        e->hired_ms = e->level_ms = e->score_at_ms = ev->at_ms;
        e->hired_seq = ev->seq;
        ld_boards_insert(c, i);
        return 0;
    }
    case LADDER__V1__EVENT__BODY_EMPLOYEE_LEFT:
        if ((i = ld_emp_find(c, ev->employee_left->employee_id)) == NONE)
            return -1;
        ld_touch_emp(c, i);
        ld_boards_remove(c, i);
        c->emps[i].flags |= EF_LEFT;
        return 0;
    case LADDER__V1__EVENT__BODY_TASK_PUBLISHED: {
        const Ladder__V1__TaskPublished *m = ev->task_published;
        if (!m->task_id || !*m->task_id || ld_task_find(c, m->task_id) != NONE)
            return -1;
        uint32_t t = ld_task_new(c, m->task_id);
        c->tasks[t].points = m->points;
        c->tasks[t].title = ld_xstrdup(m->title ? m->title : "");
        return 0;
    }
    case LADDER__V1__EVENT__BODY_TASK_COMPLETED: {
        const Ladder__V1__TaskCompleted *m = ev->task_completed;
        if ((i = ld_emp_find(c, m->employee_id)) == NONE)
            return -1;
        if (strncmp(m->task_id, "level-", 6) == 0) {
            int l = m->task_id[6] - '0';
            if (l < 0 || l >= LD_LEVELS)
                return -1;
            ld_touch_emp(c, i);
            c->emps[i].tasks_done |= (uint8_t)(1u << l);
            c->emps[i].task_seq = ev->seq;
        } else {
            uint32_t t = ld_task_find(c, m->task_id);
            if (t == NONE)
                return -1;
            ld_pair_add(c, PS_TASK_DONE, t, i, 1);
        }
        return 0;
    }
    case LADDER__V1__EVENT__BODY_POINTS_AWARDED:
        if ((i = ld_emp_find(c, ev->points_awarded->employee_id)) == NONE)
            return -1;
        ledger_add(c, i, ev->points_awarded->amount, (int)ev->points_awarded->source, ev->at_ms);
        c->emps[i].pts_seq = ev->seq;
        return 0;
    case LADDER__V1__EVENT__BODY_POINTS_ADJUSTED:
        if ((i = ld_emp_find(c, ev->points_adjusted->employee_id)) == NONE)
            return -1;
        ledger_add(c, i, ev->points_adjusted->amount, LADDER__V1__POINT_SOURCE__P12_ADJUSTMENT,
                   ev->at_ms);
        c->emps[i].pts_seq = ev->seq;
        return 0;
    case LADDER__V1__EVENT__BODY_VOLUNTEER_REPORTED:
        if (!ev->volunteer_reported->report_id || ld_registry_has(c, "volunteer", ev->volunteer_reported->report_id))
            return -1;
        ld_registry_add(c, "volunteer", ev->volunteer_reported->report_id);
        return 0;
    case LADDER__V1__EVENT__BODY_MEDAL_AWARDED:
        if ((i = ld_emp_find(c, ev->medal_awarded->employee_id)) == NONE)
            return -1;
        {
            uint32_t s = ld_intern(c, ev->medal_awarded->medal ? ev->medal_awarded->medal : "");
            ld_touch_emp(c, i);
            ld_vec_push(&c->emps[i].medals, s);
        }
        return 0;
    default:
        return -1; /* not of this module: the event table routes it elsewhere */
    }
}
