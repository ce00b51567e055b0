/* store_index.c — the stream index (format 3: a stream's seqs in chunks of
 * LD_INDEX_CHUNK), the tail of events not yet indexed, and stream versions
 * (the per-append table and the direct-mapped cache). See store.h. */
#include "store_int.h"

/* ---------------------------------------------------------------- tail ---- */

static tslot_t *tail_slot(ld_store_t *s, const char *name, size_t len, uint64_t h)
{
    if (!s->tail_cap)
        return NULL;
    for (size_t i = h & (s->tail_cap - 1);; i = (i + 1) & (s->tail_cap - 1)) {
        tslot_t *e = &s->tail[i];
        if (!e->h)
            return e;
        if (e->h == h && e->len == len &&
            memcmp(e->pre, name, len < TAIL_PRE ? len : TAIL_PRE) == 0 &&
            (len <= TAIL_PRE || memcmp(e->name + TAIL_PRE, name + TAIL_PRE, len - TAIL_PRE) == 0))
            return e;
    }
}

static tslot_t *tail_get(ld_store_t *s, const char *name, size_t len, uint64_t h)
{
    tslot_t *e = tail_slot(s, name, len, h);
    return e && e->h ? e : NULL;
}

/* Makes room for `more` streams, so that slots do not move until that many
 * were added. Allocation failure aborts: the commit it follows is durable. */
static void tail_reserve(ld_store_t *s, size_t more)
{
    if ((s->tail_n + more) * 2 > s->tail_cap) {
        size_t cap = s->tail_cap ? s->tail_cap : 1024;
        while ((s->tail_n + more) * 2 > cap)
            cap *= 2;
        tslot_t *t = calloc(cap, sizeof *t);
        if (!t)
            abort();
        for (size_t i = 0; i < s->tail_cap; i++) {
            if (!s->tail[i].h)
                continue;
            size_t j = s->tail[i].h & (cap - 1);
            while (t[j].h)
                j = (j + 1) & (cap - 1);
            t[j] = s->tail[i];
        }
        free(s->tail);
        s->tail = t;
        s->tail_cap = cap;
    }
}

/* Records a stream's version; returns its slot (names stay put until
 * ld_st_tail_clear). Slot e, when not NULL, is the stream's (tail_get). */
tslot_t *ld_st_tail_put(ld_store_t *s, tslot_t *e, const char *name, size_t len, uint64_t h,
                         uint64_t v)
{
    if (!e) {
        tail_reserve(s, 1);
        e = tail_slot(s, name, len, h);
    }
    if (!e->h) {
        e->name = malloc(len ? len : 1);
        if (!e->name)
            abort();
        memcpy(e->name, name, len);
        memcpy(e->pre, name, len < TAIL_PRE ? len : TAIL_PRE);
        e->len = (uint32_t)len;
        e->h = h;
        s->tail_n++;
    }
    e->version = v;
    return e;
}

/* Remembers that event seq (stream, version) still needs its index entry;
 * name is the stream's copy in `tail`. */
void ld_st_pend_add(ld_store_t *s, uint64_t seq, const char *name, size_t len, uint64_t version)
{
    if (s->pend_n == s->pend_cap) {
        s->pend_cap = s->pend_cap ? s->pend_cap * 2 : 4096;
        s->pend = realloc(s->pend, s->pend_cap * sizeof *s->pend);
        if (!s->pend)
            abort();
    }
    s->pend[s->pend_n++] = (struct pend){seq, version, name, len};
}

static void pend_push(ld_store_t *s, uint64_t seq, const char *name, size_t len, uint64_t version)
{
    tslot_t *t = ld_st_tail_put(s, NULL, name, len, hash_name(name, len), version);
    ld_st_pend_add(s, seq, t->name, t->len, version);
}

void ld_st_tail_clear(ld_store_t *s)
{
    for (size_t i = 0; i < s->tail_cap; i++)
        if (s->tail[i].h)
            free(s->tail[i].name);
    if (s->tail_cap)
        memset(s->tail, 0, s->tail_cap * sizeof *s->tail);
    s->tail_n = 0;
    s->tail_gen++;
    s->pend_n = s->pend_start = 0;
}


