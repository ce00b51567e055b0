/* test_boards.c — §9 leaderboards: order and ties, windows rolling over at
 * local midnight in +08:00, scopes, around, and boards after undo and after a
 * snapshot reload; every person's rank on the all-time boards against a
 * brute-force sort of the test's own model. */
#include "core_fixture.h"

static int setup(void **s) { (void)s; fx_setup(); return 0; }
static int teardown(void **s) { (void)s; fx_teardown(); return 0; }

static Ladder__V1__Board *board_q(int window, int scope, const char *value, uint32_t top,
                                  const char *around)
{
    static ld_out_t *o;
    if (!o)
        o = ld_out_new();
    ld_out_reset(o);
    Ladder__V1__GetBoard g = LADDER__V1__GET_BOARD__INIT;
    g.window = (Ladder__V1__BoardWindow)window;
    g.scope = (Ladder__V1__BoardScope)scope;
    g.scope_value = (char *)value;
    g.top = top;
    g.around = (char *)around;
    g.radius = 1;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_BOARD;
    q.board = &g;
    Ladder__V1__Ok ok = LADDER__V1__OK__INIT;
    ld_refusal_t why;
    if (ld_core_query(F.c, &q, F.now, o, &ok, &why) != 0)
        fail_msg("board refused: %s", why.message);
    return ok.board;
}

static void order_is(Ladder__V1__Board *b, const char *const *ids, size_t n)
{
    if (b->n_rows != n)
        fail_msg("board %s has %zu rows, expected %zu", b->name, b->n_rows, n);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(b->rows[i]->employee_id, ids[i]);
        assert_int_equal(b->rows[i]->rank, i + 1);
    }
}

static void test_s9_order_by_points_then_first_to_reach_then_id(void **s)
{
    (void)s;
    hire("b");
    hire("a");
    hire("c");
    hire("d");
    adjust("c", 50);
    F.now += 1000;
    adjust("b", 70);
    F.now += 1000;
    adjust("d", 50); /* same as c, reached later */
    adjust("a", 20);
    F.now += 1000;
    adjust("a", 30); /* a reaches 50 last */
    const char *want[] = {"b", "c", "d", "a"};
    order_is(board_q(0, 0, "", 10, NULL), want, 4);
    /* same score at the same instant: the id decides */
    hire("z");
    hire("y");
    adjust("z", 70);
    adjust("y", 70);
    Ladder__V1__Board *b = board_q(0, 0, "", 3, NULL);
    assert_string_equal(b->rows[0]->employee_id, "b");
    assert_string_equal(b->rows[1]->employee_id, "y");
    assert_string_equal(b->rows[2]->employee_id, "z");
    assert_int_equal(b->size, 6);
    /* a negative adjustment moves one down */
    adjust("b", -60);
    b = board_q(0, 0, "", 10, NULL);
    assert_string_equal(b->rows[5]->employee_id, "b");
    assert_int_equal(b->rows[5]->points, 10);
}

static void test_s9_rank_and_around(void **s)
{
    (void)s;
    char id[8];
    for (int i = 0; i < 50; i++) {
        snprintf(id, sizeof id, "p%02d", i);
        hire(id);
        adjust(id, 10 * (i + 1)); /* p49 first, p00 last */
    }
    Ladder__V1__Board *b = board_q(0, 0, "", 0, "p40");
    assert_int_equal(b->n_rows, 3);
    assert_string_equal(b->rows[0]->employee_id, "p41");
    assert_string_equal(b->rows[1]->employee_id, "p40");
    assert_int_equal(b->rows[1]->rank, 10);
    assert_string_equal(b->rows[2]->employee_id, "p39");
    /* top 3 plus the asker's own row */
    b = board_q(0, 0, "", 3, "p00");
    assert_int_equal(b->n_rows, 4);
    assert_int_equal(b->rows[3]->rank, 50);
    assert_string_equal(b->rows[3]->employee_id, "p00");
}

