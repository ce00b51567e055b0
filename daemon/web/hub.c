/* hub.c — ladder-web's subscriber side: one thread with a SUB socket on
 * ladderd's PUB (Clone pattern: subscribe first, then a Snapshot query, then
 * drop every update at or below the snapshot's seq), a ring of the latest
 * updates for Last-Event-ID resumption, gap fill of evt.* from ReadEvents,
 * the LevelInfo of every level seen (titles and belts for the wallboard, §2),
 * and the SSE streams of /events.
 *
 * An SSE stream is a libmicrohttpd response whose content reader copies out
 * of the stream's buffer and suspends the connection when it is empty; the
 * hub appends to the buffer and resumes the connection. A stream whose
 * client does not read (buffer over STREAM_MAX bytes) is ended. Every
 * KEEPALIVE_S a comment goes to every stream, so dead peers are noticed.
 */
#include <malloc.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "log.h"
#include "pbjson.h"
#include "web.h"

#define RING 4096
#define STREAM_MAX (1u << 20)
#define MAX_TOPICS 8
#define TOPIC_MAX 96
#define KEEPALIVE_S 15
#define TRIM_S 5
#define FILL_MAX 5000 /* events a resumed stream may be caught up with */

typedef struct {
    uint64_t seq;
    char *topic;
    char *text; /* the SSE record: "id: ...\ndata: ...\n\n" */
    size_t len;
} entry_t;

typedef struct stream {
    struct stream *next, *prev;
    struct MHD_Connection *conn;
    char topics[MAX_TOPICS][TOPIC_MAX];
    int ntopics;
    char *buf;
    size_t off, len, cap;
    bool suspended, closed;
} stream_t;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static entry_t ring[RING];
static size_t ring_next, ring_n;
static uint64_t ring_evicted; /* highest seq that left the ring */
static stream_t *streams;
static json_t *levels[16];
static web_hub_stats_t st;
static const web_config_t *cfg;
static pthread_t thr;
static volatile bool stopping;
static bool started;

/* ------------------------------------------------------------ streams -- */

static bool wants(const stream_t *s, const char *topic)
{
    if (!s->ntopics)
        return true;
    for (int i = 0; i < s->ntopics; i++)
        if (!strncmp(topic, s->topics[i], strlen(s->topics[i])))
            return true;
    return false;
}

/* Appends to a stream's buffer and wakes its connection. Called locked. */
static void stream_put(stream_t *s, const char *text, size_t n)
{
    if (s->closed)
        return;
    if (s->len - s->off + n > STREAM_MAX) {
        /* a client that does not read: end its stream rather than grow */
        s->closed = true;
        st.streams_dropped++;
    } else {
        if (s->off && s->len + n > s->cap) {
            memmove(s->buf, s->buf + s->off, s->len - s->off);
            s->len -= s->off, s->off = 0;
        }
        if (s->len + n > s->cap) {
            size_t cap = s->cap ? s->cap : 4096;
            while (cap < s->len + n)
                cap *= 2;
            char *b = realloc(s->buf, cap);
            if (!b) {
                s->closed = true;
                goto wake;
            }
            s->buf = b, s->cap = cap;
        }
        memcpy(s->buf + s->len, text, n);
        s->len += n;
    }
wake:
    if (s->suspended) {
        s->suspended = false;
        MHD_resume_connection(s->conn);
    }
}

static ssize_t stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
    (void)pos;
    stream_t *s = cls;
    ssize_t n;
    pthread_mutex_lock(&mu);
    if (s->len > s->off) {
        size_t k = s->len - s->off < max ? s->len - s->off : max;
        memcpy(out, s->buf + s->off, k);
        s->off += k;
        if (s->off == s->len)
            s->off = s->len = 0;
        n = (ssize_t)k;
    } else if (s->closed) {
        n = MHD_CONTENT_READER_END_OF_STREAM;
    } else {
        s->suspended = true;
        MHD_suspend_connection(s->conn);
        n = 0;
    }
    pthread_mutex_unlock(&mu);
    return n;
}

static void stream_free(void *cls)
{
    stream_t *s = cls;
    pthread_mutex_lock(&mu);
    if (s->prev)
        s->prev->next = s->next;
    else
        streams = s->next;
    if (s->next)
        s->next->prev = s->prev;
    st.streams--;
    pthread_mutex_unlock(&mu);
    free(s->buf);
    free(s);
}