/* Stream and version of a stored event, decoded into a small stack arena. */
typedef struct {
    uint8_t buf[4096];
    size_t used;
} small_t;

static void *small_alloc(void *ctx, size_t n)
{
    small_t *a = ctx;
    n = (n + 15) & ~(size_t)15;
    if (a->used + n > sizeof a->buf)
        return malloc(n);
    void *p = a->buf + a->used;
    a->used += n;
    return p;
}

static void small_free(void *ctx, void *p)
{
    small_t *a = ctx;
    if ((uint8_t *)p < a->buf || (uint8_t *)p >= a->buf + sizeof a->buf)
        free(p);
}


/* Calls fn for each event after `indexed` in txn, with its stream and version. */
int ld_st_walk_tail(ld_store_t *s, MDB_txn *txn, uint64_t indexed, tail_fn fn, void *ctx)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, s->events, &c);
    if (rc)
        return from_mdb(rc);
    uint8_t kbuf[8];
    put_be64(kbuf, indexed + 1);
    MDB_val k = {8, kbuf}, v;
    small_t arena;
    ProtobufCAllocator alloc = {small_alloc, small_free, &arena};
    for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        arena.used = 0;
        Ladder__V1__Event *ev = ladder__v1__event__unpack(&alloc, v.mv_size, v.mv_data);
        if (!ev || !ev->stream) {
            if (ev)
                ladder__v1__event__free_unpacked(ev, &alloc);
            rc = LD_ECORRUPT;
            goto out;
        }
        rc = fn(ctx, get_be64(k.mv_data), ev->stream, strlen(ev->stream), ev->stream_version);
        ladder__v1__event__free_unpacked(ev, &alloc);
        if (rc)
            goto out;
    }
    rc = rc == MDB_NOTFOUND ? 0 : from_mdb(rc);
out:
    mdb_cursor_close(c);
    return rc;
}

static int rebuild_one(void *ctx, uint64_t seq, const char *stream, size_t len, uint64_t version)
{
    pend_push(ctx, seq, stream, len, version);
    return 0;
}

int ld_st_tail_rebuild(ld_store_t *s)
{
    if (s->head_seq == s->indexed_seq)
        return 0;
    MDB_txn *txn;
    int rc = ld_st_read_begin(s, &txn);
    if (rc)
        return rc;
    rc = ld_st_walk_tail(s, txn, s->indexed_seq, rebuild_one, s);
    ld_st_read_end(s, txn);
    return rc;
}

/* The first version of the index chunk that holds version v (v >= 1). */
uint64_t ld_st_chunk_first(uint64_t v)
{
    return (v - 1) / LD_INDEX_CHUNK * LD_INDEX_CHUNK + 1;
}

/* A run of one stream's entries in ibuf. */
struct igroup {
    const char *name;
    size_t len, at, n, fill;
};

static int igroup_cmp(const void *a, const void *b)
{
    const struct igroup *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int r = memcmp(x->name, y->name, n);
    return r ? r : (x->len > y->len) - (x->len < y->len);
}

/* Writes one stream's pending entries p[0..n) (consecutive versions, in
 * order) into its chunks: the stream's last chunk is extended up to
 * LD_INDEX_CHUNK seqs, the rest go into new chunks after it. */
static int index_stream(MDB_cursor *c, const struct pend *p, size_t n)
{
    size_t len = p->len;
    uint8_t key[LD_STREAM_MAX + 9], val[LD_INDEX_CHUNK * 8];
    memcpy(key, p->name, len);
    key[len] = 0;
    /* chunks start at versions 1, 1 + LD_INDEX_CHUNK, ... (store.h): the
     * chunk p[0] belongs to is known without a search for the last one */
    uint64_t first = ld_st_chunk_first(p[0].version);
    size_t have = (size_t)(p[0].version - first);
    unsigned put = 0; /* MDB_CURRENT: the cursor is on the chunk extended */
    int rc;
    if (have) {
        put_be64(key + len + 1, first);
        MDB_val k = {len + 9, key}, v;
        if ((rc = mdb_cursor_get(c, &k, &v, MDB_SET_KEY)))
            return rc == MDB_NOTFOUND ? LD_ECORRUPT : from_mdb(rc);
        if (v.mv_size != have * 8)
            return LD_ECORRUPT; /* the index and the log disagree */
        memcpy(val, v.mv_data, v.mv_size);
        put = MDB_CURRENT;
    }
    for (size_t i = 0; i < n;) {
        for (; have < LD_INDEX_CHUNK && i < n; i++) {
            if (p[i].version != first + have)
                return LD_ECORRUPT; /* the index and the log disagree */
            put_be64(val + 8 * have++, p[i].seq);
        }
        put_be64(key + len + 1, first);
        MDB_val k = {len + 9, key}, v = {have * 8, val};
        if ((rc = mdb_cursor_put(c, &k, &v, put)))
            return from_mdb(rc);
        first += have;
        have = 0;
        put = 0;
    }
    return 0;
}

