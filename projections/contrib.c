/* contrib.c — the contributions of part 2 besides cases (RULES.md):
 * §4 knowledge-base proposals reviewed by quorum (P2 to the proposer, P6 to
 * each reviewer), §4 quality-case awards (P5), §5 the review committee,
 * §8 rationalization suggestions (P9) and QC projects (P10).
 */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

#define E(x) LADDER__V1__ERROR_CODE__##x
#define R(x) LADDER__V1__ROLE__ROLE_##x
#define EV(x) LADDER__V1__EVENT__BODY_##x

void ld_contrib_decided(ld_core_t *c, uint32_t emp, bool accepted)
{
    ld_touch_emp(c, emp);
    c->emps[emp].contrib_decided++;
    if (accepted)
        c->emps[emp].contrib_accepted++;
}


/* ------------------------------------------------------ knowledge base -- */

int ld_decide_propose_kb(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
                         ld_out_t *out)
{
    const Ladder__V1__ProposeKb *m = cmd->propose_kb;
    uint32_t a;
    if (ld_need_emp(c, "propose_kb.proposer_id", m->proposer_id, &a) ||
        ld_check_id(c, "propose_kb.proposal_id", m->proposal_id) ||
        ld_check_id(c, "propose_kb.item_id", m->item_id) ||
        ld_check_text(c, "propose_kb.text", m->text, true))
        return -1;
    if (ld_rec_find(c, REC_KB_PROPOSAL, m->proposal_id) != NONE)
        return ld_refuse(c, E(ERR_DUPLICATE), "§4", "propose_kb.proposal_id",
                      "§4: proposal %s already exists", m->proposal_id);
    uint32_t it = ld_rec_find(c, REC_KB_ITEM, m->item_id);
    bool deleted = it != NONE && c->recs[it].state == KB_DELETED;
    bool exists = it != NONE && c->recs[it].value > 0 && !deleted;
    if (m->new_item && m->delete_item)
        return ld_refuse(c, E(ERR_INVALID), "§4", "propose_kb.delete_item",
                      "§4: a proposal creates a new item or deletes an existing one, not both");
    if (m->new_item && exists)
        return ld_refuse(c, E(ERR_DUPLICATE), "§4", "propose_kb.item_id",
                      "§4: knowledge-base item %s already exists; propose a revision", m->item_id);
    if (!m->new_item && deleted)
        return ld_refuse(c, E(ERR_REFUSED), "§4", "propose_kb.item_id",
                      "§4: knowledge-base item %s was deleted at version %lld; it stays readable "
                      "in its history (set new_item to create it again)",
                      m->item_id, (long long)c->recs[it].value);
    if (!m->new_item && !exists)
        return ld_refuse(c, E(ERR_NOT_FOUND), "§4", "propose_kb.item_id",
                      "§4: no knowledge-base item %s (set new_item to create it)", m->item_id);
    Ladder__V1__Event *ev = ld_emit(c, out, ctx, "kb", m->item_id, EV(KB_PROPOSED), 0);
    Ladder__V1__KbProposed *b = ld_body_new(out, &ladder__v1__kb_proposed__descriptor);
    b->proposal_id = ld_ostr(out, m->proposal_id);
    b->item_id = ld_ostr(out, m->item_id);
    b->proposer_id = ld_ostr(out, m->proposer_id);
    b->text = ld_ostr(out, m->text);
    b->new_item = m->new_item;
    b->delete_item = m->delete_item;
    b->base_version = it != NONE ? (uint32_t)c->recs[it].value : 0;
    ev->kb_proposed = b;
    return ld_apply(c, ev);
}

