/* test_write_path.c — what the daemon's write path (daemon/batches.c) asks of
 * the store beside appends: the stream index written in bounded steps
 * (ld_store_index_step) and written zeros kept ahead of LMDB's last page
 * (ld_store_reserve). Each test checks the log and its index read back the
 * same, and survive a reopen. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"

static char *tmpdir(void)
{
    char *d = strdup("/tmp/ladder-test-write-path-XXXXXX");
    assert_non_null(mkdtemp(d));
    return d;
}

static void rmdir_all(char *d)
{
    const char *names[] = {"data.mdb", "lock.mdb", "lock"};
    char p[512];
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", d, names[i]);
        unlink(p);
    }
    rmdir(d);
    free(d);
}

static ld_store_t *open_store(const char *dir, size_t map, uint64_t index_every)
{
    ld_store_options_t o = {.durability = LD_DURABILITY_NOMETASYNC, .map_size = map,
                            .index_every = index_every};
    ld_store_t *s = NULL;
    char err[256];
    int rc = ld_store_open(&s, dir, &o, err, sizeof err);
    if (rc)
        fail_msg("open: %s (%s)", err, ld_strerror(rc));
    return s;
}

/* Appends n events (one request), employee k % streams each, amount = seq-ish. */
static void append_n(ld_store_t *s, size_t n, size_t streams, uint64_t base)
{
    Ladder__V1__Event *ev = calloc(n, sizeof *ev), **p = calloc(n, sizeof *p);
    Ladder__V1__PointsAwarded *pa = calloc(n, sizeof *pa);
    char (*stream)[32] = calloc(n, sizeof *stream), (*emp)[24] = calloc(n, sizeof *emp);
    for (size_t i = 0; i < n; i++) {
        snprintf(emp[i], sizeof emp[i], "e%zu", (base + i) % streams);
        snprintf(stream[i], sizeof stream[i], "emp/%s", emp[i]);
        ladder__v1__points_awarded__init(&pa[i]);
        pa[i].employee_id = emp[i];
        pa[i].amount = (int64_t)(base + i + 1);
        pa[i].source = LADDER__V1__POINT_SOURCE__P12_ADJUSTMENT;
        pa[i].ref = "";
        ladder__v1__event__init(&ev[i]);
        ev[i].stream = stream[i];
        ev[i].at_ms = 1700000000000 + (int64_t)(base + i);
        ev[i].actor = "tester";
        ev[i].body_case = LADDER__V1__EVENT__BODY_POINTS_AWARDED;
        ev[i].points_awarded = &pa[i];
        p[i] = &ev[i];
    }
    ld_append_t r = {.events = p, .n_events = n};
    assert_int_equal(ld_store_append(s, &r, 1), 0);
    assert_int_equal(r.rc, 0);
    free(ev), free(p), free(pa), free(stream), free(emp);
}

typedef struct {
    uint64_t seqs[4096];
    size_t n;
} seqs_t;

static int collect_cb(void *ctx, uint64_t seq, const uint8_t *data, size_t len)
{
    (void)data, (void)len;
    seqs_t *c = ctx;
    if (c->n < 4096)
        c->seqs[c->n++] = seq;
    return 0;
}

static off_t file_size(const char *dir)
{
    char p[512];
    struct stat st;
    snprintf(p, sizeof p, "%s/data.mdb", dir);
    assert_int_equal(stat(p, &st), 0);
    return st.st_size;
}

/* The daemon opens with index_every = UINT64_MAX: no commit carries index
 * entries; each step writes at most max of them, oldest first, and a stream
 * reads the same seqs before, between and after the steps, and after a reopen. */
