/* store_wal.c — the store's write-ahead log (store.h, "Write-ahead log"):
 * DIR/wal, a file of written zeros holding one record per group commit, so
 * that a commit is acknowledged after one sequential write and one
 * fdatasync, with LMDB written behind it (ld_store_append, fully synced).
 * It owns the file, the record format, the writer's place in the file and
 * the recovery that a writer's open runs (ld_st_wal_recover).
 *
 * Record (at a multiple of LD_WAL_ALIGN, padded to the next one, so that no
 * write ever touches the bytes of an earlier record):
 *   header, 64 bytes: "LDWAL02\n", u32 payload length, u32 requests,
 *   u64 first seq, u64 last seq, the chain (16 bytes: the hash of the record
 *   written before it by this process, or for a process's first record the
 *   first 16 bytes of LMDB's head hash, the log's chain, at that write),
 *   BLAKE2b-128, keyed with the store's own key (meta "walkey", random,
 *   made by the first open with the log), of the header's first 48 bytes
 *   and the payload: a record copied from another store's log never
 *   verifies here, so it is never applied (nor counted as unapplied);
 *   payload, per request: u8 key length, the key, the 32-byte digest,
 *   u32 events, then per event u32 length and the Event as the caller gave
 *   it (seq set; stream version and link are the store's, added when LMDB
 *   is written, from the log itself, so they come out the same).
 * A record is applied to LMDB only as a whole (one transaction), and holds
 * seqs first..last, contiguous with the record before it. A record torn by a
 * crash fails its length or hash and is ignored: it was never acknowledged
 * (the ack waits for its fdatasync).
 *
 * Reuse of the file: records are written at increasing offsets; the writer
 * goes back to offset 0 once past LD_WAL_WRAP bytes, and never writes over a
 * record whose last seq LMDB does not hold yet (it waits for ld_store_append
 * to get there). So every record not yet in LMDB is intact in the file, and
 * recovery reads every aligned offset, keeps the valid records past LMDB's
 * head and applies them in seq order from head + 1, each only when its
 * chain is LMDB's head hash or the hash of the record holding the head. It
 * refuses (LD_ECORRUPT, naming the seqs) when two records claim the same
 * first seq, or when a valid record past the head is left unapplied: it may
 * hold acknowledged requests, and starting without them would decide their
 * ids again. The file grows (more written zeros) only when a record does
 * not fit.
 */
#include "store_int.h"

#define WAL_MAGIC "LDWAL02\n"
#define WAL_HDR 64
#define WAL_HASH 16
#define WAL_ZEROS (1u << 20) /* zeros written per write(2) when growing */

struct wal_rec {
    uint64_t off, end, last;
};

struct ld_wal {
    int fd;
    uint64_t size;         /* bytes of written zeros (or records) in the file */
    uint64_t pos;          /* where the next record goes */
    uint8_t *buf;          /* the record being built */
    size_t cap;
    struct wal_rec *recs;  /* records written in this process, oldest first */
    size_t nrec, caprec;
    uint8_t chain[WAL_HASH]; /* the next record's chain (the last one's hash) */
    bool chained;          /* chain set: a record was written by this process */
    bool failed;           /* a write failed: the file's state past pos is unknown,
                            * so no later record may be written (sticky) */
};

static size_t align_up(size_t n)
{
    return (n + LD_WAL_ALIGN - 1) / LD_WAL_ALIGN * LD_WAL_ALIGN;
}

static int grow_buf(ld_wal_t *w, size_t need)
{
    if (need <= w->cap)
        return 0;
    size_t c = w->cap ? w->cap : 65536;
    while (c < need)
        c *= 2;
    uint8_t *p = realloc(w->buf, c);
    if (!p)
        return LD_ENOMEM;
    w->buf = p;
    w->cap = c;
    return 0;
}

