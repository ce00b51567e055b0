/* test_hostile.c — a catalogue of malformed and hostile requests against the
 * real ladderd, one row per input, each row its own cmocka test (a failing
 * row hides no other): each gets an error reply with its code and the field
 * or §. A last test checks that the daemon is alive, the head seq unchanged
 * by the catalogue, and a normal command works. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "client.h"

#define MANAGER LADDER__V1__ROLE__ROLE_MANAGER
#define EMPLOYEE LADDER__V1__ROLE__ROLE_EMPLOYEE
#define E(x) LADDER__V1__ERROR_CODE__##x

static daemon_t D;
static uint64_t before; /* the head after the fixture */

static uint64_t head(void)
{
    Ladder__V1__Stats st = LADDER__V1__STATS__INIT;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_STATS;
    q.stats = &st;
    Ladder__V1__Reply *r = d_query(&D, &q);
    assert_non_null(r);
    uint64_t h = r->ok->stats->head_seq;
    ladder__v1__reply__free_unpacked(r, NULL);
    return h;
}

static Ladder__V1__Reply *cmd_as(Ladder__V1__Command *c, const char *who, uint32_t roles)
{
    return d_cmd_as(&D, c, who, roles);
}

static void must_ok(Ladder__V1__Reply *r, const char *what)
{
    if (!r || r->outcome_case != LADDER__V1__REPLY__OUTCOME_OK)
        fail_msg("fixture %s: %s", what, r ? r->error->message : "no reply");
    ladder__v1__reply__free_unpacked(r, NULL);
}

/* One command, sent by principal who with a fixed request id. */
static Ladder__V1__Reply *cmd_rid(Ladder__V1__Command *c, const char *who, uint32_t roles,
                                  const char *rid)
{
    Ladder__V1__Principal p = LADDER__V1__PRINCIPAL__INIT;
    p.id = (char *)who, p.roles = roles;
    Ladder__V1__Command *cs[1] = {c};
    Ladder__V1__Request req = LADDER__V1__REQUEST__INIT;
    req.request_id = (ProtobufCBinaryData){strlen(rid), (uint8_t *)rid};
    req.principal = &p;
    req.n_commands = 1, req.commands = cs;
    return d_call(&D, &req);
}

/* ------------------------------------------------------------- fixture -- */

static Ladder__V1__CaseNode root = LADDER__V1__CASE_NODE__INIT;
static Ladder__V1__CaseContent content = LADDER__V1__CASE_CONTENT__INIT;

static Ladder__V1__Reply *hire_named(const char *id, const char *name, const char *team)
{
    Ladder__V1__Hire h = LADDER__V1__HIRE__INIT;
    h.employee_id = (char *)id, h.name = (char *)name, h.team = (char *)(team ? team : "");
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_HIRE;
    c.hire = &h;
    return d_cmd(&D, &c);
}

