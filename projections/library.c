/* library.c — the case library (RULES.md §4): submissions and revisions
 * reviewed by quorum, grading into (level, category) partitions and halves,
 * the cap with eviction to the history library (young cases protected, v2),
 * the library check (a system deadline), chair retire/restore, studies of
 * training cases once per person (§6.3), ratings once per user and exam uses,
 * which feed classicness.
 */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

#define E(x) LADDER__V1__ERROR_CODE__##x
#define R(x) LADDER__V1__ROLE__ROLE_##x

uint32_t ld_library_count(const ld_core_t *c, uint32_t level, int half)
{
    return level < LD_LEVELS && half >= 0 && half < 3 ? c->g.lib_count[level][half] : 0;
}

static int need_live_case(ld_core_t *c, const char *field, const char *id, uint32_t *k)
{
    if (ld_check_id(c, field, id))
        return -1;
    if ((*k = ld_case_find(c, id)) == NONE || !c->cases[*k].accepted)
        return ld_refuse(c, E(ERR_NOT_FOUND), "§4", field, "§4: no case %s in the library", id);
    if (c->cases[*k].retired)
        return ld_refuse(c, E(ERR_REFUSED), "§4", field,
                      "§4: case %s is retired to the history library", id);
    return 0;
}

int ld_decide_study_case(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
                         ld_out_t *out)
{
    const Ladder__V1__StudyCase *m = cmd->study_case;
    uint32_t i, k;
    if (ld_need_emp(c, "study_case.employee_id", m->employee_id, &i) ||
        need_live_case(c, "study_case.case_id", m->case_id, &k))
        return -1;
    /* §4 v2: the test half is the exam; each person studies a case once */
    if (c->cases[k].half != LADDER__V1__HALF__HALF_TRAINING)
        return ld_refuse(c, E(ERR_REFUSED), "§4", "study_case.case_id",
                      "§4: case %s is in the test half; only training cases can be studied",
                      m->case_id);
    if (ld_vec_has(&c->emps[i].studied, k))
        return ld_refuse(c, E(ERR_DUPLICATE), "§4", "study_case.case_id",
                      "§4: %s already studied case %s; a study counts once per person",
                      m->employee_id, m->case_id);
    Ladder__V1__Event *ev = ld_emit(c, out, ctx, "case", m->case_id, LADDER__V1__EVENT__BODY_CASE_STUDIED, 0);
    Ladder__V1__CaseStudied *b = ld_body_new(out, &ladder__v1__case_studied__descriptor);
    b->case_id = ld_ostr(out, m->case_id);
    b->employee_id = ld_ostr(out, m->employee_id);
    ev->case_studied = b;
    return ld_apply(c, ev);
}

int ld_decide_rate_case(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
                        ld_out_t *out)
{
    const Ladder__V1__RateCase *m = cmd->rate_case;
    uint32_t i, k;
    if (ld_need_emp(c, "rate_case.employee_id", m->employee_id, &i) ||
        need_live_case(c, "rate_case.case_id", m->case_id, &k))
        return -1;
    if (m->rating < LADDER__V1__RATING__RATING_EXCELLENT || m->rating > LADDER__V1__RATING__RATING_POOR)
        return ld_refuse(c, E(ERR_INVALID), "§4", "rate_case.rating",
                      "§4: rating must be excellent, average or poor");
    if (ld_pairs_get(&c->pairs[PS_RATED], k, i, NULL))
        return ld_refuse(c, E(ERR_DUPLICATE), "§4", "rate_case.case_id",
                      "§4: %s already rated case %s; each user rates a case once", m->employee_id,
                      m->case_id);
    Ladder__V1__Event *ev = ld_emit(c, out, ctx, "case", m->case_id, LADDER__V1__EVENT__BODY_CASE_RATED, 0);
    Ladder__V1__CaseRated *b = ld_body_new(out, &ladder__v1__case_rated__descriptor);
    b->case_id = ld_ostr(out, m->case_id);
    b->employee_id = ld_ostr(out, m->employee_id);
    b->rating = m->rating;
    ev->case_rated = b;
    return ld_apply(c, ev);
}

/* ---------------------------------------------------------- submissions -- */

int64_t ld_classicness(const ld_core_t *c, const case_t *k)
{
    const ld_rules_t *r = ld_cur_rules(c);
    return (int64_t)k->studies + k->exam_uses + r->excellent_weight * k->excellent -
           r->poor_weight * k->poor;
}

