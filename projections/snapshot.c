/* snapshot.c — the whole core state to and from protobuf (CoreState in
 * proto/ladder.proto). Records go out in creation order and pair sets sorted,
 * so a state folded from the same log always serializes to the same bytes:
 * the determinism tests compare these bytes.
 */
#include <stdlib.h>

#include "internal.h"

#define SNAP_FORMAT 1

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint32_t *u32s(arena_t *a, const uint8_t *v, size_t n)
{
    uint32_t *o = ld_arena_alloc(a, (n + 1) * sizeof *o);
    for (size_t i = 0; i < n; i++)
        o[i] = v[i];
    return o;
}

int ld_core_snapshot(const ld_core_t *c, uint8_t **buf, size_t *len)
{
    arena_t a = {0};
    Ladder__V1__CoreState st = LADDER__V1__CORE_STATE__INIT;
    st.format = SNAP_FORMAT;
    st.next_seq = c->g.next_seq;
    st.last_at_ms = c->g.last_at_ms;
    st.n_rules_json = c->g.n_rules;
    st.rules_json = c->rules_json;
    st.n_rules_seqs = st.n_rules_at_ms = c->g.n_rules; /* §10 v2 */
    st.rules_seqs = c->rules_seq;
    st.rules_at_ms = c->rules_at;
    st.n_strings = c->g.n_strings;
    st.strings = c->strings;

    st.n_employees = c->g.n_emps;
    st.employees = ld_arena_alloc(&a, (c->g.n_emps + 1) * sizeof *st.employees);
    for (uint32_t i = 0; i < c->g.n_emps; i++) {
        const emp_t *e = &c->emps[i];
        Ladder__V1__SnapEmployee *s = ld_arena_alloc(&a, sizeof *s);
        ladder__v1__snap_employee__init(s);
        s->id = (char *)e->id;
        s->name = (char *)ld_emp_name(c, e);
        s->team = e->team, s->centre = e->centre, s->level = e->level, s->flags = e->flags;
        s->tasks_done = e->tasks_done, s->appeal = e->appeal, s->rt_flags = e->rt_flags;
        s->rt_query_tries = e->rt_query_tries, s->rt_exam_tries = e->rt_exam_tries;
        s->n_credited = LD_LEVELS;
        s->credited = u32s(&a, e->credited, LD_LEVELS);
        s->credited_in_year = e->credited_in_year;
        s->mentor = e->mentor == NONE ? 0 : e->mentor + 1;
        s->open_exam = e->open_exam == NONE ? 0 : e->open_exam + 1;
        s->points_total = e->points_total, s->points_since_level = e->points_since_level;
        s->points_in_year = e->points_in_year, s->hired_ms = e->hired_ms, s->level_ms = e->level_ms;
        s->year_start_ms = e->year_start_ms, s->year_end_ms = e->year_end_ms;
        s->appeal_deadline_ms = e->appeal_deadline_ms, s->qt_total_ms = e->qt_total_ms;
        s->qt_at_ms = e->qt_at_ms, s->exam_retake_ms = e->exam_retake_ms;
        s->score_at_ms = e->score_at_ms, s->demotion_seq = e->demotion_seq, s->qt_seq = e->qt_seq;
        s->task_seq = e->task_seq, s->hired_seq = e->hired_seq, s->cap_day = e->cap_day;
        s->n_day_tally = LD_SOURCES;
        s->day_tally = (int32_t *)e->day_tally;
        s->n_studied = e->studied.len, s->studied = e->studied.v;
        s->n_examined = e->examined.len, s->examined = e->examined.v;
        s->n_apprentices = e->apprentices.len, s->apprentices = e->apprentices.v;
        s->n_changes = e->changes.len, s->changes = e->changes.v;
        s->n_medals = e->medals.len, s->medals = e->medals.v;
        s->n_win_period = 4, s->win_period = (int32_t *)e->win_period;
        s->n_win_score = 4, s->win_score = (int64_t *)e->win_score;
        s->n_win_at = 4, s->win_at = ld_arena_alloc(&a, 4 * sizeof *s->win_at);
        for (int k = 0; k < 4; k++) /* one time for the four windows (the last points) */
            s->win_at[k] = e->pts_at_ms;
        s->contrib_accepted = e->contrib_accepted, s->contrib_decided = e->contrib_decided;
        s->year_seq = e->year_seq, s->pts_seq = e->pts_seq, s->credit_seq = e->credit_seq;
        s->n_rt_seq = 4, s->rt_seq = (uint64_t *)e->rt_seq;
        s->n_rt_val = 4, s->rt_val = ld_arena_alloc(&a, 4 * sizeof *s->rt_val);
        for (int k = 0; k < 4; k++)
            s->rt_val[k] = e->rt_val[k];
        s->mentor_since_ms = e->mentor_since_ms, s->appellant = e->appellant;
        st.employees[i] = s;
    }

    st.n_cases = c->g.n_cases;
    st.cases = ld_arena_alloc(&a, (c->g.n_cases + 1) * sizeof *st.cases);
    for (uint32_t i = 0; i < c->g.n_cases; i++) {
        const case_t *k = &c->cases[i];
        Ladder__V1__SnapCase *s = ld_arena_alloc(&a, sizeof *s);
        ladder__v1__snap_case__init(s);
        s->id = (char *)k->id;
        s->level = k->level, s->half = k->half, s->retired = k->retired, s->accepted = k->accepted;
        s->category = k->category, s->studies = k->studies, s->exam_uses = k->exam_uses;
        s->excellent = k->excellent, s->average = k->average, s->poor = k->poor;
        s->stable_ms = k->stable_ms, s->accepted_seq = k->accepted_seq;
        s->title = k->title ? k->title : (char *)"";
        s->author = k->author;
        st.cases[i] = s;
    }

    st.n_exams = c->g.n_exams;
    st.exams = ld_arena_alloc(&a, (c->g.n_exams + 1) * sizeof *st.exams);
    for (uint32_t i = 0; i < c->g.n_exams; i++) {
        const exam_t *x = &c->exams[i];
        Ladder__V1__SnapExam *s = ld_arena_alloc(&a, sizeof *s);
        ladder__v1__snap_exam__init(s);
        s->id = (char *)x->id;
        s->purpose = x->purpose, s->level = x->level, s->graded = x->graded, s->passed = x->passed;
        s->makeup = x->makeup, s->emp = x->emp, s->percent = x->percent;
        s->n_cases = x->n, s->cases = (uint32_t *)x->cases;
        s->drawn_seq = x->drawn_seq, s->graded_seq = x->graded_seq, s->drawn_ms = x->drawn_ms;
        s->voided = x->voided, s->expires_ms = x->expires_ms, s->year_start_ms = x->year_start_ms;
        st.exams[i] = s;
    }

    st.n_tasks = c->g.n_tasks;
    st.tasks = ld_arena_alloc(&a, (c->g.n_tasks + 1) * sizeof *st.tasks);
    for (uint32_t i = 0; i < c->g.n_tasks; i++) {
        Ladder__V1__SnapTask *s = ld_arena_alloc(&a, sizeof *s);
        ladder__v1__snap_task__init(s);
        s->id = (char *)c->tasks[i].id;
        s->points = c->tasks[i].points;
        s->title = c->tasks[i].title;
        st.tasks[i] = s;
    }

    st.n_changes = c->g.n_changes;
    st.changes = ld_arena_alloc(&a, (c->g.n_changes + 1) * sizeof *st.changes);
    for (uint32_t i = 0; i < c->g.n_changes; i++) {
        const change_t *ch = &c->changes[i];
        Ladder__V1__SnapChange *s = ld_arena_alloc(&a, sizeof *s);
        ladder__v1__snap_change__init(s);
        s->emp = ch->emp, s->from = ch->from, s->to = ch->to, s->cause = ch->cause;
        s->rules_version = ch->rules_version, s->seq = ch->seq, s->at_ms = ch->at_ms;
        s->n_evidence = ch->n_evidence;
        s->evidence = (uint64_t *)ch->evidence;
        s->exam = ch->exam == NONE ? 0 : ch->exam + 1, s->text = ch->text, s->actor = ch->actor;
        s->pct = ch->pct, s->cflags = ch->cflags;
        s->n_conds = ch->n_conds;
        s->conds = ld_arena_alloc(&a, (ch->n_conds + 1u) * sizeof *s->conds);
        for (uint32_t k = 0; k < ch->n_conds; k++) {
            Ladder__V1__SnapCond *d = ld_arena_alloc(&a, sizeof *d);
            ladder__v1__snap_cond__init(d);
            d->code = ch->conds[k].code, d->met = ch->conds[k].met;
            d->have = ch->conds[k].have, d->need = ch->conds[k].need;
            d->n_evidence = ch->conds[k].n_ev, d->evidence = (uint64_t *)ch->conds[k].ev;
            s->conds[k] = d;
        }
        st.changes[i] = s;
    }

    st.n_subs = c->g.n_subs;
    st.subs = ld_arena_alloc(&a, (c->g.n_subs + 1) * sizeof *st.subs);
    for (uint32_t i = 0; i < c->g.n_subs; i++) {
        const sub_t *u = &c->subs[i];
        Ladder__V1__SnapSub *s = ld_arena_alloc(&a, sizeof *s);
        ladder__v1__snap_sub__init(s);
        s->id = (char *)u->id;
        s->revision = u->revision, s->state = u->state, s->case_idx = u->case_idx;
        s->author = u->author, s->approvals = u->approvals, s->rejections = u->rejections;
        s->at_ms = u->at_ms;
        s->n_reviewers = u->reviewers.len, s->reviewers = u->reviewers.v;
        s->n_amounts = u->amounts.len, s->amounts = u->amounts.v;
        s->n_levels = u->levels.len, s->levels = u->levels.v;
        s->n_categories = u->categories.len, s->categories = u->categories.v;
        st.subs[i] = s;
    }

    st.n_recs = c->g.n_recs;
    st.recs = ld_arena_alloc(&a, (c->g.n_recs + 1) * sizeof *st.recs);
    for (uint32_t i = 0; i < c->g.n_recs; i++) {
        const rec_t *r = &c->recs[i];
        Ladder__V1__SnapRec *s = ld_arena_alloc(&a, sizeof *s);
        ladder__v1__snap_rec__init(s);
        s->key = (char *)r->key;
        s->kind = r->kind, s->state = r->state, s->flags = r->flags;
        s->a = r->a == NONE ? 0 : r->a + 1, s->b = r->b == NONE ? 0 : r->b + 1;
        s->n1 = r->n1, s->n2 = r->n2, s->value = r->value, s->at_ms = r->at_ms, s->seq = r->seq;
        s->text = r->text ? r->text : (char *)"";
        s->n_list = r->list.len, s->list = r->list.v;
        s->n_list2 = r->list2.len, s->list2 = r->list2.v;
        st.recs[i] = s;
    }

    /* §12 facts as columns (packed: a few bytes a fact) */
    uint32_t nf = c->g.n_facts, np = c->g.n_pays;
    st.n_fact_seq = st.n_fact_value = st.n_fact_at_ms = st.n_fact_emp = nf;
    st.n_fact_n1 = st.n_fact_n2 = st.n_fact_body = st.n_fact_npay = st.n_fact_reversed = nf;
    st.fact_seq = ld_arena_alloc(&a, (nf + 1) * sizeof *st.fact_seq);
    st.fact_value = ld_arena_alloc(&a, (nf + 1) * sizeof *st.fact_value);
    st.fact_at_ms = ld_arena_alloc(&a, (nf + 1) * sizeof *st.fact_at_ms);
    st.fact_emp = ld_arena_alloc(&a, (nf + 1) * sizeof *st.fact_emp);
    st.fact_n1 = ld_arena_alloc(&a, (nf + 1) * sizeof *st.fact_n1);
    st.fact_n2 = ld_arena_alloc(&a, (nf + 1) * sizeof *st.fact_n2);
    st.fact_body = ld_arena_alloc(&a, (nf + 1) * sizeof *st.fact_body);
    st.fact_npay = ld_arena_alloc(&a, (nf + 1) * sizeof *st.fact_npay);
    st.fact_reversed = ld_arena_alloc(&a, (nf + 1) * sizeof *st.fact_reversed);
    for (uint32_t i = 0; i < nf; i++) {
        const fact_t *f = &c->facts[i];
        st.fact_seq[i] = f->seq, st.fact_value[i] = f->value;
        st.fact_at_ms[i] = (int64_t)f->at_s * 1000;
        st.fact_emp[i] = f->emp == NONE ? 0 : f->emp + 1;
        st.fact_n1[i] = f->n1;
        st.fact_n2[i] = f->n2 == NONE ? 0 : f->n2 + 1;
        st.fact_body[i] = f->body, st.fact_npay[i] = 0, st.fact_reversed[i] = f->reversed;
    }
    for (uint32_t i = 0; i < np; i++)
        st.fact_npay[c->pays[i].fact]++;
    st.n_pay_emp = st.n_pay_amount = np;
    st.pay_emp = ld_arena_alloc(&a, (np + 1) * sizeof *st.pay_emp);
    st.pay_amount = ld_arena_alloc(&a, (np + 1) * sizeof *st.pay_amount);
    for (uint32_t i = 0; i < np; i++)
        st.pay_emp[i] = c->pays[i].emp, st.pay_amount[i] = c->pays[i].amount;

    st.n_pairs = PS_COUNT;
    st.pairs = ld_arena_alloc(&a, PS_COUNT * sizeof *st.pairs);
    for (int p = 0; p < PS_COUNT; p++) {
        const ld_pairs_t *ps = &c->pairs[p];
        Ladder__V1__SnapPairs *s = ld_arena_alloc(&a, sizeof *s);
        ladder__v1__snap_pairs__init(s);
        s->keys = ld_arena_alloc(&a, (ps->n + 1) * sizeof *s->keys);
        s->values = ld_arena_alloc(&a, (ps->n + 1) * sizeof *s->values);
        for (size_t i = 0; i < ps->n; i++)
            s->keys[s->n_keys++] = ((uint64_t)ps->e[i].a + 1) << 32 | ps->e[i].b;
        qsort(s->keys, s->n_keys, sizeof *s->keys, cmp_u64);
        for (size_t i = 0; i < s->n_keys; i++)
            ld_pairs_get(ps, (uint32_t)(s->keys[i] >> 32) - 1, (uint32_t)s->keys[i], &s->values[i]);
        s->n_values = s->n_keys;
        st.pairs[p] = s;
    }

    st.n_lib_count = LD_LEVELS * 3;
    st.lib_count = (uint32_t *)&c->g.lib_count[0][0];

    *len = ladder__v1__core_state__get_packed_size(&st);
    *buf = ld_xmalloc(*len);
    ladder__v1__core_state__pack(&st, *buf);
    ld_arena_free(&a);
    return 0;
}

