/* gen.h — the test kit's seeded generator of valid and invalid commands for the core:
 * the determinism, audit and scale tests and ladder-bench share it
 * (tests/testkit/: a static library, ladder_testkit). Ids come from small
 * pools so that duplicates, unknown ids and refused rules happen often.
 *
 * With `churn` set (ladder-bench replay, test_scale) the realistic mix stays
 * realistic for 10 M commands: time advances 0.3 commands per person a day
 * (3 s a command for 100 000 people: 10 M commands are about a year, so
 * weeks, months, quarters and the year roll over), people join (new ids) and the longest-serving leave,
 * cases are submitted and reviewed with new ids, volunteer reports are new. */
#ifndef LD_TESTKIT_GEN_H
#define LD_TESTKIT_GEN_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ladder.pb-c.h"

typedef struct {
    uint64_t s;
    int64_t now;
    uint32_t emps;          /* employee id pool size */
    uint32_t cases;         /* case id pool per level and half */
    uint32_t exam_no;
    int realistic;          /* 1: a production-like mix (no hires, few exams) */
    int churn;              /* 1: long runs (see the top of this file) */
    uint32_t lo, hi;        /* churn: ids e<lo>..e<hi-1> are the people employed */
    uint32_t sub_no, vol_no;
    char buf[16][48];       /* string storage for one command */
    uint32_t scores[20];
    Ladder__V1__VolunteerEntry ve[3];
    Ladder__V1__VolunteerEntry *vep[3];
    union {
        Ladder__V1__Hire hire;
        Ladder__V1__AdjustPoints adjust;
        Ladder__V1__CompleteTask task;
        Ladder__V1__RecordQueryTest qt;
        Ladder__V1__StartApprenticeship sa;
        Ladder__V1__EndApprenticeship ea;
        Ladder__V1__StudyCase study;
        Ladder__V1__RateCase rate;
        Ladder__V1__DrawExam draw;
        Ladder__V1__GradeExam grade;
        Ladder__V1__CloseRetentionYear close;
        Ladder__V1__Appeal appeal;
        Ladder__V1__DecideAppeal decide;
        Ladder__V1__ExpireAppeal expire;
        Ladder__V1__ReportVolunteer vol;
        Ladder__V1__AwardMedal medal;
        Ladder__V1__AdoptRules rules;
        Ladder__V1__Leave leave;
        Ladder__V1__SubmitCase submit;
        Ladder__V1__ReviewCase review;
        Ladder__V1__ProposeKb kbp;
        Ladder__V1__ReviewKb kbr;
        Ladder__V1__SubmitSuggestion sug;
        Ladder__V1__JudgeSuggestion judge;
        Ladder__V1__PublishQc qcp;
        Ladder__V1__ClaimQc qcc;
        Ladder__V1__CompleteQc qcd;
        Ladder__V1__ApplyCommittee capp;
        Ladder__V1__DecideCommittee cdec;
        Ladder__V1__PlaceEmployee place;          /* v2 (issue 11, v2a) */
        Ladder__V1__ConfirmApprenticeship conf;
        Ladder__V1__ExpireExam xexp;
        Ladder__V1__ExtendRetentionWindow ext;
        Ladder__V1__ReverseFact rev;
        Ladder__V1__RetireCase retire;     /* §4 v2 */
        Ladder__V1__RestoreCase restore;
        Ladder__V1__CheckLibrary check;
    } m;
    char *members[6];
    char last_mentor[16], last_apprentice[16]; /* the latest proposal (§6.5 v2) */
    Ladder__V1__CaseNode node;
    Ladder__V1__CaseContent content;
    Ladder__V1__Command cmd;
    const char *principal;
    uint32_t roles;
} ld_gen_t;

/* Starts a generator: seed, the employee id pool (e0..e<emps-1>), the time of
 * the first command. The caller then sets realistic/churn if wanted. */
void ld_gen_init(ld_gen_t *g, uint64_t seed, uint32_t emps, int64_t t0);

/* Fills g->cmd with the next command and g->principal/roles with who sends
 * it; advances g->now. Returns the command, valid until the next call. */
Ladder__V1__Command *ld_gen_command(ld_gen_t *g);

#endif
