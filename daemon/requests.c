/* requests.c — one request from its frame to its held reply (shell.h).
 *
 * Owns the request path of the current batch: decoding (size and depth
 * checked before protobuf-c sees the bytes), validation, the principal bound
 * to a CURVE key, §12 deduplication (this batch's request ids, the batch being
 * committed, then the store) and the decision of commands, each request under
 * a savepoint so it is all or nothing. Queries go to reads.c. Replies are
 * packed into the batch blob and held until batches.c says the commit returned.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <sys/random.h>

#include "fnv.h"
#include "shell.h"
#include "wire.h"

#define E(x) LADDER__V1__ERROR_CODE__##x

pending_t *ld_requests_new(batch_t *b, const uint8_t *ident, size_t ident_len)
{
    b->p = ld_grow(b->p, &b->cap, b->n + 1, sizeof *b->p);
    pending_t *p = &b->p[b->n++];
    memset(p, 0, offsetof(pending_t, stream) + 1);
    p->dup_of = -1;
    p->ident_len = (uint8_t)(ident_len > 255 ? 255 : ident_len);
    memcpy(p->ident, ident, p->ident_len);
    return p;
}

void ld_requests_set_reply(batch_t *b, pending_t *p, const Ladder__V1__Reply *r)
{
    p->reply_off = ld_batch_pack(b, &r->base, &p->reply_len);
}

/* Sets p's reply to Ok with the seqs of its events (wire.c packs it). */
static void set_reply_seqs(batch_t *b, pending_t *p, const uint64_t *seqs, size_t n)
{
    size_t len = ld_wire_reply_seqs_size(p->rid_len, seqs, n);
    b->blob = ld_grow(b->blob, &b->bcap, b->blen + len, 1);
    p->reply_off = b->blen;
    p->reply_len = ld_wire_reply_seqs(b->blob + b->blen, p->rid, p->rid_len, seqs, n);
    b->blen += p->reply_len;
}

/* Sets p's reply to the refusal (wire.c packs it) and counts it. */
static void set_reply_error(server_t *s, batch_t *b, pending_t *p, int code, const char *section,
                            const char *field, uint32_t index, const char *msg)
{
    field = field ? field : "";
    section = section ? section : "";
    size_t len = ld_wire_reply_error_size(p->rid_len, code, msg, field, section, index);
    b->blob = ld_grow(b->blob, &b->bcap, b->blen + len, 1);
    p->reply_off = b->blen;
    p->reply_len =
        ld_wire_reply_error(b->blob + b->blen, p->rid, p->rid_len, code, msg, field, section, index);
    b->blen += p->reply_len;
    s->st.errors++;
    s->st.refused[code > 0 && code < LD_ERROR_CODES ? code : 0]++;
}

void ld_requests_error(server_t *s, batch_t *b, pending_t *p, int code, const char *section,
                       const char *field, uint32_t index, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    set_reply_error(s, b, p, code, section, field, index, msg);
}

/* ------------------------------------------------------- §12 request ids -- */

static uint64_t rid_hash(const uint8_t *r, size_t n)
{
    return ld_fnv1a(r, n, LD_FNV_BASIS) | 1;
}

static long rid_find(const batch_t *b, const uint8_t *r, size_t n)
{
    if (!b->rids.cap)
        return -1;
    uint64_t h = rid_hash(r, n);
    for (size_t i = h & (b->rids.cap - 1); b->rids.h[i]; i = (i + 1) & (b->rids.cap - 1)) {
        const pending_t *p = &b->p[b->rids.idx[i]];
        if (b->rids.h[i] == h && p->key_len == n && !memcmp(p->key, r, n))
            return b->rids.idx[i];
    }
    return -1;
}

static void rid_add(batch_t *b, uint32_t idx)
{
    ridmap_t *m = &b->rids;
    if ((m->n + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 256;
        uint64_t *h = calloc(cap, sizeof *h);
        uint32_t *ix = calloc(cap, sizeof *ix);
        if (!h || !ix)
            abort();
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->h[i])
                continue;
            size_t j = m->h[i] & (cap - 1);
            while (h[j])
                j = (j + 1) & (cap - 1);
            h[j] = m->h[i];
            ix[j] = m->idx[i];
        }
        free(m->h);
        free(m->idx);
        m->h = h, m->idx = ix, m->cap = cap;
    }
    const pending_t *p = &b->p[idx];
    uint64_t h = rid_hash(p->key, p->key_len);
    size_t i = h & (m->cap - 1);
    while (m->h[i])
        i = (i + 1) & (m->cap - 1);
    m->h[i] = h;
    m->idx[i] = idx;
    m->n++;
}

