/* whatif.c — rules what-if (§10): the actual log beside the same facts
 * decided again under a proposed rules document (whatif.h).
 *
 * Owns: the two states, the level steps each side took in the span, the facts
 * the proposal refuses (by §), and the report that pairs them. What a what-if
 * cannot know: requests refused under the actual rules are not in the log, so
 * nothing tells whether the proposal would have accepted them; and a fact that
 * never happened (an exam nobody drew) stays undrawn. The report says so.
 */
#include "whatif.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facts.h"
#include "internal.h"

#define ALL_ROLES 0x7fu
#define MAX_REFUSAL_SEQS 20

enum { SIDE_ACTUAL = 0, SIDE_WHATIF = 1 };

/* One decision about a level: a change, or a year kept (from == to). */
typedef struct {
    char emp[LD_ID_MAX + 1];
    uint8_t side;
    uint32_t from, to;
    int64_t at;
    uint64_t seq;           /* log seq of the fact it follows from */
    uint64_t order;         /* arrival, to keep each side's order when sorting */
    const char *cause;      /* static: "promoted", "demoted", "restored", "kept" */
    size_t reason;          /* offset into text, 0 for none */
} step_t;

/* A fact of the log that the proposal refuses. */
typedef struct {
    char emp[LD_ID_MAX + 1];
    int64_t at;
    uint64_t seq;
    char section[16];
    size_t message;         /* offset into text */
} refusal_t;

typedef struct {
    char section[16];
    uint64_t count;
    uint64_t seqs[MAX_REFUSAL_SEQS];
    size_t nseqs;
    size_t example;
} by_section_t;

typedef struct {
    uint64_t promotions, demotions, kept, retired;
    int64_t points;
} totals_t;

struct ld_whatif {
    ld_core_t *a, *w;
    ld_out_t *wout;
    char *rules_json;
    uint64_t from_seq, to_seq;
    int64_t from_ms, to_ms;
    bool started, done;
    uint64_t first_seq, last_seq, events, facts, order;
    totals_t t[2];

    step_t *steps;
    size_t nsteps, capsteps;
    refusal_t *refs;
    size_t nrefs, caprefs;
    by_section_t *secs;
    size_t nsecs, capsecs;

    char *text;             /* reasons and messages, NUL-separated; offset 0 is "" */
    size_t ntext, captext;

    /* seq in the what-if of each fact of the span (0: refused there), so a
     * fact that names another by its seq (a §12 reversal) names the same one */
    uint64_t *wseq;
    size_t nwseq, capwseq;
};

static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return p;
    size_t n = *cap ? *cap * 2 : 64;
    while (n < need)
        n *= 2;
    p = realloc(p, n * size);
    if (!p)
        abort();
    *cap = n;
    return p;
}

static size_t text_add(ld_whatif_t *w, const char *s)
{
    if (!s || !*s)
        return 0;
    size_t len = strlen(s) + 1;
    w->text = grow(w->text, &w->captext, w->ntext + len, 1);
    memcpy(w->text + w->ntext, s, len);
    w->ntext += len;
    return w->ntext - len;
}

/* The employee an event is about: its body's employee_id, else its stream
 * "emp/<id>", else "". */
static void emp_of(const Ladder__V1__Event *ev, char out[LD_ID_MAX + 1])
{
    out[0] = '\0';
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field(&ladder__v1__event__descriptor, ev->body_case);
    if (f && f->type == PROTOBUF_C_TYPE_MESSAGE) {
        const ProtobufCMessage *body = *(ProtobufCMessage *const *)((const char *)ev + f->offset);
        const ProtobufCFieldDescriptor *id =
            body ? protobuf_c_message_descriptor_get_field_by_name(body->descriptor, "employee_id")
                 : NULL;
        if (id && id->type == PROTOBUF_C_TYPE_STRING && id->label != PROTOBUF_C_LABEL_REPEATED) {
            const char *v = *(char *const *)((const char *)body + id->offset);
            if (v && *v) {
                snprintf(out, LD_ID_MAX + 1, "%s", v);
                return;
            }
        }
    }
    if (ev->stream && strncmp(ev->stream, "emp/", 4) == 0)
        snprintf(out, LD_ID_MAX + 1, "%s", ev->stream + 4);
}

