/* router.c — the ROUTER socket and the ZAP handler (shell.h, ld_router_t).
 *
 * Owns the ZeroMQ context, the ROUTER (requests in, replies out), the ZAP
 * REP socket (RFC 27: CURVE connections only for listed keys) and their libuv
 * handles: a uv_poll_t on each ZMQ_FD and a uv_idle_t that resumes a drain.
 * ZMQ_FD is edge-triggered: on every wake-up and after every send the ROUTER
 * is read until a receive finds nothing (the ZAP socket while ZMQ_EVENTS says
 * readable). Frames are checked here; what a request
 * means is requests.c's business.
 *
 * Bytes queued per peer (issue 10 item 7). libzmq 4.3.4 bounds a ROUTER's
 * queue per peer only in messages (ZMQ_SNDHWM) and has no peer-state API,
 * so a client that never reads could pin SNDHWM x the largest reply. We
 * count bytes ourselves: every reply body is handed to libzmq with
 * zmq_msg_init_data and a free function, which libzmq calls (on its I/O
 * thread) once the bytes left for the kernel's socket buffer, or when the
 * peer's pipe is torn down. So ld_peer_t.queued is exactly what libzmq holds
 * for that peer (plus LD_PEER_OVERHEAD a message for its own structures).
 * A reply that would take a peer with replies still queued over
 * --max-peer-queue is not sent: the peer is dropped and counted
 * (Stats.peers_dropped); its later requests are read and discarded, decided
 * never, until libzmq has written out everything queued for it; its next
 * request is then answered with ERR_PEER_DROPPED and it is served again.
 * A reply to a peer with nothing queued is always sent, whatever its size
 * (a Clone snapshot may be larger than the bound). So one peer pins at most
 * --max-peer-queue plus one reply, and no peer that reads its replies is
 * ever dropped: a pipelining client with 512 commands in flight holds
 * ~512 x (reply + overhead) ~ 200 KB. ZMQ_SNDHWM stays a backstop in
 * messages (an over-HWM send fails with EAGAIN under ROUTER_MANDATORY and
 * is counted as an unsent reply). The kernel's socket buffers and the
 * client's own receive queue are not ours and not counted.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "log.h"
#include "shell.h"

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

/* What libzmq's structures cost per queued reply besides its bytes: the
 * routing-id and delimiter frames, msg_t entries in the pipe, the content. */
#define LD_PEER_OVERHEAD 256

static uint64_t ident_hash(const uint8_t *ident, size_t len)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ ident[i]) * 1099511628211ull;
    return h;
}

/* The slot of routing id ident: found, or a free one taken for it (one with
 * nothing queued and not dropped, else a dropped one with nothing queued);
 * NULL when LD_PEER_PROBE slots hold other peers with bytes queued (the reply
 * then goes out uncounted, bounded by ZMQ_SNDHWM alone). */
static ld_peer_t *peer_slot(ld_router_t *r, const uint8_t *ident, size_t len, bool take)
{
    if (!r->peers || !len)
        return NULL;
    size_t at = (size_t)ident_hash(ident, len);
    ld_peer_t *free_slot = NULL, *stale = NULL;
    for (size_t k = 0; k < LD_PEER_PROBE; k++) {
        ld_peer_t *p = &r->peers[(at + k) & (LD_PEER_SLOTS - 1)];
        if (p->ident_len == len && !memcmp(p->ident, ident, len))
            return p;
        if (!p->ident_len) {
            /* slots are reused, never emptied: ident is not further on */
            if (!free_slot)
                free_slot = p;
            break;
        }
        bool idle = atomic_load_explicit(&p->queued, memory_order_acquire) == 0;
        if (!free_slot && idle && !p->dropped)
            free_slot = p;
        else if (!stale && idle && p->dropped)
            stale = p;
    }
    ld_peer_t *p = free_slot ? free_slot : stale;
    if (!take || !p)
        return NULL;
    memcpy(p->ident, ident, len);
    p->ident_len = (uint8_t)len;
    p->dropped = false;
    p->discarded = 0;
    return p;
}

/* A request of a dropped peer: discarded while its replies are still queued;
 * answered with ERR_PEER_DROPPED once they were all written out. Returns
 * true when the request was taken care of here. */