int ld_decide_review_kb(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
                        ld_out_t *out)
{
    const Ladder__V1__ReviewKb *m = cmd->review_kb;
    const ld_rules_t *r = ld_cur_rules(c);
    if (ld_check_id(c, "review_kb.proposal_id", m->proposal_id) ||
        ld_check_id(c, "review_kb.reviewer_id", m->reviewer_id) ||
        ld_check_text(c, "review_kb.comment", m->comment, false))
        return -1;
    if (!ctx->principal || strcmp(ctx->principal, m->reviewer_id))
        return ld_refuse(c, E(ERR_FORBIDDEN), "§5", "review_kb.reviewer_id",
                      "§5: reviews are made in one's own name (%s is not %s)",
                      ctx->principal ? ctx->principal : "", m->reviewer_id);
    uint32_t pi = ld_rec_find(c, REC_KB_PROPOSAL, m->proposal_id);
    if (pi == NONE)
        return ld_refuse(c, E(ERR_NOT_FOUND), "§4", "review_kb.proposal_id", "§4: no proposal %s",
                      m->proposal_id);
    const rec_t *p = &c->recs[pi];
    if (p->state != RS_PENDING)
        return ld_refuse(c, E(ERR_REFUSED), "§4", "review_kb.proposal_id",
                      "§4: proposal %s was already %s", m->proposal_id,
                      p->state == RS_ACCEPTED ? "accepted" : "rejected");
    if (!strcmp(c->emps[p->kbp.proposer].id, m->reviewer_id))
        return ld_refuse(c, E(ERR_REFUSED), "§4", "review_kb.reviewer_id",
                      "§4: a reviewer may not review their own proposal");
    if (!(p->flags & REC_F_NEW_ITEM) && c->recs[p->kbp.item].state == KB_DELETED)
        return ld_refuse(c, E(ERR_REFUSED), "§4", "review_kb.proposal_id",
                      "§4: item %s was deleted; proposal %s can no longer pass",
                      c->recs[p->kbp.item].key + 2, m->proposal_id);
    uint32_t rv = ld_intern_find(c, m->reviewer_id);
    if (rv != NONE && ld_vec_has(&p->kbp.reviewers, rv))
        return ld_refuse(c, E(ERR_DUPLICATE), "§4", "review_kb.reviewer_id",
                      "§4: %s already reviewed proposal %s", m->reviewer_id, m->proposal_id);
    bool approve = m->verdict == LADDER__V1__VERDICT__VERDICT_APPROVE;
    if (!approve && m->verdict != LADDER__V1__VERDICT__VERDICT_REJECT)
        return ld_refuse(c, E(ERR_INVALID), "§4", "review_kb.verdict", "review_kb.verdict: approve or reject");
    if (approve && (m->amount < r->kb_revision_min || m->amount > r->kb_revision_max))
        return ld_refuse(c, E(ERR_INVALID), "§3", "review_kb.amount",
                      "§3 P2: the proposed amount must be %lld to %lld",
                      (long long)r->kb_revision_min, (long long)r->kb_revision_max);
    const rec_t *item = &c->recs[p->kbp.item];
    char item_id[LD_ID_MAX + 1];
    snprintf(item_id, sizeof item_id, "%s", item->key + 2);
    Ladder__V1__Event *ev = ld_emit(c, out, ctx, "kb", item_id, EV(KB_REVIEWED), 0);
    Ladder__V1__KbReviewed *b = ld_body_new(out, &ladder__v1__kb_reviewed__descriptor);
    b->proposal_id = ld_ostr(out, m->proposal_id);
    b->reviewer_id = ld_ostr(out, m->reviewer_id);
    b->verdict = m->verdict;
    b->amount = approve ? m->amount : 0;
    b->comment = ld_ostr(out, m->comment);
    ev->kb_reviewed = b;
    if (ld_apply(c, ev))
        return -1;
    uint64_t reviewed = ev->seq;
    uint32_t reviewer = ld_emp_find(c, m->reviewer_id);
    if (reviewer != NONE &&
        ld_award(c, out, ctx, reviewer, r->kb_review, LADDER__V1__POINT_SOURCE__P6_KB_REVIEW,
              m->proposal_id, reviewed))
        return -1;
    p = &c->recs[pi];
    if (p->kbp.approvals >= r->kb_quorum) {
        uint32_t amount = ld_median_u32(&p->kbp.amounts), proposer = p->kbp.proposer;
        bool deletion = (p->flags & REC_F_DELETE) != 0;
        ev = ld_emit(c, out, ctx, "kb", item_id, EV(KB_ACCEPTED), reviewed);
        Ladder__V1__KbAccepted *ab = ld_body_new(out, &ladder__v1__kb_accepted__descriptor);
        ab->proposal_id = ld_ostr(out, m->proposal_id);
        ab->item_id = ld_ostr(out, item_id);
        ab->new_version = (uint32_t)c->recs[p->kbp.item].value + 1;
        ab->award = amount;
        ab->deleted = deletion;
        ev->kb_accepted = ab;
        if (ld_apply(c, ev))
            return -1;
        return ld_award(c, out, ctx, proposer, amount, LADDER__V1__POINT_SOURCE__P2_KB_REVISION,
                     m->proposal_id, ev->seq);
    }
    if (p->kbp.rejections >= r->kb_reject_quorum) {
        ev = ld_emit(c, out, ctx, "kb", item_id, EV(KB_REJECTED), reviewed);
        Ladder__V1__KbRejected *rb = ld_body_new(out, &ladder__v1__kb_rejected__descriptor);
        rb->proposal_id = ld_ostr(out, m->proposal_id);
        rb->item_id = ld_ostr(out, item_id);
        ev->kb_rejected = rb;
        return ld_apply(c, ev);
    }
    return 0;
}

/* ------------------------------------------------------ quality awards -- */

/* §4 v2: the contributors of a case, as the log shows them: the authors of its
 * accepted submission and of its accepted revisions. */
static bool case_contributor(const ld_core_t *c, uint32_t k, uint32_t emp)
{
    for (uint32_t i = 0; i < c->g.n_subs; i++)
        if (c->subs[i].case_idx == k && c->subs[i].state == SUB_ACCEPTED && c->subs[i].author == emp)
            return true;
    return false;
}

int ld_decide_apply_quality(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
                            ld_out_t *out)
{
    const Ladder__V1__ApplyQuality *m = cmd->apply_quality;
    uint32_t k;
    if (ld_check_id(c, "apply_quality.case_id", m->case_id))
        return -1;
    if ((k = ld_case_find(c, m->case_id)) == NONE || !c->cases[k].accepted)
        return ld_refuse(c, E(ERR_NOT_FOUND), "§4", "apply_quality.case_id",
                      "§4: no case %s in the library", m->case_id);
    if (ld_rec_find(c, REC_QUALITY, m->case_id) != NONE)
        return ld_refuse(c, E(ERR_DUPLICATE), "§4", "apply_quality.case_id",
                      "§4: case %s has already applied for the quality award", m->case_id);
    if (m->n_contributor_ids == 0 || m->n_contributor_ids > 20)
        return ld_refuse(c, E(ERR_INVALID), "§4", "apply_quality.contributor_ids",
                      "§4: 1 to 20 contributors");
    for (size_t i = 0; i < m->n_contributor_ids; i++) {
        uint32_t e;
        char field[64];
        snprintf(field, sizeof field, "apply_quality.contributor_ids[%zu]", i);
        if (ld_need_emp(c, field, m->contributor_ids[i], &e))
            return -1;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(m->contributor_ids[i], m->contributor_ids[j]))
                return ld_refuse(c, E(ERR_INVALID), "§4", field, "§4: %s is listed twice",
                              m->contributor_ids[i]);
    }
    for (size_t i = 0; i < m->n_contributor_ids; i++) {
        char field[64];
        snprintf(field, sizeof field, "apply_quality.contributor_ids[%zu]", i);
        if (!case_contributor(c, k, ld_emp_find(c, m->contributor_ids[i])))
            return ld_refuse(c, E(ERR_REFUSED), "§4", field,
                          "§4: %s is neither the author of case %s nor of an accepted revision "
                          "of it", m->contributor_ids[i], m->case_id);
    }
    if (m->outstanding_id && *m->outstanding_id) {
        bool listed = false;
        for (size_t i = 0; i < m->n_contributor_ids; i++)
            listed |= !strcmp(m->contributor_ids[i], m->outstanding_id);
        if (!listed)
            return ld_refuse(c, E(ERR_INVALID), "§4", "apply_quality.outstanding_id",
                          "§4: the outstanding contributor must be one of the contributors");
    }
    Ladder__V1__Event *ev = ld_emit(c, out, ctx, "case", m->case_id, EV(QUALITY_APPLIED), 0);
    Ladder__V1__QualityApplied *b = ld_body_new(out, &ladder__v1__quality_applied__descriptor);
    b->case_id = ld_ostr(out, m->case_id);
    b->n_contributor_ids = m->n_contributor_ids;
    b->contributor_ids = ld_arena_alloc(&out->arena, m->n_contributor_ids * sizeof(char *));
    for (size_t i = 0; i < m->n_contributor_ids; i++)
        b->contributor_ids[i] = ld_ostr(out, m->contributor_ids[i]);
    b->outstanding_id = ld_ostr(out, m->outstanding_id);
    ev->quality_applied = b;
    return ld_apply(c, ev);
}