static void step_add(ld_whatif_t *w, int side, const char *emp, const Ladder__V1__Event *ev,
                     uint64_t logseq, uint32_t from, uint32_t to, const char *cause,
                     const char *reason)
{
    w->steps = grow(w->steps, &w->capsteps, w->nsteps + 1, sizeof *w->steps);
    step_t *s = &w->steps[w->nsteps++];
    snprintf(s->emp, sizeof s->emp, "%s", emp);
    s->side = (uint8_t)side;
    s->from = from, s->to = to;
    s->at = ev->at_ms;
    s->seq = logseq;
    s->order = w->order++;
    s->cause = cause;
    s->reason = text_add(w, reason);
}

/* The decisions an event records, counted for its side. */
static void observe(ld_whatif_t *w, int side, const Ladder__V1__Event *ev, uint64_t logseq)
{
    totals_t *t = &w->t[side];
    char why[96];
    switch (ev->body_case) {
    case LADDER__V1__EVENT__BODY_PROMOTED: {
        const Ladder__V1__Promoted *m = ev->promoted;
        snprintf(why, sizeof why, "§6: passed exam %s", m->exam_id);
        step_add(w, side, m->employee_id, ev, logseq, m->from_level, m->to_level, "promoted", why);
        t->promotions++;
        break;
    }
    case LADDER__V1__EVENT__BODY_RETENTION_YEAR_CLOSED: {
        const Ladder__V1__RetentionYearClosed *m = ev->retention_year_closed;
        if (m->kept) {
            t->kept++;
            step_add(w, side, m->employee_id, ev, logseq, m->level, m->level, "kept", "§7: year kept");
        } else {
            t->demotions++;
            step_add(w, side, m->employee_id, ev, logseq, m->level, m->new_level, "demoted",
                     m->explanation);
        }
        break;
    }
    case LADDER__V1__EVENT__BODY_APPEAL_DECIDED: {
        const Ladder__V1__AppealDecided *m = ev->appeal_decided;
        if (m->overturned)
            step_add(w, side, m->employee_id, ev, logseq,
                     m->restored_level ? m->restored_level - 1 : 0, m->restored_level, "restored",
                     m->reason);
        break;
    }
    case LADDER__V1__EVENT__BODY_POINTS_AWARDED:
        t->points += ev->points_awarded->amount;
        break;
    case LADDER__V1__EVENT__BODY_CASE_RETIRED:
        t->retired++;
        break;
    default:
        break;
    }
}

static void refusal_add(ld_whatif_t *w, const Ladder__V1__Event *ev, const ld_refusal_t *why)
{
    const char *sec = why->section[0] ? why->section : "-";
    by_section_t *b = NULL;
    for (size_t i = 0; i < w->nsecs; i++)
        if (strcmp(w->secs[i].section, sec) == 0)
            b = &w->secs[i];
    size_t msg = text_add(w, why->message);
    if (!b) {
        w->secs = grow(w->secs, &w->capsecs, w->nsecs + 1, sizeof *w->secs);
        b = &w->secs[w->nsecs++];
        memset(b, 0, sizeof *b);
        snprintf(b->section, sizeof b->section, "%s", sec);
        b->example = msg;
    }
    b->count++;
    if (b->nseqs < MAX_REFUSAL_SEQS)
        b->seqs[b->nseqs++] = ev->seq;
    w->refs = grow(w->refs, &w->caprefs, w->nrefs + 1, sizeof *w->refs);
    refusal_t *r = &w->refs[w->nrefs++];
    emp_of(ev, r->emp);
    r->at = ev->at_ms;
    r->seq = ev->seq;
    snprintf(r->section, sizeof r->section, "%s", sec);
    r->message = msg;
}

