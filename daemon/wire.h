/* wire.h — checks on raw protobuf bytes before they are decoded. */
#ifndef LD_WIRE_H
#define LD_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#define LD_WIRE_MAX_DEPTH 64

/* Whether a message of descriptor d nests deeper than LD_WIRE_MAX_DEPTH.
 * protobuf-c decodes by recursion with no limit, so a long enough chain of
 * messages exhausts the stack (a 394 KB request nested 100 000 deep did).
 * Bytes that do not parse return false: the decoder refuses them. */
bool ld_wire_too_deep(const ProtobufCMessageDescriptor *d, const uint8_t *p, size_t len);

#endif