static void test_s9_week_rolls_over_at_monday_midnight_plus_8(void **s)
{
    (void)s;
    hire("e1");
    hire("e2");
    F.now = T0 - 1; /* Sunday 2026-01-04 23:59:59.999 +08:00 */
    adjust("e1", 100);
    F.now = T0; /* Monday 00:00 +08:00 (Sunday 16:00 UTC) */
    adjust("e2", 10);
    F.now = T0 + 3600000;
    Ladder__V1__Board *b = board_q(1, 0, "", 10, NULL);
    assert_int_equal(b->n_rows, 1);
    assert_string_equal(b->rows[0]->employee_id, "e2");
    assert_int_equal(b->window_start_ms, T0);
    /* the all-time board keeps both */
    assert_int_equal(board_q(0, 0, "", 10, NULL)->n_rows, 2);
    /* a week later, with no points yet, the week board is empty */
    F.now = T0 + 7 * DAY;
    assert_int_equal(board_q(1, 0, "", 10, NULL)->n_rows, 0);
    F.now = T0 + 7 * DAY - 1;
    assert_int_equal(board_q(1, 0, "", 10, NULL)->n_rows, 1);
}

static void test_s9_month_quarter_year_boundaries_in_plus_8(void **s)
{
    (void)s;
    hire("e1");
    hire("e2");
    /* 2026-03-31 23:59:59.999 +08:00 and 2026-04-01 00:00 +08:00 */
    const int64_t apr1 = 1774972800000LL;
    F.now = apr1 - 1;
    adjust("e1", 100);
    F.now = apr1;
    adjust("e2", 10);
    Ladder__V1__Board *m = board_q(2, 0, "", 10, NULL);
    assert_int_equal(m->n_rows, 1);
    assert_string_equal(m->rows[0]->employee_id, "e2");
    assert_int_equal(m->window_start_ms, apr1);
    Ladder__V1__Board *qb = board_q(3, 0, "", 10, NULL);
    assert_int_equal(qb->n_rows, 1); /* Q2 starts on April 1 */
    assert_int_equal(board_q(4, 0, "", 10, NULL)->n_rows, 2); /* same year */
    /* 2026-12-31 23:59:59.999 +08:00 and 2027-01-01 00:00 +08:00 */
    const int64_t jan1 = 1798732800000LL;
    F.now = jan1 - 1;
    adjust("e1", 1);
    F.now = jan1;
    adjust("e2", 1);
    Ladder__V1__Board *y = board_q(4, 0, "", 10, NULL);
    assert_int_equal(y->n_rows, 1);
    assert_string_equal(y->rows[0]->employee_id, "e2");
    assert_int_equal(y->rows[0]->points, 1);
    assert_int_equal(y->window_start_ms, jan1);
}

static void test_s9_scopes_centre_team_level(void **s)
{
    (void)s;
    hire_in("n1", "alpha", "north");
    hire_in("n2", "beta", "north");
    hire_in("s1", "alpha", "south");
    adjust("n1", 10), adjust("n2", 20), adjust("s1", 30);
    const char *north[] = {"n2", "n1"};
    order_is(board_q(0, 1, "north", 10, NULL), north, 2);
    const char *alpha[] = {"s1", "n1"};
    order_is(board_q(0, 2, "alpha", 10, NULL), alpha, 2);
    assert_int_equal(board_q(0, 1, "west", 10, NULL)->n_rows, 0);
    assert_int_equal(board_q(0, 3, "0", 10, NULL)->n_rows, 3);
    promote("n1");
    assert_int_equal(board_q(0, 3, "0", 10, NULL)->n_rows, 2);
    const char *l1[] = {"n1"};
    order_is(board_q(0, 3, "1", 10, NULL), l1, 1);
}

