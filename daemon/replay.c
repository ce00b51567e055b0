/* replay.c — fold the stored log into the core (replay.h): a reader thread
 * walks the log and decodes events into a bounded ring of batches; the
 * calling thread evolves them, one at a time, in log order. */
#include "replay.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

/* A bump allocator for protobuf-c: the decodes of one batch, reset with it. */
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

/* Issue 17: Event has one field per fact kind in its body oneof, and
 * protobuf-c's unpack walks every field of the descriptor it is given (to
 * set defaults and check what was seen): 63 fields for the 5 or 6 an event
 * holds. The reader unpacks with wire.h's cut of Event to its plain fields
 * and the one body member the bytes hold, given field ranges of its own (the
 * generated ones index the full field list), then puts the generated
 * descriptor back: the same struct as a full unpack. Bytes that hold two
 * members, or do not parse, take the generated descriptor. */
typedef struct {
    ld_cutdesc_t cut;
    ProtobufCIntRange *ranges;
    bool ok;
} evcut_t;

static evcut_t evcut;
static pthread_once_t evcut_once = PTHREAD_ONCE_INIT;

/* Built once per process and kept, like the generated descriptors. */
static void evcut_init(void)
{
    evcut_t *e = &evcut;
    if (ld_cutdesc_init(&e->cut, &ladder__v1__event__descriptor))
        return;
    size_t per = ladder__v1__event__descriptor.n_fields + 1;
    if (!(e->ranges = calloc(e->cut.n * per, sizeof *e->ranges))) {
        ld_cutdesc_free(&e->cut);
        return;
    }
    for (size_t id = 1; id < e->cut.n; id++) {
        ProtobufCMessageDescriptor *d = &e->cut.desc[id];
        if (!d->fields)
            continue;
        ProtobufCIntRange *r = e->ranges + id * per;
        unsigned n = 0;
        for (unsigned i = 0; i < d->n_fields; i++)
            if (i == 0 || d->fields[i].id != d->fields[i - 1].id + 1)
                r[n++] = (ProtobufCIntRange){(int)d->fields[i].id, i};
        r[n] = (ProtobufCIntRange){0, d->n_fields}; /* the end, as protoc-c writes */
        d->n_field_ranges = n;
        d->field_ranges = r;
    }
    e->ok = true;
}

/* The body member the bytes hold (0: none, or not one member only). */
static unsigned evcut_member(const uint8_t *p, size_t len)
{
    const uint8_t *end = p + len;
    unsigned member = 0;
    while (p < end) {
        uint64_t key = 0, v = 0;
        int shift = 0;
        do {
            if (p == end || shift > 63)
                return 0;
            key |= (uint64_t)(*p & 0x7f) << shift, shift += 7;
        } while (*p++ & 0x80);
        switch (key & 7) {
        case 0:
            while (p < end && *p & 0x80)
                p++;
            if (p++ == end)
                return 0;
            break;
        case 1:
            if ((size_t)(end - p) < 8)
                return 0;
            p += 8;
            break;
        case 5:
            if ((size_t)(end - p) < 4)
                return 0;
            p += 4;
            break;
        case 2:
            shift = 0;
            do {
                if (p == end || shift > 63)
                    return 0;
                v |= (uint64_t)(*p & 0x7f) << shift, shift += 7;
            } while (*p++ & 0x80);
            if (v > (uint64_t)(end - p))
                return 0;
            p += v;
            break;
        default:
            return 0;
        }
        uint64_t f = key >> 3;
        if (f && f < evcut.cut.n && evcut.cut.desc[f].fields) {
            if (member && member != f)
                return 0;
            member = (unsigned)f;
        }
    }
    return member;
}

static Ladder__V1__Event *event_unpack(ProtobufCAllocator *alloc, const uint8_t *data, size_t len)
{
    unsigned m = evcut.ok ? evcut_member(data, len) : 0;
    if (!m)
        return ladder__v1__event__unpack(alloc, len, data);
    ProtobufCMessage *msg = protobuf_c_message_unpack(&evcut.cut.desc[m], alloc, len, data);
    if (msg)
        msg->descriptor = &ladder__v1__event__descriptor;
    return (Ladder__V1__Event *)msg;
}

