/* test_core_table.c — the core's one hash table (ld_table_t, util.c), the
 * pair sets it indexes (ld_pairs_t), and the entity table's undo of
 * employees (state.c): string keys and pair keys, collisions, backward-shift
 * deletion (also across the end of the slots), growth, reserve, a random run
 * against a plain model, similar ids spread over the slots; and a rollback of hires, points, a placement and a
 * leave, with a refused command in between, that leaves the snapshot, the
 * boards and the deadlines as they were; and the boards' own index of
 * placed employees (boards.c) through growth and a rollback of hires; and
 * the page hint of appends (ld_pages_ahead, util.c). */
#include "core_fixture.h"
#include "internal.h"

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

/* ------------------------------------------------------- string keys -- */

#define NKEYS 2000

typedef struct {
    char id[NKEYS][16];
    uint64_t h[NKEYS];      /* the hash each row's key is filed under */
} rows_t;

static bool row_eq(const void *ctx, uint32_t i, const void *key)
{
    return strcmp(((const rows_t *)ctx)->id[i], key) == 0;
}

/* A hash whose tag and home say where a key lands: tag = (h ^ h >> 32) | 1,
 * home = (tag >> 1) & (cap - 1) (internal.h). */
static uint64_t at_home(uint32_t home) { return (uint64_t)(home << 1 | 1); }

/* Every key in three hashes: long chains of equal tags, eq decides. */
static void fill_colliding(rows_t *r)
{
    for (uint32_t i = 0; i < NKEYS; i++) {
        snprintf(r->id[i], sizeof r->id[i], "k%u", i);
        r->h[i] = at_home(i % 3) ^ (uint64_t)(i % 3) << 40;
    }
}

static void assert_table_holds(const ld_table_t *t, const rows_t *r, const bool *in)
{
    size_t n = 0;
    for (uint32_t i = 0; i < NKEYS; i++) {
        uint32_t got = ld_table_get(t, r->h[i], r->id[i], row_eq, r);
        if (in[i])
            assert_int_equal(got, i), n++;
        else
            assert_int_equal(got, NONE);
    }
    assert_int_equal(t->n, n);
    assert_true(t->n * 4 < t->cap * 3); /* at most 3/4 full */
}

static void test_table_string_keys_collide_delete_and_grow(void **s)
{
    (void)s;
    static rows_t r;
    static bool in[NKEYS];
    fill_colliding(&r);
    ld_table_t t = {0};
    assert_int_equal(ld_table_get(&t, r.h[0], r.id[0], row_eq, &r), NONE); /* empty: no slots */
    for (uint32_t i = 0; i < NKEYS; i++) {
        ld_table_put(&t, r.h[i], r.id[i], i, row_eq, &r);
        in[i] = true;
    }
    assert_true(t.cap >= 4096); /* grew from 64 by doubling, re-placed by tag alone */
    assert_table_holds(&t, &r, in);

    /* every third key goes; the chains behind them shift back */
    for (uint32_t i = 0; i < NKEYS; i += 3) {
        assert_int_equal(ld_table_del(&t, r.h[i], r.id[i], row_eq, &r), i);
        in[i] = false;
    }
    assert_int_equal(ld_table_del(&t, r.h[0], r.id[0], row_eq, &r), NONE); /* already gone */
    assert_table_holds(&t, &r, in);

    /* put again: a key present keeps one slot, its index replaced */
    for (uint32_t i = 0; i < NKEYS; i += 3) {
        ld_table_put(&t, r.h[i], r.id[i], i, row_eq, &r);
        in[i] = true;
    }
    size_t n = t.n;
    ld_table_put(&t, r.h[7], r.id[7], 7, row_eq, &r);
    assert_int_equal(t.n, n);
    assert_table_holds(&t, &r, in);
    ld_table_free(&t);
    assert_null(t.s);
    assert_int_equal(t.cap, 0);
}

