/* rules.c — rules as data (RULES.md §10): defaults, JSON parse and dump.
 *
 * One table drives both directions, so a number added to ld_rules_t and the
 * table is parsed, validated and serialized without further code.
 */
#include "rules.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

enum { T_I64, T_U32, T_I32, T_I64V, T_U32V };

typedef struct {
    const char *section;
    const char *key;
    int type;
    size_t off;
    int64_t min, max;
    size_t n; /* vector length for T_*V */
} field_t;

#define F(sec, key, type, member, min, max) {sec, key, type, offsetof(ld_rules_t, member), min, max, 0}
#define V(sec, key, type, member, min, max, n) {sec, key, type, offsetof(ld_rules_t, member), min, max, n}

static const field_t fields[] = {
    F("points", "kb_revision_min", T_I64, kb_revision_min, 0, 1000000),
    F("points", "kb_revision_max", T_I64, kb_revision_max, 0, 1000000),
    F("points", "new_case_min", T_I64, new_case_min, 0, 1000000),
    F("points", "new_case_max", T_I64, new_case_max, 0, 1000000),
    F("points", "case_revision_min", T_I64, case_revision_min, 0, 1000000),
    F("points", "case_revision_max", T_I64, case_revision_max, 0, 1000000),
    F("points", "quality_each_min", T_I64, quality_each_min, 0, 1000000),
    F("points", "quality_each_max", T_I64, quality_each_max, 0, 1000000),
    F("points", "quality_outstanding", T_I64, quality_outstanding, 0, 1000000),
    F("points", "kb_review", T_I64, kb_review, 0, 1000000),
    F("points", "case_review", T_I64, case_review, 0, 1000000),
    F("points", "apprentice", T_I64, apprentice, 0, 1000000),
    F("points", "suggestion_min", T_I64, suggestion_min, 0, 1000000),
    F("points", "suggestion_max", T_I64, suggestion_max, 0, 1000000),
    F("points", "feasible_min", T_I64, feasible_min, 0, 1000000),
    F("points", "feasible_max", T_I64, feasible_max, 0, 1000000),
    F("points", "volunteer_per_hour", T_I64, volunteer_per_hour, 0, 1000000),
    V("points", "level_task", T_I64V, level_task, 0, 1000000, LD_LEVELS),
    V("points", "daily_cap", T_I64V, daily_cap, 0, 1000000000, LD_SOURCES),
    F("kb", "quorum", T_U32, kb_quorum, 1, 100),
    F("kb", "reject_quorum", T_U32, kb_reject_quorum, 1, 100),
    F("case", "quorum", T_U32, case_quorum, 1, 100),
    F("case", "reject_quorum", T_U32, case_reject_quorum, 1, 100),
    F("case", "cap", T_U32, case_cap, 2, 100000),
    F("case", "protect_days", T_U32, case_protect_days, 0, 36500),
    F("case", "excellent_weight", T_I64, excellent_weight, 0, 1000),
    F("case", "poor_weight", T_I64, poor_weight, 0, 1000),
    F("committee", "points", T_I64, committee_points, 0, 100000000),
    F("committee", "min_level", T_U32, committee_min_level, 0, LD_LEVELS - 1),
    F("committee", "acceptance_pct_x10", T_U32, committee_pct_x10, 0, 1000),
    F("committee", "min_decided", T_U32, committee_min_decided, 0, 100000),
    V("promotion", "points", T_I64V, promotion_points, 0, 100000000, LD_LEVELS),
    F("promotion", "training_pct", T_U32, training_pct, 0, 100),
    V("promotion", "apprentices", T_U32V, apprentices_needed, 0, 100, LD_LEVELS),
    V("promotion", "apprentices_from", T_U32V, apprentices_from, 0, LD_LEVELS - 1, LD_LEVELS),
    F("promotion", "mentor_min_level", T_U32, mentor_min_level, 0, LD_LEVELS - 1),
    F("promotion", "mentor_min_gap", T_U32, mentor_min_gap, 1, LD_LEVELS - 1),
    F("exam", "size", T_U32, exam_size, 1, 100),
    F("exam", "min_size", T_U32, exam_min_size, 1, 100),
    F("exam", "max_size", T_U32, exam_max_size, 1, 100),
    F("exam", "pass_pct", T_U32, exam_pass_pct, 0, 100),
    F("exam", "retake_days", T_U32, exam_retake_days, 0, 3650),
    F("exam", "expiry_days", T_U32, exam_expiry_days, 1, 3650),
    V("promotion", "min_days", T_U32V, promotion_min_days, 0, 36500, LD_LEVELS),
    F("mentoring", "max_active", T_U32, mentoring_max_active, 1, 1000),
    F("mentoring", "min_days", T_U32, mentoring_min_days, 0, 3650),
    F("retention", "extension_max_days", T_U32, extension_max_days, 0, 3650),
    F("retention", "points", T_I64, retention_points, 0, 100000000),
    V("retention", "apprentices", T_U32V, retention_apprentices, 0, 100, LD_LEVELS),
    F("retention", "year_months", T_U32, year_months, 1, 120),
    F("retention", "window_months", T_U32, window_months, 1, 120),
    F("retention", "appeal_days", T_U32, appeal_days, 0, 3650),
    F("qc", "min_group", T_U32, qc_min_group, 1, 100),
    F("qc", "max_group", T_U32, qc_max_group, 1, 100),
    F("qc", "max_groups", T_U32, qc_max_groups, 1, 1000),
    F("calendar", "utc_offset_minutes", T_I32, utc_offset_min, -14 * 60, 14 * 60),
    F("calendar", "week_start", T_U32, week_start, 1, 7),
};

