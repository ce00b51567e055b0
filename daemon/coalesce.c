/* coalesce.c — boards (§9, board.* top 10) and case rankings (cases.*),
 * coalesced (shell.h; its handles are in ld_publisher_t: timer, step).
 *
 * Owns the list of dirty boards and case partitions and the timer that
 * publishes them: at most one update per 100 ms each, with the seq of their
 * last change. They are built from the live state, which may hold decisions
 * not yet written, so like per-event updates they are held in the last batch
 * those decisions belong to and go out when it has committed.
 *
 * Nothing here sits between a commit's return and its replies (issue 12):
 *   - Building a board brings the boards up to date (boards_flush), which
 *     costs with the people changed since: milliseconds after 100 ms of
 *     10 k/s. So the boards catch up in steps (ld_core_boards_step) of at
 *     most LD_BOARDS_STEP_US, one per loop turn, from an idle handle that
 *     runs while anyone is noted: libuv polls I/O between two steps, so a
 *     returned commit or a new request waits for one step at most (a move
 *     costs 5-20 us on this VM). Answers stay exact: a board query flushes
 *     whatever is left first.
 *   - A round publishes LD_BOARDS_SLICE boards per loop turn, so a commit
 *     that returns meanwhile waits for one slice at most.
 * Under heavy load (batches of more than LD_BOARDS_EAGER requests on
 * average) the steps stop and only the rounds catch up, in one merge (which
 * costs less than moving the same people one by one), and the next round
 * waits at least LD_BOARDS_SHARE times as long as this one took, so boards
 * take at most 1/LD_BOARDS_SHARE of the loop however fast the commands come.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "log.h"
#include "shell.h"

#define CASES 255 /* a dirty_t of a case partition: scope = level, value = category */
#define LD_BOARDS_MS 100    /* §9: at most one update per board per this many ms */
#define LD_BOARDS_SHARE 20  /* the next round waits >= 20x this round's cost */

static void on_timer(uv_timer_t *t);

static void start_timer(server_t *s, uint64_t ms)
{
    int rc = uv_timer_start(&s->publisher.timer, on_timer, ms, 0);
    if (rc) /* only a closing handle refuses: at shutdown the boards are moot */
        ld_log(LD_LOG_WARN, "board publishing not scheduled", "error=\"%s\"", uv_strerror(rc));
}

/* Marks a board (or, with window CASES, a case partition) for publishing. */
static void mark_board(server_t *s, int window, int scope, const char *value, uint64_t seq)
{
    ld_publisher_t *pb = &s->publisher;
    for (size_t i = 0; i < pb->ndirty; i++) {
        dirty_t *d = &pb->dirty[i];
        if (d->window == window && d->scope == scope && !strcmp(d->value, value)) {
            d->seq = seq;
            return;
        }
    }
    pb->dirty = ld_grow(pb->dirty, &pb->capdirty, pb->ndirty + 1, sizeof *pb->dirty);
    dirty_t *d = &pb->dirty[pb->ndirty++];
    snprintf(d->value, sizeof d->value, "%s", value);
    d->window = (uint8_t)window, d->scope = (uint8_t)scope, d->seq = seq;
    if (!uv_is_active((uv_handle_t *)&pb->timer))
        start_timer(s, s->publisher.next_ms ? s->publisher.next_ms : LD_BOARDS_MS);
}

/* The 20 boards an employee stands on (§9: 5 windows x org/centre/team/level). */
void ld_coalesce_employee(server_t *s, const char *emp, uint64_t seq)
{
    long i = ld_core_employee_find(s->core, emp);
    if (i < 0)
        return;
    ld_emp_summary_t e;
    ld_core_employee_at(s->core, (size_t)i, &e);
    char level[4];
    snprintf(level, sizeof level, "%u", e.level);
    for (int w = 0; w < 5; w++) {
        mark_board(s, w, 0, "", seq);
        if (*e.centre)
            mark_board(s, w, 1, e.centre, seq);
        if (*e.team)
            mark_board(s, w, 2, e.team, seq);
        mark_board(s, w, 3, level, seq);
    }
}

void ld_coalesce_level(server_t *s, uint32_t level, uint64_t seq)
{
    char value[4];
    snprintf(value, sizeof value, "%u", level);
    for (int w = 0; w < 5; w++)
        mark_board(s, w, 3, value, seq);
}

void ld_coalesce_case(server_t *s, const char *case_id, uint64_t seq)
{
    uint32_t level;
    const char *cat;
    if (ld_core_case_partition(s->core, case_id, &level, &cat))
        mark_board(s, CASES, (int)level, cat, seq);
}

