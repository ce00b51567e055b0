/* access.h — who may read what (DOMAIN §1 v2, issue 10 item 6).
 *
 * One table in access.c says for every query who reads all of its answer,
 * who reads a public view of it and who is refused (ERR_FORBIDDEN naming
 * the § and the field); ld_reads_query asks it before answering anything.
 * Events have their own views below (ReadEvents, evt.*).
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

#include "core.h"
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

/* What a principal gets of a query's answer. */
typedef enum {
    LD_READ_ALL = 0,    /* the whole answer */
    LD_READ_PUBLIC,     /* the answer through ld_access_public */
    LD_READ_REFUSED,    /* nothing: ERR_FORBIDDEN with why */
} ld_read_t;

/* A refused read: § and field of the rule, a sentence naming both. */
typedef struct {
    const char *section;
    char field[64];
    char message[200];
} ld_read_refusal_t;

/* Roles that read everything (§1 v2): managers, chairs, auditors, services
 * and the system. */
#define LD_READ_EVERYTHING (LADDER__V1__ROLE__ROLE_MANAGER | LADDER__V1__ROLE__ROLE_CHAIR | \
                            LADDER__V1__ROLE__ROLE_AUDITOR | LADDER__V1__ROLE__ROLE_SERVICE | \
                            LADDER__V1__ROLE__ROLE_SYSTEM)

/* §1 v2 "reviewer is a fact": roles with REVIEWER set when principal sits on
 * the committee in c's state (admitted, not removed, not left) and cleared
 * when it does not; managers and chairs review by role. scratch is reset. */
uint32_t ld_access_roles(ld_core_t *c, ld_out_t *scratch, const char *principal, uint32_t roles);

/* Decides q for principal (NULL or "": anonymous) with roles from the one
 * per-query table; fills why when the result is LD_READ_REFUSED. */
ld_read_t ld_access_query(const Ladder__V1__Query *q, const char *principal, uint32_t roles,
                          ld_read_refusal_t *why);

/* Removes from ok (an answer to a query decided LD_READ_PUBLIC, or a cases.*
 * broadcast) what only some may read, in place, and sets its redacted flag. */
void ld_access_public(Ladder__V1__Ok *ok);

#endif
