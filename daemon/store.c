/* store.c — the LMDB event store. Layout and contracts: store.h.
 *
 * The append path is the write path's hot loop (DESIGN.md, "The write path",
 * step 6): for each event it finds the stream's version (batch table, then a
 * direct-mapped cache, then an LMDB cursor), packs the Event straight into
 * LMDB's page with MDB_RESERVE (no intermediate copy), hashes it in place and
 * indexes it by stream. Nothing is allocated per event.
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <pthread.h>
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fnv.h"

#define VCACHE_SLOTS 65536u
#define VCACHE_NAME 46

/* A remembered stream version. Only names that fit are cached. */
typedef struct {
    uint64_t h;
    uint64_t version;
    uint8_t len;
    char name[VCACHE_NAME];
} vslot_t;

/* Per-append table: stream -> version, over the streams this append touched. */
typedef struct {
    const char *name; /* points into an event; valid during the append */
    size_t len;
    uint64_t h;
    uint64_t version;
    uint64_t loaded;   /* the version before this append */
    struct tslot *t;   /* its slot in `tail` (NULL: none yet); see tail_reserve */
    uint32_t gen;      /* the append that filled this slot (s->btab_gen) */
} bslot_t;

/* An event of the append being written: its stream's slot, for the tail. */
typedef struct {
    bslot_t *b;
    uint64_t seq, version;
} eslot_t;

/* Versions of the streams written since the last index flush (complete).
 * The name's first TAIL_PRE bytes are kept in the slot too, so that a
 * lookup compares them without visiting the name's own allocation. */
#define TAIL_PRE 36
typedef struct tslot {
    uint64_t h;
    uint64_t version;
    char *name;
    uint32_t len;
    char pre[TAIL_PRE];
} tslot_t;

struct ld_store {
    MDB_env *env;
    bool read_only;
    int lock_fd;             /* DIR/lock, flocked while a writer has the store open */
    MDB_dbi events, streams, requests, meta, snapshots;
    pthread_rwlock_t resize; /* readers hold it shared; growth holds it exclusive */
    size_t map_size;
    pthread_mutex_t head_lock; /* head_seq/head_hash: the writer sets them, anyone reads */
    uint64_t head_seq;
    uint8_t head_hash[LD_HASH_LEN];
    vslot_t *vcache;
    bslot_t *btab;
    size_t btab_cap;
    uint32_t btab_gen;  /* slots of other appends are empty */
    bslot_t **bused;    /* the slots this append filled */
    size_t bused_n;
    eslot_t *eslot;
    size_t eslot_cap, eslot_n;
    tslot_t *tail;
    size_t tail_cap, tail_n;
    uint64_t tail_gen; /* counts tail_clear calls: slots seen before are gone */
    uint64_t indexed_seq, index_every;
    bool no_index; /* a format 2 store opened read-only: its index is not read */
    /* events after indexed_seq, in seq order; names point into `tail` */
    struct pend { uint64_t seq, version; const char *name; size_t len; } *pend;
    size_t pend_n, pend_cap, pend_start;
    /* Event packer (see packer_init): per body case, Event's descriptor cut
     * down to the envelope fields and that one body member */
    ProtobufCMessageDescriptor *pk_desc;
    ProtobufCFieldDescriptor *pk_fields;
    size_t pk_n;
    bool pk_envelope;   /* Event's envelope is the one env_fields lists */
    size_t pk_body_off; /* offset of the body union in Ladder__V1__Event */
    struct pend *ibuf;     /* scratch for index writes: entries by stream */
    struct igroup *gbuf;   /* and their runs, one per stream */
    uint32_t *egrp;        /* each entry's run */
    uint32_t *gtab;        /* name address -> run + 1 */
    size_t icap, gtcap;
};

/* LMDB's codes (positive errno or MDB_*) to ours. */
static int from_mdb(int rc)
{
    switch (rc) {
    case MDB_SUCCESS: return LD_OK;
    case MDB_NOTFOUND: return LD_ENOTFOUND;
    case MDB_MAP_FULL: return LD_EMAPFULL;
    case MDB_MAP_RESIZED: return LD_EMAPFULL;
    case MDB_CORRUPTED: case MDB_PAGE_NOTFOUND: case MDB_INVALID: return LD_ECORRUPT;
    case MDB_VERSION_MISMATCH: return LD_EFORMAT;
    case ENOMEM: return LD_ENOMEM;
    case ENOSPC: case EDQUOT: return LD_ENOSPC;
    case EAGAIN: case EBUSY: return LD_EBUSY;
    case EINVAL: return LD_EINVAL;
    }
    return LD_EIO;
}

static void put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static uint64_t get_be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    for (int i = 3; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* FNV-1a, 64 bit: the tables here are small and keys are short names. */
static uint64_t hash_name(const char *s, size_t n)
{
    return ld_fnv1a(s, n, LD_FNV_BASIS) | 1; /* 0 marks an empty slot */
}

static void errf(char *buf, size_t len, const char *fmt, const char *a, const char *b)
{
    if (buf && len)
        snprintf(buf, len, fmt, a, b);
}

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
 * tail_clear). Slot e, when not NULL, is the stream's (tail_get). */
static tslot_t *tail_put(ld_store_t *s, tslot_t *e, const char *name, size_t len, uint64_t h,
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
static void pend_add(ld_store_t *s, uint64_t seq, const char *name, size_t len, uint64_t version)
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
    tslot_t *t = tail_put(s, NULL, name, len, hash_name(name, len), version);
    pend_add(s, seq, t->name, t->len, version);
}

static void tail_clear(ld_store_t *s)
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

static int read_begin(ld_store_t *s, MDB_txn **txn);
static void read_end(ld_store_t *s, MDB_txn *txn);
static void vcache_put(ld_store_t *s, const char *name, size_t len, uint64_t h, uint64_t v);
static int grow_map(ld_store_t *s);

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

typedef int (*tail_fn)(void *ctx, uint64_t seq, const char *stream, size_t len, uint64_t version);

/* Calls fn for each event after `indexed` in txn, with its stream and version. */
static int walk_tail(ld_store_t *s, MDB_txn *txn, uint64_t indexed, tail_fn fn, void *ctx)
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

static int tail_rebuild(ld_store_t *s)
{
    if (s->head_seq == s->indexed_seq)
        return 0;
    MDB_txn *txn;
    int rc = read_begin(s, &txn);
    if (rc)
        return rc;
    rc = walk_tail(s, txn, s->indexed_seq, rebuild_one, s);
    read_end(s, txn);
    return rc;
}

/* The first version of the index chunk that holds version v (v >= 1). */
static uint64_t chunk_first(uint64_t v)
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
    uint64_t first = chunk_first(p[0].version);
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
static long index_chunk(ld_store_t *s, MDB_txn *txn, size_t max)
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
static void index_advance(ld_store_t *s, size_t done)
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
                vcache_put(s, s->tail[i].name, s->tail[i].len, s->tail[i].h, s->tail[i].version);
        tail_clear(s);
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
        long done = rc ? from_mdb(rc) : index_chunk(s, txn, max);
        if (done > 0 && (rc = mdb_txn_commit(txn)))
            done = from_mdb(rc);
        else if (done <= 0 && !rc)
            mdb_txn_abort(txn);
        pthread_rwlock_unlock(&s->resize);
        if (done == LD_EMAPFULL && s->map_size < ((size_t)1 << 40) && grow_map(s) == 0)
            continue;
        if (done > 0)
            index_advance(s, (size_t)done);
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

/* ---------------------------------------------------------------- open ---- */