static size_t varint_len(uint64_t v)
{
    size_t n = 1;
    for (; v >= 0x80; v >>= 7)
        n++;
    return n;
}

static uint8_t *varint_put(uint8_t *p, uint64_t v)
{
    for (; v >= 0x80; v >>= 7)
        *p++ = (uint8_t)(v | 0x80);
    *p++ = (uint8_t)v;
    return p;
}

/* The member message set in c's oneof when protobuf-c would pack c as that
 * member alone (Command has no field outside its oneof and c no unknown
 * fields), else NULL. protobuf-c sizes and packs a Command by visiting all of
 * its ~45 members (~4k instructions a command, perf); the member alone is a
 * small message. *id gets its field number. */
static const ProtobufCMessage *command_member(const Ladder__V1__Command *c, unsigned *id)
{
    const ProtobufCMessageDescriptor *d = c->base.descriptor;
    if (d != &ladder__v1__command__descriptor || c->base.n_unknown_fields || !c->cmd_case)
        return NULL;
    const ProtobufCFieldDescriptor *f = NULL;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *g = &d->fields[i];
        if (!(g->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) ||
            g->quantifier_offset != offsetof(Ladder__V1__Command, cmd_case))
            return NULL;
        if (g->id == (unsigned)c->cmd_case)
            f = g;
    }
    if (!f || f->type != PROTOBUF_C_TYPE_MESSAGE)
        return NULL;
    *id = f->id;
    return *(ProtobufCMessage *const *)((const char *)c + f->offset);
}

/* Each command is packed into one buffer (the oneof member after its tag and
 * length, which is what protobuf-c writes for a Command) and hashed with one
 * update: packing into the hash (protobuf-c's buffer interface) made one
 * BLAKE2b update per field. The bytes hashed are the ones hashed before, so
 * digests stored before still match (§12). */
void ld_requests_digest(const Ladder__V1__Request *req, uint8_t out[LD_HASH_LEN])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, LD_HASH_LEN);
    uint8_t stack[2048], *buf = stack;
    size_t cap = sizeof stack;
    for (size_t i = 0; i < req->n_commands; i++) {
        const Ladder__V1__Command *c = req->commands[i];
        unsigned id = 0;
        const ProtobufCMessage *m = command_member(c, &id);
        size_t mlen = m ? protobuf_c_message_get_packed_size(m) : 0;
        uint64_t n = m ? varint_len((uint64_t)id << 3 | 2) + varint_len(mlen) + mlen
                       : protobuf_c_message_get_packed_size(&c->base);
        if (8 + n > cap) {
            if (buf != stack)
                free(buf);
            cap = 8 + n;
            if (!(buf = malloc(cap)))
                abort();
        }
        for (int k = 0; k < 8; k++)
            buf[k] = (uint8_t)(n >> (56 - 8 * k));
        if (m) {
            uint8_t *p = varint_put(varint_put(buf + 8, (uint64_t)id << 3 | 2), mlen);
            protobuf_c_message_pack(m, p);
        } else {
            protobuf_c_message_pack(&c->base, buf + 8);
        }
        crypto_generichash_update(&st, buf, 8 + n);
    }
    if (buf != stack)
        free(buf);
    crypto_generichash_final(&st, out, LD_HASH_LEN);
}

static void reply_reused(server_t *s, batch_t *b, pending_t *p)
{
    ld_requests_error(s, b, p, E(ERR_ID_REUSED), "§12", "request_id", 0,
                      "request_id: already used by this principal for different commands; "
                      "nothing was written (use a new request id)");
}

/* ------------------------------------------------------------- commands -- */

