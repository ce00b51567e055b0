/* pbjson.h — the proto3 canonical JSON mapping over protobuf-c descriptors,
 * both directions, once for every message (issue: "JSON, once, generically").
 *
 * lowerCamelCase names (the proto names are accepted on input too), 64-bit
 * integers as strings (numbers accepted on input), bytes as base64, enums by
 * name (numbers accepted on input), default values omitted on output. Fields
 * of a oneof are written when their case is set, even at their default.
 */
#ifndef LD_PBJSON_H
#define LD_PBJSON_H

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

/* Returns a new JSON object for msg. Caller owns it (json_decref). */
json_t *pbjson_from_message(const ProtobufCMessage *msg);

/* Builds a message of descriptor d from a JSON object. Returns the message
 * (free it with protobuf_c_message_free_unpacked(m, NULL)), or NULL with the
 * JSON path of the offending value and a sentence in err. Unknown fields and
 * wrong types are errors. */
ProtobufCMessage *pbjson_to_message(const ProtobufCMessageDescriptor *d, json_t *json,
                                    char *err, size_t errlen);

#endif