static int parse_topics(stream_t *s, const char *topics)
{
    if (!topics || !*topics)
        return 0;
    const char *p = topics;
    while (*p) {
        size_t n = strcspn(p, ",");
        if (n) {
            if (s->ntopics == MAX_TOPICS || n >= TOPIC_MAX)
                return -1;
            memcpy(s->topics[s->ntopics], p, n);
            s->topics[s->ntopics++][n] = 0;
        }
        p += n;
        if (*p == ',')
            p++;
    }
    return 0;
}

/* An SSE record of one update. Returns a malloc'd string. */
static char *sse_record(const Ladder__V1__Update *u, size_t *len)
{
    json_t *j = pbjson_from_message(&u->base);
    char *data = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(j);
    if (!data)
        return NULL;
    char *text = NULL;
    int n = asprintf(&text, "id: %llu\ndata: %s\n\n", (unsigned long long)u->seq, data);
    free(data);
    if (n < 0)
        return NULL;
    *len = (size_t)n;
    return text;
}

static const char *body_name(const Ladder__V1__Event *ev)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field(&ladder__v1__event__descriptor, ev->body_case);
    return f ? f->name : "unknown";
}

/* Catch-up from the log (ReadEvents): the evt.* updates of seqs [from, to]
 * that s wants, appended to *text. Returns the last seq covered. */
static uint64_t fill_events(stream_t *s, uint64_t from, uint64_t to, char **text, size_t *len,
                            size_t *cap)
{
    uint64_t done = from - 1;
    while (done < to && done - from + 1 < FILL_MAX) {
        Ladder__V1__ReadEvents re = LADDER__V1__READ_EVENTS__INIT;
        re.from_seq = done + 1;
        re.max = 1000;
        Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
        q.q_case = LADDER__V1__QUERY__Q_READ_EVENTS;
        q.read_events = &re;
        Ladder__V1__Reply *r = web_query(&q, cfg->timeout_ms);
        if (!r || r->outcome_case != LADDER__V1__REPLY__OUTCOME_OK ||
            r->ok->result_case != LADDER__V1__OK__RESULT_EVENTS || !r->ok->events->n_events) {
            if (r)
                ladder__v1__reply__free_unpacked(r, NULL);
            break;
        }
        Ladder__V1__EventPage *pg = r->ok->events;
        for (size_t i = 0; i < pg->n_events && done < to; i++) {
            Ladder__V1__Event *e = pg->events[i];
            done = e->seq;
            char topic[64];
            snprintf(topic, sizeof topic, "evt.%s", body_name(e));
            if (s && !wants(s, topic))
                continue;
            e->prev_hash.len = 0; /* as published live (the store sets it) */
            Ladder__V1__Update u = LADDER__V1__UPDATE__INIT;
            u.topic = topic;
            u.seq = e->seq;
            u.payload_case = LADDER__V1__UPDATE__PAYLOAD_EVENT;
            u.event = e;
            size_t n;
            char *rec = sse_record(&u, &n);
            if (!rec)
                continue;
            if (*len + n > *cap) {
                size_t c = *cap ? *cap * 2 : 8192;
                while (c < *len + n)
                    c *= 2;
                char *t = realloc(*text, c);
                if (!t) {
                    free(rec);
                    break;
                }
                *text = t, *cap = c;
            }
            memcpy(*text + *len, rec, n);
            *len += n;
            free(rec);
        }
        ladder__v1__reply__free_unpacked(r, NULL);
    }
    return done;
}