/* Runs one command in the what-if state and observes what it yields. */
static int run(ld_whatif_t *w, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
               uint64_t logseq, ld_refusal_t *why)
{
    ld_out_reset(w->wout);
    if (ld_core_execute(w->w, cmd, ctx, w->wout, why) != 0)
        return -1;
    size_t n = ld_out_count(w->wout);
    Ladder__V1__Event **evs = ld_out_events(w->wout);
    for (size_t i = 0; i < n; i++)
        observe(w, SIDE_WHATIF, evs[i], logseq);
    return 0;
}

/* §7: the what-if's own year closes and appeal windows due by now, decided
 * at now, as ladderd decides them when its clock passes them. */
static void fire_deadlines(ld_whatif_t *w, int64_t now, uint64_t logseq)
{
    for (int guard = 0; guard < 100000; guard++) {
        int64_t at;
        const char *emp;
        int kind;
        if (!ld_core_next_deadline(w->w, &at, &emp, &kind) || at > now)
            return;
        char id[LD_ID_MAX + 1];
        snprintf(id, sizeof id, "%s", emp);
        Ladder__V1__Command cmd = LADDER__V1__COMMAND__INIT;
        Ladder__V1__CloseRetentionYear cy = LADDER__V1__CLOSE_RETENTION_YEAR__INIT;
        Ladder__V1__ExpireAppeal xa = LADDER__V1__EXPIRE_APPEAL__INIT;
        if (kind == LD_DEADLINE_RETENTION) {
            cy.employee_id = id;
            cmd.cmd_case = LADDER__V1__COMMAND__CMD_CLOSE_RETENTION_YEAR;
            cmd.close_retention_year = &cy;
        } else {
            xa.employee_id = id;
            cmd.cmd_case = LADDER__V1__COMMAND__CMD_EXPIRE_APPEAL;
            cmd.expire_appeal = &xa;
        }
        ld_ctx_t ctx = {now, "system", LADDER__V1__ROLE__ROLE_SYSTEM, NULL, 0};
        ld_refusal_t why;
        if (run(w, &cmd, &ctx, logseq, &why) != 0)
            return; /* a deadline the state refuses stays pending; ladderd logs it */
    }
}

/* Facts ladderd records on its own clock: the what-if has its own. */
static bool is_deadline_fact(const Ladder__V1__Event *ev)
{
    return (ev->body_case == LADDER__V1__EVENT__BODY_RETENTION_YEAR_CLOSED ||
            ev->body_case == LADDER__V1__EVENT__BODY_APPEAL_EXPIRED) &&
           ev->actor && strcmp(ev->actor, "system") == 0;
}

static int adopt(ld_core_t *c, ld_out_t *out, const char *json, int64_t now, ld_refusal_t *why)
{
    Ladder__V1__AdoptRules ar = LADDER__V1__ADOPT_RULES__INIT;
    ar.rules_json = (char *)json;
    Ladder__V1__Command cmd = LADDER__V1__COMMAND__INIT;
    cmd.cmd_case = LADDER__V1__COMMAND__CMD_ADOPT_RULES;
    cmd.adopt_rules = &ar;
    ld_ctx_t ctx = {now, "what-if", ALL_ROLES, NULL, 0};
    ld_out_reset(out);
    return ld_core_execute(c, &cmd, &ctx, out, why);
}

ld_whatif_t *ld_whatif_new(ld_core_t *base, const Ladder__V1__WhatIf *q, ld_refusal_t *why)
{
    memset(why, 0, sizeof *why);
    const char *json = q->rules_json ? q->rules_json : "";
    ld_core_t *trial = ld_core_new(1);
    ld_out_t *out = ld_out_new();
    int rc = adopt(trial, out, json, 0, why);
    ld_core_destroy(&trial);
    if (rc != 0) {
        ld_out_destroy(&out);
        ld_core_destroy(&base);
        return NULL;
    }
    ld_whatif_t *w = calloc(1, sizeof *w);
    if (!w)
        abort();
    w->a = base ? base : ld_core_new(1);
    w->wout = out;
    w->rules_json = strdup(json);
    if (!w->rules_json)
        abort();
    w->from_seq = q->from_seq, w->from_ms = q->from_ms;
    w->to_seq = q->to_seq, w->to_ms = q->to_ms;
    w->text = grow(NULL, &w->captext, 1, 1);
    w->text[0] = '\0';
    w->ntext = 1;
    return w;
}

