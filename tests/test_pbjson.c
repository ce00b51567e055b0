/* test_pbjson.c — the proto3 JSON mapping (tools/pbjson.c): every message
 * type of proto/ladder.proto survives message -> JSON -> message with equal
 * bytes, every oneof member included, with 64-bit extremes, bytes and enums;
 * bad input names its JSON path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "ladder.pb-c.h"
#include "pbjson.h"

typedef struct blk {
    struct blk *next;
    max_align_t data[];
} blk_t;
static blk_t *blocks;

static void *alloc(size_t n)
{
    blk_t *b = calloc(1, sizeof *b + n + 1);
    b->next = blocks;
    blocks = b;
    return b->data;
}

static void free_all(void)
{
    while (blocks) {
        blk_t *n = blocks->next;
        free(blocks);
        blocks = n;
    }
}

static size_t tsize(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64: case PROTOBUF_C_TYPE_DOUBLE:
        return 8;
    case PROTOBUF_C_TYPE_STRING: case PROTOBUF_C_TYPE_MESSAGE: return sizeof(void *);
    case PROTOBUF_C_TYPE_BYTES: return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_BOOL: return sizeof(protobuf_c_boolean);
    default: return 4;
    }
}

static void fill(const ProtobufCMessageDescriptor *d, ProtobufCMessage *m, int depth, unsigned pick);

static void value(const ProtobufCFieldDescriptor *f, void *p, int depth, unsigned pick, int k)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
        *(int32_t *)p = k ? INT32_MIN : -7; break;
    case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32:
        *(uint32_t *)p = k ? UINT32_MAX : 7; break;
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
        *(int64_t *)p = k ? INT64_MIN : -1234567890123LL; break;
    case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
        *(uint64_t *)p = k ? UINT64_MAX : 9007199254740993ull; break; /* 2^53 + 1 */
    case PROTOBUF_C_TYPE_FLOAT: *(float *)p = 1.5f; break;
    case PROTOBUF_C_TYPE_DOUBLE: *(double *)p = 2.25; break;
    case PROTOBUF_C_TYPE_BOOL: *(protobuf_c_boolean *)p = 1; break;
    case PROTOBUF_C_TYPE_ENUM: {
        const ProtobufCEnumDescriptor *e = f->descriptor;
        *(int *)p = e->values[e->n_values - 1 - (unsigned)k % e->n_values].value;
        break;
    }
    case PROTOBUF_C_TYPE_STRING: *(char **)p = k ? "第二 \"quoted\"\n" : "héllo ✓"; break;
    case PROTOBUF_C_TYPE_BYTES: {
        uint8_t *b = alloc(5);
        b[0] = 0, b[1] = 1, b[2] = 0xff, b[3] = (uint8_t)k, b[4] = 0x80;
        *(ProtobufCBinaryData *)p = (ProtobufCBinaryData){5, b};
        break;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessageDescriptor *md = f->descriptor;
        ProtobufCMessage *sub = alloc(md->sizeof_message);
        protobuf_c_message_init(md, sub);
        if (depth < 3)
            fill(md, sub, depth + 1, pick);
        *(ProtobufCMessage **)p = sub;
        break;
    }
    }
}

/* Sets every field; of each oneof, the member numbered pick (mod its size). */
static void fill(const ProtobufCMessageDescriptor *d, ProtobufCMessage *m, int depth, unsigned pick)
{
    char *base = (char *)m;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            unsigned idx = 0, size = 0;
            for (unsigned j = 0; j < d->n_fields; j++)
                if ((d->fields[j].flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
                    d->fields[j].quantifier_offset == f->quantifier_offset) {
                    if (j < i)
                        idx++;
                    size++;
                }
            if (idx != pick % size)
                continue;
            *(uint32_t *)(base + f->quantifier_offset) = f->id;
            value(f, base + f->offset, depth, pick, 0);
        } else if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = depth < 3 ? 2 : 0;
            char *arr = alloc(n * tsize(f->type) + 1);
            for (size_t k = 0; k < n; k++)
                value(f, arr + k * tsize(f->type), depth + 1, pick, (int)k);
            *(size_t *)(base + f->quantifier_offset) = n;
            *(char **)(base + f->offset) = arr;
        } else if (f->type != PROTOBUF_C_TYPE_MESSAGE || depth < 3) {
            value(f, base + f->offset, depth, pick, 0);
        }
    }
}

/* Every message type reachable from the roots of the contract. */
static const ProtobufCMessageDescriptor *seen[256];
static size_t nseen;

static void collect(const ProtobufCMessageDescriptor *d)
{
    for (size_t i = 0; i < nseen; i++)
        if (seen[i] == d)
            return;
    seen[nseen++] = d;
    for (unsigned i = 0; i < d->n_fields; i++)
        if (d->fields[i].type == PROTOBUF_C_TYPE_MESSAGE)
            collect(d->fields[i].descriptor);
}