static int check_content(ld_core_t *c, const char *what, const Ladder__V1__CaseContent *ct)
{
    char field[64];
    snprintf(field, sizeof field, "%s.content", what);
    if (!ct)
        return ld_refuse(c, E(ERR_INVALID), "§4", field, "%s: required", field);
    snprintf(field, sizeof field, "%s.content.title", what);
    if (ld_check_text(c, field, ct->title, true))
        return -1;
    snprintf(field, sizeof field, "%s.content.background", what);
    if (ld_check_text(c, field, ct->background, false))
        return -1;
    if (ct->kind == LADDER__V1__CASE_KIND__CASE_KIND_TEXT) {
        snprintf(field, sizeof field, "%s.content.root", what);
        if (!ct->root || !ct->root->customer_says || !*ct->root->customer_says)
            return ld_refuse(c, E(ERR_INVALID), "§4", field,
                          "§4: a text case needs a root with the customer's first question");
    } else if (ct->kind == LADDER__V1__CASE_KIND__CASE_KIND_VOICE) {
        snprintf(field, sizeof field, "%s.content.voice.recording_uri", what);
        if (!ct->voice || !ct->voice->recording_uri || !*ct->voice->recording_uri)
            return ld_refuse(c, E(ERR_INVALID), "§4", field, "§4: a voice case needs its recording");
    } else {
        snprintf(field, sizeof field, "%s.content.kind", what);
        return ld_refuse(c, E(ERR_INVALID), "§4", field, "§4: kind must be text or voice");
    }
    return 0;
}

static Ladder__V1__CaseContent *copy_content(ld_out_t *out, const Ladder__V1__CaseContent *ct)
{
    /* a deep copy through the wire form keeps every nested field */
    size_t n = ladder__v1__case_content__get_packed_size(ct);
    uint8_t *buf = ld_arena_alloc(&out->arena, n + 1);
    ladder__v1__case_content__pack(ct, buf);
    Ladder__V1__CaseContent *copy = ladder__v1__case_content__unpack(&out->alloc, n, buf);
    return copy;
}

static int submit_case(ld_core_t *c, const Ladder__V1__SubmitCase *m, const ld_ctx_t *ctx,
                       ld_out_t *out, bool revision)
{
    const char *w = revision ? "revise_case" : "submit_case";
    char f_sub[48], f_case[48], f_author[48];
    snprintf(f_sub, sizeof f_sub, "%s.submission_id", w);
    snprintf(f_case, sizeof f_case, "%s.case_id", w);
    snprintf(f_author, sizeof f_author, "%s.author_id", w);
    uint32_t a, k;
    if (ld_need_emp(c, f_author, m->author_id, &a) ||
        ld_check_id(c, f_sub, m->submission_id) || ld_check_id(c, f_case, m->case_id) ||
        check_content(c, w, m->content))
        return -1;
    if (ld_sub_find(c, m->submission_id) != NONE)
        return ld_refuse(c, E(ERR_DUPLICATE), "§4", f_sub, "§4: submission %s already exists",
                      m->submission_id);
    k = ld_case_find(c, m->case_id);
    if (!revision && k != NONE)
        return ld_refuse(c, E(ERR_DUPLICATE), "§4", f_case, "§4: case %s already exists", m->case_id);
    if (revision) {
        if (k == NONE || !c->cases[k].accepted)
            return ld_refuse(c, E(ERR_NOT_FOUND), "§4", f_case, "§4: no case %s in the library",
                          m->case_id);
        if (c->cases[k].retired)
            return ld_refuse(c, E(ERR_REFUSED), "§4", f_case,
                          "§4: case %s is retired to the history library", m->case_id);
    }
    Ladder__V1__Event *ev = ld_emit(c, out, ctx, "case", m->case_id,
                                 revision ? LADDER__V1__EVENT__BODY_CASE_REVISED
                                          : LADDER__V1__EVENT__BODY_CASE_SUBMITTED, 0);
    Ladder__V1__CaseSubmitted *b = ld_body_new(out, &ladder__v1__case_submitted__descriptor);
    b->submission_id = ld_ostr(out, m->submission_id);
    b->case_id = ld_ostr(out, m->case_id);
    b->author_id = ld_ostr(out, m->author_id);
    b->content = copy_content(out, m->content);
    /* CaseRevised has the same fields, numbered alike: one body serves both */
    if (revision) {
        Ladder__V1__CaseRevised *rb = ld_body_new(out, &ladder__v1__case_revised__descriptor);
        rb->submission_id = b->submission_id;
        rb->case_id = b->case_id;
        rb->author_id = b->author_id;
        rb->content = b->content;
        ev->case_revised = rb;
    } else {
        ev->case_submitted = b;
    }
    return ld_apply(c, ev);
}

/* The most proposed category; ties go to the one proposed first. */
static uint32_t mode_category(const vec_t *v)
{
    uint32_t best = v->len ? v->v[0] : 0, best_n = 0;
    for (uint32_t i = 0; i < v->len; i++) {
        uint32_t n = 0;
        for (uint32_t j = 0; j < v->len; j++)
            n += v->v[j] == v->v[i];
        if (n > best_n)
            best = v->v[i], best_n = n;
    }
    return best;
}

