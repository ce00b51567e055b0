/* topics.c — owns the topic mapping of events (evt.*, level.*, points.*) and the
 * per-topic last-seq map: an open-addressing hash table of topic -> seq, folded
 * from the log and kept in the store as the "topics" snapshot (a TopicSnapshot
 * with `last` filled), so Update.prev_seq is the same before and after a restart. */
#include "topics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fnv.h"
#include "ld_error.h"

typedef struct {
    char *key;       /* NULL: free slot */
    uint64_t seq;
    uint64_t hash;
} slot_t;

struct ld_topics {
    slot_t *s;
    size_t cap, n;   /* cap: a power of two */
};

int ld_topics_of_event(const Ladder__V1__Event *e, ld_event_topics_t *t)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field(&ladder__v1__event__descriptor, e->body_case);
    t->type = f ? f->name : "unknown";
    t->employee = NULL;
    t->level[0] = t->points[0] = '\0';
    snprintf(t->evt, sizeof t->evt, "evt.%s", t->type);
    switch (e->body_case) {
    case LADDER__V1__EVENT__BODY_POINTS_AWARDED:
        t->employee = e->points_awarded->employee_id;
        snprintf(t->points, sizeof t->points, "points.%s", t->employee);
        return 2;
    case LADDER__V1__EVENT__BODY_POINTS_ADJUSTED:
        t->employee = e->points_adjusted->employee_id;
        snprintf(t->points, sizeof t->points, "points.%s", t->employee);
        return 2;
    case LADDER__V1__EVENT__BODY_PROMOTED:
        t->employee = e->promoted->employee_id;
        break;
    case LADDER__V1__EVENT__BODY_RETENTION_YEAR_CLOSED:
        if (e->retention_year_closed->kept)
            return 1;
        t->employee = e->retention_year_closed->employee_id;
        break;
    case LADDER__V1__EVENT__BODY_APPEAL_DECIDED:
        if (!e->appeal_decided->overturned)
            return 1;
        t->employee = e->appeal_decided->employee_id;
        break;
    default:
        return 1;
    }
    snprintf(t->level, sizeof t->level, "level.%s", t->employee);
    return 2;
}

static int varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return 0;
    }
    return LD_ECORRUPT;
}

