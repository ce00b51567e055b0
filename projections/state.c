/* state.c — the state's records, below the dispatch (core.c): finding them
 * by id, creating them, interning strings, and the undo journal that
 * savepoints keep (touch_*), and evolve, which the deciders' ld_apply and
 * replay both call. The modules call these; nothing here calls core.c.
 *
 * Savepoints. While one is open, every record that evolve changes is copied
 * once per savepoint into the undo journal (touch_*); records created are
 * noted too. Rolling back replays the journal backwards. Vectors only ever
 * grow their capacity, so a saved vector is restored into the current buffer.
 *
 * Entities. Employees, cases, exams, tasks, submissions and records are rows
 * of one mechanism ("entities" below): a table of what each kind's rows own
 * and feed drives find, create, touch, rollback and free.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

static bool str_eq(const void *ctx, uint32_t i, const void *s)
{
    return strcmp(((const ld_core_t *)ctx)->strings[i], s) == 0;
}

static uint64_t str_hash(const char *s) { return ld_hash_str(s, strlen(s)); }

/* -------------------------------------------------------------- lookup -- */

const ld_rules_t *ld_cur_rules(const ld_core_t *c)
{
    return c->g.n_rules ? &c->rules[c->g.n_rules - 1] : &c->defaults;
}

uint32_t ld_intern_find(const ld_core_t *c, const char *s)
{
    return ld_table_get(&c->string_ix, str_hash(s), s, str_eq, c);
}

/* Interned strings (teams, centres, categories, medals, used ids) are listed
 * in snapshots in order, so a rollback removes what it added (U_GLOBALS). */
uint32_t ld_intern(ld_core_t *c, const char *s)
{
    uint32_t i = ld_intern_find(c, s);
    if (i != NONE)
        return i;
    ld_touch_globals(c);
    LD_GROW(c->strings, c->strings_cap, c->g.n_strings);
    i = c->g.n_strings++;
    c->strings[i] = ld_xstrdup(s);
    ld_table_put(&c->string_ix, str_hash(s), s, i, str_eq, c);
    return i;
}
/* ------------------------------------------------------------ savepoints -- */

static void journal(ld_core_t *c, uint8_t kind, uint8_t set, uint32_t idx, void *saved)
{
    LD_GROW(c->undo, c->undo_cap, c->undo_n);
    c->undo[c->undo_n++] = (undo_t){.kind = kind, .set = set, .idx = idx, .saved = saved};
}

void ld_touch_globals(ld_core_t *c)
{
    if (!c->depth || c->g.stamp == c->stamp_seq)
        return;
    globals_t *s = ld_arena_alloc(&c->undo_arena, sizeof *s);
    *s = c->g;
    c->g.stamp = c->stamp_seq;
    journal(c, U_GLOBALS, 0, 0, s);
}

/* A row's vectors are saved by length only: between a savepoint and its
 * rollback they grow at the end (ld_vec_push), and the one call that
 * changes what is below the length, a removal, saves the contents first
 * (ld_ent_vec_remove, journaled as U_VEC). So the rollback puts the length
 * back and the contents are as they were. Copying every vector of every
 * row a savepoint touched was a cache miss each (issue 17). */
static void save_vec(vec_t *dst, const vec_t *src)
{
    *dst = (vec_t){NULL, src->len, 0};
}

static void restore_vec(vec_t *cur, const vec_t *saved)
{
    /* cur holds saved->len elements as they were (see save_vec) */
    cur->len = saved->len;
}

void ld_pair_add(ld_core_t *c, int set, uint32_t a, uint32_t b, uint32_t val)
{
    uint32_t old = 0;
    bool had = ld_pairs_put(&c->pairs[set], a, b, val, &old);
    if (c->depth) {
        LD_GROW(c->undo, c->undo_cap, c->undo_n);
        c->undo[c->undo_n++] = (undo_t){.kind = had ? U_PAIR_SET : U_PAIR_ADD, .set = (uint8_t)set,
                                        .idx = a, .b = b, .old_val = old};
    }
}

/* Facts carry no savepoint stamp (32 bytes each): every change is journaled,
 * and the oldest saved copy is the one a rollback leaves. */
void ld_touch_fact(ld_core_t *c, uint32_t i)
{
    if (!c->depth)
        return;
    fact_t *s = ld_arena_alloc(&c->undo_arena, sizeof *s);
    *s = c->facts[i];
    journal(c, U_FACT, 0, i, s);
}

