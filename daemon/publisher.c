/* publisher.c — the PUB socket and what goes out on it (shell.h, ld_publisher_t).
 *
 * Owns the PUB socket and its monitor. Which updates an event causes comes
 * from the effects of its kind in the core's table (projections/commands.h),
 * not from a list kept here. Per-event updates (evt.*, points.*,
 * level.*) are decided with their events (topic, prev_seq, the points as
 * they stand) and held in the batch; they are published only after the
 * commit returns. evt.* and points.* are packed then, and only when a
 * subscription is applied (with none, XPUB would deliver them to no one);
 * evt.* with Event's descriptor cut to its body member (wire.h). Boards (§9) and case
 * rankings are coalesced by coalesce.c, which this file tells what a
 * committed batch changed.
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


/* Publishes one update. PUB drops for a subscriber at its high-water mark by
 * design (the subscriber sees the gap in seqs); anything ZeroMQ refuses
 * outright is counted in Stats (unsent_updates) and logged once a second. */
void ld_publisher_send(server_t *s, const void *topic, size_t tlen, const void *body, size_t blen)
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

void ld_publisher_add(batch_t *b, const char *topic, const Ladder__V1__Update *u)
{
    b->u = ld_grow(b->u, &b->capu, b->nu + 1, sizeof *b->u);
    update_t *x = &b->u[b->nu++];
    memset(x, 0, sizeof *x);
    x->topic_len = strlen(topic);
    x->topic_off = ld_batch_put(b, topic, x->topic_len);
    x->body_off = ld_batch_pack(b, &u->base, &x->body_len);
}

/* Holds an evt.* or points.* update as what it is made of: packed when it is
 * sent, and only if some subscription is applied (ld_publisher_committed). */
static update_t *hold_unpacked(batch_t *b, ld_update_kind_t kind, const char *topic, size_t tlen,
                               size_t ev, uint64_t prev_seq)
{
    b->u = ld_grow(b->u, &b->capu, b->nu + 1, sizeof *b->u);
    update_t *x = &b->u[b->nu++];
    memset(x, 0, sizeof *x);
    x->kind = kind;
    x->topic_len = tlen;
    x->topic_off = ld_batch_put(b, topic, tlen);
    x->ev = ev;
    x->prev_seq = prev_seq;
    return x;
}

static void points_update(server_t *s, batch_t *b, const char *emp, size_t k, uint64_t seq,
                          int64_t delta)
{
    long i = ld_core_employee_find(s->core, emp);
    if (i < 0)
        return;
    ld_emp_summary_t e;
    ld_core_employee_at(s->core, (size_t)i, &e);
    char topic[64];
    int n = snprintf(topic, sizeof topic, "points.%s", emp);
    size_t tlen = n < 0 ? 0 : (size_t)n < sizeof topic ? (size_t)n : sizeof topic - 1;
    uint64_t prev = ld_topics_swap(s->publisher.topics, topic, seq);
    update_t *x = hold_unpacked(b, LD_UPDATE_POINTS, topic, tlen, k, prev);
    x->total = e.total, x->since_level = e.since_level, x->in_year = e.in_year, x->delta = delta;
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
    ld_publisher_add(b, topic, &u);
}

/* The evt.* topic of an event: "evt." and its body member's name, cut at 63
 * bytes like every topic built here. */
static size_t event_topic(const Ladder__V1__Event *ev, char topic[64])
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field(&ladder__v1__event__descriptor, ev->body_case);
    const char *name = f ? f->name : "unknown";
    size_t n = strlen(name);
    if (n > 63 - 4)
        n = 63 - 4;
    memcpy(topic, "evt.", 4);
    memcpy(topic + 4, name, n);
    topic[4 + n] = 0;
    return 4 + n;
}

void ld_publisher_hold(server_t *s, batch_t *b, size_t from, size_t to)
{
    Ladder__V1__Event **ev = ld_out_events(b->out);
    for (size_t k = from; k < to; k++) {
        const Ladder__V1__Event *e = ev[k];
        char topic[64];
        size_t tlen = event_topic(e, topic);
        uint64_t prev = ld_topics_swap(s->publisher.topics, topic, e->seq);
        hold_unpacked(b, LD_UPDATE_EVENT, topic, tlen, k, prev);
        /* what the event changes, from the core's event kinds (commands.h) */
        const ld_event_kind_t *kind = ld_core_event_kind((int)e->body_case);
        const char *emp = ld_core_event_employee(e);
        uint32_t lfrom, lto;
        const char *cause;
        if (!kind || !emp)
            continue;
        if (kind->effects & LD_EFFECT_POINTS)
            points_update(s, b, emp, k, e->seq, ld_core_event_amount(e));
        if ((kind->effects & LD_EFFECT_LEVEL) &&
            ld_core_level_change(s->core, e->seq, &lfrom, &lto, &cause))
            level_update(s, b, emp, e->seq, lfrom, lto, cause);
    }
}

