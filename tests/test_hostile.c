/* test_hostile.c — a catalogue of malformed and hostile requests against the
 * real ladderd: each gets an error reply with its code and the field or §;
 * afterwards the daemon is alive, the head seq is unchanged and a normal
 * command works. */
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
static int checked;

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

static void expect(const char *what, Ladder__V1__Reply *r, int code, const char *text)
{
    if (!r)
        fail_msg("%s: no reply", what);
    if (r->outcome_case != LADDER__V1__REPLY__OUTCOME_ERROR)
        fail_msg("%s: accepted", what);
    if ((int)r->error->code != code)
        fail_msg("%s: code %d, expected %d (%s)", what, r->error->code, code, r->error->message);
    if (text && !strstr(r->error->message, text) && !strstr(r->error->field, text))
        fail_msg("%s: \"%s\" not in \"%s\" / \"%s\"", what, text, r->error->message, r->error->field);
    ladder__v1__reply__free_unpacked(r, NULL);
    checked++;
}

static void raw(const char *what, const void *bytes, size_t len, int code, const char *text)
{
    expect(what, d_raw(&D, bytes, len), code, text);
}

static Ladder__V1__Reply *cmd_as(Ladder__V1__Command *c, const char *who, uint32_t roles)
{
    return d_cmd_as(&D, c, who, roles);
}

