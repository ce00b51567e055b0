/* batches.c — the group-commit pipeline (shell.h, ld_batches_t).
 *
 * Owns the batches (one collecting decisions, one being written, and with
 * --durability wal those acknowledged but not yet in LMDB), the uv_work_t
 * that runs one group commit at a time on the libuv thread pool and the
 * uv_check_t that submits the batch decided in a loop turn. Only when a
 * commit has returned are its replies sent and its updates published. A
 * failed commit answers every held request (of that batch and of the one
 * decided on top of it) with ERR_UNAVAILABLE and rebuilds the core from the
 * store, so nothing unwritten is ever visible (a failed rebuild stops
 * ladderd with exit code 3). Snapshots are written here, between commits,
 * when the state equals the log, with an archived copy for history.c.
 *
 * With the write-ahead log (--durability wal; DESIGN.md, "The write-ahead
 * log") the group commit is split in two stages on the thread pool:
 *   W: the batch's record written to DIR/wal and fdatasync'd
 *      (ld_store_wal_write), one at a time: its return acknowledges the
 *      batch (replies), exactly as a commit's return does without it;
 *   L: behind it, every acknowledged batch not yet in LMDB in one LMDB
 *      transaction, fully synced (ld_store_append), one at a time, never
 *      beside an index step or zeros (the LMDB writer is one: `busy`); its
 *      return publishes their updates, oldest batch first: an event's stream
 *      version is assigned by that transaction, so an evt.* update sent at
 *      W's return would carry none (walrev finding 4). Updates trail the
 *      ack by L's lag, as reads of the log do.
 * A batch is kept (state LD_B_ACKED) until L has written it: §12 lookups find
 * its request ids there (requests.c), reads of the log wait for L
 * (history.c). A failed W or L stops ladderd (exit 3) without answering:
 * what W acknowledged is in the log, and the next open applies it to LMDB.
 *
 * The writer's idle time carries what no acknowledgment should wait for
 * (background.c): the stream index in steps once the log is quiet, written
 * zeros ahead of LMDB's last page, and under nometasync the idle sync. Pipelining: batch N+1 is decided while
 * batch N is written and synced; its events are packed and hashed by the
 * writer inside its commit. Measured at saturation (perf, ladder-bench
 * daemon) the loop thread is busy all the time and the writer about a tenth,
 * so packing on another thread would move no acknowledgment earlier; at
 * 10 k/s a commit of a few events spends microseconds packing against a
 * flush. DESIGN.md, "The write path".
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "replay.h"
#include "shell.h"

#define E(x) LADDER__V1__ERROR_CODE__##x

void *ld_grow(void *p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return p;
    size_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    p = realloc(p, c * size);
    if (!p)
        abort();
    *cap = c;
    return p;
}

size_t ld_batch_put(batch_t *b, const void *data, size_t len)
{
    b->blob = ld_grow(b->blob, &b->bcap, b->blen + len, 1);
    size_t off = b->blen;
    memcpy(b->blob + off, data, len);
    b->blen += len;
    return off;
}

size_t ld_batch_pack(batch_t *b, const ProtobufCMessage *m, size_t *len)
{
    *len = protobuf_c_message_get_packed_size(m);
    b->blob = ld_grow(b->blob, &b->bcap, b->blen + *len, 1);
    size_t off = b->blen;
    protobuf_c_message_pack(m, b->blob + off);
    b->blen += *len;
    return off;
}

/* A batch no one uses, its event list allocated; NULL when all are taken
 * (with the WAL: L has not caught up; its return frees some). */
static batch_t *batch_take(ld_batches_t *bs)
{
    for (size_t i = 0; i < LD_BATCHES; i++) {
        batch_t *b = &bs->b[i];
        if (b->state != LD_B_FREE || (!bs->wal && i >= 2))
            continue;
        if (!b->out)
            b->out = ld_out_new();
        return b;
    }
    return NULL;
}

static void batch_reset(batch_t *b)
{
    ld_out_reset(b->out);
    b->n = b->nu = b->blen = b->napps = 0;
    if (b->rids.cap)
        memset(b->rids.h, 0, b->rids.cap * sizeof *b->rids.h);
    b->rids.n = 0;
    b->rc = 0;
}