/* Writes zeros over [from, to) and makes them durable. */
static int write_zeros(int fd, uint64_t from, uint64_t to)
{
    static const uint8_t z[WAL_ZEROS];
    while (from < to) {
        size_t n = to - from < sizeof z ? (size_t)(to - from) : sizeof z;
        ssize_t k = pwrite(fd, z, n, (off_t)from);
        if (k <= 0)
            return errno == ENOSPC || errno == EDQUOT ? LD_ENOSPC : LD_EIO;
        from += (uint64_t)k;
    }
    return fdatasync(fd) ? LD_EIO : 0;
}

static void record_hash(uint8_t out[WAL_HASH], const uint8_t key[LD_WAL_KEY],
                        const uint8_t *hdr, const uint8_t *payload, size_t len)
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, key, LD_WAL_KEY, WAL_HASH);
    crypto_generichash_update(&st, hdr, WAL_HDR - WAL_HASH);
    crypto_generichash_update(&st, payload, len);
    crypto_generichash_final(&st, out, WAL_HASH);
}

int ld_st_wal_key(ld_store_t *s, bool create)
{
    MDB_txn *txn;
    MDB_val k = {6, "walkey"}, v;
    int rc = ld_st_read_begin(s, &txn);
    if (rc)
        return rc;
    rc = mdb_get(txn, s->meta, &k, &v);
    if (rc == 0 && v.mv_size == LD_WAL_KEY) {
        memcpy(s->wal_key, v.mv_data, LD_WAL_KEY);
        s->wal_keyed = true;
    }
    ld_st_read_end(s, txn);
    if (rc == 0 && !s->wal_keyed)
        return LD_ECORRUPT; /* a key of another size: not one this code wrote */
    if (rc != MDB_NOTFOUND || !create)
        return rc == MDB_NOTFOUND ? 0 : from_mdb(rc);
    uint8_t key[LD_WAL_KEY];
    randombytes_buf(key, sizeof key);
    v = (MDB_val){sizeof key, key};
    pthread_rwlock_rdlock(&s->resize);
    if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) == 0) {
        if ((rc = mdb_put(txn, s->meta, &k, &v, MDB_NOOVERWRITE)))
            mdb_txn_abort(txn);
        else
            rc = mdb_txn_commit(txn); /* full durability: synced before any record */
    }
    pthread_rwlock_unlock(&s->resize);
    if (rc)
        return from_mdb(rc);
    memcpy(s->wal_key, key, LD_WAL_KEY);
    s->wal_keyed = true;
    return 0;
}

int ld_st_wal_open(ld_wal_t **out, const char *dir, uint64_t size)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/wal", dir);
    ld_wal_t *w = calloc(1, sizeof *w);
    if (!w)
        return LD_ENOMEM;
    int rc = 0;
    w->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    struct stat st;
    if (w->fd < 0 || fstat(w->fd, &st)) {
        rc = LD_EIO;
        goto out;
    }
    /* written zeros, not a hole: a record's fdatasync then flushes its data
     * and commits no block allocation or file size */
    w->size = (uint64_t)st.st_size / LD_WAL_ALIGN * LD_WAL_ALIGN;
    if (w->size < size) {
        if ((rc = write_zeros(w->fd, w->size, size)))
            goto out;
        w->size = size;
        /* the file's name, durable before any record counts on it */
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0 || fsync(dfd))
            rc = LD_EIO;
        if (dfd >= 0)
            close(dfd);
        if (rc)
            goto out;
    }
out:
    if (rc) {
        ld_st_wal_close(&w);
        return rc;
    }
    *out = w;
    return 0;
}

void ld_st_wal_close(ld_wal_t **wp)
{
    if (!wp || !*wp)
        return;
    ld_wal_t *w = *wp;
    if (w->fd >= 0)
        close(w->fd);
    free(w->buf);
    free(w->recs);
    free(w);
    *wp = NULL;
}