/* A coalesced value (a board or a case partition) on its topic, with the seq
 * of its cause and the previous publication of this topic (prev_seq): held in
 * batch hold until it commits, or (hold NULL) sent now. */
static void publish_value(server_t *s, Ladder__V1__Update *u, char *topic, uint64_t seq,
                          batch_t *hold, uint8_t **buf, size_t *cap)
{
    u->topic = topic;
    u->seq = seq;
    u->prev_seq = ld_topics_swap(s->publisher.shown, topic, seq);
    if (hold) {
        ld_publisher_add(hold, topic, u);
        return;
    }
    size_t n = ladder__v1__update__get_packed_size(u);
    *buf = ld_grow(*buf, cap, n, 1);
    ladder__v1__update__pack(u, *buf);
    ld_publisher_send(s, topic, strlen(topic), *buf, n);
}

static void publish_cases(server_t *s, const dirty_t *d, batch_t *hold, uint8_t **buf, size_t *cap)
{
    Ladder__V1__GetCaseRanking g = LADDER__V1__GET_CASE_RANKING__INIT;
    g.level = d->scope, g.category = (char *)d->value;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_CASE_RANKING;
    q.case_ranking = &g;
    Ladder__V1__Ok ok = LADDER__V1__OK__INIT;
    ld_out_reset(s->qout);
    if (ld_core_query(s->core, &q, ld_server_now(s), s->qout, &ok, NULL) != 0)
        return;
    ld_access_public(&ok); /* §1 v2: a broadcast carries no test-half titles */
    char topic[sizeof d->value + 32];
    snprintf(topic, sizeof topic, "cases.%u.%s", d->scope, d->value);
    Ladder__V1__Update u = LADDER__V1__UPDATE__INIT;
    u.payload_case = LADDER__V1__UPDATE__PAYLOAD_CASES;
    u.cases = ok.case_ranking;
    publish_value(s, &u, topic, d->seq, hold, buf, cap);
}

static void publish_board(server_t *s, const dirty_t *d, batch_t *hold, uint8_t **buf, size_t *cap)
{
    static const char *const win[] = {"all", "week", "month", "quarter", "year"};
    static const char *const scope[] = {"org", "centre", "team", "level"};
    Ladder__V1__GetBoard g = LADDER__V1__GET_BOARD__INIT;
    g.window = d->window, g.scope = d->scope, g.scope_value = (char *)d->value, g.top = 10;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_BOARD;
    q.board = &g;
    Ladder__V1__Ok ok = LADDER__V1__OK__INIT;
    ld_out_reset(s->qout);
    if (ld_core_query(s->core, &q, ld_server_now(s), s->qout, &ok, NULL) != 0)
        return;
    char topic[sizeof d->value + 32];
    snprintf(topic, sizeof topic, "board.%s/%s%s%s", win[d->window], scope[d->scope],
             d->scope ? ":" : "", d->scope ? d->value : "");
    Ladder__V1__Update u = LADDER__V1__UPDATE__INIT;
    u.payload_case = LADDER__V1__UPDATE__PAYLOAD_BOARD;
    u.board = ok.board;
    publish_value(s, &u, topic, d->seq, hold, buf, cap);
}

static bool heavy(const ld_publisher_t *pb)
{
    return pb->avg_batch > 16 * LD_BOARDS_EAGER;
}

/* One loop turn's share of the catch-up: employees moved one at a time
 * until LD_BOARDS_STEP_US have passed or none is left; returns how many
 * are left. */
static size_t step(server_t *s)
{
    uint64_t t0 = ld_mono_ns(), t;
    size_t left, moved = 0;
    do {
        left = ld_core_boards_step(s->core, 1);
        moved++;
        t = ld_mono_ns();
    } while (left && t - t0 < LD_BOARDS_STEP_US * 1000ull);
    if (t - t0 > 4 * LD_BOARDS_STEP_US * 1000ull) /* one move took that long */
        ld_log(LD_LOG_DEBUG, "boards step", "us=%llu moved=%zu left=%zu",
               (unsigned long long)(t - t0) / 1000, moved, left);
    return left;
}

/* A step per loop turn while anything is noted: libuv polls I/O between
 * two (an active idle handle makes that poll not block), so a commit that
 * returns or a request that arrives waits for one step at most. */
static void on_step(uv_idle_t *h)
{
    server_t *s = ld_container_of(h, server_t, publisher.step);
    if (s->stopping || !s->core || heavy(&s->publisher) || !step(s))
        uv_idle_stop(h);
}

