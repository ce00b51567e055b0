/* client.c — ladder-web's queries to ladderd: one DEALER per HTTP worker
 * thread (ZeroMQ sockets are not shared between threads), CURVE client keys
 * when given, replies matched to their request id so that a late answer to a
 * query that already timed out is never taken for the next one's.
 *
 * Without CURVE the gateway names its own principal (--as, --roles); with
 * CURVE ladderd takes the principal bound to the gateway's key. Either way
 * the gateway never asks for more than that principal is allowed (§1 v2).
 */
#include <errno.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "web.h"

static void *ctx;
static const web_config_t *cfg;
static char server_pub[41], client_pub[41], client_sec[41];
static bool use_curve;
static __thread void *dealer;

static int read_z85(const char *path, char out[41], char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[128] = "";
    char *got = fgets(line, sizeof line, f);
    fclose(f);
    if (!got || strcspn(line, "\r\n") != 40) {
        snprintf(err, errlen, "%s: expected a 40-character Z85 key", path);
        return -1;
    }
    memcpy(out, line, 40);
    out[40] = 0;
    return 0;
}

int web_client_init(const web_config_t *c, char *err, size_t errlen)
{
    cfg = c;
    if (sodium_init() < 0) {
        snprintf(err, errlen, "libsodium does not initialise");
        return -1;
    }
    if (!!c->server_key != !!c->key) {
        snprintf(err, errlen, "--server-key and --key go together");
        return -1;
    }
    if (c->server_key) {
        if (read_z85(c->server_key, server_pub, err, errlen) ||
            read_z85(c->key, client_sec, err, errlen))
            return -1;
        if (zmq_curve_public(client_pub, client_sec) != 0) {
            snprintf(err, errlen, "%s: not a CURVE secret key", c->key);
            return -1;
        }
        use_curve = true;
    }
    ctx = zmq_ctx_new();
    return ctx ? 0 : -1;
}

void *web_client_ctx(void)
{
    return ctx;
}

void web_client_curve(void *sock)
{
    if (!use_curve)
        return;
    zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, server_pub, 41);
    zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, client_pub, 41);
    zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, client_sec, 41);
}

static void *thread_dealer(void)
{
    if (dealer)
        return dealer;
    dealer = zmq_socket(ctx, ZMQ_DEALER);
    if (!dealer)
        return NULL;
    int linger = 0;
    zmq_setsockopt(dealer, ZMQ_LINGER, &linger, sizeof linger);
    web_client_curve(dealer);
    if (zmq_connect(dealer, cfg->command) != 0) {
        zmq_close(dealer);
        dealer = NULL;
    }
    return dealer;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

Ladder__V1__Reply *web_query(Ladder__V1__Query *q, unsigned timeout_ms)
{
    void *d = thread_dealer();
    if (!d)
        return NULL;
    uint8_t rid[16];
    randombytes_buf(rid, sizeof rid);
    Ladder__V1__Principal p = LADDER__V1__PRINCIPAL__INIT;
    p.id = (char *)cfg->as;
    p.roles = cfg->roles;
    Ladder__V1__Request req = LADDER__V1__REQUEST__INIT;
    req.request_id = (ProtobufCBinaryData){sizeof rid, rid};
    req.principal = use_curve ? NULL : &p;
    req.query = q;
    size_t n = ladder__v1__request__get_packed_size(&req);
    uint8_t stack[512], *buf = n <= sizeof stack ? stack : malloc(n);
    if (!buf)
        return NULL;
    ladder__v1__request__pack(&req, buf);
    int rc = zmq_send(d, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    if (rc == 0)
        rc = zmq_send(d, buf, n, ZMQ_DONTWAIT);
    if (buf != stack)
        free(buf);
    if (rc < 0)
        return NULL;
    int64_t deadline = now_ms() + timeout_ms;
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return NULL;
        zmq_pollitem_t it = {d, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, (long)left) <= 0)
            continue;
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, d, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            continue;
        }
        if (zmq_msg_more(&m)) { /* the empty delimiter */
            zmq_msg_close(&m);
            continue;
        }
        Ladder__V1__Reply *r = ladder__v1__reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
        zmq_msg_close(&m);
        if (r && r->request_id.len == sizeof rid && !memcmp(r->request_id.data, rid, sizeof rid))
            return r;
        if (r) /* a late answer to an earlier query of this thread */
            ladder__v1__reply__free_unpacked(r, NULL);
    }
}