int ld_decide_award_quality(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
                            ld_out_t *out)
{
    const Ladder__V1__AwardQuality *m = cmd->award_quality;
    const ld_rules_t *r = ld_cur_rules(c);
    uint32_t qi = m->case_id ? ld_rec_find(c, REC_QUALITY, m->case_id) : NONE;
    if (qi == NONE)
        return ld_refuse(c, E(ERR_NOT_FOUND), "§4", "award_quality.case_id",
                      "§4: case %s has not applied for the quality award", m->case_id ? m->case_id : "");
    if (c->recs[qi].state != RS_PENDING)
        return ld_refuse(c, E(ERR_DUPLICATE), "§4", "award_quality.case_id",
                      "§4: the quality award of case %s was already decided", m->case_id);
    if (m->approve && (m->amount_each < r->quality_each_min || m->amount_each > r->quality_each_max))
        return ld_refuse(c, E(ERR_INVALID), "§3", "award_quality.amount_each",
                      "§3 P5: each contributor gets %lld to %lld",
                      (long long)r->quality_each_min, (long long)r->quality_each_max);
    const rec_t *q = &c->recs[qi];
    Ladder__V1__Event *ev = ld_emit(c, out, ctx, "case", m->case_id, EV(QUALITY_AWARDED), 0);
    Ladder__V1__QualityAwarded *b = ld_body_new(out, &ladder__v1__quality_awarded__descriptor);
    b->case_id = ld_ostr(out, m->case_id);
    b->n_contributor_ids = m->approve ? q->quality.contributors.len : 0;
    b->contributor_ids = ld_arena_alloc(&out->arena, (q->quality.contributors.len + 1) * sizeof(char *));
    for (size_t i = 0; i < b->n_contributor_ids; i++)
        b->contributor_ids[i] = ld_ostr(out, c->emps[q->quality.contributors.v[i]].id);
    b->amount_each = m->approve ? m->amount_each : 0;
    b->outstanding_id = ld_ostr(out, m->approve && q->quality.outstanding != NONE ? c->emps[q->quality.outstanding].id : "");
    b->outstanding_amount = m->approve && q->quality.outstanding != NONE ? r->quality_outstanding : 0;
    ev->quality_awarded = b;
    uint32_t members[20], n = q->quality.contributors.len < 20 ? q->quality.contributors.len : 20, outstanding = q->quality.outstanding;
    memcpy(members, q->quality.contributors.v, n * sizeof *members);
    if (ld_apply(c, ev) || !m->approve)
        return c->why->code ? -1 : 0;
    /* P5: the outstanding contributor gets the outstanding amount, the others each */
    for (uint32_t i = 0; i < n; i++)
        if (ld_award(c, out, ctx, members[i], members[i] == outstanding ? r->quality_outstanding
                                                                     : m->amount_each,
                  LADDER__V1__POINT_SOURCE__P5_QUALITY_CASE, m->case_id, ev->seq))
            return -1;
    return 0;
}

/* ------------------------------------------------------------ committee -- */

int ld_decide_apply_committee(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
                              ld_out_t *out)
{
    const Ladder__V1__ApplyCommittee *m = cmd->apply_committee;
    const ld_rules_t *r = ld_cur_rules(c);
    uint32_t i;
    if (ld_need_emp(c, "apply_committee.employee_id", m->employee_id, &i))
        return -1;
    const emp_t *e = &c->emps[i];
    if (e->flags & EF_COMMITTEE)
        return ld_refuse(c, E(ERR_DUPLICATE), "§5", "apply_committee.employee_id",
                      "§5: %s is already a member", e->id);
    if (e->flags & EF_APPLIED)
        return ld_refuse(c, E(ERR_DUPLICATE), "§5", "apply_committee.employee_id",
                      "§5: %s already applied; a manager has yet to decide", e->id);
    if (e->points_total < r->committee_points)
        return ld_refuse(c, E(ERR_REFUSED), "§5", "apply_committee.employee_id",
                      "§5: needs %lld points, has %lld", (long long)r->committee_points,
                      (long long)e->points_total);
    if (e->level < r->committee_min_level) /* §5 v2: level 4 and up as well */
        return ld_refuse(c, E(ERR_REFUSED), "§5", "apply_committee.employee_id",
                      "§5: needs level %u, %s is level %u", r->committee_min_level, e->id,
                      e->level);
    if (e->contrib_decided < r->committee_min_decided)
        return ld_refuse(c, E(ERR_REFUSED), "§5", "apply_committee.employee_id",
                      "§5: needs at least %u decided contributions, has %u",
                      r->committee_min_decided, e->contrib_decided);
    /* strictly more than pct_x10 / 10 percent, in integers: acc * 1000 > pct * decided */
    /* none decided (committee.min_decided 0): nothing to take a share of */
    if (!e->contrib_decided)
        return ld_refuse(c, E(ERR_REFUSED), "§5", "apply_committee.employee_id",
                      "§5: more than %u.%u%% of decided contributions must be accepted; %s has "
                      "none decided", r->committee_pct_x10 / 10, r->committee_pct_x10 % 10, e->id);
    if ((uint64_t)e->contrib_accepted * 1000 <= (uint64_t)r->committee_pct_x10 * e->contrib_decided)
        return ld_refuse(c, E(ERR_REFUSED), "§5", "apply_committee.employee_id",
                      "§5: more than %u.%u%% of decided contributions must be accepted; %u of %u is "
                      "%llu.%llu%%",
                      r->committee_pct_x10 / 10, r->committee_pct_x10 % 10, e->contrib_accepted,
                      e->contrib_decided,
                      (unsigned long long)(e->contrib_accepted * 1000ull / e->contrib_decided / 10),
                      (unsigned long long)(e->contrib_accepted * 1000ull / e->contrib_decided % 10));
    Ladder__V1__Event *ev = ld_emit(c, out, ctx, "emp", e->id, EV(COMMITTEE_APPLIED), 0);
    Ladder__V1__CommitteeApplied *b = ld_body_new(out, &ladder__v1__committee_applied__descriptor);
    b->employee_id = ld_ostr(out, e->id);
    b->points = e->points_total;
    b->accepted = e->contrib_accepted;
    b->decided = e->contrib_decided;
    ev->committee_applied = b;
    return ld_apply(c, ev);
}

