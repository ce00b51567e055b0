/* test_daemon.c — ladderd end to end, against the real binary: commands and
 * queries, updates on PUB with their seqs, the Clone pattern for late
 * joiners, restart from a snapshot, kill -9 under pipelined load, the manual
 * clock closing a retention year, and bad frames. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "client.h"

#define MANAGER LADDER__V1__ROLE__ROLE_MANAGER
#define EMPLOYEE LADDER__V1__ROLE__ROLE_EMPLOYEE
#define T0 1767542400000LL
#define DAY 86400000LL

static daemon_t D;
static const char *const MANUAL[] = {"--clock", "manual", NULL};

/* SUB sockets a test opened and has not closed: teardown closes them, or
 * zmq_ctx_term would wait for them for ever after a failed assertion. */
static void *OPEN_SUBS[64];

static int setup(void **s)
{
    (void)s;
    d_open(&D, "daemon", MANUAL);
    return 0;
}

static int teardown(void **s)
{
    (void)s;
    for (size_t i = 0; i < sizeof OPEN_SUBS / sizeof *OPEN_SUBS; i++)
        if (OPEN_SUBS[i]) {
            zmq_close(OPEN_SUBS[i]);
            OPEN_SUBS[i] = NULL;
        }
    assert_int_equal(d_remove(&D), 0);
    return 0;
}

/* ------------------------------------------------------------- helpers -- */

static void ok_or_fail(Ladder__V1__Reply *r, const char *what)
{
    if (!r)
        fail_msg("%s: no reply", what);
    if (r->outcome_case != LADDER__V1__REPLY__OUTCOME_OK)
        fail_msg("%s: refused: %s (%s)", what, r->error->message, r->error->field);
}

#define RUN(build, what)                                                 \
    do {                                                                 \
        Ladder__V1__Command c_ = LADDER__V1__COMMAND__INIT;              \
        build;                                                           \
        Ladder__V1__Reply *r_ = d_cmd(&D, &c_);                          \
        ok_or_fail(r_, what);                                            \
        ladder__v1__reply__free_unpacked(r_, NULL);                      \
    } while (0)

static void advance(int64_t to)
{
    Ladder__V1__AdvanceClock m = LADDER__V1__ADVANCE_CLOCK__INIT;
    m.to_ms = to;
    RUN((c_.cmd_case = LADDER__V1__COMMAND__CMD_ADVANCE_CLOCK, c_.advance_clock = &m), "advance");
}

static void hire(const char *id)
{
    Ladder__V1__Hire m = LADDER__V1__HIRE__INIT;
    m.employee_id = (char *)id;
    m.name = "Chen Jing";
    m.team = "alpha";
    m.centre = "north";
    RUN((c_.cmd_case = LADDER__V1__COMMAND__CMD_HIRE, c_.hire = &m), "hire");
}

static void adjust(const char *id, int64_t amount)
{
    Ladder__V1__AdjustPoints m = LADDER__V1__ADJUST_POINTS__INIT;
    m.employee_id = (char *)id;
    m.amount = amount;
    m.reason = "test";
    RUN((c_.cmd_case = LADDER__V1__COMMAND__CMD_ADJUST_POINTS, c_.adjust_points = &m), "adjust");
}

static Ladder__V1__EmployeeView *employee(const char *id, Ladder__V1__Reply **keep)
{
    Ladder__V1__GetEmployee g = LADDER__V1__GET_EMPLOYEE__INIT;
    g.employee_id = (char *)id;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_EMPLOYEE;
    q.employee = &g;
    *keep = d_query(&D, &q);
    ok_or_fail(*keep, "employee");
    return (*keep)->ok->employee;
}

static Ladder__V1__StatsView *stats(Ladder__V1__Reply **keep)
{
    Ladder__V1__Stats st = LADDER__V1__STATS__INIT;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_STATS;
    q.stats = &st;
    *keep = d_query(&D, &q);
    ok_or_fail(*keep, "stats");
    return (*keep)->ok->stats;
}

static uint64_t live_subscriptions(void)
{
    Ladder__V1__Reply *keep;
    uint64_t n = stats(&keep)->subscriptions;
    ladder__v1__reply__free_unpacked(keep, NULL);
    return n;
}

/* Twenty cases at level 1 through the review flow: ten land in the test half. */
static void library_level_1(void)
{
    hire("author");
    for (int i = 0; i < 20; i++) {
        char sub[16], id[16];
        snprintf(sub, sizeof sub, "s%d", i);
        snprintf(id, sizeof id, "case%d", i);
        Ladder__V1__CaseNode root = LADDER__V1__CASE_NODE__INIT;
        root.customer_says = "Why is my bill higher this month?";
        Ladder__V1__CaseContent ct = LADDER__V1__CASE_CONTENT__INIT;
        ct.kind = LADDER__V1__CASE_KIND__CASE_KIND_TEXT;
        ct.title = "Bill higher";
        ct.root = &root;
        Ladder__V1__SubmitCase m = LADDER__V1__SUBMIT_CASE__INIT;
        m.submission_id = sub, m.case_id = id, m.author_id = "author", m.content = &ct;
        RUN((c_.cmd_case = LADDER__V1__COMMAND__CMD_SUBMIT_CASE, c_.submit_case = &m), "submit");
        for (int k = 1; k <= 3; k++) {
            char who[8];
            snprintf(who, sizeof who, "rev%d", k);
            Ladder__V1__ReviewCase rv = LADDER__V1__REVIEW_CASE__INIT;
            rv.submission_id = sub, rv.reviewer_id = who;
            rv.verdict = LADDER__V1__VERDICT__VERDICT_APPROVE;
            rv.amount = 30, rv.level = 1, rv.category = "billing";
            Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
            c.cmd_case = LADDER__V1__COMMAND__CMD_REVIEW_CASE;
            c.review_case = &rv;
            Ladder__V1__Reply *r = d_cmd_as(&D, &c, who, MANAGER);
            ok_or_fail(r, "review");
            ladder__v1__reply__free_unpacked(r, NULL);
        }
    }
}

/* Takes id from level 0 to 1 through the protocol; returns the Promoted seq. */
static uint64_t promote_to_1(const char *id)
{
    adjust(id, 750);
    Ladder__V1__CompleteTask t = LADDER__V1__COMPLETE_TASK__INIT;
    t.employee_id = (char *)id, t.task_id = "level-0";
    RUN((c_.cmd_case = LADDER__V1__COMMAND__CMD_COMPLETE_TASK, c_.complete_task = &t), "task");
    Ladder__V1__RecordQueryTest qt = LADDER__V1__RECORD_QUERY_TEST__INIT;
    qt.employee_id = (char *)id, qt.total_ms = 118000;
    RUN((c_.cmd_case = LADDER__V1__COMMAND__CMD_RECORD_QUERY_TEST, c_.record_query_test = &qt), "qt");
    for (int i = 0; i < 20; i += 2) { /* the even cases are the training half (§4 v2) */
        char cid[16];
        snprintf(cid, sizeof cid, "case%d", i);
        Ladder__V1__StudyCase st = LADDER__V1__STUDY_CASE__INIT;
        st.employee_id = (char *)id, st.case_id = cid;
        Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
        c.cmd_case = LADDER__V1__COMMAND__CMD_STUDY_CASE;
        c.study_case = &st;
        Ladder__V1__Reply *r = d_cmd_as(&D, &c, id, EMPLOYEE);
        ok_or_fail(r, "study");
        ladder__v1__reply__free_unpacked(r, NULL);
    }
    char exam[32];
    snprintf(exam, sizeof exam, "exam-%s", id);
    Ladder__V1__DrawExam dx = LADDER__V1__DRAW_EXAM__INIT;
    dx.exam_id = exam, dx.employee_id = (char *)id; /* seed 0: the daemon draws one */
    RUN((c_.cmd_case = LADDER__V1__COMMAND__CMD_DRAW_EXAM, c_.draw_exam = &dx), "draw");
    uint32_t scores[10] = {90, 90, 90, 90, 90, 90, 90, 90, 90, 90};
    Ladder__V1__GradeExam gx = LADDER__V1__GRADE_EXAM__INIT;
    gx.exam_id = exam, gx.n_scores = 10, gx.scores = scores;
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_GRADE_EXAM;
    c.grade_exam = &gx;
    Ladder__V1__Reply *r = d_cmd(&D, &c);
    ok_or_fail(r, "grade");
    assert_int_equal(r->ok->n_seqs, 2); /* graded, promoted */
    uint64_t promoted = r->ok->seqs[1];
    ladder__v1__reply__free_unpacked(r, NULL);
    return promoted;
}


static void *sub_track(void *sub)
{
    for (size_t i = 0; i < sizeof OPEN_SUBS / sizeof *OPEN_SUBS; i++)
        if (!OPEN_SUBS[i])
            return OPEN_SUBS[i] = sub;
    fail_msg("more than %zu SUB sockets open", sizeof OPEN_SUBS / sizeof *OPEN_SUBS);
    return NULL;
}