static int open_dbs(ld_store_t *s, const char *path, bool *migrated, char *errbuf, size_t errlen)
{
    MDB_txn *txn;
    unsigned create = s->read_only ? 0 : MDB_CREATE;
    int rc = mdb_txn_begin(s->env, NULL, s->read_only ? MDB_RDONLY : 0, &txn);
    if (rc)
        goto out;
    if ((rc = mdb_dbi_open(txn, "events", create, &s->events)) ||
        (rc = mdb_dbi_open(txn, "streams", create, &s->streams)) ||
        (rc = mdb_dbi_open(txn, "requests", create, &s->requests)) ||
        (rc = mdb_dbi_open(txn, "meta", create, &s->meta)) ||
        (rc = mdb_dbi_open(txn, "snapshots", create, &s->snapshots))) {
        mdb_txn_abort(txn);
        if (rc == MDB_NOTFOUND) {
            errf(errbuf, errlen, "%s/data.mdb holds no Ladder store%s", path, "");
            return LD_ENOTFOUND;
        }
        goto out;
    }

    MDB_val k = {6, "format"}, v;
    rc = mdb_get(txn, s->meta, &k, &v);
    if (rc == MDB_NOTFOUND && s->read_only) {
        mdb_txn_abort(txn);
        errf(errbuf, errlen, "%s/data.mdb holds no Ladder store (no format version)%s", path, "");
        return LD_ENOTFOUND;
    } else if (rc == MDB_NOTFOUND) {
        uint8_t fmt[4];
        put_be32(fmt, LD_STORE_FORMAT);
        v = (MDB_val){4, fmt};
        if ((rc = mdb_put(txn, s->meta, &k, &v, 0))) {
            mdb_txn_abort(txn);
            goto out;
        }
    } else if (rc == 0) {
        uint32_t fmt = v.mv_size == 4 ? get_be32(v.mv_data) : 0;
        if (fmt == 2 && s->read_only) {
            s->no_index = true; /* format 2's index has another layout */
        } else if (fmt == 2) {
            /* migrate (store.h): the old index goes, the format moves to 3
             * and "indexed" to 0, all in this transaction */
            uint8_t f3[4], zero[8] = {0};
            put_be32(f3, LD_STORE_FORMAT);
            MDB_val ik = {7, "indexed"}, iv = {8, zero};
            v = (MDB_val){4, f3};
            if ((rc = mdb_drop(txn, s->streams, 0)) || (rc = mdb_put(txn, s->meta, &k, &v, 0)) ||
                (rc = mdb_put(txn, s->meta, &ik, &iv, 0))) {
                mdb_txn_abort(txn);
                goto out;
            }
            *migrated = true;
        } else if (fmt != LD_STORE_FORMAT) {
            char got[16], want[16];
            snprintf(got, sizeof got, "%u", fmt);
            snprintf(want, sizeof want, "%u", LD_STORE_FORMAT);
            errf(errbuf, errlen,
                 fmt == 1 ? "store format version %s is not supported by this build (it reads "
                            "version %s: request ids are scoped per principal with a digest of "
                            "their commands); it is refused, not migrated: replay its events "
                            "into a new data directory"
                          : "store format version %s is not supported by this build (it reads version %s)",
                 got, want);
            mdb_txn_abort(txn);
            return LD_EFORMAT;
        }
    } else {
        mdb_txn_abort(txn);
        goto out;
    }

    k = (MDB_val){4, "head"};
    rc = mdb_get(txn, s->meta, &k, &v);
    if (rc == 0 && v.mv_size == 8 + LD_HASH_LEN) {
        s->head_seq = get_be64(v.mv_data);
        memcpy(s->head_hash, (uint8_t *)v.mv_data + 8, LD_HASH_LEN);
    } else if (rc != MDB_NOTFOUND) {
        mdb_txn_abort(txn);
        errf(errbuf, errlen, "%s%s", "store meta \"head\" is damaged", "");
        return rc ? from_mdb(rc) : LD_ECORRUPT;
    }
    k = (MDB_val){7, "indexed"};
    rc = mdb_get(txn, s->meta, &k, &v);
    if (rc == 0 && v.mv_size == 8 && get_be64(v.mv_data) <= s->head_seq) {
        s->indexed_seq = get_be64(v.mv_data);
    } else if (rc != MDB_NOTFOUND) {
        mdb_txn_abort(txn);
        errf(errbuf, errlen, "%s%s", "store meta \"indexed\" is damaged", "");
        return rc ? from_mdb(rc) : LD_ECORRUPT;
    }
    /* meta "head" must name the last stored event (not beyond it) */
    MDB_cursor *c;
    if ((rc = mdb_cursor_open(txn, s->events, &c))) {
        mdb_txn_abort(txn);
        goto out;
    }
    rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
    uint64_t last = rc == 0 && k.mv_size == 8 ? get_be64(k.mv_data) : 0;
    mdb_cursor_close(c);
    if (rc && rc != MDB_NOTFOUND) {
        mdb_txn_abort(txn);
        goto out;
    }
    if (last != s->head_seq) {
        mdb_txn_abort(txn);
        char a[24], b[24];
        snprintf(a, sizeof a, "%llu", (unsigned long long)s->head_seq);
        snprintf(b, sizeof b, "%llu", (unsigned long long)last);
        errf(errbuf, errlen, "store meta \"head\" says seq %s but the log ends at seq %s", a, b);
        return LD_ECORRUPT;
    }
    rc = mdb_txn_commit(txn); /* also read-only: the dbi handles stay open only so */
out:
    if (rc)
        errf(errbuf, errlen, "opening the store: %s%s", mdb_strerror(rc), "");
    return from_mdb(rc);
}

/* Takes the writer's lock on DIR/lock and writes our PID into it. */
static int lock_dir(ld_store_t *s, const char *path, char *errbuf, size_t errlen)
{
    char lp[4096];
    snprintf(lp, sizeof lp, "%s/lock", path);
    s->lock_fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (s->lock_fd < 0) {
        errf(errbuf, errlen, "cannot open %s: %s", lp, strerror(errno));
        return LD_EIO;
    }
    if (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        char pid[32] = "";
        ssize_t n = pread(s->lock_fd, pid, sizeof pid - 1, 0);
        pid[n > 0 ? strcspn(pid, "\n") : 0] = 0;
        errf(errbuf, errlen, "data directory %s is in use by PID %s", path, pid[0] ? pid : "(unknown)");
        return LD_EBUSY;
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(s->lock_fd, 0) || pwrite(s->lock_fd, pid, (size_t)n, 0) != n) {
        errf(errbuf, errlen, "cannot write %s: %s", lp, strerror(errno));
        return LD_EIO;
    }
    return 0;
}

/* Before LMDB maps it: data.mdb must be absent (a new store, writers only) or
 * not empty. Sets *exists. */
static int check_file(const char *path, bool read_only, bool *exists, char *errbuf, size_t errlen)
{
    char dp[4096];
    struct stat st;
    snprintf(dp, sizeof dp, "%s/data.mdb", path);
    *exists = stat(dp, &st) == 0;
    if (!*exists && errno != ENOENT) {
        errf(errbuf, errlen, "cannot read %s: %s", dp, strerror(errno));
        return LD_EIO;
    }
    if (!*exists && read_only) {
        errf(errbuf, errlen, "no store in %s (no data.mdb there)%s", path, "");
        return LD_ENOTFOUND;
    }
    if (*exists && st.st_size == 0) {
        errf(errbuf, errlen, "%s is empty (0 bytes): refusing to start a new store over it; "
             "remove the file to start an empty store%s", dp, "");
        return LD_ECORRUPT;
    }
    return 0;
}

/* After mdb_env_open, before any page is read: the file must reach LMDB's
 * last page, or reading it would end in SIGBUS. */
static int check_size(ld_store_t *s, const char *path, char *errbuf, size_t errlen)
{
    char dp[4096];
    struct stat st;
    snprintf(dp, sizeof dp, "%s/data.mdb", path);
    MDB_envinfo info;
    MDB_stat ms;
    if (stat(dp, &st) || mdb_env_info(s->env, &info) || mdb_env_stat(s->env, &ms))
        return 0; /* a new store not yet written */
    uint64_t need = ((uint64_t)info.me_last_pgno + 1) * ms.ms_psize;
    if ((uint64_t)st.st_size < need) {
        char sizes[96];
        snprintf(sizes, sizeof sizes, "%llu bytes, but its last page ends at byte %llu",
                 (unsigned long long)st.st_size, (unsigned long long)need);
        errf(errbuf, errlen, "%s is truncated: %s", dp, sizes);
        return LD_ECORRUPT;
    }
    return 0;
}

