/* core.h — the functional core of Ladder: state, decide, evolve, queries.
 *
 * Pure C11: no I/O, no clock, no randomness, nothing from daemon/ or tools/
 * (daemon/DESIGN.md, "Determinism"). The shell passes `now`, the principal
 * and any random seed in ld_ctx_t; replaying the same events always gives the
 * same state, byte for byte (ld_core_snapshot).
 *
 * Write path: ld_core_execute() decides a command against the current state,
 * producing the fact and every event it causes, and applies each event as it
 * is produced (so a batch's next command sees it). A refusal leaves state and
 * output as they were. Savepoints let the shell undo a whole request (batch
 * all-or-nothing) or a whole group commit (a failed disk write).
 *
 * Memory contract. The state holds what deciding needs, never the history
 * itself: texts, case content and every event stay in the log (ReadEvents,
 * explain and audit read them from there). Costs on x86-64 (ladder-bench
 * core and replay measure the totals):
 *   - an employee: ~500 B: its record 480 B (no padding, internal.h), its
 *     name in the name pool (its length + 1), an id-index slot of 8 B at
 *     most 3/4 full (11-21 B), and vectors of 4 B per case studied or
 *     examined, apprentice, level change and medal. People who left keep
 *     their record (ids are never reused, §1).
 *   - §9 boards (derived, built at the first query, not in snapshots): an
 *     entry is 24 B, in blocks of 32 (~2 B of block overhead an entry), on
 *     4 boards (org, centre, team, level) for all time and for each window
 *     where the employee has points in the current period: 96-480 B, plus
 *     16 B of id key and card offset, a row card (level, id and name:
 *     3 B + their lengths) and an entry in the rank queries' own id index
 *     (32 B at most 3/4 full: 43-85 B; 64 B at 1 M). Only the current
 *     period's boards exist (the period of the latest event; GetBoard names
 *     no other): they are dropped at the roll-over, so boards are one set
 *     per window, not one per period.
 *   - a case: 104 B + title; an exam 160 B; a submission 128 B + its
 *     reviews (4 B each); a KB item, suggestion or QC record 168 B + text;
 *     a level change 88 B; a used one-off id (volunteer report) ~50 B;
 *     who-rated-what and who-did-which-task pairs ~30 B each (a 12 B
 *     row and its 8 B slot in the one hash table, internal.h); a §12
 *     reversible fact 32 B and each pay it made 12 B.
 *   - derived and scratch: the deadline heap (16 B an entry), the board
 *     images of employees changed since the last query (128 B each, at most
 *     one per employee) and the catch-up's scratch (~260 B per employee
 *     moved, kept between catch-ups, given back after one that moved most
 *     of the organisation), the undo journal (freed at ld_core_release) and
 *     the output arena (freed at ld_out_reset; a refused command's part at
 *     once).
 * So the state is bounded by the organisation — people ever employed, the
 * library and its exams, people x cases for the study and rating sets —
 * not by the number of events: test_scale checks that 2 M replayed events
 * leave RSS within 1.25x of 1 M. Known growth with time: every exam ever
 * drawn keeps its 160 B record, every accepted case (retired too) its
 * record and title, every reversible fact (§12 names no time limit for a
 * reversal) its 32 B.
 */
#ifndef LD_CORE_H
#define LD_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ladder.pb-c.h"
#include "rules.h"

typedef struct ld_core ld_core_t;
typedef struct ld_out ld_out_t;

/* What a decision is given besides state. */
typedef struct {
    int64_t now_ms;           /* becomes the events' at_ms */
    const char *principal;    /* acting id; "system" for the daemon's own commands */
    uint32_t roles;           /* bit set of LADDER__V1__ROLE__* */
    const uint8_t *request_id;
    size_t request_id_len;
} ld_ctx_t;

/* A refusal: a value, not a program error. code is a LADDER__V1__ERROR_CODE__*. */
typedef struct {
    int code;
    char section[16];         /* "§6.5", empty when not a domain rule */
    char field[96];           /* "commands[0].start_apprenticeship.mentor_id" */
    char message[320];
} ld_refusal_t;

/* ----------------------------------------------------------- the state -- */

/* Returns a new, empty state under the default rules, whose next event is
 * next_seq (1 for an empty log). Caller destroys. */
ld_core_t *ld_core_new(uint64_t next_seq);

/* Frees the state and sets *c to NULL. Accepts NULL. */
void ld_core_destroy(ld_core_t **c);

/* Seq the next appended event will carry. */
uint64_t ld_core_next_seq(const ld_core_t *c);

/* Rules in force now (valid until the next RulesAdopted is applied). */
const ld_rules_t *ld_core_rules(const ld_core_t *c);

