/* web.c — ladder-web: the HTTP gateway of ladderd (issue 15). Options, the
 * libmicrohttpd daemon and the routes:
 *   /                  the wallboard (static/index.html)
 *   /people/<id>       a person's card (static/person.html)
 *   /static/<file>     the page's CSS and JavaScript
 *   /api/v1/...        read-only JSON (proto3 mapping, tools/pbjson.c)
 *   /events            SSE of ladderd's updates (hub.c)
 *   /metrics           Prometheus text (metrics.c)
 *   /healthz /readyz   liveness and readiness
 * The gateway is a client of ladderd like any other: every read is a query
 * in the gateway's name, so it sees exactly what ladderd lets that principal
 * see (§1 v2) and never more. HTTP parsing is libmicrohttpd's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "pbjson.h"
#include "web.h"

#ifndef LADDER_VERSION
#define LADDER_VERSION "unknown"
#endif
#ifndef LADDER_WEB_DATADIR
#define LADDER_WEB_DATADIR "/usr/local/share/ladder/web"
#endif

#define URL_MAX 2048

static const char usage_text[] =
    "usage: ladder-web [options]\n"
    "  --command EP        ladderd's request socket (default tcp://127.0.0.1:7601)\n"
    "  --publish EP        ladderd's update socket (default tcp://127.0.0.1:7602)\n"
    "  --listen ADDR:PORT  HTTP address (default 127.0.0.1:7680; [::1]:PORT for IPv6)\n"
    "  --public            allow a --listen address that is not loopback\n"
    "  --server-key F      ladderd's CURVE public key (server.pub): connect with CURVE\n"
    "  --key F             the gateway's CURVE secret key; ladderd binds the principal\n"
    "  --as ID             principal without CURVE (default ladder-web)\n"
    "  --roles LIST        its roles without CURVE (default service)\n"
    "  --static DIR        the page files (default: next to the binary, else "
    LADDER_WEB_DATADIR ")\n"
    "  --max-streams N     /events streams at once; more get 503 (default 1000)\n"
    "  --max-connections N HTTP connections at once (default 4096, within the fd limit)\n"
    "  --timeout MS        how long a query may wait for ladderd (default 2000)\n"
    "  --max-lag N         /readyz: events the gateway may trail ladderd by (default 1000)\n"
    "  --threads N         HTTP worker threads (default 2)\n"
    "  --log-level L       debug | info (default) | warn | error\n"
    "  --version           the version\n"
    "  --help              this text\n";

static web_config_t cfg = {
    .command = "tcp://127.0.0.1:7601",
    .publish = "tcp://127.0.0.1:7602",
    .listen = "127.0.0.1:7680",
    .as = "ladder-web",
    .roles = LADDER__V1__ROLE__ROLE_SERVICE,
    .max_streams = 1000,
    .max_connections = 4096,
    .timeout_ms = 2000,
    .max_lag = 1000,
    .threads = 2,
};
static int static_fd = -1;

/* ------------------------------------------------------------ responses -- */

static enum MHD_Result respond(struct MHD_Connection *c, unsigned status, const char *type,
                               const char *body, size_t len, bool close_after)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, "Allow", "GET, HEAD");
    if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
        MHD_add_response_header(r, "Retry-After", "5");
    if (close_after)
        MHD_add_response_header(r, "Connection", "close");
    enum MHD_Result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    web_http_count(status);
    return rc;
}

static enum MHD_Result text(struct MHD_Connection *c, unsigned status, const char *msg)
{
    return respond(c, status, "text/plain; charset=utf-8", msg, strlen(msg), status >= 400);
}

static enum MHD_Result json_reply(struct MHD_Connection *c, unsigned status, json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(j);
    if (!s)
        return text(c, 500, "cannot encode the answer\n");
    enum MHD_Result rc = respond(c, status, "application/json; charset=utf-8", s, strlen(s), false);
    free(s);
    return rc;
}

