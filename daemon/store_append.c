/* store_append.c — the Event packer (the envelope written by hand, the body by
 * protobuf-c) and the append path: request ids, versions, MDB_RESERVE, the
 * hash chain. See store.h. */
#include "store_int.h"

/* ---------------------------------------------------------------- packer -- */

/* protobuf-c packs a message by walking every field of its descriptor, and
 * Event has one field per fact kind in its `body` oneof (~60 fields, about
 * 5k instructions per event for the size and the pack). The store packs the
 * envelope itself (the fields below, proto3 encoding as protobuf-c writes
 * it: fields in number order, zero values left out) and the body with
 * protobuf-c. ld_st_packer_init checks at open that Event's non-body fields are
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

int ld_st_packer_init(ld_store_t *s)
{
    const ProtobufCMessageDescriptor *d = &ladder__v1__event__descriptor;
    unsigned n_env = 0;
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
        }
    }
    s->pk_envelope = envelope && bodies && n_env == ENV_FIELDS;
    /* the cuts: case 0 (no body) the envelope only, case id the envelope
     * and member id (wire.c, shared with the publisher's evt.* updates) */
    int rc = ld_cutdesc_init(&s->pk_cut, d);
    return rc == LD_EINVAL ? 0 : rc;
}

/* The descriptor to pack ev with (the generated one when no cut fits). */
static const ProtobufCMessageDescriptor *packer_desc(const ld_store_t *s,
                                                     const Ladder__V1__Event *ev)
{
    return ld_cutdesc_for(&s->pk_cut, &ev->base);
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

/* Whether the envelope packer takes ev; if so fills *z and *size. stream_len
 * is strlen(e->stream), already found by the caller (0 for none). */
static bool envpack_size(const ld_store_t *s, const Ladder__V1__Event *e, size_t stream_len,
                         envpack_t *z, size_t *size)
{
    size_t c = (size_t)e->body_case;
    if (!s->pk_envelope || e->base.descriptor != &ladder__v1__event__descriptor ||
        e->base.n_unknown_fields || c >= s->pk_cut.n || !s->pk_cut.desc[c].fields)
        return false;
    z->e = e;
    z->body_id = (unsigned)c;
    z->body = c ? *(ProtobufCMessage *const *)((const char *)e + s->pk_body_off) : NULL;
    z->stream_len = stream_len;
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

/* The size of ev packed as given (no link added): the write-ahead log's copy. */
size_t ld_st_event_size(const ld_store_t *s, const Ladder__V1__Event *ev)
{
    envpack_t z;
    size_t size;
    if (envpack_size(s, ev, ev->stream ? strlen(ev->stream) : 0, &z, &size))
        return size;
    Ladder__V1__Event e = *ev;
    e.base.descriptor = packer_desc(s, ev);
    return protobuf_c_message_get_packed_size(&e.base);
}

/* Packs ev as given into out (ld_st_event_size bytes); returns the bytes written. */
size_t ld_st_event_pack(const ld_store_t *s, const Ladder__V1__Event *ev, uint8_t *out)
{
    envpack_t z;
    size_t size;
    if (envpack_size(s, ev, ev->stream ? strlen(ev->stream) : 0, &z, &size))
        return envpack(&z, out);
    Ladder__V1__Event e = *ev;
    e.base.descriptor = packer_desc(s, ev);
    return protobuf_c_message_pack(&e.base, out);
}

/* ---------------------------------------------------------------- append -- */

int ld_st_valid_stream(const char *name, size_t len)
{
    return len > 0 && len <= LD_STREAM_MAX && memchr(name, 0, len) == NULL;
}

size_t ld_store_request_key(uint8_t out[LD_REQUEST_KEY_MAX], const char *principal,
                            const uint8_t *rid, size_t len)
{
    size_t plen = principal ? strlen(principal) : 0;
    if (!len || len > LD_REQUEST_ID_MAX || plen > LD_PRINCIPAL_MAX)
        return 0;
    /* format 4: the id first (store.h), so that time-ordered ids land on
     * the last pages of the index, not on one random page per principal */
    memcpy(out, rid, len);
    size_t n = len;
    if (principal) {
        memcpy(out + n, principal, plen);
        n += plen;
        out[n++] = (uint8_t)plen;
        out[n++] = 0x01;
    } else {
        out[n++] = 0x00; /* the daemon's own: no client key ends so */
    }
    return n;
}

/* A key as ld_store_request_key makes them. */
bool ld_st_valid_request_key(const uint8_t *k, size_t n)
{
    if (n < 2 || n > LD_REQUEST_KEY_MAX)
        return false;
    if (k[n - 1] == 0x00)
        return n - 1 <= LD_REQUEST_ID_MAX;
    if (k[n - 1] != 0x01 || n < 3)
        return false;
    size_t plen = k[n - 2];
    return plen <= LD_PRINCIPAL_MAX && n >= 3 + plen && n - 2 - plen <= LD_REQUEST_ID_MAX;
}

size_t ld_st_request_key_v3(uint8_t out[LD_REQUEST_KEY_MAX], const uint8_t *k, size_t n)
{
    if (!ld_st_valid_request_key(k, n))
        return 0;
    if (k[n - 1] == 0x00) {
        out[0] = 0x00;
        memcpy(out + 1, k, n - 1);
        return n;
    }
    size_t plen = k[n - 2], rlen = n - 2 - plen;
    out[0] = 0x01;
    out[1] = (uint8_t)plen;
    memcpy(out + 2, k + rlen, plen);
    memcpy(out + 2 + plen, k, rlen);
    return n;
}

size_t ld_st_request_key_v4(uint8_t out[LD_REQUEST_KEY_MAX], const uint8_t *k, size_t n)
{
    if (n < 2 || n > LD_REQUEST_KEY_MAX)
        return 0;
    if (k[0] == 0x00) {
        if (n - 1 > LD_REQUEST_ID_MAX)
            return 0;
        memcpy(out, k + 1, n - 1);
        out[n - 1] = 0x00;
        return n;
    }
    size_t plen = k[1];
    if (k[0] != 0x01 || plen > LD_PRINCIPAL_MAX || n < 3 + plen || n - 2 - plen > LD_REQUEST_ID_MAX)
        return 0;
    size_t rlen = n - 2 - plen;
    memcpy(out, k + 2 + plen, rlen);
    memcpy(out + rlen, k + 2, plen);
    out[rlen + plen] = (uint8_t)plen;
    out[rlen + plen + 1] = 0x01;
    return n;
}

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
        (!r->request_key || !ld_st_valid_request_key(r->request_key, r->request_key_len))) {
        r->rc = LD_EINVAL;
        return 0;
    }
    /* The request key is claimed first, in one put: an existing entry comes
     * back with MDB_KEYEXIST (a duplicate, or a reuse when its digest
     * differs); a refusal below deletes the claim again. Time-ordered ids
     * (README) take the MDB_APPEND path, which does not descend the tree; any
     * other key, or one not after the last, gets the ordinary lookup. */
    /* The streams' slots (batch table, tail) are asked for before the
     * request key's put: its descent of request_ids hides their cache
     * misses, which pass 1 would otherwise wait for. */
    enum { PRE = 8 };
    uint64_t pre_h[PRE];
    size_t pre_len[PRE], npre = r->n_events < PRE ? r->n_events : PRE;
    for (size_t i = 0; i < npre; i++) {
        const char *name = r->events[i]->stream;
        pre_len[i] = name ? strlen(name) : 0;
        pre_h[i] = pre_len[i] && pre_len[i] <= LD_STREAM_MAX
                       ? ld_st_btab_prefetch(s, name, pre_len[i])
                       : 0;
    }
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
        /* ld_st_valid_stream without its search for a NUL: strlen found none */
        size_t len = i < npre ? pre_len[i] : ev->stream ? strlen(ev->stream) : 0;
        if (!len || len > LD_STREAM_MAX || (ev->seq && ev->seq != *seq + 1 + i)) {
            r->rc = LD_EINVAL;
            break;
        }
        bslot_t *b;
        uint64_t h = i < npre ? pre_h[i] : hash_name(ev->stream, len);
        if ((rc = ld_st_btab_find_h(s, txn, ev->stream, len, h, &b)))
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
            if (ld_st_btab_find(s, txn, ev->stream, strlen(ev->stream), &b) == 0 &&
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
        /* the stream's length was found in pass 1 (its batch slot has it) */
        bool fast = envpack_size(s, &e, s->eslot[s->eslot_n + i].b->len, &z, &size);
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
        /* the link was copied into the page by the pack: hash over it */
        crypto_generichash(hash, LD_HASH_LEN, v.mv_data, v.mv_size, NULL, 0);
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
    int rc = ld_st_btab_reserve(s, total);
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
        if ((drained = ld_st_index_chunk(s, txn, s->index_every)) < 0) {
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
    pthread_cond_broadcast(&s->head_cond); /* a write-ahead log writer may wait (store_wal.c) */
    pthread_mutex_unlock(&s->head_lock);
    uint64_t gen = s->tail_gen;
    if (drained)
        ld_st_index_advance(s, (size_t)drained);
    if (gen != s->tail_gen) /* emptied: the slots found before are gone */
        for (size_t i = 0; i < s->bused_n; i++)
            s->bused[i]->t = NULL;
    /* one tail and cache update per stream, then one pending entry per event */
    for (size_t i = 0; i < s->bused_n; i++) {
        bslot_t *b = s->bused[i];
        if (b->version == b->loaded)
            continue;
        b->t = ld_st_tail_put(s, b->t, b->name, b->len, b->h, b->version);
    }
    for (size_t i = 0; i < s->eslot_n; i++) {
        const eslot_t *e = &s->eslot[i];
        ld_st_pend_add(s, e->seq, e->b->t->name, e->b->len, e->version);
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
        if (s->map_size >= ((size_t)1 << 40) || ld_st_grow_map(s))
            return LD_ENOSPC;
    }
}

