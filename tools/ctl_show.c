/* ctl_show.c — query results, events and updates as readable tables and
 * lines: times in the rules' UTC offset, columns padded by display width so
 * that names in any script line up.
 */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "pbjson.h"

void ctl_show_employee(const Ladder__V1__Ok *ok, json_t *body)
{
    (void)body;
    const Ladder__V1__EmployeeView *v = ok->employee;
    char t1[48];
    ctl_fmt_time(t1, sizeof t1, v->hired_ms);
    printf("%-22s %s (%s)\n", "employee", v->employee_id, v->name);
    printf("%-22s %s / %s\n", "team / centre", *v->team ? v->team : "-", *v->centre ? v->centre : "-");
    printf("%-22s %u  %s  %s\n", "level", v->level->level, v->level->title_zh, v->level->title_en);
    printf("%-22s %s belt, salary grade %u\n", "belt / salary", v->level->belt, v->level->salary_grade);
    printf("%-22s", "privileges");
    for (size_t i = 0; i < v->level->n_privileges; i++)
        printf(" %s", v->level->privileges[i]);
    printf("\n%-22s %lld total, %lld since level, %lld this retention year\n", "points",
           (long long)v->points_total, (long long)v->points_since_level, (long long)v->points_in_year);
    printf("%-22s", "apprentices");
    for (size_t i = 0; i < v->n_apprentices; i++)
        printf(" %s", v->apprentices[i]);
    printf("%s (credited toward next level: %u)\n", v->n_apprentices ? "" : " -", v->apprentices_credited);
    printf("%-22s %s\n", "mentor", *v->mentor_id ? v->mentor_id : "-");
    if (v->last_query_test_ms)
        printf("%-22s %.3f s\n", "last query test", (double)v->last_query_test_ms / 1000.0);
    else
        printf("%-22s -\n", "last query test");
    printf("%-22s %s\n", "retention", v->retention_status);
    printf("%-22s %s\n", "appeal", v->appeal_status);
    printf("%-22s %s\n", "hired", t1);
    if (v->n_medals) {
        printf("%-22s", "medals");
        for (size_t i = 0; i < v->n_medals; i++)
            printf(" %s", v->medals[i]);
        printf("\n");
    }
    if (v->left)
        printf("%-22s yes\n", "left");
}

void ctl_show_ready(const Ladder__V1__Ok *ok, json_t *body)
{
    (void)body;
    const Ladder__V1__Readiness *d = ok->readiness;
    if (!d->n_items) {
        printf("%s is at level %u, the top: nothing further to reach\n", d->employee_id, d->level);
        return;
    }
    printf("%s: level %u -> %u\n", d->employee_id, d->level, d->target_level);
    for (size_t i = 0; i < d->n_items; i++) {
        const Ladder__V1__ReadinessItem *it = d->items[i];
        printf("  %s %-5s %-12s %s\n", it->met ? "✓" : "✗", it->section, it->name,
               it->met ? "" : it->gap);
    }
    printf("  exam: %s\n", d->exam_allowed ? "may be drawn now" : "not yet");
}

void ctl_show_explain(const Ladder__V1__Ok *ok, json_t *body)
{
    (void)body;
    const Ladder__V1__Explanation *x = ok->explanation;
    printf("%s as of seq %llu: level %u (%s / %s), %lld points\n", x->state->employee_id,
           (unsigned long long)x->as_of_seq, x->state->level->level, x->state->level->title_zh,
           x->state->level->title_en, (long long)x->state->points_total);
    printf("%-8s %-22s %-6s %-18s %-6s %s\n", "seq", "when", "change", "cause", "rules", "evidence");
    for (size_t i = 0; i < x->n_changes; i++) {
        const Ladder__V1__LevelChange *c = x->changes[i];
        char t[48];
        ctl_fmt_time(t, sizeof t, c->at_ms);
        printf("%-8llu %-22s %u -> %u  %-18s v%-5u", (unsigned long long)c->seq, t, c->from_level,
               c->to_level, c->cause, c->rules_version);
        for (size_t k = 0; k < c->n_evidence_seqs; k++)
            printf(" %llu", (unsigned long long)c->evidence_seqs[k]);
        printf("\n");
        /* §11 v2: the facts behind the change, one line each */
        for (size_t k = 0; k < c->n_conditions; k++)
            printf("         unmet %s %s\n", c->conditions[k]->section, c->conditions[k]->text);
        if (c->exam_waived)
            printf("         waived §7 skill exam: the level's test half held fewer cases than an exam\n");
        if (*c->exam_id)
            printf("         exam %s passed with %u %%\n", c->exam_id, c->exam_percent);
        for (size_t k = 0; k < c->n_checklist; k++)
            printf("         %s %-5s %-14s %lld / %lld\n", c->checklist[k]->met ? "✓" : "✗",
                   c->checklist[k]->section, c->checklist[k]->name,
                   (long long)c->checklist[k]->have, (long long)c->checklist[k]->need);
        if (*c->reason)
            printf("         reason \"%s\"%s%s\n", c->reason, *c->decided_by ? " by " : "",
                   c->decided_by);
    }
    if (!x->n_changes)
        printf("(no level changes)\n");
}