static void test_table_delete_shifts_back_across_the_end(void **s)
{
    (void)s;
    static rows_t r;
    bool in[NKEYS] = {0};
    for (uint32_t i = 0; i < 8; i++)
        snprintf(r.id[i], sizeof r.id[i], "w%u", i);
    /* 64 slots: keys 0-3 home at 63 (they fill 63, 0, 1, 2), key 4 homes at
     * 0 (lands at 3), key 5 at 2 (lands at 4), key 6 at 62 */
    uint32_t homes[7] = {63, 63, 63, 63, 0, 2, 62};
    ld_table_t t = {0};
    for (uint32_t i = 0; i < 7; i++) {
        r.h[i] = at_home(homes[i]) + ((uint64_t)i << 44);
        ld_table_put(&t, r.h[i], r.id[i], i, row_eq, &r);
        in[i] = true;
    }
    assert_int_equal(t.cap, 64);
    assert_int_equal(t.s[63].idx, 0);
    assert_int_equal(t.s[0].idx, 1);
    assert_int_equal(t.s[3].idx, 4);
    assert_int_equal(t.s[4].idx, 5);
    assert_int_equal(t.s[62].idx, 6);

    /* the first of the run at 63 goes: 1, 2, 3 and 4 move back one, over
     * the end; 5 (home 2) moves to 3 */
    assert_int_equal(ld_table_del(&t, r.h[0], r.id[0], row_eq, &r), 0);
    in[0] = false;
    assert_int_equal(t.s[63].idx, 1);
    assert_int_equal(t.s[0].idx, 2);
    assert_int_equal(t.s[1].idx, 3);
    assert_int_equal(t.s[2].idx, 4);
    assert_int_equal(t.s[3].idx, 5);
    assert_int_equal(t.s[4].tag, 0);
    assert_table_holds(&t, &r, in);

    /* 6 (home 62) goes: nothing after it may move before its home */
    assert_int_equal(ld_table_del(&t, r.h[6], r.id[6], row_eq, &r), 6);
    in[6] = false;
    assert_int_equal(t.s[62].tag, 0);
    assert_int_equal(t.s[63].idx, 1);
    assert_table_holds(&t, &r, in);

    /* a row moved: its slot follows with no key compare */
    ld_table_reindex(&t, r.h[4], 4, 7);
    strcpy(r.id[7], r.id[4]);
    r.h[7] = r.h[4];
    strcpy(r.id[4], "moved");
    in[4] = false, in[7] = true;
    assert_table_holds(&t, &r, in);
    ld_table_free(&t);
}

/* A random run of puts, deletes and gets against a plain array: hashes
 * from a small space, so tags collide and chains run long. */
static void test_table_random_run_matches_a_model(void **s)
{
    (void)s;
    static rows_t r;
    static bool in[NKEYS];
    memset(in, 0, sizeof in);
    for (uint32_t i = 0; i < NKEYS; i++) {
        snprintf(r.id[i], sizeof r.id[i], "r%u", i);
        r.h[i] = ld_mix64(i % 61) & 0xffff0000ffffffffull; /* 61 hashes */
    }
    ld_table_t t = {0};
    uint64_t x = 12345;
    for (int step = 0; step < 200000; step++) {
        x = ld_mix64(x);
        uint32_t i = (uint32_t)(x % NKEYS);
        switch ((x >> 32) % 4) {
        case 0:
        case 1:
            ld_table_put(&t, r.h[i], r.id[i], i, row_eq, &r);
            in[i] = true;
            break;
        case 2:
            assert_int_equal(ld_table_del(&t, r.h[i], r.id[i], row_eq, &r), in[i] ? i : NONE);
            in[i] = false;
            break;
        default:
            assert_int_equal(ld_table_get(&t, r.h[i], r.id[i], row_eq, &r), in[i] ? i : NONE);
        }
        if (step % 50000 == 0)
            ld_table_reserve(&t, t.n + 1000); /* grows with slots in use */
    }
    assert_table_holds(&t, &r, in);
    ld_table_free(&t);
}

static void test_table_reserve_sizes_once(void **s)
{
    (void)s;
    ld_table_t t = {0};
    ld_table_reserve(&t, 1000000);
    size_t cap = t.cap;
    assert_int_equal(cap, 2097152); /* the first power of two over 4/3 of a million */
    assert_int_equal(t.n, 0);
    ld_table_reserve(&t, 10);
    assert_int_equal(t.cap, cap); /* never shrinks */
    ld_table_free(&t);
}

