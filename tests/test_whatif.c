/* test_whatif.c — §10 rules what-if (projections/whatif.h): a log built with
 * the scenario fixture is fed to the what-if under proposed documents, and the
 * report must name exactly the employees, decisions and rules that differ. */
#include "core_fixture.h"

#include "pbjson.h"
#include "whatif.h"

#define RETAIN LADDER__V1__EXAM_PURPOSE__EXAM_RETENTION
#define HALF_TEST LADDER__V1__HALF__HALF_TEST
#define WINDOW_OPEN (T0 + 334 * DAY) /* 2026-12-05 */
#define YEAR_END (T0 + 365 * DAY)    /* 2027-01-05 00:00 +08:00 */

/* The log the scenario builds: each accepted command's events, packed. */
static struct {
    uint8_t **ev;
    size_t *len;
    size_t n, cap;
} L;

static void keep(const Ladder__V1__Event *ev)
{
    if (L.n == L.cap) {
        L.cap = L.cap ? L.cap * 2 : 256;
        L.ev = realloc(L.ev, L.cap * sizeof *L.ev);
        L.len = realloc(L.len, L.cap * sizeof *L.len);
        assert_non_null(L.ev);
        assert_non_null(L.len);
    }
    L.len[L.n] = ladder__v1__event__get_packed_size(ev);
    L.ev[L.n] = malloc(L.len[L.n]);
    ladder__v1__event__pack(ev, L.ev[L.n]);
    L.n++;
}

static int setup(void **s)
{
    (void)s;
    fx_setup();
    fx_on_event = keep;
    return 0;
}

static int teardown(void **s)
{
    (void)s;
    fx_on_event = NULL;
    fx_teardown();
    for (size_t i = 0; i < L.n; i++)
        free(L.ev[i]);
    free(L.ev);
    free(L.len);
    memset(&L, 0, sizeof L);
    return 0;
}

/* Runs the what-if of json over the kept log from from_seq (0: the start). */
static Ladder__V1__WhatIfReport *what_if(const char *json, uint64_t from_seq, ld_out_t *out)
{
    Ladder__V1__WhatIf q = LADDER__V1__WHAT_IF__INIT;
    q.rules_json = (char *)json;
    q.from_seq = from_seq;
    ld_refusal_t why;
    ld_whatif_t *w = ld_whatif_new(NULL, &q, &why);
    if (!w)
        fail_msg("rules refused: %s %s", why.section, why.message);
    for (size_t i = 0; i < L.n; i++) {
        Ladder__V1__Event *ev = ladder__v1__event__unpack(NULL, L.len[i], L.ev[i]);
        assert_non_null(ev);
        int rc = ld_whatif_feed(w, ev, &why);
        ladder__v1__event__free_unpacked(ev, NULL);
        if (rc < 0)
            fail_msg("feed: %s", why.message);
    }
    static Ladder__V1__WhatIfReport rep;
    Ladder__V1__WhatIfReport *r = &rep;
    ladder__v1__what_if_report__init(r);
    assert_int_equal(ld_whatif_report(w, out, r), 0);
    ld_whatif_destroy(&w);
    assert_null(w);
    return r;
}

static const Ladder__V1__WhatIfEmployee *row(const Ladder__V1__WhatIfReport *r, const char *id)
{
    for (size_t i = 0; i < r->n_employees; i++)
        if (strcmp(r->employees[i]->employee_id, id) == 0)
            return r->employees[i];
    return NULL;
}

/* Six level-1 employees pass their re-tests; in their year e1..e6 earn 200,
 * 250, 299, 300, 150 and 1000 points; the system closes every year. */
static void retention_year(void)
{
    static const char *ids[] = {"e1", "e2", "e3", "e4", "e5", "e6"};
    static const int64_t pts[] = {200, 250, 299, 300, 150, 1000};
    for (int i = 0; i < 6; i++) {
        hire(ids[i]);
        fx_ok();
        promote(ids[i]);
    }
    given_cases("r", 1, HALF_TEST, 10);
    F.now += DAY;
    for (int i = 0; i < 6; i++) {
        adjust(ids[i], pts[i]);
        fx_ok();
    }
    F.now = WINDOW_OPEN;
    for (int i = 0; i < 6; i++) {
        char exam[16];
        snprintf(exam, sizeof exam, "y%d", i);
        qtest(ids[i], 100000);
        fx_ok();
        draw(exam, ids[i], RETAIN);
        fx_ok();
        grade(exam, 90, 10);
        fx_ok();
    }
    F.now = YEAR_END;
    for (int i = 0; i < 6; i++) {
        close_year(ids[i]);
        fx_ok();
    }
}