/* An error in the shape of ladder.v1.Error. */
static enum MHD_Result api_error(struct MHD_Connection *c, unsigned status, const char *code,
                                 const char *field, const char *msg)
{
    json_t *e = json_pack("{s:s,s:s}", "code", code, "message", msg);
    if (field && *field)
        json_object_set_new(e, "field", json_string(field));
    return json_reply(c, status, json_pack("{s:o}", "error", e));
}

static unsigned status_of(int code)
{
    switch (code) {
    case LADDER__V1__ERROR_CODE__ERR_MALFORMED:
    case LADDER__V1__ERROR_CODE__ERR_INVALID: return 400;
    case LADDER__V1__ERROR_CODE__ERR_FORBIDDEN: return 403;
    case LADDER__V1__ERROR_CODE__ERR_NOT_FOUND: return 404;
    case LADDER__V1__ERROR_CODE__ERR_CONFLICT:
    case LADDER__V1__ERROR_CODE__ERR_DUPLICATE: return 409;
    case LADDER__V1__ERROR_CODE__ERR_TOO_LARGE: return 413;
    case LADDER__V1__ERROR_CODE__ERR_REFUSED: return 422;
    case LADDER__V1__ERROR_CODE__ERR_UNAVAILABLE: return 503;
    default: return 500;
    }
}

/* Asks ladderd q and answers with the result's proto3 JSON, or ladderd's
 * error with the matching HTTP status. */
static enum MHD_Result forward(struct MHD_Connection *c, Ladder__V1__Query *q)
{
    Ladder__V1__Reply *r = web_query(q, cfg.timeout_ms);
    if (!r) {
        char msg[96];
        snprintf(msg, sizeof msg, "ladderd did not answer within %u ms", cfg.timeout_ms);
        return api_error(c, 504, "ERR_UNAVAILABLE", "", msg);
    }
    enum MHD_Result rc;
    if (r->outcome_case == LADDER__V1__REPLY__OUTCOME_ERROR) {
        rc = json_reply(c, status_of(r->error->code),
                        json_pack("{s:o}", "error", pbjson_from_message(&r->error->base)));
    } else if (r->outcome_case == LADDER__V1__REPLY__OUTCOME_OK && r->ok->result_case) {
        const ProtobufCFieldDescriptor *f =
            protobuf_c_message_descriptor_get_field(&ladder__v1__ok__descriptor, r->ok->result_case);
        const ProtobufCMessage *m = *(ProtobufCMessage **)((char *)r->ok + f->offset);
        rc = json_reply(c, 200, pbjson_from_message(m));
    } else {
        rc = api_error(c, 502, "ERR_INTERNAL", "", "ladderd's reply carries no result");
    }
    ladder__v1__reply__free_unpacked(r, NULL);
    return rc;
}

/* --------------------------------------------------------------- static -- */

static const char *mime(const char *name)
{
    static const struct { const char *ext, *type; } m[] = {
        {".html", "text/html; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"}, {".svg", "image/svg+xml"},
        {".png", "image/png"}, {".ico", "image/x-icon"}, {".json", "application/json"}};
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof m / sizeof *m; i++)
        if (!strcmp(dot, m[i].ext))
            return m[i].type;
    return "application/octet-stream";
}

/* Serves one file of the static directory by name: [A-Za-z0-9_-][A-Za-z0-9._-]*,
 * opened below the directory's descriptor without following links. */
