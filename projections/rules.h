/* rules.h — every number of RULES.md as data (§10), with defaults equal to it.
 *
 * A rules document is JSON (jansson). Loading starts from the defaults and
 * overlays the document, so a document may name only what it changes; an
 * unknown key, a wrong type or a value out of range is refused with the JSON
 * path of the field. Adopted documents are stored canonical (sorted keys).
 */
#ifndef LD_RULES_H
#define LD_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LD_LEVELS 6          /* levels 0..5 (§2) */
#define LD_MAX_PRIVILEGES 8
#define LD_MAX_BANDS 8
#define LD_SOURCES 13        /* PointSource 0..12 */

typedef struct {
    char title_zh[32];
    char title_en[32];
    char belt[16];
    uint32_t salary_grade;
    uint32_t n_privileges;
    char privileges[LD_MAX_PRIVILEGES][32];
} ld_level_rule_t;

typedef struct {
    int64_t below_ms;        /* T < below_ms qualifies ... */
    uint32_t up_to;          /* ... up to this level (§6.4, half-open bands) */
} ld_band_t;

typedef struct {
    uint32_t version;        /* 0 for the built-in defaults before any adoption */
    ld_level_rule_t levels[LD_LEVELS];

    /* §3 points */
    int64_t kb_revision_min, kb_revision_max;         /* P2 2–5 */
    int64_t new_case_min, new_case_max;               /* P3 20–50 */
    int64_t case_revision_min, case_revision_max;     /* P4 5–20 */
    int64_t quality_each_min, quality_each_max;       /* P5 5–10 */
    int64_t quality_outstanding;                      /* P5 60 */
    int64_t kb_review;                                /* P6 5 */
    int64_t case_review;                              /* P7 20 */
    int64_t apprentice;                               /* P8 200 */
    int64_t suggestion_min, suggestion_max;           /* P9 adopted 30–100 */
    int64_t feasible_min, feasible_max;               /* P9 feasible 60–200 */
    int64_t volunteer_per_hour;                       /* P11 10 (ours) */
    int64_t level_task[LD_LEVELS];                    /* P1 per level task (ours: 50) */
    int64_t daily_cap[LD_SOURCES];                    /* 0 = no cap (default) */

    /* §4 */
    uint32_t kb_quorum, kb_reject_quorum;             /* 3, 3 */
    uint32_t case_quorum, case_reject_quorum;         /* 3, 3 */
    uint32_t case_cap;                                /* 120 per partition */
    uint32_t case_protect_days;                       /* 180: younger never evicted (v2) */
    int64_t excellent_weight, poor_weight;            /* classicness ±5 */

    /* §5 */
    int64_t committee_points;                         /* 3200 */
    uint32_t committee_min_level;                     /* 4 (v2) */
    uint32_t committee_pct_x10;                       /* > 85.0 % */
    uint32_t committee_min_decided;                   /* 10 (ours) */

    /* §6 */
    int64_t promotion_points[LD_LEVELS];              /* [L] to go from L to L+1 */
    uint32_t training_pct;                            /* 90 (ours) */
    uint32_t n_bands;
    ld_band_t bands[LD_MAX_BANDS];
    uint32_t apprentices_needed[LD_LEVELS];           /* [target]: 0,0,0,3,3,0 */
    uint32_t apprentices_from[LD_LEVELS];             /* [target]: level brought from */
    uint32_t mentor_min_level;                        /* 2 */
    uint32_t mentor_min_gap;                          /* 2 */
    uint32_t exam_size, exam_min_size, exam_max_size; /* 10, 10, 20 */
    uint32_t exam_pass_pct;                           /* 80 (ours) */
    uint32_t exam_retake_days;                        /* 14 (ours) */
    uint32_t exam_expiry_days;                        /* v2: 14 (ours) */
    uint32_t promotion_min_days[LD_LEVELS];           /* v2 §6.7: [L] days at L, 0 */
    uint32_t mentoring_max_active;                    /* v2 §6.5: 5 (ours) */
    uint32_t mentoring_min_days;                      /* v2 §6.5: 30 (ours) */

    /* §7 */
    int64_t retention_points;                         /* 200 */
    uint32_t retention_apprentices[LD_LEVELS];        /* 0,0,0,1,1,0 */
    uint32_t year_months;                             /* 12 */
    uint32_t window_months;                           /* 1: months 11–12 */
    uint32_t appeal_days;                             /* 30 (ours) */
    uint32_t extension_max_days;                      /* v2: 60 */

    /* §8 */
    uint32_t qc_min_group, qc_max_group, qc_max_groups; /* 3, 5, 3 */

    /* §9 calendar: fixed UTC offset, no time-zone database */
    int32_t utc_offset_min;                           /* +480 */
    uint32_t week_start;                              /* 1 = Monday ... 7 = Sunday */
} ld_rules_t;

/* Fills r with the built-in defaults of RULES.md. */
void ld_rules_default(ld_rules_t *r);

/* Parses a rules document over the defaults. Returns 0, or -1 with the JSON
 * path of the bad field in field and a sentence in msg. */
int ld_rules_parse(ld_rules_t *r, const char *json, size_t len, char *field, size_t fieldlen,
                   char *msg, size_t msglen);

/* Serializes r as a canonical JSON document (sorted keys, compact).
 * Caller frees the returned string. */
char *ld_rules_to_json(const ld_rules_t *r);

/* §6.4: the highest level a query test of total_ms qualifies for (0 = none). */
uint32_t ld_rules_band(const ld_rules_t *r, int64_t total_ms);

#endif