void ld_requests_commands(server_t *s, pending_t *p, Ladder__V1__Request *req)
{
    batch_t *b = s->batches.cur;
    ld_ctx_t ctx = {0, req->principal ? req->principal->id : "",
                    req->principal ? req->principal->roles : 0, p->rid, p->rid_len};
    uint32_t mark = ld_core_savepoint(s->core);
    size_t start = ld_out_count(b->out);
    ld_refusal_t why;
    for (size_t k = 0; k < req->n_commands; k++) {
        Ladder__V1__Command *cmd = req->commands[k];
        if (cmd->cmd_case == LADDER__V1__COMMAND__CMD_ADVANCE_CLOCK && !s->cfg.manual_clock) {
            ld_core_rollback(s->core, mark);
            ld_core_release(s->core);
            ld_out_truncate(b->out, start);
            ld_requests_error(s, b, p, E(ERR_INVALID), "", "advance_clock", (uint32_t)k,
                              "advance_clock: refused: ladderd runs on the system clock "
                              "(start it with --clock manual to move time)");
            return;
        }
        if (cmd->cmd_case == LADDER__V1__COMMAND__CMD_DRAW_EXAM && cmd->draw_exam->seed == 0) {
            uint64_t seed = 0;
            while (seed == 0 && getrandom(&seed, sizeof seed, 0) != sizeof seed)
                ;
            cmd->draw_exam->seed = seed ? seed : 1;
        }
        ctx.now_ms = ld_server_now(s);
        if (ld_core_execute(s->core, cmd, &ctx, b->out, &why) != 0) {
            ld_core_rollback(s->core, mark);
            ld_core_release(s->core);
            ld_out_truncate(b->out, start);
            char field[160];
            if (req->n_commands > 1 && why.field[0])
                snprintf(field, sizeof field, "commands[%zu].%s", k, why.field);
            /* the core's words as they are (a refusal is nearly half the
             * requests at saturation: no formatting of what is formatted) */
            why.message[sizeof why.message - 1] = 0;
            why.field[sizeof why.field - 1] = 0;
            why.section[sizeof why.section - 1] = 0;
            set_reply_error(s, b, p, why.code, why.section,
                            req->n_commands > 1 && why.field[0] ? field : why.field, (uint32_t)k,
                            why.message);
            return;
        }
        if (cmd->cmd_case == LADDER__V1__COMMAND__CMD_ADVANCE_CLOCK) {
            s->manual_now = cmd->advance_clock->to_ms;
            s->clock_moved = true;
        }
        s->st.commands++;
    }
    ld_core_release(s->core);
    p->n_commands = (uint32_t)req->n_commands;
    size_t end = ld_out_count(b->out);
    Ladder__V1__Event **ev = ld_out_events(b->out);
    uint64_t seqs[256], *sp = end - start <= 256 ? seqs : malloc((end - start) * sizeof *sp);
    if (!sp)
        abort();
    for (size_t k = start; k < end; k++)
        sp[k - start] = ev[k]->seq;
    set_reply_seqs(b, p, sp, end - start);
    if (sp != seqs)
        free(sp);
    p->has_events = end > start;
    p->first_seq = end > start ? ev[start]->seq : 0;
    p->ev_start = start;
    p->ev_end = end;
    ld_publisher_hold(s, b, start, end);
}

/* §12 with the write-ahead log: a key of a batch acknowledged but not yet in
 * LMDB (batches.c keeps those batches until L has written them). Returns 0
 * with its first seq, count and digest, or LD_ENOTFOUND. */
static int acked_find(server_t *s, const uint8_t *key, size_t len, uint64_t *first,
                      uint32_t *count, uint8_t digest[LD_HASH_LEN])
{
    for (size_t i = 0; s->batches.wal && i < LD_BATCHES; i++) {
        const batch_t *a = &s->batches.b[i];
        if (a->state != LD_B_ACKED && a->state != LD_B_LMDB)
            continue;
        long k = rid_find(a, key, len);
        if (k < 0)
            continue;
        const pending_t *q = &a->p[k];
        *first = q->first_seq; /* not the Event: L may be writing it */
        *count = (uint32_t)(q->ev_end - q->ev_start);
        memcpy(digest, q->digest, LD_HASH_LEN);
        return 0;
    }
    return LD_ENOTFOUND;
}

/* A request id already written answers with the seqs it got then (§12). */
static void answer_written(batch_t *b, pending_t *p, uint64_t first, uint32_t count)
{
    uint64_t seqs[256], *sp = count <= 256 ? seqs : malloc(count * sizeof *sp);
    if (!sp)
        abort();
    for (uint32_t k = 0; k < count; k++)
        sp[k] = first + k;
    set_reply_seqs(b, p, sp, count);
    if (sp != seqs)
        free(sp);
}

