/* ctl_io.c — ladderctl's transport (a DEALER with send and receive timeouts,
 * connects checked, CURVE when asked), the printing of replies and errors,
 * strict number and date parsing, and display by columns (wcswidth) and in
 * the rules' UTC offset, which comes from the daemon (Stats).
 */
#include <errno.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>
#include <zmq.h>

#include "ctl.h"
#include "pbjson.h"

ctl_session_t G = {.endpoint = "tcp://127.0.0.1:7601",
                   .publish = "tcp://127.0.0.1:7602",
                   .as = "operator",
                   .roles = LADDER__V1__ROLE__ROLE_MANAGER,
                   .timeout = 10000};

static Ladder__V1__Reply *stats_reply;

/* Reads a 40-character Z85 key from a file. */
static int read_z85(const char *path, char out[41])
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "ladderctl: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[128] = "";
    char *got = fgets(line, sizeof line, f);
    fclose(f);
    if (!got || strcspn(line, "\r\n") != 40) {
        fprintf(stderr, "ladderctl: %s: expected a 40-character Z85 key\n", path);
        return -1;
    }
    memcpy(out, line, 40);
    out[40] = 0;
    return 0;
}

int ctl_curve(void *z)
{
    if (!G.server_key && !G.key)
        return 0;
    if (!G.server_key || !G.key) {
        fprintf(stderr, "ladderctl: CURVE needs both --server-key and --key\n");
        return EXIT_USAGE;
    }
    char server[41], secret[41], public_[41];
    if (read_z85(G.server_key, server) || read_z85(G.key, secret) ||
        zmq_curve_public(public_, secret) != 0)
        return EXIT_USAGE;
    zmq_setsockopt(z, ZMQ_CURVE_SERVERKEY, server, 41);
    zmq_setsockopt(z, ZMQ_CURVE_PUBLICKEY, public_, 41);
    zmq_setsockopt(z, ZMQ_CURVE_SECRETKEY, secret, 41);
    return 0;
}

int ctl_zconnect(void *z, const char *ep, const char *which)
{
    int linger = 0;
    zmq_setsockopt(z, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(z, ZMQ_RCVTIMEO, &G.timeout, sizeof G.timeout);
    zmq_setsockopt(z, ZMQ_SNDTIMEO, &G.timeout, sizeof G.timeout);
    int rc = ctl_curve(z);
    if (rc)
        return rc;
    if (zmq_connect(z, ep) != 0) {
        fprintf(stderr,
                "ladderctl: %s %s: %s (an endpoint is tcp://HOST:PORT or ipc:///PATH)\n",
                which, ep, zmq_strerror(zmq_errno()));
        return EXIT_USAGE;
    }
    return 0;
}

int ctl_connect(void)
{
    if (G.dealer)
        return 0;
    if (!G.zctx)
        G.zctx = zmq_ctx_new();
    G.dealer = zmq_socket(G.zctx, ZMQ_DEALER);
    return ctl_zconnect(G.dealer, G.endpoint, "--endpoint");
}

static void no_answer(void)
{
    fprintf(stderr, "ladderctl: no answer from %s within %d ms (is ladderd running?)\n",
            G.endpoint, G.timeout);
}

Ladder__V1__Reply *ctl_call(Ladder__V1__Request *req)
{
    if (ctl_connect())
        exit(EXIT_USAGE);
    size_t n = ladder__v1__request__get_packed_size(req);
    uint8_t *buf = malloc(n + 1);
    ladder__v1__request__pack(req, buf);
    int sent = zmq_send(G.dealer, "", 0, ZMQ_SNDMORE) == 0 && zmq_send(G.dealer, buf, n, 0) >= 0;
    free(buf);
    if (!sent) {
        no_answer();
        return NULL;
    }
    for (;;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, G.dealer, 0) < 0) {
            zmq_msg_close(&m);
            no_answer();
            return NULL;
        }
        if (zmq_msg_more(&m)) {
            zmq_msg_close(&m);
            continue;
        }
        Ladder__V1__Reply *r = ladder__v1__reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
        zmq_msg_close(&m);
        if (!r)
            fprintf(stderr, "ladderctl: %s answered with bytes that are not a Reply\n", G.endpoint);
        return r;
    }
}

