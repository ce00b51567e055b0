/* commands.c — the command table and the event kinds (commands.h): one row
 * per Command oneof case and per Event body case, read by the dispatch in
 * core.c, by the daemon's publisher, by the audit and by test_roles.c.
 *
 * A row says who may send the command (roles, or the person it names, or a
 * committee member), which § refuses everyone else, the facts it records,
 * the events that may follow (derived, cause = the fact), the streams they
 * go to and what they change. tests/test_roles.c checks every row against
 * real commands; test_commands checks the rows against each other.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "internal.h"

#define CMD(x) LADDER__V1__COMMAND__CMD_##x
#define EV(x) LADDER__V1__EVENT__BODY_##x
#define R(x) LADDER__V1__ROLE__ROLE_##x
#define X(x) LD_EFFECT_##x
#define OFF(type, field) (uint16_t)offsetof(Ladder__V1__##type, field)

#define ROW(c, name) CMD(c), #name, ld_decide_##name
#define SELF_NONE LD_SELF_NONE, 0, 0, NULL
#define SELF_FIELD(type, field) LD_SELF_FIELD, OFF(type, field), 0, #field
#define SELF_LIST(type, field) LD_SELF_LIST, OFF(type, n_##field), OFF(type, field), #field
#define SELF_COMMITTEE(field) LD_SELF_COMMITTEE, 0, 0, field

/* Ordered by oneof case (ld_core_command searches it). */
static const ld_command_t commands[] = {
    {ROW(HIRE, hire), R(MANAGER), SELF_NONE,
     "§1", "hire employees", "emp",
     {EV(EMPLOYEE_HIRED)}, {0},
     X(EMPLOYEE) | X(BOARDS)},
    {ROW(LEAVE, leave), R(MANAGER), SELF_NONE,
     "§1", "record a leaver", "emp",
     {EV(EMPLOYEE_LEFT)}, {0},
     X(EMPLOYEE) | X(BOARDS)},
    {ROW(ADOPT_RULES, adopt_rules), R(MANAGER), SELF_NONE,
     "§10", "adopt rules", "org",
     {EV(RULES_ADOPTED)}, {0},
     0},
    {ROW(PUBLISH_TASK, publish_task), R(MANAGER), SELF_NONE,
     "§8", "publish rules-learning tasks", "task",
     {EV(TASK_PUBLISHED)}, {0},
     0},
    {ROW(COMPLETE_TASK, complete_task), R(MANAGER), SELF_NONE,
     "§3", "record task completions", "emp",
     {EV(TASK_COMPLETED)}, {EV(POINTS_AWARDED)},
     X(EMPLOYEE) | X(POINTS) | X(BOARDS)},
    {ROW(PROPOSE_KB, propose_kb), R(MANAGER), SELF_FIELD(ProposeKb, proposer_id),
     "§4", "propose in another's name", "kb",
     {EV(KB_PROPOSED)}, {0},
     0},
    {ROW(REVIEW_KB, review_kb), R(MANAGER) | R(CHAIR), SELF_COMMITTEE("reviewer_id"),
     "§5", "review KB proposals", "emp kb",
     {EV(KB_REVIEWED)}, {EV(KB_ACCEPTED), EV(KB_REJECTED), EV(POINTS_AWARDED)},
     X(EMPLOYEE) | X(POINTS) | X(BOARDS)},
    {ROW(SUBMIT_CASE, submit_case), R(MANAGER), SELF_FIELD(SubmitCase, author_id),
     "§4", "submit on behalf of another author", "case",
     {EV(CASE_SUBMITTED)}, {0},
     0},
    {ROW(REVISE_CASE, revise_case), R(MANAGER), SELF_FIELD(ReviseCase, author_id),
     "§4", "submit on behalf of another author", "case",
     {EV(CASE_REVISED)}, {0},
     0},
    {ROW(REVIEW_CASE, review_case), R(MANAGER) | R(CHAIR), SELF_COMMITTEE("reviewer_id"),
     "§5", "review cases", "case emp",
     {EV(CASE_REVIEWED)}, {EV(CASE_ACCEPTED), EV(CASE_REJECTED), EV(CASE_RETIRED),
     EV(POINTS_AWARDED)},
     X(EMPLOYEE) | X(POINTS) | X(BOARDS) | X(CASES)},
    {ROW(STUDY_CASE, study_case), R(MANAGER), SELF_FIELD(StudyCase, employee_id),
     "§6.3", "record this study", "case",
     {EV(CASE_STUDIED)}, {0},
     X(EMPLOYEE) | X(CASES)},
    {ROW(RATE_CASE, rate_case), 0, SELF_FIELD(RateCase, employee_id),
     "§4", "rate on behalf of another employee", "case",
     {EV(CASE_RATED)}, {0},
     X(CASES)},
    {ROW(APPLY_QUALITY, apply_quality), R(MANAGER), SELF_LIST(ApplyQuality, contributor_ids),
     "§4", "apply for a quality award for others (contributors apply for themselves, or a manager "
     "for them)", "case",
     {EV(QUALITY_APPLIED)}, {0},
     0},
    {ROW(AWARD_QUALITY, award_quality), R(MANAGER) | R(CHAIR), SELF_COMMITTEE(NULL),
     "§4", "decide quality awards", "case emp",
     {EV(QUALITY_AWARDED)}, {EV(POINTS_AWARDED)},
     X(EMPLOYEE) | X(POINTS) | X(BOARDS)},
    {ROW(APPLY_COMMITTEE, apply_committee), 0, SELF_FIELD(ApplyCommittee, employee_id),
     "§5", "apply for another employee", "emp",
     {EV(COMMITTEE_APPLIED)}, {0},
     X(EMPLOYEE)},
    {ROW(DECIDE_COMMITTEE, decide_committee), R(MANAGER) | R(CHAIR), SELF_NONE,
     "§5", "decide committee applications", "emp",
     {EV(COMMITTEE_ADMITTED), EV(COMMITTEE_REFUSED)}, {0},
     X(EMPLOYEE)},
    {ROW(REMOVE_COMMITTEE, remove_committee), R(MANAGER), SELF_NONE,
     "§5", "remove committee members", "emp",
     {EV(COMMITTEE_REMOVED)}, {0},
     X(EMPLOYEE)},
    {ROW(START_APPRENTICESHIP, start_apprenticeship), R(MANAGER),
     SELF_FIELD(StartApprenticeship, mentor_id),
     "§6.5", "start this apprenticeship", "emp",
     {EV(APPRENTICESHIP_STARTED)}, {0},
     X(EMPLOYEE)},
    {ROW(END_APPRENTICESHIP, end_apprenticeship), R(MANAGER),
     SELF_FIELD(EndApprenticeship, mentor_id),
     "§6.5", "end this apprenticeship", "emp",
     {EV(APPRENTICESHIP_ENDED)}, {0},
     X(EMPLOYEE)},
    {ROW(RECORD_QUERY_TEST, record_query_test), R(MANAGER), SELF_NONE,
     "§6.4", "record query tests", "emp",
     {EV(QUERY_TEST_RECORDED)}, {EV(EXAM_VOIDED), EV(RETENTION_YEAR_CLOSED)},
     X(EMPLOYEE) | X(LEVEL) | X(BOARDS)},
    {ROW(DRAW_EXAM, draw_exam), R(MANAGER), SELF_FIELD(DrawExam, employee_id),
     "§6.6", "draw this exam", "case emp",
     {EV(EXAM_DRAWN)}, {EV(CASE_USED_IN_EXAM)},
     X(EMPLOYEE) | X(CASES)},
    {ROW(GRADE_EXAM, grade_exam), R(MANAGER), SELF_NONE,
     "§6.6", "grade exams", "emp",
     {EV(EXAM_GRADED)}, {EV(APPRENTICESHIP_ENDED), EV(APPRENTICE_CREDITED), EV(EXAM_VOIDED),
     EV(POINTS_AWARDED), EV(PROMOTED), EV(RETENTION_YEAR_CLOSED)},
     X(EMPLOYEE) | X(POINTS) | X(LEVEL) | X(BOARDS)},
    {ROW(CLOSE_RETENTION_YEAR, close_retention_year), R(SYSTEM) | R(MANAGER), SELF_NONE,
     "§7", "close retention years", "emp",
     {EV(RETENTION_YEAR_CLOSED)}, {EV(EXAM_VOIDED)},
     X(EMPLOYEE) | X(LEVEL) | X(BOARDS)},
    {ROW(APPEAL, appeal), R(MANAGER), SELF_FIELD(Appeal, employee_id),
     "§7", "appeal for this employee", "emp",
     {EV(DEMOTION_APPEALED)}, {0},
     X(EMPLOYEE)},
    {ROW(DECIDE_APPEAL, decide_appeal), R(MANAGER) | R(CHAIR), SELF_NONE,
     "§7", "decide appeals", "emp",
     {EV(APPEAL_DECIDED)}, {EV(EXAM_VOIDED)},
     X(EMPLOYEE) | X(LEVEL) | X(BOARDS)},
    {ROW(EXPIRE_APPEAL, expire_appeal), R(SYSTEM) | R(MANAGER), SELF_NONE,
     "§7", "close appeal windows", "emp",
     {EV(APPEAL_EXPIRED)}, {0},
     X(EMPLOYEE)},
    {ROW(SUBMIT_SUGGESTION, submit_suggestion), R(MANAGER),
     SELF_FIELD(SubmitSuggestion, employee_id),
     "§8", "suggest in another's name", "suggestion",
     {EV(SUGGESTION_SUBMITTED)}, {0},
     0},
    {ROW(JUDGE_SUGGESTION, judge_suggestion), R(MANAGER), SELF_NONE,
     "§8", "judge suggestions", "emp suggestion",
     {EV(SUGGESTION_JUDGED)}, {EV(POINTS_AWARDED)},
     X(EMPLOYEE) | X(POINTS) | X(BOARDS)},
    {ROW(PUBLISH_QC, publish_qc), R(MANAGER), SELF_NONE,
     "§8", "publish QC topics", "qc",
     {EV(QC_PUBLISHED)}, {0},
     0},
    {ROW(CLAIM_QC, claim_qc), R(MANAGER), SELF_LIST(ClaimQc, member_ids),
     "§8", "claim a QC topic for others (a group claims through one of its members or a "
     "manager)", "qc",
     {EV(QC_CLAIMED)}, {0},
     0},
    {ROW(COMPLETE_QC, complete_qc), R(MANAGER), SELF_NONE,
     "§8", "record QC completions", "emp qc",
     {EV(QC_COMPLETED)}, {EV(POINTS_AWARDED)},
     X(EMPLOYEE) | X(POINTS) | X(BOARDS)},
    {ROW(REPORT_VOLUNTEER, report_volunteer), R(MANAGER), SELF_NONE,
     "§8", "report volunteer hours", "emp volunteer",
     {EV(VOLUNTEER_REPORTED)}, {EV(POINTS_AWARDED)},
     X(EMPLOYEE) | X(POINTS) | X(BOARDS)},
    {ROW(ADJUST_POINTS, adjust_points), R(MANAGER), SELF_NONE,
     "§3", "adjust points", "emp",
     {EV(POINTS_ADJUSTED)}, {0},
     X(EMPLOYEE) | X(POINTS) | X(BOARDS)},
    {ROW(AWARD_MEDAL, award_medal), R(MANAGER), SELF_NONE,
     "§8a", "award medals", "emp",
     {EV(MEDAL_AWARDED)}, {0},
     X(EMPLOYEE)},
    {ROW(ADVANCE_CLOCK, advance_clock), R(SYSTEM) | R(MANAGER), SELF_NONE,
     NULL, "move the clock", "clock",
     {EV(CLOCK_ADVANCED)}, {0},
     0},
    {ROW(PLACE_EMPLOYEE, place_employee), R(MANAGER), SELF_NONE,
     "§2", "place employees", "emp",
     {EV(EMPLOYEE_PLACED)}, {EV(EXAM_VOIDED)},
     X(EMPLOYEE) | X(LEVEL) | X(BOARDS)},
    {ROW(CONFIRM_APPRENTICESHIP, confirm_apprenticeship), R(MANAGER),
     SELF_FIELD(ConfirmApprenticeship, apprentice_id),
     "§6.5", "confirm this apprenticeship", "emp",
     {EV(APPRENTICESHIP_CONFIRMED)}, {0},
     X(EMPLOYEE)},
    {ROW(EXPIRE_EXAM, expire_exam), R(SYSTEM) | R(MANAGER), SELF_NONE,
     "§6.6", "void expired exams", "emp",
     {EV(EXAM_VOIDED)}, {0},
     X(EMPLOYEE)},
    {ROW(EXTEND_RETENTION_WINDOW, extend_retention_window), R(MANAGER), SELF_NONE,
     "§7", "extend re-test windows", "emp",
     {EV(RETENTION_WINDOW_EXTENDED)}, {0},
     X(EMPLOYEE)},
    {ROW(REVERSE_FACT, reverse_fact), R(MANAGER), SELF_NONE,
     "§12", "reverse facts", "emp",
     {EV(FACT_REVERSED)}, {EV(EXAM_VOIDED), EV(POINTS_AWARDED)},
     X(EMPLOYEE) | X(POINTS) | X(LEVEL) | X(BOARDS) | X(CASES)},
    {ROW(RETIRE_CASE, retire_case), R(CHAIR), SELF_NONE,
     "§4", "retire cases (a chair does)", "case",
     {EV(CASE_RETIRED)}, {0},
     X(CASES)},
    {ROW(RESTORE_CASE, restore_case), R(CHAIR), SELF_NONE,
     "§4", "restore cases (a chair does)", "case",
     {EV(CASE_RESTORED)}, {0},
     X(CASES)},
    {ROW(CHECK_LIBRARY, check_library), R(SYSTEM) | R(MANAGER), SELF_NONE,
     "§4", "run the library check", "case library",
     {EV(LIBRARY_CHECKED)}, {EV(CASE_RETIRED)},
     X(CASES)},
};

