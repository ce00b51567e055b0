/* pbjson.c — proto3 JSON <-> protobuf-c messages, driven by descriptors
 * (pbjson.h). Decoding builds the message in a scratch arena, packs it and
 * unpacks it again, so the caller gets an ordinary protobuf-c message. */
#include "pbjson.h"

#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- names -- */

static void camel(const char *snake, char *out, size_t len)
{
    size_t j = 0;
    bool up = false;
    for (size_t i = 0; snake[i] && j + 1 < len; i++) {
        if (snake[i] == '_') {
            up = true;
            continue;
        }
        out[j++] = up ? (char)toupper((unsigned char)snake[i]) : snake[i];
        up = false;
    }
    out[j] = 0;
}

static const ProtobufCFieldDescriptor *field_by_json(const ProtobufCMessageDescriptor *d,
                                                     const char *key)
{
    char buf[128];
    for (unsigned i = 0; i < d->n_fields; i++) {
        camel(d->fields[i].name, buf, sizeof buf);
        if (!strcmp(buf, key) || !strcmp(d->fields[i].name, key))
            return &d->fields[i];
    }
    return NULL;
}

/* ------------------------------------------------------------ encode -- */

static json_t *scalar_to_json(const ProtobufCFieldDescriptor *f, const void *p)
{
    char buf[32];
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
        return json_integer(*(const int32_t *)p);
    case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32:
        return json_integer(*(const uint32_t *)p);
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
        snprintf(buf, sizeof buf, "%" PRId64, *(const int64_t *)p);
        return json_string(buf);
    case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
        snprintf(buf, sizeof buf, "%" PRIu64, *(const uint64_t *)p);
        return json_string(buf);
    case PROTOBUF_C_TYPE_FLOAT:
        return json_real(*(const float *)p);
    case PROTOBUF_C_TYPE_DOUBLE:
        return json_real(*(const double *)p);
    case PROTOBUF_C_TYPE_BOOL:
        return json_boolean(*(const protobuf_c_boolean *)p);
    case PROTOBUF_C_TYPE_ENUM: {
        const ProtobufCEnumValue *v =
            protobuf_c_enum_descriptor_get_value(f->descriptor, *(const int *)p);
        return v ? json_string(v->name) : json_integer(*(const int *)p);
    }
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *)p;
        return json_string(s ? s : "");
    }
    case PROTOBUF_C_TYPE_BYTES: {
        const ProtobufCBinaryData *b = p;
        size_t n = sodium_base64_ENCODED_LEN(b->len, sodium_base64_VARIANT_ORIGINAL);
        char *s = malloc(n);
        if (!s)
            abort();
        sodium_bin2base64(s, n, b->data, b->len, sodium_base64_VARIANT_ORIGINAL);
        json_t *j = json_string(s);
        free(s);
        return j;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *m = *(ProtobufCMessage *const *)p;
        return m ? pbjson_from_message(m) : json_object();
    }
    }
    return json_null();
}

static size_t type_size(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64: case PROTOBUF_C_TYPE_DOUBLE:
        return 8;
    case PROTOBUF_C_TYPE_STRING: case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(void *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    default:
        return 4;
    }
}

static bool is_default(const ProtobufCFieldDescriptor *f, const void *p)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *)p;
        return !s || !*s;
    }
    case PROTOBUF_C_TYPE_BYTES:
        return ((const ProtobufCBinaryData *)p)->len == 0;
    case PROTOBUF_C_TYPE_MESSAGE:
        return *(void *const *)p == NULL;
    default: {
        static const uint8_t zero[8];
        return memcmp(p, zero, type_size(f->type)) == 0;
    }
    }
}

json_t *pbjson_from_message(const ProtobufCMessage *msg)
{
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    json_t *o = json_object();
    char name[128];
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        const char *base = (const char *)msg;
        const void *p = base + f->offset;
        camel(f->name, name, sizeof name);
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)(base + f->quantifier_offset);
            if (!n)
                continue;
            json_t *a = json_array();
            const char *arr = *(char *const *)p;
            for (size_t k = 0; k < n; k++)
                json_array_append_new(a, scalar_to_json(f, arr + k * type_size(f->type)));
            json_object_set_new(o, name, a);
        } else if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            if (*(const uint32_t *)(base + f->quantifier_offset) == f->id)
                json_object_set_new(o, name, scalar_to_json(f, p));
        } else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset) {
            if (*(const protobuf_c_boolean *)(base + f->quantifier_offset))
                json_object_set_new(o, name, scalar_to_json(f, p));
        } else if (!is_default(f, p)) {
            json_object_set_new(o, name, scalar_to_json(f, p));
        }
    }
    return o;
}