uint32_t ld_fact_new(ld_core_t *c, uint64_t seq)
{
    ld_touch_globals(c);
    LD_GROW_BIG(c->facts, c->facts_cap, c->g.n_facts);
    ld_pages_ahead(c->facts, c->g.n_facts * sizeof *c->facts, sizeof *c->facts,
                   c->facts_cap * sizeof *c->facts);
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
    LD_GROW_BIG(c->pays, c->pays_cap, c->g.n_pays);
    ld_pages_ahead(c->pays, c->g.n_pays * sizeof *c->pays, sizeof *c->pays,
                   c->pays_cap * sizeof *c->pays);
    c->pays[c->g.n_pays++] = (pay_t){f, emp, amount};
}

/* ------------------------------------------------------------ entities -- */
/* Every kind of row found by id shares one mechanism: an array grown by
 * doubling, an id index (ld_table_t), a savepoint stamp, and a row of
 * `kinds` saying what a row owns (vectors, a text) and which derived state
 * it feeds. Only employees feed any: the boards order them and the deadline
 * heap holds their retention, appeal and exam deadlines. */

#define ENT_VECS 5

typedef struct {
    size_t size, key_off, key_len;
    size_t stamp_off;                   /* 0: rows never change once made (tasks) */
    size_t text_off;                    /* an owned char *; 0: none */
    uint8_t n_vecs;
    uint16_t vec_off[ENT_VECS];         /* the vec_t members a row owns */
    /* derived state: a row created since the savepoint is about to go... */
    void (*dropping)(ld_core_t *c, uint32_t i);
    /* ...a saved row is about to be put back, and has been */
    void (*restoring)(ld_core_t *c, uint32_t i);
    void (*restored)(ld_core_t *c, uint32_t i);
} ent_kind_t;

/* An employee put back: its deadlines go back on the heap (entries that no
 * longer match are skipped when they fire), and it goes back on the boards. */
static void emp_restored(ld_core_t *c, uint32_t i)
{
    const emp_t *e = &c->emps[i];
    if (e->year_end_ms)
        ld_deadline_push(c, e->year_end_ms, i, LD_DEADLINE_RETENTION);
    if (e->appeal == AP_OPEN)
        ld_deadline_push(c, e->appeal_deadline_ms, i, LD_DEADLINE_APPEAL);
    if (e->open_exam != NONE && e->open_exam < c->g.n_exams &&
        c->exams[e->open_exam].expires_ms <= LD_MAX_MS)
        ld_deadline_push(c, c->exams[e->open_exam].expires_ms, i, LD_DEADLINE_EXAM);
    ld_boards_insert(c, i);
}

#define KIND(type, key) .size = sizeof(type), .key_off = offsetof(type, key), \
                        .key_len = sizeof ((type *)0)->key
#define STAMP(type) .stamp_off = offsetof(type, stamp)
#define TEXT(type, m) .text_off = offsetof(type, m)
#define V(type, m) offsetof(type, m)
static const ent_kind_t kinds[ENT_COUNT] = {
    [ENT_EMP] = {KIND(emp_t, id), STAMP(emp_t), .n_vecs = 5,
                 .vec_off = {V(emp_t, studied), V(emp_t, examined), V(emp_t, apprentices),
                             V(emp_t, changes), V(emp_t, medals)},
                 .dropping = ld_boards_drop, .restoring = ld_boards_remove,
                 .restored = emp_restored},
    [ENT_CASE] = {KIND(case_t, id), STAMP(case_t), TEXT(case_t, title)},
    [ENT_EXAM] = {KIND(exam_t, id), STAMP(exam_t)},
    [ENT_TASK] = {KIND(task_t, id), TEXT(task_t, title)},
    [ENT_SUB] = {KIND(sub_t, id), STAMP(sub_t), .n_vecs = 4,
                 .vec_off = {V(sub_t, reviewers), V(sub_t, amounts), V(sub_t, levels),
                             V(sub_t, categories)}},
    [ENT_REC] = {KIND(rec_t, key), STAMP(rec_t), TEXT(rec_t, text), .n_vecs = 2,
                 .vec_off = {V(rec_t, list), V(rec_t, list2)}},
};
#undef KIND
#undef STAMP
#undef TEXT
#undef V

static char *ent_rows(const ld_core_t *c, int k)
{
    switch (k) {
    case ENT_EMP: return (char *)c->emps;
    case ENT_CASE: return (char *)c->cases;
    case ENT_EXAM: return (char *)c->exams;
    case ENT_TASK: return (char *)c->tasks;
    case ENT_SUB: return (char *)c->subs;
    default: return (char *)c->recs;
    }
}