static bool dropped_peer_request(server_t *s, const uint8_t *ident, size_t ilen)
{
    ld_peer_t *p = peer_slot(&s->router, ident, ilen, false);
    if (!p || !p->dropped)
        return false;
    if (atomic_load_explicit(&p->queued, memory_order_acquire) > 0) {
        p->discarded++;
        s->st.peer_requests_discarded++;
        return true;
    }
    p->dropped = false;
    batch_t *b = s->batches.cur;
    s->st.requests++;
    pending_t *q = ld_requests_new(b, ident, ilen);
    ld_requests_error(s, b, q, LADDER__V1__ERROR_CODE__ERR_PEER_DROPPED, "", "request", 0,
                      "request: not decided: this connection left more than %zu bytes of "
                      "replies unread, so replies to it were dropped and %llu requests "
                      "(this one too) discarded; ask again (commands with their request ids)",
                      s->cfg.max_peer_queue, (unsigned long long)p->discarded + 1);
    p->discarded = 0;
    ld_requests_release(s, b, q);
    return true;
}

/* Reads and handles one message; returns how many frames it had (0: none
 * was waiting). */
static int handle_message(server_t *s)
{
    zmq_msg_t parts[4];
    int n = recv_parts(s->router.sock, parts, 4);
    if (n >= 1) {
        const uint8_t *ident = zmq_msg_data(&parts[0]);
        size_t ilen = zmq_msg_size(&parts[0]);
        if (dropped_peer_request(s, ident, ilen)) {
            /* issue 10 item 7: nothing of it is decided */
        } else if (n == 3 && zmq_msg_size(&parts[1]) == 0) {
            const char *user = s->router.auth ? zmq_msg_gets(&parts[2], "User-Id") : NULL;
            ld_requests_handle(s, ident, ilen, zmq_msg_data(&parts[2]), zmq_msg_size(&parts[2]),
                               user);
        } else {
            ld_requests_bad_frames(s, ident, ilen, n);
        }
    }
    for (int i = 0; i < n; i++)
        zmq_msg_close(&parts[i]);
    return n;
}

/* Sends one ZAP reply (RFC 27: version, request id, status, text, user id,
 * metadata). Returns 0 or LD_EIO. */
static int zap_reply(void *zap, const zmq_msg_t *reqid, bool ok, const char *who)
{
    const char *status = ok ? "200" : "400", *text = ok ? "OK" : "unknown key";
    if (zmq_send(zap, "1.0", 3, ZMQ_SNDMORE) < 0 ||
        zmq_send(zap, reqid ? zmq_msg_data((zmq_msg_t *)reqid) : "",
                 reqid ? zmq_msg_size((zmq_msg_t *)reqid) : 0, ZMQ_SNDMORE) < 0 ||
        zmq_send(zap, status, 3, ZMQ_SNDMORE) < 0 ||
        zmq_send(zap, text, strlen(text), ZMQ_SNDMORE) < 0 ||
        zmq_send(zap, ok ? who : "", ok ? strlen(who) : 0, ZMQ_SNDMORE) < 0 ||
        zmq_send(zap, "", 0, 0) < 0)
        return LD_EIO;
    return 0;
}

/* ZAP (RFC 27): CURVE connections are accepted only for listed keys; the
 * reply's user id becomes the principal of every message on the connection. */
static void zap_drain(server_t *s)
{
    void *zap = s->router.zap;
    for (;;) {
        int ev = 0;
        size_t sz = sizeof ev;
        if (zmq_getsockopt(zap, ZMQ_EVENTS, &ev, &sz) || !(ev & ZMQ_POLLIN))
            return;
        zmq_msg_t f[8];
        int n = recv_parts(zap, f, 8);
        const char *who = NULL;
        uint32_t roles = 0;
        bool ok = n >= 7 && zmq_msg_size(&f[5]) == 5 && !memcmp(zmq_msg_data(&f[5]), "CURVE", 5) &&
                  zmq_msg_size(&f[6]) == 32 &&
                  ld_auth_key(s->router.auth, zmq_msg_data(&f[6]), &who, &roles);
        if (!ok)
            ld_log(LD_LOG_WARN, "connection refused: unknown key", "%s", "");
        if (zap_reply(zap, n >= 2 ? &f[1] : NULL, ok, who))
            ld_log(LD_LOG_ERROR, "cannot answer a ZAP request: the connection waits",
                   "error=\"%s\"", zmq_strerror(errno));
        for (int i = 0; i < n; i++)
            zmq_msg_close(&f[i]);
    }
}

