/* org.c — the organisation's own facts: §10 rules adopted (and the GetRules
 * query), and the manual clock moved (tests; the daemon refuses it on a
 * system clock). */
#include <stdlib.h>

#include "internal.h"

/* §10 v2: a document is merged over the rules in force (the stored document
 * is the complete merged result, so each version also stands alone). */
static int rules_evolve(ld_core_t *c, const Ladder__V1__Event *ev)
{
    const Ladder__V1__RulesAdopted *m = ev->rules_adopted;
    ld_rules_t r = *ld_cur_rules(c);
    char field[96], msg[256];
    if (!m->rules_json || m->version != c->g.n_rules + 1 ||
        ld_rules_parse(&r, m->rules_json, strlen(m->rules_json), field, sizeof field, msg,
                       sizeof msg))
        return -1;
    r.version = m->version;
    ld_touch_globals(c);
    LD_GROW(c->rules, c->rules_cap, c->g.n_rules);
    c->rules_json = ld_xrealloc(c->rules_json, c->rules_cap * sizeof *c->rules_json);
    c->rules_seq = ld_xrealloc(c->rules_seq, c->rules_cap * sizeof *c->rules_seq);
    c->rules_at = ld_xrealloc(c->rules_at, c->rules_cap * sizeof *c->rules_at);
    c->rules[c->g.n_rules] = r;
    c->rules_json[c->g.n_rules] = ld_xstrdup(m->rules_json);
    c->rules_seq[c->g.n_rules] = ev->seq;
    c->rules_at[c->g.n_rules] = ev->at_ms;
    c->lib_dirty = true; /* case.cap or case.protect_days may have changed */
    c->g.n_rules++;
    return 0;
}

/* §10: a rules document adopted by a manager; validated fully before. */
int ld_decide_adopt_rules(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
                          ld_out_t *out)
{
    const Ladder__V1__AdoptRules *m = cmd->adopt_rules;
    ld_rules_t r = *ld_cur_rules(c); /* §10 v2: merged over the rules in force */
    char field[96], msg[256];
    const char *json = m->rules_json ? m->rules_json : "";
    if (ld_rules_parse(&r, json, strlen(json), field, sizeof field, msg, sizeof msg))
        return ld_refuse(c, LADDER__V1__ERROR_CODE__ERR_INVALID, "§10", field, "§10: %s", msg);
    char *canon = ld_rules_to_json(&r);
    Ladder__V1__Event *ev = ld_emit(c, out, ctx, "org", NULL,
                                 LADDER__V1__EVENT__BODY_RULES_ADOPTED, 0);
    Ladder__V1__RulesAdopted *b = ld_body_new(out, &ladder__v1__rules_adopted__descriptor);
    b->version = c->g.n_rules + 1;
    b->rules_json = ld_ostr(out, canon);
    free(canon);
    ev->rules_adopted = b;
    return ld_apply(c, ev);
}

/* §10 v2: the rules in force (version 0 asked) or one version, and the list
 * of adopted versions with their seqs. */
int ld_org_rules_query(ld_core_t *c, const Ladder__V1__GetRules *q, ld_out_t *out,
                       Ladder__V1__Ok *ok)
{
    uint32_t v = q->version ? q->version : c->g.n_rules;
    if (v > c->g.n_rules)
        return ld_refuse(c, LADDER__V1__ERROR_CODE__ERR_NOT_FOUND, "§10", "rules.version",
                      "§10: no rules version %u; %u adopted", q->version, c->g.n_rules);
    Ladder__V1__RulesView *rv = ld_body_new(out, &ladder__v1__rules_view__descriptor);
    rv->version = v;
    rv->in_force = c->g.n_rules;
    if (v) {
        rv->rules_json = ld_ostr(out, c->rules_json[v - 1]);
    } else {
        char *canon = ld_rules_to_json(&c->defaults);
        rv->rules_json = ld_ostr(out, canon);
        free(canon);
    }
    rv->versions = ld_arena_alloc(&out->arena, (c->g.n_rules + 1) * sizeof *rv->versions);
    for (uint32_t i = 0; i < c->g.n_rules; i++) {
        Ladder__V1__RulesVersion *x = ld_body_new(out, &ladder__v1__rules_version__descriptor);
        x->version = i + 1;
        x->seq = c->rules_seq[i];
        x->at_ms = c->rules_at[i];
        rv->versions[rv->n_versions++] = x;
    }
    ok->result_case = LADDER__V1__OK__RESULT_RULES;
    ok->rules = rv;
    return 0;
}

/* A manual clock moved (tests; the daemon refuses it on a system clock).
 * Recorded as an event so that a restart resumes at the same time. */
int ld_decide_advance_clock(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
                            ld_out_t *out)
{
    const Ladder__V1__AdvanceClock *m = cmd->advance_clock;
    if (m->to_ms > LD_MAX_MS)
        return ld_refuse(c, LADDER__V1__ERROR_CODE__ERR_INVALID, NULL, "advance_clock.to_ms",
                      "advance_clock.to_ms: beyond the year 9999");
    if (m->to_ms < c->g.last_at_ms)
        return ld_refuse(c, LADDER__V1__ERROR_CODE__ERR_INVALID, NULL, "advance_clock.to_ms",
                      "advance_clock.to_ms: time only moves forward (now %lld)",
                      (long long)c->g.last_at_ms);
    ld_ctx_t at = *ctx;
    at.now_ms = m->to_ms;
    Ladder__V1__Event *ev = ld_emit(c, out, &at, "clock", NULL, LADDER__V1__EVENT__BODY_CLOCK_ADVANCED, 0);
    Ladder__V1__ClockAdvanced *b = ld_body_new(out, &ladder__v1__clock_advanced__descriptor);
    b->to_ms = m->to_ms;
    ev->clock_advanced = b;
    return ld_apply(c, ev);
}

int ld_org_evolve(ld_core_t *c, const Ladder__V1__Event *ev)
{
    switch (ev->body_case) {
    case LADDER__V1__EVENT__BODY_RULES_ADOPTED: return rules_evolve(c, ev);
    case LADDER__V1__EVENT__BODY_CLOCK_ADVANCED: return 0; /* the envelope's at_ms is the news */
    default: return -1;
    }
}