static uint32_t *ent_count_in(globals_t *g, int k)
{
    switch (k) {
    case ENT_EMP: return &g->n_emps;
    case ENT_CASE: return &g->n_cases;
    case ENT_EXAM: return &g->n_exams;
    case ENT_TASK: return &g->n_tasks;
    case ENT_SUB: return &g->n_subs;
    default: return &g->n_recs;
    }
}

static uint32_t ent_count(const ld_core_t *c, int k) { return *ent_count_in((globals_t *)&c->g, k); }

static ld_table_t *ent_ix(const ld_core_t *c, int k)
{
    ld_core_t *m = (ld_core_t *)c; /* the index of a const core is read only */
    switch (k) {
    case ENT_EMP: return &m->emp_ix;
    case ENT_CASE: return &m->case_ix;
    case ENT_EXAM: return &m->exam_ix;
    case ENT_TASK: return &m->task_ix;
    case ENT_SUB: return &m->sub_ix;
    default: return &m->rec_ix;
    }
}

/* Room for one more row; returns the rows (they may have moved). */
static char *ent_grow(ld_core_t *c, int k)
{
    switch (k) {
    case ENT_EMP: LD_GROW_BIG(c->emps, c->emps_cap, c->g.n_emps); break;
    case ENT_CASE: LD_GROW(c->cases, c->cases_cap, c->g.n_cases); break;
    case ENT_EXAM: LD_GROW(c->exams, c->exams_cap, c->g.n_exams); break;
    case ENT_TASK: LD_GROW(c->tasks, c->tasks_cap, c->g.n_tasks); break;
    case ENT_SUB: LD_GROW(c->subs, c->subs_cap, c->g.n_subs); break;
    default: LD_GROW(c->recs, c->recs_cap, c->g.n_recs); break;
    }
    return ent_rows(c, k);
}

static size_t ent_cap(const ld_core_t *c, int k)
{
    switch (k) {
    case ENT_EMP: return c->emps_cap;
    case ENT_CASE: return c->cases_cap;
    case ENT_EXAM: return c->exams_cap;
    case ENT_TASK: return c->tasks_cap;
    case ENT_SUB: return c->subs_cap;
    default: return c->recs_cap;
    }
}

static vec_t *ent_vec(char *row, const ent_kind_t *kd, int v)
{
    return (vec_t *)(row + kd->vec_off[v]);
}

/* The id index compares a probed row's id with the key. */
typedef struct {
    const char *rows;
    size_t size, key_off;
} ent_keys_t;

static bool ent_eq(const void *ctx, uint32_t i, const void *id)
{
    const ent_keys_t *e = ctx;
    return strcmp(e->rows + (size_t)i * e->size + e->key_off, id) == 0;
}

static ent_keys_t keys_of(const ld_core_t *c, int k)
{
    return (ent_keys_t){ent_rows(c, k), kinds[k].size, kinds[k].key_off};
}

/* ent_eq, asking first for every line of the probed row: a hit's caller
 * reads and saves the row (ld_ent_touch), so its lines arrive together
 * with the id's instead of one miss after another (issue 17). */
static bool ent_eq_ahead(const void *ctx, uint32_t i, const void *id)
{
    const ent_keys_t *e = ctx;
    const char *row = e->rows + (size_t)i * e->size;
    for (size_t o = 0; o < e->size; o += 64)
        __builtin_prefetch(row + o);
    __builtin_prefetch(row + e->size - 1);
    return strcmp(row + e->key_off, id) == 0;
}

uint32_t ld_ent_find(const ld_core_t *c, int k, const char *id)
{
    /* ids are unique among the rows, so a row holding id is the one */
    if (k == ENT_EMP && c->emp_hint < c->g.n_emps && !strcmp(c->emps[c->emp_hint].id, id))
        return c->emp_hint;
    if (k == ENT_CASE && c->case_hint < c->g.n_cases && !strcmp(c->cases[c->case_hint].id, id))
        return c->case_hint;
    ent_keys_t keys = keys_of(c, k);
    return ld_table_get(ent_ix(c, k), str_hash(id), id, ent_eq_ahead, &keys);
}