static int verify_range(ld_store_t *s, uint64_t from, uint64_t *bad_seq, char *why, size_t whylen);
static int packer_init(ld_store_t *s);

/* The seq of the newest snapshot (0 when none), where a replay starts. */
static uint64_t last_snapshot_seq(ld_store_t *s)
{
    MDB_txn *txn;
    MDB_cursor *c;
    uint64_t best = 0;
    if (read_begin(s, &txn))
        return 0;
    if (mdb_cursor_open(txn, s->snapshots, &c) == 0) {
        MDB_val k, v;
        for (int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
             rc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
            if (v.mv_size >= 8 && get_be64(v.mv_data) > best && get_be64(v.mv_data) <= s->head_seq)
                best = get_be64(v.mv_data);
        mdb_cursor_close(c);
    }
    read_end(s, txn);
    return best;
}

int ld_store_open(ld_store_t **out, const char *path, const ld_store_options_t *opt,
                  char *errbuf, size_t errlen)
{
    static const ld_store_options_t defaults = {.durability = LD_DURABILITY_FULL};
    if (!opt)
        opt = &defaults;
    if (sodium_init() < 0) {
        errf(errbuf, errlen, "%s%s", "libsodium failed to initialise", "");
        return LD_EINTERNAL;
    }
    if (!opt->read_only && mkdir(path, 0750) && errno != EEXIST) {
        errf(errbuf, errlen, "cannot create data directory %s: %s", path, strerror(errno));
        return LD_EIO;
    }

    ld_store_t *s = calloc(1, sizeof *s);
    if (!s)
        return LD_ENOMEM;
    s->lock_fd = -1;
    s->read_only = opt->read_only;
    int rc;
    bool exists;
    /* the lock comes before anything in the directory is read */
    if ((!s->read_only && (rc = lock_dir(s, path, errbuf, errlen))) ||
        (rc = check_file(path, s->read_only, &exists, errbuf, errlen))) {
        ld_store_close(&s);
        return rc;
    }
    s->vcache = calloc(VCACHE_SLOTS, sizeof *s->vcache);
    if (!s->vcache) {
        free(s);
        return LD_ENOMEM;
    }
    pthread_rwlock_init(&s->resize, NULL);
    pthread_mutex_init(&s->head_lock, NULL);
    s->map_size = opt->map_size ? opt->map_size : (size_t)64 << 20;

    unsigned flags = MDB_NOTLS;
    if (opt->durability == LD_DURABILITY_NOMETASYNC)
        flags |= MDB_NOMETASYNC;
    else if (opt->durability == LD_DURABILITY_NOSYNC)
        flags |= MDB_NOSYNC;
    if (s->read_only) {
        /* never create a file: without lock.mdb no writer is running either */
        char lp[4096];
        snprintf(lp, sizeof lp, "%s/lock.mdb", path);
        flags |= MDB_RDONLY | (access(lp, F_OK) ? MDB_NOLOCK : 0);
    }

    if ((rc = mdb_env_create(&s->env)) || (rc = mdb_env_set_maxdbs(s->env, 8)) ||
        (rc = mdb_env_set_mapsize(s->env, s->map_size)) ||
        (rc = mdb_env_open(s->env, path, flags, 0640))) {
        errf(errbuf, errlen, "opening LMDB environment in %s: %s", path, mdb_strerror(rc));
        rc = from_mdb(rc);
        goto fail;
    }
    if ((rc = check_size(s, path, errbuf, errlen)))
        goto fail;
    MDB_envinfo info;
    mdb_env_info(s->env, &info);
    s->map_size = info.me_mapsize; /* an existing, larger map wins */
    bool migrated = false;
    if ((rc = open_dbs(s, path, &migrated, errbuf, errlen)))
        goto fail;
    /* a writer checks the chain from the newest snapshot (where a replay
     * starts) to the head; read-only opens are the offline tools that verify */
    uint64_t bad, from = opt->verify_all ? 1 : last_snapshot_seq(s);
    char why[256];
    if (!s->read_only && (rc = verify_range(s, from ? from : 1, &bad, why, sizeof why))) {
        char a[24];
        snprintf(a, sizeof a, "%llu", (unsigned long long)bad);
        if (rc == LD_ECORRUPT)
            errf(errbuf, errlen, "the log fails its hash chain at seq %s (%s); "
                 "`ladderctl verify` checks a copy", a, why);
        else
            errf(errbuf, errlen, "verifying the log: %s%s", ld_strerror(rc), "");
        goto fail;
    }
    s->index_every = opt->index_every ? opt->index_every : 65536;
    if ((rc = packer_init(s))) {
        errf(errbuf, errlen, "%s%s", "out of memory", "");
        goto fail;
    }
    if ((rc = tail_rebuild(s))) {
        errf(errbuf, errlen, "reading the unindexed tail of the log: %s%s", ld_strerror(rc), "");
        goto fail;
    }
    if (migrated && (rc = ld_store_index_flush(s))) {
        errf(errbuf, errlen, "rebuilding the stream index of a format 2 store: %s%s",
             ld_strerror(rc), "");
        goto fail;
    }
    *out = s;
    return 0;
fail:
    ld_store_close(&s);
    return rc;
}

void ld_store_close(ld_store_t **sp)
{
    if (!sp || !*sp)
        return;
    ld_store_t *s = *sp;
    if (s->env && !s->read_only && s->head_seq > s->indexed_seq)
        ld_store_index_flush(s); /* best effort: a later open redoes it */
    if (s->env)
        mdb_env_close(s->env);
    if (s->lock_fd >= 0)
        close(s->lock_fd); /* releases the flock */
    tail_clear(s);
    free(s->tail);
    free(s->pend);
    free(s->ibuf);
    free(s->gbuf);
    free(s->egrp);
    free(s->gtab);
    pthread_rwlock_destroy(&s->resize);
    pthread_mutex_destroy(&s->head_lock);
    free(s->vcache);
    free(s->pk_desc);
    free(s->pk_fields);
    free(s->btab);
    free(s->bused);
    free(s->eslot);
    free(s);
    *sp = NULL;
}

size_t ld_store_map_size(ld_store_t *s)
{
    return s->map_size;
}

void ld_store_head(ld_store_t *s, uint64_t *seq, uint8_t hash[LD_HASH_LEN])
{
    pthread_mutex_lock(&s->head_lock);
    if (seq)
        *seq = s->head_seq;
    if (hash)
        memcpy(hash, s->head_hash, LD_HASH_LEN);
    pthread_mutex_unlock(&s->head_lock);
}

/* Doubles the map. Called with no transaction of ours open. */
static int grow_map(ld_store_t *s)
{
    pthread_rwlock_wrlock(&s->resize);
    size_t want = s->map_size * 2;
    int rc = mdb_env_set_mapsize(s->env, want);
    if (rc == 0)
        s->map_size = want;
    pthread_rwlock_unlock(&s->resize);
    return from_mdb(rc);
}

static int read_begin(ld_store_t *s, MDB_txn **txn)
{
    pthread_rwlock_rdlock(&s->resize);
    int rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, txn);
    if (rc == MDB_MAP_RESIZED) {
        /* another process grew the map: adopt its size and retry once */
        pthread_rwlock_unlock(&s->resize);
        pthread_rwlock_wrlock(&s->resize);
        mdb_env_set_mapsize(s->env, 0);
        pthread_rwlock_unlock(&s->resize);
        pthread_rwlock_rdlock(&s->resize);
        rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, txn);
    }
    if (rc)
        pthread_rwlock_unlock(&s->resize);
    return from_mdb(rc);
}

static void read_end(ld_store_t *s, MDB_txn *txn)
{
    mdb_txn_abort(txn);
    pthread_rwlock_unlock(&s->resize);
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
    return *first && chunk_first(*first) == *first ? 0 : LD_ECORRUPT;
}

