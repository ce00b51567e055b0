/* test_publisher.c — the Event descriptors cut to one body member (wire.h,
 * ld_cutdesc_t) that publisher.c packs evt.* updates with: the same bytes as
 * protobuf-c's packing with the generated descriptor, for every body kind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "ld_error.h"
#include "ladder.pb-c.h"
#include "wire.h"

static const char LONG[] = "a string of more than one hundred and twenty-seven bytes, so that "
                           "its length takes two bytes of varint, which is what this is for";

/* An Update{topic, seq, prev_seq, event} for an event of every body kind
 * (and none), twice (envelope fields set or left at zero; the body's string
 * fields empty or set): packed with the event's cut descriptor, it is the
 * bytes protobuf-c packs with Event's own. */
static void test_s1_evt_update_with_cut_descriptor_is_protobuf_c_packing_for_every_body_kind(
    void **state)
{
    (void)state;
    const ProtobufCMessageDescriptor *d = &ladder__v1__event__descriptor;
    ld_cutdesc_t cut;
    assert_int_equal(ld_cutdesc_init(&cut, d), 0);
    uint8_t id[16], rid[16], hash[32];
    memset(id, 0xa5, sizeof id);
    memset(rid, 0x5a, sizeof rid);
    memset(hash, 0x33, sizeof hash);
    size_t kinds = 0;
    for (unsigned f = 0; f <= d->n_fields; f++) {
        const ProtobufCFieldDescriptor *fd = f < d->n_fields ? &d->fields[f] : NULL;
        if (fd && !(fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
            continue;
        for (int variant = 0; variant < 2; variant++) {
            Ladder__V1__Event ev;
            ladder__v1__event__init(&ev);
            ProtobufCMessage *body = NULL;
            if (fd) {
                const ProtobufCMessageDescriptor *bd = fd->descriptor;
                body = calloc(1, bd->sizeof_message);
                bd->message_init(body);
                for (unsigned j = 0; variant && j < bd->n_fields; j++)
                    if (bd->fields[j].type == PROTOBUF_C_TYPE_STRING &&
                        bd->fields[j].label == PROTOBUF_C_LABEL_NONE)
                        *(const char **)((char *)body + bd->fields[j].offset) = j % 2 ? "x" : LONG;
                ev.body_case = (Ladder__V1__Event__BodyCase)fd->id;
                *(ProtobufCMessage **)((char *)&ev + fd->offset) = body;
            }
            if (variant) {
                ev.seq = 1234567;
                ev.id = (ProtobufCBinaryData){sizeof id, id};
                ev.stream = "emp/kind";
                ev.stream_version = 42;
                ev.at_ms = -1; /* negative: ten bytes */
                ev.actor = "manager-7";
                ev.request_id = (ProtobufCBinaryData){sizeof rid, rid};
                ev.cause_seq = 300000;
                ev.rules_version = 70000;
                ev.prev_hash = (ProtobufCBinaryData){sizeof hash, hash};
                ev.redacted = true;
            }
            Ladder__V1__Update u = LADDER__V1__UPDATE__INIT;
            u.topic = "evt.kind";
            u.seq = ev.seq;
            u.prev_seq = variant ? 1234000 : 0;
            u.payload_case = LADDER__V1__UPDATE__PAYLOAD_EVENT;
            u.event = &ev;
            size_t want = ladder__v1__update__get_packed_size(&u);
            uint8_t *a = malloc(want), *b = malloc(want + 16);
            assert_int_equal(ladder__v1__update__pack(&u, a), want);

            Ladder__V1__Event c = ev;
            c.base.descriptor = ld_cutdesc_for(&cut, &c.base);
            assert_ptr_not_equal(c.base.descriptor, d); /* a cut fits every body kind */
            assert_true(c.base.descriptor->n_fields < d->n_fields);
            u.event = &c;
            size_t got = ladder__v1__update__get_packed_size(&u);
            assert_int_equal(got, want);
            assert_int_equal(ladder__v1__update__pack(&u, b), want);
            if (memcmp(a, b, want))
                fail_msg("body %s variant %d: the cut packs other bytes than protobuf-c's",
                         fd ? fd->name : "(none)", variant);
            free(a), free(b), free(body);
            kinds++;
        }
    }
    assert_true(kinds > 2 * 40);
    ld_cutdesc_free(&cut);
}

/* What is not cut: a message with no oneof is refused at init; a message of
 * another type, or an event carrying unknown fields (protobuf-c writes them
 * after the known ones), keeps its own descriptor. */
static void test_cutdesc_falls_back_to_the_generated_descriptor(void **state)
{
    (void)state;
    ld_cutdesc_t cut;
    assert_int_equal(ld_cutdesc_init(&cut, &ladder__v1__points_update__descriptor), LD_EINVAL);
    Ladder__V1__PointsUpdate pu = LADDER__V1__POINTS_UPDATE__INIT;
    assert_ptr_equal(ld_cutdesc_for(&cut, &pu.base), &ladder__v1__points_update__descriptor);

    assert_int_equal(ld_cutdesc_init(&cut, &ladder__v1__event__descriptor), 0);
    assert_ptr_equal(ld_cutdesc_for(&cut, &pu.base), &ladder__v1__points_update__descriptor);
    Ladder__V1__Event ev = LADDER__V1__EVENT__INIT;
    assert_ptr_not_equal(ld_cutdesc_for(&cut, &ev.base), &ladder__v1__event__descriptor);
    ev.base.n_unknown_fields = 1;
    assert_ptr_equal(ld_cutdesc_for(&cut, &ev.base), &ladder__v1__event__descriptor);
    ev.base.n_unknown_fields = 0;
    ev.body_case = (Ladder__V1__Event__BodyCase)(cut.n + 5); /* no such member */
    assert_ptr_equal(ld_cutdesc_for(&cut, &ev.base), &ladder__v1__event__descriptor);
    ld_cutdesc_free(&cut);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            test_s1_evt_update_with_cut_descriptor_is_protobuf_c_packing_for_every_body_kind),
        cmocka_unit_test(test_cutdesc_falls_back_to_the_generated_descriptor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