uint32_t ld_ent_new(ld_core_t *c, int k, const char *id)
{
    const ent_kind_t *kd = &kinds[k];
    ld_touch_globals(c);
    uint32_t i = ent_count(c, k);
    char *rows = ent_grow(c, k), *row = rows + (size_t)i * kd->size;
    ld_pages_ahead(rows, (size_t)i * kd->size, kd->size, ent_cap(c, k) * kd->size);
    (*ent_count_in(&c->g, k))++;
    memset(row, 0, kd->size);
    memcpy(row + kd->key_off, id, strnlen(id, kd->key_len - 1)); /* NUL: the memset's */
    if (kd->stamp_off)
        memcpy(row + kd->stamp_off, &c->stamp_seq, sizeof c->stamp_seq);
    ent_keys_t keys = keys_of(c, k);
    ld_table_put(ent_ix(c, k), str_hash(row + kd->key_off), row + kd->key_off, i, ent_eq, &keys);
    return i;
}

void ld_ent_touch(ld_core_t *c, int k, uint32_t i)
{
    const ent_kind_t *kd = &kinds[k];
    char *row = ent_rows(c, k) + (size_t)i * kd->size;
    uint32_t stamp;
    memcpy(&stamp, row + kd->stamp_off, sizeof stamp);
    if (!c->depth || stamp == c->stamp_seq)
        return;
    char *saved = ld_arena_alloc(&c->undo_arena, kd->size);
    memcpy(saved, row, kd->size);
    for (int v = 0; v < kd->n_vecs; v++)
        save_vec(ent_vec(saved, kd, v), ent_vec(row, kd, v));
    memcpy(row + kd->stamp_off, &c->stamp_seq, sizeof c->stamp_seq);
    journal(c, U_ENT, (uint8_t)k, i, saved);
}

/* The saved contents of one vector (U_VEC): its length and elements. */
typedef struct {
    uint32_t len;
    uint32_t v[];
} vec_saved_t;

bool ld_ent_vec_remove(ld_core_t *c, int k, uint32_t i, vec_t *v, uint32_t x)
{
    if (!ld_vec_has(v, x))
        return false;
    if (c->depth) {
        char *row = ent_rows(c, k) + (size_t)i * kinds[k].size;
        vec_saved_t *s = ld_arena_alloc(&c->undo_arena, sizeof *s + v->len * sizeof *v->v);
        s->len = v->len;
        memcpy(s->v, v->v, v->len * sizeof *v->v);
        LD_GROW(c->undo, c->undo_cap, c->undo_n);
        c->undo[c->undo_n++] = (undo_t){.kind = U_VEC, .set = (uint8_t)k, .idx = i,
                                        .b = (uint32_t)((char *)v - row), .saved = s};
    }
    return ld_vec_remove(v, x);
}

/* Puts row i of kind k back as it was saved, into its current vectors. */
static void ent_restore(ld_core_t *c, int k, uint32_t i, char *saved)
{
    const ent_kind_t *kd = &kinds[k];
    char *row = ent_rows(c, k) + (size_t)i * kd->size;
    vec_t cur[ENT_VECS];
    if (kd->restoring)
        kd->restoring(c, i);
    for (int v = 0; v < kd->n_vecs; v++) {
        cur[v] = *ent_vec(row, kd, v);
        restore_vec(&cur[v], ent_vec(saved, kd, v));
    }
    memcpy(row, saved, kd->size);
    for (int v = 0; v < kd->n_vecs; v++)
        *ent_vec(row, kd, v) = cur[v];
    if (kd->restored)
        kd->restored(c, i);
}

/* Frees what a row owns. */
static void ent_release(const ent_kind_t *kd, char *row)
{
    for (int v = 0; v < kd->n_vecs; v++)
        ld_vec_free(ent_vec(row, kd, v));
    if (kd->text_off)
        free(*(char **)(row + kd->text_off));
}

/* Drops the rows of kind k from n on (created since a savepoint). */
static void ent_drop(ld_core_t *c, int k, uint32_t n)
{
    const ent_kind_t *kd = &kinds[k];
    ent_keys_t keys = keys_of(c, k);
    for (uint32_t i = n; i < ent_count(c, k); i++) {
        char *row = ent_rows(c, k) + (size_t)i * kd->size;
        if (kd->dropping)
            kd->dropping(c, i);
        ld_table_del(ent_ix(c, k), str_hash(row + kd->key_off), row + kd->key_off, ent_eq, &keys);
        ent_release(kd, row);
    }
}