/* Live cases of a partition, per half. */
static void partition_counts(const ld_core_t *c, uint32_t level, uint32_t cat, uint32_t n[3])
{
    n[0] = n[1] = n[2] = 0;
    for (uint32_t i = 0; i < c->g.n_cases; i++) {
        const case_t *k = &c->cases[i];
        if (k->accepted && !k->retired && k->level == level && k->category == cat)
            n[k->half]++;
    }
}

/* §4 v2: a case may leave only once its stable time is protect_days old. */
static bool evictable(const ld_core_t *c, const case_t *k, int64_t now)
{
    return now - k->stable_ms >= (int64_t)ld_cur_rules(c)->case_protect_days * 86400000LL;
}

/* §4: the case ranked last in its partition among those old enough to leave:
 * lowest classicness, then the oldest stable time, then the lowest id. */
static uint32_t eviction_candidate(const ld_core_t *c, uint32_t level, uint32_t cat, int64_t now)
{
    uint32_t best = NONE;
    for (uint32_t i = 0; i < c->g.n_cases; i++) {
        const case_t *k = &c->cases[i];
        if (!k->accepted || k->retired || k->level != level || k->category != cat ||
            !evictable(c, k, now))
            continue;
        if (best == NONE) {
            best = i;
            continue;
        }
        const case_t *b = &c->cases[best];
        int64_t ck = ld_classicness(c, k), cb = ld_classicness(c, b);
        if (ck < cb || (ck == cb && (k->stable_ms < b->stable_ms ||
                                     (k->stable_ms == b->stable_ms && strcmp(k->id, b->id) < 0))))
            best = i;
    }
    return best;
}

/* §4: retires the lowest-ranked cases old enough to leave until the partition
 * is at its cap or none is eligible (it may then stand above the cap).
 * Returns how many were retired, or -1. */
static int evict(ld_core_t *c, ld_out_t *out, const ld_ctx_t *ctx, uint32_t level, uint32_t cat,
                 uint64_t cause)
{
    const ld_rules_t *r = ld_cur_rules(c);
    int retired = 0;
    for (;;) {
        uint32_t n[3];
        partition_counts(c, level, cat, n);
        if (n[1] + n[2] <= r->case_cap)
            return retired;
        uint32_t victim = eviction_candidate(c, level, cat, ctx->now_ms);
        if (victim == NONE)
            return retired;
        const case_t *vk = &c->cases[victim];
        Ladder__V1__Event *ev = ld_emit(c, out, ctx, "case", vk->id, LADDER__V1__EVENT__BODY_CASE_RETIRED, cause);
        Ladder__V1__CaseRetired *rb = ld_body_new(out, &ladder__v1__case_retired__descriptor);
        rb->case_id = ld_ostr(out, vk->id);
        char why[128];
        snprintf(why, sizeof why, "§4: partition over its cap of %u; ranked last of the cases "
                 "stable for %u days or more", r->case_cap, r->case_protect_days);
        rb->reason = ld_ostr(out, why);
        rb->classicness = ld_classicness(c, vk);
        rb->stable_ms = vk->stable_ms;
        ev->case_retired = rb;
        if (ld_apply(c, ev))
            return -1;
        retired++;
    }
}

static int accept_sub(ld_core_t *c, ld_out_t *out, const ld_ctx_t *ctx, uint32_t si, uint64_t cause)
{
    const sub_t *u = &c->subs[si];
    const case_t *k = &c->cases[u->case_idx];
    uint32_t level = u->revision ? k->level : ld_median_u32(&u->levels);
    uint32_t cat = u->revision ? k->category : mode_category(&u->categories);
    uint32_t half = k->half;
    if (!u->revision) {
        uint32_t n[3];
        partition_counts(c, level, cat, n);
        half = n[LADDER__V1__HALF__HALF_TEST] < n[LADDER__V1__HALF__HALF_TRAINING]
                   ? LADDER__V1__HALF__HALF_TEST : LADDER__V1__HALF__HALF_TRAINING;
    }
    uint32_t award_amount = ld_median_u32(&u->amounts);
    uint32_t author = u->author;
    char case_id[LD_ID_MAX + 1];
    snprintf(case_id, sizeof case_id, "%s", k->id);
    bool revision = u->revision;
    Ladder__V1__Event *ev = ld_emit(c, out, ctx, "case", case_id, LADDER__V1__EVENT__BODY_CASE_ACCEPTED, cause);
    Ladder__V1__CaseAccepted *b = ld_body_new(out, &ladder__v1__case_accepted__descriptor);
    b->submission_id = ld_ostr(out, u->id);
    b->case_id = ld_ostr(out, case_id);
    b->level = level;
    b->category = ld_ostr(out, c->strings[cat]);
    b->half = (Ladder__V1__Half)half;
    b->award = award_amount;
    b->revision = revision;
    b->stable_ms = ctx->now_ms;
    ev->case_accepted = b;
    if (ld_apply(c, ev))
        return -1;
    uint64_t accepted = ev->seq;
    if (ld_award(c, out, ctx, author, award_amount,
              revision ? LADDER__V1__POINT_SOURCE__P4_CASE_REVISION : LADDER__V1__POINT_SOURCE__P3_NEW_CASE,
              case_id, accepted))
        return -1;
    if (revision)
        return 0;
    return evict(c, out, ctx, level, cat, accepted) < 0 ? -1 : 0;
}

