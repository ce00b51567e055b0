/* history.c — answers computed from the committed log, off the loop (shell.h).
 *
 * Owns the jobs that read the log on the libuv thread pool: ReadEvents (a
 * stream's unindexed tail is a scan), the periodic snapshot, and the folds of
 * Explain with as_of (§11: the state as it was), the rules what-if (§10,
 * whatif.h) and the Stats digest. A fold starts
 * from the nearest archived snapshot at or before its target ("core@<seq>.<ms>",
 * written beside "core" by batches.c, the last LD_HISTORY_KEEP kept) and folds
 * the log after it in a read transaction, so its cost is bounded by the
 * snapshot interval and not by the length of the log, and the loop and the
 * writer never wait for it. The reply is packed by the job and sent by the
 * loop when the job returns; nothing of it is held with a batch.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "log.h"
#include "replay.h"
#include "shell.h"
#include "whatif.h"

#define E(x) LADDER__V1__ERROR_CODE__##x

typedef struct job {
    uv_work_t work;
    server_t *s;
    struct job *next;       /* WAL: the next job waiting for LMDB */
    uint64_t need;          /* ... the seq LMDB must hold before it runs */
    uint8_t ident[256];
    uint8_t ident_len;
    uint8_t rid[LD_REQUEST_ID_MAX];
    uint8_t rid_len;
    Ladder__V1__Query *q;   /* Explain: owned copy of the query */
    bool snapshot;          /* the periodic snapshot at to_seq */
    uint64_t t0;
    int rc;
    bool read;              /* ReadEvents: p holds its page and filters */
    pending_t p;
    uint64_t to_seq;        /* Stats digest: the head when asked */
    int64_t to_ms;
    Ladder__V1__StatsView view; /* Stats: the counters when asked */
    uint64_t bh[LD_HIST], ch[LD_HIST];
    uint8_t digest[32];
    uint8_t *reply;         /* packed Reply, set by the job */
    size_t reply_len;
} job_t;

static void pack_reply(job_t *j, const Ladder__V1__Reply *r)
{
    j->reply_len = ladder__v1__reply__get_packed_size(r);
    j->reply = malloc(j->reply_len ? j->reply_len : 1);
    if (!j->reply)
        abort();
    ladder__v1__reply__pack(r, j->reply);
}

static void pack_error(job_t *j, int code, const char *section, const char *field, const char *msg)
{
    Ladder__V1__Error e = LADDER__V1__ERROR__INIT;
    e.code = (Ladder__V1__ErrorCode)code;
    e.message = (char *)msg;
    e.field = (char *)field;
    e.section = (char *)section;
    Ladder__V1__Reply r = LADDER__V1__REPLY__INIT;
    r.request_id = (ProtobufCBinaryData){j->rid_len, j->rid};
    r.outcome_case = LADDER__V1__REPLY__OUTCOME_ERROR;
    r.error = &e;
    pack_reply(j, &r);
}

/* "core@<seq>.<ms>": seq and the time of its last event, zero-padded so that
 * byte order is seq order. */
static bool parse_name(const char *name, uint64_t *seq, int64_t *ms)
{
    unsigned long long sq;
    long long m;
    if (sscanf(name, "core@%20llu.%20lld", &sq, &m) != 2)
        return false;
    *seq = sq, *ms = m;
    return true;
}

int ld_history_name(char *buf, size_t len, uint64_t seq, int64_t ms)
{
    int n = snprintf(buf, len, "core@%020" PRIu64 ".%020" PRId64, seq, ms < 0 ? 0 : ms);
    return n > 0 && (size_t)n < len ? 0 : LD_EINVAL;
}

/* The state at to_seq (0: the head) and before the first event after to_ms
 * (0: no limit), from the nearest archived snapshot. Returns NULL with *rc. */
static ld_core_t *fold_to(ld_store_t *st, uint64_t to_seq, int64_t to_ms, int *rc)
{
    char names[LD_HISTORY_KEEP * 4][LD_SNAPSHOT_NAME];
    size_t n = 0;
    ld_core_t *c = NULL;
    *rc = ld_store_snapshot_names(st, "core@", names, LD_HISTORY_KEEP * 4, &n);
    for (size_t i = n; !*rc && i-- > 0 && !c;) {
        uint64_t seq, got;
        int64_t ms;
        if (!parse_name(names[i], &seq, &ms) || (to_seq && seq > to_seq) || (to_ms && ms > to_ms))
            continue;
        void *data;
        size_t len;
        if (ld_store_snapshot_get(st, names[i], &got, &data, &len))
            continue;
        c = got == seq ? ld_core_from_snapshot(data, len) : NULL;
        free(data);
        if (c && ld_core_next_seq(c) != seq + 1)
            ld_core_destroy(&c);
    }
    if (*rc)
        return NULL;
    if (!c)
        c = ld_core_new(1); /* no snapshot early enough: the whole log */
    uint64_t folded;
    if ((*rc = ld_replay_until(st, c, to_seq, to_ms, &folded)))
        ld_core_destroy(&c);
    return c;
}