int ld_decide_decide_committee(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
                               ld_out_t *out)
{
    const Ladder__V1__DecideCommittee *m = cmd->decide_committee;
    uint32_t i;
    if (ld_need_emp(c, "decide_committee.employee_id", m->employee_id, &i) ||
        ld_check_text(c, "decide_committee.reason", m->reason, true))
        return -1;
    if (!(c->emps[i].flags & EF_APPLIED))
        return ld_refuse(c, E(ERR_REFUSED), "§5", "decide_committee.employee_id",
                      "§5: %s has no application pending", m->employee_id);
    Ladder__V1__Event *ev = ld_emit(c, out, ctx, "emp", m->employee_id,
                                 m->admit ? EV(COMMITTEE_ADMITTED) : EV(COMMITTEE_REFUSED), 0);
    if (m->admit) {
        Ladder__V1__CommitteeAdmitted *b = ld_body_new(out, &ladder__v1__committee_admitted__descriptor);
        b->employee_id = ld_ostr(out, m->employee_id);
        b->reason = ld_ostr(out, m->reason);
        ev->committee_admitted = b;
    } else {
        Ladder__V1__CommitteeRefused *b = ld_body_new(out, &ladder__v1__committee_refused__descriptor);
        b->employee_id = ld_ostr(out, m->employee_id);
        b->reason = ld_ostr(out, m->reason);
        ev->committee_refused = b;
    }
    return ld_apply(c, ev);
}

int ld_decide_remove_committee(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
                               ld_out_t *out)
{
    const Ladder__V1__RemoveCommittee *m = cmd->remove_committee;
    uint32_t i;
    if (ld_need_emp(c, "remove_committee.employee_id", m->employee_id, &i) ||
        ld_check_text(c, "remove_committee.reason", m->reason, true))
        return -1;
    if (!(c->emps[i].flags & EF_COMMITTEE))
        return ld_refuse(c, E(ERR_REFUSED), "§5", "remove_committee.employee_id",
                      "§5: %s is not a committee member", m->employee_id);
    Ladder__V1__Event *ev = ld_emit(c, out, ctx, "emp", m->employee_id, EV(COMMITTEE_REMOVED), 0);
    Ladder__V1__CommitteeRemoved *b = ld_body_new(out, &ladder__v1__committee_removed__descriptor);
    b->employee_id = ld_ostr(out, m->employee_id);
    b->reason = ld_ostr(out, m->reason);
    ev->committee_removed = b;
    return ld_apply(c, ev);
}

/* ----------------------------------------------------------- suggestions -- */

int ld_decide_submit_suggestion(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
                                ld_out_t *out)
{
    const Ladder__V1__SubmitSuggestion *m = cmd->submit_suggestion;
    uint32_t i;
    if (ld_need_emp(c, "submit_suggestion.employee_id", m->employee_id, &i) ||
        ld_check_id(c, "submit_suggestion.suggestion_id", m->suggestion_id) ||
        ld_check_text(c, "submit_suggestion.text", m->text, true))
        return -1;
    if (ld_rec_find(c, REC_SUGGESTION, m->suggestion_id) != NONE)
        return ld_refuse(c, E(ERR_DUPLICATE), "§8", "submit_suggestion.suggestion_id",
                      "§8: suggestion %s already exists", m->suggestion_id);
    Ladder__V1__Event *ev = ld_emit(c, out, ctx, "suggestion", m->suggestion_id,
                                 EV(SUGGESTION_SUBMITTED), 0);
    Ladder__V1__SuggestionSubmitted *b = ld_body_new(out, &ladder__v1__suggestion_submitted__descriptor);
    b->suggestion_id = ld_ostr(out, m->suggestion_id);
    b->employee_id = ld_ostr(out, m->employee_id);
    b->text = ld_ostr(out, m->text);
    ev->suggestion_submitted = b;
    return ld_apply(c, ev);
}

