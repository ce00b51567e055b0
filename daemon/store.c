/* store.c — the LMDB event store: open (lock, checks, migration, the tail's
 * verification), close, the map and its growth, read transactions, sync and
 * the zeros kept ahead of LMDB's last page. Layout and contracts: store.h;
 * what the store's files share: store_int.h.
 *
 * The append path is the write path's hot loop (DESIGN.md, "The write path",
 * step 6; store_append.c): for each event it finds the stream's version
 * (batch table, then a direct-mapped cache, then an LMDB cursor), packs the
 * Event straight into LMDB's page with MDB_RESERVE (no intermediate copy),
 * hashes it in place and indexes it by stream (store_index.c). Nothing is
 * allocated per event.
 */
#include "store_int.h"

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
            put_be32(f3, 3); /* and on to 4 by migrate_requests */
            MDB_val ik = {7, "indexed"}, iv = {8, zero};
            v = (MDB_val){4, f3};
            if ((rc = mdb_drop(txn, s->streams, 0)) || (rc = mdb_put(txn, s->meta, &k, &v, 0)) ||
                (rc = mdb_put(txn, s->meta, &ik, &iv, 0))) {
                mdb_txn_abort(txn);
                goto out;
            }
            *migrated = true;
        } else if (fmt != 3 && fmt != LD_STORE_FORMAT) {
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

    /* the request ids: format 4's "request_ids"; a format 2/3 store keeps
     * them in "requests" (principal first), read as they are by a
     * read-only open and moved by a writer's (migrate_requests) */
    k = (MDB_val){6, "format"};
    bool v3 = mdb_get(txn, s->meta, &k, &v) == 0 && v.mv_size == 4 &&
              get_be32(v.mv_data) < LD_STORE_FORMAT;
    if (v3 && (rc = mdb_dbi_open(txn, "requests", 0, &s->requests_v3))) {
        mdb_txn_abort(txn);
        if (rc == MDB_NOTFOUND) {
            errf(errbuf, errlen, "%s/data.mdb holds no Ladder store (no requests)%s", path, "");
            return LD_ENOTFOUND;
        }
        goto out;
    }
    rc = mdb_dbi_open(txn, "request_ids", create, &s->requests);
    if (rc == MDB_NOTFOUND && v3 && s->read_only) {
        s->requests = s->requests_v3; /* no key was moved yet */
        rc = 0;
    } else if (rc) {
        mdb_txn_abort(txn);
        goto out;
    } else if (v3 && s->read_only) {
        s->req_both = true; /* a migration was cut short: keys in both */
    }
    s->req_v3 = v3 && s->read_only;
    s->req_migrate = v3 && !s->read_only;

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
        /* only shared holders (a shared flock is still granted): an offline
         * reader such as `ladderctl backup`; the PID in the file is the
         * last writer's, not theirs */
        int probe = open(lp, O_RDONLY | O_CLOEXEC);
        bool readers = probe >= 0 && flock(probe, LOCK_SH | LOCK_NB) == 0;
        if (probe >= 0)
            close(probe);
        if (readers) {
            errf(errbuf, errlen, "data directory %s is held by an offline backup/reader "
                 "(a shared flock on %s/lock, e.g. ladderctl backup); start again when it ends",
                 path, path);
            return LD_EBUSY;
        }
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


/* The seq of the newest snapshot (0 when none), where a replay starts. */
static uint64_t last_snapshot_seq(ld_store_t *s)
{
    MDB_txn *txn;
    MDB_cursor *c;
    uint64_t best = 0;
    if (ld_st_read_begin(s, &txn))
        return 0;
    if (mdb_cursor_open(txn, s->snapshots, &c) == 0) {
        MDB_val k, v;
        for (int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
             rc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
            if (v.mv_size >= 8 && get_be64(v.mv_data) > best && get_be64(v.mv_data) <= s->head_seq)
                best = get_be64(v.mv_data);
        mdb_cursor_close(c);
    }
    ld_st_read_end(s, txn);
    return best;
}

/* Format 2/3 to 4 (store.h): the request ids move from "requests"
 * (principal first) to "request_ids" (id first), LD_MIGRATE_STEP a
 * transaction, each moved key deleted from the old table in the transaction
 * that writes it; the last one drops the old table and writes format 4. A
 * crash in between leaves every key in exactly one of the two tables and
 * format 3: the next writer's open goes on. */
#define LD_MIGRATE_STEP 65536

static int migrate_requests(ld_store_t *s, char *errbuf, size_t errlen)
{
    int rc = 0;
    for (bool done = false; !done && !rc;) {
        MDB_txn *txn;
        MDB_cursor *c = NULL;
        if ((rc = from_mdb(mdb_txn_begin(s->env, NULL, 0, &txn))))
            break;
        if ((rc = from_mdb(mdb_cursor_open(txn, s->requests_v3, &c)))) {
            mdb_txn_abort(txn);
            break;
        }
        size_t n = 0;
        int mrc;
        MDB_val k, v;
        while (n < LD_MIGRATE_STEP && (mrc = mdb_cursor_get(c, &k, &v, MDB_FIRST)) == 0) {
            uint8_t nk[LD_REQUEST_KEY_MAX], val[REQ_VAL];
            size_t len = ld_st_request_key_v4(nk, k.mv_data, k.mv_size);
            if (!len || v.mv_size != REQ_VAL) {
                errf(errbuf, errlen, "%s%s", "migrating the request ids to format 4: a damaged key "
                     "or value in \"requests\"", "");
                rc = LD_ECORRUPT;
                break;
            }
            memcpy(val, v.mv_data, REQ_VAL);
            MDB_val nkv = {len, nk}, nv = {REQ_VAL, val};
            if ((mrc = mdb_put(txn, s->requests, &nkv, &nv, MDB_NOOVERWRITE)) ||
                (mrc = mdb_cursor_del(c, 0))) {
                rc = from_mdb(mrc == MDB_KEYEXIST ? MDB_CORRUPTED : mrc);
                break;
            }
            n++;
        }
        if (!rc && n < LD_MIGRATE_STEP && mrc != MDB_NOTFOUND)
            rc = from_mdb(mrc);
        mdb_cursor_close(c);
        if (!rc && n < LD_MIGRATE_STEP) {
            uint8_t f4[4];
            put_be32(f4, LD_STORE_FORMAT);
            MDB_val fk = {6, "format"}, fv = {4, f4};
            if ((rc = from_mdb(mdb_drop(txn, s->requests_v3, 1))) == 0)
                rc = from_mdb(mdb_put(txn, s->meta, &fk, &fv, 0));
            done = true;
        }
        if (rc) {
            mdb_txn_abort(txn);
            break;
        }
        rc = from_mdb(mdb_txn_commit(txn));
    }
    if (rc && errbuf && !errbuf[0])
        errf(errbuf, errlen, "migrating the request ids to format 4: %s%s", ld_strerror(rc), "");
    s->req_migrate = rc != 0;
    return rc;
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
    pthread_cond_init(&s->head_cond, NULL);
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
    if (errbuf && errlen)
        errbuf[0] = 0;
    if (s->req_migrate && (rc = migrate_requests(s, errbuf, errlen)))
        goto fail;
    /* a writer checks the chain from the newest snapshot (where a replay
     * starts) to the head; read-only opens are the offline tools that verify */
    uint64_t bad, from = opt->verify_all ? 1 : last_snapshot_seq(s);
    char why[256];
    if (!s->read_only && (rc = ld_st_verify_range(s, from ? from : 1, &bad, why, sizeof why))) {
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
    if ((rc = ld_st_packer_init(s))) {
        errf(errbuf, errlen, "%s%s", "out of memory", "");
        goto fail;
    }
    if ((rc = ld_st_tail_rebuild(s))) {
        errf(errbuf, errlen, "reading the unindexed tail of the log: %s%s", ld_strerror(rc), "");
        goto fail;
    }
    if (migrated && (rc = ld_store_index_flush(s))) {
        errf(errbuf, errlen, "rebuilding the stream index of a format 2 store: %s%s",
             ld_strerror(rc), "");
        goto fail;
    }
    /* the key of this store's log records: none, no record is this store's */
    if ((rc = ld_st_wal_key(s, false))) {
        errf(errbuf, errlen, "store meta \"walkey\": %s%s", ld_strerror(rc), "");
        goto fail;
    }
    /* every writer applies what a write-ahead log holds past LMDB's head
     * (acknowledged, not yet in LMDB) before anything else is appended */
    if (!s->read_only && (rc = ld_st_wal_recover(s, opt->wal_from ? opt->wal_from : path,
                                                 &s->wal_applied, errbuf, errlen))) {
        if (errbuf && errlen && !errbuf[0])
            errf(errbuf, errlen, "reading the write-ahead log in %s: %s", path, ld_strerror(rc));
        goto fail;
    }
    if (s->read_only &&
        (rc = ld_st_wal_unapplied(s, path, &s->wal_unapplied, &s->wal_last, errbuf, errlen)))
        goto fail;
    if (opt->wal && !s->read_only) {
        if (opt->durability != LD_DURABILITY_FULL) {
            errf(errbuf, errlen, "%s%s", "a write-ahead log needs LMDB's full durability behind it", "");
            rc = LD_EINVAL;
            goto fail;
        }
        if ((rc = ld_st_wal_key(s, true)) || (rc = ld_st_wal_open(&s->wal, path, LD_WAL_SIZE))) {
            errf(errbuf, errlen, "creating the write-ahead log in %s: %s", path, ld_strerror(rc));
            goto fail;
        }
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
    ld_st_wal_close(&s->wal);
    if (s->lock_fd >= 0)
        close(s->lock_fd); /* releases the flock */
    ld_st_tail_clear(s);
    free(s->tail);
    free(s->pend);
    free(s->ibuf);
    free(s->gbuf);
    free(s->egrp);
    free(s->gtab);
    pthread_rwlock_destroy(&s->resize);
    pthread_mutex_destroy(&s->head_lock);
    pthread_cond_destroy(&s->head_cond);
    free(s->vcache);
    ld_cutdesc_free(&s->pk_cut);
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
int ld_st_grow_map(ld_store_t *s)
{
    pthread_rwlock_wrlock(&s->resize);
    size_t want = s->map_size * 2;
    int rc = mdb_env_set_mapsize(s->env, want);
    if (rc == 0)
        s->map_size = want;
    pthread_rwlock_unlock(&s->resize);
    return from_mdb(rc);
}

int ld_st_read_begin(ld_store_t *s, MDB_txn **txn)
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

void ld_st_read_end(ld_store_t *s, MDB_txn *txn)
{
    mdb_txn_abort(txn);
    pthread_rwlock_unlock(&s->resize);
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

