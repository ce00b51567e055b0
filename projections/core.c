/* core.c — the state's life cycle, the decide/evolve dispatch, savepoints,
 * the output buffer and the deadline heap. DOMAIN.md rules live in the
 * modules (people.c, career.c, retention.c, library.c); this file only routes.
 *
 * Savepoints. While one is open, every record that evolve changes is copied
 * once per savepoint into the undo journal (touch_*); records created are
 * noted too. Rolling back replays the journal backwards. Vectors only ever
 * grow their capacity, so a saved vector is restored into the current buffer.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "internal.h"

static const char *emp_key(const void *ctx, uint32_t i) { return ((const ld_core_t *)ctx)->emps[i].id; }
static const char *case_key(const void *ctx, uint32_t i) { return ((const ld_core_t *)ctx)->cases[i].id; }
static const char *exam_key(const void *ctx, uint32_t i) { return ((const ld_core_t *)ctx)->exams[i].id; }
static const char *task_key(const void *ctx, uint32_t i) { return ((const ld_core_t *)ctx)->tasks[i].id; }
static const char *str_key(const void *ctx, uint32_t i) { return ((const ld_core_t *)ctx)->strings[i]; }
static const char *sub_key(const void *ctx, uint32_t i) { return ((const ld_core_t *)ctx)->subs[i].id; }
static const char *rec_key(const void *ctx, uint32_t i) { return ((const ld_core_t *)ctx)->recs[i].key; }

/* ----------------------------------------------------------- life cycle -- */

ld_core_t *ld_core_new(uint64_t next_seq)
{
    ld_core_t *c = ld_xcalloc(1, sizeof *c);
    ld_rules_default(&c->defaults);
    c->g.next_seq = next_seq ? next_seq : 1;
    c->lib_dirty = true;
    ld_intern(c, ""); /* string 0: "none" */
    return c;
}

void ld_core_destroy(ld_core_t **cp)
{
    if (!cp || !*cp)
        return;
    ld_core_t *c = *cp;
    for (uint32_t i = 0; i < c->g.n_emps; i++) {
        emp_t *e = &c->emps[i];
        free(e->name);
        ld_vec_free(&e->studied), ld_vec_free(&e->examined), ld_vec_free(&e->apprentices);
        ld_vec_free(&e->changes), ld_vec_free(&e->medals);
    }
    for (uint32_t i = 0; i < c->g.n_cases; i++)
        free(c->cases[i].title);
    for (uint32_t i = 0; i < c->g.n_tasks; i++)
        free(c->tasks[i].title);
    for (uint32_t i = 0; i < c->g.n_subs; i++) {
        sub_t *u = &c->subs[i];
        ld_vec_free(&u->reviewers), ld_vec_free(&u->amounts), ld_vec_free(&u->levels);
        ld_vec_free(&u->categories);
    }
    free(c->subs);
    ld_idmap_free(&c->sub_ix);
    for (uint32_t i = 0; i < c->g.n_recs; i++) {
        free(c->recs[i].text);
        ld_vec_free(&c->recs[i].list), ld_vec_free(&c->recs[i].list2);
    }
    free(c->recs);
    ld_idmap_free(&c->rec_ix);
    free(c->facts);
    free(c->pays);
    for (uint32_t i = 0; i < c->g.n_strings; i++)
        free(c->strings[i]);
    for (uint32_t i = 0; i < c->g.n_rules; i++)
        free(c->rules_json[i]);
    free(c->rules), free(c->rules_json), free(c->emps), free(c->cases), free(c->exams);
    free(c->rules_seq), free(c->rules_at);
    free(c->tasks), free(c->changes), free(c->strings), free(c->heap), free(c->undo);
    ld_idmap_free(&c->emp_ix), ld_idmap_free(&c->case_ix), ld_idmap_free(&c->exam_ix);
    ld_idmap_free(&c->task_ix), ld_idmap_free(&c->string_ix);
    for (int i = 0; i < PS_COUNT; i++)
        ld_pairset_free(&c->pairs[i]);
    ld_arena_free(&c->undo_arena);
    ld_boards_free(c);
    free(c);
    *cp = NULL;
}

uint64_t ld_core_next_seq(const ld_core_t *c) { return c->g.next_seq; }
size_t ld_core_employee_count(const ld_core_t *c) { return c->g.n_emps; }

