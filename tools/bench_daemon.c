/* bench_daemon.c — `ladder-bench daemon` and `ladder-bench replay`.
 *
 * daemon: starts ladderd (full durability unless told), preloads employees,
 *   then K DEALER clients keep W single-command requests in flight each for S
 *   seconds with the realistic command mix (throughput), and one client sends
 *   at a fixed rate R/s for L seconds (p50/p99 acknowledgement latency).
 *   Prints the peers harness's line format: "ladder MODE events_per_s p50 p99".
 * replay: writes N events through the core and the store, then times the
 *   start-up from a snapshot and a full replay without one.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "core.h"
#include "gen.h"
#include "replay.h"
#include "ld_error.h"
#include "store.h"
#include "wire.h"

#define T0 1767542400000LL

static uint64_t ns_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void fatal(const char *what, const char *why)
{
    fprintf(stderr, "ladder-bench: %s: %s\n", what, why);
    exit(2);
}

typedef struct {
    const char *ep;
    void *zctx;
    int id;
    int window;
    double seconds;
    uint32_t employees;
    uint64_t ok, refused;
    uint64_t *sent, *lat;   /* per request: when sent; per reply: its latency (ns) */
    size_t cap, nlat;
} client_t;

/* Command's descriptor cut to each member of its oneof (wire.h): the load
 * generator packs a command with a walk of one field instead of ~45, the
 * same bytes, so that its own CPU (it shares the machine with ladderd)
 * weighs less on the measurement. Set up before the clients start. */
static ld_cutdesc_t cmd_cut;

static size_t pack_request(uint8_t *buf, size_t cap, const char *rid, Ladder__V1__Command **cs,
                           size_t n, const char *who, uint32_t roles)
{
    Ladder__V1__Command one, *onep = &one;
    if (n == 1) {
        one = *cs[0];
        one.base.descriptor = ld_cutdesc_for(&cmd_cut, &one.base);
        cs = &onep;
    }
    Ladder__V1__Principal p = LADDER__V1__PRINCIPAL__INIT;
    p.id = (char *)who;
    p.roles = roles;
    Ladder__V1__Request req = LADDER__V1__REQUEST__INIT;
    req.request_id = (ProtobufCBinaryData){strlen(rid), (uint8_t *)rid};
    req.principal = &p;
    req.n_commands = n;
    req.commands = cs;
    size_t len = ladder__v1__request__get_packed_size(&req);
    if (len > cap)
        fatal("request", "too large for the buffer");
    return ladder__v1__request__pack(&req, buf);
}

