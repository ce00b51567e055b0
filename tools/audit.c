/* audit.c — re-derive every derived event from its fact (audit.h).
 *
 * Each fact (an event with no cause) is turned back into the command that
 * produced it, decided under a savepoint on the state folded so far, and the
 * events that decision yields are compared with the recorded ones; then the
 * savepoint is rolled back and the recorded events are folded. Which command
 * records a fact, and which events may follow it, is the core's command table
 * (projections/commands.h); facts.c rebuilds the command's fields. Facts that
 * no command records (none in a log ladderd wrote) are folded unaudited.
 */
#include "audit.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "core.h"
#include "facts.h"

#define ALL_ROLES 0x7f

typedef struct {
    uint8_t *bytes;
    size_t len;
    uint64_t seq, cause;
    char stream[LD_STREAM_MAX + 1];
    int body;
} expect_t;

typedef struct {
    ld_core_t *core;
    ld_out_t *out;
    ld_audit_t *a;
    FILE *report, *progress;
    expect_t *exp;
    size_t nexp, next, capexp;
    uint64_t head;
    const ld_command_t *row;  /* the command of the fact being compared */
} run_t;

/* The body of an event, packed: what the comparison looks at besides the
 * envelope's seq, cause and stream. */
static uint8_t *pack_body(const Ladder__V1__Event *ev, size_t *len)
{
    Ladder__V1__Event copy = *ev;
    copy.seq = 0, copy.id.len = 0, copy.stream = "", copy.stream_version = 0, copy.at_ms = 0;
    copy.actor = "", copy.request_id.len = 0, copy.cause_seq = 0, copy.prev_hash.len = 0;
    copy.rules_version = 0;
    *len = ladder__v1__event__get_packed_size(&copy);
    uint8_t *b = malloc(*len + 1);
    if (!b)
        abort();
    ladder__v1__event__pack(&copy, b);
    return b;
}

static void say(run_t *r, uint64_t seq, const char *what, const char *detail)
{
    r->a->discrepancies++;
    if (r->report)
        fprintf(r->report, "seq %llu: %s%s%s\n", (unsigned long long)seq, what, detail ? ": " : "",
                detail ? detail : "");
}

static void expect_clear(run_t *r)
{
    for (size_t i = 0; i < r->nexp; i++)
        free(r->exp[i].bytes);
    r->nexp = r->next = 0;
}

static void redecide(run_t *r, const Ladder__V1__Event *ev)
{
    const ld_command_t *row = ld_core_command_of_fact((int)ev->body_case);
    Ladder__V1__Command cmd;
    ld_fact_store_t store;
    r->row = NULL;
    if (!row || !ld_fact_command(ev, &cmd, &store))
        return;
    r->row = row;
    r->a->facts++;
    ld_ctx_t ctx = {ev->at_ms, ev->actor, ALL_ROLES, ev->request_id.data, ev->request_id.len};
    ld_refusal_t why;
    uint32_t mark = ld_core_savepoint(r->core);
    ld_out_reset(r->out);
    if (ld_core_execute(r->core, &cmd, &ctx, r->out, &why) != 0) {
        ld_core_rollback(r->core, mark);
        ld_core_release(r->core);
        char d[400];
        snprintf(d, sizeof d, "%s: [%s] %s", row->name, why.section, why.message);
        say(r, ev->seq, "the fact is refused when decided again", d);
        return;
    }
    size_t n = ld_out_count(r->out);
    Ladder__V1__Event **evs = ld_out_events(r->out);
    if (n > r->capexp) {
        r->exp = realloc(r->exp, n * sizeof *r->exp);
        r->capexp = n;
    }
    for (size_t i = 0; i < n; i++) {
        expect_t *x = &r->exp[i];
        x->bytes = pack_body(evs[i], &x->len);
        x->seq = evs[i]->seq;
        x->cause = evs[i]->cause_seq;
        x->body = evs[i]->body_case;
        snprintf(x->stream, sizeof x->stream, "%s", evs[i]->stream);
    }
    r->nexp = n;
    r->next = 0;
    ld_core_rollback(r->core, mark);
    ld_core_release(r->core);
}