int ld_decide_judge_suggestion(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
                               ld_out_t *out)
{
    const Ladder__V1__JudgeSuggestion *m = cmd->judge_suggestion;
    const ld_rules_t *r = ld_cur_rules(c);
    if (ld_check_id(c, "judge_suggestion.suggestion_id", m->suggestion_id) ||
        ld_check_text(c, "judge_suggestion.reason", m->reason, false))
        return -1;
    uint32_t si = ld_rec_find(c, REC_SUGGESTION, m->suggestion_id);
    if (si == NONE)
        return ld_refuse(c, E(ERR_NOT_FOUND), "§8", "judge_suggestion.suggestion_id",
                      "§8: no suggestion %s", m->suggestion_id);
    if (c->recs[si].state != RS_PENDING)
        return ld_refuse(c, E(ERR_DUPLICATE), "§8", "judge_suggestion.suggestion_id",
                      "§8: suggestion %s was already judged", m->suggestion_id);
    int64_t amount = 0;
    switch (m->verdict) {
    case LADDER__V1__SUGGESTION_VERDICT__SUGGESTION_NOT_ADOPTED:
        break;
    case LADDER__V1__SUGGESTION_VERDICT__SUGGESTION_ADOPTED:
    case LADDER__V1__SUGGESTION_VERDICT__SUGGESTION_ADOPTED_FEASIBLE: {
        bool feasible = m->verdict == LADDER__V1__SUGGESTION_VERDICT__SUGGESTION_ADOPTED_FEASIBLE;
        int64_t lo = feasible ? r->feasible_min : r->suggestion_min;
        int64_t hi = feasible ? r->feasible_max : r->suggestion_max;
        if (m->amount < lo || m->amount > hi)
            return ld_refuse(c, E(ERR_INVALID), "§8", "judge_suggestion.amount",
                          "§8 P9: an %s suggestion earns %lld to %lld",
                          feasible ? "adopted and feasible" : "adopted", (long long)lo, (long long)hi);
        amount = m->amount;
        break;
    }
    case LADDER__V1__SUGGESTION_VERDICT__SUGGESTION_DUPLICATE: {
        uint32_t di = m->duplicate_of && *m->duplicate_of ? ld_rec_find(c, REC_SUGGESTION, m->duplicate_of) : NONE;
        if (di == NONE)
            return ld_refuse(c, E(ERR_INVALID), "§8", "judge_suggestion.duplicate_of",
                          "§8: a duplicate names the earlier suggestion it repeats");
        if (c->recs[di].seq >= c->recs[si].seq)
            return ld_refuse(c, E(ERR_INVALID), "§8", "judge_suggestion.duplicate_of",
                          "§8: %s is not earlier than %s", m->duplicate_of, m->suggestion_id);
        break;
    }
    default:
        return ld_refuse(c, E(ERR_INVALID), "§8", "judge_suggestion.verdict",
                      "§8: not adopted, adopted, adopted and feasible, or duplicate");
    }
    uint32_t proposer = c->recs[si].suggestion.author;
    Ladder__V1__Event *ev = ld_emit(c, out, ctx, "suggestion", m->suggestion_id, EV(SUGGESTION_JUDGED), 0);
    Ladder__V1__SuggestionJudged *b = ld_body_new(out, &ladder__v1__suggestion_judged__descriptor);
    b->suggestion_id = ld_ostr(out, m->suggestion_id);
    b->verdict = m->verdict;
    b->amount = amount;
    b->duplicate_of = ld_ostr(out, m->verdict == LADDER__V1__SUGGESTION_VERDICT__SUGGESTION_DUPLICATE
                                    ? m->duplicate_of : "");
    b->reason = ld_ostr(out, m->reason);
    ev->suggestion_judged = b;
    if (ld_apply(c, ev))
        return -1;
    return amount ? ld_award(c, out, ctx, proposer, amount, LADDER__V1__POINT_SOURCE__P9_SUGGESTION,
                          m->suggestion_id, ev->seq)
                  : 0;
}

/* ----------------------------------------------------------- QC projects -- */

int ld_decide_publish_qc(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
                         ld_out_t *out)
{
    const Ladder__V1__PublishQc *m = cmd->publish_qc;
    if (ld_check_id(c, "publish_qc.project_id", m->project_id) ||
        ld_check_text(c, "publish_qc.topic", m->topic, true))
        return -1;
    if (ld_rec_find(c, REC_QC_PROJECT, m->project_id) != NONE)
        return ld_refuse(c, E(ERR_DUPLICATE), "§8", "publish_qc.project_id",
                      "§8: QC project %s already exists", m->project_id);
    if (m->points <= 0 || m->points > 100000)
        return ld_refuse(c, E(ERR_INVALID), "§8", "publish_qc.points",
                      "§8 P10: points must be 1 to 100000");
    Ladder__V1__Event *ev = ld_emit(c, out, ctx, "qc", m->project_id, EV(QC_PUBLISHED), 0);
    Ladder__V1__QcPublished *b = ld_body_new(out, &ladder__v1__qc_published__descriptor);
    b->project_id = ld_ostr(out, m->project_id);
    b->topic = ld_ostr(out, m->topic);
    b->points = m->points;
    ev->qc_published = b;
    return ld_apply(c, ev);
}

static void group_key(char *buf, const char *project, const char *group)
{
    snprintf(buf, 72, "%s/%s", project, group);
}

int ld_decide_claim_qc(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
                       ld_out_t *out)
{
    const Ladder__V1__ClaimQc *m = cmd->claim_qc;
    const ld_rules_t *r = ld_cur_rules(c);
    if (ld_check_id(c, "claim_qc.project_id", m->project_id) || ld_check_id(c, "claim_qc.group_id", m->group_id))
        return -1;
    uint32_t pi = ld_rec_find(c, REC_QC_PROJECT, m->project_id);
    if (pi == NONE)
        return ld_refuse(c, E(ERR_NOT_FOUND), "§8", "claim_qc.project_id", "§8: no QC project %s",
                      m->project_id);
    char gk[72];
    group_key(gk, m->project_id, m->group_id);
    if (ld_rec_find(c, REC_QC_GROUP, gk) != NONE)
        return ld_refuse(c, E(ERR_DUPLICATE), "§8", "claim_qc.group_id",
                      "§8: group %s already claimed project %s", m->group_id, m->project_id);
    if (m->n_member_ids < r->qc_min_group || m->n_member_ids > r->qc_max_group)
        return ld_refuse(c, E(ERR_REFUSED), "§8", "claim_qc.member_ids",
                      "§8: a QC group has %u to %u members, not %zu", r->qc_min_group,
                      r->qc_max_group, m->n_member_ids);
    if (c->recs[pi].qc.groups >= r->qc_max_groups)
        return ld_refuse(c, E(ERR_REFUSED), "§8", "claim_qc.project_id",
                      "§8: at most %u groups per topic; %s has %u", r->qc_max_groups,
                      m->project_id, c->recs[pi].qc.groups);
    for (size_t i = 0; i < m->n_member_ids; i++) {
        uint32_t e;
        char field[48];
        snprintf(field, sizeof field, "claim_qc.member_ids[%zu]", i);
        if (ld_need_emp(c, field, m->member_ids[i], &e))
            return -1;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(m->member_ids[i], m->member_ids[j]))
                return ld_refuse(c, E(ERR_INVALID), "§8", field, "§8: %s is listed twice",
                              m->member_ids[i]);
        if (ld_vec_has(&c->recs[pi].qc.members, e)) /* §8 v2: one group per topic */
            return ld_refuse(c, E(ERR_REFUSED), "§8", field,
                          "§8: %s already sits in a group of topic %s; a person sits in at "
                          "most one group of a topic", m->member_ids[i], m->project_id);
    }
    Ladder__V1__Event *ev = ld_emit(c, out, ctx, "qc", m->project_id, EV(QC_CLAIMED), 0);
    Ladder__V1__QcClaimed *b = ld_body_new(out, &ladder__v1__qc_claimed__descriptor);
    b->project_id = ld_ostr(out, m->project_id);
    b->group_id = ld_ostr(out, m->group_id);
    b->n_member_ids = m->n_member_ids;
    b->member_ids = ld_arena_alloc(&out->arena, m->n_member_ids * sizeof(char *));
    for (size_t i = 0; i < m->n_member_ids; i++)
        b->member_ids[i] = ld_ostr(out, m->member_ids[i]);
    ev->qc_claimed = b;
    return ld_apply(c, ev);
}

