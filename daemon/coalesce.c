/* coalesce.c — boards (§9, board.* top 10) and case rankings (cases.*),
 * coalesced (shell.h; its handles are in ld_publisher_t: timer, quiet).
 *
 * Owns the list of dirty boards and case partitions and the timers that
 * publish them: at most one update per 100 ms each, with the seq of their
 * last change. They are built from the live state, which may hold decisions
 * not yet written, so like per-event updates they are held in the last batch
 * those decisions belong to and go out when it has committed.
 * Building them brings the boards up to date (boards_flush), which costs with
 * the changes since the last time, on the loop: a round after 100 ms of 10 k/s
 * is a stall of milliseconds in front of every request read meanwhile. So
 * the boards catch up in small steps: with each batch of at most
 * LD_BOARDS_EAGER requests (light load: a few employees each time) and
 * when the log has been quiet for LD_BOARDS_QUIET_MS. Under heavy load
 * (batches of more than LD_BOARDS_EAGER requests on average) only the rounds
 * do it, and the next round waits at least LD_BOARDS_SHARE times as long as
 * this one took, so boards take at most 1/LD_BOARDS_SHARE of the loop however
 * fast the commands come.
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
#define LD_BOARDS_QUIET_MS 5 /* nothing submitted for this long: catch up now */

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

void ld_coalesce_catch_up(server_t *s, size_t batch)
{
    ld_publisher_t *pb = &s->publisher;
    if (batch) /* requests per batch, averaged over the last eight or so */
        pb->avg_batch = (7 * pb->avg_batch + 16 * batch) / 8;
    if (batch && pb->avg_batch > 16 * LD_BOARDS_EAGER)
        return; /* a heavy load: the timer's rounds catch up, at their share */
    uint64_t t0 = ld_mono_ns();
    Ladder__V1__GetBoard g = LADDER__V1__GET_BOARD__INIT;
    g.top = 1;
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_BOARD;
    q.board = &g;
    Ladder__V1__Ok ok = LADDER__V1__OK__INIT;
    ld_out_reset(s->qout);
    (void)ld_core_query(s->core, &q, ld_server_now(s), s->qout, &ok, NULL);
    uint64_t us = (ld_mono_ns() - t0) / 1000;
    if (us > 1000)
        ld_log(LD_LOG_DEBUG, "boards caught up", "us=%llu batch=%zu", (unsigned long long)us, batch);
}

/* LD_BOARDS_QUIET_MS after the writer found nothing waiting, if nothing was
 * submitted since: the log is quiet, catch up whatever it costs. (At once
 * would be on every commit of a saturated daemon whose clients wait for
 * their replies before sending more: a rebuild of every board each time.) */
static void on_quiet(uv_timer_t *t)
{
    server_t *s = ld_container_of(t, server_t, publisher.quiet);
    ld_batches_t *bs = &s->batches;
    if (bs->busy || bs->cur->n || s->stopping ||
        ld_mono_ns() - bs->last_submit_ns < LD_BOARDS_QUIET_MS * 1000000ull)
        return;
    ld_coalesce_catch_up(s, 0);
}

void ld_coalesce_idle(server_t *s)
{
    if (!s->publisher.quiet_inited || uv_is_active((uv_handle_t *)&s->publisher.quiet))
        return;
    int rc = uv_timer_start(&s->publisher.quiet, on_quiet, LD_BOARDS_QUIET_MS, 0);
    if (rc)
        ld_log(LD_LOG_WARN, "board catch-up not scheduled", "error=\"%s\"", uv_strerror(rc));
}

/* Publishes each dirty board's top 10 (and each dirty case partition's
 * ranking) once, with the seq of its last change. Decisions not yet on disk
 * must not show before they are: the updates are held by the batch that
 * commits last of those the state includes (the one collecting decisions, or
 * the one being written) and sent once it has. A failed commit drops them with
 * its own; subscribers see the gap in prev_seq and take a snapshot. */
static void on_timer(uv_timer_t *t)
{
    server_t *s = ld_container_of(t, server_t, publisher.timer);
    ld_publisher_t *pb = &s->publisher;
    ld_batches_t *bs = &s->batches;
    batch_t *hold = bs->cur->n ? bs->cur : bs->committing ? bs->writing : NULL;
    uint8_t *buf = NULL;
    size_t cap = 0;
    uint64_t t0 = ld_mono_ns();
    size_t nd = pb->ndirty;
    for (size_t i = 0; i < pb->ndirty; i++) {
        const dirty_t *d = &pb->dirty[i];
        if (d->window == CASES)
            publish_cases(s, d, hold, &buf, &cap);
        else
            publish_board(s, d, hold, &buf, &cap);
    }
    free(buf);
    pb->ndirty = 0;
    uint64_t us = (ld_mono_ns() - t0) / 1000;
    pb->next_ms = us * LD_BOARDS_SHARE / 1000;
    if (pb->next_ms < LD_BOARDS_MS)
        pb->next_ms = LD_BOARDS_MS;
    ld_log(LD_LOG_DEBUG, "boards published", "n=%zu us=%llu held=%d next_ms=%llu", nd,
           (unsigned long long)us, hold != NULL, (unsigned long long)pb->next_ms);
}

int ld_coalesce_open(server_t *s)
{
    int rc = uv_timer_init(s->loop, &s->publisher.timer);
    if (rc) {
        ld_log(LD_LOG_ERROR, "cannot set up the loop", "handle=boards error=\"%s\"", uv_strerror(rc));
        return LD_EIO;
    }
    s->publisher.timer_inited = true;
    if ((rc = uv_timer_init(s->loop, &s->publisher.quiet))) {
        ld_log(LD_LOG_ERROR, "cannot set up the loop", "handle=quiet error=\"%s\"", uv_strerror(rc));
        return LD_EIO;
    }
    s->publisher.quiet_inited = true;
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
    if (s->publisher.quiet_inited)
        uv_close((uv_handle_t *)&s->publisher.quiet, close_cb);
    s->publisher.timer_inited = s->publisher.quiet_inited = false;
}
