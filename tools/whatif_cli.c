/* whatif_cli.c — `ladderctl what-if` (its row is in ctl_table.c): offline, on a copy of a data
 * directory, what a proposed rules document would have decided (§10).
 *
 * Reads the log with the store (never writes it), feeds it to the core's
 * what-if (projections/whatif.h) and prints the comparison as text, proto3
 * JSON (the WhatIfReport message, through the same mapper as every reply) or
 * CSV for HR spreadsheets.
 */
#include "ctl.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pbjson.h"
#include "replay.h"
#include "store.h"
#include "whatif.h"

enum { OK = EXIT_OK, USAGE = EXIT_USAGE, FOUND = EXIT_FOUND };

static int usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "ladderctl: what-if: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(ladderctl what-if --help)\n");
    return USAGE;
}

/* A seq (digits) or a local date YYYY-MM-DD[THH:MM] at offset_min. */
static int parse_point(const char *s, int32_t offset_min, uint64_t *seq, int64_t *ms)
{
    *seq = 0, *ms = 0;
    size_t n = strlen(s);
    if (n > 0 && strspn(s, "0123456789") == n) {
        errno = 0;
        char *end;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || *end || v == 0)
            return -1;
        *seq = v;
        return 0;
    }
    int y, mo, d, h = 0, mi = 0, used = 0;
    if (n == 10) {
        if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &used) != 3 || used != 10)
            return -1;
    } else if (n == 16) {
        if (sscanf(s, "%4d-%2d-%2dT%2d:%2d%n", &y, &mo, &d, &h, &mi, &used) != 5 || used != 16)
            return -1;
    } else {
        return -1;
    }
    if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59)
        return -1;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi};
    time_t t = timegm(&tm);
    struct tm back;
    gmtime_r(&t, &back);
    if (back.tm_mday != d) /* 2026-02-30 */
        return -1;
    *ms = ((int64_t)t - (int64_t)offset_min * 60) * 1000;
    return 0;
}

static void fmt_day(char *buf, size_t len, int64_t ms, int32_t offset_min)
{
    time_t t = (time_t)(ms / 1000) + (time_t)offset_min * 60;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%d", &tm);
}