static enum MHD_Result serve_file(struct MHD_Connection *c, const char *name)
{
    size_t n = strlen(name);
    if (strstr(name, "..") || strchr(name, '/') || strchr(name, '\\'))
        return text(c, 400, "400 bad request: the path leaves the static files\n");
    if (!n || n > 64 || name[0] == '.' ||
        strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != n)
        return text(c, 404, "404 not found\n");
    int fd = openat(static_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        if (fd >= 0)
            close(fd);
        return text(c, 404, "404 not found\n");
    }
    struct MHD_Response *r = MHD_create_response_from_fd((uint64_t)sb.st_size, fd);
    if (!r) {
        close(fd);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", mime(name));
    MHD_add_response_header(r, "Cache-Control", "no-cache");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (!strcmp(mime(name), "text/html; charset=utf-8"))
        MHD_add_response_header(r, "Content-Security-Policy",
                                "default-src 'self'; style-src 'self'; img-src 'self' data:");
    enum MHD_Result rc = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    web_http_count(200);
    return rc;
}

/* ------------------------------------------------------------------ api -- */

static const char *arg(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
}

/* A non-negative integer argument; -1 when malformed. *out is left alone when absent. */
static int uint_arg(struct MHD_Connection *c, const char *name, uint64_t max, uint64_t *out)
{
    const char *v = arg(c, name);
    if (!v)
        return 0;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (!*v || *end || errno || x > max || *v == '-')
        return -1;
    *out = x;
    return 0;
}

static int pick(const char *v, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(v, names[i]))
            return i;
    return -1;
}

static enum MHD_Result api_board(struct MHD_Connection *c)
{
    static const char *const win[] = {"all", "week", "month", "quarter", "year"};
    static const char *const scope[] = {"org", "centre", "team", "level"};
    Ladder__V1__GetBoard g = LADDER__V1__GET_BOARD__INIT;
    const char *w = arg(c, "window"), *s = arg(c, "scope"), *v = arg(c, "value");
    int wi = w ? pick(w, win, 5) : 0, si = s ? pick(s, scope, 4) : 0;
    if (wi < 0)
        return api_error(c, 400, "ERR_INVALID", "window", "window: one of all, week, month, quarter, year");
    if (si < 0)
        return api_error(c, 400, "ERR_INVALID", "scope", "scope: one of org, centre, team, level");
    uint64_t top = 10, radius = 0;
    if (uint_arg(c, "top", UINT32_MAX, &top) || uint_arg(c, "radius", UINT32_MAX, &radius))
        return api_error(c, 400, "ERR_INVALID", "top", "top and radius: non-negative integers");
    g.window = (Ladder__V1__BoardWindow)wi;
    g.scope = (Ladder__V1__BoardScope)si;
    g.scope_value = (char *)(v ? v : "");
    g.top = (uint32_t)top;
    g.around = (char *)(arg(c, "around") ? arg(c, "around") : "");
    g.radius = (uint32_t)radius;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_BOARD;
    q.board = &g;
    return forward(c, &q);
}

/* Points over time of one employee: the running total after each points
 * event of the stream emp/<id>, read from the log (ReadEvents). */