/* Waits until LMDB holds seq (ld_store_append has returned for it). Returns
 * 0, or LD_EIO once ld_store_wal_abort said LMDB will not get there. */
static int wait_applied(ld_store_t *s, uint64_t seq)
{
    int rc = 0;
    pthread_mutex_lock(&s->head_lock);
    while (s->head_seq < seq && !s->wal_aborted)
        pthread_cond_wait(&s->head_cond, &s->head_lock);
    if (s->head_seq < seq)
        rc = LD_EIO;
    pthread_mutex_unlock(&s->head_lock);
    return rc;
}

void ld_store_wal_abort(ld_store_t *s)
{
    pthread_mutex_lock(&s->head_lock);
    s->wal_aborted = true;
    pthread_cond_broadcast(&s->head_cond);
    pthread_mutex_unlock(&s->head_lock);
}

/* Where a record of len bytes goes: past LD_WAL_WRAP back to 0; never over a
 * record LMDB does not hold yet, nor over the record holding LMDB's head
 * (the next record's chain names its hash: recovery checks it) — so LMDB
 * must hold a later record first, and the record written last is never
 * written over (the file grows instead). Forgets the records it overwrites. */
static int place(ld_store_t *s, ld_wal_t *w, size_t len, uint64_t *at)
{
    uint64_t pos = w->pos;
    if (pos >= LD_WAL_WRAP || pos + len > w->size) {
        /* back to the start when what is there is in LMDB, else grow */
        uint64_t need = 0;
        bool newest = false;
        for (size_t i = 0; i < w->nrec; i++)
            if (w->recs[i].off < len) {
                need = w->recs[i].last > need ? w->recs[i].last : need;
                newest |= i == w->nrec - 1;
            }
        uint64_t head;
        ld_store_head(s, &head, NULL);
        if ((!need || head > need) && !newest && len <= w->size)
            pos = 0;
    }
    if (pos + len > w->size) {
        uint64_t to = align_up(pos + len + WAL_ZEROS);
        int rc = write_zeros(w->fd, w->size, to);
        if (rc)
            return rc;
        w->size = to;
    }
    /* the records this one overwrites must be in LMDB first, and one after
     * them (written before this one: L gets there without this one) */
    size_t drop = 0;
    uint64_t need = 0;
    for (size_t i = 0; i < w->nrec; i++)
        if (w->recs[i].off < pos + len && w->recs[i].end > pos) {
            need = w->recs[i].last > need ? w->recs[i].last : need;
            drop++;
        }
    int rc;
    if (need && (rc = wait_applied(s, need + 1)))
        return rc;
    if (drop) {
        size_t k = 0;
        for (size_t i = 0; i < w->nrec; i++)
            if (!(w->recs[i].off < pos + len && w->recs[i].end > pos))
                w->recs[k++] = w->recs[i];
        w->nrec = k;
    }
    *at = pos;
    return 0;
}

