/* facts.c — rebuilds the command a recorded fact came from (facts.h). */
#include "facts.h"

#include <stdbool.h>

int ld_fact_command(const Ladder__V1__Event *e, Ladder__V1__Command *c, ld_fact_store_t *u)
{
    ladder__v1__command__init(c);
    switch (e->body_case) {
    case LADDER__V1__EVENT__BODY_EMPLOYEE_HIRED:
        ladder__v1__hire__init(&u->hire);
        u->hire.employee_id = e->employee_hired->employee_id, u->hire.name = e->employee_hired->name;
        u->hire.team = e->employee_hired->team, u->hire.centre = e->employee_hired->centre;
        c->cmd_case = LADDER__V1__COMMAND__CMD_HIRE, c->hire = &u->hire;
        return 1;
    case LADDER__V1__EVENT__BODY_EMPLOYEE_LEFT:
        ladder__v1__leave__init(&u->leave);
        u->leave.employee_id = e->employee_left->employee_id, u->leave.reason = e->employee_left->reason;
        c->cmd_case = LADDER__V1__COMMAND__CMD_LEAVE, c->leave = &u->leave;
        return 1;
    case LADDER__V1__EVENT__BODY_RULES_ADOPTED:
        ladder__v1__adopt_rules__init(&u->rules);
        u->rules.rules_json = e->rules_adopted->rules_json;
        c->cmd_case = LADDER__V1__COMMAND__CMD_ADOPT_RULES, c->adopt_rules = &u->rules;
        return 1;
    case LADDER__V1__EVENT__BODY_TASK_PUBLISHED:
        ladder__v1__publish_task__init(&u->publish);
        u->publish.task_id = e->task_published->task_id, u->publish.title = e->task_published->title;
        u->publish.points = e->task_published->points;
        c->cmd_case = LADDER__V1__COMMAND__CMD_PUBLISH_TASK, c->publish_task = &u->publish;
        return 1;
    case LADDER__V1__EVENT__BODY_TASK_COMPLETED:
        ladder__v1__complete_task__init(&u->task);
        u->task.employee_id = e->task_completed->employee_id, u->task.task_id = e->task_completed->task_id;
        c->cmd_case = LADDER__V1__COMMAND__CMD_COMPLETE_TASK, c->complete_task = &u->task;
        return 1;
    case LADDER__V1__EVENT__BODY_CASE_SUBMITTED:
        ladder__v1__submit_case__init(&u->submit);
        u->submit.submission_id = e->case_submitted->submission_id;
        u->submit.case_id = e->case_submitted->case_id;
        u->submit.author_id = e->case_submitted->author_id;
        u->submit.content = e->case_submitted->content;
        c->cmd_case = LADDER__V1__COMMAND__CMD_SUBMIT_CASE, c->submit_case = &u->submit;
        return 1;
    case LADDER__V1__EVENT__BODY_CASE_REVISED:
        ladder__v1__revise_case__init(&u->revise);
        u->revise.submission_id = e->case_revised->submission_id;
        u->revise.case_id = e->case_revised->case_id;
        u->revise.author_id = e->case_revised->author_id;
        u->revise.content = e->case_revised->content;
        c->cmd_case = LADDER__V1__COMMAND__CMD_REVISE_CASE, c->revise_case = &u->revise;
        return 1;
    case LADDER__V1__EVENT__BODY_CASE_REVIEWED: {
        const Ladder__V1__CaseReviewed *m = e->case_reviewed;
        ladder__v1__review_case__init(&u->review);
        u->review.submission_id = m->submission_id, u->review.reviewer_id = m->reviewer_id;
        u->review.verdict = m->verdict, u->review.amount = m->amount, u->review.level = m->level;
        u->review.category = m->category, u->review.comment = m->comment;
        c->cmd_case = LADDER__V1__COMMAND__CMD_REVIEW_CASE, c->review_case = &u->review;
        return 1;
    }
    case LADDER__V1__EVENT__BODY_CASE_STUDIED:
        ladder__v1__study_case__init(&u->study);
        u->study.case_id = e->case_studied->case_id, u->study.employee_id = e->case_studied->employee_id;
        c->cmd_case = LADDER__V1__COMMAND__CMD_STUDY_CASE, c->study_case = &u->study;
        return 1;
    case LADDER__V1__EVENT__BODY_CASE_RATED:
        ladder__v1__rate_case__init(&u->rate);
        u->rate.case_id = e->case_rated->case_id, u->rate.employee_id = e->case_rated->employee_id;
        u->rate.rating = e->case_rated->rating;
        c->cmd_case = LADDER__V1__COMMAND__CMD_RATE_CASE, c->rate_case = &u->rate;
        return 1;
    case LADDER__V1__EVENT__BODY_APPRENTICESHIP_STARTED:
        ladder__v1__start_apprenticeship__init(&u->start);
        u->start.mentor_id = e->apprenticeship_started->mentor_id;
        u->start.apprentice_id = e->apprenticeship_started->apprentice_id;
        c->cmd_case = LADDER__V1__COMMAND__CMD_START_APPRENTICESHIP, c->start_apprenticeship = &u->start;
        return 1;
    case LADDER__V1__EVENT__BODY_APPRENTICESHIP_ENDED:
        ladder__v1__end_apprenticeship__init(&u->end);
        u->end.mentor_id = e->apprenticeship_ended->mentor_id;
        u->end.apprentice_id = e->apprenticeship_ended->apprentice_id;
        u->end.reason = e->apprenticeship_ended->reason;
        c->cmd_case = LADDER__V1__COMMAND__CMD_END_APPRENTICESHIP, c->end_apprenticeship = &u->end;
        return 1;
    case LADDER__V1__EVENT__BODY_QUERY_TEST_RECORDED:
        ladder__v1__record_query_test__init(&u->qt);
        u->qt.employee_id = e->query_test_recorded->employee_id;
        u->qt.total_ms = e->query_test_recorded->total_ms;
        c->cmd_case = LADDER__V1__COMMAND__CMD_RECORD_QUERY_TEST, c->record_query_test = &u->qt;
        return 1;
    case LADDER__V1__EVENT__BODY_EXAM_DRAWN: {
        const Ladder__V1__ExamDrawn *m = e->exam_drawn;
        ladder__v1__draw_exam__init(&u->draw);
        u->draw.exam_id = m->exam_id, u->draw.employee_id = m->employee_id;
        u->draw.size = (uint32_t)m->n_case_ids, u->draw.seed = m->seed, u->draw.purpose = m->purpose;
        c->cmd_case = LADDER__V1__COMMAND__CMD_DRAW_EXAM, c->draw_exam = &u->draw;
        return 1;
    }
    case LADDER__V1__EVENT__BODY_EXAM_GRADED:
        ladder__v1__grade_exam__init(&u->grade);
        u->grade.exam_id = e->exam_graded->exam_id;
        u->grade.n_scores = e->exam_graded->n_scores, u->grade.scores = e->exam_graded->scores;
        c->cmd_case = LADDER__V1__COMMAND__CMD_GRADE_EXAM, c->grade_exam = &u->grade;
        return 1;
    case LADDER__V1__EVENT__BODY_RETENTION_YEAR_CLOSED:
        ladder__v1__close_retention_year__init(&u->close);
        u->close.employee_id = e->retention_year_closed->employee_id;
        c->cmd_case = LADDER__V1__COMMAND__CMD_CLOSE_RETENTION_YEAR, c->close_retention_year = &u->close;
        return 1;
    case LADDER__V1__EVENT__BODY_DEMOTION_APPEALED:
        ladder__v1__appeal__init(&u->appeal);
        u->appeal.employee_id = e->demotion_appealed->employee_id;
        u->appeal.reason = e->demotion_appealed->reason;
        c->cmd_case = LADDER__V1__COMMAND__CMD_APPEAL, c->appeal = &u->appeal;
        return 1;
    case LADDER__V1__EVENT__BODY_APPEAL_DECIDED:
        ladder__v1__decide_appeal__init(&u->decide);
        u->decide.employee_id = e->appeal_decided->employee_id;
        u->decide.overturn = e->appeal_decided->overturned, u->decide.reason = e->appeal_decided->reason;
        c->cmd_case = LADDER__V1__COMMAND__CMD_DECIDE_APPEAL, c->decide_appeal = &u->decide;
        return 1;
    case LADDER__V1__EVENT__BODY_APPEAL_EXPIRED:
        ladder__v1__expire_appeal__init(&u->expire);
        u->expire.employee_id = e->appeal_expired->employee_id;
        c->cmd_case = LADDER__V1__COMMAND__CMD_EXPIRE_APPEAL, c->expire_appeal = &u->expire;
        return 1;
    case LADDER__V1__EVENT__BODY_VOLUNTEER_REPORTED:
        ladder__v1__report_volunteer__init(&u->vol);
        u->vol.report_id = e->volunteer_reported->report_id;
        u->vol.week_start_ms = e->volunteer_reported->week_start_ms;
        u->vol.n_entries = e->volunteer_reported->n_entries;
        u->vol.entries = e->volunteer_reported->entries;
        c->cmd_case = LADDER__V1__COMMAND__CMD_REPORT_VOLUNTEER, c->report_volunteer = &u->vol;
        return 1;
    case LADDER__V1__EVENT__BODY_POINTS_ADJUSTED:
        ladder__v1__adjust_points__init(&u->adjust);
        u->adjust.employee_id = e->points_adjusted->employee_id;
        u->adjust.amount = e->points_adjusted->amount, u->adjust.reason = e->points_adjusted->reason;
        c->cmd_case = LADDER__V1__COMMAND__CMD_ADJUST_POINTS, c->adjust_points = &u->adjust;
        return 1;
    case LADDER__V1__EVENT__BODY_MEDAL_AWARDED:
        ladder__v1__award_medal__init(&u->medal);
        u->medal.employee_id = e->medal_awarded->employee_id;
        u->medal.medal = e->medal_awarded->medal, u->medal.reason = e->medal_awarded->reason;
        c->cmd_case = LADDER__V1__COMMAND__CMD_AWARD_MEDAL, c->award_medal = &u->medal;
        return 1;
    case LADDER__V1__EVENT__BODY_KB_PROPOSED:
        ladder__v1__propose_kb__init(&u->kbp);
        u->kbp.proposal_id = e->kb_proposed->proposal_id, u->kbp.item_id = e->kb_proposed->item_id;
        u->kbp.proposer_id = e->kb_proposed->proposer_id, u->kbp.text = e->kb_proposed->text;
        u->kbp.new_item = e->kb_proposed->new_item;
        u->kbp.delete_item = e->kb_proposed->delete_item;
        c->cmd_case = LADDER__V1__COMMAND__CMD_PROPOSE_KB, c->propose_kb = &u->kbp;
        return 1;
    case LADDER__V1__EVENT__BODY_KB_REVIEWED:
        ladder__v1__review_kb__init(&u->kbr);
        u->kbr.proposal_id = e->kb_reviewed->proposal_id, u->kbr.reviewer_id = e->kb_reviewed->reviewer_id;
        u->kbr.verdict = e->kb_reviewed->verdict, u->kbr.amount = e->kb_reviewed->amount;
        u->kbr.comment = e->kb_reviewed->comment;
        c->cmd_case = LADDER__V1__COMMAND__CMD_REVIEW_KB, c->review_kb = &u->kbr;
        return 1;
    case LADDER__V1__EVENT__BODY_QUALITY_APPLIED:
        ladder__v1__apply_quality__init(&u->qa);
        u->qa.case_id = e->quality_applied->case_id;
        u->qa.n_contributor_ids = e->quality_applied->n_contributor_ids;
        u->qa.contributor_ids = e->quality_applied->contributor_ids;
        u->qa.outstanding_id = e->quality_applied->outstanding_id;
        c->cmd_case = LADDER__V1__COMMAND__CMD_APPLY_QUALITY, c->apply_quality = &u->qa;
        return 1;
    case LADDER__V1__EVENT__BODY_QUALITY_AWARDED:
        ladder__v1__award_quality__init(&u->qw);
        u->qw.case_id = e->quality_awarded->case_id;
        u->qw.amount_each = e->quality_awarded->amount_each;
        u->qw.approve = e->quality_awarded->amount_each != 0;
        c->cmd_case = LADDER__V1__COMMAND__CMD_AWARD_QUALITY, c->award_quality = &u->qw;
        return 1;
    case LADDER__V1__EVENT__BODY_COMMITTEE_APPLIED:
        ladder__v1__apply_committee__init(&u->capp);
        u->capp.employee_id = e->committee_applied->employee_id;
        c->cmd_case = LADDER__V1__COMMAND__CMD_APPLY_COMMITTEE, c->apply_committee = &u->capp;
        return 1;
    case LADDER__V1__EVENT__BODY_COMMITTEE_ADMITTED:
    case LADDER__V1__EVENT__BODY_COMMITTEE_REFUSED: {
        bool admit = e->body_case == LADDER__V1__EVENT__BODY_COMMITTEE_ADMITTED;
        ladder__v1__decide_committee__init(&u->cdec);
        u->cdec.employee_id = admit ? e->committee_admitted->employee_id : e->committee_refused->employee_id;
        u->cdec.reason = admit ? e->committee_admitted->reason : e->committee_refused->reason;
        u->cdec.admit = admit;
        c->cmd_case = LADDER__V1__COMMAND__CMD_DECIDE_COMMITTEE, c->decide_committee = &u->cdec;
        return 1;
    }
    case LADDER__V1__EVENT__BODY_COMMITTEE_REMOVED:
        ladder__v1__remove_committee__init(&u->crem);
        u->crem.employee_id = e->committee_removed->employee_id;
        u->crem.reason = e->committee_removed->reason;
        c->cmd_case = LADDER__V1__COMMAND__CMD_REMOVE_COMMITTEE, c->remove_committee = &u->crem;
        return 1;
    case LADDER__V1__EVENT__BODY_SUGGESTION_SUBMITTED:
        ladder__v1__submit_suggestion__init(&u->sug);
        u->sug.suggestion_id = e->suggestion_submitted->suggestion_id;
        u->sug.employee_id = e->suggestion_submitted->employee_id;
        u->sug.text = e->suggestion_submitted->text;
        c->cmd_case = LADDER__V1__COMMAND__CMD_SUBMIT_SUGGESTION, c->submit_suggestion = &u->sug;
        return 1;
    case LADDER__V1__EVENT__BODY_SUGGESTION_JUDGED:
        ladder__v1__judge_suggestion__init(&u->judge);
        u->judge.suggestion_id = e->suggestion_judged->suggestion_id;
        u->judge.verdict = e->suggestion_judged->verdict, u->judge.amount = e->suggestion_judged->amount;
        u->judge.duplicate_of = e->suggestion_judged->duplicate_of;
        u->judge.reason = e->suggestion_judged->reason;
        c->cmd_case = LADDER__V1__COMMAND__CMD_JUDGE_SUGGESTION, c->judge_suggestion = &u->judge;
        return 1;
    case LADDER__V1__EVENT__BODY_QC_PUBLISHED:
        ladder__v1__publish_qc__init(&u->qcp);
        u->qcp.project_id = e->qc_published->project_id, u->qcp.topic = e->qc_published->topic;
        u->qcp.points = e->qc_published->points;
        c->cmd_case = LADDER__V1__COMMAND__CMD_PUBLISH_QC, c->publish_qc = &u->qcp;
        return 1;
    case LADDER__V1__EVENT__BODY_QC_CLAIMED:
        ladder__v1__claim_qc__init(&u->qcc);
        u->qcc.project_id = e->qc_claimed->project_id, u->qcc.group_id = e->qc_claimed->group_id;
        u->qcc.n_member_ids = e->qc_claimed->n_member_ids, u->qcc.member_ids = e->qc_claimed->member_ids;
        c->cmd_case = LADDER__V1__COMMAND__CMD_CLAIM_QC, c->claim_qc = &u->qcc;
        return 1;
    case LADDER__V1__EVENT__BODY_QC_COMPLETED:
        ladder__v1__complete_qc__init(&u->qcd);
        u->qcd.project_id = e->qc_completed->project_id, u->qcd.group_id = e->qc_completed->group_id;
        c->cmd_case = LADDER__V1__COMMAND__CMD_COMPLETE_QC, c->complete_qc = &u->qcd;
        return 1;
    case LADDER__V1__EVENT__BODY_EMPLOYEE_PLACED:
        ladder__v1__place_employee__init(&u->place);
        u->place.employee_id = e->employee_placed->employee_id;
        u->place.level = e->employee_placed->level, u->place.reason = e->employee_placed->reason;
        c->cmd_case = LADDER__V1__COMMAND__CMD_PLACE_EMPLOYEE, c->place_employee = &u->place;
        return 1;
    case LADDER__V1__EVENT__BODY_APPRENTICESHIP_CONFIRMED:
        ladder__v1__confirm_apprenticeship__init(&u->confirm);
        u->confirm.mentor_id = e->apprenticeship_confirmed->mentor_id;
        u->confirm.apprentice_id = e->apprenticeship_confirmed->apprentice_id;
        c->cmd_case = LADDER__V1__COMMAND__CMD_CONFIRM_APPRENTICESHIP;
        c->confirm_apprenticeship = &u->confirm;
        return 1;
    case LADDER__V1__EVENT__BODY_EXAM_VOIDED: /* as a fact: the expiry (§6.6 v2) */
        ladder__v1__expire_exam__init(&u->xexam);
        u->xexam.employee_id = e->exam_voided->employee_id;
        u->xexam.exam_id = e->exam_voided->exam_id;
        c->cmd_case = LADDER__V1__COMMAND__CMD_EXPIRE_EXAM, c->expire_exam = &u->xexam;
        return 1;
    case LADDER__V1__EVENT__BODY_RETENTION_WINDOW_EXTENDED:
        ladder__v1__extend_retention_window__init(&u->extend);
        u->extend.employee_id = e->retention_window_extended->employee_id;
        u->extend.days = e->retention_window_extended->days;
        u->extend.reason = e->retention_window_extended->reason;
        c->cmd_case = LADDER__V1__COMMAND__CMD_EXTEND_RETENTION_WINDOW;
        c->extend_retention_window = &u->extend;
        return 1;
    case LADDER__V1__EVENT__BODY_FACT_REVERSED:
        ladder__v1__reverse_fact__init(&u->reverse);
        u->reverse.seq = e->fact_reversed->seq, u->reverse.reason = e->fact_reversed->reason;
        c->cmd_case = LADDER__V1__COMMAND__CMD_REVERSE_FACT, c->reverse_fact = &u->reverse;
        return 1;
    case LADDER__V1__EVENT__BODY_CASE_RETIRED: /* a fact only when a chair retired it (§4 v2) */
        ladder__v1__retire_case__init(&u->retire);
        u->retire.case_id = e->case_retired->case_id, u->retire.reason = e->case_retired->reason;
        c->cmd_case = LADDER__V1__COMMAND__CMD_RETIRE_CASE, c->retire_case = &u->retire;
        return 1;
    case LADDER__V1__EVENT__BODY_CASE_RESTORED:
        ladder__v1__restore_case__init(&u->restore);
        u->restore.case_id = e->case_restored->case_id, u->restore.reason = e->case_restored->reason;
        c->cmd_case = LADDER__V1__COMMAND__CMD_RESTORE_CASE, c->restore_case = &u->restore;
        return 1;
    case LADDER__V1__EVENT__BODY_LIBRARY_CHECKED:
        ladder__v1__check_library__init(&u->check);
        c->cmd_case = LADDER__V1__COMMAND__CMD_CHECK_LIBRARY, c->check_library = &u->check;
        return 1;
    case LADDER__V1__EVENT__BODY_CLOCK_ADVANCED:
        ladder__v1__advance_clock__init(&u->clock);
        u->clock.to_ms = e->clock_advanced->to_ms;
        c->cmd_case = LADDER__V1__COMMAND__CMD_ADVANCE_CLOCK, c->advance_clock = &u->clock;
        return 1;
    default:
        return 0;
    }
}

