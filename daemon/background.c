/* background.c — what the writer does when no batch waits (shell.h; its
 * handles are in ld_batches_t: index_timer, index_work, reserve_work,
 * sync_timer, sync_work). Nothing here sits in front of an acknowledgment:
 *   - the stream index, written behind the log, in steps of LD_INDEX_STEP
 *     entries once the log has been quiet for LD_INDEX_QUIET_MS;
 *   - written zeros ahead of LMDB's last page (ld_store_reserve), so that a
 *     commit's flush commits no new file size;
 *   - under nometasync, the sync of the last commit's meta page once the
 *     writer has been idle for LD_SYNC_QUIET_MS.
 * batches.c calls in from ld_batches_idle; each job calls it again when done.
 * DESIGN.md, "Nothing but commits in front of an acknowledgment".
 */
#include "log.h"
#include "shell.h"

static void on_index_timer(uv_timer_t *t);
static void index_cb(uv_work_t *w)
{
    server_t *s = ld_container_of(w, server_t, batches.index_work);
    s->batches.index_rc = ld_store_index_step(s->store, LD_INDEX_STEP);
}

static void after_index_cb(uv_work_t *w, int status)
{
    server_t *s = ld_container_of(w, server_t, batches.index_work);
    (void)status;
    s->batches.busy = false;
    uint64_t ms = (ld_mono_ns() - s->batches.index_t0) / 1000000;
    if (s->batches.index_rc) /* the pending entries stay: the next quiet time retries */
        ld_log(LD_LOG_WARN, "stream index not written", "error=\"%s\"",
               ld_strerror(s->batches.index_rc));
    else
        ld_log(LD_LOG_DEBUG, "stream index step written", "ms=%llu pending=%zu",
               (unsigned long long)ms, ld_store_index_pending(s->store));
    /* still quiet (nothing was submitted meanwhile): the next step at once */
    if (!s->batches.index_rc && !s->batches.cur->n && !s->stopping &&
        ld_store_index_pending(s->store) >= LD_INDEX_IDLE) {
        ld_background_index(s);
        if (s->batches.busy)
            return;
    }
    ld_batches_idle(s, true);
}

/* The stream index, written behind the log (store.h), when the log has been
 * quiet for LD_INDEX_QUIET_MS, in steps of LD_INDEX_STEP entries, one
 * transaction each: a batch decided meanwhile waits for one step at most, and
 * the steps go on only while nothing is submitted. No commit carries index
 * entries (loop.c opens the store so); only when LD_INDEX_FORCE events wait
 * does one step run between two commits however busy the log is, so the
 * unindexed tail (its memory, the stream readers' scan) stays bounded. */
static void on_index_timer(uv_timer_t *t)
{
    server_t *s = ld_container_of(t, server_t, batches.index_timer);
    ld_batches_t *bs = &s->batches;
    if (bs->busy || bs->cur->n || s->stopping ||
        ld_mono_ns() - bs->last_submit_ns < LD_INDEX_QUIET_MS * 1000000ull)
        return; /* not quiet: the next idle writer arms it again */
    ld_background_index(s);
}

void ld_background_arm_index(server_t *s)
{
    ld_batches_t *bs = &s->batches;
    if (!bs->index_timer_inited || ld_store_index_pending(s->store) < LD_INDEX_IDLE)
        return;
    int rc = uv_timer_start(&bs->index_timer, on_index_timer, LD_INDEX_QUIET_MS, 0);
    if (rc)
        ld_log(LD_LOG_WARN, "stream index not scheduled", "error=\"%s\"", uv_strerror(rc));
}

void ld_background_index(server_t *s)
{
    ld_batches_t *bs = &s->batches;
    if (bs->busy || ld_store_index_pending(s->store) < LD_INDEX_IDLE)
        return;
    bs->index_t0 = ld_mono_ns();
    int rc = uv_queue_work(s->loop, &bs->index_work, index_cb, after_index_cb);
    if (rc) {
        ld_log(LD_LOG_WARN, "stream index not queued", "error=\"%s\"", uv_strerror(rc));
        return;
    }
    bs->busy = true;
}

/* Written zeros ahead of LMDB's last page (ld_store_reserve), a step at a
 * time when the writer is idle, at most every LD_RESERVE_EVERY_MS: commits
 * then write inside the file and their one flush (nometasync) commits no
 * file-size change. After a full disk it waits LD_RESERVE_BACKOFF_MS. */
static void reserve_cb(uv_work_t *w)
{
    server_t *s = ld_container_of(w, server_t, batches.reserve_work);
    s->batches.reserve_rc = ld_store_reserve(s->store, LD_RESERVE_AHEAD, LD_RESERVE_STEP);
}

