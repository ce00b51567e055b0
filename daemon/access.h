/* access.h — who may read what (DOMAIN §1 v2, issue 10 item 6).
 *
 * Everyone sees levels, titles, points and board places. Appeal texts and
 * adjustment reasons are seen by the person, managers, auditors (and the
 * system). Case content and the cases of exams are seen by reviewers,
 * chairs, managers, auditors, services (and the system) and by the case's
 * author. A reader without the right gets the event with that content
 * removed and Event.redacted set, so a client knows the bytes are not the
 * stored ones (whose hash the chain holds). evt.* on PUB is a broadcast: it
 * always carries the public view; full events come from ReadEvents with
 * the right. Roles are those of the principal: with --keys, of its key.
 */
#ifndef LD_ACCESS_H
#define LD_ACCESS_H

#include <stdbool.h>
#include <stdint.h>

#include "ladder.pb-c.h"

/* Room for one redacted shallow copy of an event and its body. */
typedef struct {
    Ladder__V1__Event ev;
    union {
        Ladder__V1__PointsAdjusted points_adjusted;
        Ladder__V1__DemotionAppealed demotion_appealed;
        Ladder__V1__AppealDecided appeal_decided;
        Ladder__V1__CaseSubmitted case_submitted;
        Ladder__V1__CaseRevised case_revised;
        Ladder__V1__ExamDrawn exam_drawn;
        Ladder__V1__CaseUsedInExam case_used_in_exam;
    } body;
} ld_view_t;

/* The event as principal (NULL: anyone, the public view) with roles may read
 * it: ev itself when nothing is restricted for them, else a copy in *room
 * (pointing into ev for everything it keeps) with redacted set. */
const Ladder__V1__Event *ld_access_view(const Ladder__V1__Event *ev, const char *principal,
                                        uint32_t roles, ld_view_t *room);

#endif
