/* log.h — one line per event of note, logfmt, to stderr:
 *   ts=2026-11-27T02:26:51.123Z level=info msg="listening" command=tcp://...
 */
#ifndef LD_LOG_H
#define LD_LOG_H

enum { LD_LOG_DEBUG = 0, LD_LOG_INFO, LD_LOG_WARN, LD_LOG_ERROR };

/* Sets the lowest level printed. Returns -1 for an unknown name. */
int ld_log_set_level(const char *name);

/* Prints ts, level and msg, then the already formatted key=value pairs of fmt. */
void ld_log(int level, const char *msg, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