static void explain_job(job_t *j)
{
    int rc;
    ld_core_t *past = fold_to(j->s->store, j->q->explain->as_of_seq, j->q->explain->as_of_ms, &rc);
    if (!past) {
        char msg[256];
        snprintf(msg, sizeof msg, "explain: cannot fold the log: %s", ld_strerror(rc));
        pack_error(j, E(ERR_UNAVAILABLE), "§11", "explain", msg);
        return;
    }
    ld_out_t *out = ld_out_new();
    Ladder__V1__Ok ok = LADDER__V1__OK__INIT;
    ld_refusal_t why;
    if (ld_core_query(past, j->q, ld_core_last_at(past), out, &ok, &why) != 0) {
        pack_error(j, why.code, why.section, why.field, why.message);
    } else {
        Ladder__V1__Reply r = LADDER__V1__REPLY__INIT;
        r.request_id = (ProtobufCBinaryData){j->rid_len, j->rid};
        r.outcome_case = LADDER__V1__REPLY__OUTCOME_OK;
        r.ok = &ok;
        pack_reply(j, &r);
    }
    ld_out_destroy(&out);
    ld_core_destroy(&past);
}

static void digest_job(job_t *j)
{
    int rc;
    ld_core_t *c = fold_to(j->s->store, j->to_seq, 0, &rc);
    if (!c) {
        char msg[256];
        snprintf(msg, sizeof msg, "stats: cannot fold the log for the digest: %s", ld_strerror(rc));
        pack_error(j, E(ERR_UNAVAILABLE), "", "stats.with_digest", msg);
        return;
    }
    uint8_t *buf;
    size_t len;
    ld_core_snapshot(c, &buf, &len);
    crypto_generichash(j->digest, sizeof j->digest, buf, len, NULL, 0);
    free(buf);
    j->view.state_digest = (ProtobufCBinaryData){sizeof j->digest, j->digest};
    j->view.digest_seq = ld_core_next_seq(c) - 1;
    ld_core_destroy(&c);
    Ladder__V1__Ok ok = LADDER__V1__OK__INIT;
    ok.result_case = LADDER__V1__OK__RESULT_STATS;
    ok.stats = &j->view;
    Ladder__V1__Reply r = LADDER__V1__REPLY__INIT;
    r.request_id = (ProtobufCBinaryData){j->rid_len, j->rid};
    r.outcome_case = LADDER__V1__REPLY__OUTCOME_OK;
    r.ok = &ok;
    pack_reply(j, &r);
}

/* ReadEvents: committed events only, paged and filtered (reads.c). A
 * stream's events after the index are a scan of that tail of the log, and a
 * filter may read up to FILTER_SCAN_MAX entries: so it runs here. */
static void read_job(job_t *j)
{
    ld_reads_events(j->s->store, &j->p, &j->reply, &j->reply_len);
}

int ld_history_write_snapshot(ld_store_t *st, const ld_core_t *c, uint64_t seq, size_t *len)
{
    uint8_t *buf;
    ld_core_snapshot(c, &buf, len);
    /* "core" starts ladderd; the archived copy starts the folds here */
    char name[LD_SNAPSHOT_NAME];
    int rc = ld_store_snapshot_put(st, "core", seq, buf, *len);
    if (!rc && !(rc = ld_history_name(name, sizeof name, seq, ld_core_last_at(c))))
        rc = ld_store_snapshot_put(st, name, seq, buf, *len);
    free(buf);
    if (rc)
        return rc;
    char names[LD_HISTORY_KEEP * 4][LD_SNAPSHOT_NAME];
    size_t n = 0;
    if (!ld_store_snapshot_names(st, "core@", names, LD_HISTORY_KEEP * 4, &n))
        for (size_t i = 0; i + LD_HISTORY_KEEP < n; i++)
            ld_store_snapshot_del(st, names[i]); /* the oldest beyond the kept */
    return 0;
}