/* Packs a held evt.* or points.* update into the publisher's scratch; returns
 * its length. evt.* carries the public view of the event (§1, access.h),
 * packed with Event's descriptor cut to its body member: the same bytes as
 * protobuf-c's with the generated one (test_publisher). */
static size_t pack_held(server_t *s, const batch_t *b, const update_t *x)
{
    ld_publisher_t *pb = &s->publisher;
    const Ladder__V1__Event *e = ld_out_events(b->out)[x->ev];
    char topic[64];
    size_t tlen = x->topic_len < sizeof topic ? x->topic_len : sizeof topic - 1;
    memcpy(topic, b->blob + x->topic_off, tlen);
    topic[tlen] = 0;
    Ladder__V1__Update u = LADDER__V1__UPDATE__INIT;
    u.topic = topic;
    u.seq = e->seq;
    u.prev_seq = x->prev_seq;
    ld_view_t view;
    Ladder__V1__Event cut;
    Ladder__V1__PointsUpdate pu = LADDER__V1__POINTS_UPDATE__INIT;
    if (x->kind == LD_UPDATE_EVENT) {
        cut = *ld_access_view(e, NULL, 0, &view);
        cut.base.descriptor = ld_cutdesc_for(&pb->evcut, &cut.base);
        u.payload_case = LADDER__V1__UPDATE__PAYLOAD_EVENT;
        u.event = &cut;
    } else {
        pu.employee_id = (char *)ld_core_event_employee(e);
        pu.total = x->total, pu.since_level = x->since_level, pu.in_year = x->in_year;
        pu.delta = x->delta;
        u.payload_case = LADDER__V1__UPDATE__PAYLOAD_POINTS;
        u.points = &pu;
    }
    size_t n = ladder__v1__update__get_packed_size(&u);
    pb->pack = ld_grow(pb->pack, &pb->cappack, n, 1);
    return ladder__v1__update__pack(&u, pb->pack);
}

void ld_publisher_committed(server_t *s, batch_t *b)
{
    ld_subs_drain(s); /* subscriptions that arrived first see these updates */
    /* PUB delivers only on subscriptions ladderd applied (subs.c, manual
     * mode): with none, nothing would reach anyone, so nothing is packed */
    for (size_t i = 0; s->subs.pairs.n && i < b->nu; i++) {
        const update_t *u = &b->u[i];
        if (u->kind == LD_UPDATE_PACKED) {
            ld_publisher_send(s, b->blob + u->topic_off, u->topic_len, b->blob + u->body_off,
                              u->body_len);
            continue;
        }
        size_t n = pack_held(s, b, u);
        ld_publisher_send(s, b->blob + u->topic_off, u->topic_len, s->publisher.pack, n);
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
            ld_coalesce_employee(s, emp, e->seq);
            /* a level change also leaves the boards of the level left (§9) */
            if ((kind->effects & LD_EFFECT_LEVEL) &&
                ld_core_level_change(s->core, e->seq, &from, &to, &cause) && from != to)
                ld_coalesce_level(s, from, e->seq);
        }
        if ((kind->effects & LD_EFFECT_CASES) && case_id)
            ld_coalesce_case(s, case_id, e->seq);
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
    int rc = ld_coalesce_open(s);
    if (rc)
        return rc;
    open_monitor(s);
    s->publisher.shown = ld_topics_new();
    /* Event has one oneof (its body): LD_EINVAL is not expected, and with
     * no cuts ld_cutdesc_for gives the generated descriptor (same bytes) */
    if ((rc = ld_cutdesc_init(&s->publisher.evcut, &ladder__v1__event__descriptor)) == LD_ENOMEM)
        return rc;
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
    ld_coalesce_close(s);
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
    free(s->publisher.round);
    s->publisher.dirty = s->publisher.round = NULL;
    s->publisher.ndirty = s->publisher.capdirty = 0;
    s->publisher.nround = s->publisher.capround = s->publisher.round_at = 0;
    ld_topics_destroy(&s->publisher.topics);
    ld_topics_destroy(&s->publisher.shown);
    ld_cutdesc_free(&s->publisher.evcut);
    free(s->publisher.pack);
    s->publisher.pack = NULL;
    s->publisher.cappack = 0;
    ld_subs_reset(s);
}