/* Ordered by body case (ld_core_event_kind searches it). */
static const ld_event_kind_t events[] = {
    {EV(EMPLOYEE_HIRED), "employee_hired", ld_people_evolve, X(EMPLOYEE) | X(BOARDS),
     OFF(EmployeeHired, employee_id), 0, 0},
    {EV(EMPLOYEE_LEFT), "employee_left", ld_people_evolve, X(EMPLOYEE) | X(BOARDS),
     OFF(EmployeeLeft, employee_id), 0, 0},
    {EV(RULES_ADOPTED), "rules_adopted", ld_org_evolve, 0,
     0, 0, 0},
    {EV(TASK_PUBLISHED), "task_published", ld_people_evolve, 0,
     0, 0, 0},
    {EV(TASK_COMPLETED), "task_completed", ld_people_evolve, X(EMPLOYEE),
     OFF(TaskCompleted, employee_id), 0, 0},
    {EV(KB_PROPOSED), "kb_proposed", ld_contrib_evolve, 0,
     0, 0, 0},
    {EV(KB_REVIEWED), "kb_reviewed", ld_contrib_evolve, 0,
     0, 0, 0},
    {EV(KB_ACCEPTED), "kb_accepted", ld_contrib_evolve, X(EMPLOYEE),
     0, 0, 0},
    {EV(KB_REJECTED), "kb_rejected", ld_contrib_evolve, X(EMPLOYEE),
     0, 0, 0},
    {EV(CASE_SUBMITTED), "case_submitted", ld_library_evolve, 0,
     OFF(CaseSubmitted, author_id), OFF(CaseSubmitted, case_id), 0},
    {EV(CASE_REVISED), "case_revised", ld_library_evolve, 0,
     OFF(CaseRevised, author_id), OFF(CaseRevised, case_id), 0},
    {EV(CASE_REVIEWED), "case_reviewed", ld_library_evolve, 0,
     0, 0, 0},
    {EV(CASE_ACCEPTED), "case_accepted", ld_library_evolve, X(EMPLOYEE) | X(CASES),
     0, OFF(CaseAccepted, case_id), 0},
    {EV(CASE_REJECTED), "case_rejected", ld_library_evolve, X(EMPLOYEE),
     0, OFF(CaseRejected, case_id), 0},
    {EV(CASE_STUDIED), "case_studied", ld_library_evolve, X(EMPLOYEE) | X(CASES),
     OFF(CaseStudied, employee_id), OFF(CaseStudied, case_id), 0},
    {EV(CASE_RATED), "case_rated", ld_library_evolve, X(CASES),
     OFF(CaseRated, employee_id), OFF(CaseRated, case_id), 0},
    {EV(CASE_USED_IN_EXAM), "case_used_in_exam", ld_library_evolve, X(CASES),
     0, OFF(CaseUsedInExam, case_id), 0},
    {EV(CASE_RETIRED), "case_retired", ld_library_evolve, X(CASES),
     0, OFF(CaseRetired, case_id), 0},
    {EV(QUALITY_APPLIED), "quality_applied", ld_contrib_evolve, 0,
     0, OFF(QualityApplied, case_id), 0},
    {EV(QUALITY_AWARDED), "quality_awarded", ld_contrib_evolve, 0,
     0, OFF(QualityAwarded, case_id), 0},
    {EV(COMMITTEE_APPLIED), "committee_applied", ld_contrib_evolve, X(EMPLOYEE),
     OFF(CommitteeApplied, employee_id), 0, 0},
    {EV(COMMITTEE_ADMITTED), "committee_admitted", ld_contrib_evolve, X(EMPLOYEE),
     OFF(CommitteeAdmitted, employee_id), 0, 0},
    {EV(COMMITTEE_REFUSED), "committee_refused", ld_contrib_evolve, X(EMPLOYEE),
     OFF(CommitteeRefused, employee_id), 0, 0},
    {EV(COMMITTEE_REMOVED), "committee_removed", ld_contrib_evolve, X(EMPLOYEE),
     OFF(CommitteeRemoved, employee_id), 0, 0},
    {EV(APPRENTICESHIP_STARTED), "apprenticeship_started", ld_career_evolve, X(EMPLOYEE),
     OFF(ApprenticeshipStarted, mentor_id), 0, 0},
    {EV(APPRENTICESHIP_ENDED), "apprenticeship_ended", ld_career_evolve, X(EMPLOYEE),
     OFF(ApprenticeshipEnded, mentor_id), 0, 0},
    {EV(QUERY_TEST_RECORDED), "query_test_recorded", ld_career_evolve, X(EMPLOYEE),
     OFF(QueryTestRecorded, employee_id), 0, 0},
    {EV(EXAM_DRAWN), "exam_drawn", ld_career_evolve, X(EMPLOYEE),
     OFF(ExamDrawn, employee_id), 0, 0},
    {EV(EXAM_GRADED), "exam_graded", ld_career_evolve, X(EMPLOYEE),
     OFF(ExamGraded, employee_id), 0, 0},
    {EV(PROMOTED), "promoted", ld_career_evolve, X(EMPLOYEE) | X(LEVEL) | X(BOARDS),
     OFF(Promoted, employee_id), 0, 0},
    {EV(RETENTION_YEAR_CLOSED), "retention_year_closed", ld_retention_evolve,
     X(EMPLOYEE) | X(LEVEL) | X(BOARDS),
     OFF(RetentionYearClosed, employee_id), 0, 0},
    {EV(DEMOTION_APPEALED), "demotion_appealed", ld_retention_evolve, X(EMPLOYEE),
     OFF(DemotionAppealed, employee_id), 0, 0},
    {EV(APPEAL_DECIDED), "appeal_decided", ld_retention_evolve, X(EMPLOYEE) | X(LEVEL) | X(BOARDS),
     OFF(AppealDecided, employee_id), 0, 0},
    {EV(SUGGESTION_SUBMITTED), "suggestion_submitted", ld_contrib_evolve, 0,
     OFF(SuggestionSubmitted, employee_id), 0, 0},
    {EV(SUGGESTION_JUDGED), "suggestion_judged", ld_contrib_evolve, 0,
     0, 0, 0},
    {EV(QC_PUBLISHED), "qc_published", ld_contrib_evolve, 0,
     0, 0, 0},
    {EV(QC_CLAIMED), "qc_claimed", ld_contrib_evolve, 0,
     0, 0, 0},
    {EV(QC_COMPLETED), "qc_completed", ld_contrib_evolve, 0,
     0, 0, 0},
    {EV(VOLUNTEER_REPORTED), "volunteer_reported", ld_people_evolve, 0,
     0, 0, 0},
    {EV(POINTS_AWARDED), "points_awarded", ld_people_evolve, X(EMPLOYEE) | X(POINTS) | X(BOARDS),
     OFF(PointsAwarded, employee_id), 0, OFF(PointsAwarded, amount)},
    {EV(POINTS_ADJUSTED), "points_adjusted", ld_people_evolve, X(EMPLOYEE) | X(POINTS) | X(BOARDS),
     OFF(PointsAdjusted, employee_id), 0, OFF(PointsAdjusted, amount)},
    {EV(MEDAL_AWARDED), "medal_awarded", ld_people_evolve, X(EMPLOYEE),
     OFF(MedalAwarded, employee_id), 0, 0},
    {EV(APPRENTICE_CREDITED), "apprentice_credited", ld_career_evolve, X(EMPLOYEE),
     OFF(ApprenticeCredited, mentor_id), 0, 0},
    {EV(APPEAL_EXPIRED), "appeal_expired", ld_retention_evolve, X(EMPLOYEE),
     OFF(AppealExpired, employee_id), 0, 0},
    {EV(CLOCK_ADVANCED), "clock_advanced", ld_org_evolve, 0,
     0, 0, 0},
    {EV(EMPLOYEE_PLACED), "employee_placed", ld_career_evolve, X(EMPLOYEE) | X(LEVEL) | X(BOARDS),
     OFF(EmployeePlaced, employee_id), 0, 0},
    {EV(APPRENTICESHIP_CONFIRMED), "apprenticeship_confirmed", ld_career_evolve, X(EMPLOYEE),
     OFF(ApprenticeshipConfirmed, mentor_id), 0, 0},
    {EV(EXAM_VOIDED), "exam_voided", ld_career_evolve, X(EMPLOYEE),
     OFF(ExamVoided, employee_id), 0, 0},
    {EV(RETENTION_WINDOW_EXTENDED), "retention_window_extended", ld_retention_evolve, X(EMPLOYEE),
     OFF(RetentionWindowExtended, employee_id), 0, 0},
    {EV(FACT_REVERSED), "fact_reversed", ld_reversal_evolve,
     X(EMPLOYEE) | X(LEVEL) | X(BOARDS) | X(CASES),
     0, 0, 0},
    {EV(CASE_RESTORED), "case_restored", ld_library_evolve, X(CASES),
     0, OFF(CaseRestored, case_id), 0},
    {EV(LIBRARY_CHECKED), "library_checked", ld_library_evolve, 0,
     0, 0, 0},
};

