/* test_determinism.c — replay gives the same state, byte for byte (daemon/DESIGN.md
 * "Determinism"): a seeded stream of valid and invalid commands runs
 * against a live core (with random batches rolled back through savepoints);
 * folding the events it produced into an empty core gives a snapshot equal to
 * the live one; the same seed gives the same events; snapshot + tail = fold.
 * §9 boards move in batches (at each query); the live core is queried every
 * few commands, inside rolled-back batches too, the fold only at the end:
 * every board answers the same, row for row. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "core.h"
#include "gen.h"

#define T0 1767542400000LL
#define N_COMMANDS 16000

typedef struct {
    uint8_t **ev;
    size_t *len;
    size_t n, cap;
} log_t;

static void log_add(log_t *l, const Ladder__V1__Event *ev)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 1024;
        l->ev = realloc(l->ev, l->cap * sizeof *l->ev);
        l->len = realloc(l->len, l->cap * sizeof *l->len);
    }
    size_t n = ladder__v1__event__get_packed_size(ev);
    l->ev[l->n] = malloc(n);
    ladder__v1__event__pack(ev, l->ev[l->n]);
    l->len[l->n++] = n;
}

static void log_free(log_t *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->ev[i]);
    free(l->ev);
    free(l->len);
    memset(l, 0, sizeof *l);
}

static void seed_library(ld_core_t *c, log_t *log)
{
    for (uint32_t level = 1; level <= 5; level++)
        for (uint32_t half = 1; half <= 2; half++)
            for (uint32_t k = 0; k < 14; k++) {
                /* training cases only high up, so that §6.3 lets the lower
                 * promotions through and the generator reaches them */
                if (half == 1 && level < 4)
                    continue;
                char id[32];
                snprintf(id, sizeof id, "c%u-%u-%u", level, half, k);
                Ladder__V1__CaseAccepted m = LADDER__V1__CASE_ACCEPTED__INIT;
                m.case_id = id;
                m.submission_id = id;
                m.level = level;
                m.category = k % 2 ? "billing" : "network";
                m.half = (Ladder__V1__Half)half;
                Ladder__V1__Event ev = LADDER__V1__EVENT__INIT;
                ev.seq = ld_core_next_seq(c);
                ev.stream = "case";
                ev.at_ms = T0;
                ev.body_case = LADDER__V1__EVENT__BODY_CASE_ACCEPTED;
                ev.case_accepted = &m;
                assert_int_equal(ld_core_evolve(c, &ev), 0);
                log_add(log, &ev);
            }
}

/* Asks one board (top 1000, or around one employee) and returns the packed
 * answer, or NULL when refused (an unknown scope value, not on the board). */
static uint8_t *board_ask(ld_core_t *c, ld_out_t *out, int64_t now, int window, int scope,
                          const char *value, const char *around, size_t *len)
{
    Ladder__V1__GetBoard g = LADDER__V1__GET_BOARD__INIT;
    g.window = (Ladder__V1__BoardWindow)window;
    g.scope = (Ladder__V1__BoardScope)scope;
    g.scope_value = (char *)value;
    g.top = around ? 0 : 1000;
    g.around = (char *)around;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_BOARD;
    q.board = &g;
    Ladder__V1__Ok ok = LADDER__V1__OK__INIT;
    if (ld_core_query(c, &q, now, out, &ok, NULL))
        return NULL;
    *len = ladder__v1__board__get_packed_size(ok.board);
    uint8_t *buf = malloc(*len);
    ladder__v1__board__pack(ok.board, buf);
    return buf;
}

/* Every board of the generator's scopes at `now`, packed one after another,
 * plus each employee's row on the all-time and week org boards. */
static uint8_t *boards_digest(ld_core_t *c, int64_t now, size_t *len)
{
    static const char *const values[4][6] = {
        {""}, {"centre0", "centre1", "centre2"}, {"team0", "team1", "team2", "team3", "team4"},
        {"0", "1", "2", "3", "4", "5"}};
    static const int n_values[4] = {1, 3, 5, 6};
    ld_out_t *out = ld_out_new();
    uint8_t *all = NULL;
    size_t n = 0;
    for (int w = 0; w < 5; w++)
        for (int s = 0; s < 4; s++)
            for (int v = 0; v < n_values[s]; v++) {
                size_t l = 0;
                uint8_t *b = board_ask(c, out, now, w, s, values[s][v], NULL, &l);
                all = realloc(all, n + l + 1);
                all[n++] = b != NULL;
                if (b)
                    memcpy(all + n, b, l);
                n += l;
                free(b);
            }
    for (size_t i = 0; i < ld_core_employee_count(c); i++)
        for (int w = 0; w < 2; w++) {
            ld_emp_summary_t e;
            ld_core_employee_at(c, i, &e);
            size_t l = 0;
            uint8_t *b = board_ask(c, out, now, w, 0, "", e.id, &l);
            all = realloc(all, n + l + 1);
            all[n++] = b != NULL;
            if (b)
                memcpy(all + n, b, l);
            n += l;
            free(b);
            ld_out_reset(out);
        }
    ld_out_destroy(&out);
    *len = n;
    return all;
}

