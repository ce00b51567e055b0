/* loop.c — ladderd's start-up, clock, signals and shutdown (server.h).
 *
 * Owns the server_t (one per ld_server_run, on the heap), the libuv loop, the
 * store and the core, and the signal handles. Start-up: keys, the store, the
 * state folded from the last snapshot and the log, then each module opens
 * its sockets and handles (router, publisher, batches, deadlines), and only
 * then the rules file may append an event (a daemon that cannot bind writes
 * nothing). The store's lock on the data directory comes before all of it. One libuv loop owns the core; the libuv thread pool runs one
 * store commit at a time (batches.c). The first SIGINT/SIGTERM finishes the
 * current batch and stops; a second exits at once (LMDB keeps the last
 * committed transaction). A clean stop writes a snapshot.
 */
#include "server.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "log.h"
#include "notify.h"
#include "replay.h"
#include "shell.h"

int64_t ld_server_now(server_t *s)
{
    int64_t now;
    if (s->cfg.manual_clock) {
        now = s->manual_now;
    } else {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    }
    /* never decide before what is already recorded */
    int64_t last = ld_core_last_at(s->core);
    if (now < last)
        now = last;
    if (now < s->last_now)
        now = s->last_now;
    s->last_now = now;
    return now;
}

void ld_server_fail(server_t *s, int exit_code, int rc)
{
    ld_log(LD_LOG_ERROR, "stopping after an error", "error=\"%s\" exit=%d", ld_strerror(rc),
           exit_code);
    s->exit_code = exit_code;
    s->stopping = true;
    if (s->batches.check_inited) /* no batch submitted at this turn's end */
        uv_check_stop(&s->batches.check);
    ld_router_stop(s);
    ld_deadlines_stop(s);
    uv_stop(s->loop);
}

static void on_signal(uv_signal_t *h, int sig)
{
    server_t *s = sig == SIGINT ? ld_container_of(h, server_t, sigint)
                                : ld_container_of(h, server_t, sigterm);
    if (++s->signals > 1) {
        ld_log(LD_LOG_WARN, "second signal: exiting now", "signal=%d", sig);
        _exit(130); /* LMDB keeps the last committed transaction */
    }
    ld_log(LD_LOG_INFO, "stopping: finishing the current batch", "signal=%d", sig);
    ld_notify_stopping();
    s->stopping = true;
    ld_router_stop(s);
    ld_deadlines_stop(s);
    ld_batches_submit(s);
    if (ld_batches_quiet(s))
        uv_stop(s->loop);
}

/* The rules file (--rules): adopted as an AdoptRules event when it differs
 * from the rules in force. Returns 0 or a negative code (logged). */
static int adopt_rules_file(server_t *s)
{
    FILE *f = fopen(s->cfg.rules, "r");
    if (!f) {
        ld_log(LD_LOG_ERROR, "cannot read rules", "file=%s error=\"%s\"", s->cfg.rules, strerror(errno));
        return LD_EIO;
    }
    int rc = 0;
    ld_out_t *out = NULL;
    char *json = NULL;
    size_t len = 0, cap = 0;
    char buf[4096];
    size_t r;
    while ((r = fread(buf, 1, sizeof buf, f)) > 0) {
        json = ld_grow(json, &cap, len + r + 1, 1);
        memcpy(json + len, buf, r);
        len += r;
    }
    fclose(f);
    if (!json)
        json = ld_grow(NULL, &cap, 1, 1);
    json[len] = 0;
    ld_rules_t want = *ld_core_rules(s->core);
    ld_rules_default(&want);
    char field[96], msg[256];
    if (ld_rules_parse(&want, json, len, field, sizeof field, msg, sizeof msg)) {
        ld_log(LD_LOG_ERROR, "rules file refused", "file=%s field=%s error=\"%s\"", s->cfg.rules, field, msg);
        rc = LD_EINVAL;
        goto out;
    }
    char *a = ld_rules_to_json(&want), *b = ld_rules_to_json(ld_core_rules(s->core));
    bool same = !strcmp(a, b);
    free(a), free(b);
    if (same)
        goto out;
    Ladder__V1__AdoptRules ar = LADDER__V1__ADOPT_RULES__INIT;
    ar.rules_json = json;
    Ladder__V1__Command cmd = LADDER__V1__COMMAND__INIT;
    cmd.cmd_case = LADDER__V1__COMMAND__CMD_ADOPT_RULES;
    cmd.adopt_rules = &ar;
    out = ld_out_new();
    ld_ctx_t ctx = {ld_server_now(s), "system",
                    LADDER__V1__ROLE__ROLE_MANAGER | LADDER__V1__ROLE__ROLE_SYSTEM, NULL, 0};
    ld_refusal_t why;
    if (ld_core_execute(s->core, &cmd, &ctx, out, &why) != 0) {
        ld_log(LD_LOG_ERROR, "rules file refused", "file=%s field=%s error=\"%s\"", s->cfg.rules,
               why.field, why.message);
        rc = LD_EINVAL;
        goto out;
    }
    ld_append_t app = {.events = ld_out_events(out), .n_events = ld_out_count(out)};
    if ((rc = ld_store_append(s->store, &app, 1)))
        ld_log(LD_LOG_ERROR, "cannot write the rules", "error=\"%s\"", ld_strerror(rc));
    else
        ld_log(LD_LOG_INFO, "rules adopted", "file=%s version=%u", s->cfg.rules,
               ld_core_rules(s->core)->version);
    if (!rc) { /* written straight to LMDB, before any batch */
        ld_store_head(s->store, &s->batches.committed_seq, NULL);
        s->batches.lmdb_seq = s->batches.committed_seq;
    }
out:
    ld_out_destroy(&out);
    free(json);
    return rc;
}