static void test_s9_boards_follow_undo_and_snapshot(void **s)
{
    (void)s;
    hire("a"), hire("b"), hire("c");
    adjust("a", 5), adjust("b", 7), adjust("c", 9);
    uint32_t mark = ld_core_savepoint(F.c);
    ld_ctx_t ctx = {F.now, "boss", MANAGER, (const uint8_t *)"x", 1};
    Ladder__V1__AdjustPoints m = LADDER__V1__ADJUST_POINTS__INIT;
    m.employee_id = "a", m.amount = 100, m.reason = "r";
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_ADJUST_POINTS;
    c.adjust_points = &m;
    assert_int_equal(ld_core_execute(F.c, &c, &ctx, F.out, NULL), 0);
    assert_string_equal(board_q(1, 0, "", 1, NULL)->rows[0]->employee_id, "a");
    ld_core_rollback(F.c, mark);
    ld_core_release(F.c);
    const char *want[] = {"c", "b", "a"};
    order_is(board_q(1, 0, "", 10, NULL), want, 3);
    ld_core_t *loaded = fx_reloaded(), *live = F.c;
    F.c = loaded;
    order_is(board_q(1, 0, "", 10, NULL), want, 3);
    order_is(board_q(0, 0, "", 10, NULL), want, 3);
    F.c = live;
    ld_core_destroy(&loaded);
}

/* §9: a row shows the employee's own id, name and current level: after a
 * promotion (the level changes while the boards stand), and when a hire is
 * undone after the boards placed it and the next hire takes its place. */
static void test_s9_rows_show_id_name_and_current_level(void **s)
{
    (void)s;
    hire("a"), hire("b");
    adjust("a", 5), adjust("b", 7);
    Ladder__V1__Board *b = board_q(0, 0, "", 10, NULL);
    assert_int_equal(b->n_rows, 2);
    assert_string_equal(b->rows[0]->name, "b");
    assert_int_equal(b->rows[0]->level, 0);
    promote("b");
    b = board_q(0, 0, "", 10, "b");
    assert_string_equal(b->rows[0]->employee_id, "b");
    assert_string_equal(b->rows[0]->name, "b");
    assert_int_equal(b->rows[0]->level, 1);
    assert_string_equal(b->rows[1]->name, "a");
    assert_int_equal(b->rows[1]->level, 0);
    uint32_t mark = ld_core_savepoint(F.c);
    hire("undone");
    adjust("undone", 100000);
    assert_string_equal(board_q(0, 0, "", 1, NULL)->rows[0]->name, "undone");
    ld_core_rollback(F.c, mark);
    ld_core_release(F.c);
    hire("kept");
    adjust("kept", 100000);
    b = board_q(0, 0, "", 10, NULL);
    assert_int_equal(b->n_rows, 3);
    assert_string_equal(b->rows[0]->employee_id, "kept");
    assert_string_equal(b->rows[0]->name, "kept");
    assert_int_equal(b->rows[0]->level, 0);
}

/* Packs one board's answer (compared byte for byte). */
static uint8_t *board_bytes(int window, int scope, const char *value, const char *around,
                            size_t *len)
{
    Ladder__V1__Board *b = board_q(window, scope, value, around ? 0 : 1000, around);
    *len = ladder__v1__board__get_packed_size(b);
    uint8_t *buf = malloc(*len + 1);
    ladder__v1__board__pack(b, buf);
    return buf;
}

/* Every board of the test's scopes, and some askers' rows, in one buffer. */
static uint8_t *all_boards(size_t *len)
{
    static const char *const values[4][3] = {{""}, {"north", "south"}, {"t0", "t1", "t2"}, {"0"}};
    static const int n_values[4] = {1, 2, 3, 1};
    uint8_t *all = NULL;
    size_t n = 0;
    for (int w = 0; w < 5; w++)
        for (int sc = 0; sc < 4; sc++)
            for (int v = 0; v < n_values[sc] + 3; v++) {
                char id[16];
                snprintf(id, sizeof id, "p%03d", v * 71 % 300);
                const char *around = v < n_values[sc] ? NULL : id;
                if (around && (w || sc))
                    continue;
                size_t l;
                uint8_t *b = board_bytes(w, sc, around ? "" : values[sc][v], around, &l);
                all = realloc(all, n + l + 1);
                memcpy(all + n, b, l);
                n += l;
                free(b);
            }
    *len = n;
    return all;
}

/* The live boards' answers against boards built from nothing (a snapshot
 * reload) of the same state, byte for byte. */
static void boards_match_fresh(void)
{
    size_t l1, l2;
    uint8_t *live = all_boards(&l1);
    ld_core_t *loaded = fx_reloaded(), *kept = F.c;
    F.c = loaded;
    uint8_t *fresh = all_boards(&l2);
    F.c = kept;
    ld_core_destroy(&loaded);
    assert_int_equal(l1, l2);
    assert_memory_equal(live, fresh, l1);
    free(live), free(fresh);
}

