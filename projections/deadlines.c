/* deadlines.c — the deadline heap (§6.6 exam expiry, §7 retention close and
 * appeal windows, §4 v2 library check): entries are validated lazily against
 * the employee, so a changed employee needs no removal, only a new push. */
#include "internal.h"

/* ----------------------------------------------------------- deadlines -- */

static bool deadline_valid(const ld_core_t *c, const deadline_t *d)
{
    if (d->emp >= c->g.n_emps)
        return false;
    const emp_t *e = &c->emps[d->emp];
    if (e->flags & EF_LEFT)
        return false;
    if (d->kind == LD_DEADLINE_RETENTION)
        return e->year_end_ms == d->at && e->level >= 1;
    if (d->kind == LD_DEADLINE_EXAM)
        return e->open_exam != NONE && c->exams[e->open_exam].expires_ms == d->at;
    return e->appeal == AP_OPEN && e->appeal_deadline_ms == d->at;
}

static bool heap_less(const deadline_t *a, const deadline_t *b)
{
    if (a->at != b->at)
        return a->at < b->at;
    if (a->emp != b->emp)
        return a->emp < b->emp;
    return a->kind < b->kind;
}

void ld_deadline_push(ld_core_t *c, int64_t at, uint32_t emp, uint32_t kind)
{
    LD_GROW(c->heap, c->heap_cap, c->heap_n);
    size_t i = c->heap_n++;
    c->heap[i] = (deadline_t){at, emp, kind};
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!heap_less(&c->heap[i], &c->heap[p]))
            break;
        deadline_t t = c->heap[i];
        c->heap[i] = c->heap[p];
        c->heap[p] = t;
        i = p;
    }
}

static void heap_pop(ld_core_t *c)
{
    c->heap[0] = c->heap[--c->heap_n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < c->heap_n && heap_less(&c->heap[l], &c->heap[m]))
            m = l;
        if (r < c->heap_n && heap_less(&c->heap[r], &c->heap[m]))
            m = r;
        if (m == i)
            break;
        deadline_t t = c->heap[i];
        c->heap[i] = c->heap[m];
        c->heap[m] = t;
        i = m;
    }
}

void ld_deadlines_rebuild(ld_core_t *c)
{
    c->heap_n = 0;
    for (uint32_t i = 0; i < c->g.n_emps; i++) {
        const emp_t *e = &c->emps[i];
        if (e->year_end_ms)
            ld_deadline_push(c, e->year_end_ms, i, LD_DEADLINE_RETENTION);
        if (e->appeal == AP_OPEN)
            ld_deadline_push(c, e->appeal_deadline_ms, i, LD_DEADLINE_APPEAL);
        if (e->open_exam != NONE && c->exams[e->open_exam].expires_ms <= LD_MAX_MS)
            ld_deadline_push(c, c->exams[e->open_exam].expires_ms, i, LD_DEADLINE_EXAM);
    }
}

bool ld_core_next_deadline(ld_core_t *c, int64_t *at_ms, const char **employee_id, int *kind)
{
    while (c->heap_n && !deadline_valid(c, &c->heap[0]))
        heap_pop(c);
    int64_t lib;
    if (ld_library_due(c, &lib) && (!c->heap_n || lib < c->heap[0].at)) {
        *at_ms = lib;
        if (employee_id)
            *employee_id = "";
        if (kind)
            *kind = LD_DEADLINE_LIBRARY;
        return true;
    }
    if (!c->heap_n)
        return false;
    *at_ms = c->heap[0].at;
    if (employee_id)
        *employee_id = c->emps[c->heap[0].emp].id;
    if (kind)
        *kind = (int)c->heap[0].kind;
    return true;
}