/* Ids alike but for their last bytes ("e17", "e18", "team3") spread over
 * the slots: a successful lookup probes under 2.5 slots on average, at
 * every size (homes from FNV-1a's high bits alone took 21-27). */
static bool id_eq(const void *ctx, uint32_t i, const void *key)
{
    return strcmp(((const char (*)[16])ctx)[i], key) == 0;
}

static void test_table_similar_ids_spread_over_the_slots(void **s)
{
    (void)s;
    static char ids[50000][16];
    const char *shapes[] = {"e%u", "team%u", "3:sug%u"};
    const uint32_t sizes[] = {100, 1000, 5000, 50000};
    for (int f = 0; f < 3; f++)
        for (int z = 0; z < 4; z++) {
            ld_table_t t = {0};
            for (uint32_t i = 0; i < sizes[z]; i++) {
                snprintf(ids[i], sizeof ids[i], shapes[f], i);
                ld_table_put(&t, ld_hash_str(ids[i], strlen(ids[i])), ids[i], i, id_eq, ids);
            }
            double probes = 0;
            for (size_t j = 0; j < t.cap; j++)
                if (t.s[j].tag)
                    probes += (double)((j - ld_table_home(t.s[j].tag, t.cap - 1)) & (t.cap - 1)) + 1;
            probes /= sizes[z];
            if (probes >= 2.5)
                fail_msg("%s x %u: %.2f probes a lookup", shapes[f], sizes[z], probes);
            for (uint32_t i = 0; i < sizes[z]; i++)
                assert_int_equal(ld_table_get(&t, ld_hash_str(ids[i], strlen(ids[i])), ids[i], id_eq, ids), i);
            ld_table_free(&t);
        }
}

/* --------------------------------------------------------- pair keys -- */

static void test_pairs_put_replace_delete_keep_the_others(void **s)
{
    (void)s;
    ld_pairs_t p = {0};
    assert_false(ld_pairs_get(&p, 1, 2, NULL));
    for (uint32_t a = 0; a < 100; a++)
        for (uint32_t b = 0; b < 50; b++)
            assert_false(ld_pairs_put(&p, a, b, a * 1000 + b, NULL));
    assert_int_equal(p.n, 5000);
    /* (a, b) and (b, a) are different pairs */
    uint32_t v = 0;
    assert_true(ld_pairs_get(&p, 3, 40, &v));
    assert_int_equal(v, 3040);
    assert_true(ld_pairs_get(&p, 40, 3, &v));
    assert_int_equal(v, 40003);
    assert_false(ld_pairs_get(&p, 3, 50, &v));
    assert_false(ld_pairs_get(&p, UINT32_MAX - 1, 0, &v));

    /* a value replaced keeps one pair */
    uint32_t old = 0;
    assert_true(ld_pairs_put(&p, 7, 7, 1, &old));
    assert_int_equal(old, 7007);
    assert_int_equal(p.n, 5000);
    assert_true(ld_pairs_get(&p, 7, 7, &v));
    assert_int_equal(v, 1);

    /* pairs removed from the middle: the last row takes their place */
    for (uint32_t a = 0; a < 100; a += 2)
        for (uint32_t b = 0; b < 50; b += 5)
            ld_pairs_del(&p, a, b);
    ld_pairs_del(&p, 0, 0); /* already gone: nothing */
    assert_int_equal(p.n, 5000 - 50 * 10);
    for (uint32_t a = 0; a < 100; a++)
        for (uint32_t b = 0; b < 50; b++) {
            bool gone = a % 2 == 0 && b % 5 == 0;
            assert_int_equal(ld_pairs_get(&p, a, b, &v), !gone);
            if (!gone)
                assert_int_equal(v, a == 7 && b == 7 ? 1 : a * 1000 + b);
        }
    assert_int_equal(p.ix.n, p.n);
    ld_pairs_free(&p);
    assert_int_equal(p.n, 0);

    ld_pairs_reserve(&p, 10000);
    size_t cap = p.ix.cap;
    for (uint32_t i = 0; i < 10000; i++)
        ld_pairs_put(&p, i, i + 1, i, NULL);
    assert_int_equal(p.ix.cap, cap); /* reserved: no growth */
    ld_pairs_free(&p);
}