/* Writes the index entries of the oldest `max` pending events in txn, one
 * stream after another in name order (each chunk page is visited once), and
 * moves meta "indexed". Returns how many (the caller advances pend_start
 * once the transaction has committed), or a negative code. */
long ld_st_index_chunk(ld_store_t *s, MDB_txn *txn, size_t max)
{
    size_t k = s->pend_n - s->pend_start;
    if (k > max)
        k = max;
    if (!k)
        return 0;
    /* group by stream without sorting the entries: every stream's pending
     * entries point at the one copy of its name in `tail`, so the name's
     * address identifies the stream (a table of addresses -> groups), and
     * a counting pass puts each group's entries together in seq order */
    size_t tcap = 64;
    while (tcap < 2 * k)
        tcap *= 2;
    if (k > s->icap || tcap > s->gtcap) {
        free(s->ibuf);
        free(s->gbuf);
        free(s->egrp);
        free(s->gtab);
        s->ibuf = malloc(k * sizeof *s->ibuf);
        s->gbuf = malloc(k * sizeof *s->gbuf);
        s->egrp = malloc(k * sizeof *s->egrp);
        s->gtab = malloc(tcap * sizeof *s->gtab);
        s->icap = k;
        s->gtcap = tcap;
        if (!s->ibuf || !s->gbuf || !s->egrp || !s->gtab) {
            s->icap = s->gtcap = 0; /* nothing written yet: the txn is aborted */
            return LD_ENOMEM;
        }
    }
    memset(s->gtab, 0, tcap * sizeof *s->gtab);
    const struct pend *pe = s->pend + s->pend_start;
    size_t ng = 0;
    for (size_t i = 0; i < k; i++) {
        size_t j = (size_t)(((uintptr_t)pe[i].name * 0x9E3779B97F4A7C15ull) >> 17) & (tcap - 1);
        while (s->gtab[j] && s->gbuf[s->gtab[j] - 1].name != pe[i].name)
            j = (j + 1) & (tcap - 1);
        if (!s->gtab[j]) {
            s->gbuf[ng] = (struct igroup){pe[i].name, pe[i].len, 0, 0, 0};
            s->gtab[j] = (uint32_t)++ng;
        }
        s->egrp[i] = s->gtab[j] - 1;
        s->gbuf[s->egrp[i]].n++;
    }
    for (size_t g = 0, at = 0; g < ng; at += s->gbuf[g++].n)
        s->gbuf[g].at = at;
    for (size_t i = 0; i < k; i++) {
        struct igroup *g = &s->gbuf[s->egrp[i]];
        s->ibuf[g->at + g->fill++] = pe[i];
    }
    qsort(s->gbuf, ng, sizeof *s->gbuf, igroup_cmp);
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, s->streams, &c);
    if (rc)
        return from_mdb(rc);
    for (size_t g = 0; g < ng && !rc; g++)
        rc = index_stream(c, s->ibuf + s->gbuf[g].at, s->gbuf[g].n);
    mdb_cursor_close(c);
    if (rc)
        return rc;
    uint8_t iv[8];
    put_be64(iv, s->pend[s->pend_start + k - 1].seq);
    MDB_val key = {7, "indexed"}, v = {8, iv};
    if ((rc = mdb_put(txn, s->meta, &key, &v, 0)))
        return from_mdb(rc);
    return (long)k;
}