int web_hub_open_stream(struct MHD_Connection *c, const char *topics, uint64_t last_id)
{
    stream_t *s = calloc(1, sizeof *s);
    if (!s)
        return 500;
    if (parse_topics(s, topics)) {
        free(s);
        return 400;
    }
    s->conn = c;
    pthread_mutex_lock(&mu);
    bool full = st.streams >= cfg->max_streams;
    if (full)
        st.streams_refused++;
    else
        st.streams++; /* reserved now, so the cap holds under concurrency */
    uint64_t missing_upto = ring_evicted > st.snapshot_seq ? ring_evicted : st.snapshot_seq;
    pthread_mutex_unlock(&mu);
    if (full) {
        free(s);
        return 503;
    }

    /* resumption older than the ring: evt.* from the log, then a reset note
     * for state topics (level., points., board.: fetch them afresh) */
    char *fill = NULL;
    size_t flen = 0, fcap = 0;
    uint64_t covered = last_id;
    if (last_id && last_id < missing_upto) {
        bool evt = !s->ntopics;
        for (int i = 0; i < s->ntopics; i++)
            evt |= !strncmp(s->topics[i], "evt.", strlen(s->topics[i]) < 4 ? strlen(s->topics[i]) : 4);
        if (evt)
            covered = fill_events(s, last_id + 1, missing_upto, &fill, &flen, &fcap);
        char *note = NULL;
        int n = asprintf(&note,
                         "event: reset\ndata: {\"from\":\"%llu\",\"filledTo\":\"%llu\",\"reason\":"
                         "\"state topics older than the gateway's buffer: fetch them afresh\"}\n\n",
                         (unsigned long long)last_id, (unsigned long long)covered);
        if (n > 0) {
            if (flen + (size_t)n > fcap) {
                char *t = realloc(fill, flen + (size_t)n);
                if (t)
                    fill = t, fcap = flen + (size_t)n;
            }
            if (flen + (size_t)n <= fcap) {
                memcpy(fill + flen, note, (size_t)n);
                flen += (size_t)n;
            }
            free(note);
        }
    }

    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, stream_read, s, stream_free);
    if (!r) {
        pthread_mutex_lock(&mu);
        st.streams--;
        pthread_mutex_unlock(&mu);
        free(fill);
        free(s);
        return 500;
    }
    MHD_add_response_header(r, "Content-Type", "text/event-stream; charset=utf-8");
    MHD_add_response_header(r, "Cache-Control", "no-cache");
    MHD_add_response_header(r, "X-Accel-Buffering", "no");

    pthread_mutex_lock(&mu);
    static const char hello[] = "retry: 2000\n: ladder-web\n\n";
    stream_put(s, hello, sizeof hello - 1);
    if (flen)
        stream_put(s, fill, flen);
    if (last_id) {
        for (size_t k = 0; k < ring_n; k++) {
            entry_t *e = &ring[(ring_next + RING - ring_n + k) % RING];
            if (e->seq > last_id && (e->seq > covered || strncmp(e->topic, "evt.", 4)) &&
                wants(s, e->topic))
                stream_put(s, e->text, e->len);
        }
    }
    s->next = streams;
    if (streams)
        streams->prev = s;
    streams = s;
    pthread_mutex_unlock(&mu);
    free(fill);
    MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return 200;
}

/* ---------------------------------------------------------- the thread -- */

static void ring_push(uint64_t seq, const char *topic, char *text, size_t len)
{
    entry_t *e = &ring[ring_next];
    if (ring_n == RING) {
        if (e->seq > ring_evicted)
            ring_evicted = e->seq;
        free(e->topic), free(e->text);
    } else {
        ring_n++;
    }
    e->seq = seq, e->topic = strdup(topic), e->text = text, e->len = len;
    ring_next = (ring_next + 1) % RING;
}

static void set_level(const Ladder__V1__LevelInfo *li)
{
    if (!li || li->level >= sizeof levels / sizeof *levels)
        return;
    json_decref(levels[li->level]);
    levels[li->level] = pbjson_from_message(&li->base);
}

/* The Clone snapshot of level.*: the titles and belts, and (with set_base,
 * at start) the seq below which updates are already contained. */
static int load_snapshot(bool set_base)
{
    Ladder__V1__Snapshot sn = LADDER__V1__SNAPSHOT__INIT;
    sn.topic_prefix = "level.";
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_SNAPSHOT;
    q.snapshot = &sn;
    Ladder__V1__Reply *r = web_query(&q, cfg->timeout_ms);
    if (!r)
        return -1;
    if (r->outcome_case != LADDER__V1__REPLY__OUTCOME_OK ||
        r->ok->result_case != LADDER__V1__OK__RESULT_SNAPSHOT) {
        ld_log(LD_LOG_WARN, "ladderd refused the snapshot query", "error=\"%s\"",
               r->outcome_case == LADDER__V1__REPLY__OUTCOME_ERROR ? r->error->message : "?");
        ladder__v1__reply__free_unpacked(r, NULL);
        return -1;
    }
    Ladder__V1__TopicSnapshot *ts = r->ok->snapshot;
    pthread_mutex_lock(&mu);
    for (size_t i = 0; i < ts->n_updates; i++)
        if (ts->updates[i]->payload_case == LADDER__V1__UPDATE__PAYLOAD_LEVEL)
            set_level(ts->updates[i]->level->level);
    if (set_base) {
        st.snapshot_seq = ts->seq;
        if (st.last_seq < ts->seq)
            st.last_seq = ts->seq;
        st.snapshot_loaded = true;
    }
    pthread_mutex_unlock(&mu);
    ld_log(LD_LOG_INFO, "snapshot loaded", "seq=%llu values=%zu", (unsigned long long)ts->seq,
           ts->n_updates);
    ladder__v1__reply__free_unpacked(r, NULL);
    return 0;
}

