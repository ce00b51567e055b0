/* server.c — ladderd's loop (server.h). One libuv loop owns the core; the
 * libuv thread pool runs one store commit at a time.
 *
 * Write path (DESIGN.md): requests read in a loop turn are decided at once
 * into the current batch (each request under a savepoint, so a batch of
 * commands is all-or-nothing); every reply and update is built then, and
 * held. When no commit is in flight the batch goes to the writer as one LMDB
 * transaction; meanwhile the next batch collects. Only when the commit has
 * returned are its replies sent and its updates published. A failed commit
 * answers every held request with ERR_UNAVAILABLE and rebuilds the core from
 * the store, so nothing unwritten is ever visible.
 */
#include "server.h"

#include <errno.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>
#include <sodium.h>
#include <zmq.h>

#include "auth.h"
#include "core.h"
#include "log.h"
#include "replay.h"
#include "store.h"
#include "topics.h"
#include "version.h"
#include "wire.h"

#define MAX_COMMANDS 1000
#define DRAIN_MAX 2048
#define HIST 24

#define E(x) LADDER__V1__ERROR_CODE__##x

typedef struct {
    uint8_t ident[256];
    uint8_t ident_len;
    uint8_t rid[LD_REQUEST_ID_MAX];
    uint8_t rid_len;
    bool internal;          /* a deadline command of our own: no reply */
    bool has_events;
    long dup_of;            /* index of the same request id earlier in this batch */
    size_t ev_start, ev_end;
    size_t reply_off, reply_len;
    bool deferred;          /* ReadEvents: answered after the commit */
    uint64_t from;
    uint32_t max;
    char stream[LD_STREAM_MAX + 1];
    /* ReadEvents filters (gap fill): body field numbers, stream and topic prefixes */
    bool filtered;
    uint64_t types[8];      /* bit set of Event.body field numbers < 512; all zero: any */
    char stream_prefix[LD_STREAM_MAX + 1];
    char topic_prefix[LD_TOPIC_MAX];
} pending_t;

typedef struct {
    size_t topic_off, topic_len, body_off, body_len;
} update_t;

typedef struct {
    uint64_t *h;            /* request-id hash, 0 = empty */
    uint32_t *idx;
    size_t cap, n;
} ridmap_t;

typedef struct {
    ld_out_t *out;
    pending_t *p;
    size_t n, cap;
    update_t *u;
    size_t nu, capu;
    uint8_t *blob;
    size_t blen, bcap;
    ld_append_t *apps;
    size_t napps, capapps;
    ridmap_t rids;
    int rc;
    uint64_t t_submit;
} batch_t;

/* A board whose top changed since it was last published (§9, board.*). */
typedef struct {
    char value[64];
    uint8_t window, scope;
    uint64_t seq;
} dirty_t;

typedef struct {
    uint64_t requests, commands, queries, errors, batches, events;
    uint64_t batch_hist[HIST], commit_hist[HIST];
    uint64_t replayed_at_start;
} stats_t;

typedef struct {
    ld_config_t cfg;
    uv_loop_t *loop;
    void *zctx, *router, *pub;
    ld_auth_t *auth;        /* CURVE keys and principals; NULL without --keys */
    void *zap;              /* the ZAP handler (REP on inproc://zeromq.zap.01) */
    uv_poll_t zap_poll;
    uv_poll_t poll;
    uv_idle_t idle;
    uv_check_t check;
    uv_timer_t deadline;
    uv_timer_t boards;      /* publishes dirty boards, at most every 100 ms */
    dirty_t *dirty;
    size_t ndirty, capdirty;
    uv_signal_t sigint, sigterm;
    uv_work_t work;
    ld_store_t *store;
    ld_core_t *core;
    ld_topics_t *topics;    /* last seq per evt/level/points topic, as decided (prev_seq) */
    ld_topics_t *shown;     /* last publication per board/cases topic in this process */
    ld_out_t *qout;         /* scratch for query answers */
    batch_t b[2];
    batch_t *cur, *writing;
    bool writer_busy, stopping;
    int signals;
    int64_t manual_now, last_now;
    uint64_t snap_seq;
    uint64_t started_ns;
    stats_t st;
} server_t;

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int64_t clock_now(server_t *s)
{
    int64_t now;
    if (s->cfg.manual_clock) {
        now = s->manual_now;
    } else {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    }
    /* never decide before what is already recorded */
    int64_t last = ld_core_last_at(s->core);
    if (now < last)
        now = last;
    if (now < s->last_now)
        now = s->last_now;
    s->last_now = now;
    return now;
}

static void hist_add(uint64_t *h, uint64_t v)
{
    int b = 0;
    while (v > 1 && b < HIST - 1) {
        v >>= 1;
        b++;
    }
    h[b]++;
}

/* ---------------------------------------------------------------- batch -- */

static void *grow(void *p, size_t *cap, size_t need, size_t size)
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

static size_t blob_put(batch_t *b, const void *data, size_t len)
{
    b->blob = grow(b->blob, &b->bcap, b->blen + len, 1);
    size_t off = b->blen;
    memcpy(b->blob + off, data, len);
    b->blen += len;
    return off;
}

/* Packs a protobuf message into the batch blob; returns its offset. */
static size_t blob_pack(batch_t *b, const ProtobufCMessage *m, size_t *len)
{
    *len = protobuf_c_message_get_packed_size(m);
    b->blob = grow(b->blob, &b->bcap, b->blen + *len, 1);
    size_t off = b->blen;
    protobuf_c_message_pack(m, b->blob + off);
    b->blen += *len;
    return off;
}

static uint64_t rid_hash(const uint8_t *r, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ r[i]) * 1099511628211ull;
    return h | 1;
}

static long rid_find(const batch_t *b, const uint8_t *r, size_t n)
{
    if (!b->rids.cap)
        return -1;
    uint64_t h = rid_hash(r, n);
    for (size_t i = h & (b->rids.cap - 1); b->rids.h[i]; i = (i + 1) & (b->rids.cap - 1)) {
        const pending_t *p = &b->p[b->rids.idx[i]];
        if (b->rids.h[i] == h && p->rid_len == n && !memcmp(p->rid, r, n))
            return b->rids.idx[i];
    }
    return -1;
}

static void rid_add(batch_t *b, uint32_t idx)
{
    ridmap_t *m = &b->rids;
    if ((m->n + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 256;
        uint64_t *h = calloc(cap, sizeof *h);
        uint32_t *ix = calloc(cap, sizeof *ix);
        if (!h || !ix)
            abort();
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->h[i])
                continue;
            size_t j = m->h[i] & (cap - 1);
            while (h[j])
                j = (j + 1) & (cap - 1);
            h[j] = m->h[i];
            ix[j] = m->idx[i];
        }
        free(m->h);
        free(m->idx);
        m->h = h, m->idx = ix, m->cap = cap;
    }
    const pending_t *p = &b->p[idx];
    uint64_t h = rid_hash(p->rid, p->rid_len);
    size_t i = h & (m->cap - 1);
    while (m->h[i])
        i = (i + 1) & (m->cap - 1);
    m->h[i] = h;
    m->idx[i] = idx;
    m->n++;
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

static pending_t *pending_new(batch_t *b, const uint8_t *ident, size_t ident_len)
{
    b->p = grow(b->p, &b->cap, b->n + 1, sizeof *b->p);
    pending_t *p = &b->p[b->n++];
    memset(p, 0, offsetof(pending_t, stream) + 1);
    p->dup_of = -1;
    p->ident_len = (uint8_t)(ident_len > 255 ? 255 : ident_len);
    memcpy(p->ident, ident, p->ident_len);
    return p;
}

static void set_reply(batch_t *b, pending_t *p, const Ladder__V1__Reply *r)
{
    p->reply_off = blob_pack(b, &r->base, &p->reply_len);
}

static void reply_error(server_t *s, batch_t *b, pending_t *p, int code, const char *section,
                        const char *field, uint32_t index, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));

static void reply_error(server_t *s, batch_t *b, pending_t *p, int code, const char *section,
                        const char *field, uint32_t index, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    Ladder__V1__Error e = LADDER__V1__ERROR__INIT;
    e.code = (Ladder__V1__ErrorCode)code;
    e.message = msg;
    e.field = (char *)(field ? field : "");
    e.section = (char *)(section ? section : "");
    e.command_index = index;
    Ladder__V1__Reply r = LADDER__V1__REPLY__INIT;
    r.request_id = (ProtobufCBinaryData){p->rid_len, p->rid};
    r.outcome_case = LADDER__V1__REPLY__OUTCOME_ERROR;
    r.error = &e;
    set_reply(b, p, &r);
    s->st.errors++;
}

