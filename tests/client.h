/* client.h — a small ZeroMQ client of ladderd for integration tests: start
 * the real binary in a temp dir, send requests, read replies and updates. */
#ifndef LD_TEST_CLIENT_H
#define LD_TEST_CLIENT_H

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "ladder.pb-c.h"

typedef struct {
    char dir[256];
    char cmd_ep[300], pub_ep[300];
    pid_t pid;
    void *zctx, *dealer;
    uint64_t next_rid;
} daemon_t;

static inline void d_fail(const char *what)
{
    fprintf(stderr, "client: %s\n", what);
    abort();
}

/* Starts ladderd (path LADDERD) on ipc endpoints under dir, extra args after. */
static inline void d_start(daemon_t *d, const char *const *extra)
{
    snprintf(d->cmd_ep, sizeof d->cmd_ep, "ipc://%s/cmd", d->dir);
    snprintf(d->pub_ep, sizeof d->pub_ep, "ipc://%s/pub", d->dir);
    char data[300], log[300];
    snprintf(data, sizeof data, "%s/data", d->dir);
    snprintf(log, sizeof log, "%s/ladderd.log", d->dir);
    const char *argv[32] = {LADDERD, "--data", data, "--command", d->cmd_ep,
                            "--publish", d->pub_ep, "--log-level", "info"};
    int n = 9;
    for (int i = 0; extra && extra[i] && n < 30; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        FILE *f = freopen(log, "a", stderr);
        (void)f;
        execv(LADDERD, (char *const *)argv);
        _exit(127);
    }
    d->pid = pid;
    if (!d->zctx)
        d->zctx = zmq_ctx_new();
    d->dealer = zmq_socket(d->zctx, ZMQ_DEALER);
    int linger = 0, tmo = 10000;
    zmq_setsockopt(d->dealer, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(d->dealer, ZMQ_RCVTIMEO, &tmo, sizeof tmo);
    zmq_connect(d->dealer, d->cmd_ep);
}

static inline void d_close_socket(daemon_t *d)
{
    if (d->dealer)
        zmq_close(d->dealer);
    d->dealer = NULL;
}

/* Stops with SIGTERM (clean) or SIGKILL; returns the exit status. */
static inline int d_stop(daemon_t *d, int sig)
{
    d_close_socket(d);
    if (d->pid <= 0)
        return -1;
    kill(d->pid, sig);
    int st = 0;
    waitpid(d->pid, &st, 0);
    d->pid = 0;
    return st;
}

static inline void d_destroy(daemon_t *d)
{
    if (d->pid > 0)
        d_stop(d, SIGKILL);
    if (d->zctx)
        zmq_ctx_term(d->zctx);
    d->zctx = NULL;
}

/* Sends raw frames [empty][payload]; returns the decoded reply (caller frees). */
static inline Ladder__V1__Reply *d_raw(daemon_t *d, const void *data, size_t len)
{
    zmq_send(d->dealer, "", 0, ZMQ_SNDMORE);
    zmq_send(d->dealer, data, len, 0);
    for (;;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, d->dealer, 0) < 0) {
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

static inline Ladder__V1__Reply *d_call(daemon_t *d, Ladder__V1__Request *req)
{
    size_t n = ladder__v1__request__get_packed_size(req);
    uint8_t *buf = malloc(n + 1);
    ladder__v1__request__pack(req, buf);
    Ladder__V1__Reply *r = d_raw(d, buf, n);
    free(buf);
    return r;
}

/* Waits until ladderd answers a Stats query (up to ~5 s). */
static inline bool d_ready(daemon_t *d)
{
    int tmo = 200;
    zmq_setsockopt(d->dealer, ZMQ_RCVTIMEO, &tmo, sizeof tmo);
    for (int i = 0; i < 50; i++) {
        Ladder__V1__Stats st = LADDER__V1__STATS__INIT;
        Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
        q.q_case = LADDER__V1__QUERY__Q_STATS;
        q.stats = &st;
        Ladder__V1__Request req = LADDER__V1__REQUEST__INIT;
        req.query = &q;
        Ladder__V1__Reply *r = d_call(d, &req);
        if (r) {
            ladder__v1__reply__free_unpacked(r, NULL);
            tmo = 10000;
            zmq_setsockopt(d->dealer, ZMQ_RCVTIMEO, &tmo, sizeof tmo);
            return true;
        }
        /* a request sent before the bind may be lost: reconnect and ask again */
        d_close_socket(d);
        d->dealer = zmq_socket(d->zctx, ZMQ_DEALER);
        int linger = 0;
        zmq_setsockopt(d->dealer, ZMQ_LINGER, &linger, sizeof linger);
        zmq_setsockopt(d->dealer, ZMQ_RCVTIMEO, &tmo, sizeof tmo);
        zmq_connect(d->dealer, d->cmd_ep);
    }
    return false;
}

/* A test's ladderd on a fresh store, /tmp/ladder-test-<name>-XXXXXX, with
 * extra args, answering (aborts otherwise): the setup every daemon test has. */
static inline void d_open(daemon_t *d, const char *name, const char *const *extra)
{
    memset(d, 0, sizeof *d);
    snprintf(d->dir, sizeof d->dir, "/tmp/ladder-test-%s-XXXXXX", name);
    if (!mkdtemp(d->dir))
        d_fail("mkdtemp");
    d_start(d, extra);
    if (!d_ready(d))
        d_fail("ladderd did not answer");
}

/* Stops d_open's ladderd and removes its store; 0, or system()'s status. */
static inline int d_remove(daemon_t *d)
{
    d_destroy(d);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf %s", d->dir);
    return system(cmd);
}

/* One command as a manager (or the given principal), with a fresh request id. */
static inline Ladder__V1__Reply *d_cmd_as(daemon_t *d, Ladder__V1__Command *c, const char *who,
                                         uint32_t roles)
{
    char rid[32];
    int n = snprintf(rid, sizeof rid, "t-%d-%llu", (int)getpid(), (unsigned long long)++d->next_rid);
    Ladder__V1__Principal p = LADDER__V1__PRINCIPAL__INIT;
    p.id = (char *)who;
    p.roles = roles;
    Ladder__V1__Command *cs[1] = {c};
    Ladder__V1__Request req = LADDER__V1__REQUEST__INIT;
    req.request_id = (ProtobufCBinaryData){(size_t)n, (uint8_t *)rid};
    req.principal = &p;
    req.n_commands = 1;
    req.commands = cs;
    return d_call(d, &req);
}

static inline Ladder__V1__Reply *d_cmd(daemon_t *d, Ladder__V1__Command *c)
{
    return d_cmd_as(d, c, "boss", LADDER__V1__ROLE__ROLE_MANAGER);
}

/* One query asked as principal who with roles (§1 v2: the answer depends on it). */
static inline Ladder__V1__Reply *d_query_as(daemon_t *d, Ladder__V1__Query *q, const char *who,
                                           uint32_t roles)
{
    Ladder__V1__Principal p = LADDER__V1__PRINCIPAL__INIT;
    p.id = (char *)who;
    p.roles = roles;
    Ladder__V1__Request req = LADDER__V1__REQUEST__INIT;
    req.query = q;
    req.principal = who ? &p : NULL;
    return d_call(d, &req);
}

/* One query as a manager, like d_cmd. */
static inline Ladder__V1__Reply *d_query(daemon_t *d, Ladder__V1__Query *q)
{
    return d_query_as(d, q, "boss", LADDER__V1__ROLE__ROLE_MANAGER);
}

#endif