static void on_zap(uv_poll_t *h, int status, int events)
{
    (void)status, (void)events;
    zap_drain(ld_container_of(h, server_t, router.zap_poll));
}

static void on_idle(uv_idle_t *h)
{
    server_t *s = ld_container_of(h, server_t, router.idle);
    uv_idle_stop(h);
    ld_router_drain(s);
    /* requests read in the idle phase must not wait for the check phase: with
     * no idle handle active the loop may block in poll first, and the
     * client, waiting for these replies, sends nothing to wake it (item 3) */
    ld_batches_submit(s);
}

/* Edge-triggered ZMQ_FD: read until a receive finds nothing (EAGAIN), which
 * leaves the descriptor armed for the next message. Asking ZMQ_EVENTS before
 * each message instead costs a poll(2) and a getpid(2) inside libzmq per
 * request (a sixth of the loop at saturation, perf). A bounded number per
 * call keeps the loop fair; an idle handle resumes the rest. */
void ld_router_drain(server_t *s)
{
    if (s->stopping)
        return;
    for (int i = 0; i < LD_DRAIN_MAX; i++)
        if (!handle_message(s))
            return;
    int rc = uv_idle_start(&s->router.idle, on_idle);
    if (rc)
        ld_log(LD_LOG_ERROR, "cannot resume reading later", "error=\"%s\"", uv_strerror(rc));
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    (void)status, (void)events;
    ld_router_drain(ld_container_of(h, server_t, router.poll));
}

/* With ZMQ_ROUTER_MANDATORY the identity frame fails (EHOSTUNREACH: the
 * client is gone; EAGAIN: its queue is at the high-water mark) before any
 * part of the message is queued, so a reply is either sent whole or counted. */
int ld_router_reply(server_t *s, const batch_t *b, const pending_t *p)
{
    if (p->internal)
        return 0;
    const pending_t *src = p->dup_of >= 0 ? &b->p[p->dup_of] : p;
    return ld_router_send(s, p->ident, p->ident_len, b->blob + src->reply_off, src->reply_len);
}

/* A reply body handed to libzmq: the header, then the bytes. */
typedef struct {
    ld_peer_t *peer;            /* NULL: not counted per peer */
    _Atomic uint64_t *total;
    uint64_t charge;
} held_t;

/* libzmq is done with a reply (written out, refused, or its pipe closed):
 * runs on libzmq's I/O thread or in the failing send. */
static void reply_written(void *data, void *hint)
{
    (void)data;
    held_t *h = hint;
    if (h->peer)
        atomic_fetch_sub_explicit(&h->peer->queued, h->charge, memory_order_release);
    atomic_fetch_sub_explicit(h->total, h->charge, memory_order_relaxed);
    free(h);
}

static void peer_dropped(server_t *s, ld_peer_t *p, uint64_t queued)
{
    p->dropped = true;
    p->discarded = 0;
    s->st.peers_dropped++;
    ld_log(LD_LOG_WARN, "peer dropped: replies left unread",
           "queued_bytes=%llu max_peer_queue=%zu peers_dropped=%llu",
           (unsigned long long)queued, s->cfg.max_peer_queue,
           (unsigned long long)s->st.peers_dropped);
}