static int wal_write(ld_store_t *s, ld_wal_t *w, const ld_append_t *reqs, size_t n)
{
    size_t len = WAL_HDR, nreq = 0;
    uint64_t first = 0, last = 0;
    int rc;
    for (size_t i = 0; i < n; i++) {
        const ld_append_t *r = &reqs[i];
        if (r->request_key_len > LD_REQUEST_KEY_MAX || (!r->n_events && !r->request_key_len))
            continue;
        nreq++;
        if ((rc = grow_buf(w, len + 1 + r->request_key_len + LD_HASH_LEN + 4)))
            return rc;
        uint8_t *p = w->buf + len;
        *p++ = (uint8_t)r->request_key_len;
        memcpy(p, r->request_key, r->request_key_len);
        p += r->request_key_len;
        memcpy(p, r->digest, LD_HASH_LEN);
        p += LD_HASH_LEN;
        put_be32(p, (uint32_t)r->n_events);
        len = (size_t)(p + 4 - w->buf);
        for (size_t j = 0; j < r->n_events; j++) {
            const Ladder__V1__Event *ev = r->events[j];
            if (!ev->seq || (last && ev->seq != last + 1))
                return LD_EINVAL; /* seqs come from the caller, in order */
            first = first ? first : ev->seq;
            last = ev->seq;
            size_t size = ld_st_event_size(s, ev);
            if ((rc = grow_buf(w, len + 4 + size)))
                return rc;
            put_be32(w->buf + len, (uint32_t)size);
            if (ld_st_event_pack(s, ev, w->buf + len + 4) != size)
                return LD_EINTERNAL;
            len += 4 + size;
        }
    }
    if (!last)
        return 0; /* no event: nothing to log (LMDB gets the keys) */
    size_t total = align_up(len);
    if ((rc = grow_buf(w, total)))
        return rc;
    memset(w->buf + len, 0, total - len);
    uint8_t *h = w->buf;
    memcpy(h, WAL_MAGIC, 8);
    put_be32(h + 8, (uint32_t)(len - WAL_HDR));
    put_be32(h + 12, (uint32_t)nreq);
    put_be64(h + 16, first);
    put_be64(h + 24, last);
    if (!w->chained) { /* the first record: LMDB's head, as W found it */
        uint8_t hh[LD_HASH_LEN];
        ld_store_head(s, NULL, hh);
        memcpy(w->chain, hh, WAL_HASH);
        w->chained = true;
    }
    memcpy(h + 32, w->chain, WAL_HASH);
    record_hash(h + WAL_HDR - WAL_HASH, s->wal_key, h, w->buf + WAL_HDR, len - WAL_HDR);
    uint64_t at;
    if ((rc = place(s, w, total, &at)))
        return rc;
    for (size_t done = 0; done < total;) {
        ssize_t k = pwrite(w->fd, w->buf + done, total - done, (off_t)(at + done));
        if (k <= 0)
            return errno == ENOSPC || errno == EDQUOT ? LD_ENOSPC : LD_EIO;
        done += (size_t)k;
    }
    if (fdatasync(w->fd))
        return LD_EIO;
    if (w->nrec == w->caprec) {
        size_t c = w->caprec ? 2 * w->caprec : 256;
        struct wal_rec *p = realloc(w->recs, c * sizeof *p);
        if (!p)
            return LD_ENOMEM; /* written and durable: recovery would find it */
        w->recs = p, w->caprec = c;
    }
    w->recs[w->nrec++] = (struct wal_rec){at, at + total, last};
    w->pos = at + total;
    memcpy(w->chain, h + WAL_HDR - WAL_HASH, WAL_HASH);
    return 0;
}

int ld_store_wal_write(ld_store_t *s, const ld_append_t *reqs, size_t n)
{
    ld_wal_t *w = s->wal;
    if (!w)
        return LD_EINVAL;
    if (w->failed)
        return LD_EIO;
    /* after any failure the record may or may not be in the file, and the
     * decisions after it were made on top of it: writing a later record
     * (at the same offset, over it) would acknowledge what recovery cannot
     * reach. So every write after a failed one fails. */
    int rc = wal_write(s, w, reqs, n);
    if (rc)
        w->failed = true;
    return rc;
}

/* ------------------------------------------------------------ recovery -- */

