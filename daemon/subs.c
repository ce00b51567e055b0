/* subs.c — the subscriptions of the PUB side (shell.h, ld_subs_t; issue 10
 * item 8): which ones ladderd applies, per subscribing origin and in total.
 *
 * The publishing socket is an XPUB in ZMQ_XPUB_MANUAL mode: every subscribe
 * and unsubscribe message reaches ladderd, and a subscription takes effect
 * only when ladderd applies it (ZMQ_SUBSCRIBE right after reading it applies
 * to the peer that sent it). What libzmq 4.3.4 does not give: which peer
 * sent a message. So the bound is per *origin*, read from the message's
 * metadata: Peer-Address (for ipc:// libzmq appends ":uid:gid:pid" of the
 * peer process, for tcp:// it is the peer's IP) and, with CURVE, User-Id.
 * One process (ipc) or one host (tcp) or one key (CURVE) may hold at most
 * --max-subscriptions distinct topics; ladderd as a whole LD_SUBS_TOTAL.
 * A subscription over a bound is not applied (its subscriber gets nothing
 * on that topic) and is counted (Stats.subscriptions_refused) and logged.
 * ZMQ_MAXMSGSIZE (1 KiB, router.c) drops a peer whose subscription is
 * longer, before any of it is kept.
 *
 * When a peer disconnects, libzmq sends ladderd an unsubscribe for each of
 * its topics without metadata. Such a topic is taken off the one origin
 * that holds it; when several origins hold it, none is charged (the count
 * of the departed origin stays until its process is gone from every
 * connection: all of it is cleared when the last subscriber leaves).
 * What stays unbounded in libzmq itself: in manual mode it records every
 * subscription a peer sent, applied or not, until that peer disconnects
 * (to send those unsubscribes); 1 KiB each.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "fnv.h"
#include "log.h"
#include "shell.h"

#define EMPTY 0
#define TOMB 1

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    h = ld_fnv1a(p, n, h);
    return h < 2 ? h + 2 : h; /* 0 and 1 mark empty and dead slots */
}

/* ------------------------------------------------------- a small map -- */

static size_t map_find(const ld_submap_t *m, uint64_t k1, uint64_t k2)
{
    if (!m->cap)
        return SIZE_MAX;
    size_t i = (size_t)(k1 ^ (k2 * 0x9e3779b97f4a7c15ull)) & (m->cap - 1);
    for (;; i = (i + 1) & (m->cap - 1)) {
        if (m->s[i].k1 == EMPTY)
            return SIZE_MAX;
        if (m->s[i].k1 == k1 && m->s[i].k2 == k2)
            return i;
    }
}

static void map_put(ld_submap_t *m, uint64_t k1, uint64_t k2, uint64_t v1, uint64_t v2);

static void map_grow(ld_submap_t *m)
{
    ld_submap_t old = *m;
    m->cap = old.cap ? old.cap * 2 : 64;
    while (old.n * 2 >= m->cap)
        m->cap *= 2;
    m->s = calloc(m->cap, sizeof *m->s);
    if (!m->s)
        abort();
    m->n = m->dead = 0;
    for (size_t i = 0; i < old.cap; i++)
        if (old.s[i].k1 > TOMB)
            map_put(m, old.s[i].k1, old.s[i].k2, old.s[i].v1, old.s[i].v2);
    free(old.s);
}

static void map_put(ld_submap_t *m, uint64_t k1, uint64_t k2, uint64_t v1, uint64_t v2)
{
    if ((m->n + m->dead + 1) * 2 > m->cap)
        map_grow(m);
    size_t i = (size_t)(k1 ^ (k2 * 0x9e3779b97f4a7c15ull)) & (m->cap - 1);
    while (m->s[i].k1 > TOMB)
        i = (i + 1) & (m->cap - 1);
    if (m->s[i].k1 == TOMB)
        m->dead--;
    m->s[i] = (ld_subslot_t){k1, k2, v1, v2};
    m->n++;
}

static void map_del(ld_submap_t *m, size_t i)
{
    m->s[i].k1 = TOMB;
    m->n--;
    m->dead++;
}

static ld_subslot_t *map_get(ld_submap_t *m, uint64_t k1, uint64_t k2)
{
    size_t i = map_find(m, k1, k2);
    return i == SIZE_MAX ? NULL : &m->s[i];
}

/* ------------------------------------------------------ the accounting -- */

/* pairs: (origin, topic) -> v1 subscribe count; origins: origin -> v1 distinct
 * topics; topics: topic -> v1 origins holding it, v2 the xor of their keys. */

static void pair_gone(ld_subs_t *u, uint64_t origin, uint64_t topic)
{
    ld_subslot_t *o = map_get(&u->origins, origin, 0);
    if (o && --o->v1 == 0)
        map_del(&u->origins, (size_t)(o - u->origins.s));
    ld_subslot_t *t = map_get(&u->topics, topic, 0);
    if (t) {
        t->v2 ^= origin;
        if (--t->v1 == 0)
            map_del(&u->topics, (size_t)(t - u->topics.s));
    }
}

static void refused(server_t *s, const char *origin, size_t held)
{
    s->st.subscriptions_refused++;
    uint64_t now = ld_mono_ns();
    if (now - s->subs.refused_logged_ns >= 1000000000ull || s->st.subscriptions_refused == 1) {
        s->subs.refused_logged_ns = now;
        ld_log(LD_LOG_WARN, "subscription refused: over the bound",
               "origin=\"%s\" held=%zu max_subscriptions=%zu total=%zu refused_total=%llu",
               origin, held, s->cfg.max_subscriptions, s->subs.pairs.n,
               (unsigned long long)s->st.subscriptions_refused);
    }
}