/* ------------------------------------------------------------- updates -- */

static void add_update(batch_t *b, const char *topic, const Ladder__V1__Update *u)
{
    b->u = grow(b->u, &b->capu, b->nu + 1, sizeof *b->u);
    update_t *x = &b->u[b->nu++];
    x->topic_len = strlen(topic);
    x->topic_off = blob_put(b, topic, x->topic_len);
    x->body_off = blob_pack(b, &u->base, &x->body_len);
}

static const char *body_name(const Ladder__V1__Event *ev)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field(&ladder__v1__event__descriptor, ev->body_case);
    return f ? f->name : "unknown";
}

static void points_update(server_t *s, batch_t *b, const char *emp, uint64_t seq, int64_t delta)
{
    long i = ld_core_employee_find(s->core, emp);
    if (i < 0)
        return;
    ld_emp_summary_t e;
    ld_core_employee_at(s->core, (size_t)i, &e);
    Ladder__V1__PointsUpdate pu = LADDER__V1__POINTS_UPDATE__INIT;
    pu.employee_id = (char *)e.id;
    pu.total = e.total, pu.since_level = e.since_level, pu.in_year = e.in_year, pu.delta = delta;
    char topic[64];
    snprintf(topic, sizeof topic, "points.%s", emp);
    Ladder__V1__Update u = LADDER__V1__UPDATE__INIT;
    u.topic = topic;
    u.seq = seq;
    u.prev_seq = ld_topics_swap(s->topics, topic, seq);
    u.payload_case = LADDER__V1__UPDATE__PAYLOAD_POINTS;
    u.points = &pu;
    add_update(b, topic, &u);
}

static void level_update(server_t *s, batch_t *b, const char *emp, uint64_t seq, uint32_t from,
                         uint32_t to, const char *cause)
{
    ld_out_reset(s->qout);
    Ladder__V1__LevelUpdate lu = LADDER__V1__LEVEL_UPDATE__INIT;
    lu.employee_id = (char *)emp;
    lu.from_level = from;
    lu.level = ld_core_level_info(s->core, s->qout, to);
    lu.cause = (char *)cause;
    char topic[64];
    snprintf(topic, sizeof topic, "level.%s", emp);
    Ladder__V1__Update u = LADDER__V1__UPDATE__INIT;
    u.topic = topic;
    u.seq = seq;
    u.prev_seq = ld_topics_swap(s->topics, topic, seq);
    u.payload_case = LADDER__V1__UPDATE__PAYLOAD_LEVEL;
    u.level = &lu;
    add_update(b, topic, &u);
}

/* The updates of events [from, to) of the batch, built now and held. */
static void build_updates(server_t *s, batch_t *b, size_t from, size_t to)
{
    Ladder__V1__Event **ev = ld_out_events(b->out);
    for (size_t k = from; k < to; k++) {
        const Ladder__V1__Event *e = ev[k];
        char topic[64];
        snprintf(topic, sizeof topic, "evt.%s", body_name(e));
        Ladder__V1__Update u = LADDER__V1__UPDATE__INIT;
        u.topic = topic;
        u.seq = e->seq;
        u.prev_seq = ld_topics_swap(s->topics, topic, e->seq);
        u.payload_case = LADDER__V1__UPDATE__PAYLOAD_EVENT;
        u.event = (Ladder__V1__Event *)e;
        add_update(b, topic, &u);
        switch (e->body_case) {
        case LADDER__V1__EVENT__BODY_POINTS_AWARDED:
            points_update(s, b, e->points_awarded->employee_id, e->seq, e->points_awarded->amount);
            break;
        case LADDER__V1__EVENT__BODY_POINTS_ADJUSTED:
            points_update(s, b, e->points_adjusted->employee_id, e->seq, e->points_adjusted->amount);
            break;
        case LADDER__V1__EVENT__BODY_PROMOTED:
            level_update(s, b, e->promoted->employee_id, e->seq, e->promoted->from_level,
                         e->promoted->to_level, "promoted");
            break;
        case LADDER__V1__EVENT__BODY_RETENTION_YEAR_CLOSED:
            if (!e->retention_year_closed->kept)
                level_update(s, b, e->retention_year_closed->employee_id, e->seq,
                             e->retention_year_closed->level, e->retention_year_closed->new_level,
                             "demoted");
            break;
        case LADDER__V1__EVENT__BODY_APPEAL_DECIDED:
            if (e->appeal_decided->overturned)
                level_update(s, b, e->appeal_decided->employee_id, e->seq,
                             e->appeal_decided->restored_level - 1,
                             e->appeal_decided->restored_level, "appeal overturned");
            break;
        default:
            break;
        }
    }
}

/* ------------------------------------------------------------ requests -- */

/* Decides the commands of one request into the current batch, all or nothing. */
static void do_commands(server_t *s, pending_t *p, Ladder__V1__Request *req)
{
    batch_t *b = s->cur;
    ld_ctx_t ctx = {0, req->principal ? req->principal->id : "", 
                    req->principal ? req->principal->roles : 0, p->rid, p->rid_len};
    uint32_t mark = ld_core_savepoint(s->core);
    size_t start = ld_out_count(b->out);
    ld_refusal_t why;
    bool advanced = false;
    for (size_t k = 0; k < req->n_commands; k++) {
        Ladder__V1__Command *cmd = req->commands[k];
        if (cmd->cmd_case == LADDER__V1__COMMAND__CMD_ADVANCE_CLOCK && !s->cfg.manual_clock) {
            ld_core_rollback(s->core, mark);
            ld_core_release(s->core);
            ld_out_truncate(b->out, start);
            reply_error(s, b, p, E(ERR_INVALID), "", "advance_clock", (uint32_t)k,
                        "advance_clock: refused: ladderd runs on the system clock "
                        "(start it with --clock manual to move time)");
            return;
        }
        if (cmd->cmd_case == LADDER__V1__COMMAND__CMD_DRAW_EXAM && cmd->draw_exam->seed == 0) {
            uint64_t seed = 0;
            while (seed == 0 && getrandom(&seed, sizeof seed, 0) != sizeof seed)
                ;
            cmd->draw_exam->seed = seed ? seed : 1;
        }
        ctx.now_ms = clock_now(s);
        if (ld_core_execute(s->core, cmd, &ctx, b->out, &why) != 0) {
            ld_core_rollback(s->core, mark);
            ld_core_release(s->core);
            ld_out_truncate(b->out, start);
            char field[160];
            if (req->n_commands > 1 && why.field[0])
                snprintf(field, sizeof field, "commands[%zu].%s", k, why.field);
            else
                snprintf(field, sizeof field, "%s", why.field);
            reply_error(s, b, p, why.code, why.section, field, (uint32_t)k, "%s", why.message);
            return;
        }
        if (cmd->cmd_case == LADDER__V1__COMMAND__CMD_ADVANCE_CLOCK) {
            s->manual_now = cmd->advance_clock->to_ms;
            advanced = true;
        }
        s->st.commands++;
    }
    ld_core_release(s->core);
    size_t end = ld_out_count(b->out);
    Ladder__V1__Event **ev = ld_out_events(b->out);
    uint64_t seqs[256], *sp = end - start <= 256 ? seqs : malloc((end - start) * sizeof *sp);
    if (!sp)
        abort();
    for (size_t k = start; k < end; k++)
        sp[k - start] = ev[k]->seq;
    Ladder__V1__Ok ok = LADDER__V1__OK__INIT;
    ok.n_seqs = end - start;
    ok.seqs = sp;
    Ladder__V1__Reply r = LADDER__V1__REPLY__INIT;
    r.request_id = (ProtobufCBinaryData){p->rid_len, p->rid};
    r.outcome_case = LADDER__V1__REPLY__OUTCOME_OK;
    r.ok = &ok;
    set_reply(b, p, &r);
    if (sp != seqs)
        free(sp);
    p->has_events = end > start;
    p->ev_start = start;
    p->ev_end = end;
    build_updates(s, b, start, end);
    (void)advanced;
}

static void fire_deadlines(server_t *s);