int ld_decide_complete_qc(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
                          ld_out_t *out)
{
    const Ladder__V1__CompleteQc *m = cmd->complete_qc;
    if (ld_check_id(c, "complete_qc.project_id", m->project_id) ||
        ld_check_id(c, "complete_qc.group_id", m->group_id))
        return -1;
    char gk[72];
    group_key(gk, m->project_id, m->group_id);
    uint32_t gi = ld_rec_find(c, REC_QC_GROUP, gk);
    if (gi == NONE)
        return ld_refuse(c, E(ERR_NOT_FOUND), "§8", "complete_qc.group_id",
                      "§8: group %s has not claimed project %s", m->group_id, m->project_id);
    if (c->recs[gi].state != RS_PENDING)
        return ld_refuse(c, E(ERR_DUPLICATE), "§8", "complete_qc.group_id",
                      "§8: group %s already completed %s", m->group_id, m->project_id);
    int64_t points = c->recs[c->recs[gi].group.project].value;
    uint32_t members[16], n = c->recs[gi].group.members.len < 16 ? c->recs[gi].group.members.len : 16;
    memcpy(members, c->recs[gi].group.members.v, n * sizeof *members);
    Ladder__V1__Event *ev = ld_emit(c, out, ctx, "qc", m->project_id, EV(QC_COMPLETED), 0);
    Ladder__V1__QcCompleted *b = ld_body_new(out, &ladder__v1__qc_completed__descriptor);
    b->project_id = ld_ostr(out, m->project_id);
    b->group_id = ld_ostr(out, m->group_id);
    ev->qc_completed = b;
    if (ld_apply(c, ev))
        return -1;
    for (uint32_t i = 0; i < n; i++)
        if (ld_award(c, out, ctx, members[i], points, LADDER__V1__POINT_SOURCE__P10_QC_PROJECT,
                  m->project_id, ev->seq))
            return -1;
    return 0;
}

/* ---------------------------------------------------------------- evolve -- */

static int set_flag(ld_core_t *c, const char *emp, uint8_t set, uint8_t clear)
{
    uint32_t i = emp ? ld_emp_find(c, emp) : NONE;
    if (i == NONE)
        return -1;
    ld_touch_emp(c, i);
    c->emps[i].flags = (uint8_t)((c->emps[i].flags | set) & ~clear);
    return 0;
}