void ld_core_employee_at(const ld_core_t *c, size_t i, ld_emp_summary_t *o)
{
    const emp_t *e = &c->emps[i];
    *o = (ld_emp_summary_t){e->id, c->strings[e->team], c->strings[e->centre], e->level,
                            e->points_total, e->points_since_level, e->points_in_year,
                            (e->flags & EF_LEFT) != 0};
}

bool ld_core_case_partition(const ld_core_t *c, const char *case_id, uint32_t *level,
                            const char **category)
{
    uint32_t k = case_id ? ld_case_find(c, case_id) : NONE;
    if (k == NONE || !c->cases[k].accepted)
        return false;
    *level = c->cases[k].level;
    *category = c->strings[c->cases[k].category];
    return true;
}

long ld_core_employee_find(const ld_core_t *c, const char *id)
{
    uint32_t i = ld_emp_find(c, id);
    return i == NONE ? -1 : (long)i;
}

const ld_rules_t *ld_cur_rules(const ld_core_t *c)
{
    return c->g.n_rules ? &c->rules[c->g.n_rules - 1] : &c->defaults;
}

const ld_rules_t *ld_core_rules(const ld_core_t *c) { return ld_cur_rules(c); }

uint32_t ld_emp_find(const ld_core_t *c, const char *id) { return ld_idmap_get(&c->emp_ix, id, emp_key, c); }
uint32_t ld_case_find(const ld_core_t *c, const char *id) { return ld_idmap_get(&c->case_ix, id, case_key, c); }
uint32_t ld_exam_find(const ld_core_t *c, const char *id) { return ld_idmap_get(&c->exam_ix, id, exam_key, c); }
uint32_t ld_task_find(const ld_core_t *c, const char *id) { return ld_idmap_get(&c->task_ix, id, task_key, c); }
uint32_t ld_intern_find(const ld_core_t *c, const char *s) { return ld_idmap_get(&c->string_ix, s, str_key, c); }
uint32_t ld_sub_find(const ld_core_t *c, const char *id) { return ld_idmap_get(&c->sub_ix, id, sub_key, c); }

static void rec_name(char *key, int kind, const char *id)
{
    snprintf(key, 80, "%d:%.76s", kind, id);
}

uint32_t ld_rec_find(const ld_core_t *c, int kind, const char *id)
{
    char key[80];
    rec_name(key, kind, id);
    return ld_idmap_get(&c->rec_ix, key, rec_key, c);
}

#define GROW(arr, cap, n)                                                  \
    do {                                                                   \
        if ((n) >= (cap)) {                                                \
            (cap) = (cap) ? (cap) * 2 : 64;                                \
            (arr) = ld_xrealloc((arr), (cap) * sizeof *(arr));                \
        }                                                                  \
    } while (0)

/* Interned strings (teams, centres, categories, medals, used ids) are listed
 * in snapshots in order, so a rollback removes what it added (U_GLOBALS). */
uint32_t ld_intern(ld_core_t *c, const char *s)
{
    uint32_t i = ld_intern_find(c, s);
    if (i != NONE)
        return i;
    ld_touch_globals(c);
    GROW(c->strings, c->strings_cap, c->g.n_strings);
    i = c->g.n_strings++;
    c->strings[i] = ld_xstrdup(s);
    ld_idmap_put(&c->string_ix, s, i, str_key, c);
    return i;
}

/* ------------------------------------------------------------ savepoints -- */

static void journal(ld_core_t *c, uint8_t kind, uint32_t idx, void *saved)
{
    GROW(c->undo, c->undo_cap, c->undo_n);
    c->undo[c->undo_n++] = (undo_t){.kind = kind, .idx = idx, .saved = saved};
}

void ld_touch_globals(ld_core_t *c)
{
    if (!c->depth || c->g.stamp == c->stamp_seq)
        return;
    globals_t *s = ld_arena_alloc(&c->undo_arena, sizeof *s);
    *s = c->g;
    c->g.stamp = c->stamp_seq;
    journal(c, U_GLOBALS, 0, s);
}

static void save_vec(ld_core_t *c, vec_t *dst, const vec_t *src)
{
    dst->len = src->len;
    dst->cap = src->len;
    dst->v = src->len ? memcpy(ld_arena_alloc(&c->undo_arena, src->len * sizeof *src->v), src->v,
                               src->len * sizeof *src->v)
                      : NULL;
}

