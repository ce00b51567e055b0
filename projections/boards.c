/* boards.c — leaderboards (DOMAIN.md §9): points over all time and over the
 * current week (from the rules' week start), month, quarter and year, in the
 * rules' fixed UTC offset, for the organisation, a centre, a team or a level.
 *
 * Each board is an order-statistic treap: top N and the rank of one employee
 * in O(log n). Order: more points first, then whoever reached the score
 * first, then the employee id. A window board exists per period; an employee
 * moves to the new period's board when they first earn points in it, so a
 * roll-over needs no sweep and is driven by event time, never by a clock.
 * Boards are derived from the employees and rebuilt when a snapshot loads.
 */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

#define NODE(c, e, slot) (&(c)->bn[(size_t)(e) * LD_SLOTS + (slot)])

int32_t window_period(const ld_core_t *c, int window, int64_t at)
{
    const ld_rules_t *r = cur_rules(c);
    int64_t start;
    switch (window) {
    case 1: start = cal_week_start(at, r->utc_offset_min, r->week_start); break;
    case 2: start = cal_month_start(at, r->utc_offset_min, 1); break;
    case 3: start = cal_month_start(at, r->utc_offset_min, 3); break;
    case 4: start = cal_month_start(at, r->utc_offset_min, 12); break;
    default: return 0;
    }
    return (int32_t)cal_day_index(start, r->utc_offset_min) + 1; /* +1: 0 means "none" */
}

static void ensure_nodes(ld_core_t *c, uint32_t emp)
{
    if ((size_t)emp < c->bn_cap)
        return;
    size_t cap = c->bn_cap ? c->bn_cap : 64;
    while (cap <= emp)
        cap *= 2;
    c->bn = xrealloc(c->bn, cap * LD_SLOTS * sizeof *c->bn);
    memset(c->bn + c->bn_cap * LD_SLOTS, 0, (cap - c->bn_cap) * LD_SLOTS * sizeof *c->bn);
    c->bn_cap = cap;
}

static uint32_t board_get(ld_core_t *c, uint32_t slot, uint32_t value, int32_t period, bool create)
{
    uint32_t idx;
    if (pairset_get(&c->board_ix, (uint32_t)period, slot << 24 | value, &idx))
        return idx;
    if (!create)
        return NONE;
    if (c->n_boards == c->boards_cap) {
        c->boards_cap = c->boards_cap ? c->boards_cap * 2 : 64;
        c->boards = xrealloc(c->boards, c->boards_cap * sizeof *c->boards);
    }
    idx = (uint32_t)c->n_boards++;
    c->boards[idx] = (board_t){0, slot, value, period};
    pairset_put(&c->board_ix, (uint32_t)period, slot << 24 | value, idx);
    return idx;
}

/* ---------------------------------------------------------------- treap -- */

static uint64_t prio(uint32_t e1, uint32_t slot)
{
    return mix64((uint64_t)e1 * LD_SLOTS + slot);
}

/* a ranks before b */
static bool before(const ld_core_t *c, uint32_t slot, uint32_t a1, uint32_t b1)
{
    const bnode_t *a = NODE(c, a1 - 1, slot), *b = NODE(c, b1 - 1, slot);
    if (a->score != b->score)
        return a->score > b->score;
    if (a->at != b->at)
        return a->at < b->at;
    return strcmp(c->emps[a1 - 1].id, c->emps[b1 - 1].id) < 0;
}

static uint32_t size_of(const ld_core_t *c, uint32_t slot, uint32_t t)
{
    return t ? NODE(c, t - 1, slot)->size : 0;
}

static void fix(ld_core_t *c, uint32_t slot, uint32_t t)
{
    bnode_t *n = NODE(c, t - 1, slot);
    n->size = 1 + size_of(c, slot, n->l) + size_of(c, slot, n->r);
}

/* Sizes are kept on the way down (no sibling reads); only the two nodes of
 * a rotation are recomputed. */
static uint32_t insert(ld_core_t *c, uint32_t slot, uint32_t t, uint32_t x)
{
    if (!t)
        return x;
    bnode_t *n = NODE(c, t - 1, slot);
    n->size++;
    if (before(c, slot, x, t)) {
        n->l = insert(c, slot, n->l, x);
        if (prio(n->l, slot) > prio(t, slot)) {
            uint32_t l = n->l;
            bnode_t *ln = NODE(c, l - 1, slot);
            n->l = ln->r;
            ln->r = t;
            fix(c, slot, t);
            fix(c, slot, l);
            return l;
        }
    } else {
        n->r = insert(c, slot, n->r, x);
        if (prio(n->r, slot) > prio(t, slot)) {
            uint32_t r = n->r;
            bnode_t *rn = NODE(c, r - 1, slot);
            n->r = rn->l;
            rn->l = t;
            fix(c, slot, t);
            fix(c, slot, r);
            return r;
        }
    }
    return t;
}