static void sub_close(void *sub)
{
    for (size_t i = 0; i < sizeof OPEN_SUBS / sizeof *OPEN_SUBS; i++)
        if (OPEN_SUBS[i] == sub)
            OPEN_SUBS[i] = NULL;
    zmq_close(sub);
}

static uint64_t live_subscriptions(void);

/* A SUB on topic, returned once ladderd counts the subscription (its XPUB
 * applies it), so no update of the test can pass before it: a fixed sleep
 * lost the race on a loaded machine. */
static void *subscribe(const char *topic)
{
    uint64_t before = live_subscriptions();
    void *sub = sub_track(zmq_socket(D.zctx, ZMQ_SUB));
    int linger = 0, tmo = 5000;
    zmq_setsockopt(sub, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(sub, ZMQ_RCVTIMEO, &tmo, sizeof tmo);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, topic, strlen(topic));
    zmq_connect(sub, D.pub_ep);
    for (int i = 0; i < 500 && live_subscriptions() <= before; i++)
        usleep(10000);
    if (live_subscriptions() <= before)
        fail_msg("ladderd did not count the subscription to \"%s\" within 5 s", topic);
    return sub;
}

/* Next update on sub, or NULL on timeout; topic copied into topic. */
static Ladder__V1__Update *next_update(void *sub, char *topic, size_t tlen)
{
    int n = zmq_recv(sub, topic, tlen - 1, 0);
    if (n < 0)
        return NULL;
    topic[n < (int)tlen - 1 ? n : (int)tlen - 1] = 0;
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, sub, 0) < 0) {
        zmq_msg_close(&m);
        return NULL;
    }
    Ladder__V1__Update *u = ladder__v1__update__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
    zmq_msg_close(&m);
    return u;
}

/* --------------------------------------------------------------- tests -- */

static void test_promotion_through_the_protocol_publishes_level_update(void **s)
{
    (void)s;
    void *sub = subscribe("level.");
    advance(T0);
    hire("e1");
    library_level_1();
    uint64_t promoted = promote_to_1("e1");
    char topic[64];
    Ladder__V1__Update *u = next_update(sub, topic, sizeof topic);
    assert_non_null(u);
    assert_string_equal(topic, "level.e1");
    assert_int_equal(u->seq, promoted);
    assert_int_equal(u->payload_case, LADDER__V1__UPDATE__PAYLOAD_LEVEL);
    assert_int_equal(u->level->level->level, 1);
    assert_string_equal(u->level->level->title_en, "Undergraduate");
    assert_string_equal(u->level->level->title_zh, "大学生");
    assert_int_equal(u->level->level->salary_grade, 2);
    assert_true(u->level->level->n_privileges > 0);
    ladder__v1__update__free_unpacked(u, NULL);
    Ladder__V1__Reply *keep;
    Ladder__V1__EmployeeView *v = employee("e1", &keep);
    assert_int_equal(v->level->level, 1);
    assert_int_equal(v->retention_deadline_ms, T0 + 365 * DAY);
    ladder__v1__reply__free_unpacked(keep, NULL);
    sub_close(sub);
}

static void test_board_updates_are_coalesced_and_carry_seqs(void **s)
{
    (void)s;
    void *sub = subscribe("board.all/org");
    advance(T0);
    hire("b1");
    hire("b2");
    adjust("b1", 10);
    adjust("b2", 30);
    adjust("b1", 50); /* three changes within 100 ms: one update, the last seq */
    char topic[64];
    Ladder__V1__Update *u = next_update(sub, topic, sizeof topic);
    assert_non_null(u);
    assert_string_equal(topic, "board.all/org");
    assert_int_equal(u->payload_case, LADDER__V1__UPDATE__PAYLOAD_BOARD);
    Ladder__V1__Reply *keep;
    uint64_t head = stats(&keep)->head_seq;
    ladder__v1__reply__free_unpacked(keep, NULL);
    if (u->seq != head) {
        /* the first update may have gone out between the adjusts: the next one has the last */
        ladder__v1__update__free_unpacked(u, NULL);
        u = next_update(sub, topic, sizeof topic);
        assert_non_null(u);
    }
    assert_int_equal(u->seq, head);
    assert_int_equal(u->board->n_rows, 2);
    assert_string_equal(u->board->rows[0]->employee_id, "b1");
    assert_int_equal(u->board->rows[0]->points, 60);
    ladder__v1__update__free_unpacked(u, NULL);
    sub_close(sub);
}

/* §9, §7: a demotion moves the employee off the boards of the level they
 * left: board.all/level:1 (every window) is published again without them (the publisher
 * derives it from the event kind's effects, projections/commands.h). */
static void test_s9_demotion_publishes_the_level_board_it_left(void **s)
{
    (void)s;
    void *sub = subscribe("board.all/level:1");
    advance(T0);
    hire("e1");
    library_level_1();
    promote_to_1("e1");
    char topic[64];
    Ladder__V1__Update *u;
    bool on = false;
    while (!on && (u = next_update(sub, topic, sizeof topic))) {
        assert_string_equal(topic, "board.all/level:1");
        on = u->board->n_rows == 1 && !strcmp(u->board->rows[0]->employee_id, "e1");
        ladder__v1__update__free_unpacked(u, NULL);
    }
    assert_true(on);
    Ladder__V1__Reply *keep;
    int64_t end = employee("e1", &keep)->retention_deadline_ms;
    ladder__v1__reply__free_unpacked(keep, NULL);
    advance(end); /* the year closes unmet: demoted to level 0 */
    assert_int_equal(employee("e1", &keep)->level->level, 0);
    ladder__v1__reply__free_unpacked(keep, NULL);
    uint64_t head = stats(&keep)->head_seq;
    ladder__v1__reply__free_unpacked(keep, NULL);
    /* updates of before the demotion may still be queued; then it comes
     * (before the table, this board was never published again) */
    bool off = false;
    while (!off && (u = next_update(sub, topic, sizeof topic))) {
        off = u->board->n_rows == 0;
        if (off)
            assert_true(u->seq <= head && u->seq + 3 >= head);
        ladder__v1__update__free_unpacked(u, NULL);
    }
    assert_true(off);
    sub_close(sub);
}

/* §9 through the daemon: 40 people in 4 teams and 2 centres change at
 * once. The daemon moves them onto the boards a bounded step per loop turn
 * and publishes a round LD_BOARDS_SLICE boards per turn (issue 12: neither
 * in front of a reply), yet every one of the 40 boards they stand on is
 * published with the last seq, and board.all/org and a GetBoard answer the
 * order the test computes. */
static Ladder__V1__Board *board_query(const char *window_scope_value, int window, int scope,
                                      Ladder__V1__Reply **keep)
{
    Ladder__V1__GetBoard g = LADDER__V1__GET_BOARD__INIT;
    g.window = (Ladder__V1__BoardWindow)window;
    g.scope = (Ladder__V1__BoardScope)scope;
    g.scope_value = (char *)window_scope_value;
    g.top = 10;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_BOARD;
    q.board = &g;
    *keep = d_query(&D, &q);
    ok_or_fail(*keep, "board");
    return (*keep)->ok->board;
}

static void test_s9_boards_stepped_and_published_in_slices_stay_exact(void **s)
{
    (void)s;
    void *sub = subscribe("board.");
    advance(T0);
    char id[16], team[8], centre[8];
    for (int i = 0; i < 40; i++) {
        snprintf(id, sizeof id, "p%02d", i);
        snprintf(team, sizeof team, "t%d", i % 4);
        snprintf(centre, sizeof centre, "c%d", i % 2);
        Ladder__V1__Hire m = LADDER__V1__HIRE__INIT;
        m.employee_id = id, m.name = "Bench", m.team = team, m.centre = centre;
        RUN((c_.cmd_case = LADDER__V1__COMMAND__CMD_HIRE, c_.hire = &m), "hire");
    }
    for (int i = 0; i < 40; i++) {
        snprintf(id, sizeof id, "p%02d", i);
        adjust(id, 1 + i * 7 % 40); /* distinct: 1..40, p17 has 40 */
    }
    Ladder__V1__Reply *keep;
    uint64_t head = stats(&keep)->head_seq;
    ladder__v1__reply__free_unpacked(keep, NULL);
    /* the order the test computes: points 40 down to 31 */
    const char *top[10];
    static char ids[40][8];
    for (int i = 0; i < 40; i++) {
        int pts = 1 + i * 7 % 40;
        snprintf(ids[i], sizeof ids[i], "p%02d", i);
        if (pts > 30)
            top[40 - pts] = ids[i];
    }
    Ladder__V1__Board *b = board_query("", 0, 0, &keep);
    assert_int_equal(b->n_rows, 10);
    for (int k = 0; k < 10; k++) {
        assert_string_equal(b->rows[k]->employee_id, top[k]);
        assert_int_equal(b->rows[k]->points, 40 - k);
    }
    ladder__v1__reply__free_unpacked(keep, NULL);
    /* 5 windows x (org, 2 centres, 4 teams, level 0): each published with
     * the seq of its last change (p_i's adjust is head - 39 + i; team t's
     * last member is p(36 + t), centre c's p(38 + c)) */
    static const char *const win[] = {"all", "week", "month", "quarter", "year"};
    const char *scopes[] = {"org", "centre:c0", "centre:c1", "team:t0", "team:t1",
                            "team:t2", "team:t3", "level:0"};
    const uint64_t last[] = {head, head - 1, head, head - 3, head - 2, head - 1, head, head};
    bool seen[5][8] = {{false}};
    int left = 40;
    char topic[64];
    Ladder__V1__Update *u;
    while (left && (u = next_update(sub, topic, sizeof topic))) {
        for (int w = 0; w < 5; w++)
            for (int k = 0; k < 8; k++) {
                char want[64];
                snprintf(want, sizeof want, "board.%s/%s", win[w], scopes[k]);
                if (strcmp(topic, want) || u->seq != last[k] || seen[w][k])
                    continue;
                seen[w][k] = true;
                left--;
                if (w == 0 && k == 0) {
                    assert_int_equal(u->board->n_rows, 10);
                    for (int r = 0; r < 10; r++)
                        assert_string_equal(u->board->rows[r]->employee_id, top[r]);
                }
            }
        ladder__v1__update__free_unpacked(u, NULL);
    }
    if (left)
        fail_msg("%d of the 40 boards were not published with their last change's seq", left);
    sub_close(sub);
}