/* §1 v2: reviewer is a fact of the log (admitted to the committee and not
 * removed, §5), or the manager or chair role; a claimed reviewer role is not. */
bool ld_may_review(const ld_core_t *c, const ld_ctx_t *ctx)
{
    if (ld_has_role(ctx, R(MANAGER) | R(CHAIR)))
        return true;
    uint32_t i = ctx->principal ? ld_emp_find(c, ctx->principal) : NONE;
    return i != NONE && (c->emps[i].flags & EF_COMMITTEE) && !(c->emps[i].flags & EF_LEFT);
}

int ld_decide_review_case(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
                          ld_out_t *out)
{
    const Ladder__V1__ReviewCase *m = cmd->review_case;
    const ld_rules_t *r = ld_cur_rules(c);
    if (ld_check_id(c, "review_case.submission_id", m->submission_id) ||
        ld_check_id(c, "review_case.reviewer_id", m->reviewer_id) ||
        ld_check_text(c, "review_case.comment", m->comment, false))
        return -1;
    if (!ctx->principal || strcmp(ctx->principal, m->reviewer_id) != 0)
        return ld_refuse(c, E(ERR_FORBIDDEN), "§5", "review_case.reviewer_id",
                      "§5: reviews are made in one's own name (%s is not %s)",
                      ctx->principal ? ctx->principal : "", m->reviewer_id);
    uint32_t si = ld_sub_find(c, m->submission_id);
    if (si == NONE)
        return ld_refuse(c, E(ERR_NOT_FOUND), "§4", "review_case.submission_id",
                      "§4: no submission %s", m->submission_id);
    const sub_t *u = &c->subs[si];
    if (u->state != SUB_PENDING)
        return ld_refuse(c, E(ERR_REFUSED), "§4", "review_case.submission_id",
                      "§4: submission %s was already %s", u->id,
                      u->state == SUB_ACCEPTED ? "accepted" : "rejected");
    if (!strcmp(c->emps[u->author].id, m->reviewer_id))
        return ld_refuse(c, E(ERR_REFUSED), "§4", "review_case.reviewer_id",
                      "§4: a reviewer may not review their own submission");
    uint32_t rv = ld_intern_find(c, m->reviewer_id);
    if (rv != NONE && ld_vec_has(&u->reviewers, rv))
        return ld_refuse(c, E(ERR_DUPLICATE), "§4", "review_case.reviewer_id",
                      "§4: %s already reviewed submission %s", m->reviewer_id, u->id);
    bool approve = m->verdict == LADDER__V1__VERDICT__VERDICT_APPROVE;
    if (!approve && m->verdict != LADDER__V1__VERDICT__VERDICT_REJECT)
        return ld_refuse(c, E(ERR_INVALID), "§4", "review_case.verdict",
                      "review_case.verdict: approve or reject");
    if (approve) {
        int64_t lo = u->revision ? r->case_revision_min : r->new_case_min;
        int64_t hi = u->revision ? r->case_revision_max : r->new_case_max;
        if (m->amount < lo || m->amount > hi)
            return ld_refuse(c, E(ERR_INVALID), "§3", "review_case.amount",
                          "§3 %s: the proposed amount must be %lld to %lld",
                          u->revision ? "P4" : "P3", (long long)lo, (long long)hi);
        if (!u->revision && (m->level < 1 || m->level > 5))
            return ld_refuse(c, E(ERR_INVALID), "§4", "review_case.level",
                          "§4: difficulty level must be 1 to 5");
        if (!u->revision && (ld_check_id(c, "review_case.category", m->category)))
            return -1;
    }
    char case_id[LD_ID_MAX + 1];
    snprintf(case_id, sizeof case_id, "%s", c->cases[u->case_idx].id);
    Ladder__V1__Event *ev = ld_emit(c, out, ctx, "case", case_id, LADDER__V1__EVENT__BODY_CASE_REVIEWED, 0);
    Ladder__V1__CaseReviewed *b = ld_body_new(out, &ladder__v1__case_reviewed__descriptor);
    b->submission_id = ld_ostr(out, m->submission_id);
    b->reviewer_id = ld_ostr(out, m->reviewer_id);
    b->verdict = m->verdict;
    b->amount = approve ? m->amount : 0;
    b->level = approve ? m->level : 0;
    b->category = ld_ostr(out, approve ? m->category : "");
    b->comment = ld_ostr(out, m->comment);
    ev->case_reviewed = b;
    if (ld_apply(c, ev))
        return -1;
    uint64_t reviewed = ev->seq;
    uint32_t reviewer = ld_emp_find(c, m->reviewer_id);
    if (reviewer != NONE && ld_award(c, out, ctx, reviewer, r->case_review,
                                  LADDER__V1__POINT_SOURCE__P7_CASE_REVIEW, m->submission_id, reviewed))
        return -1;
    u = &c->subs[si];
    if (u->approvals >= r->case_quorum)
        return accept_sub(c, out, ctx, si, reviewed);
    if (u->rejections >= r->case_reject_quorum) {
        ev = ld_emit(c, out, ctx, "case", case_id, LADDER__V1__EVENT__BODY_CASE_REJECTED, reviewed);
        Ladder__V1__CaseRejected *rb = ld_body_new(out, &ladder__v1__case_rejected__descriptor);
        rb->submission_id = ld_ostr(out, u->id);
        rb->case_id = ld_ostr(out, case_id);
        ev->case_rejected = rb;
        return ld_apply(c, ev);
    }
    return 0;
}