static void stats_view(server_t *s, Ladder__V1__StatsView *v, uint64_t *bh, uint64_t *ch,
                       uint8_t digest[32], bool with_digest)
{
    uint64_t head;
    ld_store_head(s->store, &head, NULL);
    v->head_seq = head;
    v->requests = s->st.requests, v->commands = s->st.commands, v->queries = s->st.queries;
    v->errors = s->st.errors, v->batches = s->st.batches;
    memcpy(bh, s->st.batch_hist, sizeof s->st.batch_hist);
    memcpy(ch, s->st.commit_hist, sizeof s->st.commit_hist);
    v->n_batch_size_hist = HIST, v->batch_size_hist = bh;
    v->n_commit_latency_us_hist = HIST, v->commit_latency_us_hist = ch;
    v->uptime_s = (mono_ns() - s->started_ns) / 1000000000ull;
    v->employees = ld_core_employee_count(s->core);
    v->events_replayed_at_start = s->st.replayed_at_start;
    v->server_version = LADDER_SERVER_VERSION;
    v->contract_version = LADDER_CONTRACT_VERSION;
    if (with_digest) {
        uint8_t *buf;
        size_t len;
        ld_core_snapshot(s->core, &buf, &len);
        crypto_generichash(digest, 32, buf, len, NULL, 0);
        free(buf);
        v->state_digest = (ProtobufCBinaryData){32, digest};
    }
}

/* Clone pattern: every level.* and points.* value now, with the seq of the
 * last event decided (its reply is held until that event is committed). */
static void topic_snapshot(server_t *s, batch_t *b, pending_t *p, const char *prefix)
{
    size_t n = ld_core_employee_count(s->core);
    size_t plen = strlen(prefix);
    ld_out_reset(s->qout);
    Ladder__V1__Update **us = calloc(2 * n + 1, sizeof *us);
    Ladder__V1__Update *ub = calloc(2 * n + 1, sizeof *ub);
    Ladder__V1__LevelUpdate *lb = calloc(n + 1, sizeof *lb);
    Ladder__V1__PointsUpdate *pb = calloc(n + 1, sizeof *pb);
    char (*topics)[2][48] = calloc(n + 1, sizeof *topics);
    if (!us || !ub || !lb || !pb || !topics)
        abort();
    size_t k = 0;
    uint64_t seq = ld_core_next_seq(s->core) - 1;
    for (size_t i = 0; i < n; i++) {
        ld_emp_summary_t e;
        ld_core_employee_at(s->core, i, &e);
        snprintf(topics[i][0], 48, "level.%s", e.id);
        snprintf(topics[i][1], 48, "points.%s", e.id);
        if (!strncmp(topics[i][0], prefix, plen)) {
            ladder__v1__level_update__init(&lb[i]);
            lb[i].employee_id = (char *)e.id;
            lb[i].from_level = e.level;
            lb[i].level = ld_core_level_info(s->core, s->qout, e.level);
            lb[i].cause = "snapshot";
            ladder__v1__update__init(&ub[k]);
            ub[k].topic = topics[i][0];
            ub[k].seq = seq;
            ub[k].prev_seq = ld_topics_get(s->topics, topics[i][0]);
            ub[k].payload_case = LADDER__V1__UPDATE__PAYLOAD_LEVEL;
            ub[k].level = &lb[i];
            us[k] = &ub[k];
            k++;
        }
        if (!strncmp(topics[i][1], prefix, plen)) {
            ladder__v1__points_update__init(&pb[i]);
            pb[i].employee_id = (char *)e.id;
            pb[i].total = e.total, pb[i].since_level = e.since_level, pb[i].in_year = e.in_year;
            ladder__v1__update__init(&ub[k]);
            ub[k].topic = topics[i][1];
            ub[k].seq = seq;
            ub[k].prev_seq = ld_topics_get(s->topics, topics[i][1]);
            ub[k].payload_case = LADDER__V1__UPDATE__PAYLOAD_POINTS;
            ub[k].points = &pb[i];
            us[k] = &ub[k];
            k++;
        }
    }
    Ladder__V1__TopicSnapshot ts = LADDER__V1__TOPIC_SNAPSHOT__INIT;
    ts.seq = seq;
    ts.n_updates = k;
    ts.updates = us;
    size_t nlast;
    Ladder__V1__TopicSeq *last = ld_topics_list(s->topics, prefix, &nlast);
    Ladder__V1__TopicSeq **plast = calloc(nlast + 1, sizeof *plast);
    if (!plast)
        abort();
    for (size_t i = 0; i < nlast; i++)
        plast[i] = &last[i];
    ts.n_last = nlast;
    ts.last = plast;
    Ladder__V1__Ok ok = LADDER__V1__OK__INIT;
    ok.result_case = LADDER__V1__OK__RESULT_SNAPSHOT;
    ok.snapshot = &ts;
    Ladder__V1__Reply r = LADDER__V1__REPLY__INIT;
    r.request_id = (ProtobufCBinaryData){p->rid_len, p->rid};
    r.outcome_case = LADDER__V1__REPLY__OUTCOME_OK;
    r.ok = &ok;
    set_reply(b, p, &r);
    free(us), free(ub), free(lb), free(pb), free(topics), free(last), free(plast);
}

static void do_query(server_t *s, pending_t *p, Ladder__V1__Query *q)
{
    batch_t *b = s->cur;
    s->st.queries++;
    Ladder__V1__Ok ok = LADDER__V1__OK__INIT;
    Ladder__V1__Reply r = LADDER__V1__REPLY__INIT;
    r.request_id = (ProtobufCBinaryData){p->rid_len, p->rid};
    r.outcome_case = LADDER__V1__REPLY__OUTCOME_OK;
    r.ok = &ok;
    switch (q->q_case) {
    case LADDER__V1__QUERY__Q_STATS: {
        Ladder__V1__StatsView v = LADDER__V1__STATS_VIEW__INIT;
        uint64_t bh[HIST], ch[HIST];
        uint8_t digest[32];
        stats_view(s, &v, bh, ch, digest, q->stats->with_digest);
        ok.result_case = LADDER__V1__OK__RESULT_STATS;
        ok.stats = &v;
        set_reply(b, p, &r);
        return;
    }
    case LADDER__V1__QUERY__Q_READ_EVENTS: {
        const Ladder__V1__ReadEvents *re = q->read_events;
        const char *stream = re->stream ? re->stream : "";
        if (strlen(stream) > LD_STREAM_MAX) {
            reply_error(s, b, p, E(ERR_INVALID), "", "read_events.stream", 0,
                        "read_events.stream: at most %d bytes", LD_STREAM_MAX);
            return;
        }
        const char *sp = re->stream_prefix ? re->stream_prefix : "";
        const char *tp = re->topic_prefix ? re->topic_prefix : "";
        if (strlen(sp) > LD_STREAM_MAX || strlen(tp) >= LD_TOPIC_MAX) {
            reply_error(s, b, p, E(ERR_INVALID), "", strlen(sp) > LD_STREAM_MAX
                        ? "read_events.stream_prefix" : "read_events.topic_prefix", 0,
                        "read_events: stream_prefix at most %d bytes, topic_prefix at most %d",
                        LD_STREAM_MAX, LD_TOPIC_MAX - 1);
            return;
        }
        memset(p->types, 0, sizeof p->types);
        for (size_t i = 0; i < re->n_types; i++) {
            const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(
                &ladder__v1__event__descriptor, re->types[i]);
            if (!f || f->id < 10 || f->id >= 64 * 8 || f->type != PROTOBUF_C_TYPE_MESSAGE) {
                char field[48];
                snprintf(field, sizeof field, "read_events.types[%zu]", i);
                reply_error(s, b, p, E(ERR_INVALID), "", field, 0,
                            "%s: \"%.64s\" is not an event type (an Event.body field name)",
                            field, re->types[i]);
                return;
            }
            p->types[f->id / 64] |= 1ull << (f->id % 64);
        }
        snprintf(p->stream_prefix, sizeof p->stream_prefix, "%s", sp);
        snprintf(p->topic_prefix, sizeof p->topic_prefix, "%s", tp);
        p->filtered = re->n_types || sp[0] || tp[0];
        p->deferred = true;
        p->from = re->from_seq ? re->from_seq : 1;
        p->max = re->max == 0 || re->max > 1000 ? 1000 : re->max;
        snprintf(p->stream, sizeof p->stream, "%s", stream);
        return;
    }
    case LADDER__V1__QUERY__Q_SNAPSHOT:
        topic_snapshot(s, b, p, q->snapshot->topic_prefix ? q->snapshot->topic_prefix : "");
        return;
    default: {
        ld_refusal_t why;
        ld_out_reset(s->qout);
        ld_core_t *core = s->core, *past = NULL;
        if (q->q_case == LADDER__V1__QUERY__Q_EXPLAIN &&
            (q->explain->as_of_seq || q->explain->as_of_ms)) {
            /* §11: the state as it was, folded from the log up to that moment */
            past = ld_core_new(1);
            uint64_t n;
            int rc = ld_replay_until(s->store, past, q->explain->as_of_seq, q->explain->as_of_ms, &n);
            if (rc) {
                ld_core_destroy(&past);
                reply_error(s, b, p, E(ERR_UNAVAILABLE), "§11", "explain", 0,
                            "explain: cannot fold the log: %s", ld_strerror(rc));
                return;
            }
            core = past;
        }
        int64_t now = past ? ld_core_last_at(past) : clock_now(s);
        if (ld_core_query(core, q, now, s->qout, &ok, &why) != 0) {
            ld_core_destroy(&past);
            reply_error(s, b, p, why.code, why.section, why.field, 0, "%s", why.message);
            return;
        }
        set_reply(b, p, &r);
        ld_core_destroy(&past);
        return;
    }
    }
}