void ctl_print_json(const ProtobufCMessage *m, int compact)
{
    json_t *j = pbjson_from_message(m);
    char *s = json_dumps(j, (compact ? JSON_COMPACT : JSON_INDENT(2)) | JSON_PRESERVE_ORDER);
    puts(s);
    free(s);
    json_decref(j);
}

int ctl_print_error(const Ladder__V1__Error *e)
{
    const ProtobufCEnumValue *v =
        protobuf_c_enum_descriptor_get_value(&ladder__v1__error_code__descriptor, e->code);
    fprintf(stderr, "ladderctl: %s%s%s%s: %s\n", v ? v->name : "ERROR",
            *e->field ? " (field " : "", e->field, *e->field ? ")" : "", e->message);
    return EXIT_REFUSED;
}

int ctl_run_commands(Ladder__V1__Command **cmds, size_t n)
{
    uint8_t rid[16];
    randombytes_buf(rid, sizeof rid);
    Ladder__V1__Principal p = LADDER__V1__PRINCIPAL__INIT;
    p.id = (char *)G.as;
    p.roles = G.roles;
    Ladder__V1__Request req = LADDER__V1__REQUEST__INIT;
    req.request_id = (ProtobufCBinaryData){sizeof rid, rid};
    req.principal = &p;
    req.n_commands = n;
    req.commands = cmds;
    Ladder__V1__Reply *r = ctl_call(&req);
    if (!r)
        return EXIT_NOANSWER;
    int rc = EXIT_OK;
    if (r->outcome_case == LADDER__V1__REPLY__OUTCOME_ERROR) {
        rc = ctl_print_error(r->error);
    } else if (G.json) {
        ctl_print_json(&r->base, 0);
    } else {
        printf("ok: %zu event%s", r->ok->n_seqs, r->ok->n_seqs == 1 ? "" : "s");
        if (r->ok->n_seqs)
            printf(", seq %llu..%llu", (unsigned long long)r->ok->seqs[0],
                   (unsigned long long)r->ok->seqs[r->ok->n_seqs - 1]);
        printf("\n");
    }
    ladder__v1__reply__free_unpacked(r, NULL);
    return rc;
}

int ctl_answer(Ladder__V1__Query *q, Ladder__V1__Reply **reply, const Ladder__V1__Ok **out)
{
    /* queries too are asked in the name of --as with --roles: ladderd decides
     * what each reader may see (§1) */
    Ladder__V1__Principal p = LADDER__V1__PRINCIPAL__INIT;
    p.id = (char *)G.as;
    p.roles = G.roles;
    Ladder__V1__Request req = LADDER__V1__REQUEST__INIT;
    req.principal = &p;
    req.query = q;
    Ladder__V1__Reply *r = ctl_call(&req);
    *reply = NULL;
    *out = NULL;
    if (!r)
        return EXIT_NOANSWER;
    if (r->outcome_case == LADDER__V1__REPLY__OUTCOME_ERROR) {
        int rc = ctl_print_error(r->error);
        ladder__v1__reply__free_unpacked(r, NULL);
        return rc;
    }
    if (G.json) {
        ctl_print_json(&r->ok->base, 0);
        ladder__v1__reply__free_unpacked(r, NULL);
        return EXIT_OK;
    }
    *reply = r;
    *out = r->ok;
    return EXIT_OK;
}

void ctl_stats_forget(void)
{
    if (stats_reply)
        ladder__v1__reply__free_unpacked(stats_reply, NULL);
    stats_reply = NULL;
    G.stats = NULL;
}

const Ladder__V1__StatsView *ctl_stats(void)
{
    if (G.stats)
        return G.stats;
    Ladder__V1__Stats st = LADDER__V1__STATS__INIT;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_STATS;
    q.stats = &st;
    Ladder__V1__Request req = LADDER__V1__REQUEST__INIT;
    req.query = &q;
    Ladder__V1__Reply *r = ctl_call(&req);
    if (!r)
        return NULL;
    if (r->outcome_case != LADDER__V1__REPLY__OUTCOME_OK || !r->ok->stats) {
        if (r->error)
            ctl_print_error(r->error);
        ladder__v1__reply__free_unpacked(r, NULL);
        return NULL;
    }
    stats_reply = r;
    G.stats = r->ok->stats;
    return G.stats;
}

/* ------------------------------------------------------------- parsing -- */

