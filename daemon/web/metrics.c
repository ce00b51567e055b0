/* metrics.c — /metrics: ladderd's Stats and the gateway's own counters in the
 * Prometheus text exposition format (version 0.0.4). Every family has HELP
 * and TYPE; counters end in _total; the commit latency is a histogram with
 * cumulative le buckets in seconds, _sum and _count.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "web.h"

#ifndef LADDER_BUILD
#define LADDER_BUILD "unknown"
#endif
#ifndef LADDER_VERSION
#define LADDER_VERSION "unknown"
#endif

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t http[6];
static time_t started;

void web_http_count(unsigned status)
{
    pthread_mutex_lock(&mu);
    if (!started)
        started = time(NULL);
    http[0]++;
    if (status >= 100 && status < 600)
        http[status / 100]++;
    pthread_mutex_unlock(&mu);
}

void web_http_counts(uint64_t out[6])
{
    pthread_mutex_lock(&mu);
    memcpy(out, http, sizeof http);
    pthread_mutex_unlock(&mu);
}

typedef struct {
    char *s;
    size_t len, cap;
} buf_t;

__attribute__((format(printf, 2, 3))) static void put(buf_t *b, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0)
            return;
        if (b->s && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap * 2 : 8192;
        while (cap <= b->len + (size_t)n)
            cap *= 2;
        char *s = realloc(b->s, cap);
        if (!s)
            return;
        b->s = s, b->cap = cap;
    }
}

static void family(buf_t *b, const char *name, const char *type, const char *help)
{
    put(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void counter(buf_t *b, const char *name, const char *help, uint64_t v)
{
    family(b, name, "counter", help);
    put(b, "%s %llu\n", name, (unsigned long long)v);
}

static void gauge(buf_t *b, const char *name, const char *help, double v)
{
    family(b, name, "gauge", help);
    put(b, "%s %.17g\n", name, v);
}

/* Prometheus label values escape backslash, quote and newline. */
static void label_value(buf_t *b, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"')
            put(b, "\\%c", *v);
        else if (*v == '\n')
            put(b, "\\n");
        else
            put(b, "%c", *v);
    }
}

static void ladderd_stats(buf_t *b, const Ladder__V1__StatsView *v)
{
    counter(b, "ladder_requests_total", "Requests ladderd received (commands and queries).",
            v->requests);
    counter(b, "ladder_queries_total", "Queries ladderd answered or refused.", v->queries);
    counter(b, "ladder_commands_accepted_total", "Commands of requests ladderd committed.",
            v->commands_accepted);
    family(b, "ladder_refused_total", "counter",
           "Requests (commands or queries) ladderd refused, by error code.");
    /* every code the proto defines, 0 when ladderd has refused nothing with it */
    const ProtobufCEnumDescriptor *ed = &ladder__v1__error_code__descriptor;
    for (unsigned i = 0; i < ed->n_values; i++) {
        if (!ed->values[i].value)
            continue;
        uint64_t n = 0;
        for (size_t k = 0; k < v->n_refused; k++)
            if ((int)v->refused[k]->code == ed->values[i].value)
                n = v->refused[k]->count;
        put(b, "ladder_refused_total{code=\"");
        label_value(b, ed->values[i].name);
        put(b, "\"} %llu\n", (unsigned long long)n);
    }
    counter(b, "ladder_batches_total", "Group commits ladderd made.", v->batches);
    counter(b, "ladder_events_total", "Events ladderd appended since it started.", v->events);

    family(b, "ladder_commit_latency_seconds", "histogram",
           "Time from a batch's submission to its durable commit.");
    uint64_t cum = 0;
    for (size_t i = 0; i < v->n_commit_latency_le_us && i < v->n_commit_latency_bucket; i++) {
        cum += v->commit_latency_bucket[i];
        put(b, "ladder_commit_latency_seconds_bucket{le=\"%g\"} %llu\n",
            (double)v->commit_latency_le_us[i] / 1e6, (unsigned long long)cum);
    }
    if (v->n_commit_latency_bucket > v->n_commit_latency_le_us)
        cum += v->commit_latency_bucket[v->n_commit_latency_le_us];
    put(b, "ladder_commit_latency_seconds_bucket{le=\"+Inf\"} %llu\n", (unsigned long long)cum);
    put(b, "ladder_commit_latency_seconds_sum %.6f\n", (double)v->commit_latency_sum_us / 1e6);
    put(b, "ladder_commit_latency_seconds_count %llu\n", (unsigned long long)cum);

    gauge(b, "ladder_head_seq", "Sequence number of the last event in the log.", (double)v->head_seq);
    gauge(b, "ladder_employees", "Employees known to ladderd.", (double)v->employees);
    family(b, "ladder_employees_by_level", "gauge", "Employees who have not left, by level (§2).");
    for (size_t i = 0; i < v->n_employees_per_level; i++)
        put(b, "ladder_employees_by_level{level=\"%zu\"} %llu\n", i,
            (unsigned long long)v->employees_per_level[i]);
    gauge(b, "ladder_subscribers", "Peers connected to ladderd's PUB socket.", (double)v->subscribers);
    counter(b, "ladder_unsent_replies_total", "Replies ladderd's ROUTER could not deliver (each is logged).",
            v->unsent_replies);
    counter(b, "ladder_unsent_updates_total", "Updates ladderd's PUB socket would not take.", v->unsent_updates);
    counter(b, "ladder_peers_dropped_total",
            "Connections ladderd dropped for holding more unread reply bytes than --max-peer-queue.",
            v->peers_dropped);
    counter(b, "ladder_peer_requests_discarded_total", "Requests of dropped connections read and not decided.",
            v->peer_requests_discarded);
    gauge(b, "ladder_peer_queue_bytes", "Reply bytes libzmq holds for ladderd's connections now.",
          (double)v->peer_queue_bytes);
    gauge(b, "ladder_subscriptions", "Live subscriptions on ladderd's PUB socket.", (double)v->subscriptions);
    counter(b, "ladder_subscriptions_refused_total", "Subscriptions over a bound, not applied.",
            v->subscriptions_refused);
    gauge(b, "ladder_snapshot_seq", "Sequence number of the last state snapshot.",
          (double)v->snapshot_seq);
    gauge(b, "ladder_snapshot_age_seconds", "Seconds since the last state snapshot was written.",
          (double)v->snapshot_age_s);
    gauge(b, "ladder_uptime_seconds", "Seconds since ladderd started.", (double)v->uptime_s);
    counter(b, "ladder_events_replayed_at_start_total",
            "Events folded after the snapshot when ladderd started.", v->events_replayed_at_start);
    /* Stats.version is "<version> <revision>" */
    char ver[128], *rev;
    snprintf(ver, sizeof ver, "%s", v->version && *v->version ? v->version : "unknown");
    rev = strchr(ver, ' ');
    if (rev)
        *rev++ = 0;
    family(b, "ladder_build_info", "gauge", "ladderd's build; the value is always 1.");
    put(b, "ladder_build_info{version=\"");
    label_value(b, ver);
    put(b, "\",revision=\"");
    label_value(b, rev ? rev : "unknown");
    put(b, "\"} 1\n");
}

