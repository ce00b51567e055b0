/* facts.h — the command a recorded fact came from (§11).
 *
 * A fact (an event with no cause) records a decision on one command; the audit
 * (tools/audit.c) and the rules what-if (whatif.c) rebuild that command and
 * decide it again against the state before it. Pure, like the rest of the core.
 */
#ifndef LD_FACTS_H
#define LD_FACTS_H

#include "ladder.pb-c.h"

/* Room for the one command built from a fact. */
typedef union {
    Ladder__V1__Hire hire;
    Ladder__V1__Leave leave;
    Ladder__V1__AdoptRules rules;
    Ladder__V1__PublishTask publish;
    Ladder__V1__CompleteTask task;
    Ladder__V1__SubmitCase submit;
    Ladder__V1__ReviseCase revise;
    Ladder__V1__ReviewCase review;
    Ladder__V1__StudyCase study;
    Ladder__V1__RateCase rate;
    Ladder__V1__StartApprenticeship start;
    Ladder__V1__EndApprenticeship end;
    Ladder__V1__RecordQueryTest qt;
    Ladder__V1__DrawExam draw;
    Ladder__V1__GradeExam grade;
    Ladder__V1__CloseRetentionYear close;
    Ladder__V1__Appeal appeal;
    Ladder__V1__DecideAppeal decide;
    Ladder__V1__ExpireAppeal expire;
    Ladder__V1__ReportVolunteer vol;
    Ladder__V1__AdjustPoints adjust;
    Ladder__V1__AwardMedal medal;
    Ladder__V1__AdvanceClock clock;
    Ladder__V1__ProposeKb kbp;
    Ladder__V1__ReviewKb kbr;
    Ladder__V1__ApplyQuality qa;
    Ladder__V1__AwardQuality qw;
    Ladder__V1__ApplyCommittee capp;
    Ladder__V1__DecideCommittee cdec;
    Ladder__V1__RemoveCommittee crem;
    Ladder__V1__SubmitSuggestion sug;
    Ladder__V1__JudgeSuggestion judge;
    Ladder__V1__PublishQc qcp;
    Ladder__V1__ClaimQc qcc;
    Ladder__V1__CompleteQc qcd;
    Ladder__V1__PlaceEmployee place;             /* v2 */
    Ladder__V1__ConfirmApprenticeship confirm;
    Ladder__V1__ExpireExam xexam;
    Ladder__V1__ExtendRetentionWindow extend;
    Ladder__V1__ReverseFact reverse;
    Ladder__V1__RetireCase retire;
    Ladder__V1__RestoreCase restore;
    Ladder__V1__CheckLibrary check;
} ld_fact_store_t;

/* Builds in c (and u, which c points into) the command that fact e records.
 * Strings point into e: valid while e lives. Returns 1, or 0 when no command
 * produces such a fact. */
int ld_fact_command(const Ladder__V1__Event *e, Ladder__V1__Command *c, ld_fact_store_t *u);

#endif