/* One request frame: decode, deduplicate, decide or answer; the reply is held. */
static void handle_request(server_t *s, const uint8_t *ident, size_t ident_len,
                           const uint8_t *data, size_t len, const char *user)
{
    batch_t *b = s->cur;
    s->st.requests++;
    pending_t *p = pending_new(b, ident, ident_len);
    if (len > s->cfg.max_request) {
        reply_error(s, b, p, E(ERR_TOO_LARGE), "", "request", 0,
                    "request: %zu bytes is larger than the limit of %zu", len, s->cfg.max_request);
        return;
    }
    if (ld_wire_too_deep(&ladder__v1__request__descriptor, data, len)) {
        reply_error(s, b, p, E(ERR_MALFORMED), "", "request", 0,
                    "request: messages nested deeper than %d levels", LD_WIRE_MAX_DEPTH);
        return;
    }
    Ladder__V1__Request *req = ladder__v1__request__unpack(NULL, len, data);
    if (!req) {
        reply_error(s, b, p, E(ERR_MALFORMED), "", "request", 0,
                    "request: the bytes do not decode as a ladder.v1.Request");
        return;
    }
    Ladder__V1__Principal *claimed = req->principal, bound = LADDER__V1__PRINCIPAL__INIT;
    if (req->request_id.len > LD_REQUEST_ID_MAX) {
        reply_error(s, b, p, E(ERR_INVALID), "", "request_id", 0,
                    "request_id: at most %d bytes, got %zu", LD_REQUEST_ID_MAX,
                    req->request_id.len);
        goto out;
    }
    p->rid_len = (uint8_t)req->request_id.len;
    if (p->rid_len)
        memcpy(p->rid, req->request_id.data, p->rid_len);
    /* with CURVE the principal is the one bound to the client's key */
    if (s->auth) {
        bound.id = (char *)(user ? user : "");
        if (!user || !ld_auth_roles(s->auth, user, &bound.roles))
            bound.roles = 0;
        req->principal = &bound;
    }
    if (req->n_commands && req->query) {
        reply_error(s, b, p, E(ERR_INVALID), "", "query", 0,
                    "a request carries commands or a query, not both");
    } else if (req->query) {
        if (!req->query->q_case)
            reply_error(s, b, p, E(ERR_INVALID), "", "query", 0, "query: empty (no oneof set)");
        else
            do_query(s, p, req->query);
    } else if (!req->n_commands) {
        reply_error(s, b, p, E(ERR_INVALID), "", "commands", 0,
                    "request: neither commands nor a query");
    } else if (req->n_commands > MAX_COMMANDS) {
        reply_error(s, b, p, E(ERR_INVALID), "", "commands", 0,
                    "commands: at most %d in one request, got %zu", MAX_COMMANDS, req->n_commands);
    } else if (!p->rid_len) {
        reply_error(s, b, p, E(ERR_INVALID), "", "request_id", 0,
                    "request_id: required for commands (1 to %d bytes)", LD_REQUEST_ID_MAX);
    } else {
        /* §12 deduplication: a request id seen before answers as it did */
        long dup = rid_find(b, p->rid, p->rid_len);
        if (dup < 0 && s->writing && s->writer_busy)
            dup = rid_find(s->writing, p->rid, p->rid_len) >= 0 ? -2 : -1;
        uint64_t first;
        uint32_t count;
        if (dup >= 0) {
            p->dup_of = dup;
        } else if (dup == -2) {
            reply_error(s, b, p, E(ERR_CONFLICT), "§12", "request_id", 0,
                        "§12: this request id is being committed; ask again for its outcome");
        } else if (ld_store_request_get(s->store, p->rid, p->rid_len, &first, &count) == 0) {
            uint64_t seqs[256], *sp = count <= 256 ? seqs : malloc(count * sizeof *sp);
            if (!sp)
                abort();
            for (uint32_t k = 0; k < count; k++)
                sp[k] = first + k;
            Ladder__V1__Ok ok = LADDER__V1__OK__INIT;
            ok.n_seqs = count;
            ok.seqs = sp;
            Ladder__V1__Reply r = LADDER__V1__REPLY__INIT;
            r.request_id = (ProtobufCBinaryData){p->rid_len, p->rid};
            r.outcome_case = LADDER__V1__REPLY__OUTCOME_OK;
            r.ok = &ok;
            set_reply(b, p, &r);
            if (sp != seqs)
                free(sp);
        } else {
            do_commands(s, p, req);
            if (p->has_events)
                rid_add(b, (uint32_t)(p - b->p));
            fire_deadlines(s);
        }
    }
out:
    req->principal = claimed;
    ladder__v1__request__free_unpacked(req, NULL);
}

/* ----------------------------------------------------------- deadlines -- */

/* §7: the system closes every retention year and appeal window that is due. */
static void fire_deadlines(server_t *s)
{
    int64_t now = clock_now(s);
    for (int guard = 0; guard < 10000; guard++) {
        int64_t at;
        const char *emp;
        int kind;
        if (!ld_core_next_deadline(s->core, &at, &emp, &kind) || at > now)
            return;
        char empid[64];
        snprintf(empid, sizeof empid, "%s", emp);
        Ladder__V1__Command cmd = LADDER__V1__COMMAND__INIT;
        Ladder__V1__CloseRetentionYear cy = LADDER__V1__CLOSE_RETENTION_YEAR__INIT;
        Ladder__V1__ExpireAppeal xa = LADDER__V1__EXPIRE_APPEAL__INIT;
        if (kind == LD_DEADLINE_RETENTION) {
            cy.employee_id = empid;
            cmd.cmd_case = LADDER__V1__COMMAND__CMD_CLOSE_RETENTION_YEAR;
            cmd.close_retention_year = &cy;
        } else {
            xa.employee_id = empid;
            cmd.cmd_case = LADDER__V1__COMMAND__CMD_EXPIRE_APPEAL;
            cmd.expire_appeal = &xa;
        }
        Ladder__V1__Command *cmds[1] = {&cmd};
        Ladder__V1__Principal pr = LADDER__V1__PRINCIPAL__INIT;
        pr.id = "system";
        pr.roles = LADDER__V1__ROLE__ROLE_SYSTEM;
        Ladder__V1__Request req = LADDER__V1__REQUEST__INIT;
        req.principal = &pr;
        req.n_commands = 1;
        req.commands = cmds;
        pending_t *p = pending_new(s->cur, (const uint8_t *)"", 0);
        p->internal = true;
        p->rid_len = (uint8_t)snprintf((char *)p->rid, sizeof p->rid, "deadline/%c/%.40s/%lld",
                                       kind == LD_DEADLINE_RETENTION ? 'r' : 'a', empid,
                                       (long long)at);
        do_commands(s, p, &req);
        if (!p->has_events) {
            ld_log(LD_LOG_ERROR, "deadline refused", "employee=%s kind=%d at_ms=%lld", empid, kind,
                   (long long)at);
            return;
        }
        ld_log(LD_LOG_INFO, kind == LD_DEADLINE_RETENTION ? "retention year closed" : "appeal window closed",
               "employee=%s at_ms=%lld", empid, (long long)at);
    }
}

static void on_deadline(uv_timer_t *t)
{
    server_t *s = t->data;
    if (!s->stopping)
        fire_deadlines(s);
}

static void arm_deadline(server_t *s)
{
    if (s->cfg.manual_clock || s->stopping)
        return;
    int64_t at;
    if (!ld_core_next_deadline(s->core, &at, NULL, NULL)) {
        uv_timer_stop(&s->deadline);
        return;
    }
    int64_t now = clock_now(s), delay = at > now ? at - now : 0;
    /* libuv timers are relative; re-arm at least daily so clock jumps are seen */
    if (delay > 86400000)
        delay = 86400000;
    uv_timer_start(&s->deadline, on_deadline, (uint64_t)delay, 0);
}