static char *read_all(FILE *f)
{
    size_t cap = 4096, n = 0;
    char *b = malloc(cap);
    if (!b)
        abort();
    size_t r;
    while ((r = fread(b + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (n + 1 == cap) {
            cap *= 2;
            b = realloc(b, cap);
            if (!b)
                abort();
        }
    }
    b[n] = '\0';
    return b;
}

typedef struct {
    ld_whatif_t *w;
    uint64_t read;
    int rc;
    ld_refusal_t why;
} feed_t;

static int feed_one(void *ctx, const Ladder__V1__Event *ev)
{
    feed_t *f = ctx;
    f->read++;
    int rc = ld_whatif_feed(f->w, ev, &f->why);
    if (rc < 0)
        f->rc = -1;
    return rc ? 1 : 0;
}

static void csv_field(FILE *out, const char *s)
{
    fputc('"', out);
    for (; s && *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static void print_csv(const Ladder__V1__WhatIfReport *r, int32_t off, FILE *out)
{
    fprintf(out, "employee_id,name,date,seq,section,actual,what_if,actual_level,what_if_level,"
                 "actual_points,what_if_points\n");
    for (size_t i = 0; i < r->n_employees; i++) {
        const Ladder__V1__WhatIfEmployee *e = r->employees[i];
        for (size_t k = 0; k < e->n_decisions; k++) {
            const Ladder__V1__WhatIfDecision *d = e->decisions[k];
            char day[16];
            fmt_day(day, sizeof day, d->at_ms, off);
            csv_field(out, e->employee_id);
            fputc(',', out);
            csv_field(out, e->name);
            fprintf(out, ",%s,%" PRIu64 ",", day, d->seq);
            csv_field(out, d->section);
            fputc(',', out);
            csv_field(out, d->actual);
            fputc(',', out);
            csv_field(out, d->what_if);
            fprintf(out, ",%u,%u,%" PRId64 ",%" PRId64 "\n", e->actual_level, e->what_if_level,
                    e->actual_points, e->what_if_points);
        }
    }
}

static void print_path(FILE *out, const char *label, Ladder__V1__LevelStep **p, size_t n,
                       int32_t off)
{
    fprintf(out, "    %-8s", label);
    if (n == 0)
        fprintf(out, " no level change");
    for (size_t i = 0; i < n; i++) {
        char day[16];
        fmt_day(day, sizeof day, p[i]->at_ms, off);
        fprintf(out, "%s %u->%u %s %s", i ? ";" : "", p[i]->from_level, p[i]->to_level,
                p[i]->cause, day);
    }
    fputc('\n', out);
}

static void print_text(const Ladder__V1__WhatIfReport *r, int32_t off, double secs, FILE *out)
{
    fprintf(out, "what-if: rules version %u adopted before seq %" PRIu64 "; %" PRIu64
                 " events read to seq %" PRIu64 ", %" PRIu64 " facts decided again\n",
            r->rules_version, r->from_seq, r->events, r->to_seq, r->facts);
    if (isatty(2) && secs > 0)
        fprintf(stderr, "what-if: %.0f events/s\n", (double)r->events / secs);
    fprintf(out, "\n");
    const Ladder__V1__WhatIfTotals *a = r->actual, *w = r->what_if;
    fprintf(out, "%-16s %10s %10s\n", "", "actual", "what-if");
    fprintf(out, "%-16s %10" PRIu64 " %10" PRIu64 "\n", "promotions", a->promotions, w->promotions);
    fprintf(out, "%-16s %10" PRIu64 " %10" PRIu64 "\n", "demotions", a->demotions, w->demotions);
    fprintf(out, "%-16s %10" PRIu64 " %10" PRIu64 "\n", "years kept", a->years_kept, w->years_kept);
    fprintf(out, "%-16s %10" PRId64 " %10" PRId64 "\n", "points awarded", a->points_awarded,
            w->points_awarded);
    fprintf(out, "%-16s %10" PRIu64 " %10" PRIu64 "\n\n", "cases retired", a->cases_retired,
            w->cases_retired);
    fprintf(out, "employees whose outcome differs: %zu\n", r->n_employees);
    for (size_t i = 0; i < r->n_employees; i++) {
        const Ladder__V1__WhatIfEmployee *e = r->employees[i];
        fprintf(out, "  %s %s: level %u actual, %u what-if; points %" PRId64 " / %" PRId64 "\n",
                e->employee_id, e->name, e->actual_level, e->what_if_level, e->actual_points,
                e->what_if_points);
        print_path(out, "actual", e->actual_path, e->n_actual_path, off);
        print_path(out, "what-if", e->what_if_path, e->n_what_if_path, off);
        for (size_t k = 0; k < e->n_decisions; k++) {
            const Ladder__V1__WhatIfDecision *d = e->decisions[k];
            char day[16];
            fmt_day(day, sizeof day, d->at_ms, off);
            fprintf(out, "    %s seq %" PRIu64 " [%s]\n      actual:  %s\n      what-if: %s\n", day,
                    d->seq, d->section, d->actual, d->what_if);
        }
    }
    uint64_t refused = 0;
    for (size_t i = 0; i < r->n_refused; i++)
        refused += r->refused[i]->count;
    fprintf(out, "\nfacts of the log the proposal refuses: %" PRIu64 "\n", refused);
    for (size_t i = 0; i < r->n_refused; i++) {
        const Ladder__V1__WhatIfRefusals *x = r->refused[i];
        fprintf(out, "  %-6s %6" PRIu64 "  e.g. seq %" PRIu64 ": %s\n", x->section, x->count,
                x->n_seqs ? x->seqs[0] : 0, x->example);
    }
    fprintf(out, "\nnote: %s\n", r->note);
}

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Without --data: ladderd answers (a query run on its thread pool). */
static int online(const char *rules, const char *from, const char *to, bool csv)
{
    int rc = ctl_connect();
    if (rc)
        return rc;
    const Ladder__V1__StatsView *st = ctl_stats();
    if (!st)
        return EXIT_NOANSWER;
    int32_t off = st->utc_offset_minutes;
    Ladder__V1__WhatIf w = LADDER__V1__WHAT_IF__INIT;
    w.rules_json = (char *)rules;
    if (from && parse_point(from, off, &w.from_seq, &w.from_ms) != 0)
        return usage("--from %s: give a seq or a date YYYY-MM-DD[THH:MM]", from);
    if (to && parse_point(to, off, &w.to_seq, &w.to_ms) != 0)
        return usage("--to %s: give a seq or a date YYYY-MM-DD[THH:MM]", to);
    Ladder__V1__Query q = LADDER__V1__QUERY__INIT;
    q.q_case = LADDER__V1__QUERY__Q_WHAT_IF;
    q.what_if = &w;
    Ladder__V1__Reply *reply;
    const Ladder__V1__Ok *ok;
    if ((rc = ctl_answer(&q, &reply, &ok)) != 0 || !ok)
        return rc;
    if (!ok->what_if) {
        ladder__v1__reply__free_unpacked(reply, NULL);
        fprintf(stderr, "ladderctl: what-if: the reply holds no report\n");
        return EXIT_NOANSWER;
    }
    if (csv)
        print_csv(ok->what_if, off, stdout);
    else
        print_text(ok->what_if, off, 0, stdout);
    ladder__v1__reply__free_unpacked(reply, NULL);
    return EXIT_OK;
}

static char *read_rules(const char *path)
{
    FILE *rf = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!rf)
        return NULL;
    char *rules = read_all(rf);
    if (rf != stdin)
        fclose(rf);
    return rules;
}

int ctl_run_whatif(const ctl_row_t *row, json_t *body)
{
    (void)row;
    const char *dir = ctl_body_str(body, "data"), *from = ctl_body_str(body, "from");
    const char *to = ctl_body_str(body, "to"), *rules_path = ctl_body_str(body, "rules");
    bool json = G.json, csv = json_is_true(json_object_get(body, "csv"));
    if (json && csv)
        return usage("%s", "--json and --csv exclude each other");
    if (!dir) {
        char *rules = read_rules(rules_path);
        if (!rules)
            return usage("cannot read %s", rules_path);
        int rc = online(rules, from, to, csv);
        free(rules);
        return rc;
    }

    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    if (stat(path, &st) != 0 || st.st_size == 0)
        return usage("%s holds no store (no data.mdb, or an empty one)", dir);

    char *rules = read_rules(rules_path);
    if (!rules)
        return usage("cannot read %s", rules_path);

    int rc = OK;
    ld_store_t *s = NULL;
    ld_whatif_t *w = NULL;
    ld_out_t *out = NULL;
    char err[512];
    ld_store_options_t o = {.durability = LD_DURABILITY_NOSYNC, .read_only = true};
    if (ld_store_open(&s, dir, &o, err, sizeof err) != 0) {
        fprintf(stderr, "ladderctl: what-if: %s\n", err);
        rc = USAGE;
        goto out;
    }
    ctl_warn_wal("what-if", dir, s);

    /* The snapshot saves folding the log before the span; it also gives the
     * UTC offset in which dates are read. */
    ld_core_t *base = NULL;
    uint64_t snap_seq = 0;
    void *data = NULL;
    size_t len = 0;
    if (ld_store_snapshot_get(s, "core", &snap_seq, &data, &len) == 0) {
        base = ld_core_from_snapshot(data, len);
        if (base && ld_core_next_seq(base) != snap_seq + 1)
            ld_core_destroy(&base);
        free(data);
    }
    int32_t off = base ? ld_core_rules(base)->utc_offset_min : 480;
    Ladder__V1__WhatIf q = LADDER__V1__WHAT_IF__INIT;
    q.rules_json = rules;
    if (from && parse_point(from, off, &q.from_seq, &q.from_ms) != 0) {
        rc = usage("--from %s: give a seq or a date YYYY-MM-DD[THH:MM]", from);
        ld_core_destroy(&base);
        goto out;
    }
    if (to && parse_point(to, off, &q.to_seq, &q.to_ms) != 0) {
        rc = usage("--to %s: give a seq or a date YYYY-MM-DD[THH:MM]", to);
        ld_core_destroy(&base);
        goto out;
    }
    /* the snapshot serves only when the span starts after it */
    bool usable = base && ((q.from_seq && q.from_seq > snap_seq) ||
                           (q.from_ms && ld_core_last_at(base) < q.from_ms));
    if (!usable)
        ld_core_destroy(&base);
    ld_refusal_t why;
    w = ld_whatif_new(base, &q, &why);
    if (!w) {
        fprintf(stderr, "ladderctl: what-if: the rules are refused: %s%s%s\n", why.section,
                why.section[0] ? " " : "", why.message);
        rc = USAGE;
        goto out;
    }
    feed_t f = {.w = w};
    double t0 = mono();
    uint64_t bad = 0;
    int src = ld_replay_each(s, ld_whatif_next_seq(w), feed_one, &f, &bad);
    double secs = mono() - t0;
    if (f.rc < 0 || (src != 0 && src != 1)) {
        if (f.rc < 0)
            fprintf(stderr, "ladderctl: what-if: %s\n", f.why.message);
        else
            fprintf(stderr, "ladderctl: what-if: the log does not decode at seq %" PRIu64 "\n", bad);
        rc = FOUND;
        goto out;
    }
    out = ld_out_new();
    Ladder__V1__WhatIfReport rep = LADDER__V1__WHAT_IF_REPORT__INIT;
    ld_whatif_report(w, out, &rep);
    if (json) {
        json_t *j = pbjson_from_message(&rep.base);
        char *txt = json_dumps(j, JSON_INDENT(2));
        printf("%s\n", txt);
        free(txt);
        json_decref(j);
    } else if (csv) {
        print_csv(&rep, off, stdout);
    } else {
        print_text(&rep, off, secs, stdout);
    }
out:
    ld_out_destroy(&out);
    ld_whatif_destroy(&w);
    ld_store_close(&s);
    free(rules);
    return rc;
}