/* §9: when most people move between two queries the boards catch up in one
 * sorted batch (a sort per window, a merge per board); what they answer is
 * what boards built from nothing answer. */
static void test_s9_a_big_catch_up_answers_as_boards_built_anew(void **s)
{
    (void)s;
    char id[16], team[8];
    const char *centres[] = {"north", "south"};
    for (int i = 0; i < 300; i++) {
        snprintf(id, sizeof id, "p%03d", i);
        snprintf(team, sizeof team, "t%d", i % 3);
        hire_in(id, team, centres[i % 2]);
        adjust(id, 1 + i * 37 % 50);
    }
    size_t l0;
    free(all_boards(&l0)); /* the boards are built here... */
    for (int i = 0; i < 300; i += 1 + i % 2) {
        snprintf(id, sizeof id, "p%03d", i);
        F.now += 1;
        adjust(id, 1 + i * 53 % 40); /* ...and 200 of the 300 move before the next query */
    }
    boards_match_fresh();
}

/* §9: the daemon moves changed people onto the boards a few at a time
 * between requests (ld_core_boards_step); a query in the middle of that, or
 * after a week rolled over between two steps, answers what boards built
 * anew answer. */
static void test_s9_boards_stepped_a_few_at_a_time_answer_exactly(void **s)
{
    (void)s;
    char id[16], team[8];
    const char *centres[] = {"north", "south"};
    for (int i = 0; i < 300; i++) {
        snprintf(id, sizeof id, "p%03d", i);
        snprintf(team, sizeof team, "t%d", i % 3);
        hire_in(id, team, centres[i % 2]);
        adjust(id, 1 + i * 37 % 50);
    }
    size_t l0;
    free(all_boards(&l0)); /* built */
    assert_int_equal(ld_core_boards_step(F.c, 5), 0);
    size_t left = 0;
    for (int i = 0; i < 300; i += 1 + i % 2) {
        snprintf(id, sizeof id, "p%03d", i);
        F.now += 1;
        adjust(id, 1 + i * 53 % 40);
        if (i % 3 == 0) {
            size_t before = ld_core_boards_step(F.c, 0);
            left = ld_core_boards_step(F.c, 2); /* fewer than are noted: some wait */
            assert_int_equal(left, before > 2 ? before - 2 : 0);
        }
    }
    assert_true(left > 0);
    boards_match_fresh(); /* a query with people still noted flushes them first */
    assert_int_equal(ld_core_boards_step(F.c, 0), 0);
    for (int i = 0; i < 120; i++) {
        snprintf(id, sizeof id, "p%03d", i * 7 % 300);
        F.now += i == 60 ? 8 * DAY : 1; /* a new week between two steps */
        adjust(id, 1 + i % 9);
        ld_core_boards_step(F.c, 3);
    }
    while (ld_core_boards_step(F.c, 4))
        ;
    boards_match_fresh();
}

/* ------------------------------------------- around, against brute force -- */

/* The test's own model of the all-time boards: points, when they last
 * changed (§9: who reached the score first) and where each person works. */
typedef struct {
    char id[24];
    char team[4];
    const char *centre;
    int64_t pts, at;
    int left;
} model_t;

static model_t M[160];
static size_t n_m;

static int model_order(const void *pa, const void *pb)
{
    const model_t *a = *(const model_t *const *)pa, *b = *(const model_t *const *)pb;
    if (a->pts != b->pts)
        return a->pts > b->pts ? -1 : 1;
    if (a->at != b->at)
        return a->at < b->at ? -1 : 1;
    return strcmp(a->id, b->id);
}

static void model_adjust(model_t *m, int64_t amount)
{
    assert_int_equal(adjust(m->id, amount), 0);
    m->pts += amount;
    m->at = F.now;
}

/* An all-time board query around id (radius 1): 0 and the board, or the
 * refusal's code with why filled. */