/* ------------------------------------------------------------- sending -- */

static void zmq_drain(server_t *s);

static void send_reply(server_t *s, batch_t *b, const pending_t *p)
{
    if (p->internal)
        return;
    const pending_t *src = p->dup_of >= 0 ? &b->p[p->dup_of] : p;
    zmq_send(s->router, p->ident, p->ident_len, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send(s->router, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send(s->router, b->blob + src->reply_off, src->reply_len, ZMQ_DONTWAIT);
}

typedef struct {
    Ladder__V1__Event **ev;
    size_t n, cap;
    const pending_t *p;     /* the filters */
    uint64_t last;          /* seq (or stream version) of the last entry read */
} page_t;

/* Entries a filtered ReadEvents reads at most per request (PROTOCOL.md). */
#define FILTER_SCAN_MAX 100000
#define PAGE_FULL 1

static bool page_match(const pending_t *p, const Ladder__V1__Event *ev)
{
    uint64_t any = 0;
    for (int i = 0; i < 8; i++)
        any |= p->types[i];
    if (any && (ev->body_case >= 64 * 8 ||
                !(p->types[ev->body_case / 64] & (1ull << (ev->body_case % 64)))))
        return false;
    if (p->stream_prefix[0] &&
        strncmp(ev->stream ? ev->stream : "", p->stream_prefix, strlen(p->stream_prefix)))
        return false;
    if (p->topic_prefix[0]) {
        ld_event_topics_t t;
        ld_topics_of_event(ev, &t);
        size_t n = strlen(p->topic_prefix);
        return !strncmp(t.evt, p->topic_prefix, n) || (t.level[0] && !strncmp(t.level, p->topic_prefix, n)) ||
               (t.points[0] && !strncmp(t.points, p->topic_prefix, n));
    }
    return true;
}

static int page_cb(void *ctx, uint64_t seq, const uint8_t *data, size_t len)
{
    page_t *pg = ctx;
    Ladder__V1__Event *ev = ladder__v1__event__unpack(NULL, len, data);
    if (!ev)
        return LD_ECORRUPT;
    pg->last = pg->p->stream[0] ? ev->stream_version : seq;
    if (pg->p->filtered && !page_match(pg->p, ev)) {
        ladder__v1__event__free_unpacked(ev, NULL);
        return 0;
    }
    pg->ev = grow(pg->ev, &pg->cap, pg->n + 1, sizeof *pg->ev);
    pg->ev[pg->n++] = ev;
    return pg->p->filtered && pg->n == pg->p->max ? PAGE_FULL : 0;
}

/* ReadEvents after the commit: committed events only, paged. */
static void answer_deferred(server_t *s, batch_t *b, pending_t *p)
{
    page_t pg = {.p = p};
    uint64_t budget = p->filtered ? FILTER_SCAN_MAX : p->max, scanned_to = p->from - 1;
    int rc = p->stream[0] ? ld_store_scan_stream(s->store, p->stream, p->from, budget, page_cb, &pg)
                          : ld_store_scan(s->store, p->from, budget, page_cb, &pg);
    if (rc == PAGE_FULL)
        rc = 0;
    if (pg.last)
        scanned_to = pg.last;
    if (rc) {
        reply_error(s, b, p, E(ERR_UNAVAILABLE), "", "read_events", 0, "read_events: %s",
                    ld_strerror(rc));
    } else {
        uint64_t head;
        ld_store_head(s->store, &head, NULL);
        Ladder__V1__EventPage page = LADDER__V1__EVENT_PAGE__INIT;
        page.n_events = pg.n;
        page.events = pg.ev;
        page.head_seq = head;
        if (pg.n == p->max || (p->filtered && scanned_to - (p->from - 1) >= budget))
            page.next_seq = scanned_to + 1;
        Ladder__V1__Ok ok = LADDER__V1__OK__INIT;
        ok.result_case = LADDER__V1__OK__RESULT_EVENTS;
        ok.events = &page;
        Ladder__V1__Reply r = LADDER__V1__REPLY__INIT;
        r.request_id = (ProtobufCBinaryData){p->rid_len, p->rid};
        r.outcome_case = LADDER__V1__REPLY__OUTCOME_OK;
        r.ok = &ok;
        set_reply(b, p, &r);
    }
    for (size_t i = 0; i < pg.n; i++)
        ladder__v1__event__free_unpacked(pg.ev[i], NULL);
    free(pg.ev);
}

/* ------------------------------------------------------- commit & done -- */

static void submit(server_t *s);

static void reload_core(server_t *s)
{
    uint64_t from, n, bad;
    int rc;
    ld_core_destroy(&s->core);
    s->core = ld_replay_open(s->store, &from, &n, &rc, &bad);
    if (!s->core) {
        ld_log(LD_LOG_ERROR, "cannot rebuild state from the store", "error=\"%s\" seq=%llu",
               ld_strerror(rc), (unsigned long long)bad);
        exit(3);
    }
    ld_topics_destroy(&s->topics);
    s->topics = ld_topics_new();
    if ((rc = ld_topics_load(s->topics, s->store))) {
        ld_log(LD_LOG_ERROR, "cannot rebuild the topics from the store", "error=\"%s\"", ld_strerror(rc));
        exit(3);
    }
    ld_log(LD_LOG_WARN, "state rebuilt from the store", "snapshot_seq=%llu replayed=%llu",
           (unsigned long long)from, (unsigned long long)n);
}

static void fail_batch(server_t *s, batch_t *b, int rc)
{
    for (size_t i = 0; i < b->n; i++) {
        pending_t *p = &b->p[i];
        if (p->internal)
            continue;
        p->dup_of = -1;
        reply_error(s, b, p, E(ERR_UNAVAILABLE), "", "", 0,
                    "storage failed (%s); nothing of this request was written", ld_strerror(rc));
        send_reply(s, b, p);
    }
}

static void maybe_snapshot(server_t *s, bool force)
{
    uint64_t head;
    ld_store_head(s->store, &head, NULL);
    if (head == s->snap_seq || (!force && head - s->snap_seq < s->cfg.snapshot_every))
        return;
    if (ld_core_next_seq(s->core) != head + 1)
        return; /* decisions are pending: the state is ahead of the log */
    uint64_t t = mono_ns();
    uint8_t *buf;
    size_t len;
    ld_core_snapshot(s->core, &buf, &len);
    int rc = ld_store_snapshot_put(s->store, "core", head, buf, len);
    free(buf);
    if (rc) {
        ld_log(LD_LOG_WARN, "snapshot failed", "error=\"%s\"", ld_strerror(rc));
        return;
    }
    s->snap_seq = head;
    if ((rc = ld_topics_save(s->topics, s->store, head)))
        ld_log(LD_LOG_WARN, "topics snapshot failed", "error=\"%s\"", ld_strerror(rc));
    ld_log(LD_LOG_INFO, "snapshot written", "seq=%llu bytes=%zu ms=%.1f",
           (unsigned long long)head, len, (double)(mono_ns() - t) / 1e6);
}

static void on_boards(uv_timer_t *t);

/* Marks a board (or, with window CASES, a case partition) for publishing. */
static void mark_board(server_t *s, int window, int scope, const char *value, uint64_t seq)
{
    for (size_t i = 0; i < s->ndirty; i++) {
        dirty_t *d = &s->dirty[i];
        if (d->window == window && d->scope == scope && !strcmp(d->value, value)) {
            d->seq = seq;
            return;
        }
    }
    s->dirty = grow(s->dirty, &s->capdirty, s->ndirty + 1, sizeof *s->dirty);
    dirty_t *d = &s->dirty[s->ndirty++];
    snprintf(d->value, sizeof d->value, "%s", value);
    d->window = (uint8_t)window, d->scope = (uint8_t)scope, d->seq = seq;
    if (!uv_is_active((uv_handle_t *)&s->boards))
        uv_timer_start(&s->boards, on_boards, 100, 0);
}

/* The 20 boards an employee stands on (§9: 5 windows x org/centre/team/level). */
static void mark_employee(server_t *s, const char *emp, uint64_t seq)
{
    long i = ld_core_employee_find(s->core, emp);
    if (i < 0)
        return;
    ld_emp_summary_t e;
    ld_core_employee_at(s->core, (size_t)i, &e);
    char level[4];
    snprintf(level, sizeof level, "%u", e.level);
    for (int w = 0; w < 5; w++) {
        mark_board(s, w, 0, "", seq);
        if (*e.centre)
            mark_board(s, w, 1, e.centre, seq);
        if (*e.team)
            mark_board(s, w, 2, e.team, seq);
        mark_board(s, w, 3, level, seq);
    }
}

#define CASES 255 /* a dirty_t of a case partition: scope = level, value = category */

static void mark_case(server_t *s, const char *case_id, uint64_t seq)
{
    uint32_t level;
    const char *cat;
    if (ld_core_case_partition(s->core, case_id, &level, &cat))
        mark_board(s, CASES, (int)level, cat, seq);
}

static void publish_cases(server_t *s, const dirty_t *d, uint8_t **buf, size_t *cap)
{
    Ladder__V1__GetCaseRanking g = LADDER__V1__GET_CASE_RANKING__INIT;
    g.level = d->scope, g.category = (char *)d->value;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_CASE_RANKING;
    q.case_ranking = &g;
    Ladder__V1__Ok ok = LADDER__V1__OK__INIT;
    ld_out_reset(s->qout);
    if (ld_core_query(s->core, &q, clock_now(s), s->qout, &ok, NULL) != 0)
        return;
    char topic[128];
    snprintf(topic, sizeof topic, "cases.%u.%s", d->scope, d->value);
    Ladder__V1__Update u = LADDER__V1__UPDATE__INIT;
    u.topic = topic;
    u.seq = d->seq;
    u.prev_seq = ld_topics_swap(s->shown, topic, d->seq);
    u.payload_case = LADDER__V1__UPDATE__PAYLOAD_CASES;
    u.cases = ok.case_ranking;
    size_t n = ladder__v1__update__get_packed_size(&u);
    *buf = grow(*buf, cap, n, 1);
    ladder__v1__update__pack(&u, *buf);
    zmq_send(s->pub, topic, strlen(topic), ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send(s->pub, *buf, n, ZMQ_DONTWAIT);
}

/* Publishes each dirty board's top 10 (and each dirty case partition's
 * ranking) once, with the seq of its last change. */
static void on_boards(uv_timer_t *t)
{
    server_t *s = t->data;
    if (s->writer_busy || s->cur->n) {
        /* decisions not yet on disk must not show: wait for the commit */
        uv_timer_start(&s->boards, on_boards, 10, 0);
        return;
    }
    static const char *const win[] = {"all", "week", "month", "quarter", "year"};
    static const char *const scope[] = {"org", "centre", "team", "level"};
    uint8_t *buf = NULL;
    size_t cap = 0;
    for (size_t i = 0; i < s->ndirty; i++) {
        dirty_t *d = &s->dirty[i];
        if (d->window == CASES) {
            publish_cases(s, d, &buf, &cap);
            continue;
        }
        Ladder__V1__GetBoard g = LADDER__V1__GET_BOARD__INIT;
        g.window = d->window, g.scope = d->scope, g.scope_value = d->value, g.top = 10;
        Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
        q.q_case = LADDER__V1__QUERY__Q_BOARD;
        q.board = &g;
        Ladder__V1__Ok ok = LADDER__V1__OK__INIT;
        ld_out_reset(s->qout);
        if (ld_core_query(s->core, &q, clock_now(s), s->qout, &ok, NULL) != 0)
            continue;
        char topic[128];
        snprintf(topic, sizeof topic, "board.%s/%s%s%s", win[d->window], scope[d->scope],
                 d->scope ? ":" : "", d->scope ? d->value : "");
        Ladder__V1__Update u = LADDER__V1__UPDATE__INIT;
        u.topic = topic;
        u.seq = d->seq;
        u.prev_seq = ld_topics_swap(s->shown, topic, d->seq);
        u.payload_case = LADDER__V1__UPDATE__PAYLOAD_BOARD;
        u.board = ok.board;
        size_t n = ladder__v1__update__get_packed_size(&u);
        buf = grow(buf, &cap, n, 1);
        ladder__v1__update__pack(&u, buf);
        zmq_send(s->pub, topic, strlen(topic), ZMQ_SNDMORE | ZMQ_DONTWAIT);
        zmq_send(s->pub, buf, n, ZMQ_DONTWAIT);
    }
    free(buf);
    s->ndirty = 0;
}

static void finish(server_t *s, batch_t *b)
{
    if (b->rc) {
        ld_log(LD_LOG_ERROR, "commit failed", "error=\"%s\" requests=%zu", ld_strerror(b->rc), b->n);
        fail_batch(s, b, b->rc);
        /* the current batch was decided on top of the failed one */
        if (s->cur != b) {
            fail_batch(s, s->cur, b->rc);
            batch_reset(s->cur);
        }
        reload_core(s);
    } else {
        for (size_t i = 0; i < b->n; i++) {
            pending_t *p = &b->p[i];
            if (p->deferred)
                answer_deferred(s, b, p);
            send_reply(s, b, p);
        }
        for (size_t i = 0; i < b->nu; i++) {
            update_t *u = &b->u[i];
            zmq_send(s->pub, b->blob + u->topic_off, u->topic_len, ZMQ_SNDMORE | ZMQ_DONTWAIT);
            zmq_send(s->pub, b->blob + u->body_off, u->body_len, ZMQ_DONTWAIT);
        }
        Ladder__V1__Event **ev = ld_out_events(b->out);
        for (size_t i = 0; i < ld_out_count(b->out); i++) {
            const Ladder__V1__Event *e = ev[i];
            if (e->body_case == LADDER__V1__EVENT__BODY_POINTS_AWARDED)
                mark_employee(s, e->points_awarded->employee_id, e->seq);
            else if (e->body_case == LADDER__V1__EVENT__BODY_POINTS_ADJUSTED)
                mark_employee(s, e->points_adjusted->employee_id, e->seq);
            else if (e->body_case == LADDER__V1__EVENT__BODY_PROMOTED)
                mark_employee(s, e->promoted->employee_id, e->seq);
            else if (e->body_case == LADDER__V1__EVENT__BODY_CASE_ACCEPTED)
                mark_case(s, e->case_accepted->case_id, e->seq);
            else if (e->body_case == LADDER__V1__EVENT__BODY_CASE_RETIRED)
                mark_case(s, e->case_retired->case_id, e->seq);
            else if (e->body_case == LADDER__V1__EVENT__BODY_CASE_STUDIED)
                mark_case(s, e->case_studied->case_id, e->seq);
            else if (e->body_case == LADDER__V1__EVENT__BODY_CASE_RATED)
                mark_case(s, e->case_rated->case_id, e->seq);
            else if (e->body_case == LADDER__V1__EVENT__BODY_CASE_USED_IN_EXAM)
                mark_case(s, e->case_used_in_exam->case_id, e->seq);
        }
        s->st.events += ld_out_count(b->out);
    }
    batch_reset(b);
}

static void work_cb(uv_work_t *w)
{
    server_t *s = w->data;
    batch_t *b = s->writing;
    b->rc = ld_store_append(s->store, b->apps, b->napps);
}

static void after_work_cb(uv_work_t *w, int status)
{
    server_t *s = w->data;
    batch_t *b = s->writing;
    (void)status;
    s->writer_busy = false;
    hist_add(s->st.commit_hist, (mono_ns() - b->t_submit) / 1000);
    for (size_t i = 0; !b->rc && i < b->napps; i++)
        if (b->apps[i].rc || b->apps[i].duplicate) {
            /* the core and the store disagree: trust the store */
            ld_log(LD_LOG_ERROR, "store refused a decided request", "rc=%d duplicate=%d",
                   b->apps[i].rc, b->apps[i].duplicate);
            b->rc = LD_EINTERNAL;
        }
    finish(s, b);
    if (s->cur->n)
        submit(s);
    else
        maybe_snapshot(s, false);
    arm_deadline(s);
    zmq_drain(s);
    if (s->stopping && !s->writer_busy && !s->cur->n)
        uv_stop(s->loop);
}

static void submit(server_t *s)
{
    batch_t *b = s->cur;
    if (!b->n || s->writer_busy)
        return;
    s->st.batches++;
    hist_add(s->st.batch_hist, b->n);
    Ladder__V1__Event **ev = ld_out_events(b->out);
    b->napps = 0;
    for (size_t i = 0; i < b->n; i++) {
        pending_t *p = &b->p[i];
        if (!p->has_events || p->dup_of >= 0)
            continue;
        b->apps = grow(b->apps, &b->capapps, b->napps + 1, sizeof *b->apps);
        b->apps[b->napps++] = (ld_append_t){.request_id = p->rid, .request_id_len = p->rid_len,
                                            .events = &ev[p->ev_start],
                                            .n_events = p->ev_end - p->ev_start};
    }
    s->cur = b == &s->b[0] ? &s->b[1] : &s->b[0];
    s->writing = b;
    b->t_submit = mono_ns();
    if (!b->napps) {
        /* queries and refusals only: nothing to write, nothing to wait for */
        b->rc = 0;
        finish(s, b);
        return;
    }
    s->writer_busy = true;
    uv_queue_work(s->loop, &s->work, work_cb, after_work_cb);
}

/* --------------------------------------------------------------- zeromq -- */

/* Receives one multipart message: up to max frames kept (the rest dropped);
 * returns how many were kept. The caller closes them. */
static int recv_parts(void *sock, zmq_msg_t *parts, int max)
{
    int n = 0, more = 1;
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            break;
        }
        more = zmq_msg_more(&m);
        if (n < max)
            parts[n++] = m;
        else
            zmq_msg_close(&m);
    }
    return n;
}

static void handle_message(server_t *s)
{
    zmq_msg_t parts[4];
    int n = recv_parts(s->router, parts, 4);
    if (n >= 1) {
        const uint8_t *ident = zmq_msg_data(&parts[0]);
        size_t ilen = zmq_msg_size(&parts[0]);
        if (n == 3 && zmq_msg_size(&parts[1]) == 0) {
            const char *user = s->auth ? zmq_msg_gets(&parts[2], "User-Id") : NULL;
            handle_request(s, ident, ilen, zmq_msg_data(&parts[2]), zmq_msg_size(&parts[2]), user);
        } else {
            s->st.requests++;
            pending_t *p = pending_new(s->cur, ident, ilen);
            reply_error(s, s->cur, p, E(ERR_MALFORMED), "", "frames", 0,
                        "frames: expected [identity][empty][request], got %d frame%s%s", n - 1,
                        n - 1 == 1 ? "" : "s",
                        n == 3 ? " with a non-empty delimiter" : "");
        }
    }
    for (int i = 0; i < n; i++)
        zmq_msg_close(&parts[i]);
}

/* ZAP (RFC 27): CURVE connections are accepted only for listed keys; the
 * reply's user id becomes the principal of every message on the connection. */
static void zap_drain(server_t *s)
{
    for (;;) {
        int ev = 0;
        size_t sz = sizeof ev;
        if (zmq_getsockopt(s->zap, ZMQ_EVENTS, &ev, &sz) || !(ev & ZMQ_POLLIN))
            return;
        zmq_msg_t f[8];
        int n = recv_parts(s->zap, f, 8);
        const char *who = NULL;
        uint32_t roles = 0;
        bool ok = n >= 7 && zmq_msg_size(&f[5]) == 5 && !memcmp(zmq_msg_data(&f[5]), "CURVE", 5) &&
                  zmq_msg_size(&f[6]) == 32 &&
                  ld_auth_key(s->auth, zmq_msg_data(&f[6]), &who, &roles);
        if (!ok)
            ld_log(LD_LOG_WARN, "connection refused: unknown key", "%s", "");
        zmq_send(s->zap, "1.0", 3, ZMQ_SNDMORE);
        if (n >= 2)
            zmq_send(s->zap, zmq_msg_data(&f[1]), zmq_msg_size(&f[1]), ZMQ_SNDMORE);
        else
            zmq_send(s->zap, "", 0, ZMQ_SNDMORE);
        zmq_send(s->zap, ok ? "200" : "400", 3, ZMQ_SNDMORE);
        zmq_send(s->zap, ok ? "OK" : "unknown key", ok ? 2 : 11, ZMQ_SNDMORE);
        zmq_send(s->zap, ok ? who : "", ok ? strlen(who) : 0, ZMQ_SNDMORE);
        zmq_send(s->zap, "", 0, 0);
        for (int i = 0; i < n; i++)
            zmq_msg_close(&f[i]);
    }
}

static void on_zap(uv_poll_t *h, int status, int events)
{
    (void)status, (void)events;
    zap_drain(h->data);
}

static void on_idle(uv_idle_t *h)
{
    server_t *s = h->data;
    uv_idle_stop(h);
    zmq_drain(s);
}

/* Edge-triggered ZMQ_FD: read while ZMQ_EVENTS says readable. A bounded
 * number per call keeps the loop fair; an idle handle resumes the rest. */
static void zmq_drain(server_t *s)
{
    if (s->stopping)
        return;
    for (int i = 0; i < DRAIN_MAX; i++) {
        int ev = 0;
        size_t sz = sizeof ev;
        if (zmq_getsockopt(s->router, ZMQ_EVENTS, &ev, &sz) || !(ev & ZMQ_POLLIN))
            return;
        handle_message(s);
    }
    uv_idle_start(&s->idle, on_idle);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    (void)status, (void)events;
    zmq_drain(h->data);
}

/* After each loop turn's I/O: the batch decided in it goes to the writer. */
static void on_check(uv_check_t *h)
{
    server_t *s = h->data;
    if (!s->writer_busy && s->cur->n)
        submit(s);
}

static void on_signal(uv_signal_t *h, int sig)
{
    server_t *s = h->data;
    if (++s->signals > 1) {
        ld_log(LD_LOG_WARN, "second signal: exiting now", "signal=%d", sig);
        _exit(130); /* LMDB keeps the last committed transaction */
    }
    ld_log(LD_LOG_INFO, "stopping: finishing the current batch", "signal=%d", sig);
    s->stopping = true;
    uv_poll_stop(&s->poll);
    uv_timer_stop(&s->deadline);
    if (!s->writer_busy)
        submit(s);
    if (!s->writer_busy && !s->cur->n)
        uv_stop(s->loop);
}

/* ------------------------------------------------------------ start-up -- */

static int adopt_rules_file(server_t *s)
{
    FILE *f = fopen(s->cfg.rules, "r");
    if (!f) {
        ld_log(LD_LOG_ERROR, "cannot read rules", "file=%s error=\"%s\"", s->cfg.rules, strerror(errno));
        return -1;
    }
    char *json = NULL;
    size_t len = 0, cap = 0;
    char buf[4096];
    size_t r;
    while ((r = fread(buf, 1, sizeof buf, f)) > 0) {
        json = grow(json, &cap, len + r + 1, 1);
        memcpy(json + len, buf, r);
        len += r;
    }
    fclose(f);
    if (!json)
        json = calloc(1, 1);
    json[len] = 0;
    ld_rules_t want = *ld_core_rules(s->core);
    ld_rules_default(&want);
    char field[96], msg[256];
    if (ld_rules_parse(&want, json, len, field, sizeof field, msg, sizeof msg)) {
        ld_log(LD_LOG_ERROR, "rules file refused", "file=%s field=%s error=\"%s\"", s->cfg.rules, field, msg);
        free(json);
        return -1;
    }
    char *a = ld_rules_to_json(&want), *b = ld_rules_to_json(ld_core_rules(s->core));
    bool same = !strcmp(a, b);
    free(a), free(b);
    if (same) {
        free(json);
        return 0;
    }
    Ladder__V1__AdoptRules ar = LADDER__V1__ADOPT_RULES__INIT;
    ar.rules_json = json;
    Ladder__V1__Command cmd = LADDER__V1__COMMAND__INIT;
    cmd.cmd_case = LADDER__V1__COMMAND__CMD_ADOPT_RULES;
    cmd.adopt_rules = &ar;
    ld_out_t *out = ld_out_new();
    ld_ctx_t ctx = {clock_now(s), "system", LADDER__V1__ROLE__ROLE_MANAGER | LADDER__V1__ROLE__ROLE_SYSTEM,
                    NULL, 0};
    ld_refusal_t why;
    int rc = ld_core_execute(s->core, &cmd, &ctx, out, &why);
    if (rc == 0) {
        ld_append_t app = {.events = ld_out_events(out), .n_events = ld_out_count(out)};
        rc = ld_store_append(s->store, &app, 1);
        if (rc)
            ld_log(LD_LOG_ERROR, "cannot write the rules", "error=\"%s\"", ld_strerror(rc));
        else
            ld_log(LD_LOG_INFO, "rules adopted", "file=%s version=%u", s->cfg.rules,
                   ld_core_rules(s->core)->version);
    }
    ld_out_destroy(&out);
    free(json);
    return rc ? -1 : 0;
}

static void *zsock(server_t *s, int type, const char *ep)
{
    void *z = zmq_socket(s->zctx, type);
    /* a slow subscriber holds at most 10 000 updates (then PUB drops and the
     * subscriber sees a gap in seqs); clients may keep 100 000 requests */
    int hwm = type == ZMQ_PUB ? 10000 : 100000, linger = 1000;
    int64_t nolimit = -1;
    zmq_setsockopt(z, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(z, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(z, ZMQ_LINGER, &linger, sizeof linger);
    /* frames over --max-request still arrive, so that they get an answer;
     * the hard ceiling is 64 times that, where ZeroMQ drops the peer */
    int64_t hard = (int64_t)s->cfg.max_request * 64;
    zmq_setsockopt(z, ZMQ_MAXMSGSIZE, type == ZMQ_ROUTER ? &hard : &nolimit, sizeof hard);
    if (s->auth) {
        int one = 1;
        zmq_setsockopt(z, ZMQ_CURVE_SERVER, &one, sizeof one);
        zmq_setsockopt(z, ZMQ_CURVE_SECRETKEY, ld_auth_secret(s->auth), 41);
        zmq_setsockopt(z, ZMQ_ZAP_DOMAIN, "ladder", 6);
    }
    if (zmq_bind(z, ep) != 0) {
        ld_log(LD_LOG_ERROR, "cannot bind", "endpoint=%s error=\"%s\"", ep, zmq_strerror(errno));
        zmq_close(z);
        return NULL;
    }
    return z;
}

static void close_cb(uv_handle_t *h)
{
    (void)h;
}

int ld_server_run(const ld_config_t *cfg)
{
    static server_t srv;
    server_t *s = &srv;
    memset(s, 0, sizeof *s);
    s->cfg = *cfg;
    s->started_ns = mono_ns();
    int exit_code = 1;

    if (!cfg->keys[0] && (!ld_endpoint_is_local(cfg->command) || !ld_endpoint_is_local(cfg->publish))) {
        ld_log(LD_LOG_ERROR, "refusing to bind a non-loopback endpoint without --keys",
               "command=%s publish=%s", cfg->command, cfg->publish);
        return 2;
    }
    char err[512];
    if (cfg->keys[0]) {
        if (ld_auth_load(&s->auth, cfg->keys, err, sizeof err)) {
            ld_log(LD_LOG_ERROR, "cannot load the keys", "error=\"%s\"", err);
            return 2;
        }
        ld_log(LD_LOG_INFO, "CURVE on both sockets", "keys=%s clients=%zu", cfg->keys,
               ld_auth_count(s->auth));
    } else {
        ld_log(LD_LOG_WARN, "no --keys: unauthenticated, loopback only; principals are taken from requests", "%s", "");
    }

    ld_store_options_t opt = {cfg->durability, 0, 0};
    int rc = ld_store_open(&s->store, cfg->data, &opt, err, sizeof err);
    if (rc) {
        ld_log(LD_LOG_ERROR, "cannot open the store", "data=%s error=\"%s\"", cfg->data, err);
        return 2;
    }
    uint64_t t = mono_ns(), from, replayed, bad, head;
    s->core = ld_replay_open(s->store, &from, &replayed, &rc, &bad);
    if (!s->core) {
        ld_log(LD_LOG_ERROR, "cannot fold the log", "error=\"%s\" seq=%llu", ld_strerror(rc),
               (unsigned long long)bad);
        goto out;
    }
    ld_store_head(s->store, &head, NULL);
    s->snap_seq = from;
    s->topics = ld_topics_new();
    s->shown = ld_topics_new();
    if ((rc = ld_topics_load(s->topics, s->store))) {
        ld_log(LD_LOG_ERROR, "cannot fold the topics", "error=\"%s\"", ld_strerror(rc));
        goto out;
    }
    s->st.replayed_at_start = replayed;
    s->manual_now = ld_core_last_at(s->core);
    ld_log(LD_LOG_INFO, "state loaded", "head=%llu snapshot_seq=%llu replayed=%llu employees=%zu ms=%.1f",
           (unsigned long long)head, (unsigned long long)from, (unsigned long long)replayed,
           ld_core_employee_count(s->core), (double)(mono_ns() - t) / 1e6);
    if (cfg->rules[0] && adopt_rules_file(s))
        goto out;

    s->qout = ld_out_new();
    for (int i = 0; i < 2; i++)
        s->b[i].out = ld_out_new();
    s->cur = &s->b[0];
    s->writing = &s->b[1];

    s->zctx = zmq_ctx_new();
    s->loop = uv_default_loop();
    if (s->auth) {
        /* the ZAP handler must be bound before any CURVE socket */
        s->zap = zmq_socket(s->zctx, ZMQ_REP);
        if (zmq_bind(s->zap, "inproc://zeromq.zap.01") != 0) {
            ld_log(LD_LOG_ERROR, "cannot bind the ZAP handler", "error=\"%s\"", zmq_strerror(errno));
            goto out;
        }
        int zfd;
        size_t zsz = sizeof zfd;
        zmq_getsockopt(s->zap, ZMQ_FD, &zfd, &zsz);
        uv_poll_init(s->loop, &s->zap_poll, zfd);
        s->zap_poll.data = s;
        uv_poll_start(&s->zap_poll, UV_READABLE, on_zap);
    }
    if (!(s->router = zsock(s, ZMQ_ROUTER, cfg->command)) || !(s->pub = zsock(s, ZMQ_PUB, cfg->publish)))
        goto out;
    int fd;
    size_t fdsz = sizeof fd;
    zmq_getsockopt(s->router, ZMQ_FD, &fd, &fdsz);
    uv_poll_init(s->loop, &s->poll, fd);
    s->poll.data = s->idle.data = s->check.data = s->deadline.data = s;
    s->sigint.data = s->sigterm.data = s->work.data = s;
    uv_poll_start(&s->poll, UV_READABLE, on_poll);
    uv_idle_init(s->loop, &s->idle);
    uv_check_init(s->loop, &s->check);
    uv_check_start(&s->check, on_check);
    uv_timer_init(s->loop, &s->deadline);
    uv_timer_init(s->loop, &s->boards);
    s->boards.data = s;
    uv_signal_init(s->loop, &s->sigint);
    uv_signal_init(s->loop, &s->sigterm);
    uv_signal_start(&s->sigint, on_signal, SIGINT);
    uv_signal_start(&s->sigterm, on_signal, SIGTERM);
    signal(SIGPIPE, SIG_IGN);

    ld_log(LD_LOG_INFO, "listening", "command=%s publish=%s clock=%s durability=%s", cfg->command,
           cfg->publish, cfg->manual_clock ? "manual" : "system",
           cfg->durability == LD_DURABILITY_FULL ? "full"
           : cfg->durability == LD_DURABILITY_NOMETASYNC ? "nometasync" : "nosync");
    fire_deadlines(s);
    arm_deadline(s);
    zmq_drain(s);
    uv_run(s->loop, UV_RUN_DEFAULT);

    maybe_snapshot(s, true);
    ld_store_head(s->store, &head, NULL);
    ld_log(LD_LOG_INFO, "stopped", "head=%llu requests=%llu events=%llu", (unsigned long long)head,
           (unsigned long long)s->st.requests, (unsigned long long)s->st.events);
    uv_close((uv_handle_t *)&s->poll, close_cb);
    if (s->zap)
        uv_close((uv_handle_t *)&s->zap_poll, close_cb);
    uv_close((uv_handle_t *)&s->idle, close_cb);
    uv_close((uv_handle_t *)&s->check, close_cb);
    uv_close((uv_handle_t *)&s->deadline, close_cb);
    uv_close((uv_handle_t *)&s->boards, close_cb);
    uv_close((uv_handle_t *)&s->sigint, close_cb);
    uv_close((uv_handle_t *)&s->sigterm, close_cb);
    uv_run(s->loop, UV_RUN_DEFAULT);
    uv_loop_close(s->loop);
    exit_code = 0;
out:
    if (s->router)
        zmq_close(s->router);
    if (s->pub)
        zmq_close(s->pub);
    if (s->zap)
        zmq_close(s->zap);
    ld_auth_destroy(&s->auth);
    if (s->zctx)
        zmq_ctx_term(s->zctx);
    for (int i = 0; i < 2; i++) {
        batch_t *b = &s->b[i];
        ld_out_destroy(&b->out);
        free(b->p), free(b->u), free(b->blob), free(b->apps), free(b->rids.h), free(b->rids.idx);
    }
    ld_out_destroy(&s->qout);
    free(s->dirty);
    ld_core_destroy(&s->core);
    ld_topics_destroy(&s->topics);
    ld_topics_destroy(&s->shown);
    ld_store_close(&s->store);
    return exit_code;
}