/* Publishes text to the ring and to every stream that wants topic. Called locked. */
static void publish(uint64_t seq, const char *topic, char *text, size_t len)
{
    for (stream_t *s = streams; s; s = s->next)
        if (wants(s, topic))
            stream_put(s, text, len);
    ring_push(seq, topic, text, len);
}

/* evt.* are gapless: a jump means the SUB socket lost updates (its high-water
 * mark); catch up from the log and refresh the level cache. */
static void fill_gap(uint64_t from, uint64_t to)
{
    char *text = NULL;
    size_t len = 0, cap = 0;
    uint64_t done = fill_events(NULL, from, to, &text, &len, &cap);
    /* split the records back into entries so that they resume like live ones */
    pthread_mutex_lock(&mu);
    size_t i = 0;
    while (i < len) {
        char *end = strstr(text + i, "\n\n");
        if (!end)
            break;
        size_t n = (size_t)(end + 2 - (text + i));
        unsigned long long seq = strtoull(text + i + 4, NULL, 10);
        const char *tp = strstr(text + i, "\"topic\":\"");
        char topic[64] = "evt.";
        if (tp && tp < end) {
            tp += 9;
            size_t k = strcspn(tp, "\"");
            snprintf(topic, sizeof topic, "%.*s", (int)(k < 63 ? k : 63), tp);
        }
        char *rec = malloc(n);
        if (rec) {
            memcpy(rec, text + i, n);
            publish(seq, topic, rec, n);
        }
        i += n;
    }
    st.gaps_filled++;
    pthread_mutex_unlock(&mu);
    free(text);
    ld_log(LD_LOG_WARN, "gap in updates filled from the log", "from=%llu to=%llu filled_to=%llu",
           (unsigned long long)from, (unsigned long long)to, (unsigned long long)done);
    /* titles and belts may have changed in the gap; the base stays, so the
     * updates still queued behind the gap are published */
    load_snapshot(false);
}

static void on_update(const char *topic, size_t tlen, const uint8_t *data, size_t len,
                      uint64_t *last_evt)
{
    (void)tlen;
    Ladder__V1__Update *u = ladder__v1__update__unpack(NULL, len, data);
    if (!u)
        return;
    pthread_mutex_lock(&mu);
    uint64_t base = st.snapshot_seq;
    pthread_mutex_unlock(&mu);
    if (u->seq <= base) {
        /* Clone: already in the snapshot */
        pthread_mutex_lock(&mu);
        st.dropped_old++;
        pthread_mutex_unlock(&mu);
        ladder__v1__update__free_unpacked(u, NULL);
        return;
    }
    if (u->payload_case == LADDER__V1__UPDATE__PAYLOAD_EVENT) {
        if (*last_evt && u->seq > *last_evt + 1)
            fill_gap(*last_evt + 1, u->seq - 1);
        if (u->seq > *last_evt)
            *last_evt = u->seq;
    }
    size_t n;
    char *text = sse_record(u, &n);
    pthread_mutex_lock(&mu);
    st.updates++;
    if (u->seq > st.last_seq)
        st.last_seq = u->seq;
    if (u->payload_case == LADDER__V1__UPDATE__PAYLOAD_LEVEL)
        set_level(u->level->level);
    if (text)
        publish(u->seq, topic, text, n);
    pthread_mutex_unlock(&mu);
    ladder__v1__update__free_unpacked(u, NULL);
}