static int group_setup(void **s)
{
    (void)s;
    static const char *const manual[] = {"--clock", "manual", NULL};
    d_open(&D, "hostile", manual);

    Ladder__V1__AdvanceClock ac = LADDER__V1__ADVANCE_CLOCK__INIT;
    ac.to_ms = 1767542400000LL;
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_ADVANCE_CLOCK;
    c.advance_clock = &ac;
    must_ok(d_cmd(&D, &c), "clock");
    must_ok(hire_named("e1", "Guo Li", NULL), "e1");
    must_ok(hire_named("e2", "Guo Li", NULL), "e2");
    root.customer_says = "Where is my refund?";
    content.kind = LADDER__V1__CASE_KIND__CASE_KIND_TEXT, content.title = "Refund", content.root = &root;
    Ladder__V1__SubmitCase sc = LADDER__V1__SUBMIT_CASE__INIT;
    sc.submission_id = "s1", sc.case_id = "k1", sc.author_id = "e1", sc.content = &content;
    c.cmd_case = LADDER__V1__COMMAND__CMD_SUBMIT_CASE;
    c.submit_case = &sc;
    must_ok(cmd_as(&c, "e1", EMPLOYEE), "s1");
    for (int k = 1; k <= 3; k++) {
        char who[8];
        snprintf(who, sizeof who, "m%d", k);
        Ladder__V1__ReviewCase rv = LADDER__V1__REVIEW_CASE__INIT;
        rv.submission_id = "s1", rv.reviewer_id = who, rv.verdict = LADDER__V1__VERDICT__VERDICT_APPROVE;
        rv.amount = 30, rv.level = 1, rv.category = "refunds";
        c.cmd_case = LADDER__V1__COMMAND__CMD_REVIEW_CASE;
        c.review_case = &rv;
        must_ok(cmd_as(&c, who, MANAGER), "review");
    }
    Ladder__V1__RateCase rc = LADDER__V1__RATE_CASE__INIT;
    rc.case_id = "k1", rc.employee_id = "e2", rc.rating = LADDER__V1__RATING__RATING_EXCELLENT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_RATE_CASE;
    c.rate_case = &rc;
    must_ok(cmd_as(&c, "e2", EMPLOYEE), "rate");
    Ladder__V1__SubmitCase sc2 = LADDER__V1__SUBMIT_CASE__INIT;
    sc2.submission_id = "s2", sc2.case_id = "k2", sc2.author_id = "e1", sc2.content = &content;
    c.cmd_case = LADDER__V1__COMMAND__CMD_SUBMIT_CASE;
    c.submit_case = &sc2;
    must_ok(cmd_as(&c, "e1", EMPLOYEE), "s2");
    /* a request id used once, for the reuse row */
    Ladder__V1__Hire h = LADDER__V1__HIRE__INIT;
    h.employee_id = "r1", h.name = "Reuse";
    c.cmd_case = LADDER__V1__COMMAND__CMD_HIRE;
    c.hire = &h;
    must_ok(cmd_rid(&c, "boss", MANAGER, "reuse-1"), "reuse-1");
    before = head();
    return 0;
}

static int group_teardown(void **s)
{
    (void)s;
    return d_remove(&D);
}

/* ---------------------------------------------------------------- rows -- */

typedef struct row {
    const char *name;
    Ladder__V1__Reply *(*send)(const struct row *);
    int code;
    const char *text;                      /* in the message or the field */
    const char *arg;                       /* bytes or a string for send */
    size_t len;
} row_t;

static Ladder__V1__Reply *raw(const row_t *r)
{
    return d_raw(&D, r->arg, r->len);
}

static Ladder__V1__Reply *depth_bomb(const row_t *r)
{
    (void)r;
    /* CaseNode.follow_ups nested 100000 deep inside a submit */
    size_t depth = 100000, cap = depth * 8 + 64;
    uint8_t *inner = malloc(cap), *tmp = malloc(cap);
    size_t ilen = 0;
#define WRAP(tag)                                                              \
    do {                                                                       \
        size_t k_ = 0, l_ = ilen;                                              \
        tmp[k_++] = (tag);                                                     \
        do {                                                                   \
            tmp[k_++] = (uint8_t)((l_ & 0x7f) | (l_ > 0x7f ? 0x80 : 0));       \
            l_ >>= 7;                                                          \
        } while (l_);                                                          \
        memmove(inner + k_, inner, ilen);                                      \
        memcpy(inner, tmp, k_);                                                \
        ilen += k_;                                                            \
    } while (0)
    for (size_t i = 0; i < depth; i++)
        WRAP(0x1a); /* CaseNode.follow_ups (3) */
    WRAP(0x22);     /* CaseContent.root (4) */
    WRAP(0x22);     /* SubmitCase.content (4) */
    WRAP(0x42);     /* Command.submit_case (8) */
    WRAP(0x1a);     /* Request.commands (3) */
#undef WRAP
    Ladder__V1__Reply *rep = d_raw(&D, inner, ilen);
    free(inner), free(tmp);
    return rep;
}

static Ladder__V1__Reply *big_frame(const row_t *r)
{
    (void)r;
    size_t big = 10u << 20;
    char *b = calloc(1, big);
    Ladder__V1__Reply *rep = d_raw(&D, b, big);
    free(b);
    return rep;
}

/* Sends frames (NULL-terminated, the last without SNDMORE); returns the reply. */
static Ladder__V1__Reply *frames(const char *const *f)
{
    for (int i = 0; f[i]; i++)
        zmq_send(D.dealer, f[i], strlen(f[i]), f[i + 1] ? ZMQ_SNDMORE : 0);
    for (;;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, D.dealer, 0) < 0)
            return NULL;
        if (!zmq_msg_more(&m)) {
            Ladder__V1__Reply *rep = ladder__v1__reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
            zmq_msg_close(&m);
            return rep;
        }
        zmq_msg_close(&m);
    }
}

