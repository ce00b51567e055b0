/* publisher.c — the PUB socket and what goes out on it (shell.h, ld_publisher_t).
 *
 * Owns the PUB socket, the list of dirty boards and case partitions, and the
 * uv_timer_t that publishes them. Which updates an event causes comes from
 * the effects of its kind in the core's table (projections/commands.h), not
 * from a list kept here. Per-event updates (evt.*, points.*, level.*)
 * are built when their events are decided and held in the batch; they are
 * published only after the commit returns. Boards (§9, board.* top 10) and
 * case rankings (cases.*) are coalesced: at most one per 100 ms each, with the
 * seq of their last change. They are built from the live state, which may hold
 * decisions not yet written, so like per-event updates they are held in the
 * last batch those decisions belong to and go out when it has committed.
 * Building them brings the boards up to date (boards_flush), which costs with
 * the changes since the last time, on the loop: a round after 100 ms of 10 k/s
 * is a stall of milliseconds in front of every request read meanwhile. So
 * the boards catch up in small steps: with each batch of at most
 * LD_BOARDS_EAGER requests (light load: a few employees each time) and
 * whenever the writer finds nothing waiting (batches.c). Under heavy load
 * (batches of more than LD_BOARDS_EAGER requests on average) only the rounds
 * do it, and the next round waits at least LD_BOARDS_SHARE
 * times as long as this one took, so boards take at most 1/LD_BOARDS_SHARE of
 * the loop however fast the commands come.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "access.h"
#include "commands.h"
#include "log.h"
#include "shell.h"

#define CASES 255 /* a dirty_t of a case partition: scope = level, value = category */
#define LD_BOARDS_MS 100    /* §9: at most one update per board per this many ms */
#define LD_BOARDS_SHARE 20  /* the next round waits >= 20x this round's cost */

/* Publishes one update. PUB drops for a subscriber at its high-water mark by
 * design (the subscriber sees the gap in seqs); anything ZeroMQ refuses
 * outright is counted in Stats (unsent_updates) and logged once a second. */