/* Issue 17: the fold runs as two stages. The reader (a thread of its own
 * when one can be started) walks the log in its own read transaction and
 * decodes events into batches; the folder (the calling thread) evolves each
 * batch's events in log order, asking the core to prefetch what the next
 * ones name (ld_core_prefetch: the id-index slot PF0 events ahead, the row
 * PF1 ahead) so those misses overlap the evolves in between, and fetching
 * the decoded events themselves PFE ahead (they come from the reader's
 * core). The core is touched by the folder alone, one event at a time, in
 * log order: the state is the one-thread fold's, byte for byte. RING batches
 * of at most BATCH events and ARENA bytes bound the memory in flight. */
#define BATCH 256
#define RING 8
#define ARENA ((size_t)256 << 10) /* ~80 KiB for 256 events of the bench's mix */
#define ROOM ((size_t)64 << 10)   /* a batch closes with less than this left */
#define PF0 4
#define PF1 2
#define PFE 8 /* the decoded event itself (written on the reader's core) */
#define SPIN 256 /* polls before a stage sleeps (on a condvar) */

typedef struct {
    Ladder__V1__Event *ev[BATCH];
    uint16_t spill[BATCH]; /* events whose decode spilled out of the arena */
    unsigned n, n_spill;
    bool end;             /* the scan's last batch: rc and bad say why */
    int rc;
    uint64_t bad;
    bump_t bump;
    ProtobufCAllocator alloc;
} batch_t;

typedef struct {
    ld_store_t *s;
    ld_core_t *core;
    uint64_t from, max;
    int64_t to_ms;
    batch_t *b;                 /* RING of them; b[k % RING] is batch k */
    bool threaded;              /* the reader runs on a thread of its own */
    /* the handoff: batches [done, full) are decoded and not yet evolved */
    atomic_uint_fast64_t full, done;
    atomic_bool stop;           /* the folder wants no more */
    atomic_bool reader_asleep, folder_asleep;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    /* the reader's */
    batch_t *cur;
    /* the folder's */
    uint64_t count, bad;
    int rc;
    unsigned pf0, pf1;          /* of the next batch, prefetched already */
} pipe_t;

#define STOP 1 /* a scan callback's "enough", not an error */

/* Makes a batch empty again, freeing the decodes that spilled. */
static void batch_reset(batch_t *b)
{
    for (unsigned k = 0; k < b->n_spill; k++) {
        b->bump.spilled = true;
        bump_release(&b->bump, b->ev[b->spill[k]], &b->alloc);
    }
    b->n = b->n_spill = 0;
    b->end = false, b->rc = 0, b->bad = 0;
    b->bump.used = 0, b->bump.spilled = false;
}

/* ------------------------------------------------------------ handoff -- */

/* The handoff's counters are seq_cst: a stage going to sleep sets its flag
 * and then reads the other's counter, the other stage moves its counter and
 * then reads the flag, so one of the two always sees the other. */
static bool reader_may_go(pipe_t *p)
{
    return atomic_load(&p->full) - atomic_load(&p->done) < RING || atomic_load(&p->stop);
}

/* A reader asleep on a full ring waits until half of it is free, so that
 * it is woken once per RING / 2 batches, not once per batch. */
static bool reader_may_wake(pipe_t *p)
{
    return atomic_load(&p->full) - atomic_load(&p->done) <= RING / 2 || atomic_load(&p->stop);
}

static bool folder_may_go(pipe_t *p)
{
    return atomic_load(&p->full) > atomic_load(&p->done);
}

/* Polls may_go a little (the other stage is usually about to move), then
 * sleeps until may_wake. */
static void stage_wait(pipe_t *p, bool (*may_go)(pipe_t *), bool (*may_wake)(pipe_t *),
                       atomic_bool *asleep)
{
    for (int i = 0; i < SPIN; i++) {
        if (may_go(p))
            return;
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    }
    pthread_mutex_lock(&p->mu);
    atomic_store(asleep, true);
    while (!may_wake(p))
        pthread_cond_wait(&p->cv, &p->mu);
    atomic_store(asleep, false);
    pthread_mutex_unlock(&p->mu);
}