static void test_s10_whatif_retention_300_demotes_exactly_200_to_299(void **s)
{
    (void)s;
    retention_year();
    ld_out_t *out = ld_out_new();
    Ladder__V1__WhatIfReport *r = what_if("{\"retention\":{\"points\":300}}", 0, out);
    assert_int_equal(r->n_employees, 3);
    static const char *hit[] = {"e1", "e2", "e3"};
    static const int pts[] = {200, 250, 299};
    for (int i = 0; i < 3; i++) {
        const Ladder__V1__WhatIfEmployee *e = row(r, hit[i]);
        assert_non_null(e);
        assert_int_equal(e->actual_level, 1);
        assert_int_equal(e->what_if_level, 0);
        assert_int_equal(e->n_decisions, 1);
        const Ladder__V1__WhatIfDecision *d = e->decisions[0];
        assert_int_equal(d->at_ms, YEAR_END);
        assert_string_equal(d->section, "§7");
        assert_string_equal(d->actual, "kept level 1");
        char want[96];
        snprintf(want, sizeof want, "%d points in the year, needs 300", pts[i]);
        if (!strstr(d->what_if, "demoted 1 -> 0") || !strstr(d->what_if, want))
            fail_msg("%s: what-if says \"%s\"", hit[i], d->what_if);
        assert_int_equal(e->n_what_if_path, 2); /* promoted 0->1, demoted 1->0 */
        assert_int_equal(e->what_if_path[1]->at_ms, YEAR_END);
        assert_string_equal(e->what_if_path[1]->cause, "demoted");
        assert_int_equal(e->n_actual_path, 1);
    }
    assert_null(row(r, "e4")); /* 300: kept under both */
    assert_null(row(r, "e5")); /* 150: demoted under both */
    assert_null(row(r, "e6"));
    assert_int_equal(r->actual->demotions, 1);
    assert_int_equal(r->what_if->demotions, 4);
    assert_int_equal(r->actual->years_kept, 5);
    assert_int_equal(r->what_if->years_kept, 2);
    assert_int_equal(r->actual->promotions, 6);
    assert_int_equal(r->what_if->promotions, 6);
    assert_int_equal(r->n_refused, 0);
    ld_out_destroy(&out);
}

/* The what-if of the rules in force equals the log: a second audit. */
static void test_s10_whatif_of_the_rules_in_force_changes_nothing(void **s)
{
    (void)s;
    retention_year();
    ld_out_t *out = ld_out_new();
    static const char *same[] = {"{}", "{\"retention\":{\"points\":200}}",
                                 "{\"promotion\":{\"points\":[800,1600,2400,3200,4000,4800]}}"};
    for (size_t k = 0; k < 3; k++) {
        Ladder__V1__WhatIfReport *r = what_if(same[k], 0, out);
        for (size_t i = 0; i < r->n_employees; i++)
            for (size_t d = 0; d < r->employees[i]->n_decisions; d++)
                print_message("%s: seq %llu actual [%s] what-if [%s]\n", r->employees[i]->employee_id,
                              (unsigned long long)r->employees[i]->decisions[d]->seq,
                              r->employees[i]->decisions[d]->actual, r->employees[i]->decisions[d]->what_if);
        assert_int_equal(r->n_employees, 0);
        assert_int_equal(r->n_refused, 0);
        assert_int_equal(r->actual->demotions, r->what_if->demotions);
        assert_int_equal(r->actual->years_kept, r->what_if->years_kept);
        assert_int_equal(r->actual->points_awarded, r->what_if->points_awarded);
        assert_int_equal(r->events, L.n);
        assert_true(r->facts > 0);
    }
    ld_out_destroy(&out);
}

/* Raising promotion.points[0] refuses the draw (§6.1); the promotion, and
 * the year that came of it, are gone; the report names the refusal. */
static void test_s10_whatif_higher_promotion_points_refuse_the_exam(void **s)
{
    (void)s;
    hire("p1");
    fx_ok();
    promote("p1"); /* 800 points, exam passed at T0 */
    ld_out_t *out = ld_out_new();
    Ladder__V1__WhatIfReport *r = what_if("{\"promotion\":{\"points\":[1000,1600,2400,3200,4000,4800]}}", 0, out);
    const Ladder__V1__WhatIfEmployee *e = row(r, "p1");
    assert_non_null(e);
    assert_int_equal(e->actual_level, 1);
    assert_int_equal(e->what_if_level, 0);
    assert_int_equal(e->n_decisions, 1);
    assert_non_null(strstr(e->decisions[0]->actual, "promoted 0 -> 1: §6: passed exam x"));
    assert_string_equal(e->decisions[0]->section, "§6.1");
    if (!strstr(e->decisions[0]->what_if, "refused") || !strstr(e->decisions[0]->what_if, "needs 150 more points"))
        fail_msg("what-if says \"%s\"", e->decisions[0]->what_if);
    assert_int_equal(r->what_if->promotions, 0);
    assert_true(r->n_refused >= 1);
    assert_int_equal(r->actual->promotions, 1);
    ld_out_destroy(&out);
}