static void test_case_ranking_updates_per_partition(void **s)
{
    (void)s;
    void *sub = subscribe("cases.1.billing");
    advance(T0);
    library_level_1();
    char topic[64];
    Ladder__V1__Update *u = next_update(sub, topic, sizeof topic);
    assert_non_null(u);
    assert_string_equal(topic, "cases.1.billing");
    assert_int_equal(u->payload_case, LADDER__V1__UPDATE__PAYLOAD_CASES);
    assert_int_equal(u->cases->level, 1);
    assert_true(u->cases->n_rows >= 1);
    assert_int_equal(u->cases->rows[u->cases->n_rows - 1]->eviction_order, 1);
    ladder__v1__update__free_unpacked(u, NULL);
    sub_close(sub);
}

static void test_repeated_request_id_gets_the_original_reply(void **s)
{
    (void)s;
    Ladder__V1__Hire h = LADDER__V1__HIRE__INIT;
    h.employee_id = "dup1", h.name = "Zhou";
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_HIRE;
    c.hire = &h;
    Ladder__V1__Command *cs[1] = {&c};
    Ladder__V1__Principal p = LADDER__V1__PRINCIPAL__INIT;
    p.id = "boss", p.roles = MANAGER;
    Ladder__V1__Request req = LADDER__V1__REQUEST__INIT;
    req.request_id = (ProtobufCBinaryData){5, (uint8_t *)"dup-1"};
    req.principal = &p;
    req.n_commands = 1;
    req.commands = cs;
    Ladder__V1__Reply *a = d_call(&D, &req), *b = d_call(&D, &req);
    ok_or_fail(a, "first");
    ok_or_fail(b, "second"); /* not "already exists": the same answer */
    assert_int_equal(a->ok->n_seqs, 1);
    assert_int_equal(b->ok->n_seqs, 1);
    assert_int_equal(a->ok->seqs[0], b->ok->seqs[0]);
    ladder__v1__reply__free_unpacked(a, NULL);
    ladder__v1__reply__free_unpacked(b, NULL);
    /* durable across a restart */
    assert_true(WIFEXITED(d_stop(&D, SIGTERM)));
    d_start(&D, MANUAL);
    assert_true(d_ready(&D));
    b = d_call(&D, &req);
    ok_or_fail(b, "after restart");
    assert_int_equal(b->ok->seqs[0], 1);
    ladder__v1__reply__free_unpacked(b, NULL);
}

/* §12 with seen.c's filter of written request ids: each of 200 ids asked
 * again gets its first outcome while the daemon runs (ids added as they are
 * submitted), after a restart (the filter built from the store) and once the
 * filter is certainly built; a new id is decided. */
static Ladder__V1__Reply *hire_with_id(const char *rid, const char *emp)
{
    Ladder__V1__Hire h = LADDER__V1__HIRE__INIT;
    h.employee_id = (char *)emp, h.name = "Wu";
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_HIRE;
    c.hire = &h;
    Ladder__V1__Command *cs[1] = {&c};
    Ladder__V1__Principal p = LADDER__V1__PRINCIPAL__INIT;
    p.id = "boss", p.roles = MANAGER;
    Ladder__V1__Request req = LADDER__V1__REQUEST__INIT;
    req.request_id = (ProtobufCBinaryData){strlen(rid), (uint8_t *)rid};
    req.principal = &p;
    req.n_commands = 1;
    req.commands = cs;
    return d_call(&D, &req);
}

static void test_s12_every_repeated_id_answered_through_the_filter(void **s)
{
    (void)s;
    enum { N = 200 };
    uint64_t seq[N];
    char rid[32], emp[32];
    for (int round = 0; round < 4; round++) {
        if (round == 2) { /* a restart: the filter is built from the store */
            assert_true(WIFEXITED(d_stop(&D, SIGTERM)));
            d_start(&D, MANUAL);
            assert_true(d_ready(&D));
        }
        if (round == 3)
            usleep(300000); /* the build has certainly finished */
        for (int i = 0; i < N; i++) {
            snprintf(rid, sizeof rid, "filter-%04d", i);
            snprintf(emp, sizeof emp, "f%d", i);
            Ladder__V1__Reply *r = hire_with_id(rid, emp);
            ok_or_fail(r, rid);
            assert_int_equal(r->ok->n_seqs, 1);
            if (round == 0)
                seq[i] = r->ok->seqs[0];
            else if (r->ok->seqs[0] != seq[i])
                fail_msg("round %d: %s answered seq %llu, first %llu", round, rid,
                         (unsigned long long)r->ok->seqs[0], (unsigned long long)seq[i]);
            ladder__v1__reply__free_unpacked(r, NULL);
        }
    }
    Ladder__V1__Reply *r = hire_with_id("filter-new", "f-new");
    ok_or_fail(r, "a new id");
    assert_int_equal(r->ok->seqs[0], seq[N - 1] + 1);
    ladder__v1__reply__free_unpacked(r, NULL);
}

static void test_late_joiner_clone_pattern_converges(void **s)
{
    (void)s;
    char ids[5][8];
    for (int i = 0; i < 5; i++) {
        snprintf(ids[i], sizeof ids[i], "p%d", i);
        hire(ids[i]);
        adjust(ids[i], 10 * (i + 1));
    }
    void *sub = subscribe("points.");
    /* snapshot after subscribing; changes keep coming meanwhile */
    Ladder__V1__Snapshot sn = LADDER__V1__SNAPSHOT__INIT;
    sn.topic_prefix = "points.";
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_SNAPSHOT;
    q.snapshot = &sn;
    for (int i = 0; i < 5; i++)
        adjust(ids[i], 7);
    Ladder__V1__Reply *snap = d_query(&D, &q);
    ok_or_fail(snap, "snapshot");
    uint64_t seq = snap->ok->snapshot->seq;
    int64_t total[5] = {0};
    assert_int_equal(snap->ok->snapshot->n_updates, 5);
    for (size_t k = 0; k < snap->ok->snapshot->n_updates; k++) {
        Ladder__V1__Update *u = snap->ok->snapshot->updates[k];
        int i = atoi(u->points->employee_id + 1);
        total[i] = u->points->total;
    }
    ladder__v1__reply__free_unpacked(snap, NULL);
    for (int i = 0; i < 5; i++)
        adjust(ids[i], 100 + i);
    /* apply the updates after the snapshot's seq, drop the older ones */
    int applied = 0, dropped = 0;
    uint64_t prev = 0;
    for (int k = 0; k < 10; k++) {
        char topic[64];
        Ladder__V1__Update *u = next_update(sub, topic, sizeof topic);
        assert_non_null(u);
        assert_true(u->seq > prev); /* no gap detection needed: in order */
        prev = u->seq;
        if (u->seq > seq) {
            total[atoi(u->points->employee_id + 1)] = u->points->total;
            applied++;
        } else {
            dropped++;
        }
        ladder__v1__update__free_unpacked(u, NULL);
    }
    assert_int_equal(applied, 5);
    assert_int_equal(dropped, 5);
    for (int i = 0; i < 5; i++) {
        Ladder__V1__Reply *keep;
        assert_int_equal(employee(ids[i], &keep)->points_total, total[i]);
        assert_int_equal(total[i], 10 * (i + 1) + 7 + 100 + i);
        ladder__v1__reply__free_unpacked(keep, NULL);
    }
    sub_close(sub);
}

/* The next update on sub, raw: its topic and body bytes (malloc'd), or
 * false on timeout. */