/* After a failed commit the core holds decisions that were not written:
 * rebuild it from the store. Returns 0 or a negative code (logged). */
static int reload_core(server_t *s)
{
    uint64_t from, n, bad;
    int rc;
    ld_core_destroy(&s->core);
    s->core = ld_replay_open(s->store, &from, &n, &rc, &bad);
    if (!s->core) {
        ld_log(LD_LOG_ERROR, "cannot rebuild state from the store", "error=\"%s\" seq=%llu",
               ld_strerror(rc), (unsigned long long)bad);
        return rc;
    }
    if (ld_publisher_reload(s))
        exit(3);
    ld_log(LD_LOG_WARN, "state rebuilt from the store", "snapshot_seq=%llu replayed=%llu",
           (unsigned long long)from, (unsigned long long)n);
    return 0;
}

static void fail_batch(server_t *s, batch_t *b, int rc)
{
    for (size_t i = 0; i < b->n; i++) {
        pending_t *p = &b->p[i];
        if (p->internal || p->sent)
            continue;
        p->dup_of = -1;
        ld_requests_error(s, b, p, E(ERR_UNAVAILABLE), "", "", 0,
                          "storage failed (%s); nothing of this request was written",
                          ld_strerror(rc));
        ld_router_reply(s, b, p);
    }
}

void ld_batches_snapshot(server_t *s, bool force)
{
    if (!s->core)
        return; /* a failed reload: nothing trustworthy to write */
    uint64_t head;
    ld_store_head(s->store, &head, NULL);
    uint64_t last = s->batches.snap_seq;
    if (head == last || (!force && head - last < s->cfg.snapshot_every))
        return;
    if (ld_core_next_seq(s->core) != head + 1)
        return; /* decisions are pending: the state is ahead of the log */
    uint64_t t = ld_mono_ns();
    size_t len = 0;
    int rc = ld_history_write_snapshot(s->store, s->core, head, &len);
    if (rc) {
        ld_log(LD_LOG_WARN, "snapshot failed", "error=\"%s\"", ld_strerror(rc));
        return;
    }
    s->batches.snap_seq = head;
    if ((rc = ld_topics_save(s->publisher.topics, s->store, head)))
        ld_log(LD_LOG_WARN, "topics snapshot failed", "error=\"%s\"", ld_strerror(rc));
    s->st.snapshot_ns = ld_mono_ns();
    ld_log(LD_LOG_INFO, "snapshot written", "seq=%llu bytes=%zu ms=%.1f",
           (unsigned long long)head, len, (double)(ld_mono_ns() - t) / 1e6);
}

static void finish(server_t *s, batch_t *b)
{
    if (b->rc) {
        ld_log(LD_LOG_ERROR, "commit failed", "error=\"%s\" requests=%zu", ld_strerror(b->rc), b->n);
        fail_batch(s, b, b->rc);
        /* the current batch was decided on top of the failed one */
        if (s->batches.cur != b) {
            fail_batch(s, s->batches.cur, b->rc);
            batch_reset(s->batches.cur);
        }
        int rc = reload_core(s);
        if (rc)
            ld_server_fail(s, 3, rc); /* the loop unwinds; ladderd exits 3 */
    } else {
        size_t nev = ld_out_count(b->out);
        if (nev) /* the loop's view of the log: answers may now show these */
            s->batches.committed_seq = ld_out_events(b->out)[nev - 1]->seq;
        for (size_t i = 0; i < b->n; i++) {
            pending_t *p = &b->p[i];
            if (p->sent)
                continue;
            if (p->deferred)
                ld_history_read_events(s, p);
            else
                ld_router_reply(s, b, p);
        }
        /* WAL: published once L has written them (after_lmdb_cb); a batch
         * of queries only holds board/cases updates (coalesce.c) built
         * from a state that includes the acknowledged batches before it,
         * so it waits behind them (walrev3 finding 2) */
        bool behind = s->batches.wal && !b->napps && ld_batches_unpublished(s);
        if (!s->batches.wal || (!b->napps && !behind))
            ld_publisher_committed(s, b);
        s->st.events += ld_out_count(b->out);
        for (size_t i = 0; i < b->n; i++)
            if (b->p[i].dup_of < 0)
                s->st.commands_accepted += b->p[i].n_commands;
        if (s->batches.wal && (b->napps || behind)) {
            b->state = LD_B_ACKED; /* kept until L has written it to LMDB */
            b->gen = ++s->batches.gen;
            ld_log(LD_LOG_DEBUG, "batch answered", "gen=%llu requests=%zu to_write=%zu",
                   (unsigned long long)b->gen, b->n, b->napps);
            return;
        }
        ld_log(LD_LOG_DEBUG, "batch answered", "requests=%zu written=%zu", b->n, b->napps);
        if (!s->batches.wal)
            s->batches.lmdb_seq = s->batches.committed_seq;
    }
    batch_reset(b);
    b->state = LD_B_FREE;
}