static Ladder__V1__Reply *no_delimiter(const row_t *r)
{
    (void)r;
    static const char *const f[] = {"\x0a\x01x", NULL};
    return frames(f);
}

static Ladder__V1__Reply *four_frames(const row_t *r)
{
    (void)r;
    static const char *const f[] = {"", "x", "y", NULL};
    return frames(f);
}

static Ladder__V1__Reply *empty_command(const row_t *r)
{
    (void)r;
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    return d_cmd(&D, &c);
}

static Ladder__V1__Reply *empty_query(const row_t *r)
{
    (void)r;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    return d_query(&D, &q);
}

/* A Hire request with request id arg (len bytes; 65 for too long). */
static Ladder__V1__Reply *request_shape(const row_t *r)
{
    Ladder__V1__Hire h = LADDER__V1__HIRE__INIT;
    h.employee_id = "shape", h.name = "Shape";
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_HIRE;
    c.hire = &h;
    Ladder__V1__Command *cs[1] = {&c};
    uint8_t rid[65] = {0};
    Ladder__V1__Request req = LADDER__V1__REQUEST__INIT;
    req.request_id = (ProtobufCBinaryData){r->len, rid};
    req.n_commands = 1, req.commands = cs;
    Ladder__V1__Query eq = LADDER__V1__QUERY__INIT;
    if (r->arg && !strcmp(r->arg, "both"))
        req.query = &eq;
    return d_call(&D, &req);
}

static Ladder__V1__Reply *many_commands(const row_t *r)
{
    (void)r;
    static Ladder__V1__Hire h = LADDER__V1__HIRE__INIT;
    h.employee_id = "many", h.name = "Many";
    static Ladder__V1__Command many[1001], *mp[1001];
    for (int i = 0; i < 1001; i++) {
        ladder__v1__command__init(&many[i]);
        many[i].cmd_case = LADDER__V1__COMMAND__CMD_HIRE;
        many[i].hire = &h;
        mp[i] = &many[i];
    }
    Ladder__V1__Request req = LADDER__V1__REQUEST__INIT;
    req.request_id = (ProtobufCBinaryData){4, (uint8_t *)"many"};
    req.n_commands = 1001, req.commands = mp;
    return d_call(&D, &req);
}

/* Hire with fields from arg: "id|name|team" (bytes, len long: may hold NULs). */
static Ladder__V1__Reply *hire_fields(const row_t *r)
{
    char buf[256];
    memcpy(buf, r->arg, r->len);
    buf[r->len] = 0;
    /* protobuf-c packs C strings: build the Hire on the wire by hand so that
     * embedded NULs reach the daemon */
    const char *f[3];
    size_t fl[3];
    size_t at = 0;
    for (int i = 0; i < 3; i++) {
        f[i] = buf + at;
        const char *bar = memchr(buf + at, '|', r->len - at);
        fl[i] = bar ? (size_t)(bar - (buf + at)) : r->len - at;
        at += fl[i] + 1;
    }
    uint8_t hire[300], cmd[320], req[400];
    size_t hl = 0;
    static const uint8_t tags[3] = {0x0a, 0x12, 0x1a}; /* Hire: employee_id 1, name 2, team 3 */
    for (int i = 0; i < 3; i++) {
        if (!fl[i])
            continue;
        hire[hl++] = tags[i];
        hire[hl++] = (uint8_t)fl[i];
        memcpy(hire + hl, f[i], fl[i]);
        hl += fl[i];
    }
    /* Command.hire is field 1 in the oneof? use protobuf-c to find it */
    const ProtobufCFieldDescriptor *fd =
        protobuf_c_message_descriptor_get_field_by_name(&ladder__v1__command__descriptor, "hire");
    size_t cl = 0;
    uint32_t key = (fd->id << 3) | 2;
    while (key >= 0x80) {
        cmd[cl++] = (uint8_t)(key | 0x80);
        key >>= 7;
    }
    cmd[cl++] = (uint8_t)key;
    cmd[cl++] = (uint8_t)hl;
    memcpy(cmd + cl, hire, hl);
    cl += hl;
    size_t rl = 0;
    static unsigned seq;
    char rid[32];
    int n = snprintf(rid, sizeof rid, "hf-%u", ++seq);
    req[rl++] = 0x0a, req[rl++] = (uint8_t)n; /* request_id */
    memcpy(req + rl, rid, (size_t)n);
    rl += (size_t)n;
    static const uint8_t boss[] = {0x12, 0x08, 0x0a, 0x04, 'b', 'o', 's', 's', 0x10, 0x04}; /* principal */
    memcpy(req + rl, boss, sizeof boss);
    rl += sizeof boss;
    req[rl++] = 0x1a, req[rl++] = (uint8_t)cl; /* commands */
    memcpy(req + rl, cmd, cl);
    rl += cl;
    return d_raw(&D, req, rl);
}