int ctl_usage(const ctl_row_t *row, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "ladderctl: %s%s", row ? row->name : "", row ? ": " : "");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (row)
        fprintf(stderr, "\nusage: ladderctl %s %s (more: ladderctl %s --help)\n", row->name,
                row->synopsis, row->name);
    else
        fprintf(stderr, " (see ladderctl --help)\n");
    return EXIT_USAGE;
}

int ctl_parse_i64(const char *s, int64_t *v)
{
    char *end;
    errno = 0;
    if (!*s || (*s != '-' && *s != '+' && (*s < '0' || *s > '9')))
        return -1;
    long long x = strtoll(s, &end, 10);
    if (errno || *end)
        return -1;
    *v = x;
    return 0;
}

int ctl_parse_u64(const char *s, uint64_t max, uint64_t *v)
{
    char *end;
    errno = 0;
    if (*s < '0' || *s > '9')
        return -1;
    unsigned long long x = strtoull(s, &end, 10);
    if (errno || *end || x > max)
        return -1;
    *v = x;
    return 0;
}

static int32_t offset_min(void)
{
    const Ladder__V1__StatsView *st = ctl_stats();
    return st ? st->utc_offset_minutes : 0;
}

int ctl_parse_date(const char *s, int64_t *ms)
{
    int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
    size_t len = strlen(s);
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
        return -1;
    if (len > 10) {
        int k = 0;
        if ((s[10] != 'T' && s[10] != ' ') || sscanf(s + 11, "%2d:%2d%n", &h, &mi, &k) != 2 || k != 5)
            return -1;
        if (len > 16 && (sscanf(s + 16, ":%2d%n", &sec, &k) != 1 || k != 3 || len != 19))
            return -1;
    }
    if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
        sec > 59 || h < 0 || mi < 0 || sec < 0)
        return -1;
    struct tm tm = {0};
    tm.tm_year = y - 1900, tm.tm_mon = mo - 1, tm.tm_mday = d;
    tm.tm_hour = h, tm.tm_min = mi, tm.tm_sec = sec;
    time_t t = timegm(&tm);
    if (tm.tm_mday != d) /* 2026-02-30 normalised to March */
        return -1;
    if (!ctl_stats())
        return EXIT_NOANSWER;
    *ms = ((int64_t)t - (int64_t)offset_min() * 60) * 1000;
    return 0;
}

void ctl_fmt_offset(char *buf, size_t len)
{
    int32_t off = offset_min();
    uint32_t a = off < 0 ? (uint32_t)(-(int64_t)off) : (uint32_t)off;
    snprintf(buf, len, "%c%02u:%02u", off < 0 ? '-' : '+', (a / 60) % 100, a % 60);
}

void ctl_fmt_time(char *buf, size_t len, int64_t ms)
{
    if (!ms) {
        snprintf(buf, len, "-");
        return;
    }
    char off[8];
    ctl_fmt_offset(off, sizeof off);
    time_t s = (time_t)(ms / 1000) + (time_t)offset_min() * 60;
    struct tm tm;
    gmtime_r(&s, &tm);
    char day[32];
    strftime(day, sizeof day, "%Y-%m-%d %H:%M", &tm);
    snprintf(buf, len, "%s%s", day, off);
}

/* Display columns of a UTF-8 string (wide characters count 2). */
static int columns(const char *s)
{
    wchar_t w[256];
    size_t n = mbstowcs(w, s, 255);
    if (n == (size_t)-1)
        return (int)strlen(s);
    w[n] = 0;
    int c = wcswidth(w, n);
    return c < 0 ? (int)n : c;
}

void ctl_pad(const char *s, int width)
{
    int right = width < 0, w = right ? -width : width, c = columns(s);
    if (right)
        printf("%*s", w > c ? w - c : 0, "");
    fputs(s, stdout);
    if (!right)
        printf("%*s", w > c ? w - c : 0, "");
}

void ctl_print_hex(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        printf("%02x", p[i]);
    printf("\n");
}

uint64_t ctl_body_u64(json_t *body, const char *key, uint64_t def)
{
    json_t *v = json_object_get(body, key);
    if (json_is_integer(v))
        return (uint64_t)json_integer_value(v);
    if (json_is_string(v))
        return strtoull(json_string_value(v), NULL, 10);
    return def;
}

const char *ctl_body_str(json_t *body, const char *key)
{
    return json_string_value(json_object_get(body, key));
}

int ctl_body_bool(json_t *body, const char *key)
{
    return json_is_true(json_object_get(body, key));
}