void ld_ents_free(ld_core_t *c)
{
    for (int k = 0; k < ENT_COUNT; k++) {
        const ent_kind_t *kd = &kinds[k];
        for (uint32_t i = 0; i < ent_count(c, k); i++)
            ent_release(kd, ent_rows(c, k) + (size_t)i * kd->size);
        if (k == ENT_EMP)
            ld_big_free(c->emps, c->emps_cap * sizeof *c->emps);
        else
            free(ent_rows(c, k));
        ld_table_free(ent_ix(c, k));
    }
}

/* ---------------------------------------------------------- read-ahead -- */
/* Issue 17: at 10 M events, 42% of a replay was two cache misses an event:
 * the id-index slot, then the 480 B row (strcmp on its id). The fold asks
 * for both an event or two ahead (daemon/replay.c), so they overlap with
 * the evolve before. Only hints: nothing here writes, and a wrong guess
 * costs a wasted fetch, never a different state. */

/* The employee and case ids an event's evolve looks up first: the bodies
 * that name an employee outside an "emp/<id>" stream, then the stream. */
static void ahead_ids(const Ladder__V1__Event *ev, const char **emp, const char **cs)
{
    *emp = *cs = NULL;
    switch (ev->body_case) {
    case LADDER__V1__EVENT__BODY_CASE_STUDIED:
        *emp = ev->case_studied->employee_id, *cs = ev->case_studied->case_id;
        return;
    case LADDER__V1__EVENT__BODY_CASE_RATED:
        *emp = ev->case_rated->employee_id, *cs = ev->case_rated->case_id;
        return;
    default:
        if (ev->stream && !strncmp(ev->stream, "emp/", 4))
            *emp = ev->stream + 4;
        return;
    }
}

/* The lines of an employee's row an event's evolve reads, as byte ranges
 * [0, *head) and [*from, *to): a points event (half of a replay) its first
 * four lines (internal.h), a rating only the id, a study the id and its
 * studied cases' vector; any other the whole row. A prefetch waits for a
 * free fill buffer, and asking for every line of every row kept them busy
 * (80% of the read-ahead's time was on its prefetch instructions). */
static void ahead_span(int body, size_t *head, size_t *from, size_t *to)
{
    *from = *to = 0;
    switch (body) {
    case LADDER__V1__EVENT__BODY_POINTS_ADJUSTED:
    case LADDER__V1__EVENT__BODY_POINTS_AWARDED:
        *head = offsetof(emp_t, pts_seq) + sizeof(uint64_t);
        return;
    case LADDER__V1__EVENT__BODY_CASE_RATED:
        *head = LD_ID_MAX + 1;
        return;
    case LADDER__V1__EVENT__BODY_CASE_STUDIED:
        *head = LD_ID_MAX + 1;
        *from = offsetof(emp_t, studied), *to = *from + sizeof(vec_t);
        return;
    default:
        *head = sizeof(emp_t);
        return;
    }
}

static void ahead_lines(const char *p, size_t n)
{
    for (size_t o = 0; o < n; o += 64)
        __builtin_prefetch(p + o);
    __builtin_prefetch(p + n - 1);
}

/* Stage 1 returns the row it asked for (NONE: none): a tag match, not yet
 * checked on the id, so only good for more hints. */
static uint32_t ahead_one(const ld_core_t *c, int k, const char *id, int stage, int body)
{
    const ld_table_t *t = ent_ix(c, k);
    if (!id || !t->cap)
        return NONE;
    uint32_t tag = ld_table_tag(str_hash(id));
    size_t mask = t->cap - 1, i = ld_table_home(tag, mask);
    if (stage == 0) {
        __builtin_prefetch(&t->s[i]);
        return NONE;
    }
    const ent_kind_t *kd = &kinds[k];
    const char *rows = ent_rows(c, k);
    for (; t->s[i].tag; i = (i + 1) & mask) {
        if (t->s[i].tag != tag || t->s[i].idx >= ent_count(c, k))
            continue;
        const char *row = rows + (size_t)t->s[i].idx * kd->size;
        size_t head = kd->size, from = 0, to = 0;
        if (k == ENT_EMP)
            ahead_span(body, &head, &from, &to);
        ahead_lines(row, head);
        if (to)
            ahead_lines(row + from, to - from);
        return t->s[i].idx;
    }
    return NONE;
}