static enum MHD_Result api_points(struct MHD_Connection *c, const char *id)
{
    char stream[160];
    snprintf(stream, sizeof stream, "emp/%s", id);
    json_t *pts = json_array();
    int64_t total = 0;
    uint64_t from = 1;
    for (int page = 0; page < 50 && from; page++) {
        Ladder__V1__ReadEvents re = LADDER__V1__READ_EVENTS__INIT;
        re.from_seq = from;
        re.max = 1000;
        re.stream = stream;
        Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
        q.q_case = LADDER__V1__QUERY__Q_READ_EVENTS;
        q.read_events = &re;
        Ladder__V1__Reply *r = web_query(&q, cfg.timeout_ms);
        if (!r) {
            json_decref(pts);
            return api_error(c, 504, "ERR_UNAVAILABLE", "", "ladderd did not answer");
        }
        if (r->outcome_case != LADDER__V1__REPLY__OUTCOME_OK) {
            enum MHD_Result rc = json_reply(
                c, status_of(r->error->code),
                json_pack("{s:o}", "error", pbjson_from_message(&r->error->base)));
            ladder__v1__reply__free_unpacked(r, NULL);
            json_decref(pts);
            return rc;
        }
        Ladder__V1__EventPage *pg = r->ok->events;
        for (size_t i = 0; pg && i < pg->n_events; i++) {
            const Ladder__V1__Event *e = pg->events[i];
            int64_t d;
            if (e->body_case == LADDER__V1__EVENT__BODY_POINTS_AWARDED &&
                !strcmp(e->points_awarded->employee_id, id))
                d = e->points_awarded->amount;
            else if (e->body_case == LADDER__V1__EVENT__BODY_POINTS_ADJUSTED &&
                     !strcmp(e->points_adjusted->employee_id, id))
                d = e->points_adjusted->amount;
            else
                continue;
            total += d;
            char seq[24], at[24], tot[24], dl[24];
            snprintf(seq, sizeof seq, "%" PRIu64, e->seq);
            snprintf(at, sizeof at, "%" PRId64, e->at_ms);
            snprintf(tot, sizeof tot, "%" PRId64, total);
            snprintf(dl, sizeof dl, "%" PRId64, d);
            json_array_append_new(pts, json_pack("{s:s,s:s,s:s,s:s}", "seq", seq, "atMs", at,
                                                 "total", tot, "delta", dl));
        }
        /* next_seq pages by stream version for a stream query */
        from = pg ? pg->next_seq : 0;
        ladder__v1__reply__free_unpacked(r, NULL);
    }
    return json_reply(c, 200, json_pack("{s:s,s:o}", "employeeId", id, "points", pts));
}

static enum MHD_Result api_employee(struct MHD_Connection *c, const char *rest)
{
    char id[128];
    const char *slash = strchr(rest, '/');
    size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
    if (!n || n >= sizeof id)
        return api_error(c, 400, "ERR_INVALID", "employee_id", "employee id: 1 to 127 bytes");
    memcpy(id, rest, n);
    id[n] = 0;
    const char *sub = slash ? slash + 1 : "";
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    if (!*sub) {
        Ladder__V1__GetEmployee g = LADDER__V1__GET_EMPLOYEE__INIT;
        g.employee_id = id;
        q.q_case = LADDER__V1__QUERY__Q_EMPLOYEE;
        q.employee = &g;
        return forward(c, &q);
    }
    if (!strcmp(sub, "readiness")) {
        Ladder__V1__GetReadiness g = LADDER__V1__GET_READINESS__INIT;
        g.employee_id = id;
        q.q_case = LADDER__V1__QUERY__Q_READINESS;
        q.readiness = &g;
        return forward(c, &q);
    }
    if (!strcmp(sub, "explain")) {
        Ladder__V1__Explain g = LADDER__V1__EXPLAIN__INIT;
        g.employee_id = id;
        uint64_t seq = 0, ms = 0;
        if (uint_arg(c, "as_of_seq", UINT64_MAX, &seq) || uint_arg(c, "as_of_ms", INT64_MAX, &ms))
            return api_error(c, 400, "ERR_INVALID", "as_of_seq", "as_of_seq, as_of_ms: non-negative integers");
        g.as_of_seq = seq, g.as_of_ms = (int64_t)ms;
        q.q_case = LADDER__V1__QUERY__Q_EXPLAIN;
        q.explain = &g;
        return forward(c, &q);
    }
    if (!strcmp(sub, "points"))
        return api_points(c, id);
    return api_error(c, 404, "ERR_NOT_FOUND", "", "no such resource under /api/v1/employees/<id>");
}

