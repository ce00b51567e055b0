/* commands.h — the command table and the event kinds (DOMAIN.md §1 for who
 * may send what). One row per Command oneof case: its decider, who may send
 * it, the facts it records, the events it may cause, the streams they go to
 * and what they change. The core dispatches through it (core.c); the daemon's
 * publisher derives its updates from the effects of each event kind; the
 * audit and tests/test_roles.c read it. Adding a command is adding a row.
 * Both tables are constant and may be read from any thread.
 */
#ifndef LD_COMMANDS_H
#define LD_COMMANDS_H

#include "core.h"

/* What an event changes, for whoever publishes or checks it. */
enum {
    LD_EFFECT_EMPLOYEE = 1,  /* an employee's record */
    LD_EFFECT_POINTS = 2,    /* their points: points.<id> (amount: the delta) */
    LD_EFFECT_LEVEL = 4,     /* their level may change: level.<id> (ld_core_level_change) */
    LD_EFFECT_BOARDS = 8,    /* their standing on the §9 boards: board.* (old level's too) */
    LD_EFFECT_CASES = 16,    /* a case partition's ranking (§4): cases.<level>.<category> */
};

/* Who may send a command besides the roles of its row: an employee (or
 * reviewer) acting for themselves, named in one field (FIELD) or one of a
 * list (LIST); or a committee member, a fact of the log (COMMITTEE, §1 v2). */
enum { LD_SELF_NONE = 0, LD_SELF_FIELD, LD_SELF_LIST, LD_SELF_COMMITTEE };

#define LD_COMMAND_FACTS 2
#define LD_COMMAND_CAUSES 10

/* Decides cmd (its oneof case is the row's), the sender already checked:
 * emits and applies the events, or refuses (-1, c->why filled). */
typedef int (*ld_decide_fn)(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
                            ld_out_t *out);

typedef struct {
    Ladder__V1__Command__CmdCase cmd;
    const char *name;            /* the oneof field: "hire" */
    ld_decide_fn decide;
    uint32_t roles;              /* LADDER__V1__ROLE__* bits that may send it about anyone */
    uint8_t self;                /* LD_SELF_* */
    uint16_t self_off;           /* FIELD: offset of the id in the message; LIST: of n_<ids> */
    uint16_t list_off;           /* LIST: offset of the ids */
    const char *self_field;      /* FIELD, LIST: its name ("proposer_id"); COMMITTEE: the reviewer's */
    const char *section;         /* refusal: "<section>: <principal> may not <what>" */
    const char *what;
    const char *streams;         /* kinds of the streams its events go to, space-separated */
    Ladder__V1__Event__BodyCase facts[LD_COMMAND_FACTS];   /* what records it (cause 0), 0-ended */
    Ladder__V1__Event__BodyCase causes[LD_COMMAND_CAUSES]; /* what may follow, 0-ended */
    uint32_t effects;            /* LD_EFFECT_* of all of them */
} ld_command_t;

/* An Event body case: who folds it and what it changes. */
typedef struct {
    Ladder__V1__Event__BodyCase body;
    const char *name;            /* the oneof field: "employee_hired" */
    int (*evolve)(ld_core_t *c, const Ladder__V1__Event *ev);  /* 0, or -1: contradicts state */
    uint32_t effects;            /* LD_EFFECT_* */
    uint16_t emp_off;            /* offset in the body of the employee id it concerns; 0: none */
    uint16_t case_off;           /* ...of the case id; 0: none */
    uint16_t amount_off;         /* ...of the int64 points delta; 0: none */
} ld_event_kind_t;

/* The command table, ordered by oneof case; *n rows. Static: never freed. */
const ld_command_t *ld_core_command_table(size_t *n);
/* The row of a Command oneof case, or NULL for an unknown case. */
const ld_command_t *ld_core_command(int cmd_case);
/* The event kinds, ordered by body case; *n rows. */
const ld_event_kind_t *ld_core_event_kinds(size_t *n);
/* The row of an Event body case, or NULL. */
const ld_event_kind_t *ld_core_event_kind(int body_case);
/* The command whose fact this body case is (the audit's inverse), or NULL. */
const ld_command_t *ld_core_command_of_fact(int body_case);

/* The employee an event concerns (its body's id, else the id of an emp/
 * stream), or NULL. Points into ev. */
const char *ld_core_event_employee(const Ladder__V1__Event *ev);
/* The case an event concerns, or NULL. Points into ev. */
const char *ld_core_event_case(const Ladder__V1__Event *ev);
/* The points delta of an event with LD_EFFECT_POINTS, else 0. */
int64_t ld_core_event_amount(const Ladder__V1__Event *ev);

/* The level change (§11) recorded by the event of this seq: fills from, to
 * and a cause ("promoted", "demoted", ...); false when it changed no level. */
bool ld_core_level_change(const ld_core_t *c, uint64_t seq, uint32_t *from, uint32_t *to,
                          const char **cause);

#endif