void ld_whatif_destroy(ld_whatif_t **pw)
{
    if (!pw || !*pw)
        return;
    ld_whatif_t *w = *pw;
    ld_core_destroy(&w->a);
    ld_core_destroy(&w->w);
    ld_out_destroy(&w->wout);
    free(w->rules_json);
    free(w->steps);
    free(w->refs);
    free(w->secs);
    free(w->text);
    free(w->wseq);
    free(w);
    *pw = NULL;
}

uint64_t ld_whatif_next_seq(const ld_whatif_t *w)
{
    return ld_core_next_seq(w->a);
}

/* The span begins at this fact: the what-if state is the actual one, with the
 * proposal adopted at the fact's time. */
static int start(ld_whatif_t *w, const Ladder__V1__Event *ev, ld_refusal_t *why)
{
    uint8_t *buf;
    size_t len;
    if (ld_core_snapshot(w->a, &buf, &len) != 0)
        abort();
    w->w = ld_core_from_snapshot(buf, len);
    free(buf);
    if (!w->w)
        abort();
    if (adopt(w->w, w->wout, w->rules_json, ev->at_ms, why) != 0)
        return -1;
    w->started = true;
    w->first_seq = ev->seq;
    return 0;
}

/* The what-if's seq of the log's fact at seq: the same before the span. */
static uint64_t what_if_seq(const ld_whatif_t *w, uint64_t seq)
{
    if (seq < w->first_seq)
        return seq;
    return seq - w->first_seq < w->nwseq ? w->wseq[seq - w->first_seq] : 0;
}

int ld_whatif_feed(ld_whatif_t *w, const Ladder__V1__Event *ev, ld_refusal_t *why)
{
    memset(why, 0, sizeof *why);
    if (w->done)
        return 1;
    if ((w->to_seq && ev->seq > w->to_seq) || (w->to_ms && ev->at_ms >= w->to_ms)) {
        w->done = true;
        return 1;
    }
    bool fact = ev->cause_seq == 0;
    if (!w->started && fact && ev->seq >= w->from_seq && ev->at_ms >= w->from_ms &&
        start(w, ev, why) != 0)
        return -1;
    if (ld_core_evolve(w->a, ev) != 0) {
        why->code = LADDER__V1__ERROR_CODE__ERR_INTERNAL;
        snprintf(why->message, sizeof why->message,
                 "seq %llu does not apply to the state before it (run `ladderctl audit`)",
                 (unsigned long long)ev->seq);
        return -1;
    }
    if (!w->started)
        return 0;
    if (w->started) {
        w->wseq = grow(w->wseq, &w->capwseq, ev->seq - w->first_seq + 1, sizeof *w->wseq);
        while (w->nwseq <= ev->seq - w->first_seq)
            w->wseq[w->nwseq++] = 0;
    }
    w->events++;
    w->last_seq = ev->seq;
    observe(w, SIDE_ACTUAL, ev, ev->cause_seq ? ev->cause_seq : ev->seq);
    if (!fact)
        return 0;
    if (!is_deadline_fact(ev)) {
        Ladder__V1__Command cmd;
        ld_fact_store_t u;
        if (ld_fact_command(ev, &cmd, &u)) {
            w->facts++;
            if (cmd.cmd_case == LADDER__V1__COMMAND__CMD_REVERSE_FACT)
                u.reverse.seq = what_if_seq(w, u.reverse.seq);
            ld_ctx_t ctx = {ev->at_ms, ev->actor, ALL_ROLES, ev->request_id.data,
                            ev->request_id.len};
            ld_refusal_t r;
            uint64_t at = ld_core_next_seq(w->w);
            if (run(w, &cmd, &ctx, ev->seq, &r) != 0)
                refusal_add(w, ev, &r);
            else
                w->wseq[ev->seq - w->first_seq] = at;
        } else {
            /* a fact no command produces (none in a log ladderd wrote): it is
             * folded as it is, at the what-if's own next seq */
            Ladder__V1__Event copy = *ev;
            copy.seq = ld_core_next_seq(w->w);
            if (ld_core_evolve(w->w, &copy) == 0) {
                observe(w, SIDE_WHATIF, &copy, ev->seq);
                w->wseq[ev->seq - w->first_seq] = copy.seq;
            }
        }
    }
    fire_deadlines(w, ev->at_ms, ev->seq);
    return 0;
}