static Ladder__V1__Reply *long_principal(const row_t *r)
{
    (void)r;
    char who[70];
    memset(who, 'p', 65);
    who[65] = 0;
    Ladder__V1__Hire h = LADDER__V1__HIRE__INIT;
    h.employee_id = "lp", h.name = "Long";
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_HIRE;
    c.hire = &h;
    return cmd_as(&c, who, MANAGER);
}

static Ladder__V1__Reply *reuse_id(const row_t *r)
{
    (void)r;
    Ladder__V1__Hire h = LADDER__V1__HIRE__INIT;
    h.employee_id = "r2", h.name = "Other";
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_HIRE;
    c.hire = &h;
    return cmd_rid(&c, "boss", MANAGER, "reuse-1");
}

static Ladder__V1__Reply *hire_by_employee(const row_t *r)
{
    (void)r;
    Ladder__V1__Hire h = LADDER__V1__HIRE__INIT;
    h.employee_id = "e9", h.name = "x";
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_HIRE;
    c.hire = &h;
    return cmd_as(&c, "e2", EMPLOYEE);
}

static Ladder__V1__Reply *adjust(const row_t *r)
{
    Ladder__V1__AdjustPoints ap = LADDER__V1__ADJUST_POINTS__INIT;
    ap.employee_id = (char *)(r->arg ? r->arg : "e1"), ap.reason = "x";
    ap.amount = r->len == 1 ? INT64_MIN : r->len == 2 ? 0 : 5;
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_ADJUST_POINTS;
    c.adjust_points = &ap;
    return d_cmd(&D, &c);
}

static Ladder__V1__Reply *time_backwards(const row_t *r)
{
    (void)r;
    Ladder__V1__AdvanceClock ac = LADDER__V1__ADVANCE_CLOCK__INIT;
    ac.to_ms = 5;
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_ADVANCE_CLOCK;
    c.advance_clock = &ac;
    return d_cmd(&D, &c);
}

static Ladder__V1__Reply *test_time(const row_t *r)
{
    Ladder__V1__RecordQueryTest qt = LADDER__V1__RECORD_QUERY_TEST__INIT;
    qt.employee_id = "e1", qt.total_ms = r->len ? INT64_MAX : -1;
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_RECORD_QUERY_TEST;
    c.record_query_test = &qt;
    return d_cmd(&D, &c);
}

static Ladder__V1__Reply *study(const row_t *r)
{
    Ladder__V1__StudyCase st = LADDER__V1__STUDY_CASE__INIT;
    st.employee_id = "e2", st.case_id = (char *)r->arg;
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_STUDY_CASE;
    c.study_case = &st;
    return cmd_as(&c, r->len ? "e1" : "e2", EMPLOYEE);
}

static Ladder__V1__Reply *rate(const row_t *r)
{
    Ladder__V1__RateCase rc = LADDER__V1__RATE_CASE__INIT;
    rc.case_id = "k1", rc.employee_id = (char *)r->arg;
    rc.rating = r->len ? 9 : LADDER__V1__RATING__RATING_EXCELLENT;
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_RATE_CASE;
    c.rate_case = &rc;
    return cmd_as(&c, r->arg, EMPLOYEE);
}

/* arg: reviewer id; len: 0 as that reviewer, 1 as m2, 2 with a negative amount */
static Ladder__V1__Reply *review(const row_t *r)
{
    Ladder__V1__ReviewCase rv = LADDER__V1__REVIEW_CASE__INIT;
    rv.submission_id = "s2", rv.reviewer_id = (char *)r->arg;
    rv.verdict = LADDER__V1__VERDICT__VERDICT_APPROVE;
    rv.amount = r->len == 2 ? -30 : 30, rv.level = 1, rv.category = "x";
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_REVIEW_CASE;
    c.review_case = &rv;
    return cmd_as(&c, r->len == 1 ? "m2" : r->arg, MANAGER);
}