static bool next_raw(void *sub, char *topic, size_t tlen, uint8_t **body, size_t *blen)
{
    int n = zmq_recv(sub, topic, tlen - 1, 0);
    if (n < 0)
        return false;
    topic[n < (int)tlen - 1 ? n : (int)tlen - 1] = 0;
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, sub, 0) < 0) {
        zmq_msg_close(&m);
        return false;
    }
    *blen = zmq_msg_size(&m);
    *body = malloc(*blen ? *blen : 1);
    memcpy(*body, zmq_msg_data(&m), *blen);
    zmq_msg_close(&m);
    return true;
}

/* evt.* and points.* updates are packed when they are sent (publisher.c),
 * evt.* with Event's descriptor cut to its body member: each body is the
 * bytes protobuf-c packs for what it decodes to, evt.* carries the public
 * view (§1: an adjustment's reason redacted), and prev_seq chains each topic
 * (PROTOCOL.md "Gap detection"). */
static void test_s1_evt_and_points_updates_are_protobuf_c_packing_chained_by_prev_seq(void **s)
{
    (void)s;
    hire("pk1");
    void *evt = subscribe("evt.points_adjusted");
    void *pts = subscribe("points.pk1");
    adjust("pk1", 5);
    adjust("pk1", 6);
    void *subs[2] = {evt, pts};
    for (int w = 0; w < 2; w++) {
        uint64_t prev = 0;
        for (int k = 0; k < 2; k++) {
            char topic[64];
            uint8_t *body = NULL;
            size_t blen = 0;
            if (!next_raw(subs[w], topic, sizeof topic, &body, &blen))
                fail_msg("update %d of %s: none within 5 s", k, w ? "points.pk1" : "evt.*");
            Ladder__V1__Update *u = ladder__v1__update__unpack(NULL, blen, body);
            assert_non_null(u);
            size_t want = ladder__v1__update__get_packed_size(u);
            uint8_t *again = malloc(want);
            assert_int_equal(ladder__v1__update__pack(u, again), want);
            if (want != blen || memcmp(again, body, blen))
                fail_msg("%s: %zu bytes sent, protobuf-c packs %zu", topic, blen, want);
            assert_string_equal(u->topic, topic);
            if (k)
                assert_int_equal(u->prev_seq, prev);
            prev = u->seq;
            if (w == 0) {
                assert_string_equal(topic, "evt.points_adjusted");
                assert_int_equal(u->payload_case, LADDER__V1__UPDATE__PAYLOAD_EVENT);
                assert_int_equal(u->event->seq, u->seq);
                assert_int_equal(u->event->points_adjusted->amount, k ? 6 : 5);
                assert_true(u->event->redacted);
                assert_true(!u->event->points_adjusted->reason || !*u->event->points_adjusted->reason);
            } else {
                assert_string_equal(topic, "points.pk1");
                assert_int_equal(u->payload_case, LADDER__V1__UPDATE__PAYLOAD_POINTS);
                assert_string_equal(u->points->employee_id, "pk1");
                assert_int_equal(u->points->delta, k ? 6 : 5);
                assert_int_equal(u->points->total, k ? 11 : 5);
            }
            ladder__v1__update__free_unpacked(u, NULL);
            free(again);
            free(body);
        }
    }
    sub_close(evt);
    sub_close(pts);
}

static void test_restart_answers_the_same_and_replays_only_the_tail(void **s)
{
    (void)s;
    advance(T0);
    for (int i = 0; i < 30; i++) {
        char id[8];
        snprintf(id, sizeof id, "r%d", i);
        hire(id);
        adjust(id, i + 1);
    }
    Ladder__V1__Reply *k1, *k2;
    Ladder__V1__EmployeeView *before = employee("r17", &k1);
    assert_true(WIFEXITED(d_stop(&D, SIGTERM))); /* clean: snapshot written */
    d_start(&D, MANUAL);
    assert_true(d_ready(&D));
    Ladder__V1__EmployeeView *after = employee("r17", &k2);
    assert_int_equal(after->points_total, before->points_total);
    assert_int_equal(after->hired_ms, before->hired_ms);
    assert_string_equal(after->name, before->name);
    ladder__v1__reply__free_unpacked(k1, NULL), ladder__v1__reply__free_unpacked(k2, NULL);
    Ladder__V1__StatsView *st = stats(&k1);
    assert_int_equal(st->events_replayed_at_start, 0);
    assert_int_equal(st->head_seq, 61);
    ladder__v1__reply__free_unpacked(k1, NULL);
    /* three more events, then a crash: only those three are replayed */
    adjust("r1", 1), adjust("r2", 1), adjust("r3", 1);
    d_stop(&D, SIGKILL);
    d_start(&D, MANUAL);
    assert_true(d_ready(&D));
    st = stats(&k1);
    assert_int_equal(st->events_replayed_at_start, 3);
    assert_int_equal(st->head_seq, 64);
    ladder__v1__reply__free_unpacked(k1, NULL);
    assert_int_equal(employee("r2", &k1)->points_total, 4);
    ladder__v1__reply__free_unpacked(k1, NULL);
}

static void test_manual_clock_closes_the_year_and_demotes_at_the_instant(void **s)
{
    (void)s;
    void *sub = subscribe("level.e1");
    advance(T0);
    hire("e1");
    library_level_1();
    promote_to_1("e1");
    char topic[64];
    Ladder__V1__Update *u = next_update(sub, topic, sizeof topic);
    assert_non_null(u);
    ladder__v1__update__free_unpacked(u, NULL);
    Ladder__V1__Reply *keep;
    int64_t end = employee("e1", &keep)->retention_deadline_ms;
    ladder__v1__reply__free_unpacked(keep, NULL);
    advance(end - 1);
    assert_int_equal(employee("e1", &keep)->level->level, 1);
    ladder__v1__reply__free_unpacked(keep, NULL);
    advance(end);
    u = next_update(sub, topic, sizeof topic);
    assert_non_null(u);
    assert_string_equal(u->level->cause, "demoted");
    assert_int_equal(u->level->from_level, 1);
    assert_int_equal(u->level->level->level, 0);
    ladder__v1__update__free_unpacked(u, NULL);
    Ladder__V1__EmployeeView *v = employee("e1", &keep);
    assert_int_equal(v->level->level, 0);
    assert_non_null(strstr(v->appeal_status, "open until"));
    ladder__v1__reply__free_unpacked(keep, NULL);
    /* the appeal window closes by itself 30 days later */
    advance(end + 30 * DAY);
    v = employee("e1", &keep);
    assert_string_equal(v->appeal_status, "expired");
    ladder__v1__reply__free_unpacked(keep, NULL);
    sub_close(sub);
}

static void expect_error(Ladder__V1__Reply *r, int code, const char *text);

static Ladder__V1__Reply *query_rules(uint32_t version)
{
    Ladder__V1__GetRules g = LADDER__V1__GET_RULES__INIT;
    g.version = version;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_RULES;
    q.rules = &g;
    return d_query(&D, &q);
}

static size_t ranking_rows(bool history)
{
    Ladder__V1__GetCaseRanking g = LADDER__V1__GET_CASE_RANKING__INIT;
    g.level = 1, g.category = "billing", g.history = history;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_CASE_RANKING;
    q.case_ranking = &g;
    Ladder__V1__Reply *r = d_query(&D, &q);
    ok_or_fail(r, "case ranking");
    size_t n = r->ok->case_ranking->n_rows;
    ladder__v1__reply__free_unpacked(r, NULL);
    return n;
}

/* §10 v2 through the protocol: two documents merge (fault 5), the rules query
 * lists both versions with their seqs; §4 v2: the partition stands above its
 * cap while its cases are young, and the library check fires as a deadline
 * when the manual clock reaches the 180th day. */
static void test_s10_rules_merge_and_s4_library_check_through_the_protocol(void **s)
{
    (void)s;
    advance(T0);
    Ladder__V1__AdoptRules ar = LADDER__V1__ADOPT_RULES__INIT;
    ar.rules_json = "{\"case\":{\"cap\":15}}";
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_ADOPT_RULES;
    c.adopt_rules = &ar;
    Ladder__V1__Reply *r = d_cmd(&D, &c);
    ok_or_fail(r, "adopt 1");
    uint64_t v1 = r->ok->seqs[0];
    ladder__v1__reply__free_unpacked(r, NULL);
    ar.rules_json = "{\"retention\":{\"points\":300}}";
    r = d_cmd(&D, &c);
    ok_or_fail(r, "adopt 2");
    uint64_t v2 = r->ok->seqs[0];
    ladder__v1__reply__free_unpacked(r, NULL);
    r = query_rules(0);
    ok_or_fail(r, "rules");
    Ladder__V1__RulesView *v = r->ok->rules;
    assert_int_equal(v->version, 2);
    assert_non_null(strstr(v->rules_json, "\"cap\":15"));       /* kept by the second */
    assert_non_null(strstr(v->rules_json, "\"points\":300"));
    assert_int_equal(v->n_versions, 2);
    assert_int_equal(v->versions[0]->seq, v1);
    assert_int_equal(v->versions[1]->seq, v2);
    ladder__v1__reply__free_unpacked(r, NULL);
    r = query_rules(1);
    ok_or_fail(r, "rules v1");
    assert_non_null(strstr(r->ok->rules->rules_json, "\"points\":200"));
    ladder__v1__reply__free_unpacked(r, NULL);
    expect_error(query_rules(3), LADDER__V1__ERROR_CODE__ERR_NOT_FOUND, "no rules version 3");

    library_level_1(); /* 20 cases in one partition of cap 15, all accepted at T0 */
    assert_int_equal(ranking_rows(false), 20);
    Ladder__V1__NextDeadline nd = LADDER__V1__NEXT_DEADLINE__INIT;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_NEXT_DEADLINE;
    q.next_deadline = &nd;
    r = d_query(&D, &q);
    ok_or_fail(r, "next deadline");
    assert_string_equal(r->ok->deadline->kind, "library");
    assert_int_equal(r->ok->deadline->at_ms, T0 + 180 * DAY);
    ladder__v1__reply__free_unpacked(r, NULL);
    advance(T0 + 180 * DAY - 1);
    assert_int_equal(ranking_rows(false), 20);
    advance(T0 + 180 * DAY);
    assert_int_equal(ranking_rows(false), 15);
    assert_int_equal(ranking_rows(true), 5);
}

