/* bridge.c — ladder-bridge: follows ladderd's log and publishes every event into
 * a NATS JetStream stream (PROTOCOL.md "The bridge").
 *
 * Each event becomes one to three messages, in this order: ladder.evt.<type>,
 * then ladder.level.<employee> when it changed a level, then
 * ladder.points.<employee> when it moved points (the same mapping as ladderd's
 * PUB topics, daemon/topics.c). Every message carries the stored Event bytes and
 * the headers Nats-Msg-Id (<seq>, <seq>.level, <seq>.points: JetStream's
 * de-duplication), Ladder-Seq, Ladder-Type, Ladder-Stream and Ladder-Part (i/n).
 * Each publish also expects the stream's last message id to be the previous
 * one (Nats-Expected-Last-Msg-Id), so the stream can never hold a hole or a
 * reordering. Publishes are pipelined (asynchronous, one connection, so the
 * stream sees them in order) and awaited at the end of each page: once one is
 * refused, every later one is refused too (its expected predecessor is
 * missing), and the bridge re-reads where the stream ends.
 * Resume (at start and after any error): the stream's last message names its
 * event and part; the bridge publishes that event's remaining parts, then reads
 * ladderd's log from the next seq (ReadEvents pages, a SUB on evt. to wake up).
 */
#include <errno.h>
#include <stdatomic.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <nats/nats.h>
#include <zmq.h>

#include "ladder.pb-c.h"
#include "log.h"
#include "topics.h"

#define REQUEST_TIMEOUT_MS 5000
#define WAKE_MS 1000

typedef struct {
    const char *command, *publish, *server_key, *key, *nats, *stream, *principal;
    int replicas, page;
} opts_t;

typedef struct {
    opts_t o;
    void *zctx, *dealer, *sub;
    char curve_server[41], curve_secret[41], curve_public[41];
    natsConnection *nc;
    jsCtx *js;
    char last_id[64];       /* Nats-Msg-Id of the stream's last message ("" if empty) */
    uint64_t next;          /* the next event seq to publish */
    int skip;               /* parts of event `next` already in the stream */
    uint64_t published;
    atomic_int refused;     /* an asynchronous publish was refused (set by libnats' thread) */
    bool async_used;        /* libnats 3.4.1's pending list crashes before the first async publish */
} bridge_t;

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int read_z85(const char *path, char out[41])
{
    FILE *f = fopen(path, "r");
    if (!f) {
        ld_log(LD_LOG_ERROR, "cannot read a key", "file=%s error=\"%s\"", path, strerror(errno));
        return -1;
    }
    char line[128] = "";
    if (!fgets(line, sizeof line, f))
        line[0] = '\0';
    fclose(f);
    line[strcspn(line, "\r\n")] = '\0';
    if (strlen(line) != 40) {
        ld_log(LD_LOG_ERROR, "expected a 40-character Z85 key", "file=%s", path);
        return -1;
    }
    memcpy(out, line, 41);
    return 0;
}

static void zcurve(bridge_t *b, void *z)
{
    if (!b->curve_server[0])
        return;
    zmq_setsockopt(z, ZMQ_CURVE_SERVERKEY, b->curve_server, 41);
    zmq_setsockopt(z, ZMQ_CURVE_PUBLICKEY, b->curve_public, 41);
    zmq_setsockopt(z, ZMQ_CURVE_SECRETKEY, b->curve_secret, 41);
}

static void dealer_open(bridge_t *b)
{
    if (b->dealer)
        zmq_close(b->dealer);
    b->dealer = zmq_socket(b->zctx, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(b->dealer, ZMQ_LINGER, &zero, sizeof zero);
    zcurve(b, b->dealer);
    zmq_connect(b->dealer, b->o.command);
}

/* A time-ordered request id: 48-bit milliseconds, then 80 random bits. */
static void new_request_id(uint8_t id[16])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
    for (int i = 0; i < 6; i++)
        id[i] = (uint8_t)(ms >> (40 - 8 * i));
    if (getrandom(id + 6, 10, 0) != 10)
        for (int i = 6; i < 16; i++)
            id[i] = (uint8_t)rand();
}

