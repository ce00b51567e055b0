/* core.c — the top of the core: the state's life cycle, the public
 * accessors, and the dispatch of commands and queries through the command
 * table (commands.c). DOMAIN.md rules live in the modules (people.c,
 * career.c, retention.c, library.c, contrib.c, reversal.c, org.c); the state
 * and its helpers below them (state.c, out.c, deadlines.c). Nothing below
 * calls back up into this file.
 */
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "internal.h"

/* ----------------------------------------------------------- life cycle -- */

ld_core_t *ld_core_new(uint64_t next_seq)
{
    ld_core_t *c = ld_xcalloc(1, sizeof *c);
    ld_rules_default(&c->defaults);
    c->g.next_seq = next_seq ? next_seq : 1;
    c->emp_hint = c->case_hint = NONE; /* none until a lookup or an evolve sets them */
    c->lib_dirty = true;
    ld_intern(c, ""); /* string 0: "none" */
    return c;
}

void ld_core_destroy(ld_core_t **cp)
{
    if (!cp || !*cp)
        return;
    ld_core_t *c = *cp;
    ld_ents_free(c);
    ld_big_free(c->facts, c->facts_cap * sizeof *c->facts);
    ld_big_free(c->pays, c->pays_cap * sizeof *c->pays);
    for (uint32_t i = 0; i < c->g.n_strings; i++)
        free(c->strings[i]);
    for (uint32_t i = 0; i < c->g.n_rules; i++)
        free(c->rules_json[i]);
    free(c->rules), free(c->rules_json), free(c->names);
    free(c->rules_seq), free(c->rules_at);
    free(c->changes), free(c->strings), free(c->heap), free(c->undo);
    ld_table_free(&c->string_ix);
    for (int i = 0; i < PS_COUNT; i++)
        ld_pairs_free(&c->pairs[i]);
    ld_arena_free(&c->undo_arena);
    ld_boards_free(c);
    free(c);
    *cp = NULL;
}

uint64_t ld_core_next_seq(const ld_core_t *c) { return c->g.next_seq; }
size_t ld_core_employee_count(const ld_core_t *c) { return c->g.n_emps; }

void ld_core_employee_at(const ld_core_t *c, size_t i, ld_emp_summary_t *o)
{
    const emp_t *e = &c->emps[i];
    *o = (ld_emp_summary_t){e->id, c->strings[e->team], c->strings[e->centre], e->level,
                            e->points_total, e->points_since_level, e->points_in_year,
                            (e->flags & EF_LEFT) != 0};
}

bool ld_core_case_partition(const ld_core_t *c, const char *case_id, uint32_t *level,
                            const char **category)
{
    uint32_t k = case_id ? ld_case_find(c, case_id) : NONE;
    if (k == NONE || !c->cases[k].accepted)
        return false;
    *level = c->cases[k].level;
    *category = c->strings[c->cases[k].category];
    return true;
}

long ld_core_employee_find(const ld_core_t *c, const char *id)
{
    uint32_t i = ld_emp_find(c, id);
    return i == NONE ? -1 : (long)i;
}

const ld_rules_t *ld_core_rules(const ld_core_t *c) { return ld_cur_rules(c); }

/* ------------------------------------------------------------ dispatch -- */

int64_t ld_core_last_at(const ld_core_t *c)
{
    return c->g.last_at_ms;
}

/* Routes a command through its row: the sender is checked against the row
 * (§1), then the row's decider decides. */
static int decide(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx, ld_out_t *out)
{
    if (!cmd)
        return ld_refuse(c, LADDER__V1__ERROR_CODE__ERR_INVALID, NULL, "commands", "empty command");
    const ld_command_t *row = ld_core_command((int)cmd->cmd_case);
    if (!row || !cmd->hire) /* every member of the oneof shares one pointer */
        return ld_refuse(c, LADDER__V1__ERROR_CODE__ERR_INVALID, NULL, "commands",
                         "unknown or empty command (oneof case %d)", (int)cmd->cmd_case);
    if (ld_command_check_sender(c, row, cmd, ctx))
        return -1;
    return row->decide(c, cmd, ctx, out);
}

int ld_core_execute(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
                    ld_out_t *out, ld_refusal_t *why)
{
    ld_refusal_t scratch;
    c->why = why ? why : &scratch;
    /* empty, not zeroed: 436 B a command, read only as strings */
    c->why->code = 0;
    c->why->section[0] = c->why->field[0] = c->why->message[0] = 0;
    bool own = c->depth == 0;
    uint32_t mark = ld_core_savepoint(c);
    size_t n0 = out->n;
    arena_mark_t am = ld_arena_mark(&out->arena);
    int rc = decide(c, cmd, ctx, out);
    if (rc) {
        ld_core_rollback(c, mark);
        out->n = n0;
        ld_arena_rewind(&out->arena, am); /* a refusal leaves no bytes behind */
    }
    if (own)
        ld_core_release(c);
    c->why = NULL;
    return rc ? -1 : 0;
}

int ld_core_query(ld_core_t *c, const Ladder__V1__Query *q, int64_t now_ms, ld_out_t *out,
                  Ladder__V1__Ok *ok, ld_refusal_t *why)
{
    ld_refusal_t scratch;
    memset(why ? why : &scratch, 0, sizeof scratch);
    c->why = why ? why : &scratch;
    int rc = !q ? ld_refuse(c, LADDER__V1__ERROR_CODE__ERR_INVALID, NULL, "query", "empty query")
             : q->q_case == LADDER__V1__QUERY__Q_RULES ? ld_org_rules_query(c, q->rules, out, ok)
             : ld_queries_run(c, q, now_ms, out, ok);
    c->why = NULL;
    return rc;
}