/* ------------------------------------------- employees in the entity table -- */

static int place(const char *id, uint32_t level)
{
    Ladder__V1__PlaceEmployee m = LADDER__V1__PLACE_EMPLOYEE__INIT;
    m.employee_id = (char *)id;
    m.level = level;
    m.reason = "transfer";
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_PLACE_EMPLOYEE;
    c.place_employee = &m;
    return fx_run(&c, "boss", MANAGER);
}

static int leave(const char *id)
{
    Ladder__V1__Leave m = LADDER__V1__LEAVE__INIT;
    m.employee_id = (char *)id;
    m.reason = "moved on";
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_LEAVE;
    c.leave = &m;
    return fx_run(&c, "boss", MANAGER);
}

typedef struct {
    uint8_t *snap, *board;
    size_t snap_len, board_len;
    bool has_deadline;
    int64_t deadline_at;
    char deadline_emp[40];
    int deadline_kind;
} seen_t;

/* The state as bytes, the org all-time and week boards (asked, so they
 * catch up), and the next deadline. */
static seen_t look(void)
{
    seen_t v = {0};
    assert_int_equal(ld_core_snapshot(F.c, &v.snap, &v.snap_len), 0);
    ld_out_t *o = ld_out_new();
    for (int w = 0; w < 2; w++) {
        Ladder__V1__GetBoard g = LADDER__V1__GET_BOARD__INIT;
        g.window = (Ladder__V1__BoardWindow)w;
        g.top = 100;
        Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
        q.q_case = LADDER__V1__QUERY__Q_BOARD;
        q.board = &g;
        Ladder__V1__Ok ok = LADDER__V1__OK__INIT;
        assert_int_equal(ld_core_query(F.c, &q, F.now, o, &ok, NULL), 0);
        size_t n = ladder__v1__board__get_packed_size(ok.board);
        v.board = realloc(v.board, v.board_len + n);
        ladder__v1__board__pack(ok.board, v.board + v.board_len);
        v.board_len += n;
    }
    ld_out_destroy(&o);
    const char *emp = NULL;
    v.has_deadline = ld_core_next_deadline(F.c, &v.deadline_at, &emp, &v.deadline_kind);
    if (v.has_deadline)
        snprintf(v.deadline_emp, sizeof v.deadline_emp, "%s", emp);
    return v;
}

static void assert_same(const seen_t *a, const seen_t *b)
{
    assert_int_equal(a->snap_len, b->snap_len);
    assert_memory_equal(a->snap, b->snap, a->snap_len);
    assert_int_equal(a->board_len, b->board_len);
    assert_memory_equal(a->board, b->board, a->board_len);
    assert_int_equal(a->has_deadline, b->has_deadline);
    assert_int_equal(a->deadline_at, b->deadline_at);
    assert_string_equal(a->deadline_emp, b->deadline_emp);
    assert_int_equal(a->deadline_kind, b->deadline_kind);
}

static void seen_free(seen_t *v)
{
    free(v->snap);
    free(v->board);
}

/* §2, §9, §7: hires, points, a placement (a retention year: a deadline) and
 * a leave inside one savepoint, with a refused command among them; the
 * refusal changes nothing, the rollback puts every employee back (their
 * boards and deadlines too) and drops the ones hired. */