static void restore_vec(vec_t *cur, const vec_t *saved)
{
    /* cur->cap >= saved->len: capacities only grow */
    if (saved->len)
        memcpy(cur->v, saved->v, saved->len * sizeof *cur->v);
    cur->len = saved->len;
}

void ld_touch_emp(ld_core_t *c, uint32_t i)
{
    emp_t *e = &c->emps[i];
    if (!c->depth || e->stamp == c->stamp_seq)
        return;
    emp_t *s = ld_arena_alloc(&c->undo_arena, sizeof *s);
    *s = *e;
    save_vec(c, &s->studied, &e->studied);
    save_vec(c, &s->examined, &e->examined);
    save_vec(c, &s->apprentices, &e->apprentices);
    save_vec(c, &s->changes, &e->changes);
    save_vec(c, &s->medals, &e->medals);
    e->stamp = c->stamp_seq;
    journal(c, U_EMP, i, s);
}

void ld_touch_case(ld_core_t *c, uint32_t i)
{
    case_t *e = &c->cases[i];
    if (!c->depth || e->stamp == c->stamp_seq)
        return;
    case_t *s = ld_arena_alloc(&c->undo_arena, sizeof *s);
    *s = *e;
    e->stamp = c->stamp_seq;
    journal(c, U_CASE, i, s);
}

void ld_touch_exam(ld_core_t *c, uint32_t i)
{
    exam_t *e = &c->exams[i];
    if (!c->depth || e->stamp == c->stamp_seq)
        return;
    exam_t *s = ld_arena_alloc(&c->undo_arena, sizeof *s);
    *s = *e;
    e->stamp = c->stamp_seq;
    journal(c, U_EXAM, i, s);
}

void ld_pair_add(ld_core_t *c, int set, uint32_t a, uint32_t b, uint32_t val)
{
    uint32_t old;
    bool had = ld_pairset_get(&c->pairs[set], a, b, &old);
    if (c->depth) {
        GROW(c->undo, c->undo_cap, c->undo_n);
        c->undo[c->undo_n++] = (undo_t){.kind = had ? U_PAIR_SET : U_PAIR_ADD, .set = (uint8_t)set,
                                        .idx = a, .b = b, .old_val = old};
    }
    ld_pairset_put(&c->pairs[set], a, b, val);
}

void ld_touch_sub(ld_core_t *c, uint32_t i)
{
    sub_t *e = &c->subs[i];
    if (!c->depth || e->stamp == c->stamp_seq)
        return;
    sub_t *s = ld_arena_alloc(&c->undo_arena, sizeof *s);
    *s = *e;
    save_vec(c, &s->reviewers, &e->reviewers);
    save_vec(c, &s->amounts, &e->amounts);
    save_vec(c, &s->levels, &e->levels);
    save_vec(c, &s->categories, &e->categories);
    e->stamp = c->stamp_seq;
    journal(c, U_SUB, i, s);
}

/* Facts carry no savepoint stamp (32 bytes each): every change is journaled,
 * and the oldest saved copy is the one a rollback leaves. */
void ld_touch_fact(ld_core_t *c, uint32_t i)
{
    if (!c->depth)
        return;
    fact_t *s = ld_arena_alloc(&c->undo_arena, sizeof *s);
    *s = c->facts[i];
    journal(c, U_FACT, i, s);
}

uint32_t ld_fact_new(ld_core_t *c, uint64_t seq)
{
    ld_touch_globals(c);
    GROW(c->facts, c->facts_cap, c->g.n_facts);
    uint32_t i = c->g.n_facts++;
    fact_t *f = &c->facts[i];
    memset(f, 0, sizeof *f);
    f->seq = seq;
    f->emp = f->n2 = NONE;
    return i;
}

void ld_fact_pay(ld_core_t *c, uint32_t f, uint32_t emp, uint32_t amount)
{
    /* pays follow their fact: only the last fact takes new ones */
    if (f + 1 != c->g.n_facts)
        return;
    ld_touch_globals(c);
    GROW(c->pays, c->pays_cap, c->g.n_pays);
    c->pays[c->g.n_pays++] = (pay_t){f, emp, amount};
}