static enum MHD_Result api(struct MHD_Connection *c, const char *path)
{
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    if (!strcmp(path, "boards") || !strcmp(path, "board"))
        return api_board(c);
    if (!strncmp(path, "employees/", 10))
        return api_employee(c, path + 10);
    if (!strcmp(path, "cases")) {
        Ladder__V1__GetCaseRanking g = LADDER__V1__GET_CASE_RANKING__INIT;
        uint64_t level = 0;
        if (uint_arg(c, "level", 5, &level) || !arg(c, "level"))
            return api_error(c, 400, "ERR_INVALID", "level", "level: 1 to 5");
        g.level = (uint32_t)level;
        g.category = (char *)(arg(c, "category") ? arg(c, "category") : "");
        g.history = arg(c, "history") && strcmp(arg(c, "history"), "0") && strcmp(arg(c, "history"), "false");
        q.q_case = LADDER__V1__QUERY__Q_CASE_RANKING;
        q.case_ranking = &g;
        return forward(c, &q);
    }
    if (!strcmp(path, "stats")) {
        Ladder__V1__Stats g = LADDER__V1__STATS__INIT;
        q.q_case = LADDER__V1__QUERY__Q_STATS;
        q.stats = &g;
        return forward(c, &q);
    }
    if (!strncmp(path, "kb/", 3) && path[3]) {
        Ladder__V1__GetKbItem g = LADDER__V1__GET_KB_ITEM__INIT;
        g.item_id = (char *)path + 3;
        q.q_case = LADDER__V1__QUERY__Q_KB_ITEM;
        q.kb_item = &g;
        return forward(c, &q);
    }
    if (!strcmp(path, "pending")) {
        Ladder__V1__GetPending g = LADDER__V1__GET_PENDING__INIT;
        g.reviewer_id = (char *)(arg(c, "reviewer") ? arg(c, "reviewer") : "");
        q.q_case = LADDER__V1__QUERY__Q_PENDING;
        q.pending = &g;
        return forward(c, &q);
    }
    if (!strcmp(path, "committee")) {
        Ladder__V1__GetCommittee g = LADDER__V1__GET_COMMITTEE__INIT;
        q.q_case = LADDER__V1__QUERY__Q_COMMITTEE;
        q.committee = &g;
        return forward(c, &q);
    }
    if (!strcmp(path, "deadline")) {
        Ladder__V1__NextDeadline g = LADDER__V1__NEXT_DEADLINE__INIT;
        q.q_case = LADDER__V1__QUERY__Q_NEXT_DEADLINE;
        q.next_deadline = &g;
        return forward(c, &q);
    }
    if (!strcmp(path, "levels"))
        return json_reply(c, 200, json_pack("{s:o}", "levels", web_hub_levels()));
    return api_error(c, 404, "ERR_NOT_FOUND", "", "no such resource under /api/v1/");
}

/* ------------------------------------------------------------ the rest -- */

static enum MHD_Result readyz(struct MHD_Connection *c)
{
    Ladder__V1__Stats g = LADDER__V1__STATS__INIT;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_STATS;
    q.stats = &g;
    unsigned t = cfg.timeout_ms < 1000 ? cfg.timeout_ms : 1000;
    Ladder__V1__Reply *r = web_query(&q, t);
    bool answers = r && r->outcome_case == LADDER__V1__REPLY__OUTCOME_OK &&
                   r->ok->result_case == LADDER__V1__OK__RESULT_STATS;
    uint64_t head = answers ? r->ok->stats->head_seq : 0;
    if (r)
        ladder__v1__reply__free_unpacked(r, NULL);
    web_hub_stats_t h;
    web_hub_stats(&h);
    uint64_t lag = head > h.last_seq ? head - h.last_seq : 0;
    bool ready = answers && h.snapshot_loaded && lag <= cfg.max_lag;
    char hs[24], gs[24];
    snprintf(hs, sizeof hs, "%" PRIu64, head);
    snprintf(gs, sizeof gs, "%" PRIu64, h.last_seq);
    return json_reply(c, ready ? 200 : 503,
                      json_pack("{s:b,s:b,s:b,s:s,s:s,s:I,s:I}", "ready", ready, "ladderdAnswers",
                                answers, "snapshotLoaded", h.snapshot_loaded, "headSeq", hs,
                                "gatewaySeq", gs, "lag", (json_int_t)lag, "maxLag",
                                (json_int_t)cfg.max_lag));
}