void ctl_show_board(const Ladder__V1__Ok *ok, json_t *body)
{
    (void)body;
    const Ladder__V1__Board *b = ok->board;
    char t[48];
    ctl_fmt_time(t, sizeof t, b->window_start_ms);
    printf("board %s: %u on the board%s%s\n", b->name, b->size, b->window_start_ms ? ", since " : "",
           b->window_start_ms ? t : "");
    printf("%5s  %-10s %-20s %8s  %s\n", "rank", "employee", "name", "points", "level");
    for (size_t i = 0; i < b->n_rows; i++) {
        const Ladder__V1__BoardRow *row = b->rows[i];
        printf("%5u  ", row->rank);
        ctl_pad(row->employee_id, 10);
        putchar(' ');
        ctl_pad(row->name, 20);
        printf(" %8lld  %u\n", (long long)row->points, row->level);
    }
}

void ctl_show_cases(const Ladder__V1__Ok *ok, json_t *body)
{
    const Ladder__V1__CaseRanking *cr = ok->case_ranking;
    printf("cases of level %u%s%s%s: %zu\n", cr->level, *cr->category ? ", " : "", cr->category,
           ctl_body_bool(body, "history") ? " (history library)" : "", cr->n_rows);
    printf("%4s  %-22s %-8s %11s %-22s %7s %5s %9s %s\n", "#", "case", "half", "classicness",
           "stable since", "studies", "exams", "ratings", "leaves");
    for (size_t i = 0; i < cr->n_rows; i++) {
        const Ladder__V1__CaseRow *row = cr->rows[i];
        char t[48], ratings[40], ev[16];
        ctl_fmt_time(t, sizeof t, row->stable_ms);
        snprintf(ratings, sizeof ratings, "+%u/%u/-%u", row->excellent, row->average, row->poor);
        snprintf(ev, sizeof ev, row->eviction_order ? "%u" : "-", row->eviction_order);
        printf("%4zu  ", i + 1);
        ctl_pad(row->case_id, 22);
        printf(" %-8s %11lld %-22s %7u %5u %9s %s\n",
               row->half == LADDER__V1__HALF__HALF_TEST ? "test" : "training",
               (long long)row->classicness, t, row->studies, row->exam_uses, ratings, ev);
    }
}

void ctl_show_kb(const Ladder__V1__Ok *ok, json_t *body)
{
    (void)body;
    const Ladder__V1__KbItemView *v = ok->kb_item;
    printf("knowledge-base item %s, version %u%s\n  %s\n", v->item_id, v->version,
           v->deleted ? ", deleted (out of the base; its history stays readable, §4)" : "",
           v->text);
    for (size_t i = 0; i < v->n_history; i++)
        printf("  v%-3u seq %-8llu proposal %-12s %s%s\n", v->history[i]->version,
               (unsigned long long)v->history[i]->seq, v->history[i]->proposal_id,
               v->history[i]->deleted ? "deleted: " : "", v->history[i]->text);
    printf("  open proposals:");
    for (size_t i = 0; i < v->n_open_proposals; i++)
        printf(" %s", v->open_proposals[i]);
    printf("%s\n", v->n_open_proposals ? "" : " -");
}

