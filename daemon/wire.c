/* wire.c — the nesting walk of wire.h: iterative within a message, recursive
 * only into message-typed fields and never deeper than the limit. */
#include "wire.h"

static bool varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return true;
    }
    return false;
}

static bool deep(const ProtobufCMessageDescriptor *d, const uint8_t *p, size_t len, int depth)
{
    if (depth > LD_WIRE_MAX_DEPTH)
        return true;
    const uint8_t *end = p + len;
    while (p < end) {
        uint64_t key, v;
        if (!varint(&p, end, &key))
            return false;
        switch (key & 7) {
        case 0:
            if (!varint(&p, end, &v))
                return false;
            break;
        case 1:
            if ((size_t)(end - p) < 8)
                return false;
            p += 8;
            break;
        case 5:
            if ((size_t)(end - p) < 4)
                return false;
            p += 4;
            break;
        case 2: {
            if (!varint(&p, end, &v) || v > (uint64_t)(end - p))
                return false;
            const ProtobufCFieldDescriptor *f =
                protobuf_c_message_descriptor_get_field(d, (unsigned)(key >> 3));
            if (f && f->type == PROTOBUF_C_TYPE_MESSAGE && deep(f->descriptor, p, (size_t)v, depth + 1))
                return true;
            p += v;
            break;
        }
        default:
            return false;
        }
    }
    return false;
}

bool ld_wire_too_deep(const ProtobufCMessageDescriptor *d, const uint8_t *p, size_t len)
{
    return deep(d, p, len, 0);
}
