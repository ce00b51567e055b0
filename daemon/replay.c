/* replay.c — fold the stored log into the core (replay.h). */
#include "replay.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* A bump allocator for protobuf-c: one decode at a time, reset per event. */
typedef struct {
    uint8_t *buf;
    size_t used, cap;
    bool spilled;    /* something was malloc'd: the decode must be freed */
} bump_t;

static void *bump_alloc(void *ctx, size_t n)
{
    bump_t *b = ctx;
    n = (n + 15) & ~(size_t)15;
    if (b->used + n > b->cap) {
        b->spilled = true;
        return malloc(n); /* an unusually large event: freed by bump_free below */
    }
    void *p = b->buf + b->used;
    b->used += n;
    return p;
}

static void bump_free(void *ctx, void *p)
{
    bump_t *b = ctx;
    if ((uint8_t *)p < b->buf || (uint8_t *)p >= b->buf + b->cap)
        free(p);
}

/* Issue 17: a decode that fit in the bump buffer goes with the next reset;
 * walking the message to free nothing cost a few % of a replay. */
static void bump_release(bump_t *b, Ladder__V1__Event *ev, ProtobufCAllocator *alloc)
{
    if (b->spilled)
        ladder__v1__event__free_unpacked(ev, alloc);
    b->spilled = false;
}

/* Issue 17: the fold decodes AHEAD events before it evolves the oldest, and
 * asks the core to fetch what the next ones will look up (ld_core_prefetch:
 * the id-index slot two events ahead, the row one event ahead), so those
 * cache misses overlap the evolve in between. Events are still evolved one
 * at a time, in log order: the state is the same, byte for byte. */
#define AHEAD 3

typedef struct {
    Ladder__V1__Event *ev;
    uint64_t seq;
    bump_t bump;
    ProtobufCAllocator alloc;
} pending_t;

typedef struct {
    ld_core_t *core;
    pending_t p[AHEAD];      /* a ring: p[head] is the oldest of n */
    unsigned head, n;
    uint64_t count, bad;
    int64_t to_ms;
} fold_t;

#define STOP 1 /* a scan callback's "enough", not an error */

/* Lets go of every pending event, none evolved (after a refused one). */
static void fold_discard(fold_t *f)
{
    for (; f->n; f->n--, f->head = (f->head + 1) % AHEAD) {
        pending_t *p = &f->p[f->head];
        bump_release(&p->bump, p->ev, &p->alloc);
    }
}

/* Evolves the oldest pending event; a refusal drops the rest. */
static int fold_evolve_oldest(fold_t *f)
{
    pending_t *p = &f->p[f->head];
    int rc = ld_core_evolve(f->core, p->ev);
    bump_release(&p->bump, p->ev, &p->alloc);
    f->head = (f->head + 1) % AHEAD, f->n--;
    if (rc) {
        f->bad = p->seq;
        fold_discard(f);
        return LD_ECORRUPT;
    }
    f->count++;
    return 0;
}

static int fold_drain(fold_t *f)
{
    int rc = 0;
    while (f->n && !rc)
        rc = fold_evolve_oldest(f);
    return rc;
}

static int fold_one(void *ctx, uint64_t seq, const uint8_t *data, size_t len)
{
    fold_t *f = ctx;
    int rc;
    if (f->n == AHEAD && (rc = fold_evolve_oldest(f)))
        return rc;
    pending_t *p = &f->p[(f->head + f->n) % AHEAD];
    p->bump.used = 0, p->bump.spilled = false;
    Ladder__V1__Event *ev = ladder__v1__event__unpack(&p->alloc, len, data);
    if (!ev || ev->seq != seq || (f->to_ms && ev->at_ms > f->to_ms)) {
        bool past = ev && ev->seq == seq; /* past to_ms: stop after the ones before */
        if (ev)
            bump_release(&p->bump, ev, &p->alloc);
        if ((rc = fold_drain(f)))
            return rc;
        if (past)
            return STOP;
        f->bad = seq;
        return LD_ECORRUPT;
    }
    p->ev = ev, p->seq = seq;
    f->n++;
    ld_core_prefetch(f->core, ev, 0);
    if (f->n >= 2)
        ld_core_prefetch(f->core, f->p[(f->head + f->n - 2) % AHEAD].ev, 1);
    return 0;
}

