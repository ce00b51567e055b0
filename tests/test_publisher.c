/* test_publisher.c — descriptors cut to one oneof member (wire.h,
 * ld_cutdesc_t): Event's, which publisher.c packs evt.* updates with, and
 * Command's, which ladder-bench's clients pack requests with; the same bytes
 * as protobuf-c's packing with the generated descriptor, for every kind. */
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

/* ladder-bench's load generator packs each Command of a Request with
 * Command's cut (tools/bench_daemon.c): the same bytes as protobuf-c's, for
 * every command kind, its string fields empty or set. */
static void test_request_with_cut_command_is_protobuf_c_packing_for_every_command_kind(void **state)
{
    (void)state;
    const ProtobufCMessageDescriptor *d = &ladder__v1__command__descriptor;
    ld_cutdesc_t cut;
    assert_int_equal(ld_cutdesc_init(&cut, d), 0);
    size_t kinds = 0;
    for (unsigned f = 0; f < d->n_fields; f++) {
        const ProtobufCFieldDescriptor *fd = &d->fields[f];
        assert_true(fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF); /* Command is its oneof */
        for (int variant = 0; variant < 2; variant++) {
            Ladder__V1__Command cmd = LADDER__V1__COMMAND__INIT;
            const ProtobufCMessageDescriptor *bd = fd->descriptor;
            ProtobufCMessage *body = calloc(1, bd->sizeof_message);
            bd->message_init(body);
            for (unsigned j = 0; variant && j < bd->n_fields; j++)
                if (bd->fields[j].type == PROTOBUF_C_TYPE_STRING &&
                    bd->fields[j].label == PROTOBUF_C_LABEL_NONE)
                    *(const char **)((char *)body + bd->fields[j].offset) = j % 2 ? "x" : LONG;
            cmd.cmd_case = (Ladder__V1__Command__CmdCase)fd->id;
            *(ProtobufCMessage **)((char *)&cmd + fd->offset) = body;
            Ladder__V1__Principal pr = LADDER__V1__PRINCIPAL__INIT;
            pr.id = "boss";
            pr.roles = 3;
            Ladder__V1__Command *cp = &cmd;
            Ladder__V1__Request req = LADDER__V1__REQUEST__INIT;
            req.request_id = (ProtobufCBinaryData){5, (uint8_t *)"c1-42"};
            req.principal = &pr;
            req.n_commands = 1;
            req.commands = &cp;
            size_t want = ladder__v1__request__get_packed_size(&req);
            uint8_t *a = malloc(want), *b = malloc(want + 16);
            assert_int_equal(ladder__v1__request__pack(&req, a), want);
            Ladder__V1__Command c = cmd;
            c.base.descriptor = ld_cutdesc_for(&cut, &c.base);
            assert_int_equal(c.base.descriptor->n_fields, 1);
            cp = &c;
            assert_int_equal(ladder__v1__request__get_packed_size(&req), want);
            assert_int_equal(ladder__v1__request__pack(&req, b), want);
            if (memcmp(a, b, want))
                fail_msg("command %s variant %d: the cut packs other bytes than protobuf-c's",
                         fd->name, variant);
            free(a), free(b), free(body);
            kinds++;
        }
    }
    assert_true(kinds > 2 * 30);
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
        cmocka_unit_test(test_request_with_cut_command_is_protobuf_c_packing_for_every_command_kind),
        cmocka_unit_test(test_cutdesc_falls_back_to_the_generated_descriptor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