/* One (un)subscribe message: data[0] is 1 or 0, the topic follows. */
static void handle(server_t *s, zmq_msg_t *m)
{
    ld_subs_t *u = &s->subs;
    const uint8_t *d = zmq_msg_data(m);
    size_t n = zmq_msg_size(m);
    if (n < 1 || d[0] > 1)
        return; /* XPUB passes nothing else in manual mode */
    bool sub = d[0] == 1;
    const char *addr = zmq_msg_gets(m, "Peer-Address");
    const char *user = u->curve ? zmq_msg_gets(m, "User-Id") : NULL;
    uint64_t topic = fnv(LD_FNV_BASIS, d + 1, n - 1);
    void *z = s->publisher.sock;
    if (!addr) {
        /* a peer went away: libzmq already removed it; charge its one holder */
        ld_subslot_t *t = map_get(&u->topics, topic, 0);
        if (sub || !t || t->v1 != 1)
            return;
        uint64_t origin = t->v2;
        ld_subslot_t *p = map_get(&u->pairs, origin, topic);
        if (p && --p->v1 == 0) {
            map_del(&u->pairs, (size_t)(p - u->pairs.s));
            pair_gone(u, origin, topic);
        }
        s->st.subscriptions = u->pairs.n;
        return;
    }
    uint64_t origin = fnv(fnv(LD_FNV_BASIS, addr, strlen(addr) + 1), user ? user : "",
                          user ? strlen(user) : 0);
    ld_subslot_t *p = map_get(&u->pairs, origin, topic);
    if (!sub) {
        if (!p)
            return; /* one that was refused: never applied */
        zmq_setsockopt(z, ZMQ_UNSUBSCRIBE, d + 1, n - 1);
        if (--p->v1 == 0) {
            map_del(&u->pairs, (size_t)(p - u->pairs.s));
            pair_gone(u, origin, topic);
        }
        s->st.subscriptions = u->pairs.n;
        return;
    }
    if (!p) {
        ld_subslot_t *o = map_get(&u->origins, origin, 0);
        size_t held = o ? (size_t)o->v1 : 0;
        if (held >= s->cfg.max_subscriptions || u->pairs.n >= LD_SUBS_TOTAL) {
            refused(s, addr, held);
            return;
        }
        map_put(&u->pairs, origin, topic, 1, 0);
        if (o)
            o->v1++;
        else
            map_put(&u->origins, origin, 0, 1, 0);
        ld_subslot_t *t = map_get(&u->topics, topic, 0);
        if (t)
            t->v1++, t->v2 ^= origin;
        else
            map_put(&u->topics, topic, 0, 1, origin);
    } else {
        p->v1++;
    }
    zmq_setsockopt(z, ZMQ_SUBSCRIBE, d + 1, n - 1);
    s->st.subscriptions = u->pairs.n;
}

void ld_subs_drain(server_t *s)
{
    void *z = s->publisher.sock;
    if (!z)
        return;
    /* until EAGAIN, which leaves the edge-triggered ZMQ_FD armed */
    for (;;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, z, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            return;
        }
        handle(s, &m);
        zmq_msg_close(&m);
    }
}

void ld_subs_reset(server_t *s)
{
    ld_subs_t *u = &s->subs;
    free(u->pairs.s), free(u->origins.s), free(u->topics.s);
    memset(&u->pairs, 0, sizeof u->pairs);
    memset(&u->origins, 0, sizeof u->origins);
    memset(&u->topics, 0, sizeof u->topics);
    s->st.subscriptions = 0;
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    (void)status, (void)events;
    ld_subs_drain(ld_container_of(h, server_t, subs.poll));
}

static void on_timer(uv_timer_t *h)
{
    /* publishing on the socket can consume the edge of its ZMQ_FD */
    ld_subs_drain(ld_container_of(h, server_t, subs.timer));
}

int ld_subs_open(server_t *s)
{
    ld_subs_t *u = &s->subs;
    u->curve = s->router.auth != NULL;
    int fd, rc;
    size_t sz = sizeof fd;
    if (zmq_getsockopt(s->publisher.sock, ZMQ_FD, &fd, &sz)) {
        ld_log(LD_LOG_ERROR, "cannot read ZMQ_FD", "socket=publish error=\"%s\"", zmq_strerror(errno));
        return LD_EIO;
    }
    if ((rc = uv_poll_init(s->loop, &u->poll, fd)) == 0) {
        u->poll_inited = true;
        rc = uv_poll_start(&u->poll, UV_READABLE, on_poll);
    }
    if (!rc && (rc = uv_timer_init(s->loop, &u->timer)) == 0) {
        u->timer_inited = true;
        rc = uv_timer_start(&u->timer, on_timer, 100, 100);
    }
    if (rc) {
        ld_log(LD_LOG_ERROR, "cannot poll a socket", "socket=publish error=\"%s\"", uv_strerror(rc));
        return LD_EIO;
    }
    ld_subs_drain(s);
    return 0;
}

static void close_cb(uv_handle_t *h)
{
    (void)h;
}

void ld_subs_close(server_t *s)
{
    ld_subs_t *u = &s->subs;
    if (u->poll_inited)
        uv_close((uv_handle_t *)&u->poll, close_cb);
    if (u->timer_inited)
        uv_close((uv_handle_t *)&u->timer, close_cb);
    u->poll_inited = u->timer_inited = false;
}