#define N_COMMANDS (sizeof commands / sizeof *commands)
#define N_EVENTS (sizeof events / sizeof *events)

const ld_command_t *ld_core_command_table(size_t *n)
{
    *n = N_COMMANDS;
    return commands;
}

const ld_command_t *ld_core_command(int cmd_case)
{
    size_t lo = 0, hi = N_COMMANDS;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if ((int)commands[mid].cmd < cmd_case)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < N_COMMANDS && (int)commands[lo].cmd == cmd_case ? &commands[lo] : NULL;
}

const ld_event_kind_t *ld_core_event_kinds(size_t *n)
{
    *n = N_EVENTS;
    return events;
}

const ld_event_kind_t *ld_core_event_kind(int body_case)
{
    size_t lo = 0, hi = N_EVENTS;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if ((int)events[mid].body < body_case)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < N_EVENTS && (int)events[lo].body == body_case ? &events[lo] : NULL;
}

const ld_command_t *ld_core_command_of_fact(int body_case)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        for (size_t k = 0; k < LD_COMMAND_FACTS && commands[i].facts[k]; k++)
            if ((int)commands[i].facts[k] == body_case)
                return &commands[i];
    return NULL;
}

/* The body of an event: every member of the oneof shares one pointer. */
static const void *body_of(const Ladder__V1__Event *ev)
{
    return ev->employee_hired;
}