/* The periodic snapshot: the state at to_seq folded from the last archived
 * snapshot, serialized and stored here, so that neither the loop nor a
 * commit waits for the serialization (a commit waits only while LMDB writes
 * the snapshot's pages, its transactions being one at a time). */
static void snapshot_job(job_t *j)
{
    int rc;
    ld_core_t *c = fold_to(j->s->store, j->to_seq, 0, &rc);
    if (c && ld_core_next_seq(c) != j->to_seq + 1)
        rc = LD_EINTERNAL; /* the log ended before to_seq: not the state asked for */
    if (c && !rc)
        rc = ld_history_write_snapshot(j->s->store, c, j->to_seq, &j->reply_len);
    j->rc = rc;
    ld_core_destroy(&c);
}

typedef struct {
    ld_whatif_t *w;
    ld_refusal_t why;
    int failed;
} feed_t;

static int whatif_feed(void *ctx, const Ladder__V1__Event *ev)
{
    feed_t *f = ctx;
    int rc = ld_whatif_feed(f->w, ev, &f->why);
    if (rc < 0)
        f->failed = 1;
    return rc ? 1 : 0;
}

/* §10: the what-if from the nearest snapshot before its span, over the log
 * committed when it runs; it never writes. */
static void whatif_job(job_t *j)
{
    const Ladder__V1__WhatIf *q = j->q->what_if;
    ld_core_t *base = NULL;
    int rc = 0;
    if (q->from_seq > 1 || q->from_ms > 0) {
        base = fold_to(j->s->store, q->from_seq > 1 ? q->from_seq - 1 : 0,
                       q->from_seq > 1 ? 0 : q->from_ms - 1, &rc);
        if (!base) {
            char msg[256];
            snprintf(msg, sizeof msg, "what-if: cannot fold the log: %s", ld_strerror(rc));
            pack_error(j, E(ERR_UNAVAILABLE), "§10", "what_if", msg);
            return;
        }
    }
    ld_refusal_t why;
    ld_whatif_t *w = ld_whatif_new(base, q, &why);
    if (!w) {
        pack_error(j, why.code ? why.code : E(ERR_INVALID), "§10", "what_if.rules_json",
                   why.message);
        return;
    }
    feed_t f = {.w = w};
    uint64_t bad = 0;
    rc = ld_replay_each(j->s->store, ld_whatif_next_seq(w), whatif_feed, &f, &bad);
    if (f.failed || (rc != 0 && rc != 1)) {
        char msg[400];
        snprintf(msg, sizeof msg, "what-if: %s",
                 f.failed ? f.why.message : "the log does not decode (run ladderctl verify)");
        pack_error(j, E(ERR_INTERNAL), "§10", "what_if", msg);
        ld_whatif_destroy(&w);
        return;
    }
    ld_out_t *out = ld_out_new();
    Ladder__V1__WhatIfReport rep = LADDER__V1__WHAT_IF_REPORT__INIT;
    ld_whatif_report(w, out, &rep);
    Ladder__V1__Ok ok = LADDER__V1__OK__INIT;
    ok.result_case = LADDER__V1__OK__RESULT_WHAT_IF;
    ok.what_if = &rep;
    Ladder__V1__Reply r = LADDER__V1__REPLY__INIT;
    r.request_id = (ProtobufCBinaryData){j->rid_len, j->rid};
    r.outcome_case = LADDER__V1__REPLY__OUTCOME_OK;
    r.ok = &ok;
    pack_reply(j, &r);
    ld_out_destroy(&out);
    ld_whatif_destroy(&w);
}

static void work_cb(uv_work_t *w)
{
    job_t *j = ld_container_of(w, job_t, work);
    if (j->snapshot)
        snapshot_job(j);
    else if (j->read)
        read_job(j);
    else if (j->q && j->q->q_case == LADDER__V1__QUERY__Q_WHAT_IF)
        whatif_job(j);
    else if (j->q)
        explain_job(j);
    else
        digest_job(j);
}