/* ------------------------------------------- §4 v2: the library check -- */

typedef struct {
    uint64_t key;           /* level << 32 | category */
    int64_t stable;
} part_case_t;

static int part_case_cmp(const void *a, const void *b)
{
    const part_case_t *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->stable > y->stable) - (x->stable < y->stable);
}

/* Visits every partition above its cap, in (level, category) order, with the
 * moment its first case becomes old enough to leave and how many cases may
 * leave at now (at most the excess). Returns the sum of those, or -1. */
typedef void (*over_fn)(void *arg, uint32_t level, uint32_t cat, int64_t first_due, uint32_t may_leave);
static long partitions_over(const ld_core_t *c, int64_t now, over_fn fn, void *arg)
{
    const ld_rules_t *r = ld_cur_rules(c);
    int64_t protect = (int64_t)r->case_protect_days * 86400000LL;
    part_case_t *v = ld_xmalloc((c->g.n_cases + 1) * sizeof *v);
    size_t n = 0;
    for (uint32_t i = 0; i < c->g.n_cases; i++) {
        const case_t *k = &c->cases[i];
        if (k->accepted && !k->retired)
            v[n++] = (part_case_t){(uint64_t)k->level << 32 | k->category, k->stable_ms};
    }
    qsort(v, n, sizeof *v, part_case_cmp);
    long total = 0;
    for (size_t a = 0, b; a < n; a = b) {
        uint32_t eligible = 0;
        for (b = a; b < n && v[b].key == v[a].key; b++)
            eligible += now - v[b].stable >= protect;
        uint32_t size = (uint32_t)(b - a);
        if (size <= r->case_cap)
            continue;
        uint32_t excess = size - r->case_cap;
        uint32_t leave = eligible < excess ? eligible : excess;
        total += leave;
        if (fn)
            fn(arg, (uint32_t)(v[a].key >> 32), (uint32_t)v[a].key, v[a].stable + protect, leave);
    }
    free(v);
    return total;
}

static void earliest(void *arg, uint32_t level, uint32_t cat, int64_t due, uint32_t leave)
{
    (void)level, (void)cat, (void)leave;
    int64_t *best = arg;
    if (*best == 0 || due < *best)
        *best = due;
}

bool ld_library_due(ld_core_t *c, int64_t *at)
{
    if (c->lib_dirty) {
        c->lib_due = 0;
        partitions_over(c, INT64_MIN / 2, earliest, &c->lib_due);
        c->lib_dirty = false;
    }
    *at = c->lib_due;
    return c->lib_due != 0;
}

typedef struct {
    uint32_t n;
    uint64_t parts[64];     /* level << 32 | category, with cases that may leave */
} over_list_t;

static void collect(void *arg, uint32_t level, uint32_t cat, int64_t due, uint32_t leave)
{
    (void)due;
    over_list_t *l = arg;
    if (leave && l->n < 64)
        l->parts[l->n++] = (uint64_t)level << 32 | cat;
}

/* §4 v2: the system's check (a deadline): every partition above its cap
 * retires what may leave now. Refused when nothing may. */
static int check_library(ld_core_t *c, const ld_ctx_t *ctx, ld_out_t *out)
{
    const ld_rules_t *r = ld_cur_rules(c);
    over_list_t l = {0};
    long n = partitions_over(c, ctx->now_ms, collect, &l);
    if (n <= 0)
        return ld_refuse(c, E(ERR_REFUSED), "§4", "check_library",
                      "§4: no partition above its cap of %u holds a case stable for %u days",
                      r->case_cap, r->case_protect_days);
    Ladder__V1__Event *ev = ld_emit(c, out, ctx, "library", NULL, LADDER__V1__EVENT__BODY_LIBRARY_CHECKED, 0);
    Ladder__V1__LibraryChecked *b = ld_body_new(out, &ladder__v1__library_checked__descriptor);
    b->retired = (uint32_t)n;
    ev->library_checked = b;
    if (ld_apply(c, ev))
        return -1;
    uint64_t checked = ev->seq;
    for (uint32_t i = 0; i < l.n; i++)
        if (evict(c, out, ctx, (uint32_t)(l.parts[i] >> 32), (uint32_t)l.parts[i], checked) < 0)
            return -1;
    return 0;
}