/* One ReadEvents page from `from`; retries with the same request id on a fresh
 * socket after a timeout. Returns the Reply (caller frees) or NULL on stop. */
static Ladder__V1__Reply *read_page(bridge_t *b, uint64_t from)
{
    uint8_t rid[16];
    new_request_id(rid);
    Ladder__V1__ReadEvents re = LADDER__V1__READ_EVENTS__INIT;
    re.from_seq = from;
    re.max = (uint32_t)b->o.page;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_READ_EVENTS;
    q.read_events = &re;
    Ladder__V1__Principal pr = LADDER__V1__PRINCIPAL__INIT;
    pr.id = (char *)b->o.principal;
    pr.roles = LADDER__V1__ROLE__ROLE_SERVICE | LADDER__V1__ROLE__ROLE_AUDITOR;
    Ladder__V1__Request req = LADDER__V1__REQUEST__INIT;
    req.request_id = (ProtobufCBinaryData){sizeof rid, rid};
    req.principal = &pr;
    req.query = &q;
    size_t len = ladder__v1__request__get_packed_size(&req);
    uint8_t *buf = malloc(len + 1);
    if (!buf)
        abort();
    ladder__v1__request__pack(&req, buf);
    Ladder__V1__Reply *rep = NULL;
    while (!stop && !rep) {
        zmq_send(b->dealer, "", 0, ZMQ_SNDMORE);
        zmq_send(b->dealer, buf, len, 0);
        zmq_pollitem_t it = {b->dealer, 0, ZMQ_POLLIN, 0};
        int64_t deadline = nats_Now() + REQUEST_TIMEOUT_MS;
        while (!stop && !rep) {
            int64_t left = deadline - nats_Now();
            if (left <= 0 || zmq_poll(&it, 1, left) <= 0)
                break;
            zmq_msg_t m;
            zmq_msg_init(&m);
            int more = 1;
            size_t more_sz = sizeof more;
            /* frames: "", reply; keep the last */
            while (more) {
                zmq_msg_close(&m);
                zmq_msg_init(&m);
                if (zmq_msg_recv(&m, b->dealer, 0) < 0)
                    break;
                zmq_getsockopt(b->dealer, ZMQ_RCVMORE, &more, &more_sz);
            }
            Ladder__V1__Reply *r = ladder__v1__reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
            zmq_msg_close(&m);
            if (r && r->request_id.len == sizeof rid && !memcmp(r->request_id.data, rid, sizeof rid))
                rep = r;
            else if (r)
                ladder__v1__reply__free_unpacked(r, NULL);
        }
        if (!rep && !stop) {
            ld_log(LD_LOG_WARN, "no reply from ladderd; retrying", "command=%s from_seq=%" PRIu64,
                   b->o.command, from);
            dealer_open(b);
        }
    }
    free(buf);
    return rep;
}

static const char *hdr(natsMsg *m, const char *key)
{
    const char *v = NULL;
    return natsMsgHeader_Get(m, key, &v) == NATS_OK && v ? v : "";
}

/* Creates the stream when it does not exist (subjects ladder.>, file storage). */
static int ensure_stream(bridge_t *b)
{
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_GetStreamInfo(&si, b->js, b->o.stream, NULL, &jerr);
    if (s == NATS_OK) {
        jsStreamInfo_Destroy(si);
        return 0;
    }
    if (s != NATS_NOT_FOUND && jerr != JSStreamNotFoundErr) {
        ld_log(LD_LOG_WARN, "cannot read the stream", "stream=%s error=\"%s\" code=%d", b->o.stream,
               natsStatus_GetText(s), (int)jerr);
        return -1;
    }
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    const char *subjects[] = {"ladder.>"};
    cfg.Name = b->o.stream;
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    cfg.Storage = js_FileStorage;
    cfg.Replicas = b->o.replicas;
    cfg.Duplicates = 10LL * 60 * 1000000000LL; /* 10 min of Nats-Msg-Id memory */
    s = js_AddStream(&si, b->js, &cfg, NULL, &jerr);
    if (s != NATS_OK) {
        ld_log(LD_LOG_WARN, "cannot create the stream", "stream=%s error=\"%s\" code=%d", b->o.stream,
               natsStatus_GetText(s), (int)jerr);
        return -1;
    }
    jsStreamInfo_Destroy(si);
    ld_log(LD_LOG_INFO, "stream created", "stream=%s subjects=ladder.> replicas=%d", b->o.stream,
           b->o.replicas);
    return 0;
}