static Ladder__V1__Reply *grade_no_exam(const row_t *r)
{
    (void)r;
    Ladder__V1__GradeExam ge = LADDER__V1__GRADE_EXAM__INIT;
    uint32_t sc[3] = {100, 100, 100};
    ge.exam_id = "no-exam", ge.n_scores = 3, ge.scores = sc;
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_GRADE_EXAM;
    c.grade_exam = &ge;
    return d_cmd(&D, &c);
}

static Ladder__V1__Reply *board_window(const row_t *r)
{
    (void)r;
    Ladder__V1__GetBoard gb = LADDER__V1__GET_BOARD__INIT;
    gb.window = 9;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_BOARD;
    q.board = &gb;
    return d_query(&D, &q);
}

/* A batch whose second command is refused writes nothing at all. */
static Ladder__V1__Reply *batch_refused(const row_t *r)
{
    (void)r;
    Ladder__V1__Hire ok = LADDER__V1__HIRE__INIT;
    ok.employee_id = "fine", ok.name = "Fine";
    Ladder__V1__Command c1 = LADDER__V1__COMMAND__INIT;
    c1.cmd_case = LADDER__V1__COMMAND__CMD_HIRE;
    c1.hire = &ok;
    Ladder__V1__Command *cs[2] = {&c1, &c1}; /* the same id again */
    Ladder__V1__Principal p = LADDER__V1__PRINCIPAL__INIT;
    p.id = "boss", p.roles = MANAGER;
    Ladder__V1__Request req = LADDER__V1__REQUEST__INIT;
    req.request_id = (ProtobufCBinaryData){5, (uint8_t *)"batch"};
    req.principal = &p;
    req.n_commands = 2, req.commands = cs;
    Ladder__V1__Reply *rep = d_call(&D, &req);
    if (rep && rep->outcome_case == LADDER__V1__REPLY__OUTCOME_ERROR && rep->error->command_index != 1)
        fail_msg("command_index %u, expected 1", rep->error->command_index);
    return rep;
}

#define S(lit) lit, sizeof lit - 1 /* bytes of a literal, without its NUL */