static void work_cb(uv_work_t *w)
{
    server_t *s = ld_container_of(w, server_t, batches.work);
    batch_t *b = s->batches.writing;
    b->rc = s->batches.wal ? ld_store_wal_write(s->store, b->apps, b->napps)
                           : ld_store_append(s->store, b->apps, b->napps);
}

/* ------------------------------------------------- L: LMDB behind the WAL -- */

static void lmdb_start(server_t *s);

/* The oldest batch (by gen) in state st, or NULL. */
static batch_t *oldest(ld_batches_t *bs, int st)
{
    batch_t *b = NULL;
    for (size_t i = 0; i < LD_BATCHES; i++)
        if (bs->b[i].state == st && (!b || bs->b[i].gen < b->gen))
            b = &bs->b[i];
    return b;
}

/* The batches L took (LD_B_LMDB) are in LMDB: their updates now, oldest
 * first (each event carries the stream version LMDB stores: ld_store_append
 * set it; walrev finding 4); their slots are free again. */
static void publish_written(server_t *s)
{
    ld_batches_t *bs = &s->batches;
    for (;;) {
        batch_t *b = oldest(bs, LD_B_LMDB);
        if (!b)
            break;
        ld_log(LD_LOG_DEBUG, "batch published", "gen=%llu requests=%zu written=%zu",
               (unsigned long long)b->gen, b->n, b->napps);
        ld_publisher_committed(s, b);
        batch_reset(b);
        b->state = LD_B_FREE;
    }
}

static void lmdb_cb(uv_work_t *w)
{
    ld_batches_t *bs = ld_container_of(w, ld_batches_t, lwork);
    server_t *s = ld_container_of(bs, server_t, batches);
    bs->lrc = ld_store_append(s->store, bs->lapps, bs->nlapps);
}

static void after_lmdb_cb(uv_work_t *w, int status)
{
    ld_batches_t *bs = ld_container_of(w, ld_batches_t, lwork);
    server_t *s = ld_container_of(bs, server_t, batches);
    (void)status;
    bs->busy = false;
    for (size_t i = 0; !bs->lrc && i < bs->nlapps; i++)
        if (bs->lapps[i].rc || bs->lapps[i].duplicate)
            bs->lrc = LD_EINTERNAL; /* the WAL and LMDB disagree: trust neither */
    if (bs->lrc) {
        ld_log(LD_LOG_ERROR, "writing acknowledged batches to LMDB failed; the write-ahead "
               "log keeps them for the next start", "error=\"%s\"", ld_strerror(bs->lrc));
        ld_store_wal_abort(s->store); /* a W waiting for L must not wait for ever */
        bs->failed = true;
        ld_server_fail(s, 3, bs->lrc);
        return;
    }
    ld_store_head(s->store, &bs->lmdb_seq, NULL);
    ld_log(LD_LOG_DEBUG, "LMDB commit written", "requests=%zu lmdb_seq=%llu", bs->nlapps,
           (unsigned long long)bs->lmdb_seq);
    publish_written(s);
    /* batches of queries only that waited behind those: now, up to the
     * oldest batch still to be written */
    for (;;) {
        batch_t *b = oldest(bs, LD_B_ACKED);
        if (!b || b->napps)
            break;
        ld_publisher_committed(s, b);
        batch_reset(b);
        b->state = LD_B_FREE;
    }
    ld_history_lmdb(s); /* reads that waited for these events */
    ld_batches_idle(s, false);
    ld_coalesce_kick(s, 0);
}