static enum MHD_Result events(struct MHD_Connection *c)
{
    uint64_t last = 0;
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Last-Event-ID");
    const char *a = arg(c, "last_event_id");
    const char *v = h ? h : a;
    if (v) {
        char *end;
        errno = 0;
        last = strtoull(v, &end, 10);
        if (!*v || *end || errno || *v == '-')
            return text(c, 400, "400 bad request: Last-Event-ID is a seq (a non-negative integer)\n");
    }
    int st = web_hub_open_stream(c, arg(c, "topics"), last);
    if (st == 200) {
        web_http_count(200);
        return MHD_YES;
    }
    if (st == 503) {
        char msg[128];
        snprintf(msg, sizeof msg, "503 service unavailable: %u event streams are open (the cap)\n",
                 cfg.max_streams);
        return text(c, 503, msg);
    }
    if (st == 400)
        return text(c, 400, "400 bad request: topics is at most 8 comma-separated prefixes of < 96 bytes\n");
    return text(c, 500, "500 internal error\n");
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_size, void **con_cls)
{
    (void)cls, (void)version, (void)upload_data, (void)con_cls;
    if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
        *upload_size = 0;
        return text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "405 method not allowed: ladder-web is read-only (GET, HEAD)\n");
    }
    if (strlen(url) > URL_MAX)
        return text(c, MHD_HTTP_URI_TOO_LONG, "414 URI too long\n");
    if (strchr(url, 0x7f))
        return text(c, 400, "400 bad request: a NUL byte or DEL in the path\n");
    if (!strcmp(url, "/") || !strcmp(url, "/index.html"))
        return serve_file(c, "index.html");
    if (!strncmp(url, "/people/", 8)) {
        const char *id = url + 8;
        if (!*id || strchr(id, '/'))
            return text(c, 404, "404 not found: /people/<employee id>\n");
        return serve_file(c, "person.html");
    }
    if (!strncmp(url, "/static/", 8))
        return serve_file(c, url + 8);
    if (!strncmp(url, "/api/v1/", 8))
        return api(c, url + 8);
    if (!strcmp(url, "/events"))
        return events(c);
    if (!strcmp(url, "/healthz"))
        return text(c, 200, "ok\n");
    if (!strcmp(url, "/readyz"))
        return readyz(c);
    if (!strcmp(url, "/metrics")) {
        size_t len;
        char *m = web_metrics_text(cfg.timeout_ms, &len);
        if (!m)
            return text(c, 500, "500 internal error\n");
        enum MHD_Result rc = respond(c, 200, "text/plain; version=0.0.4; charset=utf-8", m, len, false);
        free(m);
        return rc;
    }
    if (strstr(url, ".."))
        return text(c, 400, "400 bad request: the path leaves the static files\n");
    return text(c, 404, "404 not found\n");
}

/* libmicrohttpd's unescaping, except that a %00 would cut the path short
 * (serving "index.html" for "index.html%00.js"): such a path becomes one
 * the handler refuses with 400. */
static size_t unescape(void *cls, struct MHD_Connection *c, char *uri)
{
    (void)cls, (void)c;
    size_t n = MHD_http_unescape(uri);
    if (strlen(uri) != n) {
        static const char nul[] = "/\x7f"; /* shorter than any "%00" path */
        memcpy(uri, nul, sizeof nul);
        return sizeof nul - 1;
    }
    return n;
}

/* -------------------------------------------------------------- startup -- */

static int parse_listen(const char *s, struct sockaddr_storage *ss, bool *loopback)
{
    memset(ss, 0, sizeof *ss);
    char host[INET6_ADDRSTRLEN + 2];
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s || strlen(colon + 1) == 0)
        return -1;
    size_t hl = (size_t)(colon - s);
    if (hl >= sizeof host)
        return -1;
    memcpy(host, s, hl);
    host[hl] = 0;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 1 || port > 65535)
        return -1;
    if (host[0] == '[' && host[hl - 1] == ']') {
        host[hl - 1] = 0;
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
            return -1;
        *loopback = IN6_IS_ADDR_LOOPBACK(&a->sin6_addr);
        return 0;
    }
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
        return -1;
    *loopback = (ntohl(a->sin_addr.s_addr) >> 24) == 127;
    return 0;
}