static void *dealer(void *zctx, const char *ep)
{
    void *d = zmq_socket(zctx, ZMQ_DEALER);
    int linger = 0, hwm = 100000;
    zmq_setsockopt(d, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(d, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(d, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_connect(d, ep);
    return d;
}

/* Receives one reply; returns 1 ok, 0 refused, -1 none (timeout). */
static int recv_reply(void *d, int flags, char *rid, size_t ridlen)
{
    zmq_msg_t m;
    for (;;) {
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, d, flags) < 0) {
            zmq_msg_close(&m);
            return -1;
        }
        if (!zmq_msg_more(&m))
            break;
        zmq_msg_close(&m);
    }
    Ladder__V1__Reply *r = ladder__v1__reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
    zmq_msg_close(&m);
    if (!r)
        return 0;
    int ok = r->outcome_case == LADDER__V1__REPLY__OUTCOME_OK;
    if (rid && ridlen) {
        size_t n = r->request_id.len < ridlen - 1 ? r->request_id.len : ridlen - 1;
        if (n)
            memcpy(rid, r->request_id.data, n);
        rid[n] = 0;
    }
    ladder__v1__reply__free_unpacked(r, NULL);
    return ok;
}

/* "c%d-%012llu" of (id, n), written by hand; 0 <= id < 100, n < 10^12. */
static void format_rid(char rid[32], int id, uint64_t n)
{
    int k = 0;
    rid[k++] = 'c';
    if (id >= 10)
        rid[k++] = (char)('0' + id / 10);
    rid[k++] = (char)('0' + id % 10);
    rid[k++] = '-';
    for (int i = 11; i >= 0; i--, n /= 10)
        rid[k + i] = (char)('0' + n % 10);
    rid[k + 12] = 0;
}

static void *client_run(void *arg)
{
    client_t *c = arg;
    void *d = dealer(c->zctx, c->ep);
    ld_gen_t g;
    ld_gen_init(&g, (uint64_t)c->id + 1000, c->employees, T0);
    g.realistic = 1;
    uint8_t buf[8192];
    uint64_t end = ns_now() + (uint64_t)(c->seconds * 1e9), n = 0;
    int inflight = 0;
    while (ns_now() < end) {
        while (inflight < c->window) {
            Ladder__V1__Command *cmd = ld_gen_command(&g);
            char rid[32];
            if (n == c->cap) {
                c->cap = c->cap ? c->cap * 2 : 65536;
                c->sent = realloc(c->sent, c->cap * sizeof *c->sent);
                c->lat = realloc(c->lat, c->cap * sizeof *c->lat);
                if (!c->sent || !c->lat)
                    fatal("client", "out of memory");
            }
            /* fixed-width, time-ordered ids, as DESIGN.md asks of clients:
             * "c<id>-" and n in 12 digits (snprintf cost the client more
             * than packing the request) */
            format_rid(rid, c->id, n);
            size_t len = pack_request(buf, sizeof buf, rid, &cmd, 1, g.principal, g.roles);
            c->sent[n++] = ns_now();
            zmq_send(d, "", 0, ZMQ_SNDMORE);
            zmq_send(d, buf, len, 0);
            inflight++;
        }
        zmq_pollitem_t it = {d, 0, ZMQ_POLLIN, 0};
        zmq_poll(&it, 1, 100);
        int r;
        char rid[32];
        while ((r = recv_reply(d, ZMQ_DONTWAIT, rid, sizeof rid)) >= 0) {
            const char *dash = strchr(rid, '-');
            uint64_t i = dash ? strtoull(dash + 1, NULL, 10) : n;
            if (i < n)
                c->lat[c->nlat++] = ns_now() - c->sent[i];
            inflight--;
            if (r)
                c->ok++;
            else
                c->refused++;
        }
    }
    /* collect what is still in flight so the next phase starts quiet */
    int tmo = 10000;
    zmq_setsockopt(d, ZMQ_RCVTIMEO, &tmo, sizeof tmo);
    while (inflight > 0 && recv_reply(d, 0, NULL, 0) >= 0)
        inflight--;
    zmq_close(d);
    return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static double pct_us(uint64_t *v, size_t n, double p)
{
    if (!n)
        return -1;
    qsort(v, n, sizeof *v, cmp_u64);
    size_t k = (size_t)(p / 100.0 * (double)n + 0.999999);
    if (k < 1)
        k = 1;
    if (k > n)
        k = n;
    return (double)v[k - 1] / 1000.0;
}

/* Open loop at `rate` requests/s for `seconds`: latency of each ack. */
static void latency_run(void *zctx, const char *ep, uint32_t employees, double rate, double seconds,
                        double *p50, double *p99, size_t *count)
{
    void *d = dealer(zctx, ep);
    ld_gen_t g;
    ld_gen_init(&g, 4242, employees, T0);
    g.realistic = 1;
    size_t n = (size_t)(rate * seconds);
    uint64_t *sent = calloc(n, sizeof *sent), *lat = calloc(n, sizeof *lat),
             *done = calloc(n, sizeof *done);
    uint8_t buf[8192];
    int zfd = -1;
    size_t zfdsz = sizeof zfd;
    if (zmq_getsockopt(d, ZMQ_FD, &zfd, &zfdsz))
        fatal("latency run", zmq_strerror(zmq_errno()));
    prctl(PR_SET_TIMERSLACK, 1000UL); /* wake within 1 us of the due send */
    uint64_t start = ns_now(), interval = (uint64_t)(1e9 / rate);
    size_t next = 0, got = 0;
    while (got < n) {
        uint64_t now = ns_now();
        while (next < n && now >= start + next * interval) {
            Ladder__V1__Command *cmd = ld_gen_command(&g);
            char rid[32];
            snprintf(rid, sizeof rid, "L%012zu", next);
            size_t len = pack_request(buf, sizeof buf, rid, &cmd, 1, g.principal, g.roles);
            sent[next++] = ns_now();
            zmq_send(d, "", 0, ZMQ_SNDMORE);
            zmq_send(d, buf, len, 0);
        }
        char rid[32];
        while (recv_reply(d, ZMQ_DONTWAIT, rid, sizeof rid) >= 0) {
            size_t i = strtoull(rid + 1, NULL, 10);
            if (i < n) {
                done[i] = ns_now();
                lat[got++] = done[i] - sent[i];
            }
        }
        if (ns_now() - start > (uint64_t)((seconds + 20) * 1e9))
            break; /* bounded: replies that never come are reported as missing */
        /* sleep until a reply comes or the next send is due: ZMQ_FD is
         * edge-triggered, so it is waited on only once ZMQ_EVENTS says
         * nothing is readable. (A fixed nap of 50 us, plus the kernel's
         * 50 us timer slack, added up to ~100 us to each ack measured.) */
        int ev = 0;
        size_t evsz = sizeof ev;
        if (zmq_getsockopt(d, ZMQ_EVENTS, &ev, &evsz) == 0 && (ev & ZMQ_POLLIN))
            continue;
        uint64_t due = start + next * interval, t = ns_now();
        uint64_t nap = next < n ? (due > t ? due - t : 0) : 1000000;
        struct pollfd pfd = {zfd, POLLIN, 0};
        struct timespec ts = {0, (long)(nap < 1000000 ? nap : 1000000)};
        ppoll(&pfd, 1, &ts, NULL);
    }
    /* where the slow acks were: how many took 2 ms or more, and the five
     * slowest with their send times (a stall shows as neighbours) */
    size_t nslow = 0, worst[5] = {0};
    int nworst = 0;
    for (size_t i = 0; i < n; i++) {
        if (!done[i])
            continue;
        uint64_t l = done[i] - sent[i];
        if (l >= 2000000)
            nslow++;
        int k;
        if (nworst < 5)
            k = nworst++;
        else if (l > done[worst[4]] - sent[worst[4]])
            k = 4;
        else
            continue;
        worst[k] = i;
        for (; k > 0 && done[worst[k]] - sent[worst[k]] > done[worst[k - 1]] - sent[worst[k - 1]]; k--) {
            size_t t = worst[k];
            worst[k] = worst[k - 1];
            worst[k - 1] = t;
        }
    }
    fprintf(stderr, "# latency run: acks of 2 ms or more: %zu; slowest (sent at ms: ack ms):", nslow);
    for (int k = 0; k < nworst; k++)
        fprintf(stderr, " %.1f:%.2f", (double)(sent[worst[k]] - start) / 1e6,
                (double)(done[worst[k]] - sent[worst[k]]) / 1e6);
    fprintf(stderr, "\n");
    free(done);
    *count = got;
    *p50 = pct_us(lat, got, 50);
    *p99 = pct_us(lat, got, 99);
    free(sent), free(lat);
    zmq_close(d);
}

/* The daemon's counters now: batch sizes and commit latencies (powers of two). */
static Ladder__V1__StatsView *daemon_stats(void *d, uint8_t *buf)
{
    Ladder__V1__Stats sq = LADDER__V1__STATS__INIT;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_STATS;
    q.stats = &sq;
    Ladder__V1__Request req = LADDER__V1__REQUEST__INIT;
    req.query = &q;
    size_t len = ladder__v1__request__pack(&req, buf);
    zmq_send(d, "", 0, ZMQ_SNDMORE);
    zmq_send(d, buf, len, 0);
    zmq_msg_t m;
    for (;;) {
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, d, 0) < 0 || !zmq_msg_more(&m))
            break;
        zmq_msg_close(&m);
    }
    Ladder__V1__Reply *r = ladder__v1__reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
    zmq_msg_close(&m);
    if (!r || !r->ok || !r->ok->stats)
        fatal("stats", "no answer from ladderd");
    Ladder__V1__StatsView *v = r->ok->stats;
    r->ok->stats = NULL;
    ladder__v1__reply__free_unpacked(r, NULL);
    return v;
}