/* WAL: every acknowledged batch not yet in LMDB goes to L, oldest first, in
 * one transaction, when the LMDB writer is free. */
static void on_lmdb_timer(uv_timer_t *t)
{
    lmdb_start(ld_container_of(t, server_t, batches.ltimer));
}

/* Not after a failed W or L (`failed`): a later L would write batches on
 * top of what LMDB lacks; the next open applies them from the log. */
static void lmdb_start(server_t *s)
{
    ld_batches_t *bs = &s->batches;
    if (!bs->wal || bs->busy || bs->failed || bs->lmdb_seq == bs->committed_seq)
        return;
    /* at most one LMDB commit per LD_LMDB_EVERY_MS: each rewrites the pages
     * from the tree's root to its leaves and flushes twice, so one for
     * several batches costs the writer and the disk less (no ack waits) */
    uint64_t now = ld_mono_ns(), due = bs->lmdb_ns + LD_LMDB_EVERY_MS * 1000000ull;
    if (now < due && !s->stopping) {
        if (bs->ltimer_inited && !uv_is_active((uv_handle_t *)&bs->ltimer)) {
            int rc = uv_timer_start(&bs->ltimer, on_lmdb_timer, (due - now + 999999) / 1000000, 0);
            if (rc)
                ld_log(LD_LOG_WARN, "LMDB commit not scheduled", "error=\"%s\"", uv_strerror(rc));
            else
                return;
        } else if (bs->ltimer_inited) {
            return;
        }
    }
    bs->lmdb_ns = now;
    bs->nlapps = 0;
    for (;;) {
        batch_t *b = oldest(bs, LD_B_ACKED);
        if (!b)
            break;
        b->state = LD_B_LMDB;
        /* a batch of queries only (walrev3 finding 2) has nothing to write
         * and may never have had a request list (apps NULL): memcpy from
         * NULL, even of 0 bytes, is undefined, and UBSan stopped ladderd
         * there (CI's ASan stage, 9db5e6b: 416 replies never sent) */
        if (!b->napps)
            continue;
        bs->lapps = ld_grow(bs->lapps, &bs->caplapps, bs->nlapps + b->napps, sizeof *bs->lapps);
        memcpy(bs->lapps + bs->nlapps, b->apps, b->napps * sizeof *b->apps);
        bs->nlapps += b->napps;
    }
    if (!bs->nlapps) {
        /* only batches of queries: they wait for nothing now (no L would
         * come to publish and free them) */
        publish_written(s);
        return;
    }
    ld_log(LD_LOG_DEBUG, "LMDB commit started", "requests=%zu committed_seq=%llu", bs->nlapps,
           (unsigned long long)bs->committed_seq);
    int rc = uv_queue_work(s->loop, &bs->lwork, lmdb_cb, after_lmdb_cb);
    if (rc) {
        ld_log(LD_LOG_ERROR, "cannot queue the LMDB commit", "error=\"%s\"", uv_strerror(rc));
        ld_store_wal_abort(s->store);
        bs->failed = true;
        ld_server_fail(s, 3, LD_EIO);
        return;
    }
    bs->busy = true;
}

batch_t *ld_batches_unpublished(server_t *s)
{
    ld_batches_t *bs = &s->batches;
    batch_t *b = NULL;
    for (size_t i = 0; bs->wal && i < LD_BATCHES; i++)
        if ((bs->b[i].state == LD_B_ACKED || bs->b[i].state == LD_B_LMDB) &&
            (!b || bs->b[i].gen > b->gen))
            b = &bs->b[i];
    return b;
}

bool ld_batches_quiet(server_t *s)
{
    const ld_batches_t *bs = &s->batches;
    return !bs->busy && !bs->committing && !bs->cur->n && bs->lmdb_seq == bs->committed_seq;
}