/* ------------------------------------------------------------- report -- */

static int step_cmp(const void *x, const void *y)
{
    const step_t *a = x, *b = y;
    int c = strcmp(a->emp, b->emp);
    if (c)
        return c;
    if (a->side != b->side)
        return a->side < b->side ? -1 : 1;
    return a->order < b->order ? -1 : a->order > b->order;
}

static bool same(const step_t *a, const step_t *b)
{
    return a->from == b->from && a->to == b->to && strcmp(a->cause, b->cause) == 0 &&
           a->at / 86400000 == b->at / 86400000;
}

static char *describe(ld_whatif_t *w, ld_out_t *out, const step_t *s)
{
    char buf[512];
    if (strcmp(s->cause, "kept") == 0)
        snprintf(buf, sizeof buf, "kept level %u", s->from);
    else
        snprintf(buf, sizeof buf, "%s %u -> %u%s%s", s->cause, s->from, s->to,
                 s->reason ? ": " : "", w->text + s->reason);
    return ld_ostr(out, buf);
}

/* Why the what-if did not decide what the log did: the first fact about emp
 * it refused between the previous decision (after) and this one (upto). */
static const refusal_t *refusal_for(ld_whatif_t *w, const char *emp, uint64_t after, uint64_t upto)
{
    for (size_t i = 0; i < w->nrefs; i++)
        if (w->refs[i].seq > after && w->refs[i].seq <= upto && strcmp(w->refs[i].emp, emp) == 0)
            return &w->refs[i];
    return NULL;
}

static void section_of(const step_t *s, char *sec, size_t n)
{
    snprintf(sec, n, "%s", strcmp(s->cause, "promoted") == 0 ? "§6" : "§7");
}

typedef struct {
    Ladder__V1__WhatIfDecision **v;
    size_t n, cap;
} decisions_t;

static Ladder__V1__WhatIfDecision *decision_new(ld_out_t *out, decisions_t *d, const step_t *s)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 8;
        Ladder__V1__WhatIfDecision **v = ld_arena_alloc(&out->arena, cap * sizeof *v);
        if (d->n)
            memcpy(v, d->v, d->n * sizeof *v);
        d->v = v, d->cap = cap;
    }
    Ladder__V1__WhatIfDecision *x = ld_body_new(out, &ladder__v1__what_if_decision__descriptor);
    x->at_ms = s->at;
    x->seq = s->seq;
    d->v[d->n++] = x;
    return x;
}

static Ladder__V1__LevelStep **path(ld_whatif_t *w, ld_out_t *out, const step_t *s, size_t n,
                                    size_t *count)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += strcmp(s[i].cause, "kept") != 0;
    Ladder__V1__LevelStep **v = ld_arena_alloc(&out->arena, (k ? k : 1) * sizeof *v);
    k = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(s[i].cause, "kept") == 0)
            continue;
        Ladder__V1__LevelStep *p = ld_body_new(out, &ladder__v1__level_step__descriptor);
        p->at_ms = s[i].at;
        p->seq = s[i].seq;
        p->from_level = s[i].from;
        p->to_level = s[i].to;
        p->cause = ld_ostr(out, s[i].cause);
        p->reason = ld_ostr(out, w->text + s[i].reason);
        v[k++] = p;
    }
    *count = k;
    return v;
}