static void expect_error(Ladder__V1__Reply *r, int code, const char *text)
{
    assert_non_null(r);
    assert_int_equal(r->outcome_case, LADDER__V1__REPLY__OUTCOME_ERROR);
    assert_int_equal(r->error->code, code);
    if (!strstr(r->error->message, text))
        fail_msg("expected \"%s\" in \"%s\"", text, r->error->message);
    ladder__v1__reply__free_unpacked(r, NULL);
}

static void test_bad_frames_get_errors_and_the_daemon_carries_on(void **s)
{
    (void)s;
    advance(T0);
    hire("ok1");
    Ladder__V1__Reply *keep;
    uint64_t head = stats(&keep)->head_seq;
    ladder__v1__reply__free_unpacked(keep, NULL);
    /* garbage bytes */
    expect_error(d_raw(&D, "\xff\xff\xff\x01", 4), LADDER__V1__ERROR_CODE__ERR_MALFORMED, "do not decode");
    /* wrong frame count: no empty delimiter */
    zmq_send(D.dealer, "\x0a\x01x", 3, 0);
    zmq_msg_t m;
    zmq_msg_init(&m);
    assert_true(zmq_msg_recv(&m, D.dealer, 0) >= 0); /* the empty frame */
    zmq_msg_close(&m);
    zmq_msg_init(&m);
    assert_true(zmq_msg_recv(&m, D.dealer, 0) >= 0);
    expect_error(ladder__v1__reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m)),
                 LADDER__V1__ERROR_CODE__ERR_MALFORMED, "frames");
    zmq_msg_close(&m);
    /* oversize: 2 MiB */
    size_t big = 2u << 20;
    char *buf = calloc(1, big);
    expect_error(d_raw(&D, buf, big), LADDER__V1__ERROR_CODE__ERR_TOO_LARGE, "larger than the limit");
    free(buf);
    /* a command without a request id, a query and commands at once */
    Ladder__V1__Hire h = LADDER__V1__HIRE__INIT;
    h.employee_id = "x", h.name = "x";
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_HIRE;
    c.hire = &h;
    Ladder__V1__Command *cs[1] = {&c};
    Ladder__V1__Request req = LADDER__V1__REQUEST__INIT;
    req.n_commands = 1;
    req.commands = cs;
    expect_error(d_call(&D, &req), LADDER__V1__ERROR_CODE__ERR_INVALID, "request_id: required");
    /* time only moves forward */
    Ladder__V1__AdvanceClock ac = LADDER__V1__ADVANCE_CLOCK__INIT;
    ac.to_ms = 5;
    c.cmd_case = LADDER__V1__COMMAND__CMD_ADVANCE_CLOCK;
    c.advance_clock = &ac;
    expect_error(d_cmd(&D, &c), LADDER__V1__ERROR_CODE__ERR_INVALID, "only moves forward");
    /* still alive, state unchanged, and a normal command works */
    assert_int_equal(stats(&keep)->head_seq, head);
    ladder__v1__reply__free_unpacked(keep, NULL);
    hire("ok2");
}

/* Kill -9 under pipelined load: every acknowledged request survives. */
typedef struct {
    char rid[32];
    uint64_t first;
    uint32_t count;
} ack_t;

static void test_kill9_under_pipelined_load_keeps_every_ack(void **s)
{
    (void)s;
    const int trials = 5;
    size_t total = 0;
    for (int trial = 0; trial < trials; trial++) {
        void *cl[2];
        for (int k = 0; k < 2; k++) {
            cl[k] = zmq_socket(D.zctx, ZMQ_DEALER);
            int linger = 0;
            zmq_setsockopt(cl[k], ZMQ_LINGER, &linger, sizeof linger);
            zmq_connect(cl[k], D.cmd_ep);
        }
        static ack_t acks[200000];
        size_t nack = 0, sent = 0, inflight[2] = {0};
        uint64_t t0 = (uint64_t)time(NULL);
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        long kill_after_ms = 100 + (ts.tv_nsec / 1000) % 200;
        long start_ms = ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
        for (;;) {
            clock_gettime(CLOCK_MONOTONIC, &ts);
            if (ts.tv_sec * 1000 + ts.tv_nsec / 1000000 - start_ms > kill_after_ms)
                break;
            for (int k = 0; k < 2; k++) {
                while (inflight[k] < 64) {
                    char rid[32], id[16];
                    snprintf(rid, sizeof rid, "k%d-%zu", trial, sent);
                    snprintf(id, sizeof id, "k%d-%zu", trial, sent++);
                    Ladder__V1__Hire h = LADDER__V1__HIRE__INIT;
                    h.employee_id = id, h.name = "Load";
                    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
                    c.cmd_case = LADDER__V1__COMMAND__CMD_HIRE;
                    c.hire = &h;
                    Ladder__V1__Command *cs[1] = {&c};
                    Ladder__V1__Principal p = LADDER__V1__PRINCIPAL__INIT;
                    p.id = "boss", p.roles = MANAGER;
                    Ladder__V1__Request req = LADDER__V1__REQUEST__INIT;
                    req.request_id = (ProtobufCBinaryData){strlen(rid), (uint8_t *)rid};
                    req.principal = &p;
                    req.n_commands = 1;
                    req.commands = cs;
                    uint8_t buf[256];
                    size_t n = ladder__v1__request__pack(&req, buf);
                    zmq_send(cl[k], "", 0, ZMQ_SNDMORE);
                    zmq_send(cl[k], buf, n, 0);
                    inflight[k]++;
                }
                zmq_msg_t m;
                for (;;) {
                    zmq_msg_init(&m);
                    if (zmq_msg_recv(&m, cl[k], ZMQ_DONTWAIT) < 0) {
                        zmq_msg_close(&m);
                        break;
                    }
                    if (zmq_msg_more(&m)) {
                        zmq_msg_close(&m);
                        continue;
                    }
                    Ladder__V1__Reply *r = ladder__v1__reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
                    zmq_msg_close(&m);
                    inflight[k]--;
                    if (r && r->outcome_case == LADDER__V1__REPLY__OUTCOME_OK && nack < 200000) {
                        ack_t *a = &acks[nack++];
                        snprintf(a->rid, sizeof a->rid, "%.*s", (int)r->request_id.len, r->request_id.data);
                        a->first = r->ok->seqs[0];
                        a->count = (uint32_t)r->ok->n_seqs;
                    }
                    ladder__v1__reply__free_unpacked(r, NULL);
                }
            }
            usleep(200);
        }
        (void)t0;
        d_stop(&D, SIGKILL);
        for (int k = 0; k < 2; k++)
            zmq_close(cl[k]);
        d_start(&D, MANUAL);
        assert_true(d_ready(&D));
        /* as tests/crash_trials.py checks: every acknowledged request is in the
         * log at the seqs it was acknowledged with, carrying its own request id
         * and its own hire (read from the log, never by re-sending it, which
         * would re-execute a lost request at the same seqs) */
        for (size_t i = 0; i < nack; i++) {
            Ladder__V1__ReadEvents re = LADDER__V1__READ_EVENTS__INIT;
            re.from_seq = acks[i].first;
            re.max = acks[i].count;
            Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
            q.q_case = LADDER__V1__QUERY__Q_READ_EVENTS;
            q.read_events = &re;
            Ladder__V1__Reply *r = d_query(&D, &q);
            ok_or_fail(r, acks[i].rid);
            Ladder__V1__EventPage *pg = r->ok->events;
            if (pg->n_events != acks[i].count)
                fail_msg("trial %d: %s acknowledged with %u events at seq %llu; the log has %zu",
                         trial, acks[i].rid, acks[i].count, (unsigned long long)acks[i].first,
                         pg->n_events);
            for (size_t k = 0; k < pg->n_events; k++) {
                Ladder__V1__Event *ev = pg->events[k];
                size_t rl = strlen(acks[i].rid);
                if (ev->seq != acks[i].first + k || ev->request_id.len != rl ||
                    memcmp(ev->request_id.data, acks[i].rid, rl) ||
                    ev->body_case != LADDER__V1__EVENT__BODY_EMPLOYEE_HIRED ||
                    strcmp(ev->employee_hired->employee_id, acks[i].rid))
                    fail_msg("trial %d: %s acknowledged at seq %llu, but the log holds another "
                             "event there (request %.*s)", trial, acks[i].rid,
                             (unsigned long long)(acks[i].first + k), (int)ev->request_id.len,
                             ev->request_id.data);
            }
            ladder__v1__reply__free_unpacked(r, NULL);
        }
        total += nack;
        print_message("trial %d: %zu sent, %zu acknowledged, all present after kill -9\n", trial, sent, nack);
    }
    assert_true(total > 100);
}

