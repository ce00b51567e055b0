/* deadlines.c — §7 deadlines the system decides itself (shell.h, ld_deadlines_t).
 *
 * Owns the uv_timer_t armed for the core's next deadline (a retention year's
 * close, an appeal window's end). Due deadlines are decided as internal
 * requests of the current batch, committed like any other; they get no reply.
 * On --clock manual the timer stays off: AdvanceClock fires them instead.
 */
#include <stdio.h>

#include "log.h"
#include "shell.h"

void ld_deadlines_fire(server_t *s)
{
    int64_t now = ld_server_now(s);
    for (int guard = 0; guard < 10000; guard++) {
        int64_t at;
        const char *emp;
        int kind;
        if (!ld_core_next_deadline(s->core, &at, &emp, &kind) || at > now)
            return;
        char empid[64];
        snprintf(empid, sizeof empid, "%s", emp);
        Ladder__V1__Command cmd = LADDER__V1__COMMAND__INIT;
        Ladder__V1__CloseRetentionYear cy = LADDER__V1__CLOSE_RETENTION_YEAR__INIT;
        Ladder__V1__ExpireAppeal xa = LADDER__V1__EXPIRE_APPEAL__INIT;
        Ladder__V1__ExpireExam xe = LADDER__V1__EXPIRE_EXAM__INIT;
        Ladder__V1__CheckLibrary cl = LADDER__V1__CHECK_LIBRARY__INIT;
        if (kind == LD_DEADLINE_LIBRARY) { /* §4 v2: the library check is due */
            cmd.cmd_case = LADDER__V1__COMMAND__CMD_CHECK_LIBRARY;
            cmd.check_library = &cl;
        } else if (kind == LD_DEADLINE_EXAM) { /* §6.6 v2: an exam not graded in time is void */
            xe.employee_id = empid;
            cmd.cmd_case = LADDER__V1__COMMAND__CMD_EXPIRE_EXAM;
            cmd.expire_exam = &xe;
        } else if (kind == LD_DEADLINE_RETENTION) {
            cy.employee_id = empid;
            cmd.cmd_case = LADDER__V1__COMMAND__CMD_CLOSE_RETENTION_YEAR;
            cmd.close_retention_year = &cy;
        } else {
            xa.employee_id = empid;
            cmd.cmd_case = LADDER__V1__COMMAND__CMD_EXPIRE_APPEAL;
            cmd.expire_appeal = &xa;
        }
        Ladder__V1__Command *cmds[1] = {&cmd};
        Ladder__V1__Principal pr = LADDER__V1__PRINCIPAL__INIT;
        pr.id = "system";
        pr.roles = LADDER__V1__ROLE__ROLE_SYSTEM;
        Ladder__V1__Request req = LADDER__V1__REQUEST__INIT;
        req.principal = &pr;
        req.n_commands = 1;
        req.commands = cmds;
        pending_t *p = ld_requests_new(s->batches.cur, (const uint8_t *)"", 0);
        p->internal = true;
        p->rid_len = (uint8_t)snprintf((char *)p->rid, sizeof p->rid, "deadline/%c/%.40s/%lld",
                                       kind == LD_DEADLINE_RETENTION ? 'r'
                                       : kind == LD_DEADLINE_EXAM    ? 'x'
                                       : kind == LD_DEADLINE_LIBRARY ? 'l'
                                                                     : 'a',
                                       empid,
                                       (long long)at);
        /* the daemon's own namespace: no client request id can take it */
        p->key_len = (uint8_t)ld_store_request_key(p->key, NULL, p->rid, p->rid_len);
        ld_requests_digest(&req, p->digest);
        ld_requests_commands(s, p, &req);
        if (!p->has_events) {
            ld_log(LD_LOG_ERROR, "deadline refused", "employee=%s kind=%d at_ms=%lld", empid, kind,
                   (long long)at);
            return;
        }
        ld_log(LD_LOG_INFO,
               kind == LD_DEADLINE_RETENTION ? "retention year closed"
               : kind == LD_DEADLINE_EXAM    ? "exam expired (void)"
               : kind == LD_DEADLINE_LIBRARY ? "library checked"
                                             : "appeal window closed",
               "employee=%s at_ms=%lld", empid, (long long)at);
    }
}

static void on_timer(uv_timer_t *t)
{
    server_t *s = ld_container_of(t, server_t, deadlines.timer);
    if (!s->stopping)
        ld_deadlines_fire(s);
}

void ld_deadlines_arm(server_t *s)
{
    if (s->cfg.manual_clock || s->stopping)
        return;
    int64_t at;
    if (!ld_core_next_deadline(s->core, &at, NULL, NULL)) {
        uv_timer_stop(&s->deadlines.timer);
        return;
    }
    int64_t now = ld_server_now(s), delay = at > now ? at - now : 0;
    /* libuv timers are relative; re-arm at least daily so clock jumps are seen */
    if (delay > 86400000)
        delay = 86400000;
    int rc = uv_timer_start(&s->deadlines.timer, on_timer, (uint64_t)delay, 0);
    if (rc) /* the next request or commit re-arms it */
        ld_log(LD_LOG_ERROR, "deadline timer not armed", "error=\"%s\"", uv_strerror(rc));
}

int ld_deadlines_open(server_t *s)
{
    int rc = uv_timer_init(s->loop, &s->deadlines.timer);
    if (rc) {
        ld_log(LD_LOG_ERROR, "cannot set up the loop", "handle=deadlines error=\"%s\"",
               uv_strerror(rc));
        return LD_EIO;
    }
    s->deadlines.timer_inited = true;
    return 0;
}

void ld_deadlines_stop(server_t *s)
{
    if (s->deadlines.timer_inited)
        uv_timer_stop(&s->deadlines.timer);
}

static void close_cb(uv_handle_t *h)
{
    (void)h;
}

void ld_deadlines_close(server_t *s)
{
    if (s->deadlines.timer_inited)
        uv_close((uv_handle_t *)&s->deadlines.timer, close_cb);
    s->deadlines.timer_inited = false;
}
