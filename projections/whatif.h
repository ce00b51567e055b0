/* whatif.h — rules what-if (§10): what a proposed rules document would have
 * decided over a span of the log.
 *
 * Two states are folded side by side. The actual one applies the log as it
 * is. The what-if one is a copy of it taken at the first fact of the span,
 * adopts the proposed document there (merged over the rules in force, like any
 * adoption), and then decides every later fact again under its own state:
 * facts stay facts (a query test took 138 s, an exam was graded 85 %), the
 * decisions they cause are re-derived (points, promotions, year closes,
 * demotions, retirements). Time-driven decisions (year closes, appeal windows)
 * follow the what-if's own deadlines: each fires after the first log fact at or
 * past it, at that fact's time, as ladderd fires them when its clock passes.
 *
 * Pure like the rest of the core: the caller reads the log (a store scan in
 * ladderctl, a read transaction on the thread pool in ladderd) and feeds it.
 */
#ifndef LD_WHATIF_H
#define LD_WHATIF_H

#include <stdint.h>

#include "core.h"

typedef struct ld_whatif ld_whatif_t;

/* Starts a what-if of q (rules_json, from and to bounds). base, when not
 * NULL, is a state folded from the log up to some seq before the span (a
 * snapshot); the what-if takes ownership of it. Returns NULL with why filled
 * when the document is refused (it is tried on an empty state first). */
ld_whatif_t *ld_whatif_new(ld_core_t *base, const Ladder__V1__WhatIf *q, ld_refusal_t *why);

/* Frees the what-if and sets *w to NULL. Accepts NULL. */
void ld_whatif_destroy(ld_whatif_t **w);

/* Seq of the next event the what-if expects (after base, if any). */
uint64_t ld_whatif_next_seq(const ld_whatif_t *w);

/* Feeds the next event of the log, in seq order. Returns 0 to go on, 1 when
 * the span has ended (later events are not needed), -1 when the event does not
 * apply to the state before it (why filled). */
int ld_whatif_feed(ld_whatif_t *w, const Ladder__V1__Event *ev, ld_refusal_t *why);

/* Fills rep (caller-initialised) with the comparison; strings and arrays live
 * in out's arena (valid until ld_out_reset). Returns 0. */
int ld_whatif_report(ld_whatif_t *w, ld_out_t *out, Ladder__V1__WhatIfReport *rep);

#endif