static void after_work_cb(uv_work_t *w, int status)
{
    server_t *s = ld_container_of(w, server_t, batches.work);
    batch_t *b = s->batches.writing;
    (void)status;
    s->batches.committing = false;
    if (!s->batches.wal)
        s->batches.busy = false;
    if (s->batches.wal && b->rc) {
        /* the record may or may not be in the file: answering "not written"
         * could be false after a restart, so nothing is answered */
        ld_log(LD_LOG_ERROR, "write-ahead log write failed", "error=\"%s\" requests=%zu",
               ld_strerror(b->rc), b->n);
        /* nothing decided on top of it may be written or answered (the
         * loop turn and close_handles' run still call ld_batches_submit);
         * no L starts either (lmdb_start): the next open applies the
         * batches acknowledged before it from the log */
        s->batches.failed = true;
        ld_server_fail(s, 3, b->rc);
        return;
    }
    uint64_t us = (ld_mono_ns() - b->t_submit) / 1000;
    ld_hist_add(s->st.commit_hist, us);
    static const uint64_t le[LD_COMMIT_BUCKETS] = LD_COMMIT_LE_US;
    int k = 0;
    while (k < LD_COMMIT_BUCKETS && us > le[k])
        k++;
    s->st.commit_le[k]++;
    s->st.commit_sum_us += us;
    for (size_t i = 0; !b->rc && !s->batches.wal && i < b->napps; i++)
        if (b->apps[i].rc || b->apps[i].duplicate) {
            /* the core and the store disagree: trust the store */
            ld_log(LD_LOG_ERROR, "store refused a decided request", "rc=%d duplicate=%d",
                   b->apps[i].rc, b->apps[i].duplicate);
            b->rc = LD_EINTERNAL;
        }
    /* the next batch's commit starts before this one's replies and updates
     * go out (they take the loop a while; the writer need not wait for
     * them). Only when it writes events: a batch of queries only would be
     * answered at once, ahead of this one's replies. */
    ld_batches_t *bs = &s->batches;
    if (!b->rc && !s->stopping && ld_out_count(bs->cur->out) &&
        (bs->wal || ld_store_index_pending(s->store) < LD_INDEX_FORCE))
        ld_batches_submit(s);
    finish(s, b);
    if (!s->core)
        return; /* failed for good: ld_server_fail stopped the loop */
    ld_batches_idle(s, false);
    ld_coalesce_kick(s, 0);
}

/* The writer is free: the next batch if one is waiting, else background
 * work that no acknowledgment waits for. */
void ld_batches_idle(server_t *s, bool after_index)
{
    lmdb_start(s); /* WAL: acknowledged batches into LMDB first */
    if (s->batches.cur->n && !s->stopping && !after_index && !s->batches.wal &&
        ld_store_index_pending(s->store) >= LD_INDEX_FORCE) {
        ld_background_index(s); /* the tail is at its bound: one step before the batch */
        if (!s->batches.busy)
            ld_batches_submit(s);
    } else if (s->batches.cur->n) {
        ld_batches_submit(s);
    } else if (!s->stopping && !s->batches.busy) {
        ld_seen_idle(s);
        /* a snapshot folds the log in LMDB: as far as LMDB goes */
        uint64_t since = s->batches.lmdb_seq - s->batches.snap_seq;
        if (since >= s->cfg.snapshot_every)
            ld_history_snapshot(s, s->batches.lmdb_seq);
        if (!ld_background_reserve(s))
            ld_background_arm_index(s);
    }
    ld_background_sync(s);
    ld_deadlines_arm(s);
    ld_router_drain(s);
    if (s->stopping && ld_batches_quiet(s))
        uv_stop(s->loop);
}

