/* reads.c — the answers to queries (shell.h).
 *
 * Owns the read side of a request: the core's queries on the live state,
 * Stats (counters and histograms), the Clone-pattern Snapshot of level.* and
 * points.* topics, and ReadEvents: its checks here, its page and filters in
 * ld_reads_events, which a job on the thread pool runs once the request's
 * batch committed (history.c). An answer is held with its batch while
 * decisions of this loop wait for their commit (requests.c releases it at
 * once otherwise). Explain with as_of and the Stats digest are folded from
 * the log off the loop (history.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"
#include "rules.h"
#include "access.h"
#include "shell.h"
#include "version.h"

#define LD_ERROR_SEEN 64 /* distinct error codes reported in Stats */

#ifndef LADDER_VERSION
#define LADDER_VERSION "unknown"
#endif

#define E(x) LADDER__V1__ERROR_CODE__##x

static void stats_view(server_t *s, Ladder__V1__StatsView *v, uint64_t *bh, uint64_t *ch)
{
    /* what is acknowledged (with the WAL, LMDB may be a batch or two behind) */
    v->head_seq = s->batches.committed_seq;
    v->requests = s->st.requests, v->commands = s->st.commands, v->queries = s->st.queries;
    v->errors = s->st.errors, v->batches = s->st.batches;
    memcpy(bh, s->st.batch_hist, sizeof s->st.batch_hist);
    memcpy(ch, s->st.commit_hist, sizeof s->st.commit_hist);
    v->n_batch_size_hist = LD_HIST, v->batch_size_hist = bh;
    v->n_commit_latency_us_hist = LD_HIST, v->commit_latency_us_hist = ch;
    v->uptime_s = (ld_mono_ns() - s->started_ns) / 1000000000ull;
    v->employees = ld_core_employee_count(s->core);
    v->events_replayed_at_start = s->st.replayed_at_start;
    v->unsent_replies = s->st.unsent_replies;
    v->unsent_updates = s->st.unsent_updates;
    v->peers_dropped = s->st.peers_dropped;
    v->peer_requests_discarded = s->st.peer_requests_discarded;
    v->peer_queue_bytes = atomic_load_explicit(&s->st.peer_queue_bytes, memory_order_relaxed);
    v->subscriptions_refused = s->st.subscriptions_refused;
    v->subscriptions = s->st.subscriptions;
    v->server_version = LADDER_SERVER_VERSION;
    v->contract_version = LADDER_CONTRACT_VERSION;
    v->utc_offset_minutes = ld_core_rules(s->core)->utc_offset_min;
    v->rules_version = ld_core_rules(s->core)->version;
    v->manual_clock = s->cfg.manual_clock;
    v->now_ms = ld_server_now(s);
}

/* The counters behind ladder-web's /metrics (issue 15). le and levels are
 * the caller's arrays the view points into. */