/* After a commit that indexed `done` pending events. */
void ld_st_index_advance(ld_store_t *s, size_t done)
{
    if (!done)
        return;
    s->pend_start += done;
    s->indexed_seq = s->pend[s->pend_start - 1].seq;
    if (s->pend_start == s->pend_n) {
        /* every stream's version is in the index again; the cache keeps
         * them, so that the next writes to these streams find them there */
        for (size_t i = 0; i < s->tail_cap; i++)
            if (s->tail[i].h)
                ld_st_vcache_put(s, s->tail[i].name, s->tail[i].len, s->tail[i].h, s->tail[i].version);
        ld_st_tail_clear(s);
    } else if (s->pend_start >= s->pend_n - s->pend_start) {
        /* under steady load the queue never empties: move what waits to
         * the front rather than growing the array for ever */
        s->pend_n -= s->pend_start;
        memmove(s->pend, s->pend + s->pend_start, s->pend_n * sizeof *s->pend);
        s->pend_start = 0;
    }
}

/* One transaction of at most max pending index entries (growing the map
 * once when full). Returns how many were written, or a negative code. */
static long index_txn(ld_store_t *s, size_t max)
{
    for (;;) {
        MDB_txn *txn;
        pthread_rwlock_rdlock(&s->resize);
        int rc = mdb_txn_begin(s->env, NULL, 0, &txn);
        long done = rc ? from_mdb(rc) : ld_st_index_chunk(s, txn, max);
        if (done > 0 && (rc = mdb_txn_commit(txn)))
            done = from_mdb(rc);
        else if (done <= 0 && !rc)
            mdb_txn_abort(txn);
        pthread_rwlock_unlock(&s->resize);
        if (done == LD_EMAPFULL && s->map_size < ((size_t)1 << 40) && ld_st_grow_map(s) == 0)
            continue;
        if (done > 0)
            ld_st_index_advance(s, (size_t)done);
        return done;
    }
}

int ld_store_index_flush(ld_store_t *s)
{
    if (s->read_only)
        return LD_EINVAL;
    while (s->pend_start < s->pend_n) {
        long done = index_txn(s, 65536);
        if (done < 0)
            return (int)done;
    }
    return 0;
}

int ld_store_index_step(ld_store_t *s, size_t max)
{
    if (s->read_only || !max)
        return LD_EINVAL;
    long done = index_txn(s, max);
    return done < 0 ? (int)done : 0;
}


/* -------------------------------------------------------------- versions -- */

/* The last index chunk of a stream in txn: *first its first version and
 * *n its seqs (both 0 when the stream has none). Leaves c on it. */
static int last_chunk(ld_store_t *s, MDB_cursor *c, const char *name, size_t len,
                      uint64_t *first, size_t *n)
{
    uint8_t key[LD_STREAM_MAX + 9];
    memcpy(key, name, len);
    key[len] = 0x01; /* just past every "name\0..." key */
    MDB_val k = {len + 1, key}, v;
    int rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    if (rc == 0)
        rc = mdb_cursor_get(c, &k, &v, MDB_PREV);
    else if (rc == MDB_NOTFOUND)
        rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
    *first = 0;
    *n = 0;
    if (rc == MDB_NOTFOUND || s->no_index)
        return 0;
    if (rc)
        return from_mdb(rc);
    if (k.mv_size != len + 9 || memcmp(k.mv_data, name, len) != 0 ||
        ((uint8_t *)k.mv_data)[len] != 0)
        return 0;
    if (v.mv_size % 8 || v.mv_size == 0 || v.mv_size > LD_INDEX_CHUNK * 8)
        return LD_ECORRUPT;
    *first = get_be64((uint8_t *)k.mv_data + len + 1);
    *n = v.mv_size / 8;
    return *first && ld_st_chunk_first(*first) == *first ? 0 : LD_ECORRUPT;
}

/* Last version of a stream as stored in the index of txn (0 = none). */
int ld_st_lmdb_stream_version(ld_store_t *s, MDB_txn *txn, const char *name, size_t len,
                               uint64_t *version)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, s->streams, &c);
    if (rc)
        return from_mdb(rc);
    uint64_t first;
    size_t n;
    rc = last_chunk(s, c, name, len, &first, &n);
    mdb_cursor_close(c);
    *version = n ? first + n - 1 : 0;
    return rc;
}