/* The row lists this body among the events its command may yield. */
static bool row_lists(const ld_command_t *row, int body)
{
    for (size_t i = 0; i < LD_COMMAND_FACTS && row->facts[i]; i++)
        if ((int)row->facts[i] == body)
            return true;
    for (size_t i = 0; i < LD_COMMAND_CAUSES && row->causes[i]; i++)
        if ((int)row->causes[i] == body)
            return true;
    return false;
}

static void compare(run_t *r, const Ladder__V1__Event *ev)
{
    const expect_t *x = &r->exp[r->next++];
    size_t len;
    uint8_t *b = pack_body(ev, &len);
    if (x->seq != ev->seq || x->cause != ev->cause_seq || strcmp(x->stream, ev->stream) ||
        x->body != (int)ev->body_case || x->len != len || memcmp(x->bytes, b, len)) {
        const ProtobufCFieldDescriptor *f =
            protobuf_c_message_descriptor_get_field(&ladder__v1__event__descriptor, (unsigned)x->body);
        char d[256];
        snprintf(d, sizeof d, "recorded %s (cause %llu) differs from the re-derived %s (cause %llu)",
                 protobuf_c_message_descriptor_get_field(&ladder__v1__event__descriptor,
                                                         ev->body_case)
                     ? protobuf_c_message_descriptor_get_field(&ladder__v1__event__descriptor,
                                                               ev->body_case)->name
                     : "?",
                 (unsigned long long)ev->cause_seq, f ? f->name : "?",
                 (unsigned long long)x->cause);
        say(r, ev->seq, "derived event does not match", d);
    }
    free(b);
}

static int audit_one(void *ctx, uint64_t seq, const uint8_t *data, size_t len)
{
    run_t *r = ctx;
    Ladder__V1__Event *ev = ladder__v1__event__unpack(NULL, len, data);
    r->a->events++;
    if (!ev) {
        say(r, seq, "bytes do not decode as an Event", NULL);
        return 0;
    }
    bool fact = ev->cause_seq == 0;
    if (fact && r->next < r->nexp) {
        say(r, r->exp[r->next].seq, "a derived event is missing from the log", NULL);
        expect_clear(r);
    }
    if (fact && r->next == r->nexp) {
        expect_clear(r);
        redecide(r, ev);
    }
    if (r->next < r->nexp) {
        if (!fact)
            r->a->derived++;
        if (!fact && r->row && !row_lists(r->row, (int)ev->body_case))
            say(r, seq, "a derived event its command's row does not list", r->row->name);
        compare(r, ev);
    } else if (!fact) {
        say(r, seq, "a derived event that its fact does not produce", NULL);
    }
    if (ld_core_evolve(r->core, ev) != 0)
        say(r, seq, "the event does not apply to the state before it", NULL);
    ladder__v1__event__free_unpacked(ev, NULL);
    if (r->progress && r->a->events % 50000 == 0) {
        int pct = r->head ? (int)(r->a->events * 100 / r->head) : 100;
        fprintf(r->progress, "\raudit [%-40.*s] %3d%%", pct * 40 / 100,
                "########################################", pct);
        fflush(r->progress);
    }
    return 0;
}

int ld_audit_run(ld_store_t *s, ld_audit_t *a, FILE *report, FILE *progress)
{
    memset(a, 0, sizeof *a);
    run_t r = {ld_core_new(1), ld_out_new(), a, report, progress, NULL, 0, 0, 0, 0, NULL};
    ld_store_head(s, &r.head, NULL);
    int rc = ld_store_scan(s, 1, 0, audit_one, &r);
    if (!rc && r.next < r.nexp)
        say(&r, r.exp[r.next].seq, "a derived event is missing from the log", NULL);
    if (progress && r.head >= 50000)
        fprintf(progress, "\n");
    expect_clear(&r);
    free(r.exp);
    ld_out_destroy(&r.out);
    ld_core_destroy(&r.core);
    return rc;
}