static const row_t rows[] = {
    /* bytes that are not a Request */
    {"garbage", raw, E(ERR_MALFORMED), "do not decode", S("\xff\xff\xff\xff")},
    {"truncated varint", raw, E(ERR_MALFORMED), "do not decode", S("\x0a")},
    {"length past the end", raw, E(ERR_MALFORMED), "do not decode", S("\x0a\x7f\x01\x02")},
    {"wrong wire type for request_id", raw, E(ERR_MALFORMED), "do not decode", S("\x0d\x01\x02\x03\x04")},
    {"wrong wire type for commands", raw, E(ERR_MALFORMED), "do not decode", S("\x18\x05")},
    {"group wire type", raw, E(ERR_MALFORMED), "do not decode", S("\x0b\x0c")},
    {"depth bomb", depth_bomb, E(ERR_MALFORMED), "nested deeper", NULL, 0},
    {"10 MiB frame", big_frame, E(ERR_TOO_LARGE), "larger than the limit", NULL, 0},
    {"empty frame", raw, E(ERR_INVALID), "neither commands nor a query", "", 0},
    /* frames */
    {"no delimiter", no_delimiter, E(ERR_MALFORMED), "frames", NULL, 0},
    {"four frames", four_frames, E(ERR_MALFORMED), "frames", NULL, 0},
    /* well-formed but wrong */
    {"unknown or empty command", empty_command, E(ERR_INVALID), "unknown or empty command", NULL, 0},
    {"empty query", empty_query, E(ERR_INVALID), "empty", NULL, 0},
    {"request id of 65 bytes", request_shape, E(ERR_INVALID), "request_id", NULL, 65},
    {"no request id", request_shape, E(ERR_INVALID), "request_id", NULL, 0},
    {"commands and a query", request_shape, E(ERR_INVALID), "not both", "both", 4},
    {"1001 commands", many_commands, E(ERR_INVALID), "at most 1000", NULL, 0},
    {"empty id", hire_fields, E(ERR_INVALID), "hire.employee_id", S("|x|")},
    {"id too long", hire_fields, E(ERR_INVALID), "at most 32 bytes",
     S("an-id-that-is-far-too-long-for-ladder-0123456789|x|")},
    {"id with a space", hire_fields, E(ERR_INVALID), "only letters", S("e 1|x|")},
    {"non-UTF-8 name (C3 28)", hire_fields, E(ERR_INVALID), "UTF-8", S("e9|\xc3\x28|")},
    {"non-UTF-8 team (FF)", hire_fields, E(ERR_INVALID), "hire.team", S("e9|x|\xff")},
    /* issue 10 item 9: RFC 3629, each form of invalid UTF-8 */
    {"UTF-8 surrogate U+D800 (ED A0 80)", hire_fields, E(ERR_INVALID), "commands.hire.name: not UTF-8", S("u1|\xed\xa0\x80|")},
    {"UTF-8 surrogate U+DFFF (ED BF BF)", hire_fields, E(ERR_INVALID), "not UTF-8", S("u2|\xed\xbf\xbf|")},
    {"UTF-8 overlong 3-byte (E0 80 80)", hire_fields, E(ERR_INVALID), "not UTF-8", S("u3|\xe0\x80\x80|")},
    {"UTF-8 overlong 2-byte '/' (C0 AF)", hire_fields, E(ERR_INVALID), "not UTF-8", S("u4|\xc0\xaf|")},
    {"UTF-8 overlong 4-byte (F0 80 80 80)", hire_fields, E(ERR_INVALID), "not UTF-8", S("u5|\xf0\x80\x80\x80|")},
    {"UTF-8 above U+10FFFF (F4 90 80 80)", hire_fields, E(ERR_INVALID), "not UTF-8", S("u6|\xf4\x90\x80\x80|")},
    {"UTF-8 lead F5", hire_fields, E(ERR_INVALID), "not UTF-8", S("u7|\xf5\x80\x80\x80|")},
    {"UTF-8 lone continuation (80)", hire_fields, E(ERR_INVALID), "not UTF-8", S("u8|a\x80|")},
    {"UTF-8 truncated sequence (E2 82)", hire_fields, E(ERR_INVALID), "not UTF-8", S("u9|\xe2\x82|")},
    {"UTF-8 bad continuation in team (E2 28 A1)", hire_fields, E(ERR_INVALID), "commands.hire.team", S("u10|x|\xe2\x28\xa1")},
    /* issue 10 item 14: embedded NUL */
    {"NUL inside a name", hire_fields, E(ERR_INVALID), "commands.hire.name: holds a NUL", S("u11|nul\0tail|")},
    {"NUL inside an id", hire_fields, E(ERR_INVALID), "commands.hire.employee_id", S("u12\0x|x|")},
    {"NUL at the end of a team", hire_fields, E(ERR_INVALID), "holds a NUL", S("u13|x|t\0")},
    /* issue 10 item 1 */
    {"principal id of 65 bytes", long_principal, E(ERR_INVALID), "principal.id", NULL, 0},
    {"request id reused for another command", reuse_id, E(ERR_ID_REUSED), "different commands", NULL, 0},
    {"duplicate hire", hire_fields, E(ERR_DUPLICATE), "already exists", S("e1|x|")},
    {"hire by an employee", hire_by_employee, E(ERR_FORBIDDEN), "may not hire", NULL, 0},
    {"overflowing amount", adjust, E(ERR_INVALID), "adjust_points.amount", NULL, 1},
    {"zero amount", adjust, E(ERR_INVALID), "non-zero", NULL, 2},
    {"unknown employee", adjust, E(ERR_NOT_FOUND), "no employee ghost", "ghost", 3},
    {"time backwards", time_backwards, E(ERR_INVALID), "only moves forward", NULL, 0},
    {"negative test time", test_time, E(ERR_INVALID), "total_ms", NULL, 0},
    {"huge test time", test_time, E(ERR_INVALID), "total_ms", NULL, 1},
    {"unknown case", study, E(ERR_NOT_FOUND), "no case nope", "nope", 0},
    {"study for someone else", study, E(ERR_FORBIDDEN), "may not", "k1", 1},
    {"second rating", rate, E(ERR_DUPLICATE), "rates a case once", "e2", 0},
    {"rating out of range", rate, E(ERR_INVALID), "excellent, average or poor", "e1", 1},
    {"review of one's own", review, E(ERR_REFUSED), "own submission", "e1", 0},
    {"review in another's name", review, E(ERR_FORBIDDEN), "own name", "m1", 1},
    {"negative review amount", review, E(ERR_INVALID), "20 to 50", "m1", 2},
    {"grade of no exam", grade_no_exam, E(ERR_NOT_FOUND), "no exam", NULL, 0},
    {"board window out of range", board_window, E(ERR_INVALID), "§9", NULL, 0},
    {"batch with a refused command", batch_refused, E(ERR_DUPLICATE), "commands[1].hire.employee_id", NULL, 0},
};