int ld_contrib_evolve(ld_core_t *c, const Ladder__V1__Event *ev)
{
    uint32_t i, j;
    switch (ev->body_case) {
    case EV(KB_PROPOSED): {
        const Ladder__V1__KbProposed *m = ev->kb_proposed;
        if ((i = ld_emp_find(c, m->proposer_id)) == NONE || !m->proposal_id || !*m->proposal_id ||
            ld_rec_find(c, REC_KB_PROPOSAL, m->proposal_id) != NONE || !m->item_id || !*m->item_id)
            return -1;
        uint32_t it = ld_rec_find(c, REC_KB_ITEM, m->item_id);
        if (it == NONE)
            it = ld_rec_new(c, REC_KB_ITEM, m->item_id);
        uint32_t p = ld_rec_new(c, REC_KB_PROPOSAL, m->proposal_id);
        rec_t *r = &c->recs[p];
        r->kbp.proposer = i, r->kbp.item = it, r->at_ms = ev->at_ms, r->seq = ev->seq;
        r->flags = (uint8_t)((m->delete_item ? REC_F_DELETE : 0) | (m->new_item ? REC_F_NEW_ITEM : 0));
        r->text = ld_xstrdup(m->text ? m->text : "");
        return 0;
    }
    case EV(KB_REVIEWED): {
        const Ladder__V1__KbReviewed *m = ev->kb_reviewed;
        uint32_t p = m->proposal_id ? ld_rec_find(c, REC_KB_PROPOSAL, m->proposal_id) : NONE;
        if (p == NONE || c->recs[p].state != RS_PENDING || !m->reviewer_id)
            return -1;
        uint32_t rv = ld_intern(c, m->reviewer_id);
        ld_touch_rec(c, p);
        rec_t *r = &c->recs[p];
        ld_vec_push(&r->kbp.reviewers, rv);
        if (m->verdict == LADDER__V1__VERDICT__VERDICT_APPROVE) {
            r->kbp.approvals++;
            ld_vec_push(&r->kbp.amounts, (uint32_t)m->amount);
        } else {
            r->kbp.rejections++;
        }
        return 0;
    }
    case EV(KB_ACCEPTED): {
        const Ladder__V1__KbAccepted *m = ev->kb_accepted;
        uint32_t p = m->proposal_id ? ld_rec_find(c, REC_KB_PROPOSAL, m->proposal_id) : NONE;
        if (p == NONE || c->recs[p].state != RS_PENDING)
            return -1;
        uint32_t it = c->recs[p].kbp.item;
        ld_touch_rec(c, p);
        ld_touch_rec(c, it);
        c->recs[p].state = RS_ACCEPTED;
        c->recs[p].value = m->new_version;
        c->recs[p].seq = ev->seq;
        c->recs[it].value = m->new_version;
        c->recs[it].state = m->deleted ? KB_DELETED : KB_LIVE; /* §4 v2 */
        ld_vec_push(&c->recs[it].item.proposals, p);
        ld_contrib_decided(c, c->recs[p].kbp.proposer, true);
        return 0;
    }
    case EV(KB_REJECTED): {
        uint32_t p = ev->kb_rejected->proposal_id ? ld_rec_find(c, REC_KB_PROPOSAL, ev->kb_rejected->proposal_id) : NONE;
        if (p == NONE || c->recs[p].state != RS_PENDING)
            return -1;
        ld_touch_rec(c, p);
        c->recs[p].state = RS_REJECTED;
        ld_contrib_decided(c, c->recs[p].kbp.proposer, false);
        return 0;
    }
    case EV(QUALITY_APPLIED): {
        const Ladder__V1__QualityApplied *m = ev->quality_applied;
        if (!m->case_id || ld_rec_find(c, REC_QUALITY, m->case_id) != NONE)
            return -1;
        uint32_t q = ld_rec_new(c, REC_QUALITY, m->case_id);
        for (size_t k = 0; k < m->n_contributor_ids; k++) {
            if ((i = ld_emp_find(c, m->contributor_ids[k])) == NONE)
                return -1;
            ld_vec_push(&c->recs[q].quality.contributors, i);
        }
        if (m->outstanding_id && *m->outstanding_id)
            c->recs[q].quality.outstanding = ld_emp_find(c, m->outstanding_id);
        return 0;
    }
    case EV(QUALITY_AWARDED): {
        uint32_t q = ev->quality_awarded->case_id ? ld_rec_find(c, REC_QUALITY, ev->quality_awarded->case_id) : NONE;
        if (q == NONE)
            return -1;
        ld_touch_rec(c, q);
        c->recs[q].state = ev->quality_awarded->amount_each ? RS_ACCEPTED : RS_REJECTED;
        return 0;
    }
    case EV(COMMITTEE_APPLIED):
        return set_flag(c, ev->committee_applied->employee_id, EF_APPLIED, 0);
    case EV(COMMITTEE_ADMITTED):
        return set_flag(c, ev->committee_admitted->employee_id, EF_COMMITTEE, EF_APPLIED);
    case EV(COMMITTEE_REFUSED):
        return set_flag(c, ev->committee_refused->employee_id, 0, EF_APPLIED);
    case EV(COMMITTEE_REMOVED):
        return set_flag(c, ev->committee_removed->employee_id, 0, EF_COMMITTEE);
    case EV(SUGGESTION_SUBMITTED): {
        const Ladder__V1__SuggestionSubmitted *m = ev->suggestion_submitted;
        if ((i = ld_emp_find(c, m->employee_id)) == NONE || !m->suggestion_id ||
            ld_rec_find(c, REC_SUGGESTION, m->suggestion_id) != NONE)
            return -1;
        j = ld_rec_new(c, REC_SUGGESTION, m->suggestion_id);
        c->recs[j].suggestion.author = i, c->recs[j].seq = ev->seq, c->recs[j].at_ms = ev->at_ms;
        return 0;
    }
    case EV(SUGGESTION_JUDGED): {
        j = ev->suggestion_judged->suggestion_id ? ld_rec_find(c, REC_SUGGESTION, ev->suggestion_judged->suggestion_id) : NONE;
        if (j == NONE || c->recs[j].state != RS_PENDING)
            return -1;
        ld_touch_rec(c, j);
        c->recs[j].state = RS_ACCEPTED;
        c->recs[j].value = ev->suggestion_judged->amount;
        c->recs[j].suggestion.verdict = (uint32_t)ev->suggestion_judged->verdict;
        return 0;
    }
    case EV(QC_PUBLISHED): {
        const Ladder__V1__QcPublished *m = ev->qc_published;
        if (!m->project_id || ld_rec_find(c, REC_QC_PROJECT, m->project_id) != NONE)
            return -1;
        j = ld_rec_new(c, REC_QC_PROJECT, m->project_id);
        c->recs[j].value = m->points;
        c->recs[j].text = ld_xstrdup(m->topic ? m->topic : "");
        return 0;
    }
    case EV(QC_CLAIMED): {
        const Ladder__V1__QcClaimed *m = ev->qc_claimed;
        uint32_t p = m->project_id ? ld_rec_find(c, REC_QC_PROJECT, m->project_id) : NONE;
        char gk[72];
        if (p == NONE || !m->group_id)
            return -1;
        group_key(gk, m->project_id, m->group_id);
        if (ld_rec_find(c, REC_QC_GROUP, gk) != NONE)
            return -1;
        ld_touch_rec(c, p);
        c->recs[p].qc.groups++;
        j = ld_rec_new(c, REC_QC_GROUP, gk);
        c->recs[j].group.project = p;
        for (size_t k = 0; k < m->n_member_ids; k++) {
            if ((i = ld_emp_find(c, m->member_ids[k])) == NONE)
                return -1;
            ld_vec_push(&c->recs[j].group.members, i);
            if (!ld_vec_has(&c->recs[p].qc.members, i)) /* §8 v2: the topic's members */
                ld_vec_push(&c->recs[p].qc.members, i);
        }
        return 0;
    }
    case EV(QC_COMPLETED): {
        char gk[72];
        if (!ev->qc_completed->project_id || !ev->qc_completed->group_id)
            return -1;
        group_key(gk, ev->qc_completed->project_id, ev->qc_completed->group_id);
        j = ld_rec_find(c, REC_QC_GROUP, gk);
        if (j == NONE || c->recs[j].state != RS_PENDING)
            return -1;
        ld_touch_rec(c, j);
        c->recs[j].state = RS_ACCEPTED;
        return 0;
    }
    default:
        return -1; /* not of this module: the event table routes it elsewhere */
    }
}

/* --------------------------------------------------------------- queries -- */