/* A valid record at off: its first and last seq and its payload's length. */
static bool read_record(const ld_store_t *s, int fd, uint64_t off, uint64_t size, uint8_t **buf,
                        size_t *cap, uint64_t *first, uint64_t *last, size_t *len,
                        uint32_t *nreq, uint8_t chain[WAL_HASH], uint8_t hash_out[WAL_HASH])
{
    uint8_t h[WAL_HDR];
    if (!s->wal_keyed)
        return false; /* no key: no record of this store was ever written */
    if (pread(fd, h, WAL_HDR, (off_t)off) != WAL_HDR || memcmp(h, WAL_MAGIC, 8))
        return false;
    size_t plen = get_be32(h + 8);
    *first = get_be64(h + 16);
    *last = get_be64(h + 24);
    if (off + WAL_HDR + plen > size || !*first || *last < *first)
        return false;
    if (plen > *cap) {
        uint8_t *p = realloc(*buf, plen);
        if (!p)
            return false;
        *buf = p;
        *cap = plen;
    }
    if (pread(fd, *buf, plen, (off_t)(off + WAL_HDR)) != (ssize_t)plen)
        return false;
    uint8_t hash[WAL_HASH];
    record_hash(hash, s->wal_key, h, *buf, plen);
    if (sodium_memcmp(hash, h + WAL_HDR - WAL_HASH, WAL_HASH))
        return false;
    *len = plen;
    *nreq = get_be32(h + 12);
    memcpy(chain, h + 32, WAL_HASH);
    memcpy(hash_out, hash, WAL_HASH);
    return true;
}

/* A record header this code cannot verify — another version's ("LDWAL0",
 * another digit, "\n"), or this version's in a store with no key — whose
 * (unverified) last seq is past LMDB's head: it may hold acknowledged
 * requests, so ignoring it (and later writing over it) would lose them.
 * Fills errbuf and returns LD_ECORRUPT for the first one found, else 0. */
static int unverifiable(const ld_store_t *s, int fd, uint64_t size, uint64_t head,
                        const char *path, char *errbuf, size_t errlen)
{
    uint8_t h[WAL_HDR];
    for (uint64_t off = 0; off + WAL_HDR <= size; off += LD_WAL_ALIGN) {
        /* the whole magic, "LDWAL0<digit>\n": a record torn inside its
         * first 8 bytes is no other version's */
        if (pread(fd, h, WAL_HDR, (off_t)off) != WAL_HDR || memcmp(h, WAL_MAGIC, 6) ||
            h[6] < '0' || h[6] > '9' || h[7] != '\n')
            continue;
        bool ours = !memcmp(h, WAL_MAGIC, 8);
        if ((ours && s->wal_keyed) || get_be64(h + 24) <= head)
            continue;
        char v[8], a[48];
        memcpy(v, h, 7);
        v[7] = 0;
        snprintf(a, sizeof a, "%llu..%llu, LMDB's head %llu", (unsigned long long)get_be64(h + 16),
                 (unsigned long long)get_be64(h + 24), (unsigned long long)head);
        if (errbuf && errlen)
            snprintf(errbuf, errlen, "%s holds a %s record (seqs %s) that %s; it may hold "
                     "acknowledged requests, so refusing to open the store: run the ladderd "
                     "that wrote it once to apply it, or, only if nothing in it was ever "
                     "acknowledged, move %s aside", path, v, a,
                     ours ? "this store cannot verify (store meta \"walkey\" is missing)"
                          : "this version cannot read (another record format)", path);
        return LD_ECORRUPT;
    }
    return 0;
}