static uint32_t merge(ld_core_t *c, uint32_t slot, uint32_t a, uint32_t b)
{
    if (!a || !b)
        return a ? a : b;
    if (prio(a, slot) > prio(b, slot)) {
        bnode_t *n = NODE(c, a - 1, slot);
        n->r = merge(c, slot, n->r, b);
        fix(c, slot, a);
        return a;
    }
    bnode_t *n = NODE(c, b - 1, slot);
    n->l = merge(c, slot, a, n->l);
    fix(c, slot, b);
    return b;
}

/* x is in the tree: every node on its path loses one. */
static uint32_t erase(ld_core_t *c, uint32_t slot, uint32_t t, uint32_t x)
{
    if (!t)
        return 0;
    bnode_t *n = NODE(c, t - 1, slot);
    if (t == x)
        return merge(c, slot, n->l, n->r);
    n->size--;
    if (before(c, slot, x, t))
        n->l = erase(c, slot, n->l, x);
    else
        n->r = erase(c, slot, n->r, x);
    return t;
}

/* 1-based rank of x in the tree t (x must be in it). */
static uint32_t rank_of(const ld_core_t *c, uint32_t slot, uint32_t t, uint32_t x)
{
    uint32_t r = 0;
    while (t) {
        const bnode_t *n = NODE(c, t - 1, slot);
        if (t == x)
            return r + size_of(c, slot, n->l) + 1;
        if (before(c, slot, x, t)) {
            t = n->l;
        } else {
            r += size_of(c, slot, n->l) + 1;
            t = n->r;
        }
    }
    return 0;
}

/* The employee (index + 1) at 1-based rank k. */
static uint32_t select_at(const ld_core_t *c, uint32_t slot, uint32_t t, uint32_t k)
{
    while (t) {
        const bnode_t *n = NODE(c, t - 1, slot);
        uint32_t ls = size_of(c, slot, n->l);
        if (k == ls + 1)
            return t;
        if (k <= ls) {
            t = n->l;
        } else {
            k -= ls + 1;
            t = n->r;
        }
    }
    return 0;
}

/* ----------------------------------------------------------- membership -- */

static uint32_t scope_value(const emp_t *e, int scope)
{
    return scope == 1 ? e->centre : scope == 2 ? e->team : scope == 3 ? e->level : 0;
}

void boards_remove(ld_core_t *c, uint32_t emp)
{
    ensure_nodes(c, emp);
    for (uint32_t slot = 0; slot < LD_SLOTS; slot++) {
        bnode_t *n = NODE(c, emp, slot);
        if (!n->board)
            continue;
        board_t *b = &c->boards[n->board - 1];
        b->root = erase(c, slot, b->root, emp + 1);
        *n = (bnode_t){0};
    }
}

void boards_insert(ld_core_t *c, uint32_t emp)
{
    ensure_nodes(c, emp);
    const emp_t *e = &c->emps[emp];
    if (e->flags & EF_LEFT)
        return;
    for (int w = 0; w < LD_WINDOWS; w++) {
        int32_t period = w ? e->win_period[w - 1] : 0;
        if (w && !period)
            continue; /* no points in any period of this window yet */
        for (int s = 0; s < LD_SCOPES; s++) {
            uint32_t slot = (uint32_t)(w * LD_SCOPES + s);
            uint32_t bi = board_get(c, slot, scope_value(e, s), period, true);
            bnode_t *n = NODE(c, emp, slot);
            *n = (bnode_t){0, 0, 1, bi + 1, w ? e->win_score[w - 1] : e->points_total,
                           w ? e->win_at[w - 1] : e->score_at_ms};
            board_t *b = &c->boards[bi];
            b->root = insert(c, slot, b->root, emp + 1);
        }
    }
}

/* Points earned at `at`: the employee's window scores move into the period
 * of `at` (a new period starts from zero). The caller has touched the emp and
 * removed it from its boards; it re-inserts after. */
void boards_add_points(ld_core_t *c, uint32_t emp, int64_t amount, int64_t at)
{
    emp_t *e = &c->emps[emp];
    for (int w = 1; w < LD_WINDOWS; w++) {
        int32_t p = window_period(c, w, at);
        if (e->win_period[w - 1] != p) {
            e->win_period[w - 1] = p;
            e->win_score[w - 1] = 0;
        }
        e->win_score[w - 1] += amount;
        e->win_at[w - 1] = at;
    }
}

void boards_rebuild(ld_core_t *c)
{
    for (size_t i = 0; i < c->n_boards; i++)
        c->boards[i].root = 0;
    if (c->bn_cap)
        memset(c->bn, 0, c->bn_cap * LD_SLOTS * sizeof *c->bn);
    for (uint32_t i = 0; i < c->g.n_emps; i++)
        boards_insert(c, i);
}