void ctl_show_pending(const Ladder__V1__Ok *ok, json_t *body)
{
    const Ladder__V1__Pending *p = ok->pending;
    const char *reviewer = ctl_body_str(body, "reviewerId");
    printf("%-5s %-14s %-14s %-10s %s\n", "kind", "id", "subject", "author", "approve/reject");
    for (size_t i = 0; i < p->n_items; i++) {
        printf("%-5s ", p->items[i]->kind);
        ctl_pad(p->items[i]->id, 14);
        putchar(' ');
        ctl_pad(p->items[i]->subject, 14);
        putchar(' ');
        ctl_pad(p->items[i]->author_id, 10);
        printf(" %u/%u\n", p->items[i]->approvals, p->items[i]->rejections);
    }
    if (!p->n_items)
        printf("(nothing awaits review%s%s)\n", reviewer ? " by " : "", reviewer ? reviewer : "");
}

void ctl_show_committee(const Ladder__V1__Ok *ok, json_t *body)
{
    (void)body;
    const Ladder__V1__CommitteeView *v = ok->committee;
    printf("members:");
    for (size_t i = 0; i < v->n_members; i++)
        printf(" %s", v->members[i]);
    printf("%s\napplications:", v->n_members ? "" : " -");
    for (size_t i = 0; i < v->n_applications; i++)
        printf(" %s", v->applications[i]);
    printf("%s\n", v->n_applications ? "" : " -");
}

/* §10: the versions, then the document (indented, sorted keys). */
void ctl_show_rules(const Ladder__V1__Ok *ok, json_t *body)
{
    (void)body;
    const Ladder__V1__RulesView *v = ok->rules;
    if (v->version)
        printf("rules version %u (%u in force)\n", v->version, v->in_force);
    else
        printf("rules: the built-in defaults (no document adopted)\n");
    for (size_t i = 0; i < v->n_versions; i++) {
        char t[64];
        ctl_fmt_time(t, sizeof t, v->versions[i]->at_ms);
        printf("  v%-4u seq %-8llu %s%s\n", v->versions[i]->version,
               (unsigned long long)v->versions[i]->seq, t,
               v->versions[i]->version == v->in_force ? "  (in force)" : "");
    }
    json_t *doc = json_loads(v->rules_json, 0, NULL);
    char *s = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
    printf("%s\n", s ? s : v->rules_json);
    free(s);
    json_decref(doc);
}

void ctl_show_stats(const Ladder__V1__Ok *ok, json_t *body)
{
    (void)body;
    const Ladder__V1__StatsView *s = ok->stats;
    printf("head seq %llu, %llu employees, up %llu s\n", (unsigned long long)s->head_seq,
           (unsigned long long)s->employees, (unsigned long long)s->uptime_s);
    printf("requests %llu (commands %llu, queries %llu, errors %llu), batches %llu\n",
           (unsigned long long)s->requests, (unsigned long long)s->commands,
           (unsigned long long)s->queries, (unsigned long long)s->errors,
           (unsigned long long)s->batches);
    printf("events replayed at start-up: %llu\n", (unsigned long long)s->events_replayed_at_start);
    printf("unsent replies %llu, unsent updates %llu; peers dropped %llu (their requests discarded %llu), "
           "reply bytes queued %llu\n",
           (unsigned long long)s->unsent_replies, (unsigned long long)s->unsent_updates,
           (unsigned long long)s->peers_dropped, (unsigned long long)s->peer_requests_discarded,
           (unsigned long long)s->peer_queue_bytes);
    printf("subscriptions %llu (refused %llu)\n", (unsigned long long)s->subscriptions,
           (unsigned long long)s->subscriptions_refused);
    char now[48], off[8];
    Ladder__V1__StatsView *saved = G.stats;
    G.stats = (Ladder__V1__StatsView *)s; /* the offset and clock of this very reply */
    ctl_fmt_time(now, sizeof now, s->now_ms);
    ctl_fmt_offset(off, sizeof off);
    printf("rules v%u, UTC offset %s; clock %s, now %s\n", s->rules_version, off,
           s->manual_clock ? "manual" : "system", now);
    if (s->state_digest.len) {
        printf("state digest: ");
        ctl_print_hex(s->state_digest.data, s->state_digest.len);
    }
    printf("commit latency (us, powers of two):");
    for (size_t i = 0; i < s->n_commit_latency_us_hist; i++)
        if (s->commit_latency_us_hist[i])
            printf(" <%llu:%llu", 2ull << i, (unsigned long long)s->commit_latency_us_hist[i]);
    printf("\nrequests per batch (powers of two):");
    for (size_t i = 0; i < s->n_batch_size_hist; i++)
        if (s->batch_size_hist[i])
            printf(" <%llu:%llu", 2ull << i, (unsigned long long)s->batch_size_hist[i]);
    printf("\n");
    G.stats = saved;
}