#define NFIELDS (sizeof fields / sizeof *fields)

static const char *const sections[] = {"points", "kb", "case", "committee", "promotion",
                                       "exam", "retention", "qc", "calendar",
                                       "mentoring"};

void ld_rules_default(ld_rules_t *r)
{
    static const char *zh[] = {"小学生", "大学生", "教师", "高级教师", "导师", "大师"};
    static const char *en[] = {"Pupil", "Undergraduate", "Teacher", "Senior Teacher", "Mentor",
                               "Master"};
    /* taekwondo belts, as the seed borrows them */
    static const char *belt[] = {"white", "yellow", "green", "blue", "red", "black"};
    static const char *priv[LD_LEVELS][3] = {
        {"forum:basic", "", ""},
        {"forum:basic", "kb:propose", ""},
        {"forum:teachers", "kb:propose", "case:submit"},
        {"forum:teachers", "case:submit", "rest-plan:extra-day"},
        {"forum:mentors", "case:submit", "study-visit"},
        {"forum:masters", "study-visit", "training-place:priority"},
    };
    memset(r, 0, sizeof *r);
    for (int l = 0; l < LD_LEVELS; l++) {
        ld_level_rule_t *lv = &r->levels[l];
        snprintf(lv->title_zh, sizeof lv->title_zh, "%s", zh[l]);
        snprintf(lv->title_en, sizeof lv->title_en, "%s", en[l]);
        snprintf(lv->belt, sizeof lv->belt, "%s", belt[l]);
        lv->salary_grade = (uint32_t)l + 1;
        for (int i = 0; i < 3 && priv[l][i][0]; i++)
            snprintf(lv->privileges[lv->n_privileges++], 32, "%s", priv[l][i]);
        r->level_task[l] = 50;
        r->promotion_points[l] = 800 * (l + 1);
    }
    r->kb_revision_min = 2, r->kb_revision_max = 5;
    r->new_case_min = 20, r->new_case_max = 50;
    r->case_revision_min = 5, r->case_revision_max = 20;
    r->quality_each_min = 5, r->quality_each_max = 10;
    r->quality_outstanding = 60;
    r->kb_review = 5;
    r->case_review = 20;
    r->apprentice = 200;
    r->suggestion_min = 30, r->suggestion_max = 100;
    r->feasible_min = 60, r->feasible_max = 200;
    r->volunteer_per_hour = 10;
    r->kb_quorum = 3, r->kb_reject_quorum = 3;
    r->case_quorum = 3, r->case_reject_quorum = 3;
    r->case_cap = 120;
    r->case_protect_days = 180;
    r->excellent_weight = 5, r->poor_weight = 5;
    r->committee_points = 3200;
    r->committee_min_level = 4;
    r->committee_pct_x10 = 850;
    r->committee_min_decided = 10;
    r->training_pct = 90;
    r->n_bands = 4;
    r->bands[0] = (ld_band_t){150000, 1};
    r->bands[1] = (ld_band_t){140000, 2};
    r->bands[2] = (ld_band_t){130000, 4};
    r->bands[3] = (ld_band_t){120000, 5};
    r->apprentices_needed[3] = 3, r->apprentices_from[3] = 0;
    r->apprentices_needed[4] = 3, r->apprentices_from[4] = 1;
    r->mentor_min_level = 2;
    r->mentor_min_gap = 2;
    r->exam_size = 10, r->exam_min_size = 10, r->exam_max_size = 20;
    r->exam_pass_pct = 80;
    r->exam_retake_days = 14;
    r->exam_expiry_days = 14;        /* §6.6 v2 (ours) */
    r->mentoring_max_active = 5;     /* §6.5 v2 (ours) */
    r->mentoring_min_days = 30;      /* §6.5 v2 (ours) */
    r->extension_max_days = 60;      /* §7 v2 */
    r->retention_points = 200;
    r->retention_apprentices[3] = 1, r->retention_apprentices[4] = 1;
    r->year_months = 12;
    r->window_months = 1;
    r->appeal_days = 30;
    r->qc_min_group = 3, r->qc_max_group = 5, r->qc_max_groups = 3;
    r->utc_offset_min = 480;
    r->week_start = 1;
}