/* Pairs one employee's steps on both sides; the unmatched ones are the
 * decisions that differ, paired by the fact they follow from. */
static Ladder__V1__WhatIfEmployee *compare_one(ld_whatif_t *w, ld_out_t *out, const char *emp,
                                               step_t *a, size_t na, step_t *b, size_t nb)
{
    bool *ua = calloc(na + 1, 1), *ub = calloc(nb + 1, 1);
    if (!ua || !ub)
        abort();
    size_t j = 0;
    for (size_t i = 0; i < na; i++)
        for (size_t k = j; k < nb; k++)
            if (!ub[k] && same(&a[i], &b[k])) {
                ua[i] = ub[k] = true;
                j = k + 1;
                break;
            }
    decisions_t d = {0};
    for (size_t i = 0; i < na; i++) {
        if (ua[i])
            continue;
        Ladder__V1__WhatIfDecision *x = decision_new(out, &d, &a[i]);
        x->actual = describe(w, out, &a[i]);
        char sec[16];
        section_of(&a[i], sec, sizeof sec);
        /* the other side's decision on the same fact, or on the same day (a
         * year close the what-if fired on its own clock) */
        size_t pair = nb;
        for (size_t k = 0; k < nb && pair == nb; k++)
            if (!ub[k] && b[k].seq == a[i].seq)
                pair = k;
        for (size_t k = 0; k < nb && pair == nb; k++)
            if (!ub[k] && b[k].at / 86400000 == a[i].at / 86400000)
                pair = k;
        if (pair < nb) {
            ub[pair] = true;
            x->what_if = describe(w, out, &b[pair]);
            section_of(&b[pair], sec, sizeof sec);
        }
        if (!x->what_if || !*x->what_if) {
            const refusal_t *r = refusal_for(w, emp, i ? a[i - 1].seq : 0, a[i].seq);
            char buf[400];
            if (r) {
                snprintf(buf, sizeof buf, "refused: %s", w->text + r->message);
                snprintf(sec, sizeof sec, "%s", r->section);
            } else {
                snprintf(buf, sizeof buf, "no such decision");
            }
            x->what_if = ld_ostr(out, buf);
        }
        x->section = ld_ostr(out, sec);
    }
    for (size_t k = 0; k < nb; k++) {
        if (ub[k])
            continue;
        Ladder__V1__WhatIfDecision *x = decision_new(out, &d, &b[k]);
        x->actual = ld_ostr(out, "no such decision");
        x->what_if = describe(w, out, &b[k]);
        char sec[16];
        section_of(&b[k], sec, sizeof sec);
        x->section = ld_ostr(out, sec);
    }
    free(ua);
    free(ub);
    if (d.n == 0)
        return NULL;
    Ladder__V1__WhatIfEmployee *e = ld_body_new(out, &ladder__v1__what_if_employee__descriptor);
    e->employee_id = ld_ostr(out, emp);
    e->decisions = d.v, e->n_decisions = d.n;
    e->actual_path = path(w, out, a, na, &e->n_actual_path);
    e->what_if_path = path(w, out, b, nb, &e->n_what_if_path);
    long ia = ld_core_employee_find(w->a, emp);
    if (ia >= 0) {
        ld_emp_summary_t s;
        ld_core_employee_at(w->a, (size_t)ia, &s);
        e->actual_level = s.level, e->actual_points = s.total;
        Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
        Ladder__V1__GetEmployee ge = LADDER__V1__GET_EMPLOYEE__INIT;
        ge.employee_id = (char *)emp;
        q.q_case = LADDER__V1__QUERY__Q_EMPLOYEE, q.employee = &ge;
        Ladder__V1__Ok ok = LADDER__V1__OK__INIT;
        ld_refusal_t why;
        if (ld_core_query(w->a, &q, ld_core_last_at(w->a), out, &ok, &why) == 0 && ok.employee)
            e->name = ok.employee->name;
    }
    long iw = w->w ? ld_core_employee_find(w->w, emp) : -1;
    if (iw >= 0) {
        ld_emp_summary_t s;
        ld_core_employee_at(w->w, (size_t)iw, &s);
        e->what_if_level = s.level, e->what_if_points = s.total;
    }
    return e;
}