/* Writes one record's requests into LMDB (one synced transaction). */
static int apply(ld_store_t *s, const uint8_t *p, size_t len, uint32_t nreq, uint64_t first,
                 uint64_t last)
{
    ld_append_t *apps = calloc(nreq ? nreq : 1, sizeof *apps);
    size_t nev = (size_t)(last - first + 1), k = 0;
    Ladder__V1__Event **evs = calloc(nev, sizeof *evs);
    int rc = LD_ECORRUPT;
    const uint8_t *end = p + len;
    if (!apps || !evs) {
        rc = LD_ENOMEM;
        goto out;
    }
    for (uint32_t i = 0; i < nreq; i++) {
        ld_append_t *r = &apps[i];
        if (p >= end || (size_t)(end - p) < 1u + *p + LD_HASH_LEN + 4)
            goto out;
        r->request_key_len = *p++;
        r->request_key = r->request_key_len ? p : NULL;
        p += r->request_key_len;
        memcpy(r->digest, p, LD_HASH_LEN);
        p += LD_HASH_LEN;
        r->n_events = get_be32(p);
        p += 4;
        if (r->n_events > nev - k)
            goto out;
        r->events = &evs[k];
        for (size_t j = 0; j < r->n_events; j++, k++) {
            if (end - p < 4 || (size_t)(end - p - 4) < get_be32(p))
                goto out;
            size_t elen = get_be32(p);
            evs[k] = ladder__v1__event__unpack(NULL, elen, p + 4);
            if (!evs[k] || evs[k]->seq != first + k)
                goto out;
            p += 4 + elen;
        }
    }
    if (k != nev || p != end)
        goto out;
    if ((rc = ld_store_append(s, apps, nreq)))
        goto out;
    for (uint32_t i = 0; i < nreq; i++)
        if (apps[i].rc || apps[i].duplicate)
            rc = LD_ECORRUPT; /* the log and the record disagree */
out:
    for (size_t j = 0; evs && j < nev; j++)
        if (evs[j])
            ladder__v1__event__free_unpacked(evs[j], NULL);
    free(evs);
    free(apps);
    return rc;
}

struct found {
    uint64_t off, first, last;
    uint8_t chain[WAL_HASH], hash[WAL_HASH];
};

/* Whether a record of chain c may follow LMDB's head (seq head, hash hh):
 * written first by a process that found that head, or after the record
 * holding it. */
static bool chains_on(const uint8_t c[WAL_HASH], uint64_t head, const uint8_t hh[LD_HASH_LEN],
                      const struct found *f, size_t n)
{
    if (!sodium_memcmp(c, hh, WAL_HASH))
        return true;
    for (size_t i = 0; i < n; i++)
        if (f[i].last == head && !sodium_memcmp(c, f[i].hash, WAL_HASH))
            return true;
    return false;
}

static void seqs_err(char *errbuf, size_t errlen, const char *what, uint64_t a, uint64_t b,
                     uint64_t head)
{
    char x[80];
    snprintf(x, sizeof x, "seqs %llu..%llu (LMDB's head %llu)", (unsigned long long)a,
             (unsigned long long)b, (unsigned long long)head);
    errf(errbuf, errlen, "the write-ahead log's record of %s %s; refusing to start without "
         "it: inspect DIR/wal (it may hold acknowledged requests)", x, what);
}

