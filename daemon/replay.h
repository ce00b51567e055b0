/* replay.h — fold stored events into a core: start-up (snapshot + tail),
 * reload after a failed commit, and offline audits. */
#ifndef LD_REPLAY_H
#define LD_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#include "core.h"
#include "store.h"

/* Applies stored events from the core's next seq up to the head. Returns 0
 * with *count applied, or a negative code (LD_ECORRUPT when an event does not
 * decode or does not apply, with its seq in *bad_seq; the events read ahead
 * of it are not applied). A reader thread walks the log and decodes events
 * into a bounded ring of batches (a bump allocator per batch, no malloc per
 * event); the calling thread applies them one at a time in log order, the
 * core prefetching what the next ones name. The reader has ended when this
 * returns. Without a thread (none can be started, or ld_replay_set_pipelined
 * false) the same stages run one after the other on the calling thread. */
int ld_replay(ld_store_t *s, ld_core_t *c, uint64_t *count, uint64_t *bad_seq);

/* Like ld_replay, but stops after seq to_seq (0: no limit) and before the
 * first event recorded after to_ms (0: no limit): the state as it was (§11). */
int ld_replay_until(ld_store_t *s, ld_core_t *c, uint64_t to_seq, int64_t to_ms, uint64_t *count);

/* Builds the core for a store: the "core" snapshot if it decodes and is not
 * ahead of the log, then the tail. *from_snapshot tells which seq it started
 * from (0 = the whole log). Returns NULL with a code in *rc on failure. */
ld_core_t *ld_replay_open(ld_store_t *s, uint64_t *from_snapshot, uint64_t *replayed, int *rc,
                          uint64_t *bad_seq);

/* Whether folds (ld_replay, ld_replay_until, ld_replay_open) read on a
 * thread of their own (true, the default) or on the calling thread; for
 * tests and measurements comparing the two. Process-wide. */
void ld_replay_set_pipelined(bool on);

/* Called with each decoded event of ld_replay_each; ev is valid only until it
 * returns. A non-zero return stops the scan and is returned by it. */
typedef int (*ld_replay_cb)(void *ctx, const Ladder__V1__Event *ev);

/* Decodes the stored events from seq `from` on (with a bump allocator, no
 * malloc per event) and calls cb with each. Returns 0, cb's non-zero value, or
 * LD_ECORRUPT with the seq of an event that does not decode in *bad_seq. */
int ld_replay_each(ld_store_t *s, uint64_t from, ld_replay_cb cb, void *ctx, uint64_t *bad_seq);

#endif