static Ladder__V1__WhatIfTotals *totals(ld_out_t *out, const totals_t *t)
{
    Ladder__V1__WhatIfTotals *x = ld_body_new(out, &ladder__v1__what_if_totals__descriptor);
    x->promotions = t->promotions, x->demotions = t->demotions, x->years_kept = t->kept;
    x->points_awarded = t->points, x->cases_retired = t->retired;
    return x;
}

static int sec_cmp(const void *x, const void *y)
{
    const by_section_t *a = x, *b = y;
    return a->count != b->count ? (a->count > b->count ? -1 : 1) : strcmp(a->section, b->section);
}

int ld_whatif_report(ld_whatif_t *w, ld_out_t *out, Ladder__V1__WhatIfReport *rep)
{
    rep->from_seq = w->first_seq;
    rep->to_seq = w->last_seq;
    rep->events = w->events;
    rep->facts = w->facts;
    rep->actual = totals(out, &w->t[SIDE_ACTUAL]);
    rep->what_if = totals(out, &w->t[SIDE_WHATIF]);
    if (w->w) {
        const ld_rules_t *r = ld_core_rules(w->w);
        char *json = ld_rules_to_json(r);
        rep->rules_json = ld_ostr(out, json);
        free(json);
        rep->rules_version = r->version;
    }
    rep->note = ld_ostr(out,
                     "Facts stay facts: only decisions are derived again. Requests refused under "
                     "the actual rules are not in the log, so whether the proposal would have "
                     "accepted them cannot be known; a fact that never happened (an exam nobody "
                     "drew) stays undrawn.");

    if (w->nsteps)
        qsort(w->steps, w->nsteps, sizeof *w->steps, step_cmp);
    size_t cap = 16, n = 0;
    Ladder__V1__WhatIfEmployee **emps = ld_arena_alloc(&out->arena, cap * sizeof *emps);
    for (size_t i = 0; i < w->nsteps;) {
        size_t j = i;
        while (j < w->nsteps && strcmp(w->steps[j].emp, w->steps[i].emp) == 0)
            j++;
        size_t m = i;
        while (m < j && w->steps[m].side == SIDE_ACTUAL)
            m++;
        Ladder__V1__WhatIfEmployee *e =
            compare_one(w, out, w->steps[i].emp, &w->steps[i], m - i, &w->steps[m], j - m);
        if (e) {
            if (n == cap) {
                Ladder__V1__WhatIfEmployee **v = ld_arena_alloc(&out->arena, cap * 2 * sizeof *v);
                memcpy(v, emps, n * sizeof *v);
                emps = v, cap *= 2;
            }
            emps[n++] = e;
        }
        i = j;
    }
    rep->employees = emps, rep->n_employees = n;

    if (w->nsecs)
        qsort(w->secs, w->nsecs, sizeof *w->secs, sec_cmp);
    rep->refused = ld_arena_alloc(&out->arena, (w->nsecs ? w->nsecs : 1) * sizeof *rep->refused);
    for (size_t i = 0; i < w->nsecs; i++) {
        Ladder__V1__WhatIfRefusals *x = ld_body_new(out, &ladder__v1__what_if_refusals__descriptor);
        x->section = ld_ostr(out, w->secs[i].section);
        x->count = w->secs[i].count;
        x->n_seqs = w->secs[i].nseqs;
        x->seqs = ld_arena_alloc(&out->arena, (x->n_seqs ? x->n_seqs : 1) * sizeof *x->seqs);
        memcpy(x->seqs, w->secs[i].seqs, x->n_seqs * sizeof *x->seqs);
        x->example = ld_ostr(out, w->text + w->secs[i].example);
        rep->refused[i] = x;
    }
    rep->n_refused = w->nsecs;
    return 0;
}