static Ladder__V1__KbItemView *kb_view(ld_core_t *c, ld_out_t *out, uint32_t it)
{
    const rec_t *item = &c->recs[it];
    Ladder__V1__KbItemView *v = ld_body_new(out, &ladder__v1__kb_item_view__descriptor);
    v->item_id = ld_ostr(out, item->key + 2);
    v->version = (uint32_t)item->value;
    v->deleted = item->state == KB_DELETED;
    v->history = ld_arena_alloc(&out->arena, (item->item.proposals.len + 1) * sizeof *v->history);
    for (uint32_t k = 0; k < item->item.proposals.len; k++) {
        const rec_t *p = &c->recs[item->item.proposals.v[k]];
        Ladder__V1__KbVersion *h = ld_body_new(out, &ladder__v1__kb_version__descriptor);
        h->version = (uint32_t)p->value;
        h->text = ld_ostr(out, p->text);
        h->proposal_id = ld_ostr(out, p->key + 2);
        h->seq = p->seq;
        h->deleted = (p->flags & REC_F_DELETE) != 0;
        v->history[v->n_history++] = h;
        if (!h->deleted)
            v->text = h->text; /* a deleted item reads as its last text */
    }
    if (!v->text)
        v->text = ld_ostr(out, "");
    size_t open = 0;
    for (uint32_t k = 0; k < c->g.n_recs; k++)
        open += c->recs[k].kind == REC_KB_PROPOSAL && c->recs[k].kbp.item == it && c->recs[k].state == RS_PENDING;
    v->open_proposals = ld_arena_alloc(&out->arena, (open + 1) * sizeof *v->open_proposals);
    for (uint32_t k = 0; k < c->g.n_recs; k++)
        if (c->recs[k].kind == REC_KB_PROPOSAL && c->recs[k].kbp.item == it && c->recs[k].state == RS_PENDING)
            v->open_proposals[v->n_open_proposals++] = ld_ostr(out, c->recs[k].key + 2);
    return v;
}

int ld_contrib_query(ld_core_t *c, const Ladder__V1__Query *q, ld_out_t *out, Ladder__V1__Ok *ok)
{
    switch (q->q_case) {
    case LADDER__V1__QUERY__Q_KB_ITEM: {
        const char *id = q->kb_item->item_id ? q->kb_item->item_id : "";
        uint32_t it = ld_rec_find(c, REC_KB_ITEM, id);
        if (it == NONE)
            return ld_refuse(c, E(ERR_NOT_FOUND), "§4", "kb_item.item_id",
                          "§4: no knowledge-base item %s", id);
        ok->result_case = LADDER__V1__OK__RESULT_KB_ITEM;
        ok->kb_item = kb_view(c, out, it);
        return 0;
    }
    case LADDER__V1__QUERY__Q_PENDING: {
        /* what awaits review: KB proposals and case submissions, less those the
         * reviewer wrote or already reviewed */
        const char *who = q->pending->reviewer_id ? q->pending->reviewer_id : "";
        uint32_t rv = *who ? ld_intern_find(c, who) : NONE;
        Ladder__V1__Pending *p = ld_body_new(out, &ladder__v1__pending__descriptor);
        p->items = ld_arena_alloc(&out->arena, (c->g.n_recs + c->g.n_subs + 1) * sizeof *p->items);
        for (uint32_t k = 0; k < c->g.n_recs; k++) {
            const rec_t *r = &c->recs[k];
            if (r->kind != REC_KB_PROPOSAL || r->state != RS_PENDING ||
                (*who && !strcmp(c->emps[r->kbp.proposer].id, who)) || (rv != NONE && ld_vec_has(&r->kbp.reviewers, rv)) ||
                (!(r->flags & REC_F_NEW_ITEM) && c->recs[r->kbp.item].state == KB_DELETED))
                continue;
            Ladder__V1__PendingItem *it = ld_body_new(out, &ladder__v1__pending_item__descriptor);
            it->kind = ld_ostr(out, "kb");
            it->id = ld_ostr(out, r->key + 2);
            it->subject = ld_ostr(out, c->recs[r->kbp.item].key + 2);
            it->author_id = ld_ostr(out, c->emps[r->kbp.proposer].id);
            it->approvals = r->kbp.approvals, it->rejections = r->kbp.rejections;
            p->items[p->n_items++] = it;
        }
        for (uint32_t k = 0; k < c->g.n_subs; k++) {
            const sub_t *u = &c->subs[k];
            if (u->state != SUB_PENDING || (*who && !strcmp(c->emps[u->author].id, who)) ||
                (rv != NONE && ld_vec_has(&u->reviewers, rv)))
                continue;
            Ladder__V1__PendingItem *it = ld_body_new(out, &ladder__v1__pending_item__descriptor);
            it->kind = ld_ostr(out, "case");
            it->id = ld_ostr(out, u->id);
            it->subject = ld_ostr(out, c->cases[u->case_idx].id);
            it->author_id = ld_ostr(out, c->emps[u->author].id);
            it->approvals = u->approvals, it->rejections = u->rejections;
            p->items[p->n_items++] = it;
        }
        ok->result_case = LADDER__V1__OK__RESULT_PENDING;
        ok->pending = p;
        return 0;
    }
    case LADDER__V1__QUERY__Q_COMMITTEE: {
        Ladder__V1__CommitteeView *v = ld_body_new(out, &ladder__v1__committee_view__descriptor);
        v->members = ld_arena_alloc(&out->arena, (c->g.n_emps + 1) * sizeof(char *));
        v->applications = ld_arena_alloc(&out->arena, (c->g.n_emps + 1) * sizeof(char *));
        for (uint32_t k = 0; k < c->g.n_emps; k++) {
            if (c->emps[k].flags & EF_COMMITTEE)
                v->members[v->n_members++] = ld_ostr(out, c->emps[k].id);
            if (c->emps[k].flags & EF_APPLIED)
                v->applications[v->n_applications++] = ld_ostr(out, c->emps[k].id);
        }
        ok->result_case = LADDER__V1__OK__RESULT_COMMITTEE;
        ok->committee = v;
        return 0;
    }
    default:
        return 1;
    }
}