void ld_touch_rec(ld_core_t *c, uint32_t i)
{
    rec_t *e = &c->recs[i];
    if (!c->depth || e->stamp == c->stamp_seq)
        return;
    rec_t *s = ld_arena_alloc(&c->undo_arena, sizeof *s);
    *s = *e;
    save_vec(c, &s->list, &e->list);
    save_vec(c, &s->list2, &e->list2);
    e->stamp = c->stamp_seq;
    journal(c, U_REC, i, s);
}

uint32_t ld_core_savepoint(ld_core_t *c)
{
    c->depth++;
    c->stamp_seq++;
    return (uint32_t)c->undo_n;
}

static void undo_one(ld_core_t *c, const undo_t *u)
{
    switch (u->kind) {
    case U_GLOBALS: {
        const globals_t *s = u->saved;
        /* drop records created since: the arrays shrink back */
        for (uint32_t i = s->n_emps; i < c->g.n_emps; i++) {
            emp_t *e = &c->emps[i];
            ld_boards_drop(c, i);
            ld_idmap_del(&c->emp_ix, e->id, emp_key, c);
            free(e->name);
            ld_vec_free(&e->studied), ld_vec_free(&e->examined), ld_vec_free(&e->apprentices);
            ld_vec_free(&e->changes), ld_vec_free(&e->medals);
        }
        for (uint32_t i = s->n_cases; i < c->g.n_cases; i++) {
            ld_idmap_del(&c->case_ix, c->cases[i].id, case_key, c);
            free(c->cases[i].title);
        }
        for (uint32_t i = s->n_exams; i < c->g.n_exams; i++)
            ld_idmap_del(&c->exam_ix, c->exams[i].id, exam_key, c);
        for (uint32_t i = s->n_tasks; i < c->g.n_tasks; i++) {
            ld_idmap_del(&c->task_ix, c->tasks[i].id, task_key, c);
            free(c->tasks[i].title);
        }
        for (uint32_t i = s->n_subs; i < c->g.n_subs; i++) {
            sub_t *u = &c->subs[i];
            ld_idmap_del(&c->sub_ix, u->id, sub_key, c);
            ld_vec_free(&u->reviewers), ld_vec_free(&u->amounts), ld_vec_free(&u->levels);
            ld_vec_free(&u->categories);
        }
        for (uint32_t i = s->n_recs; i < c->g.n_recs; i++) {
            rec_t *r = &c->recs[i];
            ld_idmap_del(&c->rec_ix, r->key, rec_key, c);
            free(r->text);
            ld_vec_free(&r->list), ld_vec_free(&r->list2);
        }
        for (uint32_t i = s->n_strings; i < c->g.n_strings; i++) {
            ld_idmap_del(&c->string_ix, c->strings[i], str_key, c);
            free(c->strings[i]);
        }
        for (uint32_t i = s->n_rules; i < c->g.n_rules; i++)
            free(c->rules_json[i]);
        c->g = *s;
        break;
    }
    case U_EMP: {
        const emp_t *s = u->saved;
        emp_t *e = &c->emps[u->idx];
        if (u->idx >= c->g.n_emps)
            break; /* created after the mark: U_GLOBALS frees it */
        ld_boards_remove(c, u->idx);
        emp_t cur = *e;
        restore_vec(&cur.studied, &s->studied);
        restore_vec(&cur.examined, &s->examined);
        restore_vec(&cur.apprentices, &s->apprentices);
        restore_vec(&cur.changes, &s->changes);
        restore_vec(&cur.medals, &s->medals);
        *e = *s;
        e->studied = cur.studied, e->examined = cur.examined, e->apprentices = cur.apprentices;
        e->changes = cur.changes, e->medals = cur.medals;
        if (e->year_end_ms)
            ld_deadline_push(c, e->year_end_ms, u->idx, LD_DEADLINE_RETENTION);
        if (e->appeal == AP_OPEN)
            ld_deadline_push(c, e->appeal_deadline_ms, u->idx, LD_DEADLINE_APPEAL);
        if (e->open_exam != NONE && e->open_exam < c->g.n_exams &&
            c->exams[e->open_exam].expires_ms <= LD_MAX_MS)
            ld_deadline_push(c, c->exams[e->open_exam].expires_ms, u->idx, LD_DEADLINE_EXAM);
        ld_boards_insert(c, u->idx);
        break;
    }
    case U_CASE:
        if (u->idx < c->g.n_cases)
            c->cases[u->idx] = *(const case_t *)u->saved;
        break;
    case U_EXAM:
        if (u->idx < c->g.n_exams)
            c->exams[u->idx] = *(const exam_t *)u->saved;
        break;
    case U_FACT:
        if (u->idx < c->g.n_facts)
            c->facts[u->idx] = *(const fact_t *)u->saved;
        break;
    case U_REC: {
        const rec_t *s = u->saved;
        rec_t *e = &c->recs[u->idx], cur = *e;
        restore_vec(&cur.list, &s->list);
        restore_vec(&cur.list2, &s->list2);
        *e = *s;
        e->list = cur.list, e->list2 = cur.list2;
        break;
    }
    case U_SUB: {
        const sub_t *s = u->saved;
        sub_t *e = &c->subs[u->idx], cur = *e;
        restore_vec(&cur.reviewers, &s->reviewers);
        restore_vec(&cur.amounts, &s->amounts);
        restore_vec(&cur.levels, &s->levels);
        restore_vec(&cur.categories, &s->categories);
        *e = *s;
        e->reviewers = cur.reviewers, e->amounts = cur.amounts, e->levels = cur.levels;
        e->categories = cur.categories;
        break;
    }
    case U_PAIR_ADD:
        ld_pairset_del(&c->pairs[u->set], u->idx, u->b);
        break;
    case U_PAIR_SET:
        ld_pairset_put(&c->pairs[u->set], u->idx, u->b, u->old_val);
        break;
    }
}