static const char *body_str(const Ladder__V1__Event *ev, uint16_t off)
{
    const void *b = body_of(ev);
    if (!off || !b)
        return NULL;
    const char *s = *(const char *const *)((const char *)b + off);
    return s && *s ? s : NULL;
}

const char *ld_core_event_employee(const Ladder__V1__Event *ev)
{
    const ld_event_kind_t *k = ld_core_event_kind((int)ev->body_case);
    const char *id = k ? body_str(ev, k->emp_off) : NULL;
    if (!id && ev->stream && !strncmp(ev->stream, "emp/", 4) && ev->stream[4])
        id = ev->stream + 4;
    return id;
}

const char *ld_core_event_case(const Ladder__V1__Event *ev)
{
    const ld_event_kind_t *k = ld_core_event_kind((int)ev->body_case);
    return k ? body_str(ev, k->case_off) : NULL;
}

int64_t ld_core_event_amount(const Ladder__V1__Event *ev)
{
    const ld_event_kind_t *k = ld_core_event_kind((int)ev->body_case);
    const void *b = body_of(ev);
    if (!k || !k->amount_off || !b)
        return 0;
    int64_t v;
    memcpy(&v, (const char *)b + k->amount_off, sizeof v);
    return v;
}

/* ------------------------------------------------------------- senders -- */