/* §4 v2: a chair retires a live case to the history library, with a reason. */
int ld_decide_retire_case(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
                          ld_out_t *out)
{
    const Ladder__V1__RetireCase *m = cmd->retire_case;
    uint32_t k;
    if (need_live_case(c, "retire_case.case_id", m->case_id, &k) ||
        ld_check_text(c, "retire_case.reason", m->reason, true))
        return -1;
    const case_t *cs = &c->cases[k];
    Ladder__V1__Event *ev = ld_emit(c, out, ctx, "case", cs->id, LADDER__V1__EVENT__BODY_CASE_RETIRED, 0);
    Ladder__V1__CaseRetired *b = ld_body_new(out, &ladder__v1__case_retired__descriptor);
    b->case_id = ld_ostr(out, cs->id);
    b->reason = ld_ostr(out, m->reason);
    b->classicness = ld_classicness(c, cs);
    b->stable_ms = cs->stable_ms;
    ev->case_retired = b;
    return ld_apply(c, ev);
}

/* §4 v2: a chair restores a retired case to its partition and half, with a
 * reason; refused while the partition is at its cap (ours). */
int ld_decide_restore_case(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
                           ld_out_t *out)
{
    const Ladder__V1__RestoreCase *m = cmd->restore_case;
    const ld_rules_t *r = ld_cur_rules(c);
    uint32_t k;
    if (ld_check_id(c, "restore_case.case_id", m->case_id) ||
        ld_check_text(c, "restore_case.reason", m->reason, true))
        return -1;
    if ((k = ld_case_find(c, m->case_id)) == NONE || !c->cases[k].accepted)
        return ld_refuse(c, E(ERR_NOT_FOUND), "§4", "restore_case.case_id",
                      "§4: no case %s in the library or its history", m->case_id);
    const case_t *cs = &c->cases[k];
    if (!cs->retired)
        return ld_refuse(c, E(ERR_REFUSED), "§4", "restore_case.case_id",
                      "§4: case %s is in the library, not in its history", m->case_id);
    uint32_t n[3];
    partition_counts(c, cs->level, cs->category, n);
    if (n[1] + n[2] >= r->case_cap)
        return ld_refuse(c, E(ERR_REFUSED), "§4", "restore_case.case_id",
                      "§4: partition (level %u, %s) holds %u cases, its cap is %u; retire one first",
                      cs->level, c->strings[cs->category], n[1] + n[2], r->case_cap);
    Ladder__V1__Event *ev = ld_emit(c, out, ctx, "case", cs->id, LADDER__V1__EVENT__BODY_CASE_RESTORED, 0);
    Ladder__V1__CaseRestored *b = ld_body_new(out, &ladder__v1__case_restored__descriptor);
    b->case_id = ld_ostr(out, cs->id);
    b->reason = ld_ostr(out, m->reason);
    b->level = cs->level;
    b->category = ld_ostr(out, c->strings[cs->category]);
    b->half = (Ladder__V1__Half)cs->half;
    ev->case_restored = b;
    return ld_apply(c, ev);
}

/* ---------------------------------------------------------------- query -- */

typedef struct {
    const ld_core_t *c;
    uint32_t idx;
    int64_t classic;
} ranked_t;

static int ranked_cmp(const void *a, const void *b)
{
    const ranked_t *x = a, *y = b;
    if (x->classic != y->classic)
        return x->classic > y->classic ? -1 : 1;
    const case_t *p = &x->c->cases[x->idx], *q = &y->c->cases[y->idx];
    if (p->stable_ms != q->stable_ms)
        return p->stable_ms > q->stable_ms ? -1 : 1; /* newer ranks higher */
    return -strcmp(p->id, q->id);
}