static void run_row(void **state)
{
    const row_t *row = *state;
    Ladder__V1__Reply *r = row->send(row);
    if (!r)
        fail_msg("%s: no reply", row->name);
    if (r->outcome_case != LADDER__V1__REPLY__OUTCOME_ERROR) {
        ladder__v1__reply__free_unpacked(r, NULL);
        fail_msg("%s: accepted", row->name);
    }
    int code = (int)r->error->code;
    bool text = !row->text || strstr(r->error->message, row->text) || strstr(r->error->field, row->text);
    char msg[600];
    snprintf(msg, sizeof msg, "%s / %s", r->error->message, r->error->field);
    ladder__v1__reply__free_unpacked(r, NULL);
    if (code != row->code)
        fail_msg("%s: code %d, expected %d (%s)", row->name, code, row->code, msg);
    if (!text)
        fail_msg("%s: \"%s\" not in \"%s\"", row->name, row->text, msg);
}

/* After the catalogue: alive, nothing written, and a normal command works. */
static void test_after_catalogue_alive_and_unchanged(void **s)
{
    (void)s;
    assert_int_equal(head(), before);
    Ladder__V1__Reply *r = hire_named("e3", "Guo Li", NULL);
    assert_int_equal(r->outcome_case, LADDER__V1__REPLY__OUTCOME_OK);
    ladder__v1__reply__free_unpacked(r, NULL);
    assert_int_equal(head(), before + 1);
}

/* ReadEvents from seq 1 as principal who with roles. */
static Ladder__V1__Reply *read_as(const char *who, uint32_t roles)
{
    Ladder__V1__ReadEvents re = LADDER__V1__READ_EVENTS__INIT;
    re.from_seq = 1;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_READ_EVENTS;
    q.read_events = &re;
    Ladder__V1__Principal p = LADDER__V1__PRINCIPAL__INIT;
    p.id = (char *)who, p.roles = roles;
    Ladder__V1__Request req = LADDER__V1__REQUEST__INIT;
    req.query = &q;
    req.principal = &p;
    Ladder__V1__Reply *r = d_call(&D, &req);
    assert_non_null(r);
    assert_int_equal(r->outcome_case, LADDER__V1__REPLY__OUTCOME_OK);
    return r;
}

/* What one reader sees of the adjustment to e1 and of case s1's content. */
typedef struct {
    bool reason, content, redacted_adjust, redacted_case;
} seen_t;

static seen_t seen_by(const char *who, uint32_t roles)
{
    Ladder__V1__Reply *r = read_as(who, roles);
    seen_t v = {0};
    for (size_t i = 0; i < r->ok->events->n_events; i++) {
        const Ladder__V1__Event *e = r->ok->events->events[i];
        if (e->body_case == LADDER__V1__EVENT__BODY_POINTS_ADJUSTED &&
            !strcmp(e->points_adjusted->employee_id, "e1")) {
            v.reason = e->points_adjusted->reason && !strcmp(e->points_adjusted->reason, "private reason");
            v.redacted_adjust = e->redacted;
        }
        if (e->body_case == LADDER__V1__EVENT__BODY_CASE_SUBMITTED &&
            !strcmp(e->case_submitted->submission_id, "s1")) {
            v.content = e->case_submitted->content && e->case_submitted->content->root &&
                        !strcmp(e->case_submitted->content->root->customer_says, "Where is my refund?");
            v.redacted_case = e->redacted;
        }
    }
    ladder__v1__reply__free_unpacked(r, NULL);
    return v;
}

/* Issue 10 item 6, DOMAIN §1 v2: adjustment reasons are seen by the person,
 * managers and auditors; case content by reviewers and up and its author;
 * others get the event with that content removed and `redacted` set; evt.*
 * on PUB always carries the public view. */