void ld_core_rollback(ld_core_t *c, uint32_t mark)
{
    while (c->undo_n > mark)
        undo_one(c, &c->undo[--c->undo_n]);
    c->lib_dirty = true;
    c->stamp_seq++; /* records restored carry old stamps: save them afresh */
}

void ld_core_release(ld_core_t *c)
{
    c->undo_n = 0;
    c->depth = 0;
    c->stamp_seq++;
    ld_arena_reset(&c->undo_arena);
}

/* ------------------------------------------------------------- records -- */

uint32_t ld_emp_new(ld_core_t *c, const char *id)
{
    ld_touch_globals(c);
    GROW(c->emps, c->emps_cap, c->g.n_emps);
    uint32_t i = c->g.n_emps++;
    emp_t *e = &c->emps[i];
    memset(e, 0, sizeof *e);
    snprintf(e->id, sizeof e->id, "%s", id);
    e->mentor = NONE;
    e->open_exam = NONE;
    e->stamp = c->stamp_seq;
    ld_idmap_put(&c->emp_ix, e->id, i, emp_key, c);
    return i;
}

uint32_t ld_case_new(ld_core_t *c, const char *id)
{
    ld_touch_globals(c);
    GROW(c->cases, c->cases_cap, c->g.n_cases);
    uint32_t i = c->g.n_cases++;
    case_t *k = &c->cases[i];
    memset(k, 0, sizeof *k);
    snprintf(k->id, sizeof k->id, "%s", id);
    k->stamp = c->stamp_seq;
    ld_idmap_put(&c->case_ix, k->id, i, case_key, c);
    return i;
}

uint32_t ld_exam_new(ld_core_t *c, const char *id)
{
    ld_touch_globals(c);
    GROW(c->exams, c->exams_cap, c->g.n_exams);
    uint32_t i = c->g.n_exams++;
    exam_t *x = &c->exams[i];
    memset(x, 0, sizeof *x);
    snprintf(x->id, sizeof x->id, "%s", id);
    x->stamp = c->stamp_seq;
    ld_idmap_put(&c->exam_ix, x->id, i, exam_key, c);
    return i;
}

uint32_t ld_task_new(ld_core_t *c, const char *id)
{
    ld_touch_globals(c);
    GROW(c->tasks, c->tasks_cap, c->g.n_tasks);
    uint32_t i = c->g.n_tasks++;
    task_t *t = &c->tasks[i];
    memset(t, 0, sizeof *t);
    snprintf(t->id, sizeof t->id, "%s", id);
    ld_idmap_put(&c->task_ix, t->id, i, task_key, c);
    return i;
}

uint32_t ld_sub_new(ld_core_t *c, const char *id)
{
    ld_touch_globals(c);
    GROW(c->subs, c->subs_cap, c->g.n_subs);
    uint32_t i = c->g.n_subs++;
    sub_t *u = &c->subs[i];
    memset(u, 0, sizeof *u);
    snprintf(u->id, sizeof u->id, "%s", id);
    u->stamp = c->stamp_seq;
    ld_idmap_put(&c->sub_ix, u->id, i, sub_key, c);
    return i;
}

