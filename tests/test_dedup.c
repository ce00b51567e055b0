/* test_dedup.c — §12 request ids against the real ladderd, where the write
 * path's throughput work (issue 12) changed how they are stored and hashed:
 * pipelined ids answered with their first outcome after a kill -9, the
 * digest still the BLAKE2b of the commands as protobuf-c packs them (so ids
 * stored by an older build keep matching), and a format 3 store (ids keyed
 * principal first) migrated at start-up with every id still found. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <lmdb.h>
#include <sodium.h>

#include "client.h"
#include "store.h"

#define MANAGER LADDER__V1__ROLE__ROLE_MANAGER

static daemon_t D;
static const char *const MANUAL[] = {"--clock", "manual", NULL};

static int setup(void **s)
{
    (void)s;
    d_open(&D, "dedup", MANUAL);
    return 0;
}

static int teardown(void **s)
{
    (void)s;
    assert_int_equal(d_remove(&D), 0);
    return 0;
}

static void restart(int sig)
{
    int st = d_stop(&D, sig);
    if (sig == SIGTERM)
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    d_start(&D, MANUAL);
    assert_true(d_ready(&D));
}

/* A request of one Hire of emp (name varies the commands) with id rid. */
static size_t pack_hire(uint8_t *buf, size_t cap, const char *rid, const char *emp, const char *name)
{
    Ladder__V1__Hire h = LADDER__V1__HIRE__INIT;
    h.employee_id = (char *)emp, h.name = (char *)name, h.team = "t", h.centre = "c";
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT, *cs[1] = {&c};
    c.cmd_case = LADDER__V1__COMMAND__CMD_HIRE;
    c.hire = &h;
    Ladder__V1__Principal p = LADDER__V1__PRINCIPAL__INIT;
    p.id = "boss", p.roles = MANAGER;
    Ladder__V1__Request req = LADDER__V1__REQUEST__INIT;
    req.request_id = (ProtobufCBinaryData){strlen(rid), (uint8_t *)rid};
    req.principal = &p;
    req.n_commands = 1;
    req.commands = cs;
    size_t n = ladder__v1__request__get_packed_size(&req);
    assert_true(n <= cap);
    return ladder__v1__request__pack(&req, buf);
}

/* Sends n hires with ids prefix-NNNNN all at once (pipelined), then reads
 * the n replies; seq[i] gets the seq of id i (replies carry their id). */
static void pipelined_hires(const char *prefix, int n, const char *name, uint64_t *seq, int *refused,
                            uint32_t *code)
{
    uint8_t buf[512];
    char rid[32], emp[32];
    for (int i = 0; i < n; i++) {
        snprintf(rid, sizeof rid, "%s-%05d", prefix, i);
        snprintf(emp, sizeof emp, "%s%d", prefix, i);
        size_t len = pack_hire(buf, sizeof buf, rid, emp, name);
        assert_int_equal(zmq_send(D.dealer, "", 0, ZMQ_SNDMORE), 0);
        assert_int_equal(zmq_send(D.dealer, buf, len, 0), (int)len);
    }
    *refused = 0;
    for (int got = 0; got < n; got++) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        do {
            zmq_msg_close(&m);
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, D.dealer, 0) < 0)
                fail_msg("reply %d of %d: none (%s)", got, n, zmq_strerror(errno));
        } while (zmq_msg_more(&m));
        Ladder__V1__Reply *r = ladder__v1__reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
        zmq_msg_close(&m);
        assert_non_null(r);
        char id[32];
        snprintf(id, sizeof id, "%.*s", (int)r->request_id.len, (const char *)r->request_id.data);
        int i = atoi(id + strlen(prefix) + 1);
        assert_true(i >= 0 && i < n);
        if (r->outcome_case == LADDER__V1__REPLY__OUTCOME_OK) {
            assert_int_equal(r->ok->n_seqs, 1);
            seq[i] = r->ok->seqs[0];
        } else {
            (*refused)++;
            *code = r->error->code;
            seq[i] = 0;
        }
        ladder__v1__reply__free_unpacked(r, NULL);
    }
}

static uint64_t next_seq(void)
{
    uint8_t buf[512];
    size_t len = pack_hire(buf, sizeof buf, "probe-new", "probe-emp", "Probe");
    Ladder__V1__Reply *r = d_raw(&D, buf, len);
    assert_non_null(r);
    assert_int_equal(r->outcome_case, LADDER__V1__REPLY__OUTCOME_OK);
    uint64_t s = r->ok->seqs[0];
    ladder__v1__reply__free_unpacked(r, NULL);
    return s;
}

