/* test_bounds.c — what one client may pin in ladderd (issue 10 items 7, 8),
 * against the real binary: reply bytes queued for a ROUTER peer that never
 * reads are bounded and the peer is dropped and counted; a pipelining client
 * that reads loses no reply; PUB subscriptions are bounded per subscribing
 * process and in total, and what is over the bound is refused and counted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "client.h"

#define E(x) LADDER__V1__ERROR_CODE__##x
#define MIB ((uint64_t)1 << 20)
#define MAX_PEER_QUEUE (8 * MIB)    /* ladderd's default --max-peer-queue */
#define MAX_SUBS 50                 /* --max-subscriptions below */

static daemon_t D;
static void *socks[8];  /* closed at teardown: a failed row must not hang zmq_ctx_term */
static int nsocks;

static void must_ok(Ladder__V1__Reply *r, const char *what)
{
    if (!r || r->outcome_case != LADDER__V1__REPLY__OUTCOME_OK)
        fail_msg("%s: %s", what, r ? r->error->message : "no reply");
    ladder__v1__reply__free_unpacked(r, NULL);
}

static Ladder__V1__StatsView *stats(Ladder__V1__Reply **keep)
{
    Ladder__V1__Stats st = LADDER__V1__STATS__INIT;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_STATS;
    q.stats = &st;
    *keep = d_query(&D, &q);
    assert_non_null(*keep);
    assert_int_equal((*keep)->outcome_case, LADDER__V1__REPLY__OUTCOME_OK);
    return (*keep)->ok->stats;
}

static long rss_kib(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6))
            kib = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return kib;
}

/* 200 adjustments with 8000-byte reasons: a ReadEvents page from seq 1 is
 * then cut at its 1 MiB byte bound (~130 events). */
static int group_setup(void **s)
{
    (void)s;
    static const char *const extra[] = {"--max-subscriptions", "50", NULL};
    d_open(&D, "bounds", extra);
    Ladder__V1__Hire h = LADDER__V1__HIRE__INIT;
    h.employee_id = "e1", h.name = "Guo Li";
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_HIRE;
    c.hire = &h;
    must_ok(d_cmd(&D, &c), "hire");
    static char reason[8001];
    memset(reason, 'r', 8000);
    Ladder__V1__AdjustPoints ap = LADDER__V1__ADJUST_POINTS__INIT;
    ap.employee_id = "e1", ap.reason = reason, ap.amount = 1;
    static Ladder__V1__Command cs[100];
    static Ladder__V1__Command *cp[100];
    for (int i = 0; i < 100; i++) {
        ladder__v1__command__init(&cs[i]);
        cs[i].cmd_case = LADDER__V1__COMMAND__CMD_ADJUST_POINTS;
        cs[i].adjust_points = &ap;
        cp[i] = &cs[i];
    }
    for (int k = 0; k < 2; k++) {
        Ladder__V1__Principal p = LADDER__V1__PRINCIPAL__INIT;
        p.id = "boss", p.roles = LADDER__V1__ROLE__ROLE_MANAGER;
        char rid[16];
        snprintf(rid, sizeof rid, "bulk-%d", k);
        Ladder__V1__Request req = LADDER__V1__REQUEST__INIT;
        req.request_id = (ProtobufCBinaryData){strlen(rid), (uint8_t *)rid};
        req.principal = &p;
        req.n_commands = 100, req.commands = cp;
        must_ok(d_call(&D, &req), "bulk adjustments");
    }
    return 0;
}

static int group_teardown(void **s)
{
    (void)s;
    for (int i = 0; i < nsocks; i++)
        if (socks[i])
            zmq_close(socks[i]);
    return d_remove(&D);
}

static void send_request(void *sock, const Ladder__V1__Request *req)
{
    size_t n = ladder__v1__request__get_packed_size(req);
    uint8_t *buf = malloc(n + 1);
    ladder__v1__request__pack(req, buf);
    zmq_send(sock, "", 0, ZMQ_SNDMORE);
    zmq_send(sock, buf, n, 0);
    free(buf);
}