static void pub_send(server_t *s, const void *topic, size_t tlen, const void *body, size_t blen)
{
    void *z = s->publisher.sock;
    if (zmq_send(z, topic, tlen, ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0 &&
        zmq_send(z, body, blen, ZMQ_DONTWAIT) >= 0)
        return;
    int err = errno;
    s->st.unsent_updates++;
    uint64_t now = ld_mono_ns();
    if (now - s->publisher.unsent_logged_ns >= 1000000000ull || s->st.unsent_updates == 1) {
        s->publisher.unsent_logged_ns = now;
        ld_log(LD_LOG_WARN, "update not published", "topic=%.*s error=\"%s\" unsent_total=%llu",
               (int)tlen, (const char *)topic, zmq_strerror(err),
               (unsigned long long)s->st.unsent_updates);
    }
}

/* ----------------------------------------------------- per-event updates -- */

static void add_update(batch_t *b, const char *topic, const Ladder__V1__Update *u)
{
    b->u = ld_grow(b->u, &b->capu, b->nu + 1, sizeof *b->u);
    update_t *x = &b->u[b->nu++];
    x->topic_len = strlen(topic);
    x->topic_off = ld_batch_put(b, topic, x->topic_len);
    x->body_off = ld_batch_pack(b, &u->base, &x->body_len);
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
    u.prev_seq = ld_topics_swap(s->publisher.topics, topic, seq);
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
    u.prev_seq = ld_topics_swap(s->publisher.topics, topic, seq);
    u.payload_case = LADDER__V1__UPDATE__PAYLOAD_LEVEL;
    u.level = &lu;
    add_update(b, topic, &u);
}

void ld_publisher_hold(server_t *s, batch_t *b, size_t from, size_t to)
{
    Ladder__V1__Event **ev = ld_out_events(b->out);
    for (size_t k = from; k < to; k++) {
        const Ladder__V1__Event *e = ev[k];
        char topic[64];
        snprintf(topic, sizeof topic, "evt.%s", body_name(e));
        Ladder__V1__Update u = LADDER__V1__UPDATE__INIT;
        u.topic = topic;
        u.seq = e->seq;
        u.prev_seq = ld_topics_swap(s->publisher.topics, topic, e->seq);
        u.payload_case = LADDER__V1__UPDATE__PAYLOAD_EVENT;
        /* PUB is a broadcast: evt.* carries the public view (§1, access.h) */
        ld_view_t view;
        u.event = (Ladder__V1__Event *)ld_access_view(e, NULL, 0, &view);
        add_update(b, topic, &u);
        /* what the event changes, from the core's event kinds (commands.h) */
        const ld_event_kind_t *kind = ld_core_event_kind((int)e->body_case);
        const char *emp = ld_core_event_employee(e);
        uint32_t from, to;
        const char *cause;
        if (!kind || !emp)
            continue;
        if (kind->effects & LD_EFFECT_POINTS)
            points_update(s, b, emp, e->seq, ld_core_event_amount(e));
        if ((kind->effects & LD_EFFECT_LEVEL) &&
            ld_core_level_change(s->core, e->seq, &from, &to, &cause))
            level_update(s, b, emp, e->seq, from, to, cause);
    }
}

/* --------------------------------------------------- coalesced boards -- */

static void on_timer(uv_timer_t *t);

static void start_timer(server_t *s, uint64_t ms)
{
    int rc = uv_timer_start(&s->publisher.timer, on_timer, ms, 0);
    if (rc) /* only a closing handle refuses: at shutdown the boards are moot */
        ld_log(LD_LOG_WARN, "board publishing not scheduled", "error=\"%s\"", uv_strerror(rc));
}

/* Marks a board (or, with window CASES, a case partition) for publishing. */
static void mark_board(server_t *s, int window, int scope, const char *value, uint64_t seq)
{
    ld_publisher_t *pb = &s->publisher;
    for (size_t i = 0; i < pb->ndirty; i++) {
        dirty_t *d = &pb->dirty[i];
        if (d->window == window && d->scope == scope && !strcmp(d->value, value)) {
            d->seq = seq;
            return;
        }
    }
    pb->dirty = ld_grow(pb->dirty, &pb->capdirty, pb->ndirty + 1, sizeof *pb->dirty);
    dirty_t *d = &pb->dirty[pb->ndirty++];
    snprintf(d->value, sizeof d->value, "%s", value);
    d->window = (uint8_t)window, d->scope = (uint8_t)scope, d->seq = seq;
    if (!uv_is_active((uv_handle_t *)&pb->timer))
        start_timer(s, s->publisher.next_ms ? s->publisher.next_ms : LD_BOARDS_MS);
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

/* The 5 boards of one level (a level left: the employee is off them now). */
static void mark_level(server_t *s, uint32_t level, uint64_t seq)
{
    char value[4];
    snprintf(value, sizeof value, "%u", level);
    for (int w = 0; w < 5; w++)
        mark_board(s, w, 3, value, seq);
}

static void mark_case(server_t *s, const char *case_id, uint64_t seq)
{
    uint32_t level;
    const char *cat;
    if (ld_core_case_partition(s->core, case_id, &level, &cat))
        mark_board(s, CASES, (int)level, cat, seq);
}

/* A coalesced value (a board or a case partition) on its topic, with the seq
 * of its cause and the previous publication of this topic (prev_seq): held in
 * batch hold until it commits, or (hold NULL) sent now. */
static void publish_value(server_t *s, Ladder__V1__Update *u, char *topic, uint64_t seq,
                          batch_t *hold, uint8_t **buf, size_t *cap)
{
    u->topic = topic;
    u->seq = seq;
    u->prev_seq = ld_topics_swap(s->publisher.shown, topic, seq);
    if (hold) {
        add_update(hold, topic, u);
        return;
    }
    size_t n = ladder__v1__update__get_packed_size(u);
    *buf = ld_grow(*buf, cap, n, 1);
    ladder__v1__update__pack(u, *buf);
    pub_send(s, topic, strlen(topic), *buf, n);
}

static void publish_cases(server_t *s, const dirty_t *d, batch_t *hold, uint8_t **buf, size_t *cap)
{
    Ladder__V1__GetCaseRanking g = LADDER__V1__GET_CASE_RANKING__INIT;
    g.level = d->scope, g.category = (char *)d->value;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_CASE_RANKING;
    q.case_ranking = &g;
    Ladder__V1__Ok ok = LADDER__V1__OK__INIT;
    ld_out_reset(s->qout);
    if (ld_core_query(s->core, &q, ld_server_now(s), s->qout, &ok, NULL) != 0)
        return;
    ld_access_public(&ok); /* §1 v2: a broadcast carries no test-half titles */
    char topic[sizeof d->value + 32];
    snprintf(topic, sizeof topic, "cases.%u.%s", d->scope, d->value);
    Ladder__V1__Update u = LADDER__V1__UPDATE__INIT;
    u.payload_case = LADDER__V1__UPDATE__PAYLOAD_CASES;
    u.cases = ok.case_ranking;
    publish_value(s, &u, topic, d->seq, hold, buf, cap);
}

static void publish_board(server_t *s, const dirty_t *d, batch_t *hold, uint8_t **buf, size_t *cap)
{
    static const char *const win[] = {"all", "week", "month", "quarter", "year"};
    static const char *const scope[] = {"org", "centre", "team", "level"};
    Ladder__V1__GetBoard g = LADDER__V1__GET_BOARD__INIT;
    g.window = d->window, g.scope = d->scope, g.scope_value = (char *)d->value, g.top = 10;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_BOARD;
    q.board = &g;
    Ladder__V1__Ok ok = LADDER__V1__OK__INIT;
    ld_out_reset(s->qout);
    if (ld_core_query(s->core, &q, ld_server_now(s), s->qout, &ok, NULL) != 0)
        return;
    char topic[sizeof d->value + 32];
    snprintf(topic, sizeof topic, "board.%s/%s%s%s", win[d->window], scope[d->scope],
             d->scope ? ":" : "", d->scope ? d->value : "");
    Ladder__V1__Update u = LADDER__V1__UPDATE__INIT;
    u.payload_case = LADDER__V1__UPDATE__PAYLOAD_BOARD;
    u.board = ok.board;
    publish_value(s, &u, topic, d->seq, hold, buf, cap);
}

void ld_publisher_catch_up(server_t *s, size_t batch)
{
    ld_publisher_t *pb = &s->publisher;
    if (batch) /* requests per batch, averaged over the last eight or so */
        pb->avg_batch = (7 * pb->avg_batch + 16 * batch) / 8;
    if (batch && pb->avg_batch > 16 * LD_BOARDS_EAGER)
        return; /* a heavy load: the timer's rounds catch up, at their share */
    uint64_t t0 = ld_mono_ns();
    Ladder__V1__GetBoard g = LADDER__V1__GET_BOARD__INIT;
    g.top = 1;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_BOARD;
    q.board = &g;
    Ladder__V1__Ok ok = LADDER__V1__OK__INIT;
    ld_out_reset(s->qout);
    (void)ld_core_query(s->core, &q, ld_server_now(s), s->qout, &ok, NULL);
    uint64_t us = (ld_mono_ns() - t0) / 1000;
    if (us > 1000)
        ld_log(LD_LOG_DEBUG, "boards caught up", "us=%llu batch=%zu", (unsigned long long)us, batch);
}

/* Publishes each dirty board's top 10 (and each dirty case partition's
 * ranking) once, with the seq of its last change. Decisions not yet on disk
 * must not show before they are: the updates are held by the batch that
 * commits last of those the state includes (the one collecting decisions, or
 * the one being written) and sent once it has. A failed commit drops them with
 * its own; subscribers see the gap in prev_seq and take a snapshot. */
static void on_timer(uv_timer_t *t)
{
    server_t *s = ld_container_of(t, server_t, publisher.timer);
    ld_publisher_t *pb = &s->publisher;
    ld_batches_t *bs = &s->batches;
    batch_t *hold = bs->cur->n ? bs->cur : bs->busy ? bs->writing : NULL;
    uint8_t *buf = NULL;
    size_t cap = 0;
    uint64_t t0 = ld_mono_ns();
    size_t nd = pb->ndirty;
    for (size_t i = 0; i < pb->ndirty; i++) {
        const dirty_t *d = &pb->dirty[i];
        if (d->window == CASES)
            publish_cases(s, d, hold, &buf, &cap);
        else
            publish_board(s, d, hold, &buf, &cap);
    }
    free(buf);
    pb->ndirty = 0;
    uint64_t us = (ld_mono_ns() - t0) / 1000;
    pb->next_ms = us * LD_BOARDS_SHARE / 1000;
    if (pb->next_ms < LD_BOARDS_MS)
        pb->next_ms = LD_BOARDS_MS;
    ld_log(LD_LOG_DEBUG, "boards published", "n=%zu us=%llu held=%d next_ms=%llu", nd,
           (unsigned long long)us, hold != NULL, (unsigned long long)pb->next_ms);
}

void ld_publisher_committed(server_t *s, batch_t *b)
{
    ld_subs_drain(s); /* subscriptions that arrived first see these updates */
    for (size_t i = 0; i < b->nu; i++) {
        const update_t *u = &b->u[i];
        pub_send(s, b->blob + u->topic_off, u->topic_len, b->blob + u->body_off, u->body_len);
    }
    Ladder__V1__Event **ev = ld_out_events(b->out);
    for (size_t i = 0; i < ld_out_count(b->out); i++) {
        const Ladder__V1__Event *e = ev[i];
        /* what an event changes, from the core's event kinds (commands.h) */
        const ld_event_kind_t *kind = ld_core_event_kind((int)e->body_case);
        if (!kind)
            continue;
        const char *emp = ld_core_event_employee(e), *case_id = ld_core_event_case(e);
        uint32_t from, to;
        const char *cause;
        if ((kind->effects & LD_EFFECT_BOARDS) && emp) {
            mark_employee(s, emp, e->seq);
            /* a level change also leaves the boards of the level left (§9) */
            if ((kind->effects & LD_EFFECT_LEVEL) &&
                ld_core_level_change(s->core, e->seq, &from, &to, &cause) && from != to)
                mark_level(s, from, e->seq);
        }
        if ((kind->effects & LD_EFFECT_CASES) && case_id)
            mark_case(s, case_id, e->seq);
    }
}

/* Subscribers (for Stats): the PUB socket's monitor reports each peer
 * accepted and disconnected; its events are drained when its fd signals. */
static void on_monitor(uv_poll_t *h, int status, int events)
{
    (void)status, (void)events;
    server_t *s = ld_container_of(h, server_t, publisher.monitor_poll);
    for (;;) {
        zmq_msg_t ev, addr;
        zmq_msg_init(&ev);
        if (zmq_msg_recv(&ev, s->publisher.monitor, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&ev);
            return;
        }
        uint16_t id = 0;
        if (zmq_msg_size(&ev) >= 2)
            memcpy(&id, zmq_msg_data(&ev), 2);
        bool more = zmq_msg_more(&ev);
        zmq_msg_close(&ev);
        if (more) {
            zmq_msg_init(&addr);
            zmq_msg_recv(&addr, s->publisher.monitor, 0);
            zmq_msg_close(&addr);
        }
        if (id == ZMQ_EVENT_ACCEPTED)
            s->st.subscribers++;
        else if (id == ZMQ_EVENT_DISCONNECTED && s->st.subscribers > 0 &&
                 --s->st.subscribers == 0)
            ld_subs_reset(s); /* nobody holds any subscription now */
    }
}

static void open_monitor(server_t *s)
{
    char ep[64];
    snprintf(ep, sizeof ep, "inproc://ladderd-pub-monitor-%p", (void *)s);
    if (zmq_socket_monitor(s->publisher.sock, ep, ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED))
        return;
    void *m = zmq_socket(s->router.zctx, ZMQ_PAIR);
    int linger = 0, fd;
    size_t fdsz = sizeof fd;
    if (!m)
        return;
    zmq_setsockopt(m, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_connect(m, ep) || zmq_getsockopt(m, ZMQ_FD, &fd, &fdsz)) {
        zmq_close(m);
        return;
    }
    s->publisher.monitor = m;
    uv_poll_init(s->loop, &s->publisher.monitor_poll, fd);
    uv_poll_start(&s->publisher.monitor_poll, UV_READABLE, on_monitor);
    /* ZMQ_FD signals only once a read found the pipe empty: read it now */
    on_monitor(&s->publisher.monitor_poll, 0, 0);
}

int ld_publisher_open(server_t *s)
{
    /* XPUB in manual mode: subs.c applies or refuses each subscription */
    if (!(s->publisher.sock = ld_router_socket(s, ZMQ_XPUB, s->cfg.publish)) || ld_subs_open(s))
        return LD_EIO;
    int rc = uv_timer_init(s->loop, &s->publisher.timer);
    if (rc) {
        ld_log(LD_LOG_ERROR, "cannot set up the loop", "handle=boards error=\"%s\"", uv_strerror(rc));
        return LD_EIO;
    }
    s->publisher.timer_inited = true;
    open_monitor(s);
    s->publisher.shown = ld_topics_new();
    return ld_publisher_reload(s);
}

/* Update.prev_seq (PROTOCOL.md "Gap detection"): the map is a fold of the log,
 * kept as the "topics" snapshot next to the core's, so a restart or a reload
 * continues every chain where the log left it. */
int ld_publisher_reload(server_t *s)
{
    ld_topics_destroy(&s->publisher.topics);
    s->publisher.topics = ld_topics_new();
    uint64_t t = ld_mono_ns();
    int rc = ld_topics_load(s->publisher.topics, s->store);
    if (rc)
        ld_log(LD_LOG_ERROR, "cannot fold the topics", "error=\"%s\"", ld_strerror(rc));
    else
        ld_log(LD_LOG_INFO, "topics loaded", "topics=%zu ms=%.1f", ld_topics_count(s->publisher.topics),
               (double)(ld_mono_ns() - t) / 1e6);
    return rc;
}

static void close_cb(uv_handle_t *h)
{
    (void)h;
}

void ld_publisher_close(server_t *s)
{
    if (s->publisher.timer_inited)
        uv_close((uv_handle_t *)&s->publisher.timer, close_cb);
    s->publisher.timer_inited = false;
    if (s->publisher.monitor)
        uv_close((uv_handle_t *)&s->publisher.monitor_poll, close_cb);
    ld_subs_close(s);
}

void ld_publisher_destroy(server_t *s)
{
    if (s->publisher.sock)
        zmq_socket_monitor(s->publisher.sock, NULL, 0);
    if (s->publisher.monitor)
        zmq_close(s->publisher.monitor);
    s->publisher.monitor = NULL;
    if (s->publisher.sock)
        zmq_close(s->publisher.sock);
    s->publisher.sock = NULL;
    free(s->publisher.dirty);
    s->publisher.dirty = NULL;
    s->publisher.ndirty = s->publisher.capdirty = 0;
    ld_topics_destroy(&s->publisher.topics);
    ld_topics_destroy(&s->publisher.shown);
    ld_subs_reset(s);
}