/* §4: a partition's cases, best first; the last is the next to leave. */
int ld_library_ranking(ld_core_t *c, const Ladder__V1__GetCaseRanking *q, ld_out_t *out,
                    Ladder__V1__CaseRanking **res)
{
    if (q->level < 1 || q->level >= LD_LEVELS)
        return ld_refuse(c, E(ERR_INVALID), "§4", "case_ranking.level", "§4: level must be 1 to 5");
    const char *cat = q->category ? q->category : "";
    uint32_t ci = *cat ? ld_intern_find(c, cat) : NONE;
    ranked_t *r = ld_xmalloc((c->g.n_cases + 1) * sizeof *r);
    size_t n = 0;
    for (uint32_t i = 0; i < c->g.n_cases; i++) {
        const case_t *k = &c->cases[i];
        if (!k->accepted || k->level != q->level || (bool)k->retired != (bool)q->history)
            continue;
        if (*cat && k->category != ci)
            continue;
        r[n++] = (ranked_t){c, i, ld_classicness(c, k)};
    }
    qsort(r, n, sizeof *r, ranked_cmp);
    Ladder__V1__CaseRanking *cr = ld_body_new(out, &ladder__v1__case_ranking__descriptor);
    cr->level = q->level;
    cr->category = ld_ostr(out, cat);
    cr->rows = ld_arena_alloc(&out->arena, (n + 1) * sizeof *cr->rows);
    for (size_t i = 0; i < n; i++) {
        const case_t *k = &c->cases[r[i].idx];
        Ladder__V1__CaseRow *row = ld_body_new(out, &ladder__v1__case_row__descriptor);
        row->case_id = ld_ostr(out, k->id);
        row->title = ld_ostr(out, k->title ? k->title : "");
        row->half = (Ladder__V1__Half)k->half;
        row->classicness = r[i].classic;
        row->stable_ms = k->stable_ms;
        row->studies = k->studies, row->exam_uses = k->exam_uses;
        row->excellent = k->excellent, row->average = k->average, row->poor = k->poor;
        row->eviction_order = *cat && !q->history ? (uint32_t)(n - i) : 0;
        row->retired = k->retired;
        cr->rows[cr->n_rows++] = row;
    }
    free(r);
    *res = cr;
    return 0;
}

int ld_decide_submit_case(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
                          ld_out_t *out)
{
    return submit_case(c, cmd->submit_case, ctx, out, false);
}

/* ReviseCase and SubmitCase carry the same fields with the same numbers. */
int ld_decide_revise_case(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
                          ld_out_t *out)
{
    return submit_case(c, (const Ladder__V1__SubmitCase *)cmd->revise_case, ctx, out, true);
}

int ld_decide_check_library(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx,
                            ld_out_t *out)
{
    (void)cmd;
    return check_library(c, ctx, out);
}

static int sub_evolve(ld_core_t *c, const Ladder__V1__Event *ev, const char *sub_id,
                      const char *case_id, const char *author, const Ladder__V1__CaseContent *ct,
                      bool revision)
{
    uint32_t a, k;
    if (!sub_id || !*sub_id || strlen(sub_id) > LD_ID_MAX || ld_sub_find(c, sub_id) != NONE ||
        !case_id || !*case_id || strlen(case_id) > LD_ID_MAX || (a = ld_emp_find(c, author)) == NONE)
        return -1;
    k = ld_case_find(c, case_id);
    if (revision ? k == NONE : k != NONE)
        return -1;
    if (!revision) {
        k = ld_case_new(c, case_id);
        c->cases[k].author = a;
        c->cases[k].title = ld_xstrdup(ct && ct->title ? ct->title : "");
    }
    uint32_t si = ld_sub_new(c, sub_id);
    sub_t *u = &c->subs[si];
    u->revision = revision;
    u->case_idx = k;
    u->author = a;
    u->at_ms = ev->at_ms;
    return 0;
}