static unsigned max_oneof(const ProtobufCMessageDescriptor *d)
{
    unsigned best = 1;
    for (unsigned i = 0; i < d->n_fields; i++) {
        if (!(d->fields[i].flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
            continue;
        unsigned n = 0;
        for (unsigned j = 0; j < d->n_fields; j++)
            n += (d->fields[j].flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
                 d->fields[j].quantifier_offset == d->fields[i].quantifier_offset;
        if (n > best)
            best = n;
    }
    return best;
}

static void test_every_message_type_round_trips_through_json(void **s)
{
    (void)s;
    collect(&ladder__v1__event__descriptor);
    collect(&ladder__v1__request__descriptor);
    collect(&ladder__v1__reply__descriptor);
    collect(&ladder__v1__update__descriptor);
    collect(&ladder__v1__core_state__descriptor);
    size_t instances = 0;
    for (size_t t = 0; t < nseen; t++) {
        const ProtobufCMessageDescriptor *d = seen[t];
        for (unsigned pick = 0; pick < max_oneof(d); pick++) {
            ProtobufCMessage *m = alloc(d->sizeof_message);
            protobuf_c_message_init(d, m);
            fill(d, m, 0, pick);
            size_t n = protobuf_c_message_get_packed_size(m);
            uint8_t *a = alloc(n);
            protobuf_c_message_pack(m, a);
            json_t *j = pbjson_from_message(m);
            char *text = json_dumps(j, JSON_COMPACT);
            json_decref(j);
            json_error_t je;
            json_t *back = json_loads(text, 0, &je);
            char err[256];
            ProtobufCMessage *m2 = pbjson_to_message(d, back, err, sizeof err);
            if (!m2)
                fail_msg("%s (oneof pick %u): %s\n%s", d->name, pick, err, text);
            size_t n2 = protobuf_c_message_get_packed_size(m2);
            uint8_t *b = alloc(n2);
            protobuf_c_message_pack(m2, b);
            if (n != n2 || memcmp(a, b, n))
                fail_msg("%s (oneof pick %u) differs after the JSON round trip: %s", d->name, pick, text);
            protobuf_c_message_free_unpacked(m2, NULL);
            json_decref(back);
            free(text);
            instances++;
        }
    }
    print_message("%zu message types, %zu instances round-tripped\n", nseen, instances);
    assert_true(nseen > 90);
    assert_true(instances > nseen + 40); /* the Event and Command oneofs alone add dozens */
    free_all();
}

static void test_canonical_names_and_types(void **s)
{
    (void)s;
    Ladder__V1__DrawExam dx = LADDER__V1__DRAW_EXAM__INIT;
    dx.exam_id = "x1", dx.seed = UINT64_MAX;
    dx.purpose = LADDER__V1__EXAM_PURPOSE__EXAM_RETENTION;
    json_t *j = pbjson_from_message(&dx.base);
    char *t = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(t, "{\"examId\":\"x1\",\"purpose\":\"EXAM_RETENTION\",\"seed\":\"18446744073709551615\"}");
    free(t);
    json_decref(j);
}

static void expect_error(const char *json, const char *path_and_text)
{
    json_error_t je;
    json_t *j = json_loads(json, 0, &je);
    assert_non_null(j);
    char err[256];
    ProtobufCMessage *m = pbjson_to_message(&ladder__v1__command__descriptor, j, err, sizeof err);
    assert_null(m);
    if (!strstr(err, path_and_text))
        fail_msg("expected \"%s\" in \"%s\"", path_and_text, err);
    json_decref(j);
}

static void test_bad_json_names_the_path(void **s)
{
    (void)s;
    expect_error("{\"hire\":{\"employeeId\":\"e1\",\"nmae\":\"x\"}}", "hire.nmae: unknown field");
    expect_error("{\"hire\":{\"employeeId\":7}}", "hire.employeeId: must be a string");
    expect_error("{\"adjustPoints\":{\"amount\":\"12x\"}}", "adjustPoints.amount: must be an integer");
    expect_error("{\"gradeExam\":{\"scores\":[90,-1]}}", "gradeExam.scores[1]: must not be negative");
    expect_error("{\"rateCase\":{\"rating\":\"GREAT\"}}", "rateCase.rating: \"GREAT\" is not a value");
    expect_error("{\"hire\":{},\"leave\":{}}", "a second member of the same oneof");
    expect_error("{\"reportVolunteer\":{\"entries\":{\"employeeId\":\"e1\"}}}",
                 "reportVolunteer.entries: must be an array");
    /* and the accepted forms: proto names, numbers for 64-bit, enum numbers */
    json_error_t je;
    json_t *j = json_loads("{\"adjust_points\":{\"employee_id\":\"e1\",\"amount\":-5}}", 0, &je);
    char err[256];
    Ladder__V1__Command *c =
        (Ladder__V1__Command *)pbjson_to_message(&ladder__v1__command__descriptor, j, err, sizeof err);
    assert_non_null(c);
    assert_int_equal(c->cmd_case, LADDER__V1__COMMAND__CMD_ADJUST_POINTS);
    assert_int_equal(c->adjust_points->amount, -5);
    ladder__v1__command__free_unpacked(c, NULL);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_message_type_round_trips_through_json),
        cmocka_unit_test(test_canonical_names_and_types),
        cmocka_unit_test(test_bad_json_names_the_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