/* Last version of a stream as stored in the index of txn (0 = none). */
static int lmdb_stream_version(ld_store_t *s, MDB_txn *txn, const char *name, size_t len,
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

static vslot_t *vcache_slot(ld_store_t *s, uint64_t h)
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

static void vcache_put(ld_store_t *s, const char *name, size_t len, uint64_t h, uint64_t v)
{
    if (len > VCACHE_NAME)
        return;
    vslot_t *e = vcache_slot(s, h);
    e->h = h;
    e->len = (uint8_t)len;
    e->version = v;
    memcpy(e->name, name, len);
}

static int btab_reserve(ld_store_t *s, size_t events)
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

/* Finds or inserts the batch slot of a stream, loading its version on insert. */
static int btab_find(ld_store_t *s, MDB_txn *txn, const char *name, size_t len, bslot_t **out)
{
    uint64_t h = hash_name(name, len);
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
        int rc = lmdb_stream_version(s, txn, name, len, &v);
        if (rc)
            return rc;
    }
    *e = (bslot_t){name, len, h, v, v, t, s->btab_gen};
    s->bused[s->bused_n++] = e;
    *out = e;
    return 0;
}

/* ---------------------------------------------------------------- packer -- */

/* protobuf-c packs a message by walking every field of its descriptor, and
 * Event has one field per fact kind in its `body` oneof (~60 fields, about
 * 5k instructions per event for the size and the pack). The store packs the
 * envelope itself (the fields below, proto3 encoding as protobuf-c writes
 * it: fields in number order, zero values left out) and the body with
 * protobuf-c. packer_init checks at open that Event's non-body fields are
 * exactly these; when they are not (a field was added to the envelope), it
 * packs with copies of Event's descriptor listing the envelope and one body
 * member each, which protobuf-c walks quickly and packs to the same bytes.
 * test_store compares the stored bytes with protobuf-c's own packing for
 * every body kind. */
static const struct {
    unsigned id;
    ProtobufCType type;
    size_t off;
} env_fields[] = {
    {1, PROTOBUF_C_TYPE_UINT64, offsetof(Ladder__V1__Event, seq)},
    {2, PROTOBUF_C_TYPE_BYTES, offsetof(Ladder__V1__Event, id)},
    {3, PROTOBUF_C_TYPE_STRING, offsetof(Ladder__V1__Event, stream)},
    {4, PROTOBUF_C_TYPE_UINT64, offsetof(Ladder__V1__Event, stream_version)},
    {5, PROTOBUF_C_TYPE_INT64, offsetof(Ladder__V1__Event, at_ms)},
    {6, PROTOBUF_C_TYPE_STRING, offsetof(Ladder__V1__Event, actor)},
    {7, PROTOBUF_C_TYPE_BYTES, offsetof(Ladder__V1__Event, request_id)},
    {8, PROTOBUF_C_TYPE_UINT64, offsetof(Ladder__V1__Event, cause_seq)},
    {9, PROTOBUF_C_TYPE_UINT32, offsetof(Ladder__V1__Event, rules_version)},
    {10, PROTOBUF_C_TYPE_BYTES, offsetof(Ladder__V1__Event, prev_hash)},
    {180, PROTOBUF_C_TYPE_BOOL, offsetof(Ladder__V1__Event, redacted)},
};
#define ENV_FIELDS (sizeof env_fields / sizeof *env_fields)
#define REDACTED_ID 180u

static int packer_init(ld_store_t *s)
{
    const ProtobufCMessageDescriptor *d = &ladder__v1__event__descriptor;
    unsigned n_env = 0, max_id = 0;
    bool envelope = true, bodies = true;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)) {
            envelope = envelope && n_env < ENV_FIELDS && f->id == env_fields[n_env].id &&
                       f->type == env_fields[n_env].type && f->offset == env_fields[n_env].off &&
                       f->label == PROTOBUF_C_LABEL_NONE;
            n_env++;
        } else if (f->quantifier_offset != offsetof(Ladder__V1__Event, body_case)) {
            return 0; /* another oneof: generic packing */
        } else {
            bodies = bodies && f->type == PROTOBUF_C_TYPE_MESSAGE &&
                     (!s->pk_body_off || s->pk_body_off == f->offset);
            s->pk_body_off = f->offset;
            if (f->id > max_id)
                max_id = f->id;
        }
    }
    s->pk_envelope = envelope && bodies && n_env == ENV_FIELDS;
    s->pk_n = (size_t)max_id + 1;
    s->pk_desc = calloc(s->pk_n, sizeof *s->pk_desc);
    s->pk_fields = calloc(s->pk_n * (n_env + 1), sizeof *s->pk_fields);
    if (!s->pk_desc || !s->pk_fields)
        return LD_ENOMEM;
    /* case 0 (no body): the envelope only; case id: the envelope and member id */
    for (unsigned id = 0; id <= max_id; id++) {
        ProtobufCFieldDescriptor *out = s->pk_fields + (size_t)id * (n_env + 1);
        unsigned n = 0;
        bool member = id == 0;
        for (unsigned i = 0; i < d->n_fields; i++) {
            const ProtobufCFieldDescriptor *f = &d->fields[i];
            if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
                out[n++] = *f;
            else if (f->id == id)
                out[n++] = *f, member = true;
        }
        if (!member)
            continue; /* not a body member: fields stays NULL */
        s->pk_desc[id] = *d;
        s->pk_desc[id].n_fields = n;
        s->pk_desc[id].fields = out;
    }
    return 0;
}

/* The descriptor to pack ev with (the generated one when no cut fits). */
static const ProtobufCMessageDescriptor *packer_desc(const ld_store_t *s,
                                                     const Ladder__V1__Event *ev)
{
    size_t c = (size_t)ev->body_case;
    if (ev->base.descriptor == &ladder__v1__event__descriptor && c < s->pk_n &&
        s->pk_desc[c].fields)
        return &s->pk_desc[c];
    return ev->base.descriptor;
}

static size_t varint_len(uint64_t v)
{
    size_t n = 1;
    for (; v >= 0x80; v >>= 7)
        n++;
    return n;
}

static uint8_t *varint_put(uint8_t *p, uint64_t v)
{
    for (; v >= 0x80; v >>= 7)
        *p++ = (uint8_t)(v | 0x80);
    *p++ = (uint8_t)v;
    return p;
}

/* An event about to be packed by the envelope packer: lengths found once. */
typedef struct {
    const Ladder__V1__Event *e;
    const ProtobufCMessage *body; /* NULL: none */
    unsigned body_id;
    size_t stream_len, actor_len, body_len;
} envpack_t;

/* Whether the envelope packer takes ev; if so fills *z and *size. */
static bool envpack_size(const ld_store_t *s, const Ladder__V1__Event *e, envpack_t *z,
                         size_t *size)
{
    size_t c = (size_t)e->body_case;
    if (!s->pk_envelope || e->base.descriptor != &ladder__v1__event__descriptor ||
        e->base.n_unknown_fields || c >= s->pk_n || !s->pk_desc[c].fields)
        return false;
    z->e = e;
    z->body_id = (unsigned)c;
    z->body = c ? *(ProtobufCMessage *const *)((const char *)e + s->pk_body_off) : NULL;
    z->stream_len = e->stream ? strlen(e->stream) : 0;
    z->actor_len = e->actor ? strlen(e->actor) : 0;
    size_t n = 0;
    /* tags of fields 1..15 take one byte; the body's and redacted's two */
    if (e->seq)
        n += 1 + varint_len(e->seq);
    if (e->id.len)
        n += 1 + varint_len(e->id.len) + e->id.len;
    if (z->stream_len)
        n += 1 + varint_len(z->stream_len) + z->stream_len;
    if (e->stream_version)
        n += 1 + varint_len(e->stream_version);
    if (e->at_ms)
        n += 1 + varint_len((uint64_t)e->at_ms);
    if (z->actor_len)
        n += 1 + varint_len(z->actor_len) + z->actor_len;
    if (e->request_id.len)
        n += 1 + varint_len(e->request_id.len) + e->request_id.len;
    if (e->cause_seq)
        n += 1 + varint_len(e->cause_seq);
    if (e->rules_version)
        n += 1 + varint_len(e->rules_version);
    if (e->prev_hash.len)
        n += 1 + varint_len(e->prev_hash.len) + e->prev_hash.len;
    if (z->body) {
        z->body_len = protobuf_c_message_get_packed_size(z->body);
        n += varint_len((uint64_t)z->body_id << 3) + varint_len(z->body_len) + z->body_len;
    }
    if (e->redacted)
        n += varint_len((uint64_t)REDACTED_ID << 3) + 1;
    *size = n;
    return true;
}

