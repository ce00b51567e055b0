/* notify.c — sd_notify for ladderd under systemd (notify.h). */
#include "notify.h"

#include <stdbool.h>
#include <systemd/sd-daemon.h>

#include "log.h"

static uv_timer_t watchdog;
static bool watchdog_on;

static void on_watchdog(uv_timer_t *t)
{
    (void)t;
    sd_notify(0, "WATCHDOG=1");
}

void ld_notify_ready(uv_loop_t *loop, uint64_t head_seq)
{
    uint64_t usec = 0;
    sd_notifyf(0, "READY=1\nSTATUS=serving, head seq %llu", (unsigned long long)head_seq);
    if (sd_watchdog_enabled(0, &usec) > 0 && usec >= 2000) {
        uv_timer_init(loop, &watchdog);
        uv_timer_start(&watchdog, on_watchdog, usec / 2000, usec / 2000);
        uv_unref((uv_handle_t *)&watchdog); /* never what keeps the loop alive */
        watchdog_on = true;
        ld_log(LD_LOG_INFO, "systemd watchdog", "interval_ms=%llu", (unsigned long long)(usec / 2000));
    }
}

void ld_notify_stopping(void)
{
    sd_notify(0, "STOPPING=1\nSTATUS=stopping: finishing the current batch");
}

void ld_notify_close(void)
{
    if (watchdog_on) {
        uv_timer_stop(&watchdog);
        uv_close((uv_handle_t *)&watchdog, NULL);
        watchdog_on = false;
    }
}