int ld_library_evolve(ld_core_t *c, const Ladder__V1__Event *ev)
{
    uint32_t k, i;
    switch (ev->body_case) {
    case LADDER__V1__EVENT__BODY_CASE_SUBMITTED: {
        const Ladder__V1__CaseSubmitted *m = ev->case_submitted;
        return sub_evolve(c, ev, m->submission_id, m->case_id, m->author_id, m->content, false);
    }
    case LADDER__V1__EVENT__BODY_CASE_REVISED: {
        const Ladder__V1__CaseRevised *m = ev->case_revised;
        return sub_evolve(c, ev, m->submission_id, m->case_id, m->author_id, m->content, true);
    }
    case LADDER__V1__EVENT__BODY_CASE_REVIEWED: {
        const Ladder__V1__CaseReviewed *m = ev->case_reviewed;
        uint32_t si = m->submission_id ? ld_sub_find(c, m->submission_id) : NONE;
        if (si == NONE || c->subs[si].state != SUB_PENDING || !m->reviewer_id)
            return -1;
        uint32_t rv = ld_intern(c, m->reviewer_id);
        uint32_t cat = m->verdict == LADDER__V1__VERDICT__VERDICT_APPROVE
                           ? ld_intern(c, m->category ? m->category : "") : 0;
        ld_touch_sub(c, si);
        sub_t *u = &c->subs[si];
        ld_vec_push(&u->reviewers, rv);
        if (m->verdict == LADDER__V1__VERDICT__VERDICT_APPROVE) {
            u->approvals++;
            ld_vec_push(&u->amounts, (uint32_t)m->amount);
            ld_vec_push(&u->levels, m->level);
            ld_vec_push(&u->categories, cat);
        } else {
            u->rejections++;
        }
        return 0;
    }
    case LADDER__V1__EVENT__BODY_CASE_REJECTED: {
        uint32_t si = ev->case_rejected->submission_id ? ld_sub_find(c, ev->case_rejected->submission_id) : NONE;
        if (si == NONE || c->subs[si].state != SUB_PENDING)
            return -1;
        ld_touch_sub(c, si);
        c->subs[si].state = SUB_REJECTED;
        ld_contrib_decided(c, c->subs[si].author, false);
        return 0;
    }
    case LADDER__V1__EVENT__BODY_CASE_ACCEPTED: {
        const Ladder__V1__CaseAccepted *m = ev->case_accepted;
        if (!m->case_id || !*m->case_id || strlen(m->case_id) > LD_ID_MAX || m->level < 1 ||
            m->level >= LD_LEVELS || (m->half != LADDER__V1__HALF__HALF_TRAINING &&
                                      m->half != LADDER__V1__HALF__HALF_TEST))
            return -1;
        uint32_t cat = ld_intern(c, m->category ? m->category : "");
        uint32_t si = m->submission_id ? ld_sub_find(c, m->submission_id) : NONE;
        if (si != NONE) {
            if (c->subs[si].state != SUB_PENDING)
                return -1;
            ld_touch_sub(c, si);
            c->subs[si].state = SUB_ACCEPTED;
            ld_contrib_decided(c, c->subs[si].author, true);
        }
        k = ld_case_find(c, m->case_id);
        if (k == NONE)
            k = ld_case_new(c, m->case_id);
        case_t *cs = &c->cases[k];
        ld_touch_case(c, k);
        ld_touch_globals(c);
        if (cs->accepted && !cs->retired)
            c->g.lib_count[cs->level][cs->half]--;
        cs->accepted = 1;
        cs->retired = 0;
        cs->level = (uint8_t)m->level;
        cs->half = (uint8_t)m->half;
        cs->category = cat;
        cs->stable_ms = m->stable_ms ? m->stable_ms : ev->at_ms;
        cs->accepted_seq = ev->seq;
        c->g.lib_count[cs->level][cs->half]++;
        c->lib_dirty = true;
        return 0;
    }
    case LADDER__V1__EVENT__BODY_CASE_RETIRED:
        if ((k = ld_case_find(c, ev->case_retired->case_id)) == NONE || !c->cases[k].accepted ||
            c->cases[k].retired)
            return -1;
        ld_touch_case(c, k);
        ld_touch_globals(c);
        c->cases[k].retired = 1;
        c->g.lib_count[c->cases[k].level][c->cases[k].half]--;
        c->lib_dirty = true;
        return 0;
    case LADDER__V1__EVENT__BODY_CASE_RESTORED:
        if ((k = ld_case_find(c, ev->case_restored->case_id)) == NONE || !c->cases[k].accepted ||
            !c->cases[k].retired)
            return -1;
        ld_touch_case(c, k);
        ld_touch_globals(c);
        c->cases[k].retired = 0;
        c->g.lib_count[c->cases[k].level][c->cases[k].half]++;
        c->lib_dirty = true;
        return 0;
    case LADDER__V1__EVENT__BODY_LIBRARY_CHECKED:
        return 0;
    case LADDER__V1__EVENT__BODY_CASE_STUDIED:
        if ((k = ld_case_find(c, ev->case_studied->case_id)) == NONE ||
            (i = ld_emp_find(c, ev->case_studied->employee_id)) == NONE)
            return -1;
        /* §4 v2: classicness counts distinct studiers */
        if (!ld_vec_has(&c->emps[i].studied, k)) {
            ld_touch_case(c, k);
            c->cases[k].studies++;
            ld_touch_emp(c, i);
            ld_vec_push(&c->emps[i].studied, k);
        }
        return 0;
    case LADDER__V1__EVENT__BODY_CASE_RATED: {
        const Ladder__V1__CaseRated *m = ev->case_rated;
        if ((k = ld_case_find(c, m->case_id)) == NONE || (i = ld_emp_find(c, m->employee_id)) == NONE ||
            ld_pairs_get(&c->pairs[PS_RATED], k, i, NULL))
            return -1;
        ld_touch_case(c, k);
        case_t *cs = &c->cases[k];
        if (m->rating == LADDER__V1__RATING__RATING_EXCELLENT)
            cs->excellent++;
        else if (m->rating == LADDER__V1__RATING__RATING_POOR)
            cs->poor++;
        else
            cs->average++;
        ld_pair_add(c, PS_RATED, k, i, (uint32_t)m->rating);
        return 0;
    }
    case LADDER__V1__EVENT__BODY_CASE_USED_IN_EXAM:
        if ((k = ld_case_find(c, ev->case_used_in_exam->case_id)) == NONE)
            return -1;
        ld_touch_case(c, k);
        c->cases[k].exam_uses++;
        return 0;
    default:
        return -1; /* not of this module: the event table routes it elsewhere */
    }
}
