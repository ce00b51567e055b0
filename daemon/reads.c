/* reads.c — the answers to queries (shell.h).
 *
 * Owns the read side of a request: the core's queries (§11 Explain with
 * as_of folds the log up to that moment), Stats (histograms, the state
 * digest), the Clone-pattern Snapshot of level.* and points.* topics, and
 * ReadEvents, which is answered after its batch commits so that it shows
 * committed events only. Every answer is held with its batch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "replay.h"
#include "shell.h"

#define E(x) LADDER__V1__ERROR_CODE__##x

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
    v->n_batch_size_hist = LD_HIST, v->batch_size_hist = bh;
    v->n_commit_latency_us_hist = LD_HIST, v->commit_latency_us_hist = ch;
    v->uptime_s = (ld_mono_ns() - s->started_ns) / 1000000000ull;
    v->employees = ld_core_employee_count(s->core);
    v->events_replayed_at_start = s->st.replayed_at_start;
    v->utc_offset_minutes = ld_core_rules(s->core)->utc_offset_min;
    v->rules_version = ld_core_rules(s->core)->version;
    v->manual_clock = s->cfg.manual_clock;
    v->now_ms = ld_server_now(s);
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
    Ladder__V1__Ok ok = LADDER__V1__OK__INIT;
    ok.result_case = LADDER__V1__OK__RESULT_SNAPSHOT;
    ok.snapshot = &ts;
    Ladder__V1__Reply r = LADDER__V1__REPLY__INIT;
    r.request_id = (ProtobufCBinaryData){p->rid_len, p->rid};
    r.outcome_case = LADDER__V1__REPLY__OUTCOME_OK;
    r.ok = &ok;
    ld_requests_set_reply(b, p, &r);
    free(us), free(ub), free(lb), free(pb), free(topics);
}

/* The core's queries; Explain with as_of over a state folded from the log (§11). */
static void core_query(server_t *s, batch_t *b, pending_t *p, Ladder__V1__Query *q,
                       Ladder__V1__Reply *r)
{
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
            ld_requests_error(s, b, p, E(ERR_UNAVAILABLE), "§11", "explain", 0,
                              "explain: cannot fold the log: %s", ld_strerror(rc));
            return;
        }
        core = past;
    }
    int64_t now = past ? ld_core_last_at(past) : ld_server_now(s);
    if (ld_core_query(core, q, now, s->qout, r->ok, &why) != 0) {
        ld_core_destroy(&past);
        ld_requests_error(s, b, p, why.code, why.section, why.field, 0, "%s", why.message);
        return;
    }
    ld_requests_set_reply(b, p, r);
    ld_core_destroy(&past);
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
    switch (q->q_case) {
    case LADDER__V1__QUERY__Q_STATS: {
        Ladder__V1__StatsView v = LADDER__V1__STATS_VIEW__INIT;
        uint64_t bh[LD_HIST], ch[LD_HIST];
        uint8_t digest[32];
        stats_view(s, &v, bh, ch, digest, q->stats->with_digest);
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
        core_query(s, b, p, q, &r);
        return;
    }
}

typedef struct {
    Ladder__V1__Event **ev;
    size_t n, cap;
} page_t;

static int page_cb(void *ctx, uint64_t seq, const uint8_t *data, size_t len)
{
    page_t *pg = ctx;
    (void)seq;
    Ladder__V1__Event *ev = ladder__v1__event__unpack(NULL, len, data);
    if (!ev)
        return LD_ECORRUPT;
    pg->ev = ld_grow(pg->ev, &pg->cap, pg->n + 1, sizeof *pg->ev);
    pg->ev[pg->n++] = ev;
    return 0;
}

void ld_reads_deferred(server_t *s, batch_t *b, pending_t *p)
{
    page_t pg = {0};
    int rc = p->stream[0] ? ld_store_scan_stream(s->store, p->stream, p->from, p->max, page_cb, &pg)
                          : ld_store_scan(s->store, p->from, p->max, page_cb, &pg);
    if (rc) {
        ld_requests_error(s, b, p, E(ERR_UNAVAILABLE), "", "read_events", 0, "read_events: %s",
                          ld_strerror(rc));
    } else {
        uint64_t head;
        ld_store_head(s->store, &head, NULL);
        Ladder__V1__EventPage page = LADDER__V1__EVENT_PAGE__INIT;
        page.n_events = pg.n;
        page.events = pg.ev;
        page.head_seq = head;
        if (pg.n == p->max)
            page.next_seq = p->stream[0] ? pg.ev[pg.n - 1]->stream_version + 1
                                         : pg.ev[pg.n - 1]->seq + 1;
        Ladder__V1__Ok ok = LADDER__V1__OK__INIT;
        ok.result_case = LADDER__V1__OK__RESULT_EVENTS;
        ok.events = &page;
        Ladder__V1__Reply r = LADDER__V1__REPLY__INIT;
        r.request_id = (ProtobufCBinaryData){p->rid_len, p->rid};
        r.outcome_case = LADDER__V1__REPLY__OUTCOME_OK;
        r.ok = &ok;
        ld_requests_set_reply(b, p, &r);
    }
    for (size_t i = 0; i < pg.n; i++)
        ladder__v1__event__free_unpacked(pg.ev[i], NULL);
    free(pg.ev);
}