static void test_s2_employee_undo_through_the_entity_table(void **s)
{
    (void)s;
    fx_setup();
    for (int i = 0; i < 6; i++) {
        char id[8];
        snprintf(id, sizeof id, "e%d", i);
        assert_int_equal(hire(id), 0);
        assert_int_equal(adjust(id, 10 * (i + 1)), 0);
    }
    assert_int_equal(place("e1", 2), 0);
    assert_int_equal(propose_mentor("e1", "e0"), 0); /* e1's apprentices: a vector */
    seen_t before = look();
    assert_true(before.has_deadline);
    assert_string_equal(before.deadline_emp, "e1");
    size_t emps = ld_core_employee_count(F.c);
    size_t ix_n = F.c->emp_ix.n;

    uint32_t mark = ld_core_savepoint(F.c);
    assert_int_equal(hire("n1"), 0);
    assert_int_equal(adjust("n1", 500), 0);   /* the new one tops the boards */
    assert_int_equal(adjust("e2", 700), 0);   /* an existing one moves */
    assert_int_equal(place("e3", 1), 0);      /* §7: a year opens, a deadline */
    assert_int_equal(propose_mentor("e1", "e5"), 0);
    assert_int_equal(leave("e1"), 0);         /* its year's deadline goes... */
    assert_int_equal(leave("e4"), 0);         /* off the boards */
    assert_int_equal(hire("n2"), 0);
    seen_t mid = look();                      /* ...off the heap, asked here */
    assert_string_equal(mid.deadline_emp, "e3");

    assert_int_not_equal(hire("e2"), 0);      /* §2: the id is taken */
    fx_refused(NULL, NULL);
    assert_int_not_equal(adjust("nobody", 5), 0);
    seen_t after_refusal = look();
    assert_same(&mid, &after_refusal);

    ld_core_rollback(F.c, mark);
    ld_core_release(F.c);
    seen_t after = look();
    assert_same(&before, &after);
    assert_int_equal(ld_core_employee_count(F.c), emps);
    assert_int_equal(F.c->emp_ix.n, ix_n);
    assert_int_equal(ld_core_employee_find(F.c, "n1"), -1);
    assert_int_equal(ld_core_employee_find(F.c, "n2"), -1);
    assert_int_equal(ld_core_employee_find(F.c, "e5"), 5);

    /* the ids dropped are free again, and the rows behave as new */
    assert_int_equal(hire("n2"), 0);
    assert_int_equal(ld_core_employee_find(F.c, "n2"), 6);
    assert_int_equal(F.c->emps[6].mentor, NONE);
    assert_int_equal(F.c->emps[6].open_exam, NONE);
    assert_int_equal(F.c->emps[6].points_total, 0);

    seen_free(&before), seen_free(&mid), seen_free(&after_refusal), seen_free(&after);
    fx_teardown();
}

/* The same through the rows directly: a touched employee's vectors are
 * restored into their current buffers, a created one leaves the index. */
static void test_entity_rollback_restores_employee_vectors(void **s)
{
    (void)s;
    fx_setup();
    assert_int_equal(hire("a"), 0);
    ld_core_t *c = F.c;
    uint32_t a = ld_emp_find(c, "a");
    ld_vec_push(&c->emps[a].medals, 3);
    uint32_t mark = ld_core_savepoint(c);
    ld_touch_emp(c, a);
    ld_touch_emp(c, a); /* once per savepoint */
    for (uint32_t k = 0; k < 100; k++)
        ld_vec_push(&c->emps[a].medals, k); /* the buffer moves */
    uint32_t b = ld_emp_new(c, "b");
    assert_int_equal(ld_emp_find(c, "b"), b);
    ld_vec_push(&c->emps[b].studied, 1);
    ld_core_rollback(c, mark);
    ld_core_release(c);
    assert_int_equal(c->emps[a].medals.len, 1);
    assert_int_equal(c->emps[a].medals.v[0], 3);
    assert_int_equal(c->g.n_emps, 1);
    assert_int_equal(ld_emp_find(c, "b"), NONE);
    assert_int_equal(c->emp_ix.n, 1);
    fx_teardown();
}

/* Issue 17: a savepoint saves a row's vectors by length only; a removal
 * saves the contents first, so nested rollbacks put back both the order and
 * the elements removed (§6.5: an apprentice credited leaves the mentor's
 * apprentices), while appends after the savepoint are cut off. */