/* Commands with a request id: §12 deduplication, then the decision. */
static void dedup_and_decide(server_t *s, pending_t *p, Ladder__V1__Request *req)
{
    batch_t *b = s->batches.cur, *w = s->batches.writing;
    /* §12 deduplication, per principal: a request id this principal used
     * before answers as it did when its commands are the same (digest), and
     * is refused when they differ */
    p->key_len = (uint8_t)ld_store_request_key(
        p->key, req->principal && req->principal->id ? req->principal->id : "", p->rid, p->rid_len);
    if (!p->key_len) {
        ld_requests_error(s, b, p, E(ERR_INVALID), "§1", "principal.id", 0,
                          "principal.id: at most %d bytes", LD_PRINCIPAL_MAX);
        return;
    }
    uint64_t seen_h = ld_seen_hash(s, p->key, p->key_len); /* its bits load meanwhile */
    ld_requests_digest(req, p->digest);
    long dup = rid_find(b, p->key, p->key_len);
    if (dup < 0 && w && s->batches.committing)
        dup = rid_find(w, p->key, p->key_len) >= 0 ? -2 : -1;
    uint64_t first;
    uint32_t count;
    uint8_t digest[LD_HASH_LEN];
    /* the store is read only when the key may be there (seen.c); with the
     * WAL, first in the batches acknowledged but not yet in LMDB */
    int grc = LD_ENOTFOUND;
    if (dup == -1 && ld_seen_maybe_hash(s, seen_h) &&
        (grc = acked_find(s, p->key, p->key_len, &first, &count, digest)) == LD_ENOTFOUND)
        grc = ld_store_request_get(s->store, p->key, p->key_len, &first, &count, digest);
    if (dup >= 0 && memcmp(b->p[dup].digest, p->digest, LD_HASH_LEN)) {
        reply_reused(s, b, p);
    } else if (dup >= 0) {
        p->dup_of = dup;
    } else if (dup == -2) {
        ld_requests_error(s, b, p, E(ERR_CONFLICT), "§12", "request_id", 0,
                          "§12: this request id is being committed; ask again for its outcome");
    } else if (grc != 0 && grc != LD_ENOTFOUND) {
        /* not knowing whether it was written, it must not be decided again */
        ld_requests_error(s, b, p, E(ERR_UNAVAILABLE), "§12", "request_id", 0,
                          "request_id: cannot look it up (%s); nothing of this request was written",
                          ld_strerror(grc));
    } else if (grc == 0 && memcmp(digest, p->digest, LD_HASH_LEN)) {
        reply_reused(s, b, p);
    } else if (grc == 0) {
        answer_written(b, p, first, count);
    } else {
        ld_requests_commands(s, p, req);
        if (p->has_events)
            rid_add(b, (uint32_t)(p - b->p));
        /* deadlines a decision made due are decided before the batch is
         * submitted (batches.c), once per loop turn rather than per request:
         * finding the next one costs a sweep of the library's partitions
         * whenever a case changed; a clock moved by AdvanceClock fires them
         * before the next request is decided */
        if (s->clock_moved)
            ld_deadlines_fire(s);
        else
            s->deadlines_due = true;
        s->clock_moved = false;
    }
}

void ld_requests_release(server_t *s, batch_t *b, pending_t *p)
{
    if (p->internal || p->sent || p->dup_of >= 0 ||
        ld_core_next_seq(s->core) != s->batches.committed_seq + 1)
        return;
    if (p->deferred)
        ld_history_read_events(s, p);
    else
        ld_router_reply(s, b, p); /* a failure is counted and logged there */
    p->sent = true;
}

/* The decoded request lives in a bump arena on the stack: protobuf-c asks
 * for one allocation per field and frees each again (malloc and free were a
 * tenth of the loop's decoding, perf). What does not fit goes to malloc and
 * is freed by the walk of free_unpacked, which is skipped when nothing did. */
typedef struct {
    uint8_t *base;
    size_t used, cap;
    size_t spilled;     /* allocations from malloc */
} arena_t;

static void *arena_alloc(void *data, size_t n)
{
    arena_t *a = data;
    size_t need = (n + 15) & ~(size_t)15;
    if (need >= n && a->cap - a->used >= need) {
        void *p = a->base + a->used;
        a->used += need;
        return p;
    }
    a->spilled++;
    return malloc(n);
}

static void arena_free(void *data, void *ptr)
{
    arena_t *a = data;
    if ((uint8_t *)ptr >= a->base && (uint8_t *)ptr < a->base + a->cap)
        return;
    free(ptr);
}

#define LD_ARENA 16384

