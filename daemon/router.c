/* router.c — the ROUTER socket and the ZAP handler (shell.h, ld_router_t).
 *
 * Owns the ZeroMQ context, the ROUTER (requests in, replies out), the ZAP
 * REP socket (RFC 27: CURVE connections only for listed keys) and their libuv
 * handles: a uv_poll_t on each ZMQ_FD and a uv_idle_t that resumes a drain.
 * ZMQ_FD is edge-triggered: after every recv and send the sockets are read
 * while ZMQ_EVENTS says readable. Frames are checked here; what a request
 * means is requests.c's business.
 */
#include <errno.h>
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

/* Reads and handles one message; returns how many frames it had (0: none
 * was waiting). */
static int handle_message(server_t *s)
{
    zmq_msg_t parts[4];
    int n = recv_parts(s->router.sock, parts, 4);
    if (n >= 1) {
        const uint8_t *ident = zmq_msg_data(&parts[0]);
        size_t ilen = zmq_msg_size(&parts[0]);
        if (n == 3 && zmq_msg_size(&parts[1]) == 0) {
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

int ld_router_send(server_t *s, const uint8_t *ident, size_t ident_len, const void *reply,
                   size_t len)
{
    void *z = s->router.sock;
    int rc = 0;
    if (zmq_send(z, ident, ident_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_send(z, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_send(z, reply, len, ZMQ_DONTWAIT) < 0) {
        int err = errno;
        rc = LD_EIO;
        s->st.unsent_replies++;
        uint64_t now = ld_mono_ns();
        if (now - s->router.unsent_logged_ns >= 1000000000ull || s->st.unsent_replies == 1) {
            /* at most one line a second: a vanished client with 100 000
             * requests in flight must not flood the log */
            s->router.unsent_logged_ns = now;
            ld_log(LD_LOG_WARN, "reply not sent", "error=\"%s\" unsent_total=%llu",
                   zmq_strerror(err), (unsigned long long)s->st.unsent_replies);
        }
    }
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
    int hwm = type == ZMQ_PUB ? 10000 : 100000, linger = 1000, one = 1;
    /* PUB reads only subscriptions: topics are short, so a subscription over
     * 1 KiB drops its peer (issue 10 item 8: a 4 MiB one pinned 130 MB) */
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
}