uint32_t ld_rec_new(ld_core_t *c, int kind, const char *id)
{
    ld_touch_globals(c);
    GROW(c->recs, c->recs_cap, c->g.n_recs);
    uint32_t i = c->g.n_recs++;
    rec_t *r = &c->recs[i];
    memset(r, 0, sizeof *r);
    rec_name(r->key, kind, id);
    r->kind = (uint8_t)kind;
    r->a = r->b = NONE;
    r->stamp = c->stamp_seq;
    ld_idmap_put(&c->rec_ix, r->key, i, rec_key, c);
    return i;
}

uint32_t ld_change_new(ld_core_t *c)
{
    ld_touch_globals(c);
    GROW(c->changes, c->changes_cap, c->g.n_changes);
    uint32_t i = c->g.n_changes++;
    memset(&c->changes[i], 0, sizeof c->changes[i]);
    c->changes[i].exam = NONE;
    return i;
}

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
    GROW(c->heap, c->heap_cap, c->heap_n);
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

/* -------------------------------------------------------------- output -- */

static void *out_alloc(void *ctx, size_t n)
{
    return ld_arena_alloc(&((ld_out_t *)ctx)->arena, n);
}

static void out_free(void *ctx, void *p)
{
    (void)ctx, (void)p; /* freed in bulk by ld_out_reset */
}

ld_out_t *ld_out_new(void)
{
    ld_out_t *o = ld_xcalloc(1, sizeof(ld_out_t));
    o->alloc = (ProtobufCAllocator){out_alloc, out_free, o};
    return o;
}

void ld_out_destroy(ld_out_t **o)
{
    if (!o || !*o)
        return;
    ld_arena_free(&(*o)->arena);
    free((*o)->ev);
    free(*o);
    *o = NULL;
}

void ld_out_reset(ld_out_t *o)
{
    o->n = 0;
    ld_arena_reset(&o->arena);
}

size_t ld_out_count(const ld_out_t *o) { return o->n; }
Ladder__V1__Event **ld_out_events(ld_out_t *o) { return o->ev; }

void ld_out_truncate(ld_out_t *o, size_t n)
{
    if (n < o->n)
        o->n = n;
}

void *ld_body_new(ld_out_t *out, const ProtobufCMessageDescriptor *d)
{
    void *m = ld_arena_alloc(&out->arena, d->sizeof_message);
    protobuf_c_message_init(d, m);
    return m;
}

char *ld_ostr(ld_out_t *out, const char *s)
{
    return ld_arena_strdup(&out->arena, s ? s : "");
}

int ld_refuse(ld_core_t *c, int code, const char *section, const char *field, const char *fmt, ...)
{
    ld_refusal_t *w = c->why;
    if (!w)
        return -1;
    w->code = code;
    snprintf(w->section, sizeof w->section, "%s", section ? section : "");
    snprintf(w->field, sizeof w->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->message, sizeof w->message, fmt, ap);
    va_end(ap);
    return -1;
}

Ladder__V1__Event *ld_emit(ld_core_t *c, ld_out_t *out, const ld_ctx_t *ctx, const char *stream_kind,
                        const char *stream_id, Ladder__V1__Event__BodyCase body, uint64_t cause)
{
    if (out->n == out->cap) {
        out->cap = out->cap ? out->cap * 2 : 64;
        out->ev = ld_xrealloc(out->ev, out->cap * sizeof *out->ev);
    }
    Ladder__V1__Event *ev = ld_body_new(out, &ladder__v1__event__descriptor);
    out->ev[out->n++] = ev;
    ev->seq = c->g.next_seq;
    /* A deterministic unique id: the seq, then a hash of the request id. */
    uint8_t *id = ld_arena_alloc(&out->arena, 16);
    uint64_t h = 0;
    for (size_t i = 0; i < ctx->request_id_len; i++)
        h = (h ^ ctx->request_id[i]) * 1099511628211ull;
    for (int i = 0; i < 8; i++) {
        id[i] = (uint8_t)(ev->seq >> (56 - 8 * i));
        id[8 + i] = (uint8_t)(h >> (56 - 8 * i));
    }
    ev->id = (ProtobufCBinaryData){16, id};
    size_t kl = strlen(stream_kind), il = stream_id ? strlen(stream_id) : 0;
    char *stream = ld_arena_alloc(&out->arena, kl + il + 2);
    memcpy(stream, stream_kind, kl);
    if (il) {
        stream[kl] = '/';
        memcpy(stream + kl + 1, stream_id, il);
    }
    ev->stream = stream;
    ev->at_ms = ctx->now_ms;
    ev->actor = ld_ostr(out, ctx->principal && *ctx->principal ? ctx->principal : "system");
    if (ctx->request_id_len) {
        uint8_t *rid = ld_arena_alloc(&out->arena, ctx->request_id_len);
        memcpy(rid, ctx->request_id, ctx->request_id_len);
        ev->request_id = (ProtobufCBinaryData){ctx->request_id_len, rid};
    }
    ev->cause_seq = cause;
    ev->rules_version = ld_cur_rules(c)->version;
    ev->body_case = body;
    return ev;
}