typedef struct {
    size_t accepted, refused, rolled_back;
    size_t promotions, demotions, cases_accepted, kb_accepted, suggestions_judged, qc_completed;
} tally_t;

/* Runs n generated commands; every 97th group of three is a batch that is
 * rolled back, so the undo journal is exercised against the fold. */
static ld_core_t *run(uint64_t seed, size_t n, log_t *log, tally_t *t, size_t snapshot_at,
                      uint8_t **mid, size_t *mid_len, size_t *mid_events)
{
    ld_core_t *c = ld_core_new(1);
    ld_out_t *out = ld_out_new();
    seed_library(c, log);
    ld_gen_t g;
    ld_gen_init(&g, seed, 120, T0);
    for (size_t i = 0; i < n; i++) {
        if (snapshot_at && i == snapshot_at) {
            assert_int_equal(ld_core_snapshot(c, mid, mid_len), 0);
            *mid_events = log->n;
        }
        bool batch = i % 97 == 5;
        uint32_t mark = batch ? ld_core_savepoint(c) : 0;
        size_t k = batch ? 3 : 1;
        ld_out_reset(out);
        for (size_t j = 0; j < k; j++) {
            Ladder__V1__Command *cmd = ld_gen_command(&g);
            char rid[24];
            int rl = snprintf(rid, sizeof rid, "r%zu.%zu", i, j);
            ld_ctx_t ctx = {g.now, g.principal, g.roles, (const uint8_t *)rid, (size_t)rl};
            ld_refusal_t why;
            if (ld_core_execute(c, cmd, &ctx, out, &why) == 0)
                t->accepted++;
            else
                t->refused++;
            if (i % 37 == 0 || (batch && j == 1)) {
                /* a board batch boundary: the boards catch up here */
                size_t l;
                free(board_ask(c, out, g.now, (int)(i % 5), 0, "", NULL, &l));
            }
        }
        if (batch) {
            ld_core_rollback(c, mark);
            ld_core_release(c);
            t->rolled_back += ld_out_count(out);
            continue;
        }
        for (size_t j = 0; j < ld_out_count(out); j++) {
            Ladder__V1__Event *ev = ld_out_events(out)[j];
            t->promotions += ev->body_case == LADDER__V1__EVENT__BODY_PROMOTED;
            t->cases_accepted += ev->body_case == LADDER__V1__EVENT__BODY_CASE_ACCEPTED;
            t->kb_accepted += ev->body_case == LADDER__V1__EVENT__BODY_KB_ACCEPTED;
            t->suggestions_judged += ev->body_case == LADDER__V1__EVENT__BODY_SUGGESTION_JUDGED;
            t->qc_completed += ev->body_case == LADDER__V1__EVENT__BODY_QC_COMPLETED;
            t->demotions += ev->body_case == LADDER__V1__EVENT__BODY_RETENTION_YEAR_CLOSED &&
                            !ev->retention_year_closed->kept;
            log_add(log, ev);
        }
    }
    ld_out_destroy(&out);
    return c;
}

static void fold(ld_core_t *c, const log_t *log, size_t from)
{
    for (size_t i = from; i < log->n; i++) {
        Ladder__V1__Event *ev = ladder__v1__event__unpack(NULL, log->len[i], log->ev[i]);
        assert_non_null(ev);
        if (ld_core_evolve(c, ev) != 0)
            fail_msg("event %zu (seq %llu, case %d) did not fold", i, (unsigned long long)ev->seq,
                     ev->body_case);
        ladder__v1__event__free_unpacked(ev, NULL);
    }
}