void ld_coalesce_kick(server_t *s, size_t batch)
{
    ld_publisher_t *pb = &s->publisher;
    if (batch) /* requests per batch, averaged over the last eight or so */
        pb->avg_batch = (7 * pb->avg_batch + 16 * batch) / 8;
    if (!pb->step_inited || uv_is_active((uv_handle_t *)&pb->step) || heavy(pb) || !s->core ||
        s->stopping || !ld_core_boards_step(s->core, 0))
        return;
    int rc = uv_idle_start(&pb->step, on_step);
    if (rc)
        ld_log(LD_LOG_WARN, "board catch-up not scheduled", "error=\"%s\"", uv_strerror(rc));
}

/* Publishes each dirty board's top 10 (and each dirty case partition's
 * ranking) once, with the seq of its last change, LD_BOARDS_SLICE of them
 * per loop turn: a round takes the dirty list, and what changes meanwhile
 * waits for the next round. Decisions not yet on disk must not show before
 * they are: the updates are held by the batch that commits last of those
 * the state includes (the one collecting decisions, the one being
 * written, or with the WAL the newest acknowledged one not yet in LMDB)
 * and sent once it has. A failed commit drops them with its own;
 * subscribers see the gap in prev_seq and take a snapshot. */
static void on_timer(uv_timer_t *t)
{
    server_t *s = ld_container_of(t, server_t, publisher.timer);
    ld_publisher_t *pb = &s->publisher;
    ld_batches_t *bs = &s->batches;
    if (pb->round_at == pb->nround) { /* a new round: take the dirty list */
        dirty_t *d = pb->round;
        size_t cap = pb->capround;
        pb->round = pb->dirty, pb->capround = pb->capdirty, pb->nround = pb->ndirty;
        pb->dirty = d, pb->capdirty = cap, pb->ndirty = 0;
        pb->round_at = 0, pb->round_ns = 0;
    }
    /* with the WAL, acknowledged batches publish when L has written them:
     * with none collecting or being written, the newest of those holds */
    batch_t *hold = bs->cur->n ? bs->cur : bs->committing ? bs->writing
                                                          : ld_batches_unpublished(s);
    uint8_t *buf = NULL;
    size_t cap = 0;
    uint64_t t0 = ld_mono_ns();
    for (int k = 0; k < LD_BOARDS_SLICE && pb->round_at < pb->nround; k++) {
        const dirty_t *d = &pb->round[pb->round_at++];
        if (d->window == CASES)
            publish_cases(s, d, hold, &buf, &cap);
        else
            publish_board(s, d, hold, &buf, &cap);
    }
    free(buf);
    pb->round_ns += ld_mono_ns() - t0;
    if (pb->round_at < pb->nround) {
        start_timer(s, 0); /* the next slice after the loop's I/O */
        return;
    }
    uint64_t us = pb->round_ns / 1000;
    pb->next_ms = us * LD_BOARDS_SHARE / 1000;
    if (pb->next_ms < LD_BOARDS_MS)
        pb->next_ms = LD_BOARDS_MS;
    ld_log(LD_LOG_DEBUG, "boards published", "n=%zu us=%llu held=%d next_ms=%llu", pb->nround,
           (unsigned long long)us, hold != NULL, (unsigned long long)pb->next_ms);
    pb->nround = pb->round_at = 0;
    if (pb->ndirty) /* changed during the round: the next one */
        start_timer(s, pb->next_ms);
}

int ld_coalesce_open(server_t *s)
{
    int rc = uv_timer_init(s->loop, &s->publisher.timer);
    if (rc) {
        ld_log(LD_LOG_ERROR, "cannot set up the loop", "handle=boards error=\"%s\"", uv_strerror(rc));
        return LD_EIO;
    }
    s->publisher.timer_inited = true;
    if ((rc = uv_idle_init(s->loop, &s->publisher.step))) {
        ld_log(LD_LOG_ERROR, "cannot set up the loop", "handle=boards_step error=\"%s\"", uv_strerror(rc));
        return LD_EIO;
    }
    s->publisher.step_inited = true;
    return 0;
}

static void close_cb(uv_handle_t *h)
{
    (void)h;
}

void ld_coalesce_close(server_t *s)
{
    if (s->publisher.timer_inited)
        uv_close((uv_handle_t *)&s->publisher.timer, close_cb);
    if (s->publisher.step_inited)
        uv_close((uv_handle_t *)&s->publisher.step, close_cb);
    s->publisher.timer_inited = s->publisher.step_inited = false;
}