static Ladder__V1__Explanation *explain_as_of(const char *id, uint64_t seq, Ladder__V1__Reply **keep)
{
    Ladder__V1__Explain e = LADDER__V1__EXPLAIN__INIT;
    e.employee_id = (char *)id;
    e.as_of_seq = seq;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_EXPLAIN;
    q.explain = &e;
    *keep = d_query(&D, &q);
    ok_or_fail(*keep, "explain");
    return (*keep)->ok->explanation;
}

static Ladder__V1__StatsView *stats_digest(Ladder__V1__Reply **keep)
{
    Ladder__V1__Stats st = LADDER__V1__STATS__INIT;
    st.with_digest = 1;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_STATS;
    q.stats = &st;
    *keep = d_query(&D, &q);
    ok_or_fail(*keep, "stats --digest");
    return (*keep)->ok->stats;
}

/* §11 Explain as_of and the Stats digest are folded from the log off the loop,
 * from the nearest archived snapshot: the answers are those of the log at
 * that seq, before and after a restart that archived one. */
static void test_s11_explain_as_of_and_the_digest_are_folded_from_the_log(void **s)
{
    (void)s;
    advance(T0);
    hire("h1");
    adjust("h1", 10);
    Ladder__V1__Reply *k1, *k2;
    uint64_t h1 = stats(&k1)->head_seq;
    ladder__v1__reply__free_unpacked(k1, NULL);
    Ladder__V1__StatsView *d1 = stats_digest(&k1);
    assert_int_equal(d1->digest_seq, h1);
    assert_int_equal(d1->state_digest.len, 32);
    assert_true(WIFEXITED(d_stop(&D, SIGTERM))); /* snapshot at h1, archived */
    d_start(&D, MANUAL);
    assert_true(d_ready(&D));
    adjust("h1", 5);
    adjust("h1", 7);
    uint64_t h2 = stats(&k2)->head_seq;
    ladder__v1__reply__free_unpacked(k2, NULL);
    assert_int_equal(h2, h1 + 2);
    Ladder__V1__Explanation *x = explain_as_of("h1", h1, &k2);
    assert_int_equal(x->state->points_total, 10);
    ladder__v1__reply__free_unpacked(k2, NULL);
    x = explain_as_of("h1", h1 + 1, &k2);
    assert_int_equal(x->state->points_total, 15);
    ladder__v1__reply__free_unpacked(k2, NULL);
    x = explain_as_of("h1", h2, &k2);
    assert_int_equal(x->state->points_total, 22);
    ladder__v1__reply__free_unpacked(k2, NULL);
    Ladder__V1__StatsView *d2 = stats_digest(&k2);
    assert_int_equal(d2->digest_seq, h2);
    assert_int_equal(d2->state_digest.len, 32);
    assert_memory_not_equal(d2->state_digest.data, d1->state_digest.data, 32);
    ladder__v1__reply__free_unpacked(k2, NULL);
    /* the digest of one head is the same each time it is asked */
    Ladder__V1__Reply *k3;
    Ladder__V1__StatsView *d3 = stats_digest(&k3);
    d2 = stats_digest(&k2);
    assert_int_equal(d3->digest_seq, h2);
    assert_memory_equal(d3->state_digest.data, d2->state_digest.data, 32);
    ladder__v1__reply__free_unpacked(k1, NULL), ladder__v1__reply__free_unpacked(k2, NULL);
    ladder__v1__reply__free_unpacked(k3, NULL);
}

/* Issue 10 item 3: one DEALER streams 100 000 queries with at most 300
 * outstanding; every one is answered (a query-only batch used to leave the
 * edge-triggered ROUTER unread, and the stream stalled). */
static void test_100k_queries_stream_over_one_connection(void **s)
{
    (void)s;
    Ladder__V1__GetEmployee g = LADDER__V1__GET_EMPLOYEE__INIT;
    g.employee_id = "nobody";
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_EMPLOYEE;
    q.employee = &g;
    Ladder__V1__Request req = LADDER__V1__REQUEST__INIT;
    req.query = &q;
    uint8_t buf[64];
    size_t n = ladder__v1__request__pack(&req, buf);
    const size_t total = 100000, window = 300;
    size_t sent = 0, got = 0;
    while (got < total) {
        while (sent < total && sent - got < window) {
            zmq_send(D.dealer, "", 0, ZMQ_SNDMORE);
            zmq_send(D.dealer, buf, n, 0);
            sent++;
        }
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, D.dealer, 0) < 0) /* RCVTIMEO 10 s */
            fail_msg("stalled: %zu sent, %zu answered, no reply for 10 s", sent, got);
        if (!zmq_msg_more(&m))
            got++;
        zmq_msg_close(&m);
    }
    assert_int_equal(got, total);
}

static Ladder__V1__Reply *hire_as(const char *who, const char *rid, const char *id)
{
    Ladder__V1__Hire h = LADDER__V1__HIRE__INIT;
    h.employee_id = (char *)id, h.name = "Squat";
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_HIRE;
    c.hire = &h;
    Ladder__V1__Command *cs[1] = {&c};
    Ladder__V1__Principal p = LADDER__V1__PRINCIPAL__INIT;
    p.id = (char *)who, p.roles = MANAGER;
    Ladder__V1__Request req = LADDER__V1__REQUEST__INIT;
    req.request_id = (ProtobufCBinaryData){strlen(rid), (uint8_t *)rid};
    req.principal = &p;
    req.n_commands = 1;
    req.commands = cs;
    return d_call(&D, &req);
}

/* Issue 10 item 1 / §12: request ids are per principal; a repeat with other
 * commands is refused. */
static void test_s12_request_ids_per_principal_with_digest(void **s)
{
    (void)s;
    advance(T0);
    Ladder__V1__Reply *a = hire_as("m1", "shared-1", "x1");
    ok_or_fail(a, "m1");
    Ladder__V1__Reply *b = hire_as("e2", "shared-1", "x2");
    ok_or_fail(b, "e2 under m1's id"); /* its own request, written */
    if (a->ok->seqs[0] == b->ok->seqs[0])
        fail_msg("e2's request under m1's request id got m1's seq %llu: nothing was written",
                 (unsigned long long)a->ok->seqs[0]);
    ladder__v1__reply__free_unpacked(a, NULL);
    ladder__v1__reply__free_unpacked(b, NULL);
    Ladder__V1__Reply *keep;
    assert_string_equal(employee("x2", &keep)->employee_id, "x2");
    ladder__v1__reply__free_unpacked(keep, NULL);
    /* m1 again under the same id with another command */
    Ladder__V1__Reply *c = hire_as("m1", "shared-1", "x3");
    assert_non_null(c);
    assert_int_equal(c->outcome_case, LADDER__V1__REPLY__OUTCOME_ERROR);
    assert_int_equal(c->error->code, LADDER__V1__ERROR_CODE__ERR_ID_REUSED);
    assert_string_equal(c->error->field, "request_id");
    assert_non_null(strstr(c->error->message, "different commands"));
    ladder__v1__reply__free_unpacked(c, NULL);
    /* ... in one batch too (two requests pipelined) */
    Ladder__V1__GetEmployee g = LADDER__V1__GET_EMPLOYEE__INIT;
    g.employee_id = "x3";
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_EMPLOYEE;
    q.employee = &g;
    Ladder__V1__Reply *x3 = d_query(&D, &q);
    assert_int_equal(x3->outcome_case, LADDER__V1__REPLY__OUTCOME_ERROR);
    ladder__v1__reply__free_unpacked(x3, NULL);
}

/* Issue 10 item 1 / §12: a client squats the request id of a coming deadline
 * (`deadline/r/<emp>/<at_ms>`, learnable from NextDeadline): the deadline
 * still fires, and writes go on, also after a restart. */