static vslot_t *vcache_slot(const ld_store_t *s, uint64_t h)
{
    return &s->vcache[h & (VCACHE_SLOTS - 1)];
}

static bool vcache_get(ld_store_t *s, const char *name, size_t len, uint64_t h, uint64_t *v)
{
    vslot_t *e = vcache_slot(s, h);
    if (e->h != h || e->len != len || memcmp(e->name, name, len) != 0)
        return false;
    *v = e->version;
    return true;
}

void ld_st_vcache_put(ld_store_t *s, const char *name, size_t len, uint64_t h, uint64_t v)
{
    if (len > VCACHE_NAME)
        return;
    vslot_t *e = vcache_slot(s, h);
    e->h = h;
    e->len = (uint8_t)len;
    e->version = v;
    memcpy(e->name, name, len);
}

int ld_st_btab_reserve(ld_store_t *s, size_t events)
{
    size_t cap = 64;
    while (cap < events * 2)
        cap *= 2;
    if (cap > s->btab_cap) {
        bslot_t *t = calloc(cap, sizeof *t);
        bslot_t **u = malloc(cap * sizeof *u);
        if (!t || !u) {
            free(t);
            free(u);
            return LD_ENOMEM;
        }
        free(s->btab);
        free(s->bused);
        s->btab = t;
        s->bused = u;
        s->btab_cap = cap;
        s->btab_gen = 0;
    }
    if (++s->btab_gen == 0) { /* wrapped: no slot may look current */
        memset(s->btab, 0, s->btab_cap * sizeof *s->btab);
        s->btab_gen = 1;
    }
    s->bused_n = 0;
    if (events > s->eslot_cap) {
        eslot_t *e = realloc(s->eslot, events * sizeof *e);
        if (!e)
            return LD_ENOMEM;
        s->eslot = e;
        s->eslot_cap = events;
    }
    s->eslot_n = 0;
    /* the tail's slots stay put until the append's streams are recorded */
    tail_reserve(s, events);
    return 0;
}

/* Asks for the lines ld_st_btab_find will read for this stream (its batch
 * slot, its slot in the tail and in the version cache, read when the tail
 * was emptied), so that the misses overlap other work of the append;
 * returns the name's hash for ld_st_btab_find_h. */
uint64_t ld_st_btab_prefetch(const ld_store_t *s, const char *name, size_t len)
{
    uint64_t h = hash_name(name, len);
    __builtin_prefetch(&s->btab[h & (s->btab_cap - 1)], 1);
    if (s->tail_cap)
        __builtin_prefetch(&s->tail[h & (s->tail_cap - 1)]);
    __builtin_prefetch(vcache_slot(s, h));
    return h;
}

/* Finds or inserts the batch slot of a stream, loading its version on insert. */
int ld_st_btab_find(ld_store_t *s, MDB_txn *txn, const char *name, size_t len, bslot_t **out)
{
    return ld_st_btab_find_h(s, txn, name, len, hash_name(name, len), out);
}

int ld_st_btab_find_h(ld_store_t *s, MDB_txn *txn, const char *name, size_t len, uint64_t h,
                      bslot_t **out)
{
    size_t mask = s->btab_cap - 1, i = h & mask;
    while (s->btab[i].gen == s->btab_gen) {
        bslot_t *e = &s->btab[i];
        if (e->h == h && e->len == len && memcmp(e->name, name, len) == 0) {
            *out = e;
            return 0;
        }
        i = (i + 1) & mask;
    }
    bslot_t *e = &s->btab[i];
    uint64_t v;
    tslot_t *t = tail_get(s, name, len, h);
    if (t) {
        v = t->version;
    } else if (!vcache_get(s, name, len, h, &v)) {
        int rc = ld_st_lmdb_stream_version(s, txn, name, len, &v);
        if (rc)
            return rc;
    }
    *e = (bslot_t){name, len, h, v, v, t, s->btab_gen};
    s->bused[s->bused_n++] = e;
    *out = e;
    return 0;
}


size_t ld_store_index_pending(ld_store_t *s)
{
    return s->pend_n - s->pend_start;
}

