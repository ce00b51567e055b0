/* topics.h — which PUB topics an event updates, and the per-topic last-seq map
 * behind Update.prev_seq and TopicSnapshot.last (gap detection, PROTOCOL.md).
 * Shared by ladderd's publisher and ladder-bridge's subjects. */
#ifndef LD_TOPICS_H
#define LD_TOPICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ladder.pb-c.h"
#include "store.h"

#define LD_TOPIC_MAX 96

/* What an event publishes: always evt.<type>; level.<employee> when a level
 * changed (promoted, demoted at a year's close, appeal overturned); points.<employee>
 * when points moved. Empty strings when absent. */
typedef struct {
    char evt[LD_TOPIC_MAX];
    char level[LD_TOPIC_MAX];
    char points[LD_TOPIC_MAX];
    const char *type;       /* the Event.body field name: "promoted" */
    const char *employee;   /* the employee of level/points, or NULL */
} ld_event_topics_t;

/* Fills t with the topics event e updates; returns how many (1 to 3). */
int ld_topics_of_event(const Ladder__V1__Event *e, ld_event_topics_t *t);

/* Reads an event's body type (Event.body field number, 0 if none) and its stream
 * from stored bytes without decoding the rest; returns 0 or LD_ECORRUPT. */
int ld_event_peek(const uint8_t *data, size_t len, uint32_t *body_case, const char **stream,
                  size_t *stream_len);
/* Whether stored event bytes (with body type body_case) can update a topic starting
 * with prefix (exact: equal to it): false is certain; true means "decode and check"
 * (ReadEvents filters). */
bool ld_event_may_match(const uint8_t *data, size_t len, uint32_t body_case, const char *prefix,
                        bool exact);
/* Whether an event of this body type can update a topic starting with prefix. */
bool ld_topics_type_may_match(uint32_t body_case, const char *prefix);

typedef struct ld_topics ld_topics_t;

/* A new, empty map; aborts when out of memory. */
ld_topics_t *ld_topics_new(void);
/* Frees the map and sets *t to NULL. */
void ld_topics_destroy(ld_topics_t **t);
/* Records an update on topic at seq; returns the topic's previous seq (0: none). */
uint64_t ld_topics_swap(ld_topics_t *t, const char *topic, uint64_t seq);
/* How many topics the map holds. */
size_t ld_topics_count(const ld_topics_t *t);
/* The seq of the topic's last update, 0 when it never had one. */
uint64_t ld_topics_get(const ld_topics_t *t, const char *topic);
/* Records every topic event e updates (the fold behind the map). */
void ld_topics_fold(ld_topics_t *t, const Ladder__V1__Event *e);
/* The topics under prefix with their last seq, sorted by topic, into a new array
 * of *n entries pointing into the map (valid until the next change); free() it. */
Ladder__V1__TopicSeq *ld_topics_list(const ld_topics_t *t, const char *prefix, size_t *n);
/* Rebuilds the map from the store: the "topics" snapshot, then the log after it
 * (the whole log without one). Returns 0 or a negative LD_E* code. */
int ld_topics_load(ld_topics_t *t, ld_store_t *store);
/* Writes the map as the "topics" snapshot at seq (the map must be at seq). */
int ld_topics_save(const ld_topics_t *t, ld_store_t *store, uint64_t seq);

#endif