static void test_index_steps_are_bounded_and_read_the_same(void **state)
{
    (void)state;
    char *dir = tmpdir();
    ld_store_t *s = open_store(dir, 0, UINT64_MAX);
    for (int k = 0; k < 10; k++)
        append_n(s, 500, 37, (uint64_t)k * 500);
    assert_int_equal(ld_store_index_pending(s), 5000);
    seqs_t before = {0}, c;
    assert_int_equal(ld_store_scan_stream(s, "emp/e5", 1, 0, collect_cb, &before), 0);
    assert_true(before.n == 5000 / 37 || before.n == 5000 / 37 + 1);
    for (size_t left = 5000; left > 0;) {
        assert_int_equal(ld_store_index_step(s, 1024), 0);
        left = left > 1024 ? left - 1024 : 0;
        assert_int_equal(ld_store_index_pending(s), left);
        memset(&c, 0, sizeof c);
        assert_int_equal(ld_store_scan_stream(s, "emp/e5", 1, 0, collect_cb, &c), 0);
        assert_int_equal(c.n, before.n);
        assert_memory_equal(c.seqs, before.seqs, before.n * sizeof *c.seqs);
    }
    assert_int_equal(ld_store_index_step(s, 1024), 0); /* nothing pending: a no-op */
    assert_int_equal(ld_store_index_step(s, 0), LD_EINVAL);
    uint64_t v;
    assert_int_equal(ld_store_stream_version(s, "emp/e5", &v), 0);
    assert_int_equal(v, before.n);
    ld_store_close(&s);
    s = open_store(dir, 0, UINT64_MAX);
    assert_int_equal(ld_store_index_pending(s), 0);
    memset(&c, 0, sizeof c);
    assert_int_equal(ld_store_scan_stream(s, "emp/e5", 1, 0, collect_cb, &c), 0);
    assert_int_equal(c.n, before.n);
    assert_memory_equal(c.seqs, before.seqs, before.n * sizeof *c.seqs);
    ld_store_close(&s);
    rmdir_all(dir);
}

/* Zeros ahead of the log: at most step per call, until ahead bytes lie past
 * LMDB's last page; the new bytes are zeros; appends after them land inside
 * the file, the chain verifies and every event reads back after a reopen. */
static void test_reserve_writes_zeros_ahead_and_the_log_stays_whole(void **state)
{
    (void)state;
    char *dir = tmpdir();
    ld_store_t *s = open_store(dir, 0, 0);
    append_n(s, 200, 10, 0);
    off_t s0 = file_size(dir);
    assert_int_equal(ld_store_reserve(s, 1 << 20, 256 << 10), 0);
    off_t s1 = file_size(dir);
    assert_int_equal(s1 - s0, 256 << 10);
    char p[512];
    snprintf(p, sizeof p, "%s/data.mdb", dir);
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    assert_int_equal(fseeko(f, s0, SEEK_SET), 0);
    static uint8_t buf[256 << 10], zero[256 << 10];
    assert_int_equal(fread(buf, 1, sizeof buf, f), sizeof buf);
    fclose(f);
    assert_memory_equal(buf, zero, sizeof buf);
    for (int i = 0; i < 8; i++)
        assert_int_equal(ld_store_reserve(s, 1 << 20, 256 << 10), 0);
    off_t s2 = file_size(dir);
    assert_true(s2 - s0 >= (1 << 20) && s2 - s0 <= (1 << 20) + (256 << 10));
    assert_int_equal(ld_store_reserve(s, 1 << 20, 256 << 10), 0);
    assert_int_equal(file_size(dir), s2); /* enough ahead: nothing written */
    append_n(s, 300, 10, 200);
    assert_int_equal(file_size(dir), s2); /* the commit wrote inside the file */
    assert_int_equal(ld_store_reserve(s, 1 << 20, 0), LD_EINVAL);
    ld_store_close(&s);
    s = open_store(dir, 0, 0);
    uint64_t head, bad = 0;
    ld_store_head(s, &head, NULL);
    assert_int_equal(head, 500);
    char why[256];
    assert_int_equal(ld_store_verify(s, &bad, why, sizeof why), 0);
    seqs_t c = {0};
    assert_int_equal(ld_store_scan(s, 1, 0, collect_cb, &c), 0);
    assert_int_equal(c.n, 500);
    assert_int_equal(c.seqs[499], 500);
    ld_store_close(&s);
    rmdir_all(dir);
}

/* LMDB writes no page past its map: neither do the zeros. */
static void test_reserve_stops_at_the_map(void **state)
{
    (void)state;
    char *dir = tmpdir();
    ld_store_t *s = open_store(dir, 1 << 20, 0);
    append_n(s, 10, 3, 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(ld_store_reserve(s, 64u << 20, 512 << 10), 0);
    assert_int_equal(file_size(dir), (off_t)ld_store_map_size(s));
    append_n(s, 10, 3, 10);
    ld_store_close(&s);
    rmdir_all(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_index_steps_are_bounded_and_read_the_same),
        cmocka_unit_test(test_reserve_writes_zeros_ahead_and_the_log_stays_whole),
        cmocka_unit_test(test_reserve_stops_at_the_map),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