void ld_core_prefetch(const ld_core_t *c, const Ladder__V1__Event *ev, int stage)
{
    const char *emp, *cs;
    ahead_ids(ev, &emp, &cs);
    int body = (int)ev->body_case;
    uint32_t i = ahead_one(c, ENT_EMP, emp, stage, body), k = ahead_one(c, ENT_CASE, cs, stage, body);
    /* a rating looks its (case, employee) pair up: that slot was a miss at
     * its evolve (5-6% of a fold); both indexes are known at stage 1 */
    if (i != NONE && k != NONE && ev->body_case == LADDER__V1__EVENT__BODY_CASE_RATED)
        ld_pairs_prefetch(&c->pairs[PS_RATED], k, i);
}

uint32_t ld_emp_new(ld_core_t *c, const char *id)
{
    uint32_t i = ld_ent_new(c, ENT_EMP, id);
    c->emps[i].mentor = c->emps[i].open_exam = NONE;
    return i;
}

/* A record's key: "<kind>:<id>". */
static void rec_name(char *key, int kind, const char *id)
{
    snprintf(key, 80, "%d:%.76s", kind, id);
}

uint32_t ld_rec_find(const ld_core_t *c, int kind, const char *id)
{
    char key[80];
    rec_name(key, kind, id);
    return ld_ent_find(c, ENT_REC, key);
}

uint32_t ld_rec_new(ld_core_t *c, int kind, const char *id)
{
    char key[80];
    rec_name(key, kind, id);
    uint32_t i = ld_ent_new(c, ENT_REC, key);
    rec_t *r = &c->recs[i];
    r->kind = (uint8_t)kind;
    r->a = r->b = NONE;
    return i;
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
        globals_t *s = u->saved;
        /* drop records created since: the arrays shrink back */
        for (int k = 0; k < ENT_COUNT; k++)
            ent_drop(c, k, *ent_count_in(s, k));
        for (uint32_t i = s->n_strings; i < c->g.n_strings; i++) {
            ld_table_del(&c->string_ix, str_hash(c->strings[i]), c->strings[i], str_eq, c);
            free(c->strings[i]);
        }
        for (uint32_t i = s->n_rules; i < c->g.n_rules; i++)
            free(c->rules_json[i]);
        c->g = *s;
        break;
    }
    case U_ENT:
        /* a row created after the mark is dropped by U_GLOBALS */
        if (u->idx < ent_count(c, u->set))
            ent_restore(c, u->set, u->idx, u->saved);
        break;
    case U_VEC:
        if (u->idx < ent_count(c, u->set)) {
            const vec_saved_t *s = u->saved;
            vec_t *v = (vec_t *)(ent_rows(c, u->set) + (size_t)u->idx * kinds[u->set].size + u->b);
            memcpy(v->v, s->v, s->len * sizeof *v->v); /* a removal never shrinks v */
            v->len = s->len;
        }
        break;
    case U_FACT:
        if (u->idx < c->g.n_facts)
            c->facts[u->idx] = *(const fact_t *)u->saved;
        break;
    case U_PAIR_ADD:
        ld_pairs_del(&c->pairs[u->set], u->idx, u->b);
        break;
    case U_PAIR_SET:
        ld_pairs_put(&c->pairs[u->set], u->idx, u->b, u->old_val, NULL);
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

uint32_t ld_change_new(ld_core_t *c)
{
    ld_touch_globals(c);
    LD_GROW(c->changes, c->changes_cap, c->g.n_changes);
    uint32_t i = c->g.n_changes++;
    memset(&c->changes[i], 0, sizeof c->changes[i]);
    c->changes[i].exam = NONE;
    return i;
}
/* -------------------------------------------------------------- evolve -- */

/* Issue 17: the employee and case an event names are looked up once, here;
 * the evolve's own lookups of them (its module's, then ld_facts_note's) find
 * them by the hints with one strcmp instead of hashing and probing again. */
static void evolve_hints(ld_core_t *c, const Ladder__V1__Event *ev)
{
    const char *emp, *cs;
    ahead_ids(ev, &emp, &cs);
    uint32_t i;
    if (emp && (i = ld_ent_find(c, ENT_EMP, emp)) != NONE)
        c->emp_hint = i;
    if (cs && (i = ld_ent_find(c, ENT_CASE, cs)) != NONE)
        c->case_hint = i;
}

int ld_core_evolve(ld_core_t *c, const Ladder__V1__Event *ev)
{
    if (ev->seq != c->g.next_seq || ev->at_ms < 0 || ev->at_ms > LD_MAX_MS)
        return -1;
    evolve_hints(c, ev);
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