static void test_fold_of_produced_events_equals_live_state(void **s)
{
    (void)s;
    log_t log = {0};
    tally_t t = {0};
    uint8_t *mid = NULL;
    size_t mid_len = 0, mid_events = 0;
    ld_core_t *live = run(7, N_COMMANDS, &log, &t, N_COMMANDS / 2, &mid, &mid_len, &mid_events);
    print_message("commands: %zu accepted, %zu refused; %zu events (%zu rolled back); "
                  "%zu promotions, %zu demotions, %zu cases accepted by review, %zu KB items "
                  "accepted, %zu suggestions judged, %zu QC projects completed\n",
                  t.accepted, t.refused, log.n, t.rolled_back, t.promotions, t.demotions,
                  t.cases_accepted, t.kb_accepted, t.suggestions_judged, t.qc_completed);
    /* the generator must reach the interesting paths, or the test proves little */
    assert_true(t.accepted > 3000 && t.refused > 1000);
    assert_true(t.promotions >= 5);
    assert_true(t.cases_accepted >= 5);
    assert_true(t.kb_accepted >= 3);
    assert_true(t.suggestions_judged >= 3);
    assert_true(t.qc_completed >= 1);
    assert_true(t.demotions >= 5);
    assert_true(t.rolled_back > 0);

    ld_core_t *folded = ld_core_new(1);
    fold(folded, &log, 0);
    uint8_t *a, *b;
    size_t al, bl;
    assert_int_equal(ld_core_snapshot(live, &a, &al), 0);
    assert_int_equal(ld_core_snapshot(folded, &b, &bl), 0);
    assert_int_equal(al, bl);
    assert_memory_equal(a, b, al);

    /* §9: the live boards (moved in many batches, some rolled back) answer
     * as the fold's (built once) do */
    int64_t now = ld_core_last_at(live);
    size_t dl1, dl2;
    uint8_t *bd1 = boards_digest(live, now, &dl1), *bd2 = boards_digest(folded, now, &dl2);
    assert_true(dl1 > 10000);
    assert_int_equal(dl1, dl2);
    assert_memory_equal(bd1, bd2, dl1);
    free(bd2);

    /* snapshot round trip */
    ld_core_t *loaded = ld_core_from_snapshot(a, al);
    assert_non_null(loaded);
    uint8_t *c2;
    size_t cl;
    assert_int_equal(ld_core_snapshot(loaded, &c2, &cl), 0);
    assert_int_equal(cl, al);
    assert_memory_equal(c2, a, al);
    free(c2);
    bd2 = boards_digest(loaded, now, &dl2);
    assert_int_equal(dl1, dl2);
    assert_memory_equal(bd1, bd2, dl1);
    free(bd1), free(bd2);

    /* snapshot taken half way + the remaining events = the whole fold */
    ld_core_t *resumed = ld_core_from_snapshot(mid, mid_len);
    assert_non_null(resumed);
    fold(resumed, &log, mid_events);
    assert_int_equal(ld_core_snapshot(resumed, &c2, &cl), 0);
    assert_int_equal(cl, al);
    assert_memory_equal(c2, a, al);
    free(c2);

    /* the deadline heap is rebuilt from a snapshot: same next deadline */
    int64_t d1 = 0, d2 = 0;
    const char *w1 = "", *w2 = "";
    bool h1 = ld_core_next_deadline(live, &d1, &w1, NULL);
    bool h2 = ld_core_next_deadline(loaded, &d2, &w2, NULL);
    assert_int_equal(h1, h2);
    assert_int_equal(d1, d2);
    assert_string_equal(w1, w2);

    free(a), free(b), free(mid);
    ld_core_destroy(&live), ld_core_destroy(&folded), ld_core_destroy(&loaded);
    ld_core_destroy(&resumed);
    log_free(&log);
}

static void test_same_seed_same_events(void **s)
{
    (void)s;
    log_t l1 = {0}, l2 = {0}, l3 = {0};
    tally_t t = {0};
    ld_core_t *c1 = run(11, 3000, &l1, &t, 0, NULL, NULL, NULL);
    ld_core_t *c2 = run(11, 3000, &l2, &t, 0, NULL, NULL, NULL);
    ld_core_t *c3 = run(12, 3000, &l3, &t, 0, NULL, NULL, NULL);
    assert_int_equal(l1.n, l2.n);
    for (size_t i = 0; i < l1.n; i++) {
        assert_int_equal(l1.len[i], l2.len[i]);
        assert_memory_equal(l1.ev[i], l2.ev[i], l1.len[i]);
    }
    /* and a different seed differs, so the comparison above can fail */
    bool differ = l1.n != l3.n;
    for (size_t i = 0; !differ && i < l1.n; i++)
        differ = l1.len[i] != l3.len[i] || memcmp(l1.ev[i], l3.ev[i], l1.len[i]) != 0;
    assert_true(differ);
    ld_core_destroy(&c1), ld_core_destroy(&c2), ld_core_destroy(&c3);
    log_free(&l1), log_free(&l2), log_free(&l3);
}

static void test_rollback_restores_state_exactly(void **s)
{
    (void)s;
    log_t log = {0};
    tally_t t = {0};
    ld_core_t *c = run(3, 2000, &log, &t, 0, NULL, NULL, NULL);
    uint8_t *before, *after;
    size_t bl, al;
    assert_int_equal(ld_core_snapshot(c, &before, &bl), 0);
    ld_gen_t g;
    ld_gen_init(&g, 99, 120, T0 + 5000LL * 86400000);
    ld_out_t *out = ld_out_new();
    uint32_t mark = ld_core_savepoint(c);
    size_t ok = 0;
    for (int i = 0; i < 500; i++) {
        Ladder__V1__Command *cmd = ld_gen_command(&g);
        ld_ctx_t ctx = {g.now, g.principal, g.roles, (const uint8_t *)"x", 1};
        ok += ld_core_execute(c, cmd, &ctx, out, NULL) == 0;
    }
    print_message("rollback: %zu of 500 accepted\n", ok);
    assert_true(ok > 100);
    ld_core_rollback(c, mark);
    ld_core_release(c);
    assert_int_equal(ld_core_snapshot(c, &after, &al), 0);
    assert_int_equal(al, bl);
    assert_memory_equal(before, after, bl);
    free(before), free(after);
    ld_out_destroy(&out);
    ld_core_destroy(&c);
    log_free(&log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fold_of_produced_events_equals_live_state),
        cmocka_unit_test(test_same_seed_same_events),
        cmocka_unit_test(test_rollback_restores_state_exactly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