/* Reads where the stream ends: sets next, skip and last_id. */
static int resume(bridge_t *b)
{
    /* publishes still pending (e.g. sent to a node that died) will never be
     * acknowledged: forget them; the stream itself says what was stored */
    natsMsgList stale = {0};
    if (b->async_used && js_PublishAsyncGetPendingList(&stale, b->js) == NATS_OK)
        natsMsgList_Destroy(&stale);
    atomic_store(&b->refused, 0);
    if (ensure_stream(b))
        return -1;
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_GetStreamInfo(&si, b->js, b->o.stream, NULL, &jerr);
    if (s != NATS_OK) {
        ld_log(LD_LOG_WARN, "cannot read the stream", "stream=%s error=\"%s\"", b->o.stream,
               natsStatus_GetText(s));
        return -1;
    }
    uint64_t last = si->State.LastSeq;
    jsStreamInfo_Destroy(si);
    if (last == 0) {
        b->next = 1, b->skip = 0, b->last_id[0] = '\0';
    } else {
        natsMsg *m = NULL;
        if ((s = js_GetMsg(&m, b->js, b->o.stream, last, NULL, &jerr)) != NATS_OK) {
            ld_log(LD_LOG_WARN, "cannot read the stream's last message", "seq=%" PRIu64 " error=\"%s\"",
                   last, natsStatus_GetText(s));
            return -1;
        }
        uint64_t seq = strtoull(hdr(m, "Ladder-Seq"), NULL, 10);
        int part = 0, parts = 0;
        sscanf(hdr(m, "Ladder-Part"), "%d/%d", &part, &parts);
        snprintf(b->last_id, sizeof b->last_id, "%s", hdr(m, "Nats-Msg-Id"));
        natsMsg_Destroy(m);
        if (!seq || part < 1 || part > parts) {
            ld_log(LD_LOG_ERROR, "the stream's last message is not the bridge's", "stream=%s seq=%" PRIu64,
                   b->o.stream, last);
            return -2;
        }
        b->next = part < parts ? seq : seq + 1;
        b->skip = part < parts ? part : 0;
    }
    ld_log(LD_LOG_INFO, "resuming", "stream=%s next_seq=%" PRIu64 " parts_done=%d last_id=%s",
           b->o.stream, b->next, b->skip, b->last_id[0] ? b->last_id : "-");
    return 0;
}