static void after_reserve_cb(uv_work_t *w, int status)
{
    server_t *s = ld_container_of(w, server_t, batches.reserve_work);
    ld_batches_t *bs = &s->batches;
    (void)status;
    bs->busy = false;
    if (bs->reserve_rc) {
        bs->reserve_ns += LD_RESERVE_BACKOFF_MS * 1000000ull;
        ld_log(LD_LOG_DEBUG, "no zeros written ahead of the log", "error=\"%s\"",
               ld_strerror(bs->reserve_rc));
    }
    ld_batches_idle(s, true);
}

bool ld_background_reserve(server_t *s)
{
    ld_batches_t *bs = &s->batches;
    uint64_t now = ld_mono_ns();
    if (bs->busy || now < bs->reserve_ns + LD_RESERVE_EVERY_MS * 1000000ull)
        return false;
    bs->reserve_ns = now;
    int rc = uv_queue_work(s->loop, &bs->reserve_work, reserve_cb, after_reserve_cb);
    if (rc) {
        ld_log(LD_LOG_WARN, "zeros ahead of the log not queued", "error=\"%s\"", uv_strerror(rc));
        return false;
    }
    bs->busy = true;
    return true;
}

static void sync_cb(uv_work_t *w)
{
    server_t *s = ld_container_of(w, server_t, batches.sync_work);
    s->batches.sync_rc = ld_store_sync(s->store);
}

static void after_sync_cb(uv_work_t *w, int status)
{
    server_t *s = ld_container_of(w, server_t, batches.sync_work);
    (void)status;
    s->batches.syncing = false;
    if (s->batches.sync_rc)
        ld_log(LD_LOG_ERROR, "sync failed", "error=\"%s\"", ld_strerror(s->batches.sync_rc));
}

static void on_sync_timer(uv_timer_t *t)
{
    server_t *s = ld_container_of(t, server_t, batches.sync_timer);
    ld_batches_t *bs = &s->batches;
    if (bs->syncing || bs->busy || bs->cur->n)
        return; /* a commit is coming or running: its flush does it */
    int rc = uv_queue_work(s->loop, &bs->sync_work, sync_cb, after_sync_cb);
    if (rc) {
        ld_log(LD_LOG_WARN, "sync not queued", "error=\"%s\"", uv_strerror(rc));
        return;
    }
    bs->syncing = true;
}

/* --durability nometasync: a commit returns after one flush (its data); its
 * meta page becomes durable with the next commit's flush, or with a sync once
 * the writer has been idle for LD_SYNC_QUIET_MS (each idle moment restarts the
 * timer). Started at once, that sync's flush ran beside the next commit's at
 * 10 k/s, and the commit's fdatasync waited for it: commits of 65-130 ms on a
 * loaded disk, none without it (ladder-bench daemon, commit histogram). The
 * sync takes no lock. What the delay costs: the window in which an OS crash
 * can roll back the last commit grows by LD_SYNC_QUIET_MS (README,
 * "Durability"). */
void ld_background_sync(server_t *s)
{
    ld_batches_t *bs = &s->batches;
    if (s->cfg.durability != LD_DURABILITY_NOMETASYNC || !bs->sync_timer_inited)
        return;
    int rc = uv_timer_start(&bs->sync_timer, on_sync_timer, LD_SYNC_QUIET_MS, 0);
    if (rc)
        ld_log(LD_LOG_WARN, "sync not scheduled", "error=\"%s\"", uv_strerror(rc));
}

int ld_background_open(server_t *s)
{
    ld_batches_t *bs = &s->batches;
    int rc = uv_timer_init(s->loop, &bs->index_timer);
    if (rc) {
        ld_log(LD_LOG_ERROR, "cannot set up the loop", "handle=index error=\"%s\"", uv_strerror(rc));
        return LD_EIO;
    }
    bs->index_timer_inited = true;
    if ((rc = uv_timer_init(s->loop, &bs->sync_timer))) {
        ld_log(LD_LOG_ERROR, "cannot set up the loop", "handle=sync error=\"%s\"", uv_strerror(rc));
        return LD_EIO;
    }
    bs->sync_timer_inited = true;
    return 0;
}

static void close_cb(uv_handle_t *h)
{
    (void)h;
}

void ld_background_close(server_t *s)
{
    ld_batches_t *bs = &s->batches;
    if (bs->index_timer_inited)
        uv_close((uv_handle_t *)&bs->index_timer, close_cb);
    if (bs->sync_timer_inited)
        uv_close((uv_handle_t *)&bs->sync_timer, close_cb);
    bs->index_timer_inited = bs->sync_timer_inited = false;
}