static void metrics_view(server_t *s, Ladder__V1__StatsView *v, uint64_t *le, uint64_t *levels,
                         Ladder__V1__ErrorCount *ec, Ladder__V1__ErrorCount **ecp, bool with_levels)
{
    v->commands_accepted = s->st.commands_accepted;
    size_t n = 0;
    for (int code = 0; code < LD_ERROR_CODES && n < LD_ERROR_SEEN; code++) {
        if (!s->st.refused[code])
            continue;
        ladder__v1__error_count__init(&ec[n]);
        ec[n].code = (Ladder__V1__ErrorCode)code;
        ec[n].count = s->st.refused[code];
        ecp[n] = &ec[n];
        n++;
    }
    v->n_refused = n, v->refused = ecp;
    v->n_commit_latency_le_us = LD_COMMIT_BUCKETS, v->commit_latency_le_us = le;
    v->n_commit_latency_bucket = LD_COMMIT_BUCKETS + 1, v->commit_latency_bucket = s->st.commit_le;
    v->commit_latency_sum_us = s->st.commit_sum_us;
    v->events = s->st.events;
    v->subscribers = s->st.subscribers > 0 ? (uint64_t)s->st.subscribers : 0;
    v->snapshot_seq = s->batches.snap_seq;
    v->snapshot_age_s = (ld_mono_ns() - s->st.snapshot_ns) / 1000000000ull;
    v->version = LADDER_VERSION " " LADDER_BUILD;
    if (with_levels) {
        size_t n = ld_core_employee_count(s->core);
        for (size_t i = 0; i < n; i++) {
            ld_emp_summary_t e;
            ld_core_employee_at(s->core, i, &e);
            if (!e.left && e.level < LD_LEVELS)
                levels[e.level]++;
        }
        v->n_employees_per_level = LD_LEVELS, v->employees_per_level = levels;
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
            ub[k].prev_seq = ld_topics_get(s->publisher.topics, topics[i][0]);
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
            ub[k].prev_seq = ld_topics_get(s->publisher.topics, topics[i][1]);
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
    Ladder__V1__TopicSeq *last = ld_topics_list(s->publisher.topics, prefix, &nlast);
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
    ld_requests_set_reply(b, p, &r);
    free(us), free(ub), free(lb), free(pb), free(topics), free(last), free(plast);
}

/* The core's queries on the live state. Explain with as_of (§11: the state
 * as it was) and the rules what-if (§10) are folded from the log on the
 * thread pool (history.c). */
static void core_query(server_t *s, batch_t *b, pending_t *p, Ladder__V1__Query *q,
                       Ladder__V1__Reply *r, ld_read_t access)
{
    if ((q->q_case == LADDER__V1__QUERY__Q_EXPLAIN &&
         (q->explain->as_of_seq || q->explain->as_of_ms)) ||
        q->q_case == LADDER__V1__QUERY__Q_WHAT_IF) {
        ld_history_explain(s, p, q); /* explain as of, or a what-if (§10) */
        return;
    }
    ld_refusal_t why;
    ld_out_reset(s->qout);
    if (ld_core_query(s->core, q, ld_server_now(s), s->qout, r->ok, &why) != 0) {
        ld_requests_error(s, b, p, why.code, why.section, why.field, 0, "%s", why.message);
        return;
    }
    if (access == LD_READ_PUBLIC)
        ld_access_public(r->ok);
    ld_requests_set_reply(b, p, r);
}

void ld_reads_query(server_t *s, pending_t *p, Ladder__V1__Query *q)
{
    batch_t *b = s->batches.cur;
    s->st.queries++;
    Ladder__V1__Ok ok = LADDER__V1__OK__INIT;
    Ladder__V1__Reply r = LADDER__V1__REPLY__INIT;
    r.request_id = (ProtobufCBinaryData){p->rid_len, p->rid};
    r.outcome_case = LADDER__V1__REPLY__OUTCOME_OK;
    r.ok = &ok;
    /* §1 v2: every query is decided by access.c's table first, with the
     * reviewer role as the log has it (ReadEvents' job uses it too) */
    p->roles = ld_access_roles(s->core, s->qout, p->who, p->roles);
    ld_read_refusal_t denied;
    ld_read_t access = ld_access_query(q, p->who, p->roles, &denied);
    if (access == LD_READ_REFUSED) {
        ld_requests_error(s, b, p, E(ERR_FORBIDDEN), denied.section, denied.field, 0, "%s",
                          denied.message);
        return;
    }
    switch (q->q_case) {
    case LADDER__V1__QUERY__Q_STATS: {
        Ladder__V1__StatsView v = LADDER__V1__STATS_VIEW__INIT;
        uint64_t bh[LD_HIST], ch[LD_HIST];
        stats_view(s, &v, bh, ch);
        if (q->stats->with_digest) {
            /* the job copies the view: the metrics' arrays below live on this stack */
            ld_history_digest(s, p, &v, bh, ch);
            return;
        }
        uint64_t le[LD_COMMIT_BUCKETS] = LD_COMMIT_LE_US, levels[LD_LEVELS] = {0};
        Ladder__V1__ErrorCount ec[LD_ERROR_SEEN], *ecp[LD_ERROR_SEEN];
        metrics_view(s, &v, le, levels, ec, ecp, q->stats->with_levels);
        ok.result_case = LADDER__V1__OK__RESULT_STATS;
        ok.stats = &v;
        ld_requests_set_reply(b, p, &r);
        return;
    }
    case LADDER__V1__QUERY__Q_READ_EVENTS: {
        const Ladder__V1__ReadEvents *re = q->read_events;
        const char *stream = re->stream ? re->stream : "";
        if (strlen(stream) > LD_STREAM_MAX) {
            ld_requests_error(s, b, p, E(ERR_INVALID), "", "read_events.stream", 0,
                              "read_events.stream: at most %d bytes", LD_STREAM_MAX);
            return;
        }
        const char *sp = re->stream_prefix ? re->stream_prefix : "";
        const char *tp = re->topic_prefix ? re->topic_prefix : "";
        const char *te = re->topic ? re->topic : "";
        if (strlen(sp) > LD_STREAM_MAX || strlen(tp) >= LD_TOPIC_MAX || strlen(te) >= LD_TOPIC_MAX) {
            ld_requests_error(s, b, p, E(ERR_INVALID), "", strlen(sp) > LD_STREAM_MAX
                              ? "read_events.stream_prefix" : strlen(tp) >= LD_TOPIC_MAX
                              ? "read_events.topic_prefix" : "read_events.topic", 0,
                              "read_events: stream_prefix at most %d bytes, topic_prefix and "
                              "topic at most %d", LD_STREAM_MAX, LD_TOPIC_MAX - 1);
            return;
        }
        memset(p->types, 0, sizeof p->types);
        for (size_t i = 0; i < re->n_types; i++) {
            const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(
                &ladder__v1__event__descriptor, re->types[i]);
            if (!f || f->id < 10 || f->id >= 64 * 8 || f->type != PROTOBUF_C_TYPE_MESSAGE) {
                char field[48];
                snprintf(field, sizeof field, "read_events.types[%zu]", i);
                ld_requests_error(s, b, p, E(ERR_INVALID), "", field, 0,
                                  "%s: \"%.64s\" is not an event type (an Event.body field name)",
                                  field, re->types[i]);
                return;
            }
            p->types[f->id / 64] |= 1ull << (f->id % 64);
        }
        snprintf(p->stream_prefix, sizeof p->stream_prefix, "%s", sp);
        snprintf(p->topic_prefix, sizeof p->topic_prefix, "%s", tp);
        snprintf(p->topic, sizeof p->topic, "%s", te);
        p->filtered = re->n_types || sp[0] || tp[0] || te[0];
        p->deferred = true;
        p->from = re->from_seq ? re->from_seq : 1;
        p->max = re->max == 0 || re->max > 1000 ? 1000 : re->max;
        snprintf(p->stream, sizeof p->stream, "%s", stream);
        return;
    }
    case LADDER__V1__QUERY__Q_SNAPSHOT:
        topic_snapshot(s, b, p, q->snapshot->topic_prefix ? q->snapshot->topic_prefix : "");
        return;
    default:
        core_query(s, b, p, q, &r, access);
        return;
    }
}

/* A ReadEvents page holds at most this many bytes of events (and at least
 * one event), so that a client that asks and never reads pins little. */
#define PAGE_BYTES ((size_t)1 << 20)

typedef struct {
    Ladder__V1__Event **ev;
    size_t n, cap;
    size_t bytes;           /* of the events in the page */
    bool full;              /* stopped at the byte bound */
    const pending_t *p;     /* the filters */
    uint64_t last;          /* seq (or stream version) of the last entry read */
} page_t;

/* Log entries a filtered ReadEvents reads at most per request (PROTOCOL.md). */
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
    if (p->topic_prefix[0] || p->topic[0]) {
        ld_event_topics_t t;
        ld_topics_of_event(ev, &t);
        size_t n = strlen(p->topic_prefix);
        if (p->topic_prefix[0] && strncmp(t.evt, p->topic_prefix, n) &&
            (!t.level[0] || strncmp(t.level, p->topic_prefix, n)) &&
            (!t.points[0] || strncmp(t.points, p->topic_prefix, n)))
            return false;
        if (p->topic[0] && strcmp(t.evt, p->topic) && strcmp(t.level, p->topic) &&
            strcmp(t.points, p->topic))
            return false;
    }
    return true;
}