/* Publishes the parts of one event from part `skip` on. */
static int publish_event(bridge_t *b, const Ladder__V1__Event *e, int skip)
{
    ld_event_topics_t t;
    ld_topics_of_event(e, &t);
    const char *topics[3] = {t.evt, NULL, NULL};
    const char *suffix[3] = {"", NULL, NULL};
    int n = 1;
    if (t.level[0])
        topics[n] = t.level, suffix[n++] = ".level";
    if (t.points[0])
        topics[n] = t.points, suffix[n++] = ".points";
    size_t len = ladder__v1__event__get_packed_size(e);
    uint8_t *data = malloc(len + 1);
    if (!data)
        abort();
    ladder__v1__event__pack(e, data);
    int rc = 0;
    for (int i = skip; i < n && !rc; i++) {
        char subject[LD_TOPIC_MAX + 16], id[64], seq[24], part[16];
        snprintf(subject, sizeof subject, "ladder.%s", topics[i]);
        snprintf(id, sizeof id, "%" PRIu64 "%s", e->seq, suffix[i]);
        snprintf(seq, sizeof seq, "%" PRIu64, e->seq);
        snprintf(part, sizeof part, "%d/%d", i + 1, n);
        natsMsg *m = NULL;
        natsStatus s = natsMsg_Create(&m, subject, NULL, (const char *)data, (int)len);
        if (s == NATS_OK)
            s = natsMsgHeader_Set(m, "Ladder-Seq", seq);
        if (s == NATS_OK)
            s = natsMsgHeader_Set(m, "Ladder-Type", t.type);
        if (s == NATS_OK)
            s = natsMsgHeader_Set(m, "Ladder-Stream", e->stream ? e->stream : "");
        if (s == NATS_OK)
            s = natsMsgHeader_Set(m, "Ladder-Part", part);
        jsPubOptions po;
        jsPubOptions_Init(&po);
        po.MsgId = id;
        po.ExpectLastMsgId = b->last_id[0] ? b->last_id : NULL;
        po.MaxWait = 5000; /* an unacknowledged publish is an error after 5 s */
        if (s == NATS_OK)
            s = js_PublishMsgAsync(b->js, &m, &po); /* takes m on success */
        if (s == NATS_OK) {
            snprintf(b->last_id, sizeof b->last_id, "%s", id);
            b->published++;
            b->async_used = true;
        } else {
            ld_log(LD_LOG_WARN, "publish failed; re-reading the stream", "subject=%s id=%s error=\"%s\"",
                   subject, id, natsStatus_GetText(s));
            rc = -1;
        }
        natsMsg_Destroy(m);
    }
    free(data);
    return rc;
}

/* libnats' thread: a pipelined publish was refused or timed out. */
static void on_pub_error(jsCtx *js, jsPubAckErr *pae, void *closure)
{
    bridge_t *b = closure;
    (void)js;
    if (!atomic_exchange(&b->refused, 1))
        ld_log(LD_LOG_WARN, "publish refused; re-reading the stream", "subject=%s id=%s error=\"%s\" code=%d",
               natsMsg_GetSubject(pae->Msg), hdr(pae->Msg, "Nats-Msg-Id"),
               pae->ErrText ? pae->ErrText : natsStatus_GetText(pae->Err), (int)pae->ErrCode);
}

/* Waits for every pipelined publish; 0 when all were stored. */
static int publish_wait(bridge_t *b)
{
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = 10000;
    natsStatus s = js_PublishAsyncComplete(b->js, &po);
    if (s != NATS_OK) {
        ld_log(LD_LOG_WARN, "publishes not acknowledged; re-reading the stream", "error=\"%s\"",
               natsStatus_GetText(s));
        return -1;
    }
    return atomic_exchange(&b->refused, 0) ? -1 : 0;
}

/* Waits up to ms for an update on the SUB socket, then drains it. */
static void wait_wake(bridge_t *b, int ms)
{
    zmq_pollitem_t it = {b->sub, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&it, 1, ms) <= 0)
        return;
    zmq_msg_t m;
    zmq_msg_init(&m);
    while (zmq_msg_recv(&m, b->sub, ZMQ_DONTWAIT) >= 0)
        ;
    zmq_msg_close(&m);
}

