/* test_scale.c — the core's memory is bounded by the organisation, not by
 * the history (projections/core.h, "Memory"): the generator's long-run mix
 * (people join and leave, cases churn, time advances) is decided by a live
 * core and every event is replayed, from its bytes, into a second core, as
 * ladderd's start-up does; the process's RSS after 2 M events is within
 * 1.25x of its RSS after 1 M. Boards catch up every 100 000 events. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "core.h"
#include "gen.h"

#define T0 1767542400000LL
#define EMPLOYEES 50000

static long events_total = 2000000;

/* The process's own resident memory (RssAnon), in kB. */
static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = 0;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "RssAnon:", 8))
            v = atol(line + 8);
    if (f)
        fclose(f);
    return v;
}

static void ask_board(ld_core_t *c, ld_out_t *out, int64_t now)
{
    Ladder__V1__GetBoard g = LADDER__V1__GET_BOARD__INIT;
    g.window = LADDER__V1__BOARD_WINDOW__WINDOW_WEEK;
    g.top = 10;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_BOARD;
    q.board = &g;
    Ladder__V1__Ok ok = LADDER__V1__OK__INIT;
    assert_int_equal(ld_core_query(c, &q, now, out, &ok, NULL), 0);
}

/* Applies out's events to the replica from their packed bytes. */
static void replay_into(ld_core_t *replica, ld_out_t *out)
{
    static uint8_t buf[1 << 16];
    for (size_t i = 0; i < ld_out_count(out); i++) {
        Ladder__V1__Event *ev = ld_out_events(out)[i];
        size_t n = ladder__v1__event__get_packed_size(ev);
        assert_true(n <= sizeof buf);
        ladder__v1__event__pack(ev, buf);
        Ladder__V1__Event *back = ladder__v1__event__unpack(NULL, n, buf);
        assert_non_null(back);
        assert_int_equal(ld_core_evolve(replica, back), 0);
        ladder__v1__event__free_unpacked(back, NULL);
    }
}

/* The library the generator studies from (c<level>-<half>-<k>). */
static void seed_library(ld_core_t *c, ld_core_t *replica)
{
    for (uint32_t level = 1; level <= 5; level++)
        for (uint32_t half = 1; half <= 2; half++)
            for (uint32_t k = 0; k < 14; k++) {
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
                assert_int_equal(ld_core_evolve(replica, &ev), 0);
            }
}

static void test_memory_is_flat_in_history(void **s)
{
    (void)s;
    ld_core_t *live = ld_core_new(1), *replica = ld_core_new(1);
    ld_out_t *out = ld_out_new();
    for (uint32_t i = 0; i < EMPLOYEES; i++) {
        char id[16], team[16], centre[16];
        snprintf(id, sizeof id, "e%u", i);
        snprintf(team, sizeof team, "team%u", i % 500);
        snprintf(centre, sizeof centre, "centre%u", i % 7);
        Ladder__V1__Hire h = LADDER__V1__HIRE__INIT;
        h.employee_id = id, h.name = "Li Wei", h.team = team, h.centre = centre;
        Ladder__V1__Command cmd = LADDER__V1__COMMAND__INIT;
        cmd.cmd_case = LADDER__V1__COMMAND__CMD_HIRE;
        cmd.hire = &h;
        ld_ctx_t ctx = {T0, "boss", LADDER__V1__ROLE__ROLE_MANAGER, NULL, 0};
        assert_int_equal(ld_core_execute(live, &cmd, &ctx, out, NULL), 0);
        replay_into(replica, out);
        ld_out_reset(out);
    }
    seed_library(live, replica);
    ld_gen_t g;
    ld_gen_init(&g, 17, EMPLOYEES, T0);
    g.realistic = 1;
    g.churn = 1;
    long rss_half = 0, next_tick = 100000, commands = 0, accepted = 0;
    while ((long)ld_core_next_seq(live) - 1 < events_total) {
        /* a group commit's worth under one savepoint, as ladderd decides */
        uint32_t mark = ld_core_savepoint(live);
        (void)mark;
        for (int k = 0; k < 100; k++) {
            Ladder__V1__Command *cmd = ld_gen_command(&g);
            ld_ctx_t ctx = {g.now, g.principal, g.roles, (const uint8_t *)&commands,
                            sizeof commands};
            accepted += ld_core_execute(live, cmd, &ctx, out, NULL) == 0;
            commands++;
        }
        ld_core_release(live);
        replay_into(replica, out);
        ld_out_reset(out);
        long done = (long)ld_core_next_seq(live) - 1;
        if (done >= next_tick) {
            ask_board(live, out, g.now);
            ask_board(replica, out, g.now);
            ld_out_reset(out);
            next_tick += 100000;
        }
        if (!rss_half && done >= events_total / 2)
            rss_half = rss_kb();
    }
    long rss_end = rss_kb();
    print_message("%ld commands (%.0f%% accepted), %llu events, %zu people hired in all, "
                  "%u employed; %.0f days; RSS %ld kB at half, %ld kB at the end (%.3fx)\n",
                  commands, 100.0 * (double)accepted / (double)commands,
                  (unsigned long long)ld_core_next_seq(live) - 1, ld_core_employee_count(live),
                  g.hi - g.lo, (double)(g.now - T0) / 86400000.0, rss_half, rss_end,
                  (double)rss_end / (double)rss_half);
    /* the mix stayed realistic: most commands were accepted, people moved */
    assert_true(accepted * 2 > commands);
    assert_true(g.lo > 1000);
    assert_true(rss_end * 100 <= rss_half * 125);
    uint8_t *a, *b;
    size_t al, bl;
    assert_int_equal(ld_core_snapshot(live, &a, &al), 0);
    assert_int_equal(ld_core_snapshot(replica, &b, &bl), 0);
    assert_int_equal(al, bl);
    assert_memory_equal(a, b, al);
    free(a), free(b);
    ld_out_destroy(&out);
    ld_core_destroy(&live), ld_core_destroy(&replica);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        events_total = atol(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memory_is_flat_in_history),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