uint32_t ld_rules_band(const ld_rules_t *r, int64_t total_ms)
{
    uint32_t best = 0;
    for (uint32_t i = 0; i < r->n_bands; i++)
        if (total_ms < r->bands[i].below_ms && r->bands[i].up_to > best)
            best = r->bands[i].up_to;
    return best;
}

/* ---------------------------------------------------------------- parse -- */

typedef struct {
    char *field;
    size_t fieldlen;
    char *msg;
    size_t msglen;
} perr_t;

static int bad(perr_t *e, const char *path, const char *fmt, long long a, long long b)
{
    snprintf(e->field, e->fieldlen, "%s", path);
    snprintf(e->msg, e->msglen, fmt, path, a, b);
    return -1;
}

static int get_int(json_t *v, const char *path, int64_t min, int64_t max, int64_t *out, perr_t *e)
{
    if (!json_is_integer(v))
        return bad(e, path, "%s: must be an integer", 0, 0);
    json_int_t x = json_integer_value(v);
    if (x < min || x > max)
        return bad(e, path, "%s: must be between %lld and %lld", min, max);
    *out = x;
    return 0;
}

static void store_int(ld_rules_t *r, const field_t *f, size_t i, int64_t x)
{
    char *p = (char *)r + f->off;
    switch (f->type) {
    case T_I64: case T_I64V: ((int64_t *)p)[i] = x; break;
    case T_U32: case T_U32V: ((uint32_t *)p)[i] = (uint32_t)x; break;
    case T_I32: ((int32_t *)p)[i] = (int32_t)x; break;
    }
}

static int64_t load_int(const ld_rules_t *r, const field_t *f, size_t i)
{
    const char *p = (const char *)r + f->off;
    switch (f->type) {
    case T_I64: case T_I64V: return ((const int64_t *)p)[i];
    case T_U32: case T_U32V: return ((const uint32_t *)p)[i];
    case T_I32: return ((const int32_t *)p)[i];
    }
    return 0;
}