char *web_metrics_text(unsigned timeout_ms, size_t *len)
{
    Ladder__V1__Stats sq = LADDER__V1__STATS__INIT;
    sq.with_levels = 1;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_STATS;
    q.stats = &sq;
    Ladder__V1__Reply *r = web_query(&q, timeout_ms);
    buf_t b = {0};
    bool up = r && r->outcome_case == LADDER__V1__REPLY__OUTCOME_OK &&
              r->ok->result_case == LADDER__V1__OK__RESULT_STATS;
    gauge(&b, "ladder_up", "1 when ladderd answered the gateway's Stats query.", up ? 1 : 0);
    if (up)
        ladderd_stats(&b, r->ok->stats);
    if (r)
        ladder__v1__reply__free_unpacked(r, NULL);

    web_hub_stats_t h;
    web_hub_stats(&h);
    uint64_t hc[6];
    web_http_counts(hc);
    family(&b, "ladder_web_http_responses_total", "counter", "HTTP responses of ladder-web by class.");
    for (int i = 1; i <= 5; i++)
        put(&b, "ladder_web_http_responses_total{class=\"%dxx\"} %llu\n", i, (unsigned long long)hc[i]);
    gauge(&b, "ladder_web_sse_streams", "Open /events streams.", (double)h.streams);
    counter(&b, "ladder_web_sse_refused_total", "/events streams refused at the cap (503).",
            h.streams_refused);
    counter(&b, "ladder_web_sse_dropped_total", "/events streams ended because the client did not read.",
            h.streams_dropped);
    counter(&b, "ladder_web_updates_total", "Updates received from ladderd after the snapshot.",
            h.updates);
    counter(&b, "ladder_web_gaps_filled_total", "Gaps in evt.* filled from ladderd's log.",
            h.gaps_filled);
    gauge(&b, "ladder_web_last_seq", "Highest seq the gateway has seen.", (double)h.last_seq);
    gauge(&b, "ladder_web_snapshot_loaded", "1 once the Clone snapshot is loaded.",
          h.snapshot_loaded ? 1 : 0);
    family(&b, "ladder_web_build_info", "gauge", "ladder-web's build; the value is always 1.");
    put(&b, "ladder_web_build_info{version=\"");
    label_value(&b, LADDER_VERSION);
    put(&b, "\",revision=\"");
    label_value(&b, LADDER_BUILD);
    put(&b, "\"} 1\n");
    *len = b.len;
    return b.s;
}