static void test_s12_deadline_ids_unreachable_by_clients(void **s)
{
    (void)s;
    advance(T0);
    Ladder__V1__Reply *keep;
    hire("e1");
    library_level_1();
    promote_to_1("e1");
    int64_t end = employee("e1", &keep)->retention_deadline_ms;
    ladder__v1__reply__free_unpacked(keep, NULL);
    char rid[64];
    snprintf(rid, sizeof rid, "deadline/r/e1/%lld", (long long)end);
    Ladder__V1__Reply *sq = hire_as("system", rid, "squat");
    ok_or_fail(sq, "squat");
    ladder__v1__reply__free_unpacked(sq, NULL);
    advance(end);
    uint32_t level = employee("e1", &keep)->level->level;
    ladder__v1__reply__free_unpacked(keep, NULL);
    if (level != 0) /* demoted: it fired */
        fail_msg("the retention deadline at %lld did not fire (e1 at level %u) after a client "
                 "took its request id %s", (long long)end, level, rid);
    hire("after1");
    assert_true(WIFEXITED(d_stop(&D, SIGTERM)));
    d_start(&D, MANUAL);
    assert_true(d_ready(&D));
    hire("after2");
}

static bool log_has(const char *dir, const char *text)
{
    char path[600];
    snprintf(path, sizeof path, "%s/ladderd.log", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char line[2048];
    bool found = false;
    while (!found && fgets(line, sizeof line, f))
        found = strstr(line, text) != NULL;
    fclose(f);
    return found;
}

static uint64_t head_seq(void)
{
    Ladder__V1__Reply *keep;
    uint64_t h = stats(&keep)->head_seq;
    ladder__v1__reply__free_unpacked(keep, NULL);
    return h;
}

/* Issue 10 item 2: a second ladderd on the same data directory (even one
 * bringing new rules) is refused before it reads or writes; a daemon that
 * cannot bind appends nothing. */
static void test_data_directory_locked_and_bind_before_append(void **s)
{
    (void)s;
    advance(T0);
    hire("e1");
    uint64_t before = head_seq();
    char data[300], rules[300];
    snprintf(data, sizeof data, "%s/data", D.dir);
    snprintf(rules, sizeof rules, "%s/rules.json", D.dir);
    FILE *f = fopen(rules, "w");
    fputs("{\"retention\": {\"appeal_days\": 45}}\n", f);
    fclose(f);
    daemon_t D2;
    memset(&D2, 0, sizeof D2);
    snprintf(D2.dir, sizeof D2.dir, "/tmp/ladder-test-daemon2-XXXXXX");
    assert_non_null(mkdtemp(D2.dir));
    const char *const second[] = {"--clock", "manual", "--data", data, "--rules", rules, NULL};
    d_start(&D2, second);
    int st = 0;
    pid_t reaped = 0;
    for (int i = 0; i < 100 && (reaped = waitpid(D2.pid, &st, WNOHANG)) == 0; i++)
        usleep(50000);
    if (reaped != D2.pid) {
        d_close_socket(&D2);
        d_destroy(&D2); /* kills it */
        fail_msg("a second ladderd on the same --data %s still runs after 5 s", data);
    }
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 2);
    D2.pid = 0;
    char want[400];
    snprintf(want, sizeof want, "data directory %s is in use by PID %ld", data, (long)D.pid);
    if (!log_has(D2.dir, want))
        fail_msg("the second daemon's log lacks \"%s\"", want);
    d_close_socket(&D2);
    d_destroy(&D2);
    /* the first goes on writing, and nothing was appended */
    assert_int_equal(head_seq(), before);
    hire("e2");
    assert_int_equal(head_seq(), before + 1);

    /* restart with new rules but an endpoint that cannot be bound: no event */
    assert_true(WIFEXITED(d_stop(&D, SIGTERM)));
    const char *const unbindable[] = {"--clock", "manual", "--rules", rules, "--publish",
                                      "ipc:///nonexistent-ladder-dir/pub", NULL};
    d_start(&D, unbindable);
    st = 0;
    for (int i = 0; i < 100 && waitpid(D.pid, &st, WNOHANG) == 0; i++)
        usleep(50000);
    assert_true(WIFEXITED(st));
    assert_int_not_equal(WEXITSTATUS(st), 0);
    D.pid = 0;
    d_close_socket(&D);
    d_start(&D, MANUAL);
    assert_true(d_ready(&D));
    assert_int_equal(head_seq(), before + 1); /* no RulesAdopted */
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf %s", D2.dir);
    assert_int_equal(system(cmd), 0);
}

/* A reply whose client is gone is counted in Stats and logged, never lost
 * silently: clients ask for the digest (answered when its fold returns) and
 * hang up at once; at least one of them is gone when its answer is sent. */
static void test_unsendable_replies_are_counted_and_logged(void **s)
{
    (void)s;
    advance(T0);
    for (int i = 0; i < 50; i++) {
        char id[8];
        snprintf(id, sizeof id, "u%d", i);
        hire(id);
    }
    Ladder__V1__Stats st = LADDER__V1__STATS__INIT;
    st.with_digest = 1;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_STATS;
    q.stats = &st;
    Ladder__V1__Request req = LADDER__V1__REQUEST__INIT;
    req.query = &q;
    uint8_t buf[64];
    size_t len = ladder__v1__request__pack(&req, buf);
    uint64_t unsent = 0;
    for (int round = 0; round < 50 && !unsent; round++) {
        for (int k = 0; k < 20; k++) {
            void *gone = zmq_socket(D.zctx, ZMQ_DEALER);
            int linger = 2000; /* the request leaves; the connection closes after it */
            zmq_setsockopt(gone, ZMQ_LINGER, &linger, sizeof linger);
            assert_int_equal(zmq_connect(gone, D.cmd_ep), 0);
            assert_true(zmq_send(gone, "", 0, ZMQ_SNDMORE) == 0);
            assert_true(zmq_send(gone, buf, len, 0) == (int)len);
            zmq_close(gone);
        }
        usleep(100000);
        Ladder__V1__Reply *keep;
        unsent = stats(&keep)->unsent_replies;
        ladder__v1__reply__free_unpacked(keep, NULL);
    }
    assert_true(unsent >= 1);
    assert_true(log_has(D.dir, "reply not sent"));
    /* and the daemon carries on */
    hire("u-after");
}

static long rss_kb(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6))
            kb = atol(line + 6);
    if (f)
        fclose(f);
    return kb;
}

static Ladder__V1__EventPage *read_page(uint64_t from, Ladder__V1__Reply **keep)
{
    Ladder__V1__ReadEvents re = LADDER__V1__READ_EVENTS__INIT;
    re.from_seq = from;
    re.max = 1000;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_READ_EVENTS;
    q.read_events = &re;
    *keep = d_query(&D, &q);
    ok_or_fail(*keep, "read_events");
    return (*keep)->ok->events;
}

/* Issue 10 item 7: a ReadEvents page holds at most 1 MiB of events, says
 * `more` and where to go on. */
/* e1 and 24 submitted cases of 100 000 bytes each: 2.4 MB of events */
static void big_cases(void)
{
    advance(T0);
    hire("e1");
    static char big[100001];
    memset(big, 'a', sizeof big - 1);
    for (int i = 0; i < 24; i++) {
        char sub[16], cid[16];
        snprintf(sub, sizeof sub, "sb%d", i);
        snprintf(cid, sizeof cid, "cb%d", i);
        Ladder__V1__CaseNode root = LADDER__V1__CASE_NODE__INIT;
        root.customer_says = big;
        Ladder__V1__CaseContent ct = LADDER__V1__CASE_CONTENT__INIT;
        ct.kind = LADDER__V1__CASE_KIND__CASE_KIND_TEXT, ct.title = "Big", ct.root = &root;
        Ladder__V1__SubmitCase sc = LADDER__V1__SUBMIT_CASE__INIT;
        sc.submission_id = sub, sc.case_id = cid, sc.author_id = "e1", sc.content = &ct;
        Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
        c.cmd_case = LADDER__V1__COMMAND__CMD_SUBMIT_CASE;
        c.submit_case = &sc;
        Ladder__V1__Reply *r = d_cmd_as(&D, &c, "e1", LADDER__V1__ROLE__ROLE_EMPLOYEE);
        ok_or_fail(r, "submit big");
        ladder__v1__reply__free_unpacked(r, NULL);
    }
}

static void test_read_pages_bounded_in_bytes(void **s)
{
    (void)s;
    big_cases();
    uint64_t head = head_seq(), from = 1, seen = 0;
    int pages = 0;
    for (;;) {
        Ladder__V1__Reply *keep;
        Ladder__V1__EventPage *pg = read_page(from, &keep);
        size_t bytes = 0;
        for (size_t i = 0; i < pg->n_events; i++)
            bytes += ladder__v1__event__get_packed_size(pg->events[i]);
        assert_true(pg->n_events >= 1);
        if (bytes > ((size_t)1 << 20) + 4096) /* prev_hash etc. differ from the stored bytes */
            fail_msg("page of %zu bytes", bytes);
        seen += pg->n_events;
        pages++;
        bool more = pg->more;
        uint64_t next = pg->next_seq;
        ladder__v1__reply__free_unpacked(keep, NULL);
        if (!more)
            break;
        assert_int_equal(next, from + (next - from)); /* it moves on */
        assert_true(next > from);
        from = next;
    }
    assert_int_equal(seen, head);
    assert_true(pages >= 3); /* 2.4 MB of events */
}