static int around_q(int scope, const char *value, const char *id, Ladder__V1__Board **res,
                    ld_refusal_t *why)
{
    static ld_out_t *o;
    if (!o)
        o = ld_out_new();
    ld_out_reset(o);
    Ladder__V1__GetBoard g = LADDER__V1__GET_BOARD__INIT;
    g.scope = (Ladder__V1__BoardScope)scope;
    g.scope_value = (char *)value;
    g.around = (char *)id;
    g.radius = 1;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_BOARD;
    q.board = &g;
    Ladder__V1__Ok ok = LADDER__V1__OK__INIT;
    memset(why, 0, sizeof *why);
    int rc = ld_core_query(F.c, &q, F.now, o, &ok, why);
    *res = rc ? NULL : ok.board;
    return rc;
}

/* Every person's around-rows on the all-time org, centre, team and level
 * boards against the model sorted by §9's order; people who left are
 * refused as not on the board. */
static void around_matches_model(void)
{
    static const char *const centres[] = {"north", "south"}, *const teams[] = {"t0", "t1", "t2"};
    for (int scope = 0; scope < 4; scope++) {
        int n_values = scope == 1 ? 2 : scope == 2 ? 3 : 1;
        for (int v = 0; v < n_values; v++) {
            const char *value = scope == 1 ? centres[v] : scope == 2 ? teams[v] : scope == 3 ? "0" : "";
            const model_t *on[160];
            size_t n = 0;
            for (size_t i = 0; i < n_m; i++)
                if (!M[i].left && (scope == 0 || scope == 3 ||
                                   (scope == 1 && !strcmp(M[i].centre, value)) ||
                                   (scope == 2 && !strcmp(M[i].team, value))))
                    on[n++] = &M[i];
            qsort(on, n, sizeof *on, model_order);
            for (size_t i = 0; i < n_m; i++) {
                Ladder__V1__Board *b;
                ld_refusal_t why;
                int rc = around_q(scope, value, M[i].id, &b, &why);
                size_t r = 0;
                while (r < n && on[r] != &M[i])
                    r++;
                if (r == n) {
                    if (rc == 0)
                        fail_msg("%s answered on %s but is not on it", M[i].id, value);
                    assert_int_equal(why.code, LADDER__V1__ERROR_CODE__ERR_NOT_FOUND);
                    assert_string_equal(why.section, "§9");
                    continue;
                }
                if (rc)
                    fail_msg("%s refused on board '%s': %s", M[i].id, value, why.message);
                size_t first = r ? r - 1 : 0, last = r + 1 < n ? r + 1 : r;
                assert_int_equal(b->size, n);
                assert_int_equal(b->n_rows, last - first + 1);
                for (size_t k = first; k <= last; k++) {
                    const Ladder__V1__BoardRow *row = b->rows[k - first];
                    assert_int_equal(row->rank, k + 1);
                    assert_string_equal(row->employee_id, on[k]->id);
                    assert_string_equal(row->name, on[k]->id);
                    assert_int_equal(row->points, on[k]->pts);
                }
            }
        }
    }
}

/* §9: a rank around an asker on an all-time board finds the asker through
 * the boards' own copy of the id and key (issue 17): ids of 1 to 7 bytes
 * (decided by the first 8), of 8 and more sharing their first 8 bytes,
 * ties on points and time, people who left, an undone points change and an
 * undone hire whose index the next hire takes: every row equals the §9
 * order of a brute-force sort. */