/* §12 + DESIGN "nothing acknowledged before its fsync": 3000 ids sent
 * pipelined (many to a batch) and acknowledged are, after a kill -9, each
 * answered with the seq it got, nothing written again; the same ids with
 * other commands are refused (ERR_ID_REUSED); a new id gets the next seq. */
static void test_s12_pipelined_ids_answered_after_kill_9(void **s)
{
    (void)s;
    enum { N = 3000 };
    static uint64_t first[N], again[N];
    int refused;
    uint32_t code = 0;
    pipelined_hires("k9", N, "Wu", first, &refused, &code);
    assert_int_equal(refused, 0);
    uint64_t max = 0;
    for (int i = 0; i < N; i++)
        max = first[i] > max ? first[i] : max;
    restart(SIGKILL);
    pipelined_hires("k9", N, "Wu", again, &refused, &code);
    assert_int_equal(refused, 0);
    for (int i = 0; i < N; i++)
        if (again[i] != first[i])
            fail_msg("k9-%05d: answered seq %llu after kill -9, first %llu", i,
                     (unsigned long long)again[i], (unsigned long long)first[i]);
    pipelined_hires("k9", N, "Other", again, &refused, &code);
    assert_int_equal(refused, N);
    assert_int_equal(code, LADDER__V1__ERROR_CODE__ERR_ID_REUSED);
    assert_int_equal(next_seq(), max + 1);
}

/* §12: the digest kept with an id is BLAKE2b-256 over each command, its
 * protobuf-c packing after its length (8 bytes, big-endian): what every
 * build so far wrote, so an id stored by an older one still matches. Read
 * back from the store for a one-command and a two-command request. */