static int open_static(const char *argv0)
{
    if (cfg.static_dir)
        return open(cfg.static_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    char exe[PATH_MAX], dir[PATH_MAX + 8];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    (void)argv0;
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            snprintf(dir, sizeof dir, "%s/static", exe);
            int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (fd >= 0) {
                cfg.static_dir = strdup(dir);
                return fd;
            }
        }
    }
    cfg.static_dir = LADDER_WEB_DATADIR;
    return open(LADDER_WEB_DATADIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static int num_opt(const char *name, const char *v, unsigned lo, unsigned hi, unsigned *out)
{
    char *end;
    unsigned long x = strtoul(v, &end, 10);
    if (!*v || *end || x < lo || x > hi) {
        fprintf(stderr, "ladder-web: %s: a number from %u to %u\n", name, lo, hi);
        return -1;
    }
    *out = (unsigned)x;
    return 0;
}

int main(int argc, char **argv)
{
    enum { O_COMMAND = 1, O_PUBLISH, O_LISTEN, O_PUBLIC, O_SKEY, O_KEY, O_AS, O_ROLES, O_STATIC,
           O_STREAMS, O_CONNS, O_TIMEOUT, O_LAG, O_THREADS, O_LOG, O_HELP, O_VERSION };
    static const struct option opts[] = {
        {"command", 1, 0, O_COMMAND}, {"publish", 1, 0, O_PUBLISH}, {"listen", 1, 0, O_LISTEN},
        {"public", 0, 0, O_PUBLIC}, {"server-key", 1, 0, O_SKEY}, {"key", 1, 0, O_KEY},
        {"as", 1, 0, O_AS}, {"roles", 1, 0, O_ROLES}, {"static", 1, 0, O_STATIC},
        {"max-streams", 1, 0, O_STREAMS}, {"max-connections", 1, 0, O_CONNS},
        {"timeout", 1, 0, O_TIMEOUT}, {"max-lag", 1, 0, O_LAG}, {"threads", 1, 0, O_THREADS},
        {"log-level", 1, 0, O_LOG}, {"help", 0, 0, O_HELP}, {"version", 0, 0, O_VERSION},
        {0, 0, 0, 0}};
    int o;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        int bad = 0;
        switch (o) {
        case O_COMMAND: cfg.command = optarg; break;
        case O_PUBLISH: cfg.publish = optarg; break;
        case O_LISTEN: cfg.listen = optarg; break;
        case O_PUBLIC: cfg.public_listen = true; break;
        case O_SKEY: cfg.server_key = optarg; break;
        case O_KEY: cfg.key = optarg; break;
        case O_AS: cfg.as = optarg; break;
        case O_ROLES: {
            static const char *const names[] = {"employee", "reviewer", "manager", "system",
                                                "auditor", "service", "chair"};
            char buf[256];
            snprintf(buf, sizeof buf, "%s", optarg);
            cfg.roles = 0;
            for (char *t = strtok(buf, ","); t; t = strtok(NULL, ",")) {
                int i = pick(t, names, 7);
                if (i < 0) {
                    fprintf(stderr, "ladder-web: --roles: unknown role %s\n", t);
                    return 2;
                }
                cfg.roles |= 1u << i;
            }
            break;
        }
        case O_STATIC: cfg.static_dir = optarg; break;
        case O_STREAMS: bad = num_opt("--max-streams", optarg, 1, 1000000, &cfg.max_streams); break;
        case O_CONNS: bad = num_opt("--max-connections", optarg, 8, 1000000, &cfg.max_connections); break;
        case O_TIMEOUT: bad = num_opt("--timeout", optarg, 1, 600000, &cfg.timeout_ms); break;
        case O_LAG: bad = num_opt("--max-lag", optarg, 0, UINT32_MAX, &cfg.max_lag); break;
        case O_THREADS: bad = num_opt("--threads", optarg, 1, 64, &cfg.threads); break;
        case O_LOG:
            if (ld_log_set_level(optarg)) {
                fprintf(stderr, "ladder-web: --log-level: debug, info, warn or error\n");
                return 2;
            }
            break;
        case O_HELP: fputs(usage_text, stdout); return 0;
        case O_VERSION: printf("ladder-web %s\n", LADDER_VERSION); return 0;
        default: fputs(usage_text, stderr); return 2;
        }
        if (bad)
            return 2;
    }
    if (optind < argc) {
        fprintf(stderr, "ladder-web: unexpected argument %s (see --help)\n", argv[optind]);
        return 2;
    }
    struct sockaddr_storage addr;
    bool loopback = false;
    if (parse_listen(cfg.listen, &addr, &loopback)) {
        fprintf(stderr, "ladder-web: --listen %s: expected ADDR:PORT, e.g. 127.0.0.1:7680\n", cfg.listen);
        return 2;
    }
    if (!loopback && !cfg.public_listen) {
        ld_log(LD_LOG_ERROR, "refusing a non-loopback --listen without --public", "listen=%s", cfg.listen);
        return 2;
    }
    static_fd = open_static(argv[0]);
    if (static_fd < 0) {
        ld_log(LD_LOG_ERROR, "cannot open the static files", "dir=%s error=\"%s\"", cfg.static_dir,
               strerror(errno));
        return 2;
    }
    /* connections are file descriptors: stay inside the limit */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        if (rl.rlim_cur < rl.rlim_max) {
            rl.rlim_cur = rl.rlim_max;
            setrlimit(RLIMIT_NOFILE, &rl);
            getrlimit(RLIMIT_NOFILE, &rl);
        }
        if (rl.rlim_cur != RLIM_INFINITY && cfg.max_connections + 64 > rl.rlim_cur)
            cfg.max_connections = rl.rlim_cur > 128 ? (unsigned)rl.rlim_cur - 64 : 64;
    }
    if (cfg.max_streams + 16 > cfg.max_connections)
        cfg.max_streams = cfg.max_connections > 32 ? cfg.max_connections - 16 : 16;

    char err[256];
    if (web_client_init(&cfg, err, sizeof err)) {
        ld_log(LD_LOG_ERROR, "cannot set up the ladderd client", "error=\"%s\"", err);
        return 2;
    }
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (web_hub_start(&cfg)) {
        ld_log(LD_LOG_ERROR, "cannot start the subscriber", "%s", "");
        return 1;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME;
    if (addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, 0, NULL, NULL, handle, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_THREAD_POOL_SIZE, cfg.threads, MHD_OPTION_CONNECTION_LIMIT, cfg.max_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16384,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, 4096u, MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
        MHD_OPTION_END);
    if (!d) {
        ld_log(LD_LOG_ERROR, "cannot listen", "listen=%s error=\"%s\"", cfg.listen, strerror(errno));
        web_hub_stop();
        return 2;
    }
    ld_log(LD_LOG_INFO, "listening", "listen=http://%s command=%s publish=%s static=%s curve=%s "
           "max_streams=%u max_connections=%u", cfg.listen, cfg.command, cfg.publish,
           cfg.static_dir, cfg.server_key ? "yes" : "no", cfg.max_streams, cfg.max_connections);
    int sig;
    sigwait(&sigs, &sig);
    ld_log(LD_LOG_INFO, "stopping", "signal=%d", sig);
    web_hub_stop();
    usleep(200000); /* the resumed streams end */
    MHD_stop_daemon(d);
    close(static_fd);
    return 0;
}
