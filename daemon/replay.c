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

typedef struct {
    ld_core_t *core;
    ProtobufCAllocator alloc;
    bump_t bump;
    uint64_t count, bad;
    int64_t to_ms;
} fold_t;

#define STOP 1 /* a scan callback's "enough", not an error */

static int fold_one(void *ctx, uint64_t seq, const uint8_t *data, size_t len)
{
    fold_t *f = ctx;
    f->bump.used = 0, f->bump.spilled = false;
    Ladder__V1__Event *ev = ladder__v1__event__unpack(&f->alloc, len, data);
    if (ev && f->to_ms && ev->at_ms > f->to_ms) {
        bump_release(&f->bump, ev, &f->alloc);
        return STOP;
    }
    if (!ev || ev->seq != seq || ld_core_evolve(f->core, ev) != 0) {
        f->bad = seq;
        if (ev)
            bump_release(&f->bump, ev, &f->alloc);
        return LD_ECORRUPT;
    }
    bump_release(&f->bump, ev, &f->alloc);
    f->count++;
    return 0;
}

static int fold(ld_store_t *s, ld_core_t *c, uint64_t max, int64_t to_ms, uint64_t *count,
                uint64_t *bad_seq)
{
    fold_t f = {.core = c, .to_ms = to_ms};
    f.bump.cap = 1 << 20;
    f.bump.buf = malloc(f.bump.cap);
    if (!f.bump.buf)
        return LD_ENOMEM;
    f.alloc = (ProtobufCAllocator){bump_alloc, bump_free, &f.bump};
    int rc = ld_store_scan(s, ld_core_next_seq(c), max, fold_one, &f);
    if (rc == STOP)
        rc = 0;
    free(f.bump.buf);
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