int ld_st_wal_recover(ld_store_t *s, const char *dir, uint64_t *applied, char *errbuf,
                      size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/wal", dir);
    *applied = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        return 0;
    if (fd < 0) {
        errf(errbuf, errlen, "cannot read %s (it may hold acknowledged records not yet in "
             "LMDB): %s", path, strerror(errno));
        return LD_EIO;
    }
    struct stat st;
    int rc = 0;
    uint8_t *buf = NULL;
    size_t cap = 0;
    struct found *found = NULL;
    size_t nfound = 0;
    if (fstat(fd, &st)) {
        rc = LD_EIO;
        goto out;
    }
    uint64_t size = (uint64_t)st.st_size, head;
    uint8_t hh[LD_HASH_LEN];
    ld_store_head(s, &head, hh);
    if ((rc = unverifiable(s, fd, size, head, path, errbuf, errlen)))
        goto out;
    /* every record from LMDB's head on, wherever it is in the file */
    for (uint64_t off = 0; off + WAL_HDR <= size; off += LD_WAL_ALIGN) {
        struct found f = {.off = off};
        size_t len;
        uint32_t nreq;
        if (!read_record(s, fd, off, size, &buf, &cap, &f.first, &f.last, &len, &nreq, f.chain,
                         f.hash) ||
            f.last < head)
            continue;
        for (size_t i = 0; i < nfound; i++)
            if (f.last > head && found[i].last > head && found[i].first == f.first) {
                seqs_err(errbuf, errlen, "is claimed by two records", f.first, f.last, head);
                rc = LD_ECORRUPT;
                goto out;
            }
        void *p = realloc(found, (nfound + 1) * sizeof *found);
        if (!p) {
            rc = LD_ENOMEM;
            goto out;
        }
        found = p;
        found[nfound++] = f;
    }
    /* applied in seq order while they chain on LMDB's head */
    for (;;) {
        size_t i = 0;
        while (i < nfound && found[i].first != head + 1)
            i++;
        if (i == nfound)
            break;
        if (!chains_on(found[i].chain, head, hh, found, nfound)) {
            seqs_err(errbuf, errlen, "does not chain on LMDB's head", found[i].first,
                     found[i].last, head);
            rc = LD_ECORRUPT;
            goto out;
        }
        uint64_t first, last;
        size_t len;
        uint32_t nreq;
        uint8_t c[WAL_HASH], hs[WAL_HASH];
        if (!read_record(s, fd, found[i].off, size, &buf, &cap, &first, &last, &len, &nreq, c, hs)) {
            rc = LD_EIO;
            goto out;
        }
        if ((rc = apply(s, buf, len, nreq, first, last))) {
            char a[24];
            snprintf(a, sizeof a, "%llu", (unsigned long long)first);
            errf(errbuf, errlen, "applying the write-ahead log's record of seq %s: %s", a,
                 ld_strerror(rc));
            goto out;
        }
        ld_store_head(s, &head, hh);
        (*applied)++;
    }
    /* a valid record past the head that did not chain on it */
    for (size_t i = 0; i < nfound; i++)
        if (found[i].last > head) {
            seqs_err(errbuf, errlen, "is past LMDB's head and cannot be applied",
                     found[i].first, found[i].last, head);
            rc = LD_ECORRUPT;
            goto out;
        }
    /* durable in LMDB before the file may be written over */
    if (*applied && mdb_env_sync(s->env, 1))
        rc = LD_EIO;
out:
    free(found);
    free(buf);
    close(fd);
    return rc;
}

int ld_st_wal_unapplied(ld_store_t *s, const char *dir, uint64_t *n, uint64_t *last,
                        char *errbuf, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/wal", dir);
    *n = *last = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        return 0; /* never opened with the log */
    if (fd < 0) {
        /* e.g. EACCES: it may hold acknowledged records LMDB lacks, so
         * "none" would be a guess */
        errf(errbuf, errlen, "cannot read %s (it may hold acknowledged records not yet in "
             "LMDB): %s", path, strerror(errno));
        return LD_EIO;
    }
    struct stat st;
    uint8_t *buf = NULL;
    size_t cap = 0;
    int rc = fstat(fd, &st) ? LD_EIO : 0;
    if (rc)
        errf(errbuf, errlen, "cannot read %s: %s", path, strerror(errno));
    uint64_t size = rc ? 0 : (uint64_t)st.st_size, head;
    ld_store_head(s, &head, NULL);
    if (!rc)
        rc = unverifiable(s, fd, size, head, path, errbuf, errlen);
    for (uint64_t off = 0; !rc && off + WAL_HDR <= size; off += LD_WAL_ALIGN) {
        uint64_t first, l;
        size_t len;
        uint32_t nreq;
        uint8_t c[WAL_HASH], h[WAL_HASH];
        if (read_record(s, fd, off, size, &buf, &cap, &first, &l, &len, &nreq, c, h) && l > head) {
            (*n)++;
            *last = l > *last ? l : *last;
        }
    }
    free(buf);
    close(fd);
    return rc;
}

uint64_t ld_store_wal_unapplied(ld_store_t *s, uint64_t *last)
{
    if (last)
        *last = s->wal_last;
    return s->wal_unapplied;
}

uint64_t ld_store_wal_applied(ld_store_t *s)
{
    return s->wal_applied;
}