/* Lowering the threshold cannot promote anyone earlier: draws refused under
 * the actual rules were never recorded. The report says what it cannot know. */
static void test_s10_whatif_cannot_invent_facts(void **s)
{
    (void)s;
    hire("p1");
    fx_ok();
    adjust("p1", 600);
    fx_ok();
    F.now += 30 * DAY;
    promote("p1");
    ld_out_t *out = ld_out_new();
    Ladder__V1__WhatIfReport *r = what_if("{\"promotion\":{\"points\":[500,1600,2400,3200,4000,4800]}}", 0, out);
    assert_int_equal(r->n_employees, 0);
    assert_non_null(strstr(r->note, "not in the log"));
    assert_non_null(strstr(r->note, "stays undrawn"));
    ld_out_destroy(&out);
}

/* Adopted from a seq on: decisions before it stand; the report starts there. */
static void test_s10_whatif_from_a_seq_keeps_what_came_before(void **s)
{
    (void)s;
    retention_year();
    /* the first fact in the re-test window: the adjustments before it count */
    uint64_t from = 0;
    for (size_t i = 0; i < L.n && !from; i++) {
        Ladder__V1__Event *ev = ladder__v1__event__unpack(NULL, L.len[i], L.ev[i]);
        if (ev->at_ms >= WINDOW_OPEN && ev->cause_seq == 0)
            from = ev->seq;
        ladder__v1__event__free_unpacked(ev, NULL);
    }
    assert_true(from > 1);
    ld_out_t *out = ld_out_new();
    Ladder__V1__WhatIfReport *r = what_if("{\"retention\":{\"points\":300}}", from, out);
    assert_int_equal(r->from_seq, from);
    assert_int_equal(r->to_seq, L.n);
    assert_int_equal(r->events, L.n - from + 1);
    assert_int_equal(r->n_employees, 3);
    assert_int_equal(r->actual->promotions, 0); /* before the span */
    ld_out_destroy(&out);
}

static void test_s10_whatif_refuses_a_bad_document_naming_the_field(void **s)
{
    (void)s;
    Ladder__V1__WhatIf q = LADDER__V1__WHAT_IF__INIT;
    q.rules_json = "{\"retention\":{\"points\":\"many\"}}";
    ld_refusal_t why;
    assert_null(ld_whatif_new(NULL, &q, &why));
    assert_int_not_equal(why.code, 0);
    assert_non_null(strstr(why.message, "points"));
    q.rules_json = "not json";
    assert_null(ld_whatif_new(NULL, &q, &why));
}

/* The report travels as proto3 JSON and comes back the same bytes. */
static void test_s10_whatif_report_round_trips_through_json(void **s)
{
    (void)s;
    retention_year();
    ld_out_t *out = ld_out_new();
    Ladder__V1__WhatIfReport *r = what_if("{\"retention\":{\"points\":300}}", 0, out);
    json_t *j = pbjson_from_message(&r->base);
    char err[256];
    ProtobufCMessage *back = pbjson_to_message(&ladder__v1__what_if_report__descriptor, j, err, sizeof err);
    if (!back)
        fail_msg("%s", err);
    size_t n1 = protobuf_c_message_get_packed_size(&r->base);
    size_t n2 = protobuf_c_message_get_packed_size(back);
    assert_int_equal(n1, n2);
    uint8_t *b1 = malloc(n1), *b2 = malloc(n2);
    protobuf_c_message_pack(&r->base, b1);
    protobuf_c_message_pack(back, b2);
    assert_memory_equal(b1, b2, n1);
    free(b1);
    free(b2);
    protobuf_c_message_free_unpacked(back, NULL);
    json_decref(j);
    ld_out_destroy(&out);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_s10_whatif_retention_300_demotes_exactly_200_to_299),
        T(test_s10_whatif_of_the_rules_in_force_changes_nothing),
        T(test_s10_whatif_higher_promotion_points_refuse_the_exam),
        T(test_s10_whatif_cannot_invent_facts),
        T(test_s10_whatif_from_a_seq_keeps_what_came_before),
        T(test_s10_whatif_refuses_a_bad_document_naming_the_field),
        T(test_s10_whatif_report_round_trips_through_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