int ld_event_peek(const uint8_t *data, size_t len, uint32_t *body_case, const char **stream,
                  size_t *stream_len)
{
    const uint8_t *p = data, *end = data + len;
    *body_case = 0, *stream = "", *stream_len = 0;
    while (p < end) {
        uint64_t key, v;
        if (varint(&p, end, &key))
            return LD_ECORRUPT;
        uint32_t num = (uint32_t)(key >> 3);
        switch (key & 7) {
        case 0:
            if (varint(&p, end, &v))
                return LD_ECORRUPT;
            break;
        case 1:
            if (end - p < 8)
                return LD_ECORRUPT;
            p += 8;
            break;
        case 5:
            if (end - p < 4)
                return LD_ECORRUPT;
            p += 4;
            break;
        case 2: {
            if (varint(&p, end, &v) || v > (uint64_t)(end - p))
                return LD_ECORRUPT;
            if (num == 3) {
                *stream = (const char *)p, *stream_len = (size_t)v;
            } else {
                const ProtobufCFieldDescriptor *f =
                    protobuf_c_message_descriptor_get_field(&ladder__v1__event__descriptor, num);
                if (f && (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
                    *body_case = num;
            }
            p += v;
            break;
        }
        default:
            return LD_ECORRUPT;
        }
    }
    return 0;
}

/* a and b agree on their common length: one is a prefix of the other */
static bool overlap(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (*a != *b)
            return false;
    return true;
}

bool ld_topics_type_may_match(uint32_t body_case, const char *prefix)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field(&ladder__v1__event__descriptor, body_case);
    char evt[LD_TOPIC_MAX];
    snprintf(evt, sizeof evt, "evt.%s", f ? f->name : "unknown");
    if (!strncmp(evt, prefix, strlen(prefix)))
        return true;
    switch (body_case) {
    case LADDER__V1__EVENT__BODY_POINTS_AWARDED:
    case LADDER__V1__EVENT__BODY_POINTS_ADJUSTED:
        return overlap(prefix, "points.");
    case LADDER__V1__EVENT__BODY_PROMOTED:
    case LADDER__V1__EVENT__BODY_RETENTION_YEAR_CLOSED:
    case LADDER__V1__EVENT__BODY_APPEAL_DECIDED:
        return overlap(prefix, "level.");
    default:
        return false;
    }
}

/* The string field num of the first length-delimited field num in [p, end). */
static bool find_string(const uint8_t *p, const uint8_t *end, uint32_t num, const uint8_t **out,
                        size_t *out_len)
{
    while (p < end) {
        uint64_t key, v;
        if (varint(&p, end, &key))
            return false;
        switch (key & 7) {
        case 0:
            if (varint(&p, end, &v))
                return false;
            break;
        case 1:
            if (end - p < 8)
                return false;
            p += 8;
            break;
        case 5:
            if (end - p < 4)
                return false;
            p += 4;
            break;
        case 2:
            if (varint(&p, end, &v) || v > (uint64_t)(end - p))
                return false;
            if ((key >> 3) == num) {
                *out = p, *out_len = (size_t)v;
                return true;
            }
            p += v;
            break;
        default:
            return false;
        }
    }
    return false;
}

bool ld_event_may_match(const uint8_t *data, size_t len, uint32_t body_case, const char *prefix,
                        bool exact)
{
    if (!ld_topics_type_may_match(body_case, prefix))
        return false;
    if (body_case != LADDER__V1__EVENT__BODY_POINTS_AWARDED &&
        body_case != LADDER__V1__EVENT__BODY_POINTS_ADJUSTED)
        return true;
    /* points.<employee_id> (field 1 of both bodies), unless evt.* matched already */
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field(&ladder__v1__event__descriptor, body_case);
    char evt[LD_TOPIC_MAX];
    snprintf(evt, sizeof evt, "evt.%s", f ? f->name : "");
    if (!strncmp(evt, prefix, strlen(prefix)))
        return true;
    const uint8_t *body, *emp;
    size_t blen, elen;
    if (!find_string(data, data + len, body_case, &body, &blen) ||
        !find_string(body, body + blen, 1, &emp, &elen))
        return true;
    size_t plen = strlen(prefix);
    if (plen <= 7) /* "points." or shorter: every employee */
        return true;
    size_t want = plen - 7;
    return (exact ? elen == want : elen >= want) && !memcmp(emp, prefix + 7, want);
}

static uint64_t hash_str(const char *k)
{
    return ld_fnv1a(k, strlen(k), LD_FNV_BASIS);
}

ld_topics_t *ld_topics_new(void)
{
    ld_topics_t *t = calloc(1, sizeof *t);
    if (!t || !(t->s = calloc(t->cap = 256, sizeof *t->s)))
        abort();
    return t;
}

void ld_topics_destroy(ld_topics_t **t)
{
    if (!*t)
        return;
    for (size_t i = 0; i < (*t)->cap; i++)
        free((*t)->s[i].key);
    free((*t)->s);
    free(*t);
    *t = NULL;
}

static slot_t *find(const ld_topics_t *t, const char *k, uint64_t h)
{
    for (size_t i = h & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
        slot_t *x = &t->s[i];
        if (!x->key || (x->hash == h && !strcmp(x->key, k)))
            return x;
    }
}

static void grow(ld_topics_t *t)
{
    slot_t *old = t->s;
    size_t oc = t->cap;
    if (!(t->s = calloc(t->cap = oc * 2, sizeof *t->s)))
        abort();
    for (size_t i = 0; i < oc; i++)
        if (old[i].key)
            *find(t, old[i].key, old[i].hash) = old[i];
    free(old);
}

uint64_t ld_topics_swap(ld_topics_t *t, const char *topic, uint64_t seq)
{
    uint64_t h = hash_str(topic);
    slot_t *x = find(t, topic, h);
    if (!x->key) {
        if (2 * (t->n + 1) > t->cap) {
            grow(t);
            x = find(t, topic, h);
        }
        if (!(x->key = strdup(topic)))
            abort();
        x->hash = h;
        x->seq = 0;
        t->n++;
    }
    uint64_t prev = x->seq;
    x->seq = seq;
    return prev;
}

size_t ld_topics_count(const ld_topics_t *t)
{
    return t->n;
}

uint64_t ld_topics_get(const ld_topics_t *t, const char *topic)
{
    const slot_t *x = find(t, topic, hash_str(topic));
    return x->key ? x->seq : 0;
}

void ld_topics_fold(ld_topics_t *t, const Ladder__V1__Event *e)
{
    ld_event_topics_t et;
    ld_topics_of_event(e, &et);
    ld_topics_swap(t, et.evt, e->seq);
    if (et.level[0])
        ld_topics_swap(t, et.level, e->seq);
    if (et.points[0])
        ld_topics_swap(t, et.points, e->seq);
}

static int by_topic(const void *a, const void *b)
{
    return strcmp(((const Ladder__V1__TopicSeq *)a)->topic, ((const Ladder__V1__TopicSeq *)b)->topic);
}

Ladder__V1__TopicSeq *ld_topics_list(const ld_topics_t *t, const char *prefix, size_t *n)
{
    size_t plen = strlen(prefix), k = 0;
    Ladder__V1__TopicSeq *v = calloc(t->n + 1, sizeof *v);
    if (!v)
        abort();
    for (size_t i = 0; i < t->cap; i++) {
        const slot_t *x = &t->s[i];
        if (!x->key || strncmp(x->key, prefix, plen))
            continue;
        ladder__v1__topic_seq__init(&v[k]);
        v[k].topic = x->key;
        v[k].seq = x->seq;
        k++;
    }
    qsort(v, k, sizeof *v, by_topic);
    *n = k;
    return v;
}

static int fold_cb(void *ctx, uint64_t seq, const uint8_t *data, size_t len)
{
    (void)seq;
    Ladder__V1__Event *e = ladder__v1__event__unpack(NULL, len, data);
    if (!e)
        return LD_ECORRUPT;
    ld_topics_fold(ctx, e);
    ladder__v1__event__free_unpacked(e, NULL);
    return 0;
}

int ld_topics_load(ld_topics_t *t, ld_store_t *store)
{
    uint64_t at = 0;
    void *data = NULL;
    size_t len = 0;
    int rc = ld_store_snapshot_get(store, "topics", &at, &data, &len);
    if (rc == 0) {
        Ladder__V1__TopicSnapshot *ts = ladder__v1__topic_snapshot__unpack(NULL, len, data);
        free(data);
        if (!ts)
            return LD_ECORRUPT;
        for (size_t i = 0; i < ts->n_last; i++)
            ld_topics_swap(t, ts->last[i]->topic, ts->last[i]->seq);
        ladder__v1__topic_snapshot__free_unpacked(ts, NULL);
    } else if (rc != LD_ENOTFOUND) {
        return rc;
    }
    return ld_store_scan(store, at + 1, 0, fold_cb, t);
}

int ld_topics_save(const ld_topics_t *t, ld_store_t *store, uint64_t seq)
{
    size_t n;
    Ladder__V1__TopicSeq *v = ld_topics_list(t, "", &n);
    Ladder__V1__TopicSeq **pv = calloc(n + 1, sizeof *pv);
    if (!pv)
        abort();
    for (size_t i = 0; i < n; i++)
        pv[i] = &v[i];
    Ladder__V1__TopicSnapshot ts = LADDER__V1__TOPIC_SNAPSHOT__INIT;
    ts.seq = seq;
    ts.n_last = n;
    ts.last = pv;
    size_t len = ladder__v1__topic_snapshot__get_packed_size(&ts);
    uint8_t *buf = malloc(len + 1);
    if (!buf)
        abort();
    ladder__v1__topic_snapshot__pack(&ts, buf);
    int rc = ld_store_snapshot_put(store, "topics", seq, buf, len);
    free(buf), free(pv), free(v);
    return rc;
}