static void test_s6_5_rollback_restores_vector_removals_nested(void **s)
{
    (void)s;
    fx_setup();
    assert_int_equal(hire("a"), 0);
    ld_core_t *c = F.c;
    uint32_t a = ld_emp_find(c, "a");
    vec_t *v = &c->emps[a].apprentices;
    ld_vec_push(v, 5), ld_vec_push(v, 6), ld_vec_push(v, 7);
    uint32_t outer = ld_core_savepoint(c);
    ld_touch_emp(c, a);
    assert_true(ld_ent_vec_remove(c, ENT_EMP, a, v, 6));
    ld_vec_push(v, 9);
    uint32_t n_undo = (uint32_t)c->undo_n;
    assert_false(ld_ent_vec_remove(c, ENT_EMP, a, v, 42)); /* absent: nothing journaled */
    assert_int_equal(c->undo_n, n_undo);
    uint32_t inner = ld_core_savepoint(c);
    ld_touch_emp(c, a);
    assert_true(ld_ent_vec_remove(c, ENT_EMP, a, v, 5));
    for (uint32_t k = 0; k < 40; k++)
        ld_vec_push(v, 100 + k); /* the buffer moves */
    v = &c->emps[a].apprentices;
    ld_core_rollback(c, inner);
    v = &c->emps[a].apprentices;
    assert_int_equal(v->len, 3);
    assert_int_equal(v->v[0], 5);
    assert_int_equal(v->v[1], 7);
    assert_int_equal(v->v[2], 9);
    ld_core_rollback(c, outer);
    ld_core_release(c);
    v = &c->emps[a].apprentices;
    assert_int_equal(v->len, 3);
    assert_int_equal(v->v[0], 5);
    assert_int_equal(v->v[1], 6);
    assert_int_equal(v->v[2], 7);
    fx_teardown();
}

/* Issue 17 (§9 rank queries): the boards' index of placed employees
 * (c->bask) holds exactly the employees with a row card, each once, at the
 * entry bemp_t.ask names, reachable from its home slot with no empty slot
 * between (linear probing), with the all-time key it was placed with. */
static void assert_askers_index_holds_the_placed(void)
{
    const ld_core_t *c = F.c;
    size_t placed = 0, used = 0, mask = c->bask_cap - 1;
    for (uint32_t i = 0; i < c->g.n_emps && i < c->bemp_cap; i++) {
        const bemp_t *be = &c->bemp[i];
        if (!be->card)
            continue;
        placed++;
        const char *id = c->emps[i].id;
        assert_string_equal(c->bcards + be->card + 1, id);
        assert_true(be->ask < c->bask_cap);
        const bask_t *a = &c->bask[be->ask];
        assert_int_equal(a->emp, i);
        assert_int_equal(a->tag, ld_table_tag(ld_hash_str(id, strlen(id))));
        assert_int_equal(a->score, c->emps[i].points_total);
        assert_int_equal(a->at, c->emps[i].score_at_ms);
        for (size_t j = ld_table_home(a->tag, mask); j != be->ask; j = (j + 1) & mask)
            assert_int_not_equal(c->bask[j].tag, 0);
    }
    for (size_t j = 0; j < c->bask_cap; j++)
        used += c->bask[j].tag != 0;
    assert_int_equal(used, placed);
    assert_int_equal(c->bask_n, placed);
    assert_true(c->bask_n * 4 <= c->bask_cap * 3);
}

static void boards_asked(void)
{
    ld_out_t *o = ld_out_new();
    Ladder__V1__GetBoard g = LADDER__V1__GET_BOARD__INIT;
    g.top = 3;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_BOARD;
    q.board = &g;
    Ladder__V1__Ok ok = LADDER__V1__OK__INIT;
    assert_int_equal(ld_core_query(F.c, &q, F.now, o, &ok, NULL), 0);
    ld_out_destroy(&o);
}

/* The index grows from 64 entries past 1000, loses hundreds of undone hires
 * in one rollback (each deletion shifting later entries back, across the
 * end of the slots too) and takes new hires into their indexes. */
