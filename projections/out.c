/* out.c — the output of a decision: the events emitted (envelope filled
 * here, body by the decider), their arena, refusals, and ld_apply, which
 * folds each event as it is emitted so the next decision sees it. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

/* -------------------------------------------------------------- output -- */

static void *out_alloc(void *ctx, size_t n)
{
    return ld_arena_alloc(&((ld_out_t *)ctx)->arena, n);
}

static void out_free(void *ctx, void *p)
{
    (void)ctx, (void)p; /* freed in bulk by ld_out_reset */
}

ld_out_t *ld_out_new(void)
{
    ld_out_t *o = ld_xcalloc(1, sizeof(ld_out_t));
    o->alloc = (ProtobufCAllocator){out_alloc, out_free, o};
    return o;
}

void ld_out_destroy(ld_out_t **o)
{
    if (!o || !*o)
        return;
    ld_arena_free(&(*o)->arena);
    free((*o)->ev);
    free(*o);
    *o = NULL;
}

void ld_out_reset(ld_out_t *o)
{
    o->n = 0;
    ld_arena_reset(&o->arena);
}

size_t ld_out_count(const ld_out_t *o) { return o->n; }
Ladder__V1__Event **ld_out_events(ld_out_t *o) { return o->ev; }

void ld_out_truncate(ld_out_t *o, size_t n)
{
    if (n < o->n)
        o->n = n;
}

void *ld_body_new(ld_out_t *out, const ProtobufCMessageDescriptor *d)
{
    void *m = ld_arena_alloc(&out->arena, d->sizeof_message);
    protobuf_c_message_init(d, m);
    return m;
}

char *ld_ostr(ld_out_t *out, const char *s)
{
    return ld_arena_strdup(&out->arena, s ? s : "");
}

/* snprintf(dst, cap, "%s", s) without the formatter ("" for NULL): a
 * third of the realistic mix is refused (issue 17). */
static void copy_cut(char *dst, size_t cap, const char *s)
{
    size_t n = s ? strnlen(s, cap - 1) : 0;
    memcpy(dst, s ? s : "", n);
    dst[n] = 0;
}

int ld_refuse(ld_core_t *c, int code, const char *section, const char *field, const char *fmt, ...)
{
    ld_refusal_t *w = c->why;
    if (!w)
        return -1;
    w->code = code;
    copy_cut(w->section, sizeof w->section, section);
    copy_cut(w->field, sizeof w->field, field);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->message, sizeof w->message, fmt, ap);
    va_end(ap);
    return -1;
}

Ladder__V1__Event *ld_emit(ld_core_t *c, ld_out_t *out, const ld_ctx_t *ctx, const char *stream_kind,
                        const char *stream_id, Ladder__V1__Event__BodyCase body, uint64_t cause)
{
    if (out->n == out->cap) {
        out->cap = out->cap ? out->cap * 2 : 64;
        out->ev = ld_xrealloc(out->ev, out->cap * sizeof *out->ev);
    }
    Ladder__V1__Event *ev = ld_body_new(out, &ladder__v1__event__descriptor);
    out->ev[out->n++] = ev;
    ev->seq = c->g.next_seq;
    /* A deterministic unique id: the seq, then a hash of the request id. */
    uint8_t *id = ld_arena_alloc(&out->arena, 16);
    /* basis 0, not LD_FNV_BASIS: the ids of the logs already written */
    uint64_t h = ld_fnv1a(ctx->request_id, ctx->request_id_len, 0);
    for (int i = 0; i < 8; i++) {
        id[i] = (uint8_t)(ev->seq >> (56 - 8 * i));
        id[8 + i] = (uint8_t)(h >> (56 - 8 * i));
    }
    ev->id = (ProtobufCBinaryData){16, id};
    size_t kl = strlen(stream_kind), il = stream_id ? strlen(stream_id) : 0;
    char *stream = ld_arena_alloc(&out->arena, kl + il + 2);
    memcpy(stream, stream_kind, kl);
    if (il) {
        stream[kl] = '/';
        memcpy(stream + kl + 1, stream_id, il);
    }
    ev->stream = stream;
    ev->at_ms = ctx->now_ms;
    ev->actor = ld_ostr(out, ctx->principal && *ctx->principal ? ctx->principal : "system");
    if (ctx->request_id_len) {
        uint8_t *rid = ld_arena_alloc(&out->arena, ctx->request_id_len);
        memcpy(rid, ctx->request_id, ctx->request_id_len);
        ev->request_id = (ProtobufCBinaryData){ctx->request_id_len, rid};
    }
    ev->cause_seq = cause;
    ev->rules_version = ld_cur_rules(c)->version;
    ev->body_case = body;
    return ev;
}

int ld_apply(ld_core_t *c, Ladder__V1__Event *ev)
{
    if (ld_core_evolve(c, ev) != 0)
        return ld_refuse(c, LADDER__V1__ERROR_CODE__ERR_INTERNAL, NULL, NULL,
                      "internal: event %llu (%s) did not apply", (unsigned long long)ev->seq,
                      ev->stream);
    return 0;
}