/* "rules_adopted" -> "rulesAdopted": the JSON name of a body member. */
static void camel(char *out, size_t len, const char *name)
{
    size_t k = 0;
    for (const char *p = name; *p && k + 1 < len; p++) {
        if (*p == '_' && p[1]) {
            out[k++] = (char)(p[1] - 32 * (p[1] >= 'a' && p[1] <= 'z'));
            p++;
        } else {
            out[k++] = *p;
        }
    }
    out[k] = 0;
}

/* The body of an event as compact JSON (caller frees), and its type's name. */
static char *event_body(const Ladder__V1__Event *e, const char **type)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field(&ladder__v1__event__descriptor, e->body_case);
    *type = f ? f->name : "?";
    json_t *j = pbjson_from_message(&e->base), *body;
    char name[64];
    camel(name, sizeof name, *type);
    body = json_object_get(j, name);
    char *s = body ? json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(j);
    return s;
}

void ctl_show_event(const Ladder__V1__Event *e)
{
    if (G.json) {
        ctl_print_json(&e->base, 1);
        return;
    }
    char t[48];
    const char *type;
    ctl_fmt_time(t, sizeof t, e->at_ms);
    char *s = event_body(e, &type);
    printf("%-7llu %-20s %-18s %-22s %s%s%s\n", (unsigned long long)e->seq, t, e->stream, type,
           s ? s : "{}", e->cause_seq ? "  <- " : "", e->cause_seq ? "cause" : "");
    free(s);
}

void ctl_show_update(const char *topic, const Ladder__V1__Update *u)
{
    if (G.json) {
        json_t *j = pbjson_from_message(&u->base);
        char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
        printf("%s %s\n", topic, s);
        free(s);
        json_decref(j);
        return;
    }
    printf("seq %-8llu ", (unsigned long long)u->seq);
    ctl_pad(topic, 24);
    putchar(' ');
    switch (u->payload_case) {
    case LADDER__V1__UPDATE__PAYLOAD_LEVEL: {
        const Ladder__V1__LevelUpdate *l = u->level;
        printf("level %u -> %u %s %s (%s)\n", l->from_level, l->level ? l->level->level : 0,
               l->level ? l->level->title_zh : "", l->level ? l->level->title_en : "",
               *l->cause ? l->cause : "-");
        break;
    }
    case LADDER__V1__UPDATE__PAYLOAD_POINTS: {
        const Ladder__V1__PointsUpdate *p = u->points;
        printf("points %lld (%+lld), %lld since level, %lld this retention year\n",
               (long long)p->total, (long long)p->delta, (long long)p->since_level,
               (long long)p->in_year);
        break;
    }
    case LADDER__V1__UPDATE__PAYLOAD_BOARD: {
        const Ladder__V1__Board *b = u->board;
        printf("%u on the board, top:", b->size);
        for (size_t i = 0; i < b->n_rows && i < 3; i++) {
            printf(" %u. %s ", b->rows[i]->rank, b->rows[i]->employee_id);
            ctl_pad(b->rows[i]->name, 0);
            printf(" %lld%s", (long long)b->rows[i]->points, i + 1 < b->n_rows && i < 2 ? "," : "");
        }
        printf("%s\n", b->n_rows > 3 ? " ..." : "");
        break;
    }
    case LADDER__V1__UPDATE__PAYLOAD_CASES: {
        const Ladder__V1__CaseRanking *c = u->cases;
        printf("cases of level %u %s: %zu, first %s\n", c->level, c->category, c->n_rows,
               c->n_rows ? c->rows[0]->case_id : "-");
        break;
    }
    case LADDER__V1__UPDATE__PAYLOAD_EVENT: {
        const Ladder__V1__Event *e = u->event;
        const char *type;
        char *s = event_body(e, &type);
        printf("%s %s %s\n", e->stream, type, s ? s : "{}");
        free(s);
        break;
    }
    default:
        printf("(empty)\n");
    }
}