/* Decodes, validates and decides one request into p. */
static void handle(server_t *s, pending_t *p, const uint8_t *data, size_t len, const char *user)
{
    batch_t *b = s->batches.cur;
    if (len > s->cfg.max_request) {
        ld_requests_error(s, b, p, E(ERR_TOO_LARGE), "", "request", 0,
                          "request: %zu bytes is larger than the limit of %zu", len,
                          s->cfg.max_request);
        return;
    }
    char path[256];
    switch (ld_wire_check(&ladder__v1__request__descriptor, data, len, path, sizeof path)) {
    case LD_WIRE_OK:
        break;
    case LD_WIRE_DEEP:
        ld_requests_error(s, b, p, E(ERR_MALFORMED), "", "request", 0,
                          "request: messages nested deeper than %d levels", LD_WIRE_MAX_DEPTH);
        return;
    case LD_WIRE_UTF8:
        ld_requests_error(s, b, p, E(ERR_INVALID), "", path, 0,
                          "%s: not UTF-8 (RFC 3629: no surrogates, overlong forms or code "
                          "points above U+10FFFF)", path);
        return;
    case LD_WIRE_NUL:
        ld_requests_error(s, b, p, E(ERR_INVALID), "", path, 0,
                          "%s: holds a NUL byte; strings may not", path);
        return;
    }
    _Alignas(16) uint8_t space[LD_ARENA];
    arena_t arena = {space, 0, sizeof space, 0};
    ProtobufCAllocator alloc = {arena_alloc, arena_free, &arena};
    Ladder__V1__Request *req = ladder__v1__request__unpack(&alloc, len, data);
    if (!req) {
        ld_requests_error(s, b, p, E(ERR_MALFORMED), "", "request", 0,
                          "request: the bytes do not decode as a ladder.v1.Request");
        return;
    }
    Ladder__V1__Principal *claimed = req->principal, bound = LADDER__V1__PRINCIPAL__INIT;
    if (req->request_id.len > LD_REQUEST_ID_MAX) {
        ld_requests_error(s, b, p, E(ERR_INVALID), "", "request_id", 0,
                          "request_id: at most %d bytes, got %zu", LD_REQUEST_ID_MAX,
                          req->request_id.len);
        goto out;
    }
    p->rid_len = (uint8_t)req->request_id.len;
    if (p->rid_len)
        memcpy(p->rid, req->request_id.data, p->rid_len);
    /* with CURVE the principal is the one bound to the client's key */
    if (s->router.auth) {
        bound.id = (char *)(user ? user : "");
        if (!user || !ld_auth_roles(s->router.auth, user, &bound.roles))
            bound.roles = 0;
        req->principal = &bound;
    }
    if (req->n_commands && req->query) {
        ld_requests_error(s, b, p, E(ERR_INVALID), "", "query", 0,
                          "a request carries commands or a query, not both");
    } else if (req->query) {
        if (!req->query->q_case)
            ld_requests_error(s, b, p, E(ERR_INVALID), "", "query", 0,
                              "query: empty (no oneof set)");
        else {
            /* who may read it: ld_reads_query asks access.c's table (§1 v2) */
            if (req->principal) {
                p->roles = req->principal->roles;
                snprintf(p->who, sizeof p->who, "%s", req->principal->id ? req->principal->id : "");
            }
            ld_reads_query(s, p, req->query);
        }
    } else if (!req->n_commands) {
        ld_requests_error(s, b, p, E(ERR_INVALID), "", "commands", 0,
                          "request: neither commands nor a query");
    } else if (req->n_commands > LD_MAX_COMMANDS) {
        ld_requests_error(s, b, p, E(ERR_INVALID), "", "commands", 0,
                          "commands: at most %d in one request, got %zu", LD_MAX_COMMANDS,
                          req->n_commands);
    } else if (!p->rid_len) {
        ld_requests_error(s, b, p, E(ERR_INVALID), "", "request_id", 0,
                          "request_id: required for commands (1 to %d bytes)", LD_REQUEST_ID_MAX);
    } else {
        dedup_and_decide(s, p, req);
    }
out:
    req->principal = claimed;
    if (arena.spilled)
        ladder__v1__request__free_unpacked(req, &alloc);
}

void ld_requests_handle(server_t *s, const uint8_t *ident, size_t ident_len,
                        const uint8_t *data, size_t len, const char *user)
{
    batch_t *b = s->batches.cur;
    s->st.requests++;
    size_t i = (size_t)(ld_requests_new(b, ident, ident_len) - b->p);
    handle(s, &b->p[i], data, len, user);
    /* deadlines fired by the decision may have moved b->p: index again */
    ld_requests_release(s, b, &b->p[i]);
}

void ld_requests_bad_frames(server_t *s, const uint8_t *ident, size_t ident_len, int n)
{
    batch_t *b = s->batches.cur;
    s->st.requests++;
    pending_t *p = ld_requests_new(b, ident, ident_len);
    ld_requests_error(s, b, p, E(ERR_MALFORMED), "", "frames", 0,
                      "frames: expected [identity][empty][request], got %d frame%s%s", n - 1,
                      n - 1 == 1 ? "" : "s", n == 3 ? " with a non-empty delimiter" : "");
    ld_requests_release(s, b, p);
}
