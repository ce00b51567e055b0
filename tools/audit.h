/* audit.h — §11 audit of a stored log, offline: every fact is decided again
 * against the state folded from the events before it, under the rules then in
 * force, and what that decision produces must equal what was recorded: the
 * fact itself and every event derived from it (points, promotions, credits,
 * demotions, retirements), byte for byte in their bodies, seqs and causes. */
#ifndef LD_AUDIT_H
#define LD_AUDIT_H

#include <stdint.h>
#include <stdio.h>

#include "store.h"

typedef struct {
    uint64_t events;        /* events read */
    uint64_t facts;         /* facts decided again */
    uint64_t derived;       /* derived events compared */
    uint64_t discrepancies; /* each one reported with its seq */
} ld_audit_t;

/* Audits the log of s. Discrepancies are written to report, one a line;
 * progress (when not NULL) gets a progress bar. Returns 0 or a store error. */
int ld_audit_run(ld_store_t *s, ld_audit_t *a, FILE *report, FILE *progress);

#endif
