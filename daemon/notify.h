/* notify.h — ladderd's messages to systemd (sd_notify, Type=notify units):
 * READY once the log is replayed and the sockets are bound, WATCHDOG from a
 * timer on the loop (so it stops when the loop stops turning), STOPPING at
 * the first signal. Without NOTIFY_SOCKET every call does nothing. */
#ifndef LD_NOTIFY_H
#define LD_NOTIFY_H

#include <stdint.h>
#include <uv.h>

/* READY=1 with a status line; starts the watchdog timer on loop when the unit
 * has WatchdogSec= (every half period). */
void ld_notify_ready(uv_loop_t *loop, uint64_t head_seq);
/* STOPPING=1. */
void ld_notify_stopping(void);
/* Closes the watchdog timer (before the loop is closed). */
void ld_notify_close(void);

#endif
