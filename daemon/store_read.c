/* store_read.c — reading the log (by seq and by stream), request ids,
 * verification of the hash chain, snapshots and the request keys' walk.
 * See store.h. */
#include "store_int.h"

/* ------------------------------------------------------------------ read -- */

int ld_store_scan(ld_store_t *s, uint64_t from, uint64_t max, ld_event_cb cb, void *ctx)
{
    MDB_txn *txn;
    MDB_cursor *c;
    int rc = ld_st_read_begin(s, &txn);
    if (rc)
        return rc;
    if ((rc = mdb_cursor_open(txn, s->events, &c))) {
        ld_st_read_end(s, txn);
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
    ld_st_read_end(s, txn);
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
    if (!ld_st_valid_stream(stream, len))
        return LD_EINVAL;
    MDB_txn *txn;
    MDB_cursor *c;
    int rc = ld_st_read_begin(s, &txn);
    if (rc)
        return rc;
    if ((rc = mdb_cursor_open(txn, s->streams, &c))) {
        ld_st_read_end(s, txn);
        return from_mdb(rc);
    }
    uint64_t indexed = txn_indexed(s, txn), from = from_version ? from_version : 1;
    uint8_t key[LD_STREAM_MAX + 9];
    memcpy(key, stream, len);
    key[len] = 0;
    /* from the chunk that holds version `from` (chunks start at known
     * versions, store.h), then the stream's next ones */
    put_be64(key + len + 1, ld_st_chunk_first(from));
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
        rc = ld_st_walk_tail(s, txn, indexed, tailscan_one, &t);
    }
out:
    mdb_cursor_close(c);
    ld_st_read_end(s, txn);
    return rc;
}

int ld_store_stream_version(ld_store_t *s, const char *stream, uint64_t *version)
{
    size_t len = strlen(stream);
    if (!ld_st_valid_stream(stream, len))
        return LD_EINVAL;
    MDB_txn *txn;
    int rc = ld_st_read_begin(s, &txn);
    if (rc)
        return rc;
    rc = ld_st_lmdb_stream_version(s, txn, stream, len, version);
    if (!rc) {
        tailscan_t t = {stream, len, 0, 0, 0, 0, NULL, NULL, txn, s};
        rc = ld_st_walk_tail(s, txn, txn_indexed(s, txn), tailscan_one, &t);
        if (!rc && t.last)
            *version = t.last;
    }
    ld_st_read_end(s, txn);
    return rc;
}

int ld_store_request_get(ld_store_t *s, const uint8_t *key, size_t len, uint64_t *first_seq,
                         uint32_t *count, uint8_t digest[LD_HASH_LEN])
{
    if (!ld_st_valid_request_key(key, len))
        return LD_EINVAL;
    MDB_txn *txn;
    int rc = ld_st_read_begin(s, &txn);
    if (rc)
        return rc;
    MDB_val k = {len, (void *)key}, v;
    uint8_t old[LD_REQUEST_KEY_MAX];
    rc = s->req_v3 && !s->req_both ? MDB_NOTFOUND : mdb_get(txn, s->requests, &k, &v);
    if (rc == MDB_NOTFOUND && s->req_v3) {
        /* a format 2/3 store opened read-only: the principal-first key */
        k = (MDB_val){ld_st_request_key_v3(old, key, len), old};
        rc = mdb_get(txn, s->requests_v3, &k, &v);
    }
    if (rc == 0 && v.mv_size == REQ_VAL) {
        *first_seq = get_be64(v.mv_data);
        *count = get_be32((uint8_t *)v.mv_data + 8);
        if (digest)
            memcpy(digest, (uint8_t *)v.mv_data + 12, LD_HASH_LEN);
    } else if (rc == 0) {
        rc = MDB_CORRUPTED;
    }
    ld_st_read_end(s, txn);
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
    int rc = ld_st_read_begin(s, &txn);
    if (rc)
        return rc;
    uint8_t kb[8];
    put_be64(kb, seq);
    MDB_val k = {8, kb}, v;
    rc = mdb_get(txn, s->events, &k, &v);
    if (rc == 0)
        crypto_generichash(out, LD_HASH_LEN, v.mv_data, v.mv_size, NULL, 0);
    ld_st_read_end(s, txn);
    return rc == MDB_NOTFOUND ? LD_ECORRUPT : from_mdb(rc);
}