int ld_router_send(server_t *s, const uint8_t *ident, size_t ident_len, const void *reply,
                   size_t len)
{
    void *z = s->router.sock;
    int rc = 0, err = 0;
    ld_peer_t *peer = peer_slot(&s->router, ident, ident_len, true);
    uint64_t charge = len + LD_PEER_OVERHEAD;
    if (peer) {
        uint64_t queued = atomic_load_explicit(&peer->queued, memory_order_acquire);
        if (!peer->dropped && queued > 0 && queued + charge > s->cfg.max_peer_queue)
            peer_dropped(s, peer, queued);
        if (peer->dropped) {
            err = ENOBUFS;
            goto unsent;
        }
    }
    held_t *h = malloc(sizeof *h + (len ? len : 1));
    if (!h)
        abort();
    h->peer = peer, h->total = &s->st.peer_queue_bytes, h->charge = charge;
    memcpy(h + 1, reply, len);
    if (peer)
        atomic_fetch_add_explicit(&peer->queued, charge, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->st.peer_queue_bytes, charge, memory_order_relaxed);
    zmq_msg_t m;
    zmq_msg_init_data(&m, h + 1, len, reply_written, h);
    if (zmq_send(z, ident, ident_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_send(z, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_msg_send(&m, z, ZMQ_DONTWAIT) < 0) {
        err = errno;
        zmq_msg_close(&m); /* reply_written gives the charge back */
        goto unsent;
    }
    goto out;
unsent:
    {
        rc = LD_EIO;
        s->st.unsent_replies++;
        uint64_t now = ld_mono_ns();
        if (now - s->router.unsent_logged_ns >= 1000000000ull || s->st.unsent_replies == 1) {
            /* at most one line a second: a vanished client with 100 000
             * requests in flight must not flood the log */
            s->router.unsent_logged_ns = now;
            ld_log(LD_LOG_WARN, "reply not sent", "error=\"%s\" unsent_total=%llu",
                   err == ENOBUFS ? "peer dropped: replies left unread" : zmq_strerror(err),
                   (unsigned long long)s->st.unsent_replies);
        }
    }
out:
    /* a send may consume the edge of ZMQ_FD that announced more requests
     * (issue 10 item 3: a query-only stream stalled): read again next turn */
    if (!s->stopping && s->router.idle_inited)
        uv_idle_start(&s->router.idle, on_idle);
    return rc;
}

void *ld_router_socket(server_t *s, int type, const char *ep)
{
    void *z = zmq_socket(s->router.zctx, type);
    if (!z) {
        ld_log(LD_LOG_ERROR, "cannot create a socket", "error=\"%s\"", zmq_strerror(errno));
        return NULL;
    }
    /* a slow subscriber holds at most 10 000 updates (then PUB drops and the
     * subscriber sees a gap in seqs); clients may keep 100 000 requests */
    bool pub = type == ZMQ_PUB || type == ZMQ_XPUB;
    int hwm = pub ? 10000 : 100000, linger = 1000, one = 1;
    /* PUB reads only subscriptions: topics are short, so a subscription over
     * 1 KiB drops its peer (issue 10 item 8: a 4 MiB one pinned 130 MB);
     * how many are applied is subs.c's business (XPUB, manual mode) */
    int64_t submax = 1024;
    /* frames over --max-request still arrive, so that they get an answer;
     * the hard ceiling is 64 times that, where ZeroMQ drops the peer */
    int64_t hard = (int64_t)s->cfg.max_request * 64;
    const char *what = NULL;
    if (zmq_setsockopt(z, ZMQ_SNDHWM, &hwm, sizeof hwm))
        what = "ZMQ_SNDHWM";
    else if (zmq_setsockopt(z, ZMQ_RCVHWM, &hwm, sizeof hwm))
        what = "ZMQ_RCVHWM";
    else if (zmq_setsockopt(z, ZMQ_LINGER, &linger, sizeof linger))
        what = "ZMQ_LINGER";
    else if (zmq_setsockopt(z, ZMQ_MAXMSGSIZE, type == ZMQ_ROUTER ? &hard : &submax, sizeof hard))
        what = "ZMQ_MAXMSGSIZE";
    else if (type == ZMQ_XPUB && zmq_setsockopt(z, ZMQ_XPUB_MANUAL, &one, sizeof one))
        what = "ZMQ_XPUB_MANUAL";
    else if (type == ZMQ_ROUTER && zmq_setsockopt(z, ZMQ_ROUTER_MANDATORY, &one, sizeof one))
        what = "ZMQ_ROUTER_MANDATORY"; /* an undeliverable reply is an error, not silence */
    else if (s->router.auth && zmq_setsockopt(z, ZMQ_CURVE_SERVER, &one, sizeof one))
        what = "ZMQ_CURVE_SERVER";
    else if (s->router.auth &&
             zmq_setsockopt(z, ZMQ_CURVE_SECRETKEY, ld_auth_secret(s->router.auth), 41))
        what = "ZMQ_CURVE_SECRETKEY";
    else if (s->router.auth && zmq_setsockopt(z, ZMQ_ZAP_DOMAIN, "ladder", 6))
        what = "ZMQ_ZAP_DOMAIN";
    if (what) {
        ld_log(LD_LOG_ERROR, "cannot set a socket option", "option=%s error=\"%s\"", what,
               zmq_strerror(errno));
        zmq_close(z);
        return NULL;
    }
    if (zmq_bind(z, ep) != 0) {
        ld_log(LD_LOG_ERROR, "cannot bind", "endpoint=%s error=\"%s\"", ep, zmq_strerror(errno));
        zmq_close(z);
        return NULL;
    }
    return z;
}

/* Polls sock's ZMQ_FD with h. Returns 0 or a negative code (logged). */
static int poll_socket(server_t *s, void *sock, uv_poll_t *h, uv_poll_cb cb, bool *inited)
{
    int fd, rc;
    size_t sz = sizeof fd;
    if (zmq_getsockopt(sock, ZMQ_FD, &fd, &sz)) {
        ld_log(LD_LOG_ERROR, "cannot read ZMQ_FD", "error=\"%s\"", zmq_strerror(errno));
        return LD_EIO;
    }
    if ((rc = uv_poll_init(s->loop, h, fd)) == 0) {
        *inited = true;
        rc = uv_poll_start(h, UV_READABLE, cb);
    }
    if (rc) {
        ld_log(LD_LOG_ERROR, "cannot poll a socket", "error=\"%s\"", uv_strerror(rc));
        return LD_EIO;
    }
    return 0;
}

int ld_router_open(server_t *s)
{
    ld_router_t *r = &s->router;
    int rc;
    if (!(r->zctx = zmq_ctx_new())) {
        ld_log(LD_LOG_ERROR, "cannot create the ZeroMQ context", "error=\"%s\"", zmq_strerror(errno));
        return LD_EIO;
    }
    if (r->auth) {
        /* the ZAP handler must be bound before any CURVE socket */
        r->zap = zmq_socket(r->zctx, ZMQ_REP);
        if (!r->zap || zmq_bind(r->zap, "inproc://zeromq.zap.01") != 0) {
            ld_log(LD_LOG_ERROR, "cannot bind the ZAP handler", "error=\"%s\"", zmq_strerror(errno));
            return LD_EIO;
        }
        if ((rc = poll_socket(s, r->zap, &r->zap_poll, on_zap, &r->zap_poll_inited)))
            return rc;
    }
    if (!(r->peers = calloc(LD_PEER_SLOTS, sizeof *r->peers))) {
        ld_log(LD_LOG_ERROR, "cannot allocate the peer table", "slots=%d", LD_PEER_SLOTS);
        return LD_ENOMEM;
    }
    if (!(r->sock = ld_router_socket(s, ZMQ_ROUTER, s->cfg.command)))
        return LD_EIO;
    if ((rc = poll_socket(s, r->sock, &r->poll, on_poll, &r->poll_inited)))
        return rc;
    if ((rc = uv_idle_init(s->loop, &r->idle))) {
        ld_log(LD_LOG_ERROR, "cannot set up the loop", "handle=idle error=\"%s\"", uv_strerror(rc));
        return LD_EIO;
    }
    r->idle_inited = true;
    return 0;
}

void ld_router_stop(server_t *s)
{
    if (s->router.poll_inited)
        uv_poll_stop(&s->router.poll);
}

static void close_cb(uv_handle_t *h)
{
    (void)h;
}

void ld_router_close(server_t *s)
{
    ld_router_t *r = &s->router;
    if (r->poll_inited)
        uv_close((uv_handle_t *)&r->poll, close_cb);
    if (r->zap_poll_inited)
        uv_close((uv_handle_t *)&r->zap_poll, close_cb);
    if (r->idle_inited)
        uv_close((uv_handle_t *)&r->idle, close_cb);
    r->poll_inited = r->zap_poll_inited = r->idle_inited = false;
}

void ld_router_destroy(server_t *s)
{
    ld_router_t *r = &s->router;
    if (r->sock)
        zmq_close(r->sock);
    if (r->zap)
        zmq_close(r->zap);
    r->sock = r->zap = NULL;
    ld_auth_destroy(&r->auth);
    if (r->zctx)
        zmq_ctx_term(r->zctx);
    r->zctx = NULL;
    /* after the context: libzmq calls reply_written until it ends */
    free(r->peers);
    r->peers = NULL;
}