static uint8_t *put_len(uint8_t *p, unsigned id, const void *data, size_t len)
{
    p = varint_put(p, (uint64_t)id << 3 | 2);
    p = varint_put(p, len);
    memcpy(p, data, len);
    return p + len;
}

static uint8_t *put_body(uint8_t *p, const envpack_t *z)
{
    p = varint_put(p, (uint64_t)z->body_id << 3 | 2);
    p = varint_put(p, z->body_len);
    return p + protobuf_c_message_pack(z->body, p);
}

/* Packs z's event into out (envpack_size bytes); returns the bytes written. */
static size_t envpack(const envpack_t *z, uint8_t *out)
{
    const Ladder__V1__Event *e = z->e;
    uint8_t *p = out;
    if (e->seq)
        p = varint_put(varint_put(p, 1 << 3), e->seq);
    if (e->id.len)
        p = put_len(p, 2, e->id.data, e->id.len);
    if (z->stream_len)
        p = put_len(p, 3, e->stream, z->stream_len);
    if (e->stream_version)
        p = varint_put(varint_put(p, 4 << 3), e->stream_version);
    if (e->at_ms)
        p = varint_put(varint_put(p, 5 << 3), (uint64_t)e->at_ms);
    if (z->actor_len)
        p = put_len(p, 6, e->actor, z->actor_len);
    if (e->request_id.len)
        p = put_len(p, 7, e->request_id.data, e->request_id.len);
    if (e->cause_seq)
        p = varint_put(varint_put(p, 8 << 3), e->cause_seq);
    if (e->rules_version)
        p = varint_put(varint_put(p, 9 << 3), e->rules_version);
    if (e->prev_hash.len)
        p = put_len(p, 10, e->prev_hash.data, e->prev_hash.len);
    if (z->body && z->body_id < REDACTED_ID)
        p = put_body(p, z);
    if (e->redacted)
        p = varint_put(varint_put(p, REDACTED_ID << 3), 1);
    if (z->body && z->body_id > REDACTED_ID)
        p = put_body(p, z);
    return (size_t)(p - out);
}

/* ---------------------------------------------------------------- append -- */

static int valid_stream(const char *name, size_t len)
{
    return len > 0 && len <= LD_STREAM_MAX && memchr(name, 0, len) == NULL;
}

size_t ld_store_request_key(uint8_t out[LD_REQUEST_KEY_MAX], const char *principal,
                            const uint8_t *rid, size_t len)
{
    size_t plen = principal ? strlen(principal) : 0;
    if (!len || len > LD_REQUEST_ID_MAX || plen > LD_PRINCIPAL_MAX)
        return 0;
    size_t n = 0;
    if (principal) {
        out[n++] = 0x01;
        out[n++] = (uint8_t)plen;
        memcpy(out + n, principal, plen);
        n += plen;
    } else {
        out[n++] = 0x00; /* the daemon's own: no client key starts so */
    }
    memcpy(out + n, rid, len);
    return n + len;
}

/* A key as ld_store_request_key makes them. */
static bool valid_request_key(const uint8_t *k, size_t n)
{
    if (n < 2 || n > LD_REQUEST_KEY_MAX)
        return false;
    if (k[0] == 0x00)
        return n - 1 <= LD_REQUEST_ID_MAX;
    return k[0] == 0x01 && k[1] <= LD_PRINCIPAL_MAX && n >= 3u + k[1] &&
           n - 2u - k[1] <= LD_REQUEST_ID_MAX;
}

#define REQ_VAL (12 + LD_HASH_LEN)

/* Appends one request inside the open txn. Returns a txn-fatal code, or 0 with
 * the request's own outcome in r. On a per-request refusal nothing is written
 * and the batch table is put back as it was. */
static int append_one(ld_store_t *s, MDB_txn *txn, MDB_cursor *ecur, MDB_cursor *rcur,
                      ld_append_t *r, uint64_t *seq, uint8_t hash[LD_HASH_LEN])
{
    int rc;
    r->rc = 0;
    r->duplicate = false;
    r->first_seq = 0;
    r->count = 0;

    if (r->request_key_len &&
        (!r->request_key || !valid_request_key(r->request_key, r->request_key_len))) {
        r->rc = LD_EINVAL;
        return 0;
    }
    /* The request key is claimed first, in one put: an existing entry comes
     * back with MDB_KEYEXIST (a duplicate, or a reuse when its digest
     * differs); a refusal below deletes the claim again. Time-ordered ids
     * (README) take the MDB_APPEND path, which does not descend the tree; any
     * other key, or one not after the last, gets the ordinary lookup. */
    MDB_val rk = {r->request_key_len, (void *)r->request_key}, rv;
    uint8_t val[REQ_VAL];
    if (r->request_key_len) {
        put_be64(val, r->n_events ? *seq + 1 : 0);
        put_be32(val + 8, (uint32_t)r->n_events);
        memcpy(val + 12, r->digest, LD_HASH_LEN);
        rv = (MDB_val){REQ_VAL, val};
        rc = mdb_cursor_put(rcur, &rk, &rv, MDB_APPEND | MDB_NOOVERWRITE);
        if (rc == MDB_KEYEXIST) {
            rv = (MDB_val){REQ_VAL, val};
            rc = mdb_cursor_put(rcur, &rk, &rv, MDB_NOOVERWRITE);
        }
        if (rc == MDB_KEYEXIST && rv.mv_size == REQ_VAL) {
            r->first_seq = get_be64(rv.mv_data);
            r->count = get_be32((uint8_t *)rv.mv_data + 8);
            if (memcmp((uint8_t *)rv.mv_data + 12, r->digest, LD_HASH_LEN))
                r->rc = LD_EREUSED;
            else
                r->duplicate = true;
            return 0;
        }
        if (rc)
            return from_mdb(rc == MDB_KEYEXIST ? MDB_CORRUPTED : rc);
    }

    /* Pass 1: versions and expectations, before anything is written. */
    for (size_t i = 0; i < r->n_events; i++) {
        Ladder__V1__Event *ev = r->events[i];
        size_t len = ev->stream ? strlen(ev->stream) : 0;
        if (!valid_stream(ev->stream, len) || (ev->seq && ev->seq != *seq + 1 + i)) {
            r->rc = LD_EINVAL;
            break;
        }
        bslot_t *b;
        if ((rc = btab_find(s, txn, ev->stream, len, &b)))
            return rc;
        if (r->expected && r->expected[i] != LD_VERSION_ANY && r->expected[i] != b->version) {
            r->rc = LD_ECONFLICT;
            break;
        }
        ev->stream_version = ++b->version;
        s->eslot[s->eslot_n + i] = (eslot_t){b, 0, ev->stream_version};
    }
    if (r->rc) {
        /* undo the versions taken so far, newest first */
        for (size_t i = r->n_events; i-- > 0;) {
            Ladder__V1__Event *ev = r->events[i];
            if (!ev->stream_version || !ev->stream)
                continue;
            bslot_t *b;
            if (btab_find(s, txn, ev->stream, strlen(ev->stream), &b) == 0 &&
                b->version == ev->stream_version)
                b->version--;
            ev->stream_version = 0;
        }
        if (r->request_key_len && (rc = mdb_del(txn, s->requests, &rk, NULL)))
            return from_mdb(rc);
        return 0;
    }

    /* Pass 2: pack into LMDB's page, hash in place, index by stream. */
    r->first_seq = r->n_events ? *seq + 1 : 0;
    for (size_t i = 0; i < r->n_events; i++) {
        Ladder__V1__Event *ev = r->events[i];
        ev->seq = ++*seq;
        /* a shallow copy carries the link and the cut descriptor: the
         * caller's event keeps its own (no prev_hash) */
        Ladder__V1__Event e = *ev;
        e.prev_hash = (ProtobufCBinaryData){LD_HASH_LEN, hash};
        envpack_t z;
        size_t size;
        bool fast = envpack_size(s, &e, &z, &size);
        if (!fast) {
            e.base.descriptor = packer_desc(s, ev);
            size = protobuf_c_message_get_packed_size(&e.base);
        }
        uint8_t kbuf[8];
        put_be64(kbuf, ev->seq);
        MDB_val k = {8, kbuf}, v = {size, NULL};
        if ((rc = mdb_cursor_put(ecur, &k, &v, MDB_APPEND | MDB_RESERVE)))
            return from_mdb(rc);
        size_t packed = fast ? envpack(&z, v.mv_data) : protobuf_c_message_pack(&e.base, v.mv_data);
        if (packed != v.mv_size)
            return LD_EINTERNAL;
        uint8_t next[LD_HASH_LEN];
        crypto_generichash(next, LD_HASH_LEN, v.mv_data, v.mv_size, NULL, 0);
        memcpy(hash, next, LD_HASH_LEN);
        s->eslot[s->eslot_n + i].seq = ev->seq;
    }
    r->count = (uint32_t)r->n_events;
    s->eslot_n += r->n_events;
    return 0;
}