/* ------------------------------------------------------------ decode -- */

typedef struct blk {
    struct blk *next;
    max_align_t data[];
} blk_t;

typedef struct {
    blk_t *blocks;
    char *err;
    size_t errlen;
} dec_t;

static void *dalloc(dec_t *x, size_t n)
{
    blk_t *b = calloc(1, sizeof *b + (n ? n : 1));
    if (!b)
        abort();
    b->next = x->blocks;
    x->blocks = b;
    return b->data;
}

static int fail(dec_t *x, const char *path, const char *what)
{
    snprintf(x->err, x->errlen, "%s: %s", *path ? path : "(top)", what);
    return -1;
}

static int build(dec_t *x, const ProtobufCMessageDescriptor *d, json_t *j, ProtobufCMessage *m,
                 const char *path);

static int int_of(dec_t *x, json_t *v, const char *path, bool is64, bool sign, void *out,
                  size_t size)
{
    long long ll = 0;
    unsigned long long ull = 0;
    if (json_is_integer(v)) {
        ll = json_integer_value(v);
        if (!sign && ll < 0)
            return fail(x, path, "must not be negative");
        ull = (unsigned long long)ll;
    } else if (json_is_string(v) && is64) {
        const char *s = json_string_value(v);
        char *end;
        errno = 0;
        if (sign)
            ll = strtoll(s, &end, 10), ull = (unsigned long long)ll;
        else
            ull = strtoull(s, &end, 10), ll = (long long)ull;
        if (errno || !*s || *end || (!sign && *s == '-'))
            return fail(x, path, "must be an integer (as a number or a decimal string)");
    } else {
        return fail(x, path, is64 ? "must be an integer or a decimal string" : "must be an integer");
    }
    if (size == 4) {
        if (sign && (ll < INT32_MIN || ll > INT32_MAX))
            return fail(x, path, "out of range for a 32-bit integer");
        if (!sign && ull > UINT32_MAX)
            return fail(x, path, "out of range for a 32-bit unsigned integer");
        if (sign) {
            int32_t v32 = (int32_t)ll;
            memcpy(out, &v32, 4);
        } else {
            uint32_t v32 = (uint32_t)ull;
            memcpy(out, &v32, 4);
        }
    } else if (sign) {
        int64_t v64 = ll;
        memcpy(out, &v64, 8);
    } else {
        uint64_t v64 = ull;
        memcpy(out, &v64, 8);
    }
    return 0;
}