static int copy_str(json_t *v, const char *path, char *dst, size_t cap, perr_t *e)
{
    if (!json_is_string(v))
        return bad(e, path, "%s: must be a string", 0, 0);
    if (json_string_length(v) == 0 || json_string_length(v) >= cap)
        return bad(e, path, "%s: must be 1 to %lld bytes", (long long)cap - 1, 0);
    memcpy(dst, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

static int parse_levels(ld_rules_t *r, json_t *arr, perr_t *e)
{
    char path[96];
    if (!json_is_array(arr) || json_array_size(arr) != LD_LEVELS)
        return bad(e, "levels", "%s: must be an array of %lld level objects", LD_LEVELS, 0);
    for (size_t l = 0; l < LD_LEVELS; l++) {
        json_t *o = json_array_get(arr, l), *v;
        const char *k;
        ld_level_rule_t *lv = &r->levels[l];
        snprintf(path, sizeof path, "levels[%zu]", l);
        if (!json_is_object(o))
            return bad(e, path, "%s: must be an object", 0, 0);
        json_object_foreach(o, k, v) {
            snprintf(path, sizeof path, "levels[%zu].%s", l, k);
            int rc = 0;
            if (!strcmp(k, "title_zh"))
                rc = copy_str(v, path, lv->title_zh, sizeof lv->title_zh, e);
            else if (!strcmp(k, "title_en"))
                rc = copy_str(v, path, lv->title_en, sizeof lv->title_en, e);
            else if (!strcmp(k, "belt"))
                rc = copy_str(v, path, lv->belt, sizeof lv->belt, e);
            else if (!strcmp(k, "salary_grade")) {
                int64_t x;
                rc = get_int(v, path, 0, 1000, &x, e);
                lv->salary_grade = (uint32_t)x;
            } else if (!strcmp(k, "privileges")) {
                if (!json_is_array(v) || json_array_size(v) > LD_MAX_PRIVILEGES)
                    return bad(e, path, "%s: must be an array of at most %lld strings",
                               LD_MAX_PRIVILEGES, 0);
                lv->n_privileges = (uint32_t)json_array_size(v);
                for (size_t i = 0; i < lv->n_privileges && !rc; i++) {
                    snprintf(path, sizeof path, "levels[%zu].privileges[%zu]", l, i);
                    rc = copy_str(json_array_get(v, i), path, lv->privileges[i], 32, e);
                }
            } else
                return bad(e, path, "%s: unknown key", 0, 0);
            if (rc)
                return rc;
        }
    }
    return 0;
}

static int parse_bands(ld_rules_t *r, json_t *arr, perr_t *e)
{
    char path[64];
    if (!json_is_array(arr) || json_array_size(arr) == 0 || json_array_size(arr) > LD_MAX_BANDS)
        return bad(e, "query.bands", "%s: must be an array of 1 to %lld bands", LD_MAX_BANDS, 0);
    r->n_bands = (uint32_t)json_array_size(arr);
    for (size_t i = 0; i < r->n_bands; i++) {
        json_t *o = json_array_get(arr, i), *v;
        const char *k;
        snprintf(path, sizeof path, "query.bands[%zu]", i);
        if (!json_is_object(o))
            return bad(e, path, "%s: must be an object {below_ms, up_to}", 0, 0);
        r->bands[i] = (ld_band_t){0, 0};
        json_object_foreach(o, k, v) {
            snprintf(path, sizeof path, "query.bands[%zu].%s", i, k);
            int64_t x;
            if (!strcmp(k, "below_ms")) {
                if (get_int(v, path, 1, 86400000, &x, e))
                    return -1;
                r->bands[i].below_ms = x;
            } else if (!strcmp(k, "up_to")) {
                if (get_int(v, path, 1, LD_LEVELS - 1, &x, e))
                    return -1;
                r->bands[i].up_to = (uint32_t)x;
            } else
                return bad(e, path, "%s: unknown key", 0, 0);
        }
        if (!r->bands[i].below_ms || !r->bands[i].up_to)
            return bad(e, path, "%s: needs both below_ms and up_to", 0, 0);
    }
    return 0;
}

static int parse_section(ld_rules_t *r, const char *sec, json_t *obj, perr_t *e)
{
    char path[128];
    const char *k;
    json_t *v;
    if (!json_is_object(obj))
        return bad(e, sec, "%s: must be an object", 0, 0);
    json_object_foreach(obj, k, v) {
        snprintf(path, sizeof path, "%.20s.%.100s", sec, k);
        if (!strcmp(sec, "query") && !strcmp(k, "bands")) {
            if (parse_bands(r, v, e))
                return -1;
            continue;
        }
        const field_t *f = NULL;
        for (size_t i = 0; i < NFIELDS; i++)
            if (!strcmp(fields[i].section, sec) && !strcmp(fields[i].key, k))
                f = &fields[i];
        if (!f)
            return bad(e, path, "%s: unknown key", 0, 0);
        int64_t x;
        if (f->type == T_I64V || f->type == T_U32V) {
            if (!json_is_array(v) || json_array_size(v) != f->n)
                return bad(e, path, "%s: must be an array of %lld integers", (long long)f->n, 0);
            for (size_t i = 0; i < f->n; i++) {
                char ip[160];
                snprintf(ip, sizeof ip, "%.120s[%zu]", path, i);
                if (get_int(json_array_get(v, i), ip, f->min, f->max, &x, e))
                    return -1;
                store_int(r, f, i, x);
            }
        } else {
            if (get_int(v, path, f->min, f->max, &x, e))
                return -1;
            store_int(r, f, 0, x);
        }
    }
    return 0;
}

/* Cross-field checks: ranges ordered, exam sizes consistent. */
static int check(const ld_rules_t *r, perr_t *e)
{
    struct { const char *path; int64_t lo, hi; } ranges[] = {
        {"points.kb_revision_min", r->kb_revision_min, r->kb_revision_max},
        {"points.new_case_min", r->new_case_min, r->new_case_max},
        {"points.case_revision_min", r->case_revision_min, r->case_revision_max},
        {"points.quality_each_min", r->quality_each_min, r->quality_each_max},
        {"points.suggestion_min", r->suggestion_min, r->suggestion_max},
        {"points.feasible_min", r->feasible_min, r->feasible_max},
        {"exam.min_size", r->exam_min_size, r->exam_max_size},
        {"qc.min_group", r->qc_min_group, r->qc_max_group},
    };
    for (size_t i = 0; i < sizeof ranges / sizeof *ranges; i++)
        if (ranges[i].lo > ranges[i].hi)
            return bad(e, ranges[i].path, "%s (%lld) must not exceed its maximum (%lld)",
                       ranges[i].lo, ranges[i].hi);
    if (r->exam_size < r->exam_min_size || r->exam_size > r->exam_max_size)
        return bad(e, "exam.size", "%s: must lie between exam.min_size and exam.max_size (%lld–%lld)",
                   r->exam_min_size, r->exam_max_size);
    if (r->window_months > r->year_months)
        return bad(e, "retention.window_months", "%s: must not exceed year_months (%lld)",
                   r->year_months, 0);
    return 0;
}

int ld_rules_parse(ld_rules_t *r, const char *json, size_t len, char *field, size_t fieldlen,
                   char *msg, size_t msglen)
{
    perr_t e = {field, fieldlen, msg, msglen};
    json_error_t jerr;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        snprintf(field, fieldlen, "rules_json");
        snprintf(msg, msglen, "rules_json: not valid JSON at line %d column %d: %s", jerr.line,
                 jerr.column, jerr.text);
        return -1;
    }
    int rc = 0;
    if (!json_is_object(root)) {
        rc = bad(&e, "rules_json", "%s: must be a JSON object", 0, 0);
        goto out;
    }
    ld_rules_t tmp = *r;
    const char *k;
    json_t *v;
    json_object_foreach(root, k, v) {
        if (!strcmp(k, "levels"))
            rc = parse_levels(&tmp, v, &e);
        else if (!strcmp(k, "query"))
            rc = parse_section(&tmp, "query", v, &e);
        else {
            size_t i;
            for (i = 0; i < sizeof sections / sizeof *sections; i++)
                if (!strcmp(k, sections[i]))
                    break;
            rc = i < sizeof sections / sizeof *sections ? parse_section(&tmp, k, v, &e)
                                                        : bad(&e, k, "%s: unknown key", 0, 0);
        }
        if (rc)
            goto out;
    }
    if ((rc = check(&tmp, &e)))
        goto out;
    tmp.version = r->version;
    *r = tmp;
out:
    json_decref(root);
    return rc;
}

/* ----------------------------------------------------------------- dump -- */

char *ld_rules_to_json(const ld_rules_t *r)
{
    json_t *root = json_object();
    for (size_t s = 0; s < sizeof sections / sizeof *sections; s++)
        json_object_set_new(root, sections[s], json_object());
    json_object_set_new(root, "query", json_object());
    for (size_t i = 0; i < NFIELDS; i++) {
        const field_t *f = &fields[i];
        json_t *sec = json_object_get(root, f->section), *v;
        if (f->type == T_I64V || f->type == T_U32V) {
            v = json_array();
            for (size_t j = 0; j < f->n; j++)
                json_array_append_new(v, json_integer(load_int(r, f, j)));
        } else {
            v = json_integer(load_int(r, f, 0));
        }
        json_object_set_new(sec, f->key, v);
    }
    json_t *bands = json_array();
    for (uint32_t i = 0; i < r->n_bands; i++)
        json_array_append_new(bands, json_pack("{s:I,s:I}", "below_ms", (json_int_t)r->bands[i].below_ms,
                                               "up_to", (json_int_t)r->bands[i].up_to));
    json_object_set_new(json_object_get(root, "query"), "bands", bands);
    json_t *levels = json_array();
    for (int l = 0; l < LD_LEVELS; l++) {
        const ld_level_rule_t *lv = &r->levels[l];
        json_t *priv = json_array();
        for (uint32_t i = 0; i < lv->n_privileges; i++)
            json_array_append_new(priv, json_string(lv->privileges[i]));
        json_array_append_new(levels, json_pack("{s:s,s:s,s:s,s:I,s:o}", "title_zh", lv->title_zh,
                                                "title_en", lv->title_en, "belt", lv->belt,
                                                "salary_grade", (json_int_t)lv->salary_grade,
                                                "privileges", priv));
    }
    json_object_set_new(root, "levels", levels);
    char *out = json_dumps(root, JSON_SORT_KEYS | JSON_COMPACT);
    json_decref(root);
    return out;
}