static void test_s9_around_on_all_time_boards_matches_a_brute_force_order(void **s)
{
    (void)s;
    static const char *const fixed[] = {"a", "e7", "abcdefg", "abcdefgh", "abcdefghi",
                                        "abcdefgh-1", "abcdefgh-10", "abcdefgh-2", "abcdefgi"};
    n_m = 0;
    for (size_t i = 0; i < 120; i++) {
        model_t *m = &M[n_m++];
        memset(m, 0, sizeof *m);
        if (i < sizeof fixed / sizeof *fixed)
            snprintf(m->id, sizeof m->id, "%s", fixed[i]);
        else if (i % 2)
            snprintf(m->id, sizeof m->id, "abcdefgh-%02zu", i); /* 8 bytes in common */
        else
            snprintf(m->id, sizeof m->id, "q%zu", i);
        snprintf(m->team, sizeof m->team, "t%zu", i % 3);
        m->centre = i % 2 ? "south" : "north";
        assert_int_equal(hire_in(m->id, m->team, m->centre), 0);
    }
    for (size_t i = 0; i < n_m; i++) {
        if (i % 4 == 0)
            F.now += 1000; /* runs of four at one instant: ties on time too */
        model_adjust(&M[i], 10 + (int64_t)(i * 7 % 5) * 10); /* five scores: ties on points */
    }
    around_matches_model();
    /* moves between two queries, some down, some leaving */
    for (size_t i = 0; i < n_m; i += 3) {
        F.now += 1;
        model_adjust(&M[i], i % 2 ? -10 : 20);
    }
    for (size_t i = 5; i < n_m; i += 17) {
        Ladder__V1__Leave l = LADDER__V1__LEAVE__INIT;
        l.employee_id = M[i].id;
        l.reason = "moved on";
        assert_int_equal(fx_cmd(LADDER__V1__COMMAND__CMD_LEAVE, &l, "boss", MANAGER), 0);
        M[i].left = 1;
    }
    around_matches_model();
    /* an undone change: the asker's key is the one before it */
    uint32_t mark = ld_core_savepoint(F.c);
    assert_int_equal(adjust(M[1].id, 1000), 0);
    Ladder__V1__Board *b;
    ld_refusal_t why;
    assert_int_equal(around_q(0, "", M[1].id, &b, &why), 0);
    assert_int_equal(b->rows[0]->rank, 1);
    assert_string_equal(b->rows[0]->employee_id, M[1].id);
    ld_core_rollback(F.c, mark);
    ld_core_release(F.c);
    around_matches_model();
    /* an undone hire that was placed; the next hire takes its index */
    mark = ld_core_savepoint(F.c);
    assert_int_equal(hire("ghost"), 0);
    assert_int_equal(adjust("ghost", 5000), 0);
    assert_int_equal(around_q(0, "", "ghost", &b, &why), 0);
    assert_int_equal(b->rows[0]->rank, 1);
    ld_core_rollback(F.c, mark);
    ld_core_release(F.c);
    assert_int_not_equal(around_q(0, "", "ghost", &b, &why), 0);
    assert_int_equal(why.code, LADDER__V1__ERROR_CODE__ERR_NOT_FOUND);
    assert_string_equal(why.section, "§1");
    model_t *g = &M[n_m++];
    memset(g, 0, sizeof *g);
    snprintf(g->id, sizeof g->id, "ghost-2");
    snprintf(g->team, sizeof g->team, "t0");
    g->centre = "north";
    assert_int_equal(hire_in(g->id, g->team, g->centre), 0);
    F.now += 1;
    model_adjust(g, 30);
    around_matches_model();
    assert_int_not_equal(around_q(0, "", "ghost", &b, &why), 0);
    assert_string_equal(why.section, "§1");
    assert_int_not_equal(around_q(0, "", "nobody-at-all", &b, &why), 0);
    assert_int_equal(why.code, LADDER__V1__ERROR_CODE__ERR_NOT_FOUND);
    assert_string_equal(why.section, "§1");
    /* the same answers from boards built anew (a snapshot reload) */
    ld_core_t *loaded = fx_reloaded(), *kept = F.c;
    F.c = loaded;
    around_matches_model();
    F.c = kept;
    ld_core_destroy(&loaded);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_s9_order_by_points_then_first_to_reach_then_id),
        T(test_s9_rank_and_around),
        T(test_s9_week_rolls_over_at_monday_midnight_plus_8),
        T(test_s9_month_quarter_year_boundaries_in_plus_8),
        T(test_s9_scopes_centre_team_level),
        T(test_s9_boards_follow_undo_and_snapshot),
        T(test_s9_rows_show_id_name_and_current_level),
        T(test_s9_a_big_catch_up_answers_as_boards_built_anew),
        T(test_s9_boards_stepped_a_few_at_a_time_answer_exactly),
        T(test_s9_around_on_all_time_boards_matches_a_brute_force_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