static int append_txn(ld_store_t *s, ld_append_t *reqs, size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += reqs[i].n_events;
    int rc = btab_reserve(s, total);
    if (rc)
        return rc;

    MDB_txn *txn;
    pthread_rwlock_rdlock(&s->resize);
    if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn))) {
        pthread_rwlock_unlock(&s->resize);
        return from_mdb(rc);
    }
    uint64_t seq = s->head_seq;
    uint8_t hash[LD_HASH_LEN];
    memcpy(hash, s->head_hash, LD_HASH_LEN);
    /* one cursor for the batch: MDB_APPEND from where the last put left it
     * skips the descent of `events` that each mdb_put would make */
    MDB_cursor *ecur = NULL, *rcur = NULL;
    if ((rc = mdb_cursor_open(txn, s->events, &ecur)) ||
        (rc = mdb_cursor_open(txn, s->requests, &rcur))) {
        rc = from_mdb(rc);
        goto abort;
    }
    for (size_t i = 0; i < n && !rc; i++)
        rc = append_one(s, txn, ecur, rcur, &reqs[i], &seq, hash);
    if (rc)
        goto abort;
    /* the stream index, written behind: once index_every events wait, this
     * commit carries them all, sorted. Index pages are random pages, so one
     * large chunk rewrites each of them once where many small chunks would
     * rewrite each of them many times. Callers that have idle time (ladderd)
     * write it there instead with ld_store_index_flush. */
    long drained = 0;
    if (s->pend_n - s->pend_start >= s->index_every) {
        if ((drained = index_chunk(s, txn, s->index_every)) < 0) {
            rc = (int)drained;
            goto abort;
        }
    }
    if (seq != s->head_seq) {
        uint8_t head[8 + LD_HASH_LEN];
        put_be64(head, seq);
        memcpy(head + 8, hash, LD_HASH_LEN);
        MDB_val k = {4, "head"}, v = {sizeof head, head};
        if ((rc = mdb_put(txn, s->meta, &k, &v, 0))) {
            rc = from_mdb(rc);
            goto abort;
        }
    }
    rc = mdb_txn_commit(txn);
    pthread_rwlock_unlock(&s->resize);
    if (rc)
        return from_mdb(rc);
    pthread_mutex_lock(&s->head_lock);
    s->head_seq = seq;
    memcpy(s->head_hash, hash, LD_HASH_LEN);
    pthread_mutex_unlock(&s->head_lock);
    uint64_t gen = s->tail_gen;
    if (drained)
        index_advance(s, (size_t)drained);
    if (gen != s->tail_gen) /* emptied: the slots found before are gone */
        for (size_t i = 0; i < s->bused_n; i++)
            s->bused[i]->t = NULL;
    /* one tail and cache update per stream, then one pending entry per event */
    for (size_t i = 0; i < s->bused_n; i++) {
        bslot_t *b = s->bused[i];
        if (b->version == b->loaded)
            continue;
        b->t = tail_put(s, b->t, b->name, b->len, b->h, b->version);
    }
    for (size_t i = 0; i < s->eslot_n; i++) {
        const eslot_t *e = &s->eslot[i];
        pend_add(s, e->seq, e->b->t->name, e->b->len, e->version);
    }
    return 0;
abort:
    mdb_txn_abort(txn); /* closes the cursors of a write txn */
    pthread_rwlock_unlock(&s->resize);
    return rc;
}

int ld_store_append(ld_store_t *s, ld_append_t *reqs, size_t n)
{
    if (s->read_only)
        return LD_EINVAL;
    for (;;) {
        int rc = append_txn(s, reqs, n);
        if (rc == 0)
            return 0;
        /* Nothing was written: put the events back as they were given. */
        for (size_t i = 0; i < n; i++) {
            for (size_t j = 0; j < reqs[i].n_events; j++) {
                reqs[i].events[j]->seq = 0;
                reqs[i].events[j]->stream_version = 0;
            }
            reqs[i].first_seq = 0;
            reqs[i].count = 0;
            reqs[i].duplicate = false;
        }
        if (rc != LD_EMAPFULL)
            return rc;
        /* The map is full (or another process grew it): grow and retry. A full
         * disk is LD_ENOSPC and returned above, since a bigger map cannot help. */
        if (s->map_size >= ((size_t)1 << 40) || grow_map(s))
            return LD_ENOSPC;
    }
}

/* ------------------------------------------------------------------ read -- */

int ld_store_scan(ld_store_t *s, uint64_t from, uint64_t max, ld_event_cb cb, void *ctx)
{
    MDB_txn *txn;
    MDB_cursor *c;
    int rc = read_begin(s, &txn);
    if (rc)
        return rc;
    if ((rc = mdb_cursor_open(txn, s->events, &c))) {
        read_end(s, txn);
        return from_mdb(rc);
    }
    uint8_t kbuf[8];
    put_be64(kbuf, from ? from : 1);
    MDB_val k = {8, kbuf}, v;
    uint64_t n = 0;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 8) {
            rc = LD_ECORRUPT;
            goto out;
        }
        if ((rc = cb(ctx, get_be64(k.mv_data), v.mv_data, v.mv_size)))
            goto out;
        if (max && ++n == max)
            break;
    }
    rc = rc == MDB_NOTFOUND || rc == 0 ? 0 : from_mdb(rc);
out:
    mdb_cursor_close(c);
    read_end(s, txn);
    return rc;
}

static uint64_t txn_indexed(ld_store_t *s, MDB_txn *txn)
{
    if (s->no_index)
        return 0;
    MDB_val k = {7, "indexed"}, v;
    return mdb_get(txn, s->meta, &k, &v) == 0 && v.mv_size == 8 ? get_be64(v.mv_data) : 0;
}

typedef struct {
    const char *stream;
    size_t len;
    uint64_t from, max, n, last;
    ld_event_cb cb;
    void *ctx;
    MDB_txn *txn;
    ld_store_t *s;
} tailscan_t;

static int tailscan_one(void *ctx, uint64_t seq, const char *stream, size_t len, uint64_t version)
{
    tailscan_t *t = ctx;
    if (len != t->len || memcmp(stream, t->stream, len) != 0)
        return 0;
    t->last = version;
    if (!t->cb || version < t->from || (t->max && t->n >= t->max))
        return 0;
    uint8_t kbuf[8];
    put_be64(kbuf, seq);
    MDB_val k = {8, kbuf}, v;
    int rc = mdb_get(t->txn, t->s->events, &k, &v);
    if (rc)
        return from_mdb(rc);
    t->n++;
    return t->cb(t->ctx, seq, v.mv_data, v.mv_size);
}