static void stage_wake(pipe_t *p, atomic_bool *asleep)
{
    if (!atomic_load(asleep))
        return;
    pthread_mutex_lock(&p->mu);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

/* ------------------------------------------------------------- folder -- */

/* Event i of batch b, counting on into the next batch when it is decoded
 * already (NULL when it is not, or past it). */
static const Ladder__V1__Event *ahead(const batch_t *b, const batch_t *next, unsigned i)
{
    if (i < b->n)
        return b->ev[i];
    i -= b->n;
    return next && i < next->n ? next->ev[i] : NULL;
}

/* Evolves batch k's events in order. Returns true to go on to the next. */
static bool fold_batch(pipe_t *p, uint64_t k)
{
    batch_t *b = &p->b[k % RING], *next = NULL;
    bool peeked = !p->threaded; /* on one thread the next batch is not decoded yet */
    for (unsigned i = p->pf0; i < PF0 && i < b->n; i++)
        ld_core_prefetch(p->core, b->ev[i], 0);
    for (unsigned i = 0; i < b->n; i++) {
        if (!peeked && i + PF0 >= b->n) {
            peeked = true;
            if (atomic_load_explicit(&p->full, memory_order_acquire) > k + 1)
                next = &p->b[(k + 1) % RING];
        }
        const Ladder__V1__Event *e;
        if ((e = ahead(b, next, i + PFE))) {
            /* its decode: the Event, its body and their strings, laid out
             * one after the other in the arena up to the next event's */
            const char *a = (const char *)e, *z = (const char *)ahead(b, next, i + PFE + 1);
            if (!z || z < a || z - a > 512)
                z = a + 256;
            for (; a < z; a += 64)
                __builtin_prefetch(a);
        }
        if ((e = ahead(b, next, i + PF0)))
            ld_core_prefetch(p->core, e, 0);
        if ((e = ahead(b, next, i + PF1)))
            ld_core_prefetch(p->core, e, 1);
        if (ld_core_evolve(p->core, b->ev[i])) {
            p->bad = b->ev[i]->seq;
            p->rc = LD_ECORRUPT;
            return false;
        }
        p->count++;
    }
    /* how far into the next batch the last events prefetched */
    p->pf0 = next ? (next->n < PF0 ? next->n : PF0) : 0;
    p->pf1 = next ? (next->n < PF1 ? next->n : PF1) : 0;
    if (b->end) {
        p->rc = b->rc, p->bad = b->bad;
        return false;
    }
    return true;
}

/* The folder's side when the reader has a thread: until the last batch. */
static void folder_run(pipe_t *p)
{
    for (uint64_t k = 0;; k++) {
        stage_wait(p, folder_may_go, folder_may_go, &p->folder_asleep);
        bool more = fold_batch(p, k);
        atomic_store(&p->done, k + 1);
        if (reader_may_wake(p))
            stage_wake(p, &p->reader_asleep);
        if (!more)
            return;
    }
}

/* ------------------------------------------------------------- reader -- */

/* The batch being filled: the next free one (NULL once the folder stops). */
static batch_t *reader_batch(pipe_t *p)
{
    if (!p->cur) {
        if (p->threaded)
            stage_wait(p, reader_may_go, reader_may_wake, &p->reader_asleep);
        if (atomic_load(&p->stop))
            return NULL;
        p->cur = &p->b[atomic_load_explicit(&p->full, memory_order_relaxed) % RING];
        batch_reset(p->cur);
    }
    return p->cur;
}

/* Hands the batch being filled to the folder (on one thread: folds it). */
static void reader_publish(pipe_t *p)
{
    uint64_t k = atomic_load_explicit(&p->full, memory_order_relaxed);
    p->cur = NULL;
    atomic_store(&p->full, k + 1);
    if (p->threaded) {
        stage_wake(p, &p->folder_asleep);
        return;
    }
    bool more = fold_batch(p, k);
    atomic_store(&p->done, k + 1);
    if (!more)
        atomic_store(&p->stop, true);
}

static int read_one(void *ctx, uint64_t seq, const uint8_t *data, size_t len)
{
    pipe_t *p = ctx;
    batch_t *b;
    if (atomic_load_explicit(&p->stop, memory_order_relaxed) || !(b = reader_batch(p)))
        return STOP;
    b->bump.spilled = false;
    Ladder__V1__Event *ev = event_unpack(&b->alloc, data, len);
    if (!ev || ev->seq != seq || (p->to_ms && ev->at_ms > p->to_ms)) {
        bool past = ev && ev->seq == seq; /* past to_ms: stop after the ones before */
        if (ev)
            bump_release(&b->bump, ev, &b->alloc);
        if (past)
            return STOP;
        b->bad = seq;
        return LD_ECORRUPT;
    }
    if (b->bump.spilled)
        b->spill[b->n_spill++] = (uint16_t)b->n;
    b->ev[b->n++] = ev;
    if (b->n == BATCH || b->bump.used > b->bump.cap - ROOM)
        reader_publish(p);
    return 0;
}

/* Walks the log from p->from and ends with a batch saying why it stopped:
 * its end or max or to_ms (0), an event that does not decode (LD_ECORRUPT
 * and its seq), or the store's error. */
static void reader_run(pipe_t *p)
{
    int rc = ld_store_scan(p->s, p->from, p->max, read_one, p);
    batch_t *b;
    if (atomic_load(&p->stop) || !(b = reader_batch(p)))
        return; /* the folder stopped: nobody waits for the end */
    b->end = true;
    b->rc = rc == STOP ? 0 : rc;
    reader_publish(p);
}

static void *reader_main(void *arg)
{
    reader_run(arg);
    return NULL;
}

/* ---------------------------------------------------------------- fold -- */

static atomic_bool pipelined = true;

void ld_replay_set_pipelined(bool on)
{
    atomic_store(&pipelined, on);
}

static int fold(ld_store_t *s, ld_core_t *c, uint64_t max, int64_t to_ms, uint64_t *count,
                uint64_t *bad_seq)
{
    pipe_t p = {.s = s, .core = c, .from = ld_core_next_seq(c), .max = max, .to_ms = to_ms};
    int rc = 0;
    pthread_once(&evcut_once, evcut_init);
    if (!(p.b = calloc(RING, sizeof *p.b)))
        return LD_ENOMEM;
    for (int j = 0; j < RING && !rc; j++) {
        batch_t *b = &p.b[j];
        b->bump.cap = ARENA;
        if (!(b->bump.buf = malloc(ARENA)))
            rc = LD_ENOMEM;
        b->alloc = (ProtobufCAllocator){bump_alloc, bump_free, &b->bump};
    }
    if (rc)
        goto out;
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.cv, NULL);
    pthread_t reader;
    sigset_t all, old;
    sigfillset(&all);
    /* the reader takes no signals: they stay with the caller's threads */
    pthread_sigmask(SIG_SETMASK, &all, &old);
    p.threaded = atomic_load(&pipelined); /* read by the reader: set before it starts */
    if (p.threaded && pthread_create(&reader, NULL, reader_main, &p))
        p.threaded = false; /* no thread: the same stages, one after the other */
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (p.threaded) {
        folder_run(&p);
        atomic_store(&p.stop, true); /* a refusal: the reader ends its scan */
        stage_wake(&p, &p.reader_asleep);
        pthread_join(reader, NULL);
    } else {
        reader_run(&p); /* folds each batch as it fills (reader_publish) */
    }
    rc = p.rc;
    pthread_cond_destroy(&p.cv);
    pthread_mutex_destroy(&p.mu);
out:
    for (int j = 0; j < RING; j++) {
        if (p.b[j].bump.buf)
            batch_reset(&p.b[j]);
        free(p.b[j].bump.buf);
    }
    free(p.b);
    if (count)
        *count = p.count;
    if (bad_seq)
        *bad_seq = p.bad;
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