/* The filters on the stored bytes, before decoding: the body type and stream. */
static bool page_may_match(const pending_t *p, const uint8_t *data, size_t len)
{
    uint32_t body;
    const char *stream;
    size_t slen, plen = strlen(p->stream_prefix);
    if (ld_event_peek(data, len, &body, &stream, &slen))
        return true; /* let the decoder report it */
    uint64_t any = 0;
    for (int i = 0; i < 8; i++)
        any |= p->types[i];
    if (any && (body >= 64 * 8 || !(p->types[body / 64] & (1ull << (body % 64)))))
        return false;
    if (plen && (slen < plen || memcmp(stream, p->stream_prefix, plen)))
        return false;
    return (!p->topic_prefix[0] || ld_event_may_match(data, len, body, p->topic_prefix, false)) &&
           (!p->topic[0] || ld_event_may_match(data, len, body, p->topic, true));
}

static int page_cb(void *ctx, uint64_t seq, const uint8_t *data, size_t len)
{
    page_t *pg = ctx;
    if (pg->p->filtered && !pg->p->stream[0] && !page_may_match(pg->p, data, len)) {
        pg->last = seq;
        return 0;
    }
    /* the byte bound: the event that does not fit starts the next page */
    if (pg->n && pg->bytes + len > PAGE_BYTES) {
        pg->full = true;
        return PAGE_FULL;
    }
    Ladder__V1__Event *ev = ladder__v1__event__unpack(NULL, len, data);
    if (!ev)
        return LD_ECORRUPT;
    pg->last = pg->p->stream[0] ? ev->stream_version : seq;
    if (pg->p->filtered && !page_match(pg->p, ev)) {
        ladder__v1__event__free_unpacked(ev, NULL);
        return 0;
    }
    pg->bytes += len;
    pg->ev = ld_grow(pg->ev, &pg->cap, pg->n + 1, sizeof *pg->ev);
    pg->ev[pg->n++] = ev;
    return pg->p->filtered && pg->n == pg->p->max ? PAGE_FULL : 0;
}