static void close_cb(uv_handle_t *h)
{
    (void)h;
}

/* Keys, store, state and rules. Returns 0 or a negative code (logged); a
 * setting that cannot work sets exit_code 2. */
static int load(server_t *s)
{
    const ld_config_t *cfg = &s->cfg;
    s->exit_code = 2;
    if (!cfg->keys[0] && (!ld_endpoint_is_local(cfg->command) || !ld_endpoint_is_local(cfg->publish))) {
        ld_log(LD_LOG_ERROR, "refusing to bind a non-loopback endpoint without --keys",
               "command=%s publish=%s", cfg->command, cfg->publish);
        return LD_EINVAL;
    }
    char err[512];
    int rc;
    if (cfg->keys[0]) {
        if ((rc = ld_auth_load(&s->router.auth, cfg->keys, err, sizeof err))) {
            ld_log(LD_LOG_ERROR, "cannot load the keys", "error=\"%s\"", err);
            return rc < 0 ? rc : LD_EINVAL;
        }
        ld_log(LD_LOG_INFO, "CURVE on both sockets", "keys=%s clients=%zu", cfg->keys,
               ld_auth_count(s->router.auth));
    } else {
        ld_log(LD_LOG_WARN, "no --keys: unauthenticated, loopback only; principals are taken from requests", "%s", "");
    }

    /* the store takes the data directory's lock before it reads anything */
    /* no commit carries index entries: batches.c writes them in bounded
     * steps between commits (DESIGN.md, "The write path") */
    ld_store_options_t opt = {.durability = cfg->durability, .verify_all = cfg->verify_all,
                              .wal = cfg->wal,
                              .index_every = UINT64_MAX};
    if ((rc = ld_store_open(&s->store, cfg->data, &opt, err, sizeof err))) {
        ld_log(LD_LOG_ERROR, "cannot open the store", "data=%s error=\"%s\"", cfg->data, err);
        return rc;
    }
    if (ld_store_wal_applied(s->store))
        ld_log(LD_LOG_INFO, "write-ahead log applied to the store", "records=%llu",
               (unsigned long long)ld_store_wal_applied(s->store));
    s->exit_code = 1;
    uint64_t t = ld_mono_ns(), from, replayed, bad, head;
    s->core = ld_replay_open(s->store, &from, &replayed, &rc, &bad);
    if (!s->core) {
        ld_log(LD_LOG_ERROR, "cannot fold the log", "error=\"%s\" seq=%llu", ld_strerror(rc),
               (unsigned long long)bad);
        return rc;
    }
    ld_store_head(s->store, &head, NULL);
    s->batches.snap_seq = from;
    s->st.snapshot_ns = ld_mono_ns();
    s->st.replayed_at_start = replayed;
    s->manual_now = ld_core_last_at(s->core);
    ld_log(LD_LOG_INFO, "state loaded", "head=%llu snapshot_seq=%llu replayed=%llu employees=%zu ms=%.1f",
           (unsigned long long)head, (unsigned long long)from, (unsigned long long)replayed,
           ld_core_employee_count(s->core), (double)(ld_mono_ns() - t) / 1e6);
    s->exit_code = 0;
    return 0;
}