static void send_read_page(void *sock)
{
    Ladder__V1__ReadEvents re = LADDER__V1__READ_EVENTS__INIT;
    re.from_seq = 1;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_READ_EVENTS;
    q.read_events = &re;
    Ladder__V1__Principal p = LADDER__V1__PRINCIPAL__INIT;
    p.id = "boss", p.roles = LADDER__V1__ROLE__ROLE_MANAGER;
    Ladder__V1__Request req = LADDER__V1__REQUEST__INIT;
    req.query = &q;
    req.principal = &p;
    send_request(sock, &req);
}

/* Receives one reply on a DEALER (NULL on timeout). */
static Ladder__V1__Reply *recv_reply(void *sock)
{
    for (;;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, sock, 0) < 0) {
            zmq_msg_close(&m);
            return NULL;
        }
        if (zmq_msg_more(&m)) {
            zmq_msg_close(&m);
            continue;
        }
        Ladder__V1__Reply *r = ladder__v1__reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
        zmq_msg_close(&m);
        return r;
    }
}

static void *dealer(int rcvhwm, int rcvbuf)
{
    void *z = zmq_socket(D.zctx, ZMQ_DEALER);
    int linger = 0, tmo = 10000;
    zmq_setsockopt(z, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(z, ZMQ_RCVTIMEO, &tmo, sizeof tmo);
    if (rcvhwm)
        zmq_setsockopt(z, ZMQ_RCVHWM, &rcvhwm, sizeof rcvhwm);
    if (rcvbuf)
        zmq_setsockopt(z, ZMQ_RCVBUF, &rcvbuf, sizeof rcvbuf);
    assert_int_equal(zmq_connect(z, D.cmd_ep), 0);
    if (nsocks < 8)
        socks[nsocks++] = z;
    return z;
}

/* Issue 10 item 7: a client that asks for 300 pages of 1 MiB and reads none
 * (its own receive queue holds one message) pins at most --max-peer-queue
 * plus one reply in ladderd, is dropped and counted; others are served
 * meanwhile; once it reads what was queued it is told (ERR_PEER_DROPPED),
 * then served again. Unbounded, the 300 pages were ~300 MiB of RSS. */
static void test_issue10_7_never_reading_client_is_dropped_with_bounded_bytes(void **s)
{
    (void)s;
    Ladder__V1__Reply *keep;
    Ladder__V1__StatsView *v = stats(&keep);
    uint64_t dropped0 = v->peers_dropped, unsent0 = v->unsent_replies;
    ladder__v1__reply__free_unpacked(keep, NULL);
    long rss0 = rss_kib(D.pid);

    void *hostile = dealer(1, 4096);
    for (int i = 0; i < 300; i++)
        send_read_page(hostile);
    /* wait for the 300 pages to be read from the log and answered */
    uint64_t queued = 0, dropped = 0, unsent = 0, last = UINT64_MAX;
    for (int i = 0, still = 0; i < 200 && still < 3; i++) {
        usleep(200000);
        v = stats(&keep);
        queued = v->peer_queue_bytes, dropped = v->peers_dropped - dropped0;
        unsent = v->unsent_replies - unsent0;
        ladder__v1__reply__free_unpacked(keep, NULL);
        still = dropped && unsent == last ? still + 1 : 0;
        last = unsent;
    }
    long rss1 = rss_kib(D.pid);
    fprintf(stderr, "never-reading client: %llu bytes queued, dropped %llu, unsent %llu, "
                    "RSS %ld -> %ld KiB\n", (unsigned long long)queued,
            (unsigned long long)dropped, (unsigned long long)unsent, rss0, rss1);
    assert_int_equal(dropped, 1);
    assert_true(unsent >= 250);                             /* the rest went nowhere */
    assert_true(queued <= MAX_PEER_QUEUE + 2 * MIB);        /* the bound and one page */
#ifndef __SANITIZE_ADDRESS__
    /* (ASan's quarantine keeps the freed pages: there the queued bytes tell) */
    assert_true(rss1 - rss0 < 64 * 1024);                   /* not 300 MiB */
#endif

    /* it reads now: every queued reply is a whole page, then it is told */
    int pages = 0;
    int tmo = 2000;
    zmq_setsockopt(hostile, ZMQ_RCVTIMEO, &tmo, sizeof tmo);
    Ladder__V1__Reply *r;
    while ((r = recv_reply(hostile))) {
        assert_int_equal(r->outcome_case, LADDER__V1__REPLY__OUTCOME_OK);
        assert_true(r->ok->events->more);
        pages++;
        ladder__v1__reply__free_unpacked(r, NULL);
    }
    assert_true(pages >= 1 && pages < 50);
    send_read_page(hostile);
    r = recv_reply(hostile);
    assert_non_null(r);
    assert_int_equal(r->outcome_case, LADDER__V1__REPLY__OUTCOME_ERROR);
    assert_int_equal(r->error->code, E(ERR_PEER_DROPPED));
    assert_non_null(strstr(r->error->message, "unread"));
    ladder__v1__reply__free_unpacked(r, NULL);
    send_read_page(hostile);
    r = recv_reply(hostile);
    assert_non_null(r);
    assert_int_equal(r->outcome_case, LADDER__V1__REPLY__OUTCOME_OK);
    ladder__v1__reply__free_unpacked(r, NULL);
}

/* Issue 10 item 7: a client that keeps 512 requests in flight (the bench's
 * depth) and 4 pages of 1 MiB in flight, and reads every reply, gets every
 * reply and is never dropped. */
static void test_issue10_7_pipelining_client_loses_no_reply(void **s)
{
    (void)s;
    Ladder__V1__Reply *keep;
    Ladder__V1__StatsView *v = stats(&keep);
    uint64_t dropped0 = v->peers_dropped, unsent0 = v->unsent_replies;
    ladder__v1__reply__free_unpacked(keep, NULL);

    void *z = dealer(0, 0);
    Ladder__V1__Stats st = LADDER__V1__STATS__INIT;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_STATS;
    q.stats = &st;
    Ladder__V1__Request req = LADDER__V1__REQUEST__INIT;
    req.query = &q;
    enum { TOTAL = 20000, DEPTH = 512 };
    int sent = 0, got = 0;
    while (got < TOTAL) {
        while (sent < TOTAL && sent - got < DEPTH) {
            send_request(z, &req);
            sent++;
        }
        Ladder__V1__Reply *r = recv_reply(z);
        if (!r)
            fail_msg("reply %d of %d lost", got + 1, TOTAL);
        assert_int_equal(r->outcome_case, LADDER__V1__REPLY__OUTCOME_OK);
        ladder__v1__reply__free_unpacked(r, NULL);
        got++;
    }
    int pages = 0;
    for (sent = 0; sent < 4; sent++)
        send_read_page(z);
    while (pages < 100) {
        Ladder__V1__Reply *r = recv_reply(z);
        if (!r)
            fail_msg("page %d lost", pages + 1);
        assert_int_equal(r->outcome_case, LADDER__V1__REPLY__OUTCOME_OK);
        ladder__v1__reply__free_unpacked(r, NULL);
        if (++pages + 4 <= 100)
            send_read_page(z);
    }
    v = stats(&keep);
    assert_int_equal(v->peers_dropped - dropped0, 0);
    assert_int_equal(v->unsent_replies - unsent0, 0);
    ladder__v1__reply__free_unpacked(keep, NULL);
}

static void adjust_e1(void)
{
    Ladder__V1__AdjustPoints ap = LADDER__V1__ADJUST_POINTS__INIT;
    ap.employee_id = "e1", ap.reason = "x", ap.amount = 1;
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_ADJUST_POINTS;
    c.adjust_points = &ap;
    must_ok(d_cmd(&D, &c), "adjust");
}

/* The topics of the updates that arrive on sub within ms (comma-joined). */
static void received(void *sub, int ms, char *out, size_t cap)
{
    out[0] = 0;
    zmq_setsockopt(sub, ZMQ_RCVTIMEO, &ms, sizeof ms);
    for (;;) {
        char topic[128];
        int n = zmq_recv(sub, topic, sizeof topic - 1, 0);
        if (n < 0)
            return;
        topic[n < (int)sizeof topic - 1 ? n : (int)sizeof topic - 1] = 0;
        int more = 0;
        size_t sz = sizeof more;
        zmq_getsockopt(sub, ZMQ_RCVMORE, &more, &sz);
        if (more) {
            zmq_msg_t m;
            zmq_msg_init(&m);
            zmq_msg_recv(&m, sub, 0);
            zmq_msg_close(&m);
        }
        size_t at = strlen(out);
        snprintf(out + at, cap - at, "%s%s", at ? "," : "", topic);
    }
}

/* Waits until Stats shows subs live subscriptions; returns the refused count. */
static uint64_t wait_subscriptions(uint64_t subs)
{
    Ladder__V1__Reply *keep;
    uint64_t live = 0, refused = 0;
    for (int i = 0; i < 50; i++) {
        Ladder__V1__StatsView *v = stats(&keep);
        live = v->subscriptions, refused = v->subscriptions_refused;
        ladder__v1__reply__free_unpacked(keep, NULL);
        if (live == subs)
            return refused;
        usleep(100000);
    }
    fail_msg("%llu live subscriptions, want %llu", (unsigned long long)live,
             (unsigned long long)subs);
    return 0;
}

/* Issue 10 item 8: one process subscribes MAX_SUBS topics, then one more:
 * that one is not applied (no update on it arrives) and is counted; after an
 * unsubscribe it is applied; when the subscriber goes away its subscriptions
 * leave the count. */
static void test_issue10_8_subscriptions_per_origin_bounded(void **s)
{
    (void)s;
    Ladder__V1__Reply *keep;
    Ladder__V1__StatsView *v = stats(&keep);
    uint64_t refused0 = v->subscriptions_refused;
    ladder__v1__reply__free_unpacked(keep, NULL);
    void *sub = zmq_socket(D.zctx, ZMQ_SUB);
    int linger = 0;
    zmq_setsockopt(sub, ZMQ_LINGER, &linger, sizeof linger);
    socks[nsocks++] = sub;
    assert_int_equal(zmq_connect(sub, D.pub_ep), 0);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "evt.points_adjusted", 19);
    for (int i = 1; i < MAX_SUBS; i++) {
        char t[32];
        int n = snprintf(t, sizeof t, "junk.%d", i);
        zmq_setsockopt(sub, ZMQ_SUBSCRIBE, t, (size_t)n);
    }
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "points.e1", 9); /* the 51st */
    assert_int_equal(wait_subscriptions(MAX_SUBS) - refused0, 1);
    adjust_e1();
    char got[512];
    received(sub, 1000, got, sizeof got);
    assert_string_equal(got, "evt.points_adjusted"); /* nothing on points.e1 */

    zmq_setsockopt(sub, ZMQ_UNSUBSCRIBE, "junk.1", 6);
    wait_subscriptions(MAX_SUBS - 1);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "points.e1", 9);
    assert_int_equal(wait_subscriptions(MAX_SUBS) - refused0, 1);
    adjust_e1();
    received(sub, 1000, got, sizeof got);
    assert_string_equal(got, "evt.points_adjusted,points.e1");

    /* a second subscriber of this process on a topic the first holds: when
     * the first goes away, its topics leave the count (libzmq's unsubscribes
     * on a disconnect name no peer) and the second is still served */
    void *other = zmq_socket(D.zctx, ZMQ_SUB);
    zmq_setsockopt(other, ZMQ_LINGER, &linger, sizeof linger);
    socks[nsocks++] = other;
    assert_int_equal(zmq_connect(other, D.pub_ep), 0);
    zmq_setsockopt(other, ZMQ_SUBSCRIBE, "evt.points_adjusted", 19);
    usleep(300000);
    assert_int_equal(wait_subscriptions(MAX_SUBS) - refused0, 1); /* not a new topic */
    zmq_close(sub);
    socks[nsocks - 2] = NULL;
    wait_subscriptions(1);
    adjust_e1();
    received(other, 1000, got, sizeof got);
    assert_string_equal(got, "evt.points_adjusted");
    zmq_close(other);
    socks[--nsocks] = NULL;
    wait_subscriptions(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_issue10_7_pipelining_client_loses_no_reply),
        cmocka_unit_test(test_issue10_7_never_reading_client_is_dropped_with_bounded_bytes),
        cmocka_unit_test(test_issue10_8_subscriptions_per_origin_bounded),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