static void test_s1_who_may_read_what(void **s)
{
    (void)s;
    void *sub = zmq_socket(D.zctx, ZMQ_SUB);
    int linger = 0, tmo = 5000;
    zmq_setsockopt(sub, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(sub, ZMQ_RCVTIMEO, &tmo, sizeof tmo);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "evt.", 4);
    zmq_connect(sub, D.pub_ep);
    usleep(300000);
    Ladder__V1__AdjustPoints ap = LADDER__V1__ADJUST_POINTS__INIT;
    ap.employee_id = "e1", ap.reason = "private reason", ap.amount = 7;
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_ADJUST_POINTS;
    c.adjust_points = &ap;
    must_ok(d_cmd(&D, &c), "adjust");
    /* evt.points_adjusted: the public view; the socket is closed before any
     * assertion (an open one would hold the group teardown's zmq_ctx_term) */
    bool got = false, recv_failed = false, redacted = false;
    char reason[64] = "";
    int64_t amount = 0;
    for (int i = 0; i < 50 && !got && !recv_failed; i++) {
        zmq_msg_t t, m;
        zmq_msg_init(&t), zmq_msg_init(&m);
        recv_failed = zmq_msg_recv(&t, sub, 0) < 0 || zmq_msg_recv(&m, sub, 0) < 0;
        Ladder__V1__Update *u =
            recv_failed ? NULL : ladder__v1__update__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
        if (u && u->payload_case == LADDER__V1__UPDATE__PAYLOAD_EVENT &&
            u->event->body_case == LADDER__V1__EVENT__BODY_POINTS_ADJUSTED) {
            got = true;
            redacted = u->event->redacted;
            amount = u->event->points_adjusted->amount;
            if (u->event->points_adjusted->reason)
                snprintf(reason, sizeof reason, "%s", u->event->points_adjusted->reason);
        }
        ladder__v1__update__free_unpacked(u, NULL);
        zmq_msg_close(&t), zmq_msg_close(&m);
    }
    zmq_close(sub);
    /* every fault is collected (the PUB view, then each reader of ReadEvents)
     * and reported together: one does not hide the others */
    char faults[4096] = "";
    size_t nf = 0;
#define FAULT(...)                                                                        \
    (nf = nf < sizeof faults ? nf : sizeof faults - 1,                                    \
     nf += (size_t)snprintf(faults + nf, sizeof faults - nf, __VA_ARGS__))
    if (!got)
        FAULT("no evt.points_adjusted update; ");
    else if (*reason || !redacted || amount != 7) /* points stay public */
        FAULT("evt.points_adjusted to every subscriber: reason \"%s\", redacted %d, amount %lld; ",
              reason, redacted, (long long)amount);

    const struct {
        const char *who;
        uint32_t roles;
        bool reason, content;
    } want[] = {
        {"e2", EMPLOYEE, false, false},                          /* another employee */
        {"e1", EMPLOYEE, true, true},                            /* the person, the author */
        {"m1", MANAGER, true, true},
        {"a1", LADDER__V1__ROLE__ROLE_AUDITOR, true, true},
        {"r1", LADDER__V1__ROLE__ROLE_REVIEWER, false, false},   /* claimed, not on the committee (§1 v2) */
        {"c1", LADDER__V1__ROLE__ROLE_CHAIR, false, true},
        {"svc", LADDER__V1__ROLE__ROLE_SERVICE, false, true},
        {"", 0, false, false},                                   /* nobody */
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        seen_t v = seen_by(want[i].who, want[i].roles);
        if (v.reason != want[i].reason || v.redacted_adjust == want[i].reason ||
            v.content != want[i].content || v.redacted_case == want[i].content)
            FAULT("ReadEvents as %s (roles %u): reason %d/redacted %d (want %d), content %d/redacted %d "
                  "(want %d); ", want[i].who, want[i].roles, v.reason, v.redacted_adjust,
                  want[i].reason, v.content, v.redacted_case, want[i].content);
    }
#undef FAULT
    if (*faults)
        fail_msg("%s", faults);
}

int main(void)
{
    enum { N = sizeof rows / sizeof *rows };
    static struct CMUnitTest tests[N + 2];
    static char names[N][160];
    for (size_t i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "hostile: %s", rows[i].name);
        tests[i] = (struct CMUnitTest){names[i], run_row, NULL, NULL, (void *)&rows[i]};
    }
    tests[N] = (struct CMUnitTest)cmocka_unit_test(test_after_catalogue_alive_and_unchanged);
    tests[N + 1] = (struct CMUnitTest)cmocka_unit_test(test_s1_who_may_read_what);
    return _cmocka_run_group_tests("test_hostile", tests, N + 2, group_setup, group_teardown);
}