int ld_st_verify_range(ld_store_t *s, uint64_t from, uint64_t *bad_seq, char *why, size_t whylen)
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
    return ld_st_verify_range(s, 1, bad_seq, why, whylen);
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
        if (rc == MDB_MAP_FULL && s->map_size < ((size_t)1 << 40) && ld_st_grow_map(s) == 0)
            continue;
        return from_mdb(rc);
    }
}

int ld_store_snapshot_get(ld_store_t *s, const char *name, uint64_t *seq, void **data,
                          size_t *len)
{
    MDB_txn *txn;
    int rc = ld_st_read_begin(s, &txn);
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
    ld_st_read_end(s, txn);
    return from_mdb(rc);
}

/* Issue 17: a start-up parses the snapshot where LMDB maps it, instead of
 * first copying it into fresh memory (tens of MB, a page fault each 4 KiB). */
int ld_store_snapshot_view(ld_store_t *s, const char *name, ld_snapshot_fn fn, void *ctx)
{
    MDB_txn *txn;
    int rc = ld_st_read_begin(s, &txn);
    if (rc)
        return rc;
    MDB_val k = {strlen(name), (void *)name}, v;
    rc = mdb_get(txn, s->snapshots, &k, &v);
    if (rc == 0 && v.mv_size < 8)
        rc = MDB_CORRUPTED;
    int frc = 0;
    if (rc == 0)
        frc = fn(ctx, get_be64(v.mv_data), (const uint8_t *)v.mv_data + 8, v.mv_size - 8);
    ld_st_read_end(s, txn);
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
    int rc = ld_st_read_begin(s, &txn);
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
    ld_st_read_end(s, txn);
    return from_mdb(rc);
}


/* Walks one table of request keys; keys of a format 2/3 table (v3) are
 * given in format 4's layout. */
static int walk_keys(MDB_txn *txn, MDB_dbi dbi, bool v3,
                     int (*key_cb)(void *ctx, const uint8_t *key, size_t len), void *ctx)
{
    MDB_cursor *c;
    int rc = 0, mrc = mdb_cursor_open(txn, dbi, &c);
    if (mrc)
        return from_mdb(mrc);
    MDB_val k, v;
    for (mrc = mdb_cursor_get(c, &k, &v, MDB_FIRST); mrc == 0 && !rc;
         mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        uint8_t nk[LD_REQUEST_KEY_MAX];
        size_t n = v3 ? ld_st_request_key_v4(nk, k.mv_data, k.mv_size) : 0;
        rc = n ? key_cb(ctx, nk, n) : key_cb(ctx, k.mv_data, k.mv_size);
    }
    if (!rc && mrc != MDB_NOTFOUND)
        rc = from_mdb(mrc);
    mdb_cursor_close(c);
    return rc;
}

int ld_store_request_keys(ld_store_t *s, int (*size_cb)(void *ctx, uint64_t n),
                          int (*key_cb)(void *ctx, const uint8_t *key, size_t len), void *ctx)
{
    MDB_txn *txn;
    int rc = ld_st_read_begin(s, &txn);
    if (rc)
        return rc;
    MDB_stat st, st3 = {0};
    bool cur = !s->req_v3 || s->req_both, old = s->req_v3;
    if ((cur && (rc = mdb_stat(txn, s->requests, &st))) ||
        (old && (rc = mdb_stat(txn, s->requests_v3, &st3)))) {
        rc = from_mdb(rc);
        goto out;
    }
    if ((rc = size_cb(ctx, (cur ? st.ms_entries : 0) + st3.ms_entries)))
        goto out;
    if (cur)
        rc = walk_keys(txn, s->requests, false, key_cb, ctx);
    if (!rc && old)
        rc = walk_keys(txn, s->requests_v3, true, key_cb, ctx);
out:
    ld_st_read_end(s, txn);
    return rc;
}