static void test_s9_boards_askers_index_grows_and_deletes_exactly(void **s)
{
    (void)s;
    fx_setup();
    char id[24];
    for (int i = 0; i < 700; i++) {
        snprintf(id, sizeof id, i % 3 ? "p%d" : "a-long-id-%d", i);
        assert_int_equal(hire(id), 0);
        assert_int_equal(adjust(id, 1 + i % 13), 0);
        if (i % 50 == 0) {
            F.now += 1;
            boards_asked();
        }
    }
    boards_asked();
    assert_askers_index_holds_the_placed();
    uint32_t mark = ld_core_savepoint(F.c);
    for (int i = 0; i < 600; i++) {
        snprintf(id, sizeof id, i % 2 ? "undone%d" : "an-undone-long-id-%d", i);
        assert_int_equal(hire(id), 0);
        assert_int_equal(adjust(id, 5), 0);
    }
    boards_asked(); /* placed, then dropped by the rollback */
    assert_askers_index_holds_the_placed();
    size_t cap = F.c->bask_cap;
    ld_core_rollback(F.c, mark);
    ld_core_release(F.c);
    assert_int_equal(F.c->bask_cap, cap);
    assert_int_equal(F.c->bask_n, 700);
    assert_askers_index_holds_the_placed();
    for (int i = 0; i < 50; i++) {
        snprintf(id, sizeof id, "kept%d", i);
        assert_int_equal(hire(id), 0);
        F.now += 1;
        assert_int_equal(adjust(id, 3), 0);
    }
    assert_int_equal(adjust("p1", 40), 0);
    boards_asked();
    assert_askers_index_holds_the_placed();
    assert_int_equal(F.c->bask_n, 750);
    fx_teardown();
}

/* ----------------------------------------------------- page hints -- */

#define CHUNK ((size_t)256 << 10)

/* Which of the n pages at p are resident (mincore), as a count. */
static size_t resident(const char *p, size_t pages)
{
    unsigned char v[1024];
    assert_true(pages <= sizeof v);
    assert_int_equal(mincore((void *)p, pages * 4096, v), 0);
    size_t n = 0;
    for (size_t i = 0; i < pages; i++)
        n += v[i] & 1;
    return n;
}

/* An append asks for each 256 KiB chunk whole when it first writes into it,
 * the chunk after only when an append crosses into it, nothing past the
 * array's capacity or for a write the array cannot hold; contents stay. */
static void test_pages_ahead_asks_for_each_chunk_once_entered(void **state)
{
    (void)state;
    size_t cap = 3 * CHUNK + 5000, pages = (cap + 4095) / 4096;
    char *p = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(p != MAP_FAILED);
    (void)madvise(p, cap, MADV_NOHUGEPAGE); /* one page per page, whatever THP says */
    if (madvise(p, 4096, 23 /* MADV_POPULATE_WRITE */) && errno == EINVAL) {
        munmap(p, cap);
        skip(); /* a kernel before 5.14: the hint is a no-op there */
    }
    assert_int_equal(resident(p, pages), 1);
    memset(p, 0x5a, 100);
    ld_pages_ahead(p, 0, 100, cap);             /* the first append: chunk 0 */
    assert_int_equal(resident(p, pages), CHUNK / 4096);
    ld_pages_ahead(p, 100, 100, cap);           /* inside chunk 0: nothing more */
    assert_int_equal(resident(p, pages), CHUNK / 4096);
    ld_pages_ahead(p, CHUNK - 16, 32, cap);     /* crosses into chunk 1 */
    assert_int_equal(resident(p, pages), 2 * CHUNK / 4096);
    ld_pages_ahead(p, cap - 8, 16, cap);        /* more than the array holds: nothing */
    assert_int_equal(resident(p, pages), 2 * CHUNK / 4096);
    ld_pages_ahead(p, 3 * CHUNK, 32, cap);      /* chunk 3: only its whole pages up to cap */
    assert_int_equal(resident(p, pages), 2 * CHUNK / 4096 + 1);
    for (size_t i = 0; i < 100; i++)
        assert_int_equal((unsigned char)p[i], 0x5a);
    for (size_t i = 100; i < cap; i += 997)
        assert_int_equal(p[i], 0);
    munmap(p, cap);
}

/* Issue 17: the employees, facts and pays a snapshot load sizes exactly are
 * mappings of their own with huge pages asked for; the next appends grow
 * them by mremap. A hint over only their 2 MiB interior split each mapping in
 * three, mremap refused it, and ladderd stopped (abort) at the second hire
 * after loading a snapshot of 9 000+ employees (crash_trials found it). Now
 * the load, then more hires, give the live core's bytes. */
