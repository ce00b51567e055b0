/* wire.c — the checks of wire.h on raw protobuf bytes: iterative within a
 * message, recursive only into message-typed fields and never deeper than
 * the limit. */
#include "wire.h"

#include <stdio.h>
#include <string.h>

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

bool ld_utf8_strict(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        uint8_t lo = 0x80, hi = 0xbf; /* bounds of the second byte */
        if (c >= 0xc2 && c <= 0xdf)
            need = 1;
        else if (c >= 0xe0 && c <= 0xef) {
            need = 2;
            if (c == 0xe0)
                lo = 0xa0; /* overlong below U+0800 */
            else if (c == 0xed)
                hi = 0x9f; /* surrogates U+D800..U+DFFF */
        } else if (c >= 0xf0 && c <= 0xf4) {
            need = 3;
            if (c == 0xf0)
                lo = 0x90; /* overlong below U+10000 */
            else if (c == 0xf4)
                hi = 0x8f; /* above U+10FFFF */
        } else {
            return false; /* C0, C1 (overlong), F5..FF, a lone continuation */
        }
        if (n - i - 1 < need || s[i + 1] < lo || s[i + 1] > hi)
            return false;
        for (size_t k = 2; k <= need; k++)
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
        i += need + 1;
    }
    return true;
}

/* The message fields walked into, outermost first: the path of a fault is
 * written from them only when there is one (a snprintf per field walked
 * was a twentieth of the loop at saturation, perf). */
typedef struct {
    const char *names[LD_WIRE_MAX_DEPTH + 2];
} walk_t;

/* Writes the dotted path of names[0..n) then last (if not NULL) into path. */
static void path_write(const walk_t *w, int n, const char *last, char *path, size_t cap)
{
    size_t at = 0;
    for (int i = 0; i <= n && at < cap; i++) {
        const char *name = i < n ? w->names[i] : last;
        if (!name)
            break;
        int k = snprintf(path + at, cap - at, "%s%s", at ? "." : "", name);
        if (k < 0)
            break;
        at += (size_t)k;
    }
}

/* Returns the first fault; *fdepth gets how many names of w lead to it and
 * *leaf the string field's name (NULL for a message too deep). */
static ld_wire_fault_t walk(const ProtobufCMessageDescriptor *d, const uint8_t *p, size_t len,
                            int depth, walk_t *w, int *fdepth, const char **leaf)
{
    if (depth > LD_WIRE_MAX_DEPTH) {
        *fdepth = depth; /* names[0..depth) lead here */
        *leaf = NULL;
        return LD_WIRE_DEEP;
    }
    const uint8_t *end = p + len;
    while (p < end) {
        uint64_t key, v;
        if (!varint(&p, end, &key))
            return LD_WIRE_OK;
        switch (key & 7) {
        case 0:
            if (!varint(&p, end, &v))
                return LD_WIRE_OK;
            break;
        case 1:
            if ((size_t)(end - p) < 8)
                return LD_WIRE_OK;
            p += 8;
            break;
        case 5:
            if ((size_t)(end - p) < 4)
                return LD_WIRE_OK;
            p += 4;
            break;
        case 2: {
            if (!varint(&p, end, &v) || v > (uint64_t)(end - p))
                return LD_WIRE_OK;
            const ProtobufCFieldDescriptor *f =
                protobuf_c_message_descriptor_get_field(d, (unsigned)(key >> 3));
            if (f && f->type == PROTOBUF_C_TYPE_MESSAGE) {
                w->names[depth] = f->name;
                ld_wire_fault_t r = walk(f->descriptor, p, (size_t)v, depth + 1, w, fdepth, leaf);
                if (r != LD_WIRE_OK)
                    return r;
            } else if (f && f->type == PROTOBUF_C_TYPE_STRING) {
                ld_wire_fault_t r = memchr(p, 0, (size_t)v)          ? LD_WIRE_NUL
                                    : !ld_utf8_strict(p, (size_t)v) ? LD_WIRE_UTF8
                                                                    : LD_WIRE_OK;
                if (r != LD_WIRE_OK) {
                    *fdepth = depth;
                    *leaf = f->name;
                    return r;
                }
            }
            p += v;
            break;
        }
        default:
            return LD_WIRE_OK;
        }
    }
    return LD_WIRE_OK;
}

ld_wire_fault_t ld_wire_check(const ProtobufCMessageDescriptor *d, const uint8_t *p, size_t len,
                              char *path, size_t pathlen)
{
    walk_t w;
    int n = 0;
    const char *leaf = NULL;
    if (path && pathlen)
        path[0] = 0;
    ld_wire_fault_t r = walk(d, p, len, 0, &w, &n, &leaf);
    if (r != LD_WIRE_OK && path && pathlen)
        path_write(&w, n, leaf, path, pathlen);
    return r;
}

bool ld_wire_too_deep(const ProtobufCMessageDescriptor *d, const uint8_t *p, size_t len)
{
    return ld_wire_check(d, p, len, NULL, 0) == LD_WIRE_DEEP;
}
