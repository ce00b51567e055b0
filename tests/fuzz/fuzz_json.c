/* fuzz_json.c — libFuzzer: arbitrary bytes as proto3 JSON of a Request, both
 * directions of the mapper; a message that decodes must encode again. */
#include <jansson.h>
#include <stdlib.h>

#include "ladder.pb-c.h"
#include "pbjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t je;
    json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY, &je);
    if (!j)
        return 0;
    char err[256];
    ProtobufCMessage *m = pbjson_to_message(&ladder__v1__request__descriptor, j, err, sizeof err);
    if (m) {
        json_t *back = pbjson_from_message(m);
        ProtobufCMessage *m2 = pbjson_to_message(&ladder__v1__request__descriptor, back, err, sizeof err);
        if (!m2)
            abort(); /* what the mapper writes it must read */
        protobuf_c_message_free_unpacked(m2, NULL);
        json_decref(back);
        protobuf_c_message_free_unpacked(m, NULL);
    }
    json_decref(j);
    return 0;
}