static void test_s2_hires_after_loading_a_snapshot_of_big_arrays(void **s)
{
    (void)s;
    fx_setup();
    char id[16];
    for (int i = 0; i < 10000; i++) {
        snprintf(id, sizeof id, "e%05d", i);
        assert_int_equal(hire(id), 0);
    }
    assert_true(F.c->emps_cap * sizeof *F.c->emps >= (size_t)4 << 20);
    ld_core_t *loaded = fx_reloaded(), *live = F.c;
    for (int round = 0; round < 2; round++) {
        F.c = round ? live : loaded;
        for (int i = 10000; i < 12100; i++) { /* past a doubling of the loaded array */
            snprintf(id, sizeof id, "e%05d", i);
            assert_int_equal(hire(id), 0);
        }
    }
    uint8_t *a, *b;
    size_t al, bl;
    ld_core_snapshot(live, &a, &al);
    ld_core_snapshot(loaded, &b, &bl);
    assert_int_equal(al, bl);
    assert_memory_equal(a, b, al);
    free(a), free(b);
    ld_core_destroy(&loaded);
    F.c = live;
    fx_teardown();
}

/* The same for the facts (§12 v2: what a reversal may name), which a
 * snapshot load also sizes exactly: 140 000 of them are 4.5 MB; the ones
 * after the load grow the array (this aborted from 583527a to bc57409). */
static void test_s12_facts_grow_after_loading_a_snapshot_of_many(void **s)
{
    (void)s;
    fx_setup();
    assert_int_equal(hire("a"), 0);
    uint64_t seq = ld_core_next_seq(F.c);
    for (uint32_t i = 0; i < 140000; i++) {
        uint32_t f = ld_fact_new(F.c, seq++); /* (it may move the facts) */
        F.c->facts[f].emp = NONE;
    }
    ld_core_t *loaded = fx_reloaded();
    assert_int_equal(loaded->g.n_facts, 140000);
    for (uint32_t i = 0; i < 70000; i++) { /* past a doubling of the loaded array */
        uint32_t f = ld_fact_new(loaded, seq + i);
        loaded->facts[f].emp = NONE;
    }
    assert_int_equal(loaded->g.n_facts, 210000);
    assert_int_equal(loaded->facts[139999].seq, seq - 1);
    assert_int_equal(loaded->facts[209999].seq, seq + 69999);
    ld_core_destroy(&loaded);
    fx_teardown();
}

/* Should a big array's mapping be split anyway (pages given other advice),
 * its growth copies it into a new mapping: same bytes, no abort. */
static void test_big_grow_moves_a_split_mapping_by_copy(void **s)
{
    (void)s;
    size_t n = (size_t)8 << 20;
    uint32_t *p = ld_big_alloc(n);
    for (size_t i = 0; i < n / 4; i += 1021)
        p[i] = (uint32_t)i * 2654435761u;
    assert_int_equal(madvise((char *)p + (1 << 20), 4096, MADV_DONTFORK), 0); /* a split */
    p = ld_big_grow(p, n, 2 * n);
    for (size_t i = 0; i < n / 4; i += 1021)
        assert_int_equal(p[i], (uint32_t)i * 2654435761u);
    p[2 * n / 4 - 1] = 7; /* the new part is writable */
    ld_big_free(p, 2 * n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_string_keys_collide_delete_and_grow),
        cmocka_unit_test(test_table_delete_shifts_back_across_the_end),
        cmocka_unit_test(test_table_random_run_matches_a_model),
        cmocka_unit_test(test_table_reserve_sizes_once),
        cmocka_unit_test(test_table_similar_ids_spread_over_the_slots),
        cmocka_unit_test(test_pairs_put_replace_delete_keep_the_others),
        cmocka_unit_test(test_s2_employee_undo_through_the_entity_table),
        cmocka_unit_test(test_entity_rollback_restores_employee_vectors),
        cmocka_unit_test(test_s6_5_rollback_restores_vector_removals_nested),
        cmocka_unit_test(test_s9_boards_askers_index_grows_and_deletes_exactly),
        cmocka_unit_test(test_pages_ahead_asks_for_each_chunk_once_entered),
        cmocka_unit_test(test_s2_hires_after_loading_a_snapshot_of_big_arrays),
        cmocka_unit_test(test_s12_facts_grow_after_loading_a_snapshot_of_many),
        cmocka_unit_test(test_big_grow_moves_a_split_mapping_by_copy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