static void *hub_main(void *arg)
{
    (void)arg;
    void *sub = zmq_socket(web_client_ctx(), ZMQ_SUB);
    int hwm = 100000, linger = 0;
    zmq_setsockopt(sub, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(sub, ZMQ_LINGER, &linger, sizeof linger);
    web_client_curve(sub);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0);
    if (zmq_connect(sub, cfg->publish) != 0) {
        ld_log(LD_LOG_ERROR, "cannot connect the SUB socket", "publish=%s error=\"%s\"",
               cfg->publish, zmq_strerror(zmq_errno()));
        zmq_close(sub);
        return NULL;
    }
    /* Clone: subscribed first, so nothing after the snapshot is missed */
    while (!stopping && load_snapshot(true) != 0) {
        struct timespec ts = {0, 200000000};
        nanosleep(&ts, NULL);
    }
    pthread_mutex_lock(&mu);
    uint64_t last_evt = st.snapshot_seq;
    pthread_mutex_unlock(&mu);
    time_t last_ka = time(NULL), last_trim = time(NULL);
    while (!stopping) {
        zmq_pollitem_t it = {sub, 0, ZMQ_POLLIN, 0};
        zmq_poll(&it, 1, 500);
        for (int k = 0; k < 1000 && (it.revents & ZMQ_POLLIN); k++) {
            zmq_msg_t t, b;
            zmq_msg_init(&t);
            zmq_msg_init(&b);
            if (zmq_msg_recv(&t, sub, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(&t), zmq_msg_close(&b);
                break;
            }
            if (zmq_msg_more(&t) && zmq_msg_recv(&b, sub, 0) >= 0) {
                char topic[256];
                size_t tl = zmq_msg_size(&t) < sizeof topic - 1 ? zmq_msg_size(&t) : sizeof topic - 1;
                memcpy(topic, zmq_msg_data(&t), tl);
                topic[tl] = 0;
                on_update(topic, tl, zmq_msg_data(&b), zmq_msg_size(&b), &last_evt);
            }
            zmq_msg_close(&t), zmq_msg_close(&b);
        }
        if (time(NULL) - last_trim >= TRIM_S) {
            /* a storm of short connections leaves freed pools in the
             * allocator's arenas: hand them back to the system */
            last_trim = time(NULL);
            malloc_trim(0);
        }
        if (time(NULL) - last_ka >= KEEPALIVE_S) {
            last_ka = time(NULL);
            static const char ka[] = ": keepalive\n\n";
            pthread_mutex_lock(&mu);
            for (stream_t *s = streams; s; s = s->next)
                stream_put(s, ka, sizeof ka - 1);
            pthread_mutex_unlock(&mu);
        }
    }
    zmq_close(sub);
    return NULL;
}

int web_hub_start(const web_config_t *c)
{
    cfg = c;
    if (pthread_create(&thr, NULL, hub_main, NULL) != 0)
        return -1;
    started = true;
    return 0;
}

void web_hub_stop(void)
{
    if (started) {
        stopping = true;
        pthread_join(thr, NULL);
        started = false;
    }
    pthread_mutex_lock(&mu);
    for (stream_t *s = streams; s; s = s->next) {
        s->closed = true;
        if (s->suspended) {
            s->suspended = false;
            MHD_resume_connection(s->conn);
        }
    }
    pthread_mutex_unlock(&mu);
}

void web_hub_stats(web_hub_stats_t *out)
{
    pthread_mutex_lock(&mu);
    *out = st;
    pthread_mutex_unlock(&mu);
}

/* A level nobody has moved to since the snapshot (level 0 after hires) has
 * no level.* update yet: ask ladderd for one employee at that level. */
static void learn_level(uint32_t level)
{
    char v[4];
    snprintf(v, sizeof v, "%u", level);
    Ladder__V1__GetBoard g = LADDER__V1__GET_BOARD__INIT;
    g.scope = LADDER__V1__BOARD_SCOPE__SCOPE_LEVEL;
    g.scope_value = v;
    g.top = 1;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_BOARD;
    q.board = &g;
    Ladder__V1__Reply *r = web_query(&q, cfg->timeout_ms);
    if (!r || r->outcome_case != LADDER__V1__REPLY__OUTCOME_OK || !r->ok->board ||
        !r->ok->board->n_rows) {
        if (r)
            ladder__v1__reply__free_unpacked(r, NULL);
        return;
    }
    Ladder__V1__GetEmployee ge = LADDER__V1__GET_EMPLOYEE__INIT;
    ge.employee_id = r->ok->board->rows[0]->employee_id;
    Ladder__V1__Query q2 = LADDER__V1__QUERY__INIT;
    q2.q_case = LADDER__V1__QUERY__Q_EMPLOYEE;
    q2.employee = &ge;
    Ladder__V1__Reply *r2 = web_query(&q2, cfg->timeout_ms);
    ladder__v1__reply__free_unpacked(r, NULL);
    if (r2 && r2->outcome_case == LADDER__V1__REPLY__OUTCOME_OK && r2->ok->employee &&
        r2->ok->employee->level && r2->ok->employee->level->level == level) {
        pthread_mutex_lock(&mu);
        if (!levels[level])
            set_level(r2->ok->employee->level);
        pthread_mutex_unlock(&mu);
    }
    if (r2)
        ladder__v1__reply__free_unpacked(r2, NULL);
}

json_t *web_hub_levels(void)
{
    for (uint32_t l = 0; l <= 5; l++) {
        pthread_mutex_lock(&mu);
        bool known = levels[l] != NULL;
        pthread_mutex_unlock(&mu);
        if (!known)
            learn_level(l);
    }
    json_t *a = json_array();
    pthread_mutex_lock(&mu);
    for (size_t i = 0; i < sizeof levels / sizeof *levels; i++)
        if (levels[i])
            json_array_append(a, levels[i]);
    pthread_mutex_unlock(&mu);
    return a;
}