/* Prints what the daemon saw between two Stats: batches, sizes, commit latency. */
static void print_phase(const char *phase, const Ladder__V1__StatsView *a,
                        const Ladder__V1__StatsView *b)
{
    fprintf(stderr, "# %s: batches %llu; requests per batch (2^k: count):", phase,
            (unsigned long long)(b->batches - a->batches));
    for (size_t i = 0; i < b->n_batch_size_hist; i++) {
        uint64_t x = b->batch_size_hist[i] - (i < a->n_batch_size_hist ? a->batch_size_hist[i] : 0);
        if (x)
            fprintf(stderr, " %zu:%llu", i, (unsigned long long)x);
    }
    fprintf(stderr, "\n# %s: commit latency (2^k us: count):", phase);
    uint64_t over2ms = 0;
    for (size_t i = 0; i < b->n_commit_latency_us_hist; i++) {
        uint64_t x = b->commit_latency_us_hist[i] -
                     (i < a->n_commit_latency_us_hist ? a->commit_latency_us_hist[i] : 0);
        if (x)
            fprintf(stderr, " %zu:%llu", i, (unsigned long long)x);
        if (i >= 11) /* bucket k holds [2^k, 2^(k+1)) us: from 2048 us on */
            over2ms += x;
    }
    fprintf(stderr, "\n# %s: commits of 2 ms or more: %llu; unsent replies %llu\n", phase,
            (unsigned long long)over2ms, (unsigned long long)(b->unsent_replies - a->unsent_replies));
}