static void *snap_alloc(void *ctx, size_t n) { return ld_arena_alloc(ctx, n); }
static void snap_free(void *ctx, void *p) { (void)ctx, (void)p; }

/* Reads a varint at *i (below end); false when it runs off or is too long. */
static bool wire_varint(const uint8_t *buf, size_t end, size_t *i, uint64_t *v)
{
    *v = 0;
    for (int sh = 0; sh < 64 && *i < end; sh += 7) {
        uint8_t b = buf[(*i)++];
        *v |= (uint64_t)(b & 0x7f) << sh;
        if (!(b & 0x80))
            return true;
    }
    return false;
}

/* A span of the snapshot: one encoded SnapEmployee, or one packed array. */
typedef struct {
    size_t at, len;
} span_t;

/* The §12 fact columns, fields 280..290 (fact_seq .. pay_amount): packed
 * varints read straight into c->facts and c->pays. */
#define SNAP_FACT_F0 280
#define SNAP_FACT_COLS 11

/* Splits a CoreState's bytes: the employees (field 6, most of a snapshot)
 * are listed as spans, to be decoded one at a time into a reused arena;
 * every other field is copied to *rest and decoded whole. So a load
 * touches memory for the state it builds, not for a message tree of every
 * employee. */
static bool snap_split(const uint8_t *buf, size_t len, uint8_t **rest, size_t *rest_len,
                       span_t **emps, size_t *n_emps, span_t cols[SNAP_FACT_COLS])
{
    size_t i = 0, nr = 0, ne = 0, cap = 0;
    uint8_t *r = ld_xmalloc(len + 1);
    span_t *v = NULL;
    while (i < len) {
        size_t start = i;
        uint64_t key, x;
        if (!wire_varint(buf, len, &i, &key))
            goto bad;
        switch (key & 7) {
        case 0:
            if (!wire_varint(buf, len, &i, &x))
                goto bad;
            break;
        case 1:
            if (len - i < 8)
                goto bad;
            i += 8;
            break;
        case 5:
            if (len - i < 4)
                goto bad;
            i += 4;
            break;
        case 2:
            if (!wire_varint(buf, len, &i, &x) || x > len - i)
                goto bad;
            if (key >> 3 == 6) {
                if (ne == cap) {
                    cap = cap ? cap * 2 : 1024;
                    v = ld_xrealloc(v, cap * sizeof *v);
                }
                v[ne++] = (span_t){i, (size_t)x};
                i += (size_t)x;
                continue;
            }
            if (key >> 3 >= SNAP_FACT_F0 && key >> 3 < SNAP_FACT_F0 + SNAP_FACT_COLS) {
                span_t *col = &cols[(key >> 3) - SNAP_FACT_F0];
                if (col->len)
                    goto bad; /* one packed array a column, as we write them */
                *col = (span_t){i, (size_t)x};
                i += (size_t)x;
                continue;
            }
            i += (size_t)x;
            break;
        default:
            goto bad;
        }
        memcpy(r + nr, buf + start, i - start);
        nr += i - start;
    }
    *rest = r, *rest_len = nr, *emps = v, *n_emps = ne;
    return true;
bad:
    free(r), free(v);
    return false;
}