void ld_batches_submit(server_t *s)
{
    ld_batches_t *bs = &s->batches;
    batch_t *b = bs->cur;
    if (!b->n || bs->committing || bs->failed || (!bs->wal && bs->busy))
        return;
    batch_t *next = batch_take(bs);
    if (!next)
        return; /* WAL: all batches wait for L; its return submits this one */
    if (s->deadlines_due) { /* what this batch's decisions made due joins it */
        s->deadlines_due = false;
        ld_deadlines_fire(s);
    }
    s->st.batches++;
    ld_hist_add(s->st.batch_hist, b->n);
    Ladder__V1__Event **ev = ld_out_events(b->out);
    b->napps = 0;
    for (size_t i = 0; i < b->n; i++) {
        pending_t *p = &b->p[i];
        if (!p->has_events || p->dup_of >= 0)
            continue;
        b->apps = ld_grow(b->apps, &b->capapps, b->napps + 1, sizeof *b->apps);
        b->apps[b->napps] = (ld_append_t){.request_key = p->key, .request_key_len = p->key_len,
                                          .events = &ev[p->ev_start],
                                          .n_events = p->ev_end - p->ev_start};
        memcpy(b->apps[b->napps++].digest, p->digest, LD_HASH_LEN);
        ld_seen_add(s, p->key, p->key_len); /* before any later lookup of it */
    }
    next->state = LD_B_CUR;
    bs->cur = next;
    b->state = LD_B_WRITING;
    bs->writing = b;
    b->t_submit = bs->last_submit_ns = ld_mono_ns();
    if (!b->napps) {
        /* queries and refusals only: nothing to write, nothing to wait for */
        b->rc = 0;
        finish(s, b);
        return;
    }
    int rc = uv_queue_work(s->loop, &bs->work, work_cb, after_work_cb);
    if (rc) {
        ld_log(LD_LOG_ERROR, "cannot queue the commit", "error=\"%s\"", uv_strerror(rc));
        if (bs->wal) {
            /* LMDB lacks the batches acknowledged but not yet written by L:
             * a core rebuilt from it would reuse their seqs. Stop; the next
             * start applies the log (as after a failed W). */
            bs->failed = true;
            ld_server_fail(s, 3, LD_EIO);
            return;
        }
        b->rc = LD_EIO;
        finish(s, b);
        return;
    }
    bs->committing = true;
    if (!bs->wal)
        bs->busy = true; /* without the WAL the commit is the LMDB writer's */
    /* the boards catch up with what it decided, a step per loop turn from
     * the next one on: never between a commit's return and its replies */
    ld_coalesce_kick(s, b->n);
}

/* After each loop turn's I/O: the batch decided in it goes to the writer. */
static void on_check(uv_check_t *h)
{
    server_t *s = ld_container_of(h, server_t, batches.check);
    if (s->batches.cur->n)
        ld_batches_submit(s);
}

int ld_batches_open(server_t *s)
{
    ld_batches_t *bs = &s->batches;
    bs->wal = s->cfg.wal;
    bs->cur = batch_take(bs);
    bs->cur->state = LD_B_CUR;
    bs->writing = batch_take(bs); /* a placeholder until the first submit */
    ld_store_head(s->store, &bs->committed_seq, NULL);
    bs->lmdb_seq = bs->committed_seq;
    int rc = ld_background_open(s);
    if (rc)
        return rc;
    if (bs->wal) {
        if ((rc = uv_timer_init(s->loop, &bs->ltimer))) {
            ld_log(LD_LOG_ERROR, "cannot set up the loop", "handle=lmdb error=\"%s\"", uv_strerror(rc));
            return LD_EIO;
        }
        bs->ltimer_inited = true;
    }
    rc = uv_check_init(s->loop, &bs->check);
    if (rc == 0) {
        bs->check_inited = true;
        rc = uv_check_start(&bs->check, on_check);
    }
    if (rc) {
        ld_log(LD_LOG_ERROR, "cannot set up the loop", "handle=check error=\"%s\"", uv_strerror(rc));
        return LD_EIO;
    }
    return 0;
}

static void close_cb(uv_handle_t *h)
{
    (void)h;
}

void ld_batches_close(server_t *s)
{
    if (s->batches.check_inited)
        uv_close((uv_handle_t *)&s->batches.check, close_cb);
    if (s->batches.ltimer_inited)
        uv_close((uv_handle_t *)&s->batches.ltimer, close_cb);
    s->batches.ltimer_inited = false;
    s->batches.check_inited = false;
    ld_background_close(s);
}

void ld_batches_destroy(server_t *s)
{
    free(s->batches.lapps);
    s->batches.lapps = NULL;
    for (int i = 0; i < LD_BATCHES; i++) {
        batch_t *b = &s->batches.b[i];
        ld_out_destroy(&b->out);
        free(b->p), free(b->u), free(b->blob), free(b->apps), free(b->rids.h), free(b->rids.idx);
        memset(b, 0, sizeof *b);
    }
}