/* The message of a command: every member of the oneof shares one pointer. */
static const void *message_of(const Ladder__V1__Command *cmd)
{
    return cmd->hire;
}

static bool named(const ld_ctx_t *ctx, const char *id)
{
    return id && ctx->principal && !strcmp(ctx->principal, id);
}

int ld_command_check_sender(ld_core_t *c, const ld_command_t *row, const Ladder__V1__Command *cmd,
                            const ld_ctx_t *ctx)
{
    if (ctx->roles & row->roles)
        return 0;
    const char *msg = message_of(cmd);
    char field[96]; /* "<command>.<field>", named by a refusal that concerns a field */
    if (row->self_field)
        snprintf(field, sizeof field, "%s.%s", row->name, row->self_field);
    else
        snprintf(field, sizeof field, "%s", row->name);
    bool person = (ctx->roles & (R(EMPLOYEE) | R(REVIEWER))) != 0;
    switch (row->self) {
    case LD_SELF_FIELD:
        if (person && msg && named(ctx, *(const char *const *)(msg + row->self_off)))
            return 0;
        break;
    case LD_SELF_LIST:
        if (person && msg) {
            size_t n = *(const size_t *)(msg + row->self_off);
            char *const *ids = *(char *const *const *)(msg + row->list_off);
            for (size_t i = 0; i < n; i++)
                if (named(ctx, ids[i]))
                    return 0;
        }
        break;
    case LD_SELF_COMMITTEE:
        if (ld_may_review(c, ctx))
            return 0;
        return ld_refuse(c, LADDER__V1__ERROR_CODE__ERR_FORBIDDEN, row->section, field,
                         "%s: only committee members and managers may review; %s is neither "
                         "and may not %s (a claimed reviewer role counts for nothing, §1)",
                         row->section, ctx->principal && *ctx->principal ? ctx->principal
                                                                         : "an anonymous principal",
                         row->what);
    default:
        break;
    }
    const char *who = ctx->principal && *ctx->principal ? ctx->principal : "an anonymous principal";
    /* a list names its field (the sender is not in it); a role concerns no field */
    const char *f = row->self == LD_SELF_LIST ? field : NULL;
    if (!row->section)
        return ld_refuse(c, LADDER__V1__ERROR_CODE__ERR_FORBIDDEN, NULL, f, "%s may not %s", who,
                         row->what);
    return ld_refuse(c, LADDER__V1__ERROR_CODE__ERR_FORBIDDEN, row->section, f,
                     "%s: %s may not %s", row->section, who, row->what);
}