int ld_store_scan_stream(ld_store_t *s, const char *stream, uint64_t from_version,
                         uint64_t max, ld_event_cb cb, void *ctx)
{
    size_t len = strlen(stream);
    if (!valid_stream(stream, len))
        return LD_EINVAL;
    MDB_txn *txn;
    MDB_cursor *c;
    int rc = read_begin(s, &txn);
    if (rc)
        return rc;
    if ((rc = mdb_cursor_open(txn, s->streams, &c))) {
        read_end(s, txn);
        return from_mdb(rc);
    }
    uint64_t indexed = txn_indexed(s, txn), from = from_version ? from_version : 1;
    uint8_t key[LD_STREAM_MAX + 9];
    memcpy(key, stream, len);
    key[len] = 0;
    /* from the chunk that holds version `from` (chunks start at known
     * versions, store.h), then the stream's next ones */
    put_be64(key + len + 1, chunk_first(from));
    MDB_val k = {len + 9, key}, v;
    uint64_t n = 0;
    bool done = false;
    for (rc = s->no_index ? MDB_NOTFOUND : mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
         rc == 0 && !done; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size != len + 9 || memcmp(k.mv_data, key, len + 1) != 0)
            break;
        if (v.mv_size % 8 || v.mv_size == 0 || v.mv_size > LD_INDEX_CHUNK * 8) {
            rc = LD_ECORRUPT;
            goto out;
        }
        uint64_t first = get_be64((uint8_t *)k.mv_data + len + 1);
        const uint8_t *seqs = v.mv_data;
        for (size_t j = from > first ? (size_t)(from - first) : 0; j < v.mv_size / 8; j++) {
            MDB_val ek = {8, (void *)(seqs + 8 * j)}, ev;
            if ((rc = mdb_get(txn, s->events, &ek, &ev))) {
                rc = rc == MDB_NOTFOUND ? LD_ECORRUPT : from_mdb(rc);
                goto out;
            }
            if ((rc = cb(ctx, get_be64(seqs + 8 * j), ev.mv_data, ev.mv_size)))
                goto out;
            if (max && ++n == max) {
                done = true;
                break;
            }
        }
    }
    rc = rc == MDB_NOTFOUND || rc == 0 ? 0 : from_mdb(rc);
    if (!rc && !done) {
        /* the events after the index, in the same snapshot of the log */
        tailscan_t t = {stream, len, from_version, max ? max - n : 0, 0, 0, cb, ctx, txn, s};
        rc = walk_tail(s, txn, indexed, tailscan_one, &t);
    }
out:
    mdb_cursor_close(c);
    read_end(s, txn);
    return rc;
}

int ld_store_stream_version(ld_store_t *s, const char *stream, uint64_t *version)
{
    size_t len = strlen(stream);
    if (!valid_stream(stream, len))
        return LD_EINVAL;
    MDB_txn *txn;
    int rc = read_begin(s, &txn);
    if (rc)
        return rc;
    rc = lmdb_stream_version(s, txn, stream, len, version);
    if (!rc) {
        tailscan_t t = {stream, len, 0, 0, 0, 0, NULL, NULL, txn, s};
        rc = walk_tail(s, txn, txn_indexed(s, txn), tailscan_one, &t);
        if (!rc && t.last)
            *version = t.last;
    }
    read_end(s, txn);
    return rc;
}

int ld_store_request_get(ld_store_t *s, const uint8_t *key, size_t len, uint64_t *first_seq,
                         uint32_t *count, uint8_t digest[LD_HASH_LEN])
{
    if (!valid_request_key(key, len))
        return LD_EINVAL;
    MDB_txn *txn;
    int rc = read_begin(s, &txn);
    if (rc)
        return rc;
    MDB_val k = {len, (void *)key}, v;
    rc = mdb_get(txn, s->requests, &k, &v);
    if (rc == 0 && v.mv_size == REQ_VAL) {
        *first_seq = get_be64(v.mv_data);
        *count = get_be32((uint8_t *)v.mv_data + 8);
        if (digest)
            memcpy(digest, (uint8_t *)v.mv_data + 12, LD_HASH_LEN);
    } else if (rc == 0) {
        rc = MDB_CORRUPTED;
    }
    read_end(s, txn);
    return from_mdb(rc);
}

/* ---------------------------------------------------------------- verify -- */

typedef struct {
    uint64_t expect_seq;
    uint8_t prev[LD_HASH_LEN];  /* hash of the previous event's bytes */
    uint64_t bad;
    char *why;
    size_t whylen;
} verify_t;

/* A link that differs from the hash in a few bytes was edited in place (the
 * later event's prev_hash); a changed earlier event changes its whole hash. */
#define LINK_EDIT_MAX 8

static int verify_one(void *ctx, uint64_t seq, const uint8_t *data, size_t len)
{
    verify_t *w = ctx;
    if (seq != w->expect_seq) {
        w->bad = w->expect_seq;
        snprintf(w->why, w->whylen, "seq %llu is missing (next stored is %llu)",
                 (unsigned long long)w->expect_seq, (unsigned long long)seq);
        return LD_ECORRUPT;
    }
    Ladder__V1__Event *ev = ladder__v1__event__unpack(NULL, len, data);
    if (!ev || ev->seq != seq || ev->prev_hash.len != LD_HASH_LEN) {
        w->bad = seq;
        snprintf(w->why, w->whylen, "seq %llu: %s", (unsigned long long)seq,
                 !ev ? "bytes do not decode as an Event"
                     : ev->seq != seq ? "recorded seq differs from its key"
                                      : "prev_hash is not 32 bytes");
        if (ev)
            ladder__v1__event__free_unpacked(ev, NULL);
        return LD_ECORRUPT;
    }
    int differ = 0;
    for (int i = 0; i < LD_HASH_LEN; i++)
        differ += ev->prev_hash.data[i] != w->prev[i];
    ladder__v1__event__free_unpacked(ev, NULL);
    if (differ) {
        /* the link into seq fails: seq-1 was altered (the first bad one), unless
         * only seq's own prev_hash was edited, or seq is 1 */
        w->bad = seq == 1 || differ <= LINK_EDIT_MAX ? seq : seq - 1;
        snprintf(w->why, w->whylen, "seq %llu: stored bytes differ from those appended",
                 (unsigned long long)w->bad);
        return LD_ECORRUPT;
    }
    crypto_generichash(w->prev, LD_HASH_LEN, data, len, NULL, 0);
    w->expect_seq++;
    return 0;
}

/* The hash of event seq's stored bytes (zeros for seq 0). */
static int event_hash(ld_store_t *s, uint64_t seq, uint8_t out[LD_HASH_LEN])
{
    memset(out, 0, LD_HASH_LEN);
    if (!seq)
        return 0;
    MDB_txn *txn;
    int rc = read_begin(s, &txn);
    if (rc)
        return rc;
    uint8_t kb[8];
    put_be64(kb, seq);
    MDB_val k = {8, kb}, v;
    rc = mdb_get(txn, s->events, &k, &v);
    if (rc == 0)
        crypto_generichash(out, LD_HASH_LEN, v.mv_data, v.mv_size, NULL, 0);
    read_end(s, txn);
    return rc == MDB_NOTFOUND ? LD_ECORRUPT : from_mdb(rc);
}