static void after_cb(uv_work_t *w, int status)
{
    job_t *j = ld_container_of(w, job_t, work);
    server_t *s = j->s;
    s->history.jobs--;
    if (j->snapshot) {
        s->history.snapshotting = false;
        if (status || j->rc) {
            ld_log(LD_LOG_WARN, "snapshot failed", "error=\"%s\"",
                   ld_strerror(status ? LD_EINTERNAL : j->rc));
        } else {
            if (j->to_seq > s->batches.snap_seq)
                s->batches.snap_seq = j->to_seq;
            ld_log(LD_LOG_INFO, "snapshot written", "seq=%llu bytes=%zu ms=%.1f",
                   (unsigned long long)j->to_seq, j->reply_len,
                   (double)(ld_mono_ns() - j->t0) / 1e6);
        }
        free(j);
        return;
    }
    if (status == 0 && j->reply)
        ld_router_send(s, j->ident, j->ident_len, j->reply, j->reply_len);
    if (j->q)
        ladder__v1__query__free_unpacked(j->q, NULL);
    free(j->reply);
    free(j);
}

static void start(server_t *s, job_t *j)
{
    int rc = uv_queue_work(s->loop, &j->work, work_cb, after_cb);
    if (rc) {
        ld_log(LD_LOG_ERROR, "cannot queue a read job", "error=\"%s\"", uv_strerror(rc));
        pack_error(j, E(ERR_UNAVAILABLE), "", "", "the thread pool refused the job; ask again");
        after_cb(&j->work, 0);
    }
}

/* Queues j; on failure answers ERR_UNAVAILABLE at once. Every job reads the
 * log in LMDB, which with the write-ahead log may lack the last batches
 * acknowledged: then j waits until L has written them (ld_history_lmdb), so
 * no read misses an acknowledged event. */
static void queue(server_t *s, job_t *j, pending_t *p)
{
    s->history.jobs++;
    p->sent = true; /* answered by the job, not with the batch */
    if (s->batches.lmdb_seq < s->batches.committed_seq) {
        j->need = s->batches.committed_seq;
        j->next = NULL;
        if (s->history.waiting_last)
            s->history.waiting_last->next = j;
        else
            s->history.waiting = j;
        s->history.waiting_last = j;
        return;
    }
    start(s, j);
}

void ld_history_lmdb(server_t *s)
{
    ld_history_t *h = &s->history;
    /* needs grow along the list: committed_seq only grows */
    while (h->waiting && h->waiting->need <= s->batches.lmdb_seq) {
        job_t *j = h->waiting;
        h->waiting = j->next;
        if (!h->waiting)
            h->waiting_last = NULL;
        start(s, j);
    }
}

static job_t *job_new(server_t *s, const pending_t *p)
{
    job_t *j = calloc(1, sizeof *j);
    if (!j)
        abort();
    j->s = s;
    j->ident_len = p->ident_len;
    memcpy(j->ident, p->ident, p->ident_len);
    j->rid_len = p->rid_len;
    memcpy(j->rid, p->rid, p->rid_len);
    return j;
}

void ld_history_explain(server_t *s, pending_t *p, const Ladder__V1__Query *q)
{
    job_t *j = job_new(s, p);
    /* the request is freed when the loop returns: the job keeps its own copy */
    size_t len = ladder__v1__query__get_packed_size(q);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        abort();
    ladder__v1__query__pack(q, buf);
    j->q = ladder__v1__query__unpack(NULL, len, buf);
    free(buf);
    if (!j->q)
        abort(); /* it was decoded from the same bytes a moment ago */
    queue(s, j, p);
}

void ld_history_snapshot(server_t *s, uint64_t seq)
{
    if (s->history.snapshotting)
        return;
    job_t *j = calloc(1, sizeof *j);
    if (!j)
        abort();
    j->s = s;
    j->snapshot = true;
    j->to_seq = seq;
    j->t0 = ld_mono_ns();
    int rc = uv_queue_work(s->loop, &j->work, work_cb, after_cb);
    if (rc) {
        ld_log(LD_LOG_WARN, "snapshot not queued", "error=\"%s\"", uv_strerror(rc));
        free(j);
        return;
    }
    s->history.jobs++;
    s->history.snapshotting = true;
}

void ld_history_read_events(server_t *s, pending_t *p)
{
    job_t *j = job_new(s, p);
    j->read = true;
    j->p = *p;
    queue(s, j, p);
}

void ld_history_digest(server_t *s, pending_t *p, const Ladder__V1__StatsView *v,
                       const uint64_t *bh, const uint64_t *ch)
{
    job_t *j = job_new(s, p);
    j->view = *v;
    memcpy(j->bh, bh, sizeof j->bh);
    memcpy(j->ch, ch, sizeof j->ch);
    j->view.batch_size_hist = j->bh;
    j->view.commit_latency_us_hist = j->ch;
    j->to_seq = s->batches.committed_seq;
    queue(s, j, p);
}