static void test_hostile_catalogue(void **s)
{
    (void)s;
    memset(&D, 0, sizeof D);
    snprintf(D.dir, sizeof D.dir, "/tmp/ladder-test-hostile-XXXXXX");
    assert_non_null(mkdtemp(D.dir));
    static const char *const manual[] = {"--clock", "manual", NULL};
    d_start(&D, manual);
    assert_true(d_ready(&D));

    /* a little state to be hostile against */
    Ladder__V1__AdvanceClock ac = LADDER__V1__ADVANCE_CLOCK__INIT;
    ac.to_ms = 1767542400000LL;
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_ADVANCE_CLOCK;
    c.advance_clock = &ac;
    Ladder__V1__Reply *r = d_cmd(&D, &c);
    assert_int_equal(r->outcome_case, LADDER__V1__REPLY__OUTCOME_OK);
    ladder__v1__reply__free_unpacked(r, NULL);
    Ladder__V1__Hire h = LADDER__V1__HIRE__INIT;
    h.employee_id = "e1", h.name = "Guo Li";
    c.cmd_case = LADDER__V1__COMMAND__CMD_HIRE;
    c.hire = &h;
    r = d_cmd(&D, &c);
    assert_int_equal(r->outcome_case, LADDER__V1__REPLY__OUTCOME_OK);
    ladder__v1__reply__free_unpacked(r, NULL);
    h.employee_id = "e2";
    ladder__v1__reply__free_unpacked(d_cmd(&D, &c), NULL);
    Ladder__V1__CaseNode root = LADDER__V1__CASE_NODE__INIT;
    root.customer_says = "Where is my refund?";
    Ladder__V1__CaseContent ct = LADDER__V1__CASE_CONTENT__INIT;
    ct.kind = LADDER__V1__CASE_KIND__CASE_KIND_TEXT, ct.title = "Refund", ct.root = &root;
    Ladder__V1__SubmitCase sc = LADDER__V1__SUBMIT_CASE__INIT;
    sc.submission_id = "s1", sc.case_id = "k1", sc.author_id = "e1", sc.content = &ct;
    c.cmd_case = LADDER__V1__COMMAND__CMD_SUBMIT_CASE;
    c.submit_case = &sc;
    ladder__v1__reply__free_unpacked(cmd_as(&c, "e1", EMPLOYEE), NULL);
    for (int k = 1; k <= 3; k++) {
        char who[8];
        snprintf(who, sizeof who, "m%d", k);
        Ladder__V1__ReviewCase rv = LADDER__V1__REVIEW_CASE__INIT;
        rv.submission_id = "s1", rv.reviewer_id = who, rv.verdict = LADDER__V1__VERDICT__VERDICT_APPROVE;
        rv.amount = 30, rv.level = 1, rv.category = "refunds";
        c.cmd_case = LADDER__V1__COMMAND__CMD_REVIEW_CASE;
        c.review_case = &rv;
        ladder__v1__reply__free_unpacked(cmd_as(&c, who, MANAGER), NULL);
    }
    Ladder__V1__RateCase rc = LADDER__V1__RATE_CASE__INIT;
    rc.case_id = "k1", rc.employee_id = "e2", rc.rating = LADDER__V1__RATING__RATING_EXCELLENT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_RATE_CASE;
    c.rate_case = &rc;
    r = cmd_as(&c, "e2", EMPLOYEE);
    assert_int_equal(r->outcome_case, LADDER__V1__REPLY__OUTCOME_OK);
    ladder__v1__reply__free_unpacked(r, NULL);
    uint64_t before = head();

    /* ---- bytes that are not a Request ---- */
    raw("garbage", "\xff\xff\xff\xff", 4, E(ERR_MALFORMED), "do not decode");
    raw("truncated varint", "\x0a", 1, E(ERR_MALFORMED), "do not decode");
    raw("length past the end", "\x0a\x7f\x01\x02", 4, E(ERR_MALFORMED), "do not decode");
    raw("wrong wire type for request_id", "\x0d\x01\x02\x03\x04", 5, E(ERR_MALFORMED), "do not decode");
    raw("wrong wire type for commands", "\x18\x05", 2, E(ERR_MALFORMED), "do not decode");
    raw("group wire type", "\x0b\x0c", 2, E(ERR_MALFORMED), "do not decode");
    /* a depth bomb: CaseNode.follow_ups nested 100000 deep inside a submit */
    {
        size_t depth = 100000, cap = depth * 8 + 64;
        uint8_t *inner = malloc(cap), *tmp = malloc(cap);
        size_t ilen = 0;
        /* wrap(tag, inner): tag, varint length, inner */
#define WRAP(tag)                                                              \
        do {                                                                   \
            size_t k_ = 0, l_ = ilen;                                          \
            tmp[k_++] = (tag);                                                 \
            do {                                                               \
                tmp[k_++] = (uint8_t)((l_ & 0x7f) | (l_ > 0x7f ? 0x80 : 0));   \
                l_ >>= 7;                                                      \
            } while (l_);                                                      \
            memmove(inner + k_, inner, ilen);                                  \
            memcpy(inner, tmp, k_);                                            \
            ilen += k_;                                                        \
        } while (0)
        for (size_t i = 0; i < depth; i++)
            WRAP(0x1a); /* CaseNode.follow_ups (3) */
        WRAP(0x22);     /* CaseContent.root (4) */
        WRAP(0x22);     /* SubmitCase.content (4) */
        WRAP(0x42);     /* Command.submit_case (8) */
        WRAP(0x1a);     /* Request.commands (3) */
#undef WRAP
        raw("depth bomb", inner, ilen, E(ERR_MALFORMED), "nested deeper");
        free(inner), free(tmp);
    }
    /* 10 MiB frame */
    {
        size_t big = 10u << 20;
        char *b = calloc(1, big);
        raw("10 MiB frame", b, big, E(ERR_TOO_LARGE), "larger than the limit");
        free(b);
    }
    raw("empty frame", "", 0, E(ERR_INVALID), "neither commands nor a query");

    /* ---- frames ---- */
    zmq_send(D.dealer, "\x0a\x01x", 3, 0); /* no empty delimiter */
    for (;;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        assert_true(zmq_msg_recv(&m, D.dealer, 0) >= 0);
        int more = zmq_msg_more(&m);
        if (!more) {
            expect("no delimiter", ladder__v1__reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m)),
                   E(ERR_MALFORMED), "frames");
            zmq_msg_close(&m);
            break;
        }
        zmq_msg_close(&m);
    }
    zmq_send(D.dealer, "", 0, ZMQ_SNDMORE);
    zmq_send(D.dealer, "x", 1, ZMQ_SNDMORE);
    zmq_send(D.dealer, "y", 1, 0);
    for (;;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        assert_true(zmq_msg_recv(&m, D.dealer, 0) >= 0);
        if (!zmq_msg_more(&m)) {
            expect("four frames", ladder__v1__reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m)),
                   E(ERR_MALFORMED), "frames");
            zmq_msg_close(&m);
            break;
        }
        zmq_msg_close(&m);
    }

    /* ---- well-formed but wrong ---- */
    Ladder__V1__Command empty = LADDER__V1__COMMAND__INIT;
    expect("unknown/empty command", d_cmd(&D, &empty), E(ERR_INVALID), "unknown or empty command");
    Ladder__V1__Query eq = LADDER__V1__QUERY__INIT;
    expect("empty query", d_query(&D, &eq), E(ERR_INVALID), "empty");
    {
        uint8_t rid[65] = {0};
        Ladder__V1__Request req = LADDER__V1__REQUEST__INIT;
        req.request_id = (ProtobufCBinaryData){65, rid};
        Ladder__V1__Command *cs[1] = {&c};
        req.n_commands = 1, req.commands = cs;
        expect("request id of 65 bytes", d_call(&D, &req), E(ERR_INVALID), "request_id");
        req.request_id.len = 0;
        expect("no request id", d_call(&D, &req), E(ERR_INVALID), "request_id");
        req.query = &eq;
        req.request_id.len = 4;
        expect("commands and a query", d_call(&D, &req), E(ERR_INVALID), "not both");
    }
    {
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
        expect("1001 commands", d_call(&D, &req), E(ERR_INVALID), "at most 1000");
    }
    Ladder__V1__Hire bad = LADDER__V1__HIRE__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_HIRE;
    c.hire = &bad;
    bad.employee_id = "", bad.name = "x";
    expect("empty id", d_cmd(&D, &c), E(ERR_INVALID), "hire.employee_id");
    bad.employee_id = "an-id-that-is-far-too-long-for-ladder-0123456789";
    expect("id too long", d_cmd(&D, &c), E(ERR_INVALID), "at most 32 bytes");
    bad.employee_id = "e 1";
    expect("id with a space", d_cmd(&D, &c), E(ERR_INVALID), "only letters");
    bad.employee_id = "e9", bad.name = "\xc3\x28";
    expect("non-UTF-8 name", d_cmd(&D, &c), E(ERR_INVALID), "UTF-8");
    bad.name = "x", bad.team = "\xff";
    expect("non-UTF-8 team", d_cmd(&D, &c), E(ERR_INVALID), "hire.team");
    bad.team = "";
    bad.employee_id = "e1";
    expect("duplicate hire", d_cmd(&D, &c), E(ERR_DUPLICATE), "already exists");
    expect("hire by an employee", cmd_as(&c, "e2", EMPLOYEE), E(ERR_FORBIDDEN), "may not hire");

    Ladder__V1__AdjustPoints ap = LADDER__V1__ADJUST_POINTS__INIT;
    ap.employee_id = "e1", ap.reason = "x";
    c.cmd_case = LADDER__V1__COMMAND__CMD_ADJUST_POINTS;
    c.adjust_points = &ap;
    ap.amount = INT64_MIN;
    expect("overflowing amount", d_cmd(&D, &c), E(ERR_INVALID), "adjust_points.amount");
    ap.amount = 0;
    expect("zero amount", d_cmd(&D, &c), E(ERR_INVALID), "non-zero");
    ap.amount = 5, ap.employee_id = "ghost";
    expect("unknown employee", d_cmd(&D, &c), E(ERR_NOT_FOUND), "no employee ghost");

    ac.to_ms = 5;
    c.cmd_case = LADDER__V1__COMMAND__CMD_ADVANCE_CLOCK;
    c.advance_clock = &ac;
    expect("time backwards", d_cmd(&D, &c), E(ERR_INVALID), "only moves forward");

    Ladder__V1__RecordQueryTest qt = LADDER__V1__RECORD_QUERY_TEST__INIT;
    qt.employee_id = "e1", qt.total_ms = -1;
    c.cmd_case = LADDER__V1__COMMAND__CMD_RECORD_QUERY_TEST;
    c.record_query_test = &qt;
    expect("negative test time", d_cmd(&D, &c), E(ERR_INVALID), "total_ms");
    qt.total_ms = INT64_MAX;
    expect("huge test time", d_cmd(&D, &c), E(ERR_INVALID), "total_ms");

    Ladder__V1__StudyCase st = LADDER__V1__STUDY_CASE__INIT;
    st.employee_id = "e2", st.case_id = "nope";
    c.cmd_case = LADDER__V1__COMMAND__CMD_STUDY_CASE;
    c.study_case = &st;
    expect("unknown case", cmd_as(&c, "e2", EMPLOYEE), E(ERR_NOT_FOUND), "no case nope");
    st.case_id = "k1";
    expect("study for someone else", cmd_as(&c, "e1", EMPLOYEE), E(ERR_FORBIDDEN), "may not");

    c.cmd_case = LADDER__V1__COMMAND__CMD_RATE_CASE;
    c.rate_case = &rc;
    expect("second rating", cmd_as(&c, "e2", EMPLOYEE), E(ERR_DUPLICATE), "rates a case once");
    rc.employee_id = "e1", rc.rating = 9;
    expect("rating out of range", cmd_as(&c, "e1", EMPLOYEE), E(ERR_INVALID), "excellent, average or poor");

    Ladder__V1__SubmitCase sc2 = LADDER__V1__SUBMIT_CASE__INIT;
    sc2.submission_id = "s2", sc2.case_id = "k2", sc2.author_id = "e1", sc2.content = &ct;
    c.cmd_case = LADDER__V1__COMMAND__CMD_SUBMIT_CASE;
    c.submit_case = &sc2;
    r = cmd_as(&c, "e1", EMPLOYEE);
    ladder__v1__reply__free_unpacked(r, NULL);
    uint64_t after_submit = head();
    Ladder__V1__ReviewCase own = LADDER__V1__REVIEW_CASE__INIT;
    own.submission_id = "s2", own.reviewer_id = "e1", own.verdict = LADDER__V1__VERDICT__VERDICT_APPROVE;
    own.amount = 30, own.level = 1, own.category = "x";
    c.cmd_case = LADDER__V1__COMMAND__CMD_REVIEW_CASE;
    c.review_case = &own;
    expect("review of one's own", cmd_as(&c, "e1", MANAGER), E(ERR_REFUSED), "own submission");
    own.reviewer_id = "m1";
    expect("review in another's name", cmd_as(&c, "m2", MANAGER), E(ERR_FORBIDDEN), "own name");
    own.amount = -30;
    expect("negative review amount", cmd_as(&c, "m1", MANAGER), E(ERR_INVALID), "20 to 50");

    Ladder__V1__GradeExam ge = LADDER__V1__GRADE_EXAM__INIT;
    uint32_t sc3[3] = {100, 100, 100};
    ge.exam_id = "no-exam", ge.n_scores = 3, ge.scores = sc3;
    c.cmd_case = LADDER__V1__COMMAND__CMD_GRADE_EXAM;
    c.grade_exam = &ge;
    expect("grade of no exam", d_cmd(&D, &c), E(ERR_NOT_FOUND), "no exam");

    Ladder__V1__GetBoard gb = LADDER__V1__GET_BOARD__INIT;
    gb.window = 9;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_BOARD;
    q.board = &gb;
    expect("board window out of range", d_query(&D, &q), E(ERR_INVALID), "§9");

    /* a batch whose second command is refused writes nothing at all */
    {
        Ladder__V1__Hire ok = LADDER__V1__HIRE__INIT;
        ok.employee_id = "fine", ok.name = "Fine";
        Ladder__V1__Command c1 = LADDER__V1__COMMAND__INIT, c2 = LADDER__V1__COMMAND__INIT;
        c1.cmd_case = LADDER__V1__COMMAND__CMD_HIRE;
        c1.hire = &ok;
        c2.cmd_case = LADDER__V1__COMMAND__CMD_HIRE;
        c2.hire = &ok; /* the same id again */
        Ladder__V1__Command *cs[2] = {&c1, &c2};
        Ladder__V1__Principal p = LADDER__V1__PRINCIPAL__INIT;
        p.id = "boss", p.roles = MANAGER;
        Ladder__V1__Request req = LADDER__V1__REQUEST__INIT;
        req.request_id = (ProtobufCBinaryData){5, (uint8_t *)"batch"};
        req.principal = &p;
        req.n_commands = 2, req.commands = cs;
        r = d_call(&D, &req);
        assert_non_null(r);
        assert_int_equal(r->error->command_index, 1);
        expect("batch with a refused command", r, E(ERR_DUPLICATE), "commands[1].hire.employee_id");
    }

    print_message("%d hostile requests answered with errors\n", checked);
    assert_true(checked >= 30);
    assert_int_equal(head(), after_submit);
    assert_int_equal(after_submit, before + 1);
    /* alive, and a normal command works */
    h.employee_id = "e3";
    c.cmd_case = LADDER__V1__COMMAND__CMD_HIRE;
    c.hire = &h;
    r = d_cmd(&D, &c);
    assert_int_equal(r->outcome_case, LADDER__V1__REPLY__OUTCOME_OK);
    ladder__v1__reply__free_unpacked(r, NULL);
    assert_int_equal(head(), after_submit + 1);
    d_destroy(&D);
    char cmdl[512];
    snprintf(cmdl, sizeof cmdl, "rm -rf %s", D.dir);
    assert_int_equal(system(cmdl), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_hostile_catalogue)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
