/* access.c — redacted views of events (access.h). */
#include "access.h"

#include <string.h>

#define ROLE(x) LADDER__V1__ROLE__ROLE_##x
#define BODY(x) LADDER__V1__EVENT__BODY_##x

static bool is(const char *principal, const char *id)
{
    return principal && id && *id && !strcmp(principal, id);
}

const Ladder__V1__Event *ld_access_view(const Ladder__V1__Event *ev, const char *principal,
                                        uint32_t roles, ld_view_t *room)
{
    /* §1: reasons and appeal texts: the person, managers, auditors */
    bool personal = roles & (ROLE(MANAGER) | ROLE(AUDITOR) | ROLE(SYSTEM));
    /* §1, §4, §6.6: case content and exam cases: reviewers and above */
    bool cases = roles & (ROLE(REVIEWER) | ROLE(CHAIR) | ROLE(MANAGER) | ROLE(AUDITOR) |
                          ROLE(SERVICE) | ROLE(SYSTEM));
    room->ev = *ev;
    switch (ev->body_case) {
    case BODY(POINTS_ADJUSTED):
        if (personal || is(principal, ev->points_adjusted->employee_id) ||
            !ev->points_adjusted->reason || !*ev->points_adjusted->reason)
            return ev;
        room->body.points_adjusted = *ev->points_adjusted;
        room->body.points_adjusted.reason = NULL;
        room->ev.points_adjusted = &room->body.points_adjusted;
        break;
    case BODY(DEMOTION_APPEALED):
        if (personal || is(principal, ev->demotion_appealed->employee_id) ||
            !ev->demotion_appealed->reason || !*ev->demotion_appealed->reason)
            return ev;
        room->body.demotion_appealed = *ev->demotion_appealed;
        room->body.demotion_appealed.reason = NULL;
        room->ev.demotion_appealed = &room->body.demotion_appealed;
        break;
    case BODY(APPEAL_DECIDED):
        if (personal || is(principal, ev->appeal_decided->employee_id) ||
            !ev->appeal_decided->reason || !*ev->appeal_decided->reason)
            return ev;
        room->body.appeal_decided = *ev->appeal_decided;
        room->body.appeal_decided.reason = NULL;
        room->ev.appeal_decided = &room->body.appeal_decided;
        break;
    case BODY(CASE_SUBMITTED):
        if (cases || is(principal, ev->case_submitted->author_id) || !ev->case_submitted->content)
            return ev;
        room->body.case_submitted = *ev->case_submitted;
        room->body.case_submitted.content = NULL;
        room->ev.case_submitted = &room->body.case_submitted;
        break;
    case BODY(CASE_REVISED):
        if (cases || is(principal, ev->case_revised->author_id) || !ev->case_revised->content)
            return ev;
        room->body.case_revised = *ev->case_revised;
        room->body.case_revised.content = NULL;
        room->ev.case_revised = &room->body.case_revised;
        break;
    case BODY(EXAM_DRAWN):
        if (cases || !ev->exam_drawn->n_case_ids)
            return ev;
        room->body.exam_drawn = *ev->exam_drawn;
        room->body.exam_drawn.n_case_ids = 0;
        room->body.exam_drawn.case_ids = NULL;
        room->ev.exam_drawn = &room->body.exam_drawn;
        break;
    case BODY(CASE_USED_IN_EXAM):
        if (cases)
            return ev;
        room->body.case_used_in_exam = *ev->case_used_in_exam;
        room->body.case_used_in_exam.case_id = NULL;
        room->ev.case_used_in_exam = &room->body.case_used_in_exam;
        break;
    default:
        return ev;
    }
    room->ev.redacted = true;
    return &room->ev;
}