static void test_s12_digest_is_blake2b_of_packed_commands(void **s)
{
    (void)s;
    Ladder__V1__Hire h = LADDER__V1__HIRE__INIT;
    h.employee_id = "dg1", h.name = "Ana Lima", h.team = "t", h.centre = "c";
    Ladder__V1__AdjustPoints ap = LADDER__V1__ADJUST_POINTS__INIT;
    ap.employee_id = "dg1", ap.amount = 7, ap.reason = "a reason";
    Ladder__V1__Command c1 = LADDER__V1__COMMAND__INIT, c2 = LADDER__V1__COMMAND__INIT;
    c1.cmd_case = LADDER__V1__COMMAND__CMD_HIRE, c1.hire = &h;
    c2.cmd_case = LADDER__V1__COMMAND__CMD_ADJUST_POINTS, c2.adjust_points = &ap;
    Ladder__V1__Command *one[1] = {&c1}, *two[2] = {&c1, &c2};
    const char *rids[2] = {"dg-one", "dg-two"};
    Ladder__V1__Command **cmds[2] = {one, two};
    for (int k = 0; k < 2; k++) {
        if (k == 1)
            h.employee_id = "dg2", ap.employee_id = "dg2";
        Ladder__V1__Principal p = LADDER__V1__PRINCIPAL__INIT;
        p.id = "boss", p.roles = MANAGER;
        Ladder__V1__Request req = LADDER__V1__REQUEST__INIT;
        req.request_id = (ProtobufCBinaryData){strlen(rids[k]), (uint8_t *)rids[k]};
        req.principal = &p;
        req.n_commands = (size_t)k + 1;
        req.commands = cmds[k];
        Ladder__V1__Reply *r = d_call(&D, &req);
        assert_non_null(r);
        if (r->outcome_case != LADDER__V1__REPLY__OUTCOME_OK)
            fail_msg("%s refused: %s", rids[k], r->error->message);
        ladder__v1__reply__free_unpacked(r, NULL);
    }
    assert_true(WIFEXITED(d_stop(&D, SIGTERM)));
    char data[300], err[256];
    snprintf(data, sizeof data, "%s/data", D.dir);
    ld_store_options_t ro = {.read_only = true};
    ld_store_t *st;
    assert_int_equal(ld_store_open(&st, data, &ro, err, sizeof err), 0);
    h.employee_id = "dg1", ap.employee_id = "dg1";
    for (int k = 0; k < 2; k++) {
        if (k == 1)
            h.employee_id = "dg2", ap.employee_id = "dg2";
        crypto_generichash_state hs;
        crypto_generichash_init(&hs, NULL, 0, LD_HASH_LEN);
        for (int c = 0; c <= k; c++) {
            size_t n = protobuf_c_message_get_packed_size(&cmds[k][c]->base);
            uint8_t len[8], *b = malloc(n);
            for (int i = 0; i < 8; i++)
                len[i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
            protobuf_c_message_pack(&cmds[k][c]->base, b);
            crypto_generichash_update(&hs, len, 8);
            crypto_generichash_update(&hs, b, n);
            free(b);
        }
        uint8_t want[LD_HASH_LEN], got[LD_HASH_LEN], key[LD_REQUEST_KEY_MAX];
        crypto_generichash_final(&hs, want, LD_HASH_LEN);
        size_t kl = ld_store_request_key(key, "boss", (const uint8_t *)rids[k], strlen(rids[k]));
        uint64_t firstseq;
        uint32_t count;
        assert_int_equal(ld_store_request_get(st, key, kl, &firstseq, &count, got), 0);
        assert_int_equal(count, (uint32_t)k + 1);
        assert_memory_equal(got, want, LD_HASH_LEN);
    }
    ld_store_close(&st);
    d_start(&D, MANUAL);
    assert_true(d_ready(&D));
}

/* Moves every request id of the store in dir to format 3's table and
 * layout (0x01, u8 principal length, principal, id) and writes format 3. */
static void to_format_3(const char *dir)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi ids, old, meta;
    MDB_cursor *c;
    assert_int_equal(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 8);
    assert_int_equal(mdb_env_open(env, dir, 0, 0640), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "request_ids", 0, &ids), 0);
    assert_int_equal(mdb_dbi_open(txn, "requests", MDB_CREATE, &old), 0);
    assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
    assert_int_equal(mdb_cursor_open(txn, ids, &c), 0);
    MDB_val k, v;
    int n = 0;
    for (int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT), n++) {
        const uint8_t *kk = k.mv_data;
        size_t len = k.mv_size;
        uint8_t ok[LD_REQUEST_KEY_MAX];
        if (kk[len - 1] == 0x00) {
            ok[0] = 0x00;
            memcpy(ok + 1, kk, len - 1);
        } else {
            size_t plen = kk[len - 2], rlen = len - 2 - plen;
            ok[0] = 0x01, ok[1] = (uint8_t)plen;
            memcpy(ok + 2, kk + rlen, plen);
            memcpy(ok + 2 + plen, kk, rlen);
        }
        MDB_val okv = {len, ok};
        assert_int_equal(mdb_put(txn, old, &okv, &v, 0), 0);
    }
    mdb_cursor_close(c);
    assert_true(n > 0);
    assert_int_equal(mdb_drop(txn, ids, 1), 0);
    uint8_t three[4] = {0, 0, 0, 3};
    MDB_val fk = {6, "format"}, fv = {4, three};
    assert_int_equal(mdb_put(txn, meta, &fk, &fv, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

/* Store format 4 (request ids keyed id first): ladderd started on a format 3
 * store migrates it and still answers each id written before with its first
 * outcome, and refuses it with other commands. */
static void test_s12_ids_of_a_format_3_store_answered_after_migration(void **s)
{
    (void)s;
    enum { N = 500 };
    static uint64_t first[N], again[N];
    int refused;
    uint32_t code = 0;
    pipelined_hires("f3", N, "Wu", first, &refused, &code);
    assert_int_equal(refused, 0);
    assert_true(WIFEXITED(d_stop(&D, SIGTERM)));
    char data[300];
    snprintf(data, sizeof data, "%s/data", D.dir);
    to_format_3(data);
    d_start(&D, MANUAL);
    assert_true(d_ready(&D));
    pipelined_hires("f3", N, "Wu", again, &refused, &code);
    assert_int_equal(refused, 0);
    for (int i = 0; i < N; i++)
        if (again[i] != first[i])
            fail_msg("f3-%05d: answered seq %llu after the migration, first %llu", i,
                     (unsigned long long)again[i], (unsigned long long)first[i]);
    pipelined_hires("f3", N, "Other", again, &refused, &code);
    assert_int_equal(refused, N);
    assert_int_equal(code, LADDER__V1__ERROR_CODE__ERR_ID_REUSED);
    /* and once more after a restart on the migrated (format 4) store */
    restart(SIGTERM);
    pipelined_hires("f3", N, "Wu", again, &refused, &code);
    assert_int_equal(refused, 0);
    assert_memory_equal(again, first, sizeof first);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_s12_pipelined_ids_answered_after_kill_9),
        T(test_s12_digest_is_blake2b_of_packed_commands),
        T(test_s12_ids_of_a_format_3_store_answered_after_migration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