/* Applies one committed event. Returns 0, or -1 when the event contradicts
 * the state (a log this core did not write): the state is then unchanged. */
int ld_core_evolve(ld_core_t *c, const Ladder__V1__Event *ev);

/* A hint for a fold that decodes ahead: starts bringing into cache what
 * evolving ev will look up first (the employee and case it names). Stage 0:
 * their id-index slots; stage 1, an event later: the rows those slots name
 * (and a rating's (case, employee) pair slot).
 * Reads the state, changes nothing (not even the undo stamps). */
void ld_core_prefetch(const ld_core_t *c, const Ladder__V1__Event *ev, int stage);

/* Decides cmd and applies its events; on success appends them to out (owned
 * by out, valid until ld_out_reset) and returns 0. On refusal returns -1 with
 * why filled; state and out are unchanged. */
int ld_core_execute(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
                    ld_out_t *out, ld_refusal_t *why);

/* Savepoints: mark, undo everything applied since a mark, or forget all marks.
 * Evolve outside any savepoint keeps no undo record (replay is not slowed). */
uint32_t ld_core_savepoint(ld_core_t *c);
void ld_core_rollback(ld_core_t *c, uint32_t mark);
void ld_core_release(ld_core_t *c);

/* Serializes the whole state, deterministically. Caller frees *buf. */
int ld_core_snapshot(const ld_core_t *c, uint8_t **buf, size_t *len);

/* Builds a state from a snapshot. Returns NULL if the bytes do not decode. */
ld_core_t *ld_core_from_snapshot(const uint8_t *buf, size_t len);

/* ------------------------------------------------------------ output -- */

ld_out_t *ld_out_new(void);
void ld_out_destroy(ld_out_t **o);
/* Forgets the events (and frees their memory in bulk). */
void ld_out_reset(ld_out_t *o);
size_t ld_out_count(const ld_out_t *o);
Ladder__V1__Event **ld_out_events(ld_out_t *o);
/* Truncates to the first n events (used to drop a refused request's events). */
void ld_out_truncate(ld_out_t *o, size_t n);

/* ----------------------------------------------------------- queries -- */
/* Each fills a caller-initialised reply message; strings and arrays inside
 * point into an arena owned by `out` (valid until ld_out_reset). Returns 0,
 * or -1 with why filled (unknown employee, ...). */

int ld_core_query(ld_core_t *c, const Ladder__V1__Query *q, int64_t now_ms, ld_out_t *out,
                  Ladder__V1__Ok *ok, ld_refusal_t *why);

/* Moves at most max of the employees changed since the boards were last
 * brought up to date (§9; a query does all of them first); returns how many
 * are left. For spreading that work over idle moments. */
size_t ld_core_boards_step(ld_core_t *c, size_t max);

/* §2 rule data of a level under the rules in force, from out's arena. */
Ladder__V1__LevelInfo *ld_core_level_info(const ld_core_t *c, ld_out_t *out, uint32_t level);

/* Earliest deadline (retention close, appeal window) at or after nothing in
 * particular: the smallest one pending. Returns false when there is none. */
bool ld_core_next_deadline(ld_core_t *c, int64_t *at_ms, const char **employee_id,
                           int *kind);

/* LIBRARY (§4 v2): the library check is due (employee_id ""): send CheckLibrary.
 * EXAM (§6.6 v2): the employee's open exam expires: send ExpireExam. */
enum { LD_DEADLINE_RETENTION = 1, LD_DEADLINE_APPEAL = 2, LD_DEADLINE_LIBRARY = 3,
       LD_DEADLINE_EXAM = 4 };

/* The latest recorded event time (0 for an empty log): a manual clock
 * resumes from here, a system clock never decides before it. */
int64_t ld_core_last_at(const ld_core_t *c);

/* Number of employees ever hired; they are numbered 0..count-1 in hiring order. */
size_t ld_core_employee_count(const ld_core_t *c);

/* The employee numbered i (i < count): id, level and the three point totals. */
typedef struct {
    const char *id;          /* valid while the state lives */
    const char *team, *centre;
    uint32_t level;
    int64_t total, since_level, in_year;
    bool left;
} ld_emp_summary_t;
void ld_core_employee_at(const ld_core_t *c, size_t i, ld_emp_summary_t *out);

/* The partition (level 1-5, category) of an accepted case; false if none.
 * category is valid while the state lives. */
bool ld_core_case_partition(const ld_core_t *c, const char *case_id, uint32_t *level,
                            const char **category);

/* Number of the employee with this id, or -1. */
long ld_core_employee_find(const ld_core_t *c, const char *id);

#endif