static int verify_range(ld_store_t *s, uint64_t from, uint64_t *bad_seq, char *why, size_t whylen)
{
    char dummy[8];
    verify_t w = {.expect_seq = from, .why = why ? why : dummy, .whylen = why ? whylen : sizeof dummy};
    w.why[0] = 0;
    *bad_seq = 0;
    if (from > s->head_seq)
        return 0;
    int rc = event_hash(s, from - 1, w.prev);
    if (rc == LD_ECORRUPT) {
        *bad_seq = from - 1;
        snprintf(w.why, w.whylen, "seq %llu is missing", (unsigned long long)(from - 1));
        return rc;
    }
    if (rc == 0)
        rc = ld_store_scan(s, from, 0, verify_one, &w);
    if (rc == 0) {
        uint64_t last = w.expect_seq - 1;
        if (last != s->head_seq) {
            w.bad = last + 1;
            snprintf(w.why, w.whylen, "log ends at seq %llu but the head says %llu",
                     (unsigned long long)last, (unsigned long long)s->head_seq);
            rc = LD_ECORRUPT;
        } else if (memcmp(w.prev, s->head_hash, LD_HASH_LEN)) {
            w.bad = last;
            snprintf(w.why, w.whylen, "seq %llu: stored bytes differ from the head hash",
                     (unsigned long long)last);
            rc = LD_ECORRUPT;
        }
    }
    if (rc == LD_ECORRUPT)
        *bad_seq = w.bad;
    return rc;
}

int ld_store_verify(ld_store_t *s, uint64_t *bad_seq, char *why, size_t whylen)
{
    return verify_range(s, 1, bad_seq, why, whylen);
}

/* ------------------------------------------------------------- snapshots -- */

int ld_store_snapshot_put(ld_store_t *s, const char *name, uint64_t seq, const void *data,
                          size_t len)
{
    size_t nlen = strlen(name);
    if (!nlen || nlen > 200 || s->read_only)
        return LD_EINVAL;
    for (;;) {
        MDB_txn *txn;
        pthread_rwlock_rdlock(&s->resize);
        int rc = mdb_txn_begin(s->env, NULL, 0, &txn);
        if (rc == 0) {
            MDB_val k = {nlen, (void *)name}, v = {8 + len, NULL};
            rc = mdb_put(txn, s->snapshots, &k, &v, MDB_RESERVE);
            if (rc == 0) {
                put_be64(v.mv_data, seq);
                memcpy((uint8_t *)v.mv_data + 8, data, len);
                rc = mdb_txn_commit(txn);
            } else {
                mdb_txn_abort(txn);
            }
        }
        pthread_rwlock_unlock(&s->resize);
        if (rc == MDB_MAP_FULL && s->map_size < ((size_t)1 << 40) && grow_map(s) == 0)
            continue;
        return from_mdb(rc);
    }
}

int ld_store_snapshot_get(ld_store_t *s, const char *name, uint64_t *seq, void **data,
                          size_t *len)
{
    MDB_txn *txn;
    int rc = read_begin(s, &txn);
    if (rc)
        return rc;
    MDB_val k = {strlen(name), (void *)name}, v;
    rc = mdb_get(txn, s->snapshots, &k, &v);
    if (rc == 0 && v.mv_size < 8)
        rc = MDB_CORRUPTED;
    if (rc == 0) {
        *seq = get_be64(v.mv_data);
        *len = v.mv_size - 8;
        *data = malloc(*len ? *len : 1);
        if (!*data)
            rc = ENOMEM;
        else
            memcpy(*data, (uint8_t *)v.mv_data + 8, *len);
    }
    read_end(s, txn);
    return from_mdb(rc);
}

/* Issue 17: a start-up parses the snapshot where LMDB maps it, instead of
 * first copying it into fresh memory (tens of MB, a page fault each 4 KiB). */
int ld_store_snapshot_view(ld_store_t *s, const char *name, ld_snapshot_fn fn, void *ctx)
{
    MDB_txn *txn;
    int rc = read_begin(s, &txn);
    if (rc)
        return rc;
    MDB_val k = {strlen(name), (void *)name}, v;
    rc = mdb_get(txn, s->snapshots, &k, &v);
    if (rc == 0 && v.mv_size < 8)
        rc = MDB_CORRUPTED;
    int frc = 0;
    if (rc == 0)
        frc = fn(ctx, get_be64(v.mv_data), (const uint8_t *)v.mv_data + 8, v.mv_size - 8);
    read_end(s, txn);
    return rc ? from_mdb(rc) : frc;
}

int ld_store_snapshot_del(ld_store_t *s, const char *name)
{
    MDB_txn *txn;
    pthread_rwlock_rdlock(&s->resize);
    int rc = mdb_txn_begin(s->env, NULL, 0, &txn);
    if (rc == 0) {
        MDB_val k = {strlen(name), (void *)name};
        rc = mdb_del(txn, s->snapshots, &k, NULL);
        if (rc == 0)
            rc = mdb_txn_commit(txn);
        else
            mdb_txn_abort(txn);
    }
    pthread_rwlock_unlock(&s->resize);
    return from_mdb(rc);
}

int ld_store_snapshot_names(ld_store_t *s, const char *prefix, char (*names)[LD_SNAPSHOT_NAME],
                            size_t max, size_t *n)
{
    MDB_txn *txn;
    MDB_cursor *c;
    size_t plen = strlen(prefix);
    *n = 0;
    int rc = read_begin(s, &txn);
    if (rc)
        return rc;
    if ((rc = mdb_cursor_open(txn, s->snapshots, &c)) == 0) {
        MDB_val k = {plen, (void *)prefix}, v;
        for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0 && *n < max;
             rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
            if (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0)
                break;
            if (k.mv_size >= LD_SNAPSHOT_NAME)
                continue;
            memcpy(names[*n], k.mv_data, k.mv_size);
            names[(*n)++][k.mv_size] = 0;
        }
        if (rc == MDB_NOTFOUND)
            rc = 0;
        mdb_cursor_close(c);
    }
    read_end(s, txn);
    return from_mdb(rc);
}

size_t ld_store_index_pending(ld_store_t *s)
{
    return s->pend_n - s->pend_start;
}

int ld_store_sync(ld_store_t *s)
{
    return from_mdb(mdb_env_sync(s->env, 1));
}

int ld_store_reserve(ld_store_t *s, size_t ahead, size_t step)
{
    if (s->read_only || !step)
        return LD_EINVAL;
    /* a write transaction, aborted at the end, holds LMDB's writer lock: no
     * commit, index step or snapshot writes a page while the file grows */
    MDB_txn *txn;
    pthread_rwlock_rdlock(&s->resize);
    int rc = mdb_txn_begin(s->env, NULL, 0, &txn);
    if (rc) {
        pthread_rwlock_unlock(&s->resize);
        return from_mdb(rc);
    }
    int fd;
    MDB_envinfo info;
    MDB_stat st;
    struct stat fs;
    rc = 0;
    if (mdb_env_get_fd(s->env, &fd) || mdb_env_info(s->env, &info) || mdb_env_stat(s->env, &st) ||
        fstat(fd, &fs)) {
        rc = LD_EIO;
        goto out;
    }
    off_t used = (off_t)(info.me_last_pgno + 1) * st.ms_psize, end = fs.st_size;
    off_t cap = (off_t)s->map_size; /* LMDB writes no page past its map */
    if (end < used || end - used >= (off_t)ahead || end >= cap)
        goto out;
    off_t to = end + (off_t)step < cap ? end + (off_t)step : cap;
    static const uint8_t zeros[1 << 16];
    for (off_t o = end; o < to;) {
        size_t n = to - o < (off_t)sizeof zeros ? (size_t)(to - o) : sizeof zeros;
        ssize_t w = pwrite(fd, zeros, n, o);
        if (w <= 0) {
            int err = w < 0 ? errno : ENOSPC;
            if (ftruncate(fd, end)) /* give the space back: the log needs it more */
                err = errno;
            rc = err == ENOSPC ? LD_ENOSPC : LD_EIO;
            goto out;
        }
        o += w;
    }
    /* start writing the zeros out now, so that the next flush (the idle
     * sync, or a commit) finds little of them left to wait for */
    (void)sync_file_range(fd, end, to - end, SYNC_FILE_RANGE_WRITE);
out:
    mdb_txn_abort(txn);
    pthread_rwlock_unlock(&s->resize);
    return rc;
}