static int scalar_of(dec_t *x, const ProtobufCFieldDescriptor *f, json_t *v, void *out,
                     const char *path)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
        return int_of(x, v, path, false, true, out, 4);
    case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32:
        return int_of(x, v, path, false, false, out, 4);
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
        return int_of(x, v, path, true, true, out, 8);
    case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
        return int_of(x, v, path, true, false, out, 8);
    case PROTOBUF_C_TYPE_FLOAT:
        if (!json_is_number(v))
            return fail(x, path, "must be a number");
        *(float *)out = (float)json_number_value(v);
        return 0;
    case PROTOBUF_C_TYPE_DOUBLE:
        if (!json_is_number(v))
            return fail(x, path, "must be a number");
        *(double *)out = json_number_value(v);
        return 0;
    case PROTOBUF_C_TYPE_BOOL:
        if (!json_is_boolean(v))
            return fail(x, path, "must be true or false");
        *(protobuf_c_boolean *)out = json_is_true(v);
        return 0;
    case PROTOBUF_C_TYPE_ENUM: {
        const ProtobufCEnumDescriptor *ed = f->descriptor;
        if (json_is_integer(v)) {
            *(int *)out = (int)json_integer_value(v);
            return 0;
        }
        if (!json_is_string(v))
            return fail(x, path, "must be an enum name (string) or number");
        const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value_by_name(ed, json_string_value(v));
        if (!ev) {
            char msg[256];
            snprintf(msg, sizeof msg, "\"%s\" is not a value of %s", json_string_value(v), ed->name);
            return fail(x, path, msg);
        }
        *(int *)out = ev->value;
        return 0;
    }
    case PROTOBUF_C_TYPE_STRING:
        if (!json_is_string(v))
            return fail(x, path, "must be a string");
        {
            size_t n = json_string_length(v);
            char *s = dalloc(x, n + 1);
            memcpy(s, json_string_value(v), n + 1);
            *(char **)out = s;
        }
        return 0;
    case PROTOBUF_C_TYPE_BYTES: {
        if (!json_is_string(v))
            return fail(x, path, "must be a base64 string");
        const char *s = json_string_value(v);
        size_t n = strlen(s), bin_len;
        uint8_t *bin = dalloc(x, n);
        if (sodium_base642bin(bin, n, s, n, NULL, &bin_len, NULL, sodium_base64_VARIANT_ORIGINAL) &&
            sodium_base642bin(bin, n, s, n, NULL, &bin_len, NULL,
                              sodium_base64_VARIANT_URLSAFE_NO_PADDING))
            return fail(x, path, "is not valid base64");
        ((ProtobufCBinaryData *)out)->data = bin;
        ((ProtobufCBinaryData *)out)->len = bin_len;
        return 0;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessageDescriptor *md = f->descriptor;
        if (!json_is_object(v))
            return fail(x, path, "must be an object");
        ProtobufCMessage *sub = dalloc(x, md->sizeof_message);
        protobuf_c_message_init(md, sub);
        *(ProtobufCMessage **)out = sub;
        return build(x, md, v, sub, path);
    }
    }
    return fail(x, path, "unsupported field type");
}

static int build(dec_t *x, const ProtobufCMessageDescriptor *d, json_t *j, ProtobufCMessage *m,
                 const char *path)
{
    if (!json_is_object(j))
        return fail(x, path, "must be an object");
    const char *key;
    json_t *v;
    json_object_foreach(j, key, v) {
        char sub[512];
        snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", key);
        const ProtobufCFieldDescriptor *f = field_by_json(d, key);
        if (!f) {
            char msg[160];
            snprintf(msg, sizeof msg, "unknown field of %s", d->name);
            return fail(x, sub, msg);
        }
        char *base = (char *)m;
        if (json_is_null(v))
            continue;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            if (!json_is_array(v))
                return fail(x, sub, "must be an array");
            size_t n = json_array_size(v), sz = type_size(f->type);
            char *arr = dalloc(x, n * sz);
            for (size_t k = 0; k < n; k++) {
                char ip[540];
                snprintf(ip, sizeof ip, "%s[%zu]", sub, k);
                if (scalar_of(x, f, json_array_get(v, k), arr + k * sz, ip))
                    return -1;
            }
            *(size_t *)(base + f->quantifier_offset) = n;
            *(char **)(base + f->offset) = arr;
            continue;
        }
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            uint32_t *qcase = (uint32_t *)(base + f->quantifier_offset);
            if (*qcase && *qcase != f->id)
                return fail(x, sub, "a second member of the same oneof");
            *qcase = f->id;
        } else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset) {
            *(protobuf_c_boolean *)(base + f->quantifier_offset) = 1;
        }
        if (scalar_of(x, f, v, base + f->offset, sub))
            return -1;
    }
    return 0;
}

ProtobufCMessage *pbjson_to_message(const ProtobufCMessageDescriptor *d, json_t *json,
                                    char *err, size_t errlen)
{
    dec_t x = {NULL, err, errlen};
    ProtobufCMessage *tmp = dalloc(&x, d->sizeof_message), *out = NULL;
    protobuf_c_message_init(d, tmp);
    if (build(&x, d, json, tmp, "") == 0) {
        size_t n = protobuf_c_message_get_packed_size(tmp);
        uint8_t *buf = malloc(n + 1);
        if (!buf)
            abort();
        protobuf_c_message_pack(tmp, buf);
        out = protobuf_c_message_unpack(d, NULL, n, buf);
        free(buf);
        if (!out)
            snprintf(err, errlen, "the message does not encode (a required nested value is missing)");
    }
    for (blk_t *b = x.blocks, *nb; b; b = nb) {
        nb = b->next;
        free(b);
    }
    return out;
}