static void self_dir(char *buf, size_t len)
{
    ssize_t n = readlink("/proc/self/exe", buf, len - 1);
    buf[n > 0 ? n : 0] = 0;
    char *slash = strrchr(buf, '/');
    if (slash)
        *slash = 0;
}

int bench_daemon(int argc, char **argv)
{
    char ladderd[4096];
    self_dir(ladderd, sizeof ladderd - 32);
    strcat(ladderd, "/../daemon/ladderd");
    int clients = 2, window = 512;
    double seconds = 5, rate = 10000, lat_seconds = 3;
    uint32_t employees = 10000;
    const char *durability = "full", *log_level = "info";
    int keep = 0;
    /* ports of our own: several people may run this on one machine */
    char portbuf[8], pportbuf[8];
    snprintf(portbuf, sizeof portbuf, "%d", 20000 + (int)(getpid() % 20000) * 2);
    snprintf(pportbuf, sizeof pportbuf, "%d", 20001 + (int)(getpid() % 20000) * 2);
    const char *port = portbuf, *pport = pportbuf;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            fatal(a, "needs a value (see ladder-bench --help)");
        if (!strcmp(a, "--ladderd")) snprintf(ladderd, sizeof ladderd, "%s", v);
        else if (!strcmp(a, "--clients")) clients = atoi(v);
        else if (!strcmp(a, "--window")) window = atoi(v);
        else if (!strcmp(a, "--seconds")) seconds = atof(v);
        else if (!strcmp(a, "--rate")) rate = atof(v);
        else if (!strcmp(a, "--latency-seconds")) lat_seconds = atof(v);
        else if (!strcmp(a, "--employees")) employees = (uint32_t)atol(v);
        else if (!strcmp(a, "--durability")) durability = v;
        else if (!strcmp(a, "--log-level")) log_level = v;
        else if (!strcmp(a, "--keep")) keep = atoi(v);
        else if (!strcmp(a, "--port")) port = v;
        else if (!strcmp(a, "--pub-port")) pport = v;
        else fatal(a, "unknown option (see ladder-bench --help)");
        i++;
    }
    char dir[] = "/tmp/ladder-bench-daemon-XXXXXX";
    if (!mkdtemp(dir))
        fatal("mkdtemp", strerror(errno));
    char data[128], ep[64], pep[64], log[128];
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(log, sizeof log, "%s/ladderd.log", dir);
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%s", port);
    snprintf(pep, sizeof pep, "tcp://127.0.0.1:%s", pport);
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen(log, "w", stderr))
            _exit(126);
        execl(ladderd, ladderd, "--data", data, "--command", ep, "--publish", pep, "--clock",
              "manual", "--durability", durability, "--snapshot-every", "1000000000", "--log-level",
              log_level, (char *)NULL);
        _exit(127);
    }
    void *zctx = zmq_ctx_new();
    void *d = dealer(zctx, ep);
    int tmo = 30000;
    zmq_setsockopt(d, ZMQ_RCVTIMEO, &tmo, sizeof tmo);
    usleep(300000);

    /* preload: the clock, then employees in requests of 500 hires */
    uint8_t *buf = malloc(1 << 20);
    Ladder__V1__AdvanceClock ac = LADDER__V1__ADVANCE_CLOCK__INIT;
    ac.to_ms = T0;
    Ladder__V1__Command acmd = LADDER__V1__COMMAND__INIT, *ap = &acmd;
    acmd.cmd_case = LADDER__V1__COMMAND__CMD_ADVANCE_CLOCK;
    acmd.advance_clock = &ac;
    size_t len = pack_request(buf, 1 << 20, "clock", &ap, 1, "boss", LADDER__V1__ROLE__ROLE_MANAGER);
    zmq_send(d, "", 0, ZMQ_SNDMORE);
    zmq_send(d, buf, len, 0);
    if (recv_reply(d, 0, NULL, 0) < 0)
        fatal("ladderd", "no answer (see its log)");
    static Ladder__V1__Hire hs[500];
    static Ladder__V1__Command cs[500];
    static Ladder__V1__Command *cp[500];
    static char ids[500][16];
    uint64_t t = ns_now();
    for (uint32_t base = 0; base < employees; base += 500) {
        uint32_t k = employees - base < 500 ? employees - base : 500;
        for (uint32_t i = 0; i < k; i++) {
            snprintf(ids[i], sizeof ids[i], "e%u", base + i);
            ladder__v1__hire__init(&hs[i]);
            hs[i].employee_id = ids[i], hs[i].name = "Bench", hs[i].team = "t", hs[i].centre = "c";
            ladder__v1__command__init(&cs[i]);
            cs[i].cmd_case = LADDER__V1__COMMAND__CMD_HIRE;
            cs[i].hire = &hs[i];
            cp[i] = &cs[i];
        }
        char rid[32];
        snprintf(rid, sizeof rid, "preload-%u", base);
        len = pack_request(buf, 1 << 20, rid, cp, k, "boss", LADDER__V1__ROLE__ROLE_MANAGER);
        zmq_send(d, "", 0, ZMQ_SNDMORE);
        zmq_send(d, buf, len, 0);
        if (recv_reply(d, 0, NULL, 0) != 1)
            fatal("preload", "refused or no answer");
    }
    /* the case library the mix studies, rates and examines: ids as gen.h names
     * them, each accepted by three reviewing managers */
    for (uint32_t level = 1; level <= 5; level++)
        for (uint32_t half = 1; half <= 2; half++)
            for (uint32_t k = 0; k < 14; k++) {
                char cid[32], sub[40];
                snprintf(cid, sizeof cid, "c%u-%u-%u", level, half, k);
                snprintf(sub, sizeof sub, "sub-%s", cid);
                Ladder__V1__CaseNode root = LADDER__V1__CASE_NODE__INIT;
                root.customer_says = "Why did my data plan stop working abroad?";
                Ladder__V1__CaseContent ct = LADDER__V1__CASE_CONTENT__INIT;
                ct.kind = LADDER__V1__CASE_KIND__CASE_KIND_TEXT;
                ct.title = "Roaming data";
                ct.root = &root;
                Ladder__V1__SubmitCase sc = LADDER__V1__SUBMIT_CASE__INIT;
                sc.submission_id = sub, sc.case_id = cid, sc.author_id = "e0", sc.content = &ct;
                Ladder__V1__Command one = LADDER__V1__COMMAND__INIT, *op = &one;
                one.cmd_case = LADDER__V1__COMMAND__CMD_SUBMIT_CASE;
                one.submit_case = &sc;
                len = pack_request(buf, 1 << 20, sub, &op, 1, "boss", LADDER__V1__ROLE__ROLE_MANAGER);
                zmq_send(d, "", 0, ZMQ_SNDMORE);
                zmq_send(d, buf, len, 0);
                if (recv_reply(d, 0, NULL, 0) != 1)
                    fatal("preload", "case submission refused");
                for (int r = 1; r <= 3; r++) {
                    char who[8], rid[48];
                    snprintf(who, sizeof who, "rev%d", r);
                    snprintf(rid, sizeof rid, "%s-%d", sub, r);
                    Ladder__V1__ReviewCase rv = LADDER__V1__REVIEW_CASE__INIT;
                    rv.submission_id = sub, rv.reviewer_id = who;
                    rv.verdict = LADDER__V1__VERDICT__VERDICT_APPROVE;
                    rv.amount = 30, rv.level = level, rv.category = "roaming";
                    one.cmd_case = LADDER__V1__COMMAND__CMD_REVIEW_CASE;
                    one.review_case = &rv;
                    len = pack_request(buf, 1 << 20, rid, &op, 1, who, LADDER__V1__ROLE__ROLE_MANAGER);
                    zmq_send(d, "", 0, ZMQ_SNDMORE);
                    zmq_send(d, buf, len, 0);
                    if (recv_reply(d, 0, NULL, 0) != 1)
                        fatal("preload", "case review refused");
                }
            }
    fprintf(stderr, "# preloaded %u employees and 140 cases in %.1f s\n", employees,
            (double)(ns_now() - t) / 1e9);

    if (ld_cutdesc_init(&cmd_cut, &ladder__v1__command__descriptor) == LD_ENOMEM)
        fatal("client", "out of memory");
    pthread_t th[64];
    client_t cl[64];
    if (clients > 64)
        clients = 64;
    Ladder__V1__StatsView *st0 = daemon_stats(d, buf);
    t = ns_now();
    for (int i = 0; i < clients; i++) {
        cl[i] = (client_t){ep, zctx, i, window, seconds, employees, 0, 0, NULL, NULL, 0, 0};
        pthread_create(&th[i], NULL, client_run, &cl[i]);
    }
    uint64_t ok = 0, refused = 0;
    size_t nlat = 0;
    for (int i = 0; i < clients; i++) {
        pthread_join(th[i], NULL);
        ok += cl[i].ok, refused += cl[i].refused, nlat += cl[i].nlat;
    }
    double secs = (double)(ns_now() - t) / 1e9;
    /* the throughput run's acknowledgement latency, all clients together */
    uint64_t *tl = malloc((nlat ? nlat : 1) * sizeof *tl);
    size_t k = 0;
    for (int i = 0; i < clients; i++) {
        memcpy(tl + k, cl[i].lat, cl[i].nlat * sizeof *tl);
        k += cl[i].nlat;
        free(cl[i].sent), free(cl[i].lat);
    }
    double tp50 = pct_us(tl, nlat, 50), tp99 = pct_us(tl, nlat, 99);
    free(tl);
    Ladder__V1__StatsView *st1 = daemon_stats(d, buf);
    double p50, p99;
    size_t got;
    latency_run(zctx, ep, employees, rate, lat_seconds, &p50, &p99, &got);
    Ladder__V1__StatsView *st2 = daemon_stats(d, buf);
    print_phase("throughput run", st0, st1);
    print_phase("latency run", st1, st2);
    ladder__v1__stats_view__free_unpacked(st0, NULL);
    ladder__v1__stats_view__free_unpacked(st1, NULL);
    ladder__v1__stats_view__free_unpacked(st2, NULL);
    zmq_close(d);
    kill(pid, SIGTERM);
    int st;
    waitpid(pid, &st, 0);
    zmq_ctx_term(zctx);
    ld_cutdesc_free(&cmd_cut);
    free(buf);
    printf("ladder A-%s %.0f - -\n", durability, (double)(ok + refused) / secs);
    printf("ladder A-%s-at-%.0f/s - %.1f %.1f\n", durability, rate, p50, p99);
    fprintf(stderr,
            "# throughput: %d clients x %d in flight, %.1f s: %llu commands acknowledged "
            "(%llu accepted, %llu refused by rule) = %.0f commands/s; ack p50 %.1f us, p99 %.1f us\n"
            "# latency at %.0f/s for %.0f s: %zu acks, p50 %.1f us, p99 %.1f us\n",
            clients, window, secs, (unsigned long long)(ok + refused), (unsigned long long)ok,
            (unsigned long long)refused, (double)(ok + refused) / secs, tp50, tp99, rate,
            lat_seconds, got, p50, p99);
    if (keep) { /* --keep 1: the data directory and ladderd.log stay for a look */
        fprintf(stderr, "# kept %s (ladderd.log, data)\n", dir);
        return 0;
    }
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : 1;
}