static int fold(ld_store_t *s, ld_core_t *c, uint64_t max, int64_t to_ms, uint64_t *count,
                uint64_t *bad_seq)
{
    fold_t f = {.core = c, .to_ms = to_ms};
    int rc = 0;
    for (int j = 0; j < AHEAD; j++) {
        pending_t *p = &f.p[j];
        p->bump.cap = 1 << 20;
        if (!(p->bump.buf = malloc(p->bump.cap)))
            rc = LD_ENOMEM;
        p->alloc = (ProtobufCAllocator){bump_alloc, bump_free, &p->bump};
    }
    if (!rc) {
        rc = ld_store_scan(s, ld_core_next_seq(c), max, fold_one, &f);
        /* the events read before the scan ended (its end, its max, or a
         * store error) are evolved as they would have been one by one */
        int drained = fold_drain(&f);
        if (rc == STOP || !rc)
            rc = drained;
    }
    for (int j = 0; j < AHEAD; j++)
        free(f.p[j].bump.buf);
    if (count)
        *count = f.count;
    if (bad_seq)
        *bad_seq = f.bad;
    return rc;
}

int ld_replay(ld_store_t *s, ld_core_t *c, uint64_t *count, uint64_t *bad_seq)
{
    return fold(s, c, 0, 0, count, bad_seq);
}

int ld_replay_until(ld_store_t *s, ld_core_t *c, uint64_t to_seq, int64_t to_ms, uint64_t *count)
{
    uint64_t next = ld_core_next_seq(c), bad;
    if (to_seq && to_seq < next)
        return 0;
    return fold(s, c, to_seq ? to_seq - next + 1 : 0, to_ms, count, &bad);
}

typedef struct {
    uint64_t head, seq;
    ld_core_t *c;
} snap_load_t;

/* Loads the core from the snapshot's bytes where the store maps them. */
static int snap_load(void *ctx, uint64_t seq, const void *data, size_t len)
{
    snap_load_t *l = ctx;
    if (seq > l->head)
        return 0;
    l->c = ld_core_from_snapshot(data, len);
    if (l->c && ld_core_next_seq(l->c) != seq + 1)
        ld_core_destroy(&l->c);
    l->seq = seq;
    return 0;
}

ld_core_t *ld_replay_open(ld_store_t *s, uint64_t *from_snapshot, uint64_t *replayed, int *rc,
                          uint64_t *bad_seq)
{
    snap_load_t l = {0};
    ld_store_head(s, &l.head, NULL);
    (void)ld_store_snapshot_view(s, "core", snap_load, &l);
    ld_core_t *c = l.c;
    *from_snapshot = c ? l.seq : 0;
    if (!c)
        c = ld_core_new(1);
    *rc = ld_replay(s, c, replayed, bad_seq);
    if (*rc)
        ld_core_destroy(&c);
    return c;
}

typedef struct {
    ProtobufCAllocator alloc;
    bump_t bump;
    ld_replay_cb cb;
    void *ctx;
    uint64_t bad;
} each_t;

static int each_one(void *ctx, uint64_t seq, const uint8_t *data, size_t len)
{
    each_t *e = ctx;
    e->bump.used = 0, e->bump.spilled = false;
    Ladder__V1__Event *ev = ladder__v1__event__unpack(&e->alloc, len, data);
    if (!ev || ev->seq != seq) {
        e->bad = seq;
        if (ev)
            bump_release(&e->bump, ev, &e->alloc);
        return LD_ECORRUPT;
    }
    int rc = e->cb(e->ctx, ev);
    bump_release(&e->bump, ev, &e->alloc);
    return rc;
}

int ld_replay_each(ld_store_t *s, uint64_t from, ld_replay_cb cb, void *ctx, uint64_t *bad_seq)
{
    each_t e = {.cb = cb, .ctx = ctx};
    e.bump.cap = 1 << 20;
    e.bump.buf = malloc(e.bump.cap);
    if (!e.bump.buf)
        return LD_ENOMEM;
    e.alloc = (ProtobufCAllocator){bump_alloc, bump_free, &e.bump};
    int rc = ld_store_scan(s, from, 0, each_one, &e);
    free(e.bump.buf);
    if (bad_seq)
        *bad_seq = e.bad;
    return rc;
}