/* ladderd's RSS under AddressSanitizer also holds its shadow memory, redzones
 * and the quarantine of freed blocks: the memory bounds below get that slack
 * there (the plain suite checks them as written). */
#ifdef __SANITIZE_ADDRESS__
#define RSS_SLACK 3
#else
#define RSS_SLACK 1
#endif

/* Issue 10 item 7, the probe of the issue: one client asks for 60 pages of
 * the whole log (max 1000 events, 2.4 MB of events) and never reads; what
 * ladderd holds for it is bounded (9fb8882 held every page: RSS grew by the
 * sum of the pages). */
static void test_never_reading_client_pins_bounded_memory(void **s)
{
    (void)s;
    big_cases();
    long rss0 = rss_kb(D.pid);
    void *z = zmq_socket(D.zctx, ZMQ_DEALER);
    int one = 1, linger = 0, small = 4096;
    zmq_setsockopt(z, ZMQ_RCVHWM, &one, sizeof one);
    zmq_setsockopt(z, ZMQ_RCVBUF, &small, sizeof small);
    zmq_setsockopt(z, ZMQ_LINGER, &linger, sizeof linger);
    zmq_connect(z, D.cmd_ep);
    Ladder__V1__ReadEvents re = LADDER__V1__READ_EVENTS__INIT;
    re.from_seq = 1, re.max = 1000;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_READ_EVENTS;
    q.read_events = &re;
    Ladder__V1__Principal p = LADDER__V1__PRINCIPAL__INIT;
    p.id = "boss", p.roles = MANAGER;
    Ladder__V1__Request req = LADDER__V1__REQUEST__INIT;
    req.query = &q;
    req.principal = &p;
    uint8_t buf[128];
    size_t n = ladder__v1__request__pack(&req, buf);
    for (int i = 0; i < 60; i++) {
        zmq_send(z, "", 0, ZMQ_SNDMORE);
        zmq_send(z, buf, n, 0);
    }
    long rss1 = rss0;
    for (int i = 0; i < 30; i++) { /* 3 s for the pages to be read and queued */
        usleep(100000);
        long r = rss_kb(D.pid);
        rss1 = r > rss1 ? r : rss1;
    }
    zmq_close(z);
    print_message("never-reading client, 60 pages asked: RSS %ld -> %ld kB\n", rss0, rss1);
    if (rss1 - rss0 > RSS_SLACK * 96 * 1024) /* the 8 MiB per-peer bound, pages of 1 MiB; 9fb8882: +280 MB */
        fail_msg("a client that never reads took RSS from %ld to %ld kB", rss0, rss1);
}

/* ZMTP 3.0 by hand over ipc: a SUB peer that sends one subscription of
 * topic_len bytes in a single frame (libzmq's own SUB cannot: its trie is
 * walked by recursion per byte). Returns the connected fd, or -1. */
static int raw_subscribe(const char *ep, size_t topic_len)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strncmp(ep, "ipc://", 6) || strlen(ep + 6) >= sizeof sa.sun_path)
        return -1;
    strcpy(sa.sun_path, ep + 6);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    uint8_t g[64] = {0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 3, 0, 'N', 'U', 'L', 'L'};
    uint8_t in[512];
    static const uint8_t ready[] = {0x04, 26, 5, 'R', 'E', 'A', 'D', 'Y', 11, 'S', 'o', 'c', 'k',
                                    'e', 't', '-', 'T', 'y', 'p', 'e', 0, 0, 0, 3, 'S', 'U', 'B'};
    bool ok = send(fd, g, sizeof g, MSG_NOSIGNAL) == (ssize_t)sizeof g &&
              recv(fd, in, 64, MSG_WAITALL) == 64 &&
              send(fd, ready, sizeof ready, MSG_NOSIGNAL) == (ssize_t)sizeof ready &&
              recv(fd, in, 2, MSG_WAITALL) == 2 && (in[0] & 0x04) && !(in[0] & 0x02) &&
              recv(fd, in + 2, in[1], MSG_WAITALL) == in[1];
    if (!ok) {
        close(fd);
        return -1;
    }
    /* a long frame: flags 0x02, 8-byte size, then 0x01 (subscribe) and the topic */
    uint64_t n = topic_len + 1;
    uint8_t hdr[10] = {0x02};
    for (int i = 0; i < 8; i++)
        hdr[1 + i] = (uint8_t)(n >> (56 - 8 * i));
    hdr[9] = 0x01;
    char *topic = malloc(topic_len);
    memset(topic, 'z', topic_len);
    /* a daemon that drops the peer at the header ends the write with EPIPE */
    if (send(fd, hdr, sizeof hdr, MSG_NOSIGNAL) == (ssize_t)sizeof hdr)
        for (size_t at = 0; at < topic_len;) {
            ssize_t w = send(fd, topic + at, topic_len - at, MSG_NOSIGNAL);
            if (w <= 0)
                break;
            at += (size_t)w;
        }
    free(topic);
    return fd;
}

/* Issue 10 item 8: large subscriptions do not pin the daemon's memory (PUB
 * takes at most 1 KiB from a subscriber). */
static void test_large_subscriptions_do_not_pin_memory(void **s)
{
    (void)s;
    advance(T0);
    /* 32 subscriptions of 32 KiB each. (libzmq's SUB keeps a trie walked by
     * recursion per byte: a 1 MiB topic overflows the client's own stack; the
     * daemon's PUB kept one such trie node per byte, ~130 MB for 4 MiB.) */
    long rss0 = rss_kb(D.pid);
    enum { NSUB = 32 };
    void *sub[NSUB];
    size_t n = 32u << 10;
    char *topic = malloc(n);
    for (int i = 0; i < NSUB; i++) {
        memset(topic, 'a' + i % 26, n); /* distinct: no shared trie prefix */
        topic[0] = (char)('A' + i);
        sub[i] = sub_track(zmq_socket(D.zctx, ZMQ_SUB));
        int linger = 0;
        zmq_setsockopt(sub[i], ZMQ_LINGER, &linger, sizeof linger);
        zmq_setsockopt(sub[i], ZMQ_SUBSCRIBE, topic, n);
        zmq_connect(sub[i], D.pub_ep);
    }
    free(topic);
    usleep(500000);
    hire("e2");
    long rss1 = rss_kb(D.pid);
    print_message("RSS %ld kB before 32 subscriptions of 32 KiB, %ld kB after\n", rss0, rss1);
    assert_true(rss1 - rss0 < RSS_SLACK * 4096);
    for (int i = 0; i < NSUB; i++)
        sub_close(sub[i]);

    /* the probe of the issue: one subscription of 4 MiB (it took 9fb8882's
     * RSS from 6 to 135 MB) */
    rss0 = rss_kb(D.pid);
    int fd = raw_subscribe(D.pub_ep, (size_t)4 << 20);
    assert_true(fd >= 0);
    usleep(500000);
    hire("e3");
    rss1 = rss_kb(D.pid);
    close(fd);
    print_message("RSS %ld kB before one 4 MiB subscription, %ld kB after\n", rss0, rss1);
    if (rss1 - rss0 >= RSS_SLACK * 16384)
        fail_msg("one 4 MiB subscription took RSS from %ld to %ld kB", rss0, rss1);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_promotion_through_the_protocol_publishes_level_update),
        T(test_board_updates_are_coalesced_and_carry_seqs),
        T(test_s9_demotion_publishes_the_level_board_it_left),
        T(test_s9_boards_stepped_and_published_in_slices_stay_exact),
        T(test_case_ranking_updates_per_partition),
        T(test_repeated_request_id_gets_the_original_reply),
        T(test_s12_every_repeated_id_answered_through_the_filter),
        T(test_late_joiner_clone_pattern_converges),
        T(test_s1_evt_and_points_updates_are_protobuf_c_packing_chained_by_prev_seq),
        T(test_restart_answers_the_same_and_replays_only_the_tail),
        T(test_manual_clock_closes_the_year_and_demotes_at_the_instant),
        T(test_s10_rules_merge_and_s4_library_check_through_the_protocol),
        T(test_bad_frames_get_errors_and_the_daemon_carries_on),
        T(test_kill9_under_pipelined_load_keeps_every_ack),
        T(test_s11_explain_as_of_and_the_digest_are_folded_from_the_log),
        T(test_100k_queries_stream_over_one_connection),
        T(test_s12_request_ids_per_principal_with_digest),
        T(test_s12_deadline_ids_unreachable_by_clients),
        T(test_data_directory_locked_and_bind_before_append),
        T(test_unsendable_replies_are_counted_and_logged),
        T(test_read_pages_bounded_in_bytes),
        T(test_never_reading_client_pins_bounded_memory),
        T(test_large_subscriptions_do_not_pin_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