ld_core_t *ld_core_from_snapshot(const uint8_t *buf, size_t len)
{
    /* the rest decoded into one arena; each employee into a reused one */
    arena_t arena = {0}, earena = {0};
    ProtobufCAllocator alloc = {snap_alloc, snap_free, &arena};
    ProtobufCAllocator ealloc = {snap_alloc, snap_free, &earena};
    uint8_t *rest = NULL;
    size_t rest_len = 0, n_spans = 0;
    span_t *spans = NULL, cols[SNAP_FACT_COLS] = {{0, 0}};
    if (!snap_split(buf, len, &rest, &rest_len, &spans, &n_spans, cols))
        return NULL;
    Ladder__V1__CoreState *st = ladder__v1__core_state__unpack(&alloc, rest_len, rest);
    free(rest);
    if (!st) {
        free(spans);
        ld_arena_free(&arena);
        return NULL;
    }
    ld_core_t *c = NULL;
    if (st->format != SNAP_FORMAT || st->n_lib_count != LD_LEVELS * 3 || st->n_pairs != PS_COUNT ||
        st->n_strings == 0)
        goto bad;
    c = ld_core_new(st->next_seq);
    c->g.last_at_ms = st->last_at_ms;
    /* every array and index sized once: loading is a pass over the state */
#define RESERVE(arr, cap, n) ((cap) = (n) + 1, (arr) = ld_xmalloc_big((cap) * sizeof *(arr)))
    c->emps_cap = n_spans + 1; /* pages of their own, like facts and pays (ld_big_grow) */
    c->emps = ld_big_alloc(c->emps_cap * sizeof *c->emps);
    RESERVE(c->cases, c->cases_cap, st->n_cases);
    RESERVE(c->exams, c->exams_cap, st->n_exams);
    RESERVE(c->tasks, c->tasks_cap, st->n_tasks);
    RESERVE(c->changes, c->changes_cap, st->n_changes);
    RESERVE(c->subs, c->subs_cap, st->n_subs);
    RESERVE(c->recs, c->recs_cap, st->n_recs);
#undef RESERVE
    ld_table_reserve(&c->emp_ix, n_spans);
    ld_table_reserve(&c->case_ix, st->n_cases);
    ld_table_reserve(&c->exam_ix, st->n_exams);
    ld_table_reserve(&c->sub_ix, st->n_subs);
    ld_table_reserve(&c->rec_ix, st->n_recs);
    ld_table_reserve(&c->string_ix, st->n_strings);
    for (size_t i = 1; i < st->n_strings; i++)
        if (ld_intern(c, st->strings[i]) != i)
            goto bad; /* a duplicate string: not a snapshot we wrote */
    for (size_t i = 0; i < st->n_rules_json; i++) {
        Ladder__V1__RulesAdopted ra = LADDER__V1__RULES_ADOPTED__INIT;
        Ladder__V1__Event ev = LADDER__V1__EVENT__INIT;
        ra.version = (uint32_t)i + 1;
        ra.rules_json = st->rules_json[i];
        ev.seq = c->g.next_seq;
        ev.body_case = LADDER__V1__EVENT__BODY_RULES_ADOPTED;
        ev.rules_adopted = &ra;
        if (ld_core_evolve(c, &ev))
            goto bad;
        c->g.next_seq = st->next_seq;
        c->rules_seq[i] = i < st->n_rules_seqs ? st->rules_seqs[i] : 0;
        c->rules_at[i] = i < st->n_rules_at_ms ? st->rules_at_ms[i] : 0;
    }
    uint32_t ns = c->g.n_strings;
#define IDX_OK(x, n) ((x) < (n))
    for (size_t i = 0; i < st->n_cases; i++) {
        const Ladder__V1__SnapCase *s = st->cases[i];
        if (ld_case_find(c, s->id) != NONE || !IDX_OK(s->category, ns) || s->level >= LD_LEVELS ||
            s->half > 2)
            goto bad;
        uint32_t ki = ld_case_new(c, s->id);
        case_t *k = &c->cases[ki];
        k->level = (uint8_t)s->level, k->half = (uint8_t)s->half, k->retired = s->retired;
        k->accepted = s->accepted, k->category = s->category, k->studies = s->studies;
        k->exam_uses = s->exam_uses, k->excellent = s->excellent, k->average = s->average;
        k->poor = s->poor, k->stable_ms = s->stable_ms, k->accepted_seq = s->accepted_seq;
        k->title = s->title && *s->title ? ld_xstrdup(s->title) : NULL;
        if (n_spans && s->author >= n_spans)
            goto bad;
        k->author = s->author;
    }
    uint32_t ne = (uint32_t)n_spans, nc = c->g.n_cases;
    for (size_t i = 0; i < n_spans; i++) {
        ld_arena_reset(&earena);
        const Ladder__V1__SnapEmployee *s =
            ladder__v1__snap_employee__unpack(&ealloc, spans[i].len, buf + spans[i].at);
        if (!s || ld_emp_find(c, s->id) != NONE || strlen(s->id) > LD_ID_MAX || !IDX_OK(s->team, ns) ||
            !IDX_OK(s->centre, ns) || s->level >= LD_LEVELS || s->n_credited != LD_LEVELS ||
            s->n_day_tally != LD_SOURCES || s->mentor > ne || s->open_exam > st->n_exams)
            goto bad;
        uint32_t ei = ld_emp_new(c, s->id);
        emp_t *e = &c->emps[ei];
        e->name = ld_name_add(c, s->name);
        e->team = s->team, e->centre = s->centre, e->level = (uint8_t)s->level;
        e->flags = (uint8_t)s->flags, e->tasks_done = (uint8_t)s->tasks_done;
        e->appeal = (uint8_t)s->appeal, e->rt_flags = (uint8_t)s->rt_flags;
        e->rt_query_tries = (uint8_t)s->rt_query_tries, e->rt_exam_tries = (uint8_t)s->rt_exam_tries;
        for (int l = 0; l < LD_LEVELS; l++)
            e->credited[l] = (uint8_t)s->credited[l];
        e->credited_in_year = (uint8_t)s->credited_in_year;
        e->mentor = s->mentor ? s->mentor - 1 : NONE;
        e->open_exam = s->open_exam ? s->open_exam - 1 : NONE;
        e->points_total = s->points_total, e->points_since_level = s->points_since_level;
        e->points_in_year = s->points_in_year, e->hired_ms = s->hired_ms, e->level_ms = s->level_ms;
        e->year_start_ms = s->year_start_ms, e->year_end_ms = s->year_end_ms;
        e->appeal_deadline_ms = s->appeal_deadline_ms, e->qt_total_ms = s->qt_total_ms;
        e->qt_at_ms = s->qt_at_ms, e->exam_retake_ms = s->exam_retake_ms;
        e->score_at_ms = s->score_at_ms, e->demotion_seq = s->demotion_seq, e->qt_seq = s->qt_seq;
        e->task_seq = s->task_seq, e->hired_seq = s->hired_seq, e->cap_day = s->cap_day;
        memcpy(e->day_tally, s->day_tally, sizeof e->day_tally);
        if (s->n_win_period != 4 || s->n_win_score != 4 || s->n_win_at != 4)
            goto bad;
        memcpy(e->win_period, s->win_period, sizeof e->win_period);
        memcpy(e->win_score, s->win_score, sizeof e->win_score);
        e->pts_at_ms = s->win_at[0];
        e->contrib_accepted = s->contrib_accepted, e->contrib_decided = s->contrib_decided;
        e->year_seq = s->year_seq, e->pts_seq = s->pts_seq, e->credit_seq = s->credit_seq;
        if ((s->n_rt_seq && s->n_rt_seq != 4) || (s->n_rt_val && s->n_rt_val != 4) ||
            !IDX_OK(s->appellant, ns))
            goto bad;
        if (s->n_rt_seq)
            memcpy(e->rt_seq, s->rt_seq, sizeof e->rt_seq);
        for (size_t k = 0; k < s->n_rt_val; k++)
            e->rt_val[k] = (int32_t)s->rt_val[k];
        e->mentor_since_ms = s->mentor_since_ms, e->appellant = s->appellant;
        struct { vec_t *v; const uint32_t *src; size_t n; uint32_t bound; } vs[] = {
            {&e->studied, s->studied, s->n_studied, nc},
            {&e->examined, s->examined, s->n_examined, nc},
            {&e->apprentices, s->apprentices, s->n_apprentices, ne},
            {&e->changes, s->changes, s->n_changes, (uint32_t)st->n_changes},
            {&e->medals, s->medals, s->n_medals, ns},
        };
        for (size_t v = 0; v < sizeof vs / sizeof *vs; v++) {
            ld_vec_reserve(vs[v].v, (uint32_t)vs[v].n);
            for (size_t j = 0; j < vs[v].n; j++) {
                if (!IDX_OK(vs[v].src[j], vs[v].bound))
                    goto bad;
                ld_vec_push(vs[v].v, vs[v].src[j]);
            }
        }
    }
    for (size_t i = 0; i < st->n_exams; i++) {
        const Ladder__V1__SnapExam *s = st->exams[i];
        if (ld_exam_find(c, s->id) != NONE || !IDX_OK(s->emp, ne) || s->n_cases > LD_EXAM_MAX)
            goto bad;
        uint32_t xi = ld_exam_new(c, s->id);
        exam_t *x = &c->exams[xi];
        x->purpose = (uint8_t)s->purpose, x->level = (uint8_t)s->level, x->graded = s->graded;
        x->passed = s->passed, x->makeup = s->makeup, x->emp = s->emp, x->percent = s->percent;
        x->n = (uint8_t)s->n_cases;
        for (size_t j = 0; j < s->n_cases; j++) {
            if (!IDX_OK(s->cases[j], nc))
                goto bad;
            x->cases[j] = s->cases[j];
        }
        x->drawn_seq = s->drawn_seq, x->graded_seq = s->graded_seq, x->drawn_ms = s->drawn_ms;
        x->voided = s->voided, x->year_start_ms = s->year_start_ms;
        x->expires_ms = s->expires_ms ? s->expires_ms : LD_MAX_MS + 1;
    }
    for (size_t i = 0; i < st->n_tasks; i++) {
        if (ld_task_find(c, st->tasks[i]->id) != NONE)
            goto bad;
        uint32_t ti = ld_task_new(c, st->tasks[i]->id);
        task_t *t = &c->tasks[ti];
        t->points = st->tasks[i]->points;
        t->title = ld_xstrdup(st->tasks[i]->title);
    }
    for (size_t i = 0; i < st->n_changes; i++) {
        const Ladder__V1__SnapChange *s = st->changes[i];
        if (!IDX_OK(s->emp, ne) || s->n_evidence > 6 || s->n_conds > LD_CONDS ||
            s->exam > st->n_exams || !IDX_OK(s->text, ns) || !IDX_OK(s->actor, ns))
            goto bad;
        uint32_t hi = ld_change_new(c);
        change_t *ch = &c->changes[hi];
        ch->emp = s->emp, ch->from = (uint8_t)s->from, ch->to = (uint8_t)s->to;
        ch->cause = (uint8_t)s->cause, ch->rules_version = s->rules_version, ch->seq = s->seq;
        ch->at_ms = s->at_ms, ch->n_evidence = (uint32_t)s->n_evidence;
        if (s->n_evidence)
            memcpy(ch->evidence, s->evidence, s->n_evidence * sizeof *s->evidence);
        ch->exam = s->exam ? s->exam - 1 : NONE, ch->text = s->text, ch->actor = s->actor;
        ch->pct = s->pct, ch->cflags = (uint8_t)s->cflags, ch->n_conds = (uint8_t)s->n_conds;
        for (size_t k = 0; k < s->n_conds; k++) {
            const Ladder__V1__SnapCond *d = s->conds[k];
            if (d->n_evidence > LD_COND_EV)
                goto bad;
            ch->conds[k] = (cond_t){(uint8_t)d->code, d->met, (uint8_t)d->n_evidence, d->have,
                                    d->need, {0}};
            if (d->n_evidence)
                memcpy(ch->conds[k].ev, d->evidence, d->n_evidence * sizeof *d->evidence);
        }
    }
    for (int p = 0; p < PS_COUNT; p++) {
        const Ladder__V1__SnapPairs *s = st->pairs[p];
        if (s->n_keys != s->n_values)
            goto bad;
        ld_pairs_reserve(&c->pairs[p], s->n_keys);
        for (size_t i = 0; i < s->n_keys; i++) {
            if (!(s->keys[i] >> 32))
                goto bad;
            ld_pairs_put(&c->pairs[p], (uint32_t)(s->keys[i] >> 32) - 1, (uint32_t)s->keys[i],
                         s->values[i], NULL);
        }
    }
    for (size_t i = 0; i < st->n_subs; i++) {
        const Ladder__V1__SnapSub *s = st->subs[i];
        if (ld_sub_find(c, s->id) != NONE || !IDX_OK(s->case_idx, nc) || !IDX_OK(s->author, ne) ||
            s->state > SUB_REJECTED)
            goto bad;
        uint32_t ui = ld_sub_new(c, s->id);
        sub_t *u = &c->subs[ui];
        u->revision = s->revision, u->state = (uint8_t)s->state, u->case_idx = s->case_idx;
        u->author = s->author, u->approvals = s->approvals, u->rejections = s->rejections;
        u->at_ms = s->at_ms;
        struct { vec_t *v; const uint32_t *src; size_t n; uint32_t bound; } vs[] = {
            {&u->reviewers, s->reviewers, s->n_reviewers, ns},
            {&u->amounts, s->amounts, s->n_amounts, UINT32_MAX},
            {&u->levels, s->levels, s->n_levels, LD_LEVELS},
            {&u->categories, s->categories, s->n_categories, ns},
        };
        for (size_t v = 0; v < sizeof vs / sizeof *vs; v++) {
            ld_vec_reserve(vs[v].v, (uint32_t)vs[v].n);
            for (size_t j = 0; j < vs[v].n; j++) {
                if (!IDX_OK(vs[v].src[j], vs[v].bound))
                    goto bad;
                ld_vec_push(vs[v].v, vs[v].src[j]);
            }
        }
    }
    for (size_t i = 0; i < st->n_recs; i++) {
        const Ladder__V1__SnapRec *s = st->recs[i];
        const char *colon = strchr(s->key, ':');
        if (!colon || s->kind < REC_KB_ITEM || s->kind > REC_QUALITY ||
            ld_rec_find(c, (int)s->kind, colon + 1) != NONE)
            goto bad;
        uint32_t ri = ld_rec_new(c, (int)s->kind, colon + 1);
        rec_t *r = &c->recs[ri];
        r->state = (uint8_t)s->state;
        r->flags = (uint8_t)s->flags;
        r->a = s->a ? s->a - 1 : NONE, r->b = s->b ? s->b - 1 : NONE;
        r->n1 = s->n1, r->n2 = s->n2, r->value = s->value, r->at_ms = s->at_ms, r->seq = s->seq;
        r->text = s->text && *s->text ? ld_xstrdup(s->text) : NULL;
        for (size_t j = 0; j < s->n_list; j++)
            ld_vec_push(&r->list, s->list[j]);
        for (size_t j = 0; j < s->n_list2; j++)
            ld_vec_push(&r->list2, s->list2[j]);
    }
    /* the columns: a value count each (bytes without the continuation bit) */
    size_t n_col[SNAP_FACT_COLS], at_col[SNAP_FACT_COLS];
    for (int k = 0; k < SNAP_FACT_COLS; k++) {
        n_col[k] = 0, at_col[k] = cols[k].at;
        for (size_t j = 0; j < cols[k].len; j++)
            n_col[k] += !(buf[cols[k].at + j] & 0x80);
        if (cols[k].len && (buf[cols[k].at + cols[k].len - 1] & 0x80))
            goto bad;
    }
    size_t nf = n_col[0], np = n_col[9];
    for (int k = 1; k < 9; k++)
        if (n_col[k] != nf)
            goto bad;
    if (n_col[10] != np || nf > UINT32_MAX || np > UINT32_MAX)
        goto bad;
#define COL(k, v) wire_varint(buf, cols[k].at + cols[k].len, &at_col[k], &(v))
    c->facts_cap = nf + 1, c->facts = ld_big_alloc(c->facts_cap * sizeof *c->facts);
    c->pays_cap = np + 1, c->pays = ld_big_alloc(c->pays_cap * sizeof *c->pays);
    uint64_t pay0 = 0, prev_seq = 0;
    for (size_t i = 0; i < nf; i++) {
        fact_t *f = &c->facts[i];
        uint64_t seq, value, at_ms, emp, n1, n2, body, npay, reversed;
        if (!COL(0, seq) || !COL(1, value) || !COL(2, at_ms) || !COL(3, emp) || !COL(4, n1) ||
            !COL(5, n2) || !COL(6, body) || !COL(7, npay) || !COL(8, reversed))
            goto bad;
        if ((i && seq <= prev_seq) || (emp && !IDX_OK(emp - 1, c->g.n_emps)) || npay > np - pay0)
            goto bad;
        int64_t v = (int64_t)value, at = (int64_t)at_ms;
        if (v > INT32_MAX || v < INT32_MIN || n1 > 255 || body > 255 || at < 0 ||
            at / 1000 > UINT32_MAX || n2 > UINT32_MAX)
            goto bad;
        prev_seq = seq;
        memset(f, 0, sizeof *f);
        f->seq = seq, f->value = (int32_t)v;
        f->at_s = (uint32_t)(at / 1000);
        f->emp = emp ? (uint32_t)emp - 1 : NONE;
        f->n1 = (uint8_t)n1;
        f->n2 = n2 ? (uint32_t)n2 - 1 : NONE;
        f->body = (uint8_t)body;
        f->reversed = reversed ? 1 : 0;
        for (uint64_t k = 0; k < npay; k++, pay0++) {
            uint64_t pe, pa;
            if (!COL(9, pe) || !COL(10, pa) || !IDX_OK(pe, c->g.n_emps) || pa > UINT32_MAX)
                goto bad;
            c->pays[pay0] = (pay_t){(uint32_t)i, (uint32_t)pe, (uint32_t)pa};
        }
    }
#undef COL
    if (pay0 != np)
        goto bad;
    c->g.n_facts = (uint32_t)nf, c->g.n_pays = (uint32_t)np;
    memcpy(&c->g.lib_count[0][0], st->lib_count, sizeof c->g.lib_count);
#undef IDX_OK
    ld_deadlines_rebuild(c);
    ld_boards_rebuild(c);
    ld_arena_free(&arena);
    ld_arena_free(&earena);
    free(spans);
    return c;
bad:
    ld_core_destroy(&c);
    ld_arena_free(&arena);
    ld_arena_free(&earena);
    free(spans);
    return NULL;
}