static int run(bridge_t *b)
{
    bool synced = false;
    while (!stop) {
        if (!synced) {
            int rc = resume(b);
            if (rc == -2)
                return 1;
            if (rc) {
                sleep_ms(250);
                continue;
            }
            synced = true;
        }
        Ladder__V1__Reply *r = read_page(b, b->next);
        if (!r)
            break;
        if (r->outcome_case != LADDER__V1__REPLY__OUTCOME_OK || r->ok->result_case != LADDER__V1__OK__RESULT_EVENTS) {
            ld_log(LD_LOG_WARN, "ReadEvents refused", "code=%d message=\"%s\"",
                   r->outcome_case == LADDER__V1__REPLY__OUTCOME_ERROR ? (int)r->error->code : -1,
                   r->outcome_case == LADDER__V1__REPLY__OUTCOME_ERROR ? r->error->message : "");
            ladder__v1__reply__free_unpacked(r, NULL);
            sleep_ms(1000);
            continue;
        }
        Ladder__V1__EventPage *pg = r->ok->events;
        uint64_t page_from = b->next;
        int page_skip = b->skip;
        for (size_t i = 0; i < pg->n_events && !stop; i++) {
            const Ladder__V1__Event *e = pg->events[i];
            if (e->seq != b->next) {
                ld_log(LD_LOG_ERROR, "ladderd's log has a gap", "expected=%" PRIu64 " got=%" PRIu64,
                       b->next, e->seq);
                ladder__v1__reply__free_unpacked(r, NULL);
                return 1;
            }
            if (publish_event(b, e, b->skip)) {
                synced = false;
                break;
            }
            b->next = e->seq + 1, b->skip = 0;
        }
        if (publish_wait(b) || !synced) {
            /* nothing after a refused publish was stored: start from the stream's end */
            synced = false;
            b->next = page_from, b->skip = page_skip;
            sleep_ms(100);
        }
        bool at_head = pg->next_seq == 0;
        ladder__v1__reply__free_unpacked(r, NULL);
        if (synced && at_head)
            wait_wake(b, WAKE_MS);
    }
    return 0;
}