/* Packs r into a new buffer: *out (caller frees) and *len. */
static void pack_new(const Ladder__V1__Reply *r, uint8_t **out, size_t *len)
{
    *len = ladder__v1__reply__get_packed_size(r);
    *out = malloc(*len ? *len : 1);
    if (!*out)
        abort();
    ladder__v1__reply__pack(r, *out);
}

void ld_reads_events(ld_store_t *st, const pending_t *p, uint8_t **out, size_t *len)
{
    page_t pg = {.p = p};
    ld_view_t *views = NULL;
    Ladder__V1__Event **shown = NULL;
    uint64_t budget = p->filtered ? FILTER_SCAN_MAX : p->max, scanned_to = p->from - 1;
    int rc = p->stream[0] ? ld_store_scan_stream(st, p->stream, p->from, budget, page_cb, &pg)
                          : ld_store_scan(st, p->from, budget, page_cb, &pg);
    if (rc == PAGE_FULL)
        rc = 0;
    if (pg.last)
        scanned_to = pg.last;
    Ladder__V1__Reply r = LADDER__V1__REPLY__INIT;
    r.request_id = (ProtobufCBinaryData){p->rid_len, (uint8_t *)p->rid};
    if (rc) {
        char msg[128];
        snprintf(msg, sizeof msg, "read_events: %s", ld_strerror(rc));
        Ladder__V1__Error e = LADDER__V1__ERROR__INIT;
        e.code = E(ERR_UNAVAILABLE);
        e.message = msg;
        e.field = "read_events";
        e.section = "";
        r.outcome_case = LADDER__V1__REPLY__OUTCOME_ERROR;
        r.error = &e;
        pack_new(&r, out, len);
    } else {
        uint64_t head;
        ld_store_head(st, &head, NULL);
        /* §1: what this principal may not read is removed (access.h) */
        views = pg.n ? malloc(pg.n * (sizeof *views + sizeof *shown)) : NULL;
        shown = views ? (Ladder__V1__Event **)(views + pg.n) : NULL;
        if (pg.n && !views)
            abort();
        for (size_t i = 0; i < pg.n; i++)
            shown[i] = (Ladder__V1__Event *)ld_access_view(pg.ev[i], p->who[0] ? p->who : NULL,
                                                            p->roles, &views[i]);
        Ladder__V1__EventPage page = LADDER__V1__EVENT_PAGE__INIT;
        page.n_events = pg.n;
        page.events = shown;
        page.head_seq = head;
        page.more = pg.full || pg.n == p->max ||
                    (p->filtered && scanned_to - (p->from - 1) >= budget);
        if (page.more)
            page.next_seq = scanned_to + 1;
        Ladder__V1__Ok ok = LADDER__V1__OK__INIT;
        ok.result_case = LADDER__V1__OK__RESULT_EVENTS;
        ok.events = &page;
        r.outcome_case = LADDER__V1__REPLY__OUTCOME_OK;
        r.ok = &ok;
        pack_new(&r, out, len);
    }
    for (size_t i = 0; i < pg.n; i++)
        ladder__v1__event__free_unpacked(pg.ev[i], NULL);
    free(pg.ev);
    free(views);
}
