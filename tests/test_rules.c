/* test_rules.c — scenario tests of §10 v2 (RULES.md): a rules document is
 * merged over the rules in force, and the rules query returns the rules in
 * force and every adopted version with its seq. */
#include "core_fixture.h"

static int setup(void **s) { (void)s; fx_setup(); return 0; }
static int teardown(void **s) { (void)s; fx_teardown(); return 0; }

static Ladder__V1__RulesView *rules_query(ld_out_t *o, uint32_t version, int *rc)
{
    ld_out_reset(o);
    Ladder__V1__GetRules g = LADDER__V1__GET_RULES__INIT;
    g.version = version;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_RULES;
    q.rules = &g;
    Ladder__V1__Ok ok = LADDER__V1__OK__INIT;
    *rc = ld_core_query(F.c, &q, F.now, o, &ok, &F.why);
    return *rc ? NULL : ok.rules;
}

/* fault 5: before v2 the second document started from the defaults and put
 * the cap back to 120. */
static void test_s10_merge_over_the_rules_in_force(void **s)
{
    (void)s;
    adopt("{\"case\":{\"cap\":100}}");
    fx_ok();
    uint64_t v1 = fx_event(0)->seq;
    F.now += DAY;
    adopt("{\"retention\":{\"points\":300}}");
    fx_ok();
    uint64_t v2 = fx_event(0)->seq;
    const ld_rules_t *r = ld_core_rules(F.c);
    assert_int_equal(r->version, 2);
    assert_int_equal(r->case_cap, 100);            /* kept, not back to 120 */
    assert_int_equal(r->retention_points, 300);
    assert_int_equal(r->case_protect_days, 180);   /* never named: the default */
    /* the stored document is the whole merged result */
    assert_non_null(strstr(fx_event(0)->rules_adopted->rules_json, "\"cap\":100"));
    /* arrays are replaced whole */
    adopt("{\"promotion\":{\"points\":[1000,1600,2400,3200,4000,4800]}}");
    fx_ok();
    r = ld_core_rules(F.c);
    assert_int_equal(r->promotion_points[0], 1000);
    assert_int_equal(r->case_cap, 100);
    /* a refused document changes nothing */
    adopt("{\"case\":{\"cap\":1}}");
    fx_refused("§10", "case.cap");
    assert_int_equal(ld_core_rules(F.c)->version, 3);

    ld_out_t *o = ld_out_new();
    int rc;
    Ladder__V1__RulesView *v = rules_query(o, 0, &rc);
    assert_int_equal(rc, 0);
    assert_int_equal(v->version, 3);
    assert_int_equal(v->in_force, 3);
    assert_non_null(strstr(v->rules_json, "\"cap\":100"));
    assert_non_null(strstr(v->rules_json, "\"points\":300"));
    assert_int_equal(v->n_versions, 3);
    assert_int_equal(v->versions[0]->version, 1);
    assert_int_equal(v->versions[0]->seq, v1);
    assert_int_equal(v->versions[0]->at_ms, T0);
    assert_int_equal(v->versions[1]->seq, v2);
    assert_int_equal(v->versions[1]->at_ms, T0 + DAY);
    /* an earlier version, as it was */
    v = rules_query(o, 1, &rc);
    assert_int_equal(v->version, 1);
    assert_int_equal(v->in_force, 3);
    assert_non_null(strstr(v->rules_json, "\"points\":200")); /* retention before v2 */
    rules_query(o, 4, &rc);
    assert_int_equal(rc, -1);
    assert_int_equal(F.why.code, LADDER__V1__ERROR_CODE__ERR_NOT_FOUND);
    assert_string_equal(F.why.section, "§10");

    /* a snapshot keeps the versions and their seqs */
    uint8_t *buf;
    size_t len;
    assert_int_equal(ld_core_snapshot(F.c, &buf, &len), 0);
    ld_core_t *loaded = ld_core_from_snapshot(buf, len);
    free(buf);
    assert_non_null(loaded);
    ld_core_t *live = F.c;
    F.c = loaded;
    v = rules_query(o, 0, &rc);
    assert_int_equal(v->n_versions, 3);
    assert_int_equal(v->versions[1]->seq, v2);
    assert_int_equal(ld_core_rules(loaded)->case_cap, 100);
    F.c = live;
    ld_core_destroy(&loaded);
    ld_out_destroy(&o);
}

static void test_s10_no_rules_adopted_gives_the_defaults(void **s)
{
    (void)s;
    ld_out_t *o = ld_out_new();
    int rc;
    Ladder__V1__RulesView *v = rules_query(o, 0, &rc);
    assert_int_equal(rc, 0);
    assert_int_equal(v->version, 0);
    assert_int_equal(v->n_versions, 0);
    assert_non_null(strstr(v->rules_json, "\"cap\":120"));
    assert_non_null(strstr(v->rules_json, "\"protect_days\":180"));
    assert_non_null(strstr(v->rules_json, "\"min_level\":4"));
    ld_out_destroy(&o);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_s10_merge_over_the_rules_in_force),
        T(test_s10_no_rules_adopted_gives_the_defaults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