/* Parse a whole number in [lo, hi] from all of s: 0, or -1 if it is not one. */
static int parse_bounded(const char *s, long lo, long hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

static int bad_option(const char *opt, const char *val, const char *want)
{
    fprintf(stderr, "ladder-bridge: %s '%s': want %s\n", opt, val, want);
    return 2;
}

static int usage(FILE *f, int code)
{
    fputs("usage: ladder-bridge [options]\n"
          "Follows ladderd's log and publishes every event into a NATS JetStream stream:\n"
          "ladder.evt.<type>, ladder.level.<employee>, ladder.points.<employee>, with the\n"
          "event's seq as Nats-Msg-Id; resumes from the last message the stream holds.\n"
          "  --command EP     ladderd's ROUTER (default tcp://127.0.0.1:7601)\n"
          "  --publish EP     ladderd's PUB, for wake-ups (default tcp://127.0.0.1:7602)\n"
          "  --server-key F   ladderd's CURVE public key (server.pub): connect with CURVE\n"
          "  --key F          this client's CURVE secret key (NAME.key from ladderctl keygen)\n"
          "  --nats URLS      NATS servers, comma-separated (default nats://127.0.0.1:4222)\n"
          "  --stream NAME    JetStream stream (default LADDER; created when missing)\n"
          "  --replicas N     replicas when creating the stream (default 1; 3 on a cluster)\n"
          "  --page N         events per ReadEvents page (default 1000)\n"
          "  --principal ID   principal sent without CURVE (default bridge)\n"
          "  --log-level L    debug, info, warn, error (default info)\n"
          "  --version        the version\n"
          "  --help           this text\n"
          "Exit: 0 on SIGTERM/SIGINT, 1 on a fatal error, 2 on bad usage.\n", f);
    return code;
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        {"command", 1, 0, 'c'}, {"publish", 1, 0, 'p'}, {"server-key", 1, 0, 'S'}, {"key", 1, 0, 'K'},
        {"nats", 1, 0, 'n'}, {"stream", 1, 0, 's'}, {"replicas", 1, 0, 'r'}, {"page", 1, 0, 'P'},
        {"principal", 1, 0, 'u'}, {"log-level", 1, 0, 'l'}, {"help", 0, 0, 'h'}, {"version", 0, 0, 'V'},
        {0, 0, 0, 0}};
    static bridge_t br;
    bridge_t *b = &br;
    b->o = (opts_t){"tcp://127.0.0.1:7601", "tcp://127.0.0.1:7602", NULL, NULL,
                    "nats://127.0.0.1:4222", "LADDER", "bridge", 1, 1000};
    int c;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case 'c': b->o.command = optarg; break;
        case 'p': b->o.publish = optarg; break;
        case 'S': b->o.server_key = optarg; break;
        case 'K': b->o.key = optarg; break;
        case 'n': b->o.nats = optarg; break;
        case 's': b->o.stream = optarg; break;
        case 'r':
            if (parse_bounded(optarg, 1, 5, &b->o.replicas))
                return bad_option("--replicas", optarg, "a whole number from 1 to 5");
            break;
        case 'P':
            if (parse_bounded(optarg, 1, 1000, &b->o.page))
                return bad_option("--page", optarg, "a whole number from 1 to 1000");
            break;
        case 'u': b->o.principal = optarg; break;
        case 'l':
            if (ld_log_set_level(optarg))
                return usage(stderr, 2);
            break;
        case 'h': return usage(stdout, 0);
        case 'V': printf("ladder-bridge %s\n", LADDER_VERSION); return 0;
        default: return usage(stderr, 2);
        }
    }
    if (optind != argc) {
        fprintf(stderr, "ladder-bridge: unexpected argument '%s' (options only; --help lists them)\n", argv[optind]);
        return 2;
    }
    if (!b->o.server_key != !b->o.key) {
        fputs("ladder-bridge: --server-key and --key go together (CURVE needs both)\n", stderr);
        return 2;
    }
    if (b->o.server_key && (read_z85(b->o.server_key, b->curve_server) ||
                            read_z85(b->o.key, b->curve_secret) ||
                            zmq_curve_public(b->curve_public, b->curve_secret) != 0))
        return 2;

    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGPIPE, SIG_IGN);

    /* NATS: every server of the list, reconnecting for ever */
    char *urls = strdup(b->o.nats);
    const char *servers[16];
    int nservers = 0;
    for (char *t = strtok(urls, ","); t && nservers < 16; t = strtok(NULL, ","))
        servers[nservers++] = t;
    natsOptions *no = NULL;
    natsStatus s = natsOptions_Create(&no);
    if (s == NATS_OK)
        s = natsOptions_SetServers(no, servers, nservers);
    if (s == NATS_OK)
        s = natsOptions_SetMaxReconnect(no, -1);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectWait(no, 100);
    if (s == NATS_OK)
        s = natsOptions_SetRetryOnFailedConnect(no, true, NULL, NULL);
    if (s == NATS_OK)
        s = natsConnection_Connect(&b->nc, no);
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = 2000;
    jo.PublishAsync.MaxPending = 4096;
    jo.PublishAsync.ErrHandler = on_pub_error;
    jo.PublishAsync.ErrHandlerClosure = b;
    if (s == NATS_OK)
        s = natsConnection_JetStream(&b->js, b->nc, &jo);
    int exit_code = 1;
    if (s != NATS_OK) {
        ld_log(LD_LOG_ERROR, "cannot connect to NATS", "nats=%s error=\"%s\"", b->o.nats, natsStatus_GetText(s));
        goto out;
    }

    b->zctx = zmq_ctx_new();
    dealer_open(b);
    b->sub = zmq_socket(b->zctx, ZMQ_SUB);
    int zero = 0;
    zmq_setsockopt(b->sub, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(b->sub, ZMQ_SUBSCRIBE, "evt.", 4);
    zcurve(b, b->sub);
    zmq_connect(b->sub, b->o.publish);
    ld_log(LD_LOG_INFO, "bridge started", "command=%s nats=%s stream=%s", b->o.command, b->o.nats,
           b->o.stream);
    exit_code = run(b);
    ld_log(LD_LOG_INFO, "bridge stopped", "next_seq=%" PRIu64 " published=%" PRIu64, b->next, b->published);
out:
    if (b->dealer)
        zmq_close(b->dealer);
    if (b->sub)
        zmq_close(b->sub);
    if (b->zctx)
        zmq_ctx_term(b->zctx);
    jsCtx_Destroy(b->js);
    natsConnection_Destroy(b->nc);
    natsOptions_Destroy(no);
    free(urls);
    nats_Close();
    return exit_code;
}