int ld_apply(ld_core_t *c, Ladder__V1__Event *ev)
{
    if (ld_core_evolve(c, ev) != 0)
        return ld_refuse(c, LADDER__V1__ERROR_CODE__ERR_INTERNAL, NULL, NULL,
                      "internal: event %llu (%s) did not apply", (unsigned long long)ev->seq,
                      ev->stream);
    return 0;
}

/* ------------------------------------------------------- decide/evolve -- */

int64_t ld_core_last_at(const ld_core_t *c)
{
    return c->g.last_at_ms;
}

int ld_core_evolve(ld_core_t *c, const Ladder__V1__Event *ev)
{
    if (ev->seq != c->g.next_seq || ev->at_ms < 0 || ev->at_ms > LD_MAX_MS)
        return -1;
    const ld_event_kind_t *k = ld_core_event_kind((int)ev->body_case);
    if (!k || k->evolve(c, ev))
        return -1;
    ld_facts_note(c, ev); /* §12 v2: remember what a reversal may name */
    ld_touch_globals(c);
    c->g.next_seq = ev->seq + 1;
    if (ev->at_ms > c->g.last_at_ms)
        c->g.last_at_ms = ev->at_ms;
    return 0;
}

/* Routes a command through its row: the sender is checked against the row
 * (§1), then the row's decider decides. */
static int decide(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx, ld_out_t *out)
{
    if (!cmd)
        return ld_refuse(c, LADDER__V1__ERROR_CODE__ERR_INVALID, NULL, "commands", "empty command");
    const ld_command_t *row = ld_core_command((int)cmd->cmd_case);
    if (!row || !cmd->hire) /* every member of the oneof shares one pointer */
        return ld_refuse(c, LADDER__V1__ERROR_CODE__ERR_INVALID, NULL, "commands",
                         "unknown or empty command (oneof case %d)", (int)cmd->cmd_case);
    if (ld_command_check_sender(c, row, cmd, ctx))
        return -1;
    return row->decide(c, cmd, ctx, out);
}

int ld_core_execute(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
                    ld_out_t *out, ld_refusal_t *why)
{
    ld_refusal_t scratch;
    memset(why ? why : &scratch, 0, sizeof scratch);
    c->why = why ? why : &scratch;
    bool own = c->depth == 0;
    uint32_t mark = ld_core_savepoint(c);
    size_t n0 = out->n;
    arena_mark_t am = ld_arena_mark(&out->arena);
    int rc = decide(c, cmd, ctx, out);
    if (rc) {
        ld_core_rollback(c, mark);
        out->n = n0;
        ld_arena_rewind(&out->arena, am); /* a refusal leaves no bytes behind */
    }
    if (own)
        ld_core_release(c);
    c->why = NULL;
    return rc ? -1 : 0;
}

int ld_core_query(ld_core_t *c, const Ladder__V1__Query *q, int64_t now_ms, ld_out_t *out,
                  Ladder__V1__Ok *ok, ld_refusal_t *why)
{
    ld_refusal_t scratch;
    memset(why ? why : &scratch, 0, sizeof scratch);
    c->why = why ? why : &scratch;
    int rc = !q ? ld_refuse(c, LADDER__V1__ERROR_CODE__ERR_INVALID, NULL, "query", "empty query")
             : q->q_case == LADDER__V1__QUERY__Q_RULES ? ld_org_rules_query(c, q->rules, out, ok)
             : ld_queries_run(c, q, now_ms, out, ok);
    c->why = NULL;
    return rc;
}