static int open_signals(server_t *s)
{
    int rc;
    if ((rc = uv_signal_init(s->loop, &s->sigint)) || (rc = uv_signal_init(s->loop, &s->sigterm))) {
        ld_log(LD_LOG_ERROR, "cannot set up the loop", "handle=signal error=\"%s\"", uv_strerror(rc));
        return LD_EIO;
    }
    s->signals_inited = true;
    if ((rc = uv_signal_start(&s->sigint, on_signal, SIGINT)) ||
        (rc = uv_signal_start(&s->sigterm, on_signal, SIGTERM))) {
        ld_log(LD_LOG_ERROR, "cannot catch signals", "error=\"%s\"", uv_strerror(rc));
        return LD_EIO;
    }
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

/* Closes every handle that was set up and lets the loop finish their closes. */
static void close_handles(server_t *s)
{
    ld_router_close(s);
    ld_batches_close(s);
    ld_deadlines_close(s);
    ld_publisher_close(s);
    ld_notify_close();
    if (s->signals_inited) {
        uv_close((uv_handle_t *)&s->sigint, close_cb);
        uv_close((uv_handle_t *)&s->sigterm, close_cb);
        s->signals_inited = false;
    }
    uv_run(s->loop, UV_RUN_DEFAULT);
    int rc = uv_loop_close(s->loop);
    if (rc)
        ld_log(LD_LOG_WARN, "the loop did not close", "error=\"%s\"", uv_strerror(rc));
}

/* Runs the loop until stopped. Returns 0 or a negative code (logged). */
static int serve(server_t *s)
{
    const ld_config_t *cfg = &s->cfg;
    int rc;
    s->exit_code = 1;
    s->qout = ld_out_new();
    s->loop = uv_default_loop();
    if ((rc = ld_batches_open(s)) || (rc = ld_router_open(s)) || (rc = ld_publisher_open(s)) ||
        (rc = ld_deadlines_open(s)) || (rc = ld_seen_open(s)))
        goto out;
    /* only once both sockets are bound may start-up append an event */
    if (cfg->rules[0] && (rc = adopt_rules_file(s)))
        goto out;
    if ((rc = open_signals(s)))
        goto out;
    s->exit_code = 0;

    ld_log(LD_LOG_INFO, "listening", "command=%s publish=%s clock=%s durability=%s", cfg->command,
           cfg->publish, cfg->manual_clock ? "manual" : "system",
           cfg->wal ? "wal" : cfg->durability == LD_DURABILITY_FULL ? "full"
           : cfg->durability == LD_DURABILITY_NOMETASYNC ? "nometasync" : "nosync");
    ld_deadlines_fire(s);
    ld_deadlines_arm(s);
    ld_router_drain(s);
    uint64_t served_from;
    ld_store_head(s->store, &served_from, NULL);
    ld_notify_ready(s->loop, served_from);
    uv_run(s->loop, UV_RUN_DEFAULT);

    ld_batches_snapshot(s, true);
    /* nometasync: the last commit's meta page, durable before we say stopped */
    int src = cfg->durability == LD_DURABILITY_NOMETASYNC ? ld_store_sync(s->store) : 0;
    if (src)
        ld_log(LD_LOG_ERROR, "sync at stop failed", "error=\"%s\"", ld_strerror(src));
    uint64_t head;
    ld_store_head(s->store, &head, NULL);
    ld_log(LD_LOG_INFO, "stopped", "head=%llu requests=%llu events=%llu", (unsigned long long)head,
           (unsigned long long)s->st.requests, (unsigned long long)s->st.events);
out:
    close_handles(s);
    return rc;
}

int ld_server_run(const ld_config_t *cfg)
{
    server_t *s = calloc(1, sizeof *s);
    if (!s)
        abort();
    s->cfg = *cfg;
    s->started_ns = ld_mono_ns();
    if (!load(s))
        serve(s);
    int exit_code = s->exit_code;
    ld_publisher_destroy(s);
    ld_router_destroy(s);
    ld_batches_destroy(s);
    ld_seen_destroy(s);
    ld_out_destroy(&s->qout);
    ld_core_destroy(&s->core);
    ld_store_close(&s->store);
    free(s);
    return exit_code;
}
