/* wire.c — the checks of wire.h on raw protobuf bytes: iterative within a
 * message, recursive only into message-typed fields and never deeper than
 * the limit. */
#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ld_error.h"

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

/* ---------------------------------------------------------- Ok replies -- */

static size_t varint_size(uint64_t v)
{
    size_t n = 1;
    for (; v >= 0x80; v >>= 7)
        n++;
    return n;
}

static uint8_t *varint_out(uint8_t *p, uint64_t v)
{
    for (; v >= 0x80; v >>= 7)
        *p++ = (uint8_t)(v | 0x80);
    *p++ = (uint8_t)v;
    return p;
}

/* Ok's size: seqs (field 1, packed) when there are any; nothing else set. */
static size_t ok_size(const uint64_t *seqs, size_t n)
{
    if (!n)
        return 0;
    size_t body = 0;
    for (size_t i = 0; i < n; i++)
        body += varint_size(seqs[i]);
    return 1 + varint_size(body) + body;
}

size_t ld_wire_reply_seqs_size(size_t rid_len, const uint64_t *seqs, size_t n)
{
    size_t ok = ok_size(seqs, n);
    return (rid_len ? 1 + varint_size(rid_len) + rid_len : 0) + 1 + varint_size(ok) + ok;
}

size_t ld_wire_reply_seqs(uint8_t *out, const uint8_t *rid, size_t rid_len, const uint64_t *seqs,
                          size_t n)
{
    uint8_t *p = out;
    if (rid_len) {
        *p++ = 1 << 3 | 2; /* Reply.request_id */
        p = varint_out(p, rid_len);
        memcpy(p, rid, rid_len);
        p += rid_len;
    }
    *p++ = 2 << 3 | 2; /* Reply.ok */
    p = varint_out(p, ok_size(seqs, n));
    if (n) {
        size_t body = 0;
        for (size_t i = 0; i < n; i++)
            body += varint_size(seqs[i]);
        *p++ = 1 << 3 | 2; /* Ok.seqs, packed */
        p = varint_out(p, body);
        for (size_t i = 0; i < n; i++)
            p = varint_out(p, seqs[i]);
    }
    return (size_t)(p - out);
}

/* --------------------------------------------------------- Error replies -- */

static size_t str_field(size_t n)
{
    return n ? 1 + varint_size(n) + n : 0;
}

static uint8_t *str_out(uint8_t *p, unsigned id, const char *v, size_t n)
{
    if (!n)
        return p;
    *p++ = (uint8_t)(id << 3 | 2);
    p = varint_out(p, n);
    memcpy(p, v, n);
    return p + n;
}

/* Error's size: zero values are left out, as protobuf-c does for proto3. */
static size_t error_size(int code, size_t ml, size_t fl, size_t sl, uint32_t index)
{
    return (code ? 1 + varint_size((uint64_t)(uint32_t)code) : 0) + str_field(ml) + str_field(fl) +
           str_field(sl) + (index ? 1 + varint_size(index) : 0);
}

size_t ld_wire_reply_error_size(size_t rid_len, int code, const char *message, const char *field,
                                const char *section, uint32_t index)
{
    size_t e = error_size(code, strlen(message), strlen(field), strlen(section), index);
    return (rid_len ? 1 + varint_size(rid_len) + rid_len : 0) + 1 + varint_size(e) + e;
}

size_t ld_wire_reply_error(uint8_t *out, const uint8_t *rid, size_t rid_len, int code,
                           const char *message, const char *field, const char *section,
                           uint32_t index)
{
    size_t ml = strlen(message), fl = strlen(field), sl = strlen(section);
    uint8_t *p = str_out(out, 1, (const char *)rid, rid_len); /* Reply.request_id */
    *p++ = 3 << 3 | 2;                                         /* Reply.error */
    p = varint_out(p, error_size(code, ml, fl, sl, index));
    if (code) {
        *p++ = 1 << 3; /* Error.code */
        p = varint_out(p, (uint64_t)(uint32_t)code);
    }
    p = str_out(p, 2, message, ml);
    p = str_out(p, 3, field, fl);
    p = str_out(p, 4, section, sl);
    if (index) {
        *p++ = 5 << 3; /* Error.command_index */
        p = varint_out(p, index);
    }
    return (size_t)(p - out);
}

/* ------------------------------------------------ cut descriptors -- */

int ld_cutdesc_init(ld_cutdesc_t *c, const ProtobufCMessageDescriptor *d)
{
    memset(c, 0, sizeof *c);
    unsigned n_plain = 0, max_id = 0;
    size_t case_off = SIZE_MAX;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)) {
            n_plain++;
            continue;
        }
        if (case_off != SIZE_MAX && f->quantifier_offset != case_off)
            return LD_EINVAL;
        case_off = f->quantifier_offset;
        if (f->id > max_id)
            max_id = f->id;
    }
    if (case_off == SIZE_MAX)
        return LD_EINVAL; /* no oneof: nothing to cut */
    c->n = (size_t)max_id + 1;
    c->desc = calloc(c->n, sizeof *c->desc);
    c->fields = calloc(c->n * (n_plain + 1), sizeof *c->fields);
    if (!c->desc || !c->fields) {
        ld_cutdesc_free(c);
        return LD_ENOMEM;
    }
    /* id 0 (no member set): the plain fields only; id k: and member k, in
     * the descriptor's order (field number order, as protobuf-c packs) */
    for (unsigned id = 0; id <= max_id; id++) {
        ProtobufCFieldDescriptor *out = c->fields + (size_t)id * (n_plain + 1);
        unsigned n = 0;
        bool member = id == 0;
        for (unsigned i = 0; i < d->n_fields; i++) {
            const ProtobufCFieldDescriptor *f = &d->fields[i];
            if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
                out[n++] = *f;
            else if (f->id == id)
                out[n++] = *f, member = true;
        }
        if (!member)
            continue;
        c->desc[id] = *d;
        c->desc[id].n_fields = n;
        c->desc[id].fields = out;
    }
    c->of = d;
    c->case_off = case_off;
    return 0;
}

void ld_cutdesc_free(ld_cutdesc_t *c)
{
    free(c->desc);
    free(c->fields);
    memset(c, 0, sizeof *c);
}

const ProtobufCMessageDescriptor *ld_cutdesc_for(const ld_cutdesc_t *c, const ProtobufCMessage *m)
{
    if (!c->of || m->descriptor != c->of || m->n_unknown_fields)
        return m->descriptor;
    uint32_t id;
    memcpy(&id, (const char *)m + c->case_off, sizeof id);
    if (id < c->n && c->desc[id].fields)
        return &c->desc[id];
    return m->descriptor;
}