void boards_free(ld_core_t *c)
{
    free(c->bn);
    free(c->boards);
    pairset_free(&c->board_ix);
}

/* ---------------------------------------------------------------- query -- */

static const char *const window_names[] = {"all", "week", "month", "quarter", "year"};
static const char *const scope_names[] = {"org", "centre", "team", "level"};

static void add_row(ld_core_t *c, ld_out_t *out, Ladder__V1__Board *b, uint32_t slot, uint32_t e1,
                    uint32_t rank)
{
    const emp_t *e = &c->emps[e1 - 1];
    Ladder__V1__BoardRow *row = body_new(out, &ladder__v1__board_row__descriptor);
    row->rank = rank;
    row->employee_id = ostr(out, e->id);
    row->name = ostr(out, e->name);
    row->points = NODE(c, e1 - 1, slot)->score;
    row->level = e->level;
    b->rows[b->n_rows++] = row;
}

int boards_query(ld_core_t *c, const Ladder__V1__GetBoard *q, int64_t now, ld_out_t *out,
                 Ladder__V1__Board **res)
{
    if (q->window > 4 || q->scope > 3)
        return refuse(c, LADDER__V1__ERROR_CODE__ERR_INVALID, "§9", "board.window",
                      "§9: unknown window or scope");
    uint32_t slot = q->window * LD_SCOPES + q->scope, value = 0;
    const char *sv = q->scope_value ? q->scope_value : "";
    if (q->scope == 1 || q->scope == 2) {
        value = intern_find(c, sv);
        if (!*sv)
            return refuse(c, LADDER__V1__ERROR_CODE__ERR_INVALID, "§9", "board.scope_value",
                          "§9: a %s board needs its name in scope_value", scope_names[q->scope]);
    } else if (q->scope == 3) {
        char *end;
        unsigned long l = strtoul(sv, &end, 10);
        if (!*sv || *end || l >= LD_LEVELS)
            return refuse(c, LADDER__V1__ERROR_CODE__ERR_INVALID, "§9", "board.scope_value",
                          "§9: a level board needs a level 0 to 5 in scope_value");
        value = (uint32_t)l;
    }
    int32_t period = window_period(c, (int)q->window, now);
    uint32_t bi = value == NONE ? NONE : board_get(c, slot, value, period, false);
    const board_t *bd = bi == NONE ? NULL : &c->boards[bi];
    Ladder__V1__Board *b = body_new(out, &ladder__v1__board__descriptor);
    char name[96];
    snprintf(name, sizeof name, "%s/%s%s%.60s", window_names[q->window], scope_names[q->scope],
             q->scope ? ":" : "", q->scope ? sv : "");
    b->name = ostr(out, name);
    if (q->window) {
        const ld_rules_t *r = cur_rules(c);
        b->window_start_ms = ((int64_t)period - 1) * 86400000LL - (int64_t)r->utc_offset_min * 60000;
    }
    uint32_t size = bd ? size_of(c, slot, bd->root) : 0;
    b->size = size;
    uint32_t top = q->top ? q->top : (q->around && *q->around ? 0 : 10);
    if (top > 1000)
        top = 1000;
    uint32_t radius = q->radius ? q->radius : 2;
    if (radius > 100)
        radius = 100;
    uint32_t first = 1, last = top < size ? top : size;
    uint32_t around_rank = 0;
    if (q->around && *q->around) {
        uint32_t e = emp_find(c, q->around);
        if (e == NONE)
            return refuse(c, LADDER__V1__ERROR_CODE__ERR_NOT_FOUND, "§1", "board.around",
                          "§1: no employee %s", q->around);
        if (bd && NODE(c, e, slot)->board == bi + 1)
            around_rank = rank_of(c, slot, bd->root, e + 1);
        if (!around_rank)
            return refuse(c, LADDER__V1__ERROR_CODE__ERR_NOT_FOUND, "§9", "board.around",
                          "§9: %s is not on board %s (no points in this period)", q->around, name);
        if (!top) {
            first = around_rank > radius ? around_rank - radius : 1;
            last = around_rank + radius < size ? around_rank + radius : size;
        }
    }
    size_t cap = (last >= first ? last - first + 1 : 0) + 2 * radius + 2;
    b->rows = arena_alloc(&out->arena, cap * sizeof *b->rows);
    for (uint32_t k = first; k <= last && size; k++)
        add_row(c, out, b, slot, select_at(c, slot, bd->root, k), k);
    if (top && around_rank > last) /* top N plus the asker's own row */
        add_row(c, out, b, slot, select_at(c, slot, bd->root, around_rank), around_rank);
    *res = b;
    return 0;
}
