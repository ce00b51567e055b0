/* internal.h — the core's state and the helpers its modules share.
 * Not a public header: only the .c files of projections/ include it.
 *
 * Entities live in arrays indexed by uint32 and are found by id through the
 * core's one hash table (ld_table_t: open addressing, FNV-1a). Every
 * mutation made by evolve goes through touch_*() first, which copies the
 * record into the undo journal when a savepoint is open (state.c,
 * "Savepoints").
 */
#ifndef LD_INTERNAL_H
#define LD_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "commands.h"
#include "core.h"
#include "fnv.h"

#define LD_ID_MAX 32         /* ids: 1..32 bytes of [A-Za-z0-9._:@-] */
#define LD_NAME_MAX 200      /* display names and short texts, bytes */
#define LD_GROUP_NAME_MAX 64 /* team and centre names (§1), bytes: boards are named by them */
#define LD_EXAM_MAX 20
#define NONE UINT32_MAX

/* Allocation failure is not bad input: it aborts, through one place. */
void *ld_xmalloc(size_t n);
void *ld_xcalloc(size_t n, size_t m);
void *ld_xrealloc(void *p, size_t n);
void *ld_xmalloc_big(size_t n);  /* an array filled at once: huge pages asked for */
/* An array that grows with the history, in pages of its own (n: bytes):
 * grown in place or moved by mremap, never copied; freed by ld_big_free
 * with its size. ld_big_alloc asks for huge pages (filled at once). */
void *ld_big_grow(void *p, size_t old_n, size_t n);
void *ld_big_alloc(size_t n);
void ld_big_free(void *p, size_t n);
#define LD_GROW_BIG(arr, cap, n)                                            \
    do {                                                                    \
        if ((n) >= (cap)) {                                                 \
            size_t old_ = (cap) * sizeof *(arr);                            \
            (cap) = (cap) ? (cap) * 2 : 1024;                               \
            (arr) = ld_big_grow((arr), old_, (cap) * sizeof *(arr));        \
        }                                                                   \
    } while (0)
char *ld_xstrdup(const char *s);
/* The caller is about to write bytes [at, at + n) of an array of cap bytes
 * at base, appending: the pages of each 256 KiB chunk it enters are asked
 * for at once instead of faulted in one by one (util.c). A hint only. */
void ld_pages_ahead(void *base, size_t at, size_t n, size_t cap);
/* The same for n bytes at base about to be written all over (a new table). */
void ld_pages_fill(void *base, size_t n);

/* Grows arr (capacity cap, doubling from 64) to hold index n. */
#define LD_GROW(arr, cap, n)                                                \
    do {                                                                    \
        if ((n) >= (cap)) {                                                 \
            (cap) = (cap) ? (cap) * 2 : 64;                                 \
            (arr) = ld_xrealloc((arr), (cap) * sizeof *(arr));              \
        }                                                                   \
    } while (0)

/* --------------------------------------------------------------- vec -- */

typedef struct {
    uint32_t *v;
    uint32_t len, cap;
} vec_t;

void ld_vec_push(vec_t *a, uint32_t x);
void ld_vec_reserve(vec_t *a, uint32_t n);  /* capacity for n, exactly */
bool ld_vec_has(const vec_t *a, uint32_t x);
bool ld_vec_remove(vec_t *a, uint32_t x); /* keeps order */
void ld_vec_free(vec_t *a);

/* ------------------------------------------------------------- arena -- */

typedef struct arena_chunk arena_chunk_t;
typedef struct {
    arena_chunk_t *head;
    size_t used, cap;
} arena_t;

void *ld_arena_alloc(arena_t *a, size_t n);     /* zeroed, 8-aligned */
char *ld_arena_strdup(arena_t *a, const char *s);
void ld_arena_reset(arena_t *a);                /* keeps the first chunk */
/* A position in an arena; rewinding frees everything allocated after it
 * (a refused command's output goes, not just its event count). */
typedef struct {
    arena_chunk_t *head;
    size_t used;
} arena_mark_t;
arena_mark_t ld_arena_mark(const arena_t *a);
void ld_arena_rewind(arena_t *a, arena_mark_t m);
void ld_arena_free(arena_t *a);

/* ------------------------------------------------------------- table -- */
/* The core's one hash table (util.c): open addressing, linear probing,
 * backward-shift deletion (no tombstones), at most 3/4 full. A slot is 8 B:
 * a tag taken from the key's hash (never 0: 0 is an empty slot) and the
 * index of the row that holds the key; the table stores no key. The caller's
 * eq() compares a row with the key, and is called only on a tag match: a hit
 * reads its row once, a miss almost never. Growth re-places slots by their
 * tags alone. It serves both key kinds of the core: string ids (the entity
 * tables, interned strings; hashed by ld_hash_str) and pairs (ld_pairs_t,
 * the board index; hashed by ld_mix64). A million employees' index is 16 MB. */
typedef struct {
    uint32_t tag;
    uint32_t idx;
} ld_slot_t;

typedef struct {
    ld_slot_t *s;
    size_t cap, n;   /* cap: 0 or a power of two */
} ld_table_t;

/* True when row idx holds key (as the caller's ctx defines rows and keys). */
typedef bool (*ld_table_eq_fn)(const void *ctx, uint32_t idx, const void *key);

/* The hash of a string id (FNV-1a, high bits folded in). Career.c seeds
 * exam draws with it: its bits are part of what the log's results say. */
static inline uint64_t ld_hash_str(const char *s, size_t n)
{
    uint64_t h = ld_fnv1a(s, n, LD_FNV_BASIS);
    h ^= h >> 29;
    return h | 1;
}

/* A slot's tag: the hash's two halves folded, bit 0 set (never 0); the
 * home slot comes from the tag's other bits, so growth needs no key. Both
 * halves: FNV-1a's high bits barely move with a key's last bytes ("e17",
 * "e18"), so homes from them alone cluster (21-27 probes a lookup in
 * tables of 100-5000 such ids, against 1.2-1.7 folded). */
static inline uint32_t ld_table_tag(uint64_t h) { return (uint32_t)(h ^ h >> 32) | 1; }
static inline size_t ld_table_home(uint32_t tag, size_t mask) { return (tag >> 1) & mask; }

/* The row index of key (hash h), or NONE. Inline: a caller's eq() known
 * at compile time is inlined into the probe loop. */
static inline uint32_t ld_table_get(const ld_table_t *t, uint64_t h, const void *key,
                                    ld_table_eq_fn eq, const void *ctx)
{
    if (!t->cap)
        return NONE;
    uint32_t tag = ld_table_tag(h);
    size_t mask = t->cap - 1;
    for (size_t i = ld_table_home(tag, mask); t->s[i].tag; i = (i + 1) & mask)
        if (t->s[i].tag == tag && eq(ctx, t->s[i].idx, key))
            return t->s[i].idx;
    return NONE;
}
/* Maps key (hash h) to idx, replacing the index it had; grows as needed. */
void ld_table_put(ld_table_t *t, uint64_t h, const void *key, uint32_t idx, ld_table_eq_fn eq,
                  const void *ctx);
/* Maps key (hash h) to idx unless it is there: returns the index it has
 * (nothing changed), or NONE when it was added. One probe. */
uint32_t ld_table_insert(ld_table_t *t, uint64_t h, const void *key, uint32_t idx,
                         ld_table_eq_fn eq, const void *ctx);
/* Removes key (hash h); returns the index it had, or NONE when absent. */
uint32_t ld_table_del(ld_table_t *t, uint64_t h, const void *key, ld_table_eq_fn eq,
                      const void *ctx);
/* The key of hash h at row `from` has moved to row `to` (no eq needed). */
void ld_table_reindex(ld_table_t *t, uint64_t h, uint32_t from, uint32_t to);
void ld_table_reserve(ld_table_t *t, size_t n);   /* room for n keys without growing */
void ld_table_free(ld_table_t *t);

/* A set of (a, b) pairs with a small value each (who rated or completed
 * what): the pairs are rows of an array, found through an ld_table_t. A pair
 * removed takes the last row's place. */
typedef struct {
    uint32_t a, b, val;
} ld_pair_t;

typedef struct {
    ld_table_t ix;
    ld_pair_t *e;
    size_t n, cap;
} ld_pairs_t;

bool ld_pairs_get(const ld_pairs_t *s, uint32_t a, uint32_t b, uint32_t *val);
/* Sets the pair's value; true when it was there (*old, when not NULL, gets
 * the value it had), false when added. */
bool ld_pairs_put(ld_pairs_t *s, uint32_t a, uint32_t b, uint32_t val, uint32_t *old);
void ld_pairs_del(ld_pairs_t *s, uint32_t a, uint32_t b);
/* A hint: starts fetching the slot where the pair's lookup begins. */
void ld_pairs_prefetch(const ld_pairs_t *s, uint32_t a, uint32_t b);
void ld_pairs_reserve(ld_pairs_t *s, size_t n); /* room for n pairs without growing */
void ld_pairs_free(ld_pairs_t *s);

/* ---------------------------------------------------------- calendar -- */
/* All in the rules' fixed UTC offset; pure arithmetic (Howard Hinnant's
 * days-from-civil), no time-zone database. */

int64_t ld_cal_add_months(int64_t ms, int months, int32_t offset_min);
int64_t ld_cal_add_days(int64_t ms, int days);
int64_t ld_cal_day_index(int64_t ms, int32_t offset_min);   /* local days since epoch */
void ld_cal_civil(int64_t ms, int32_t offset_min, int *y, int *m, int *d);
/* Start (UTC ms) of the local week/month/quarter/year containing ms. */
int64_t ld_cal_week_start(int64_t ms, int32_t offset_min, uint32_t week_start);
int64_t ld_cal_month_start(int64_t ms, int32_t offset_min, int months_per_period);
#define LD_MIN_MS (-62135596800000LL) /* 0001-01-01T00:00Z */
#define LD_MAX_MS 253402300799999LL     /* 9999-12-31T23:59:59.999Z */
#define CAL_FMT_LEN 48
/* Formats ms as "2026-11-27 10:00+08:00" into buf; returns buf. */
char *ld_cal_format(char buf[CAL_FMT_LEN], int64_t ms, int32_t offset_min);

/* §3: the median of the proposals, rounded down (0 for none). */
uint32_t ld_median_u32(const vec_t *v);

/* splitmix64: the seeded generator of exam draws (seed recorded in the event). */
uint64_t ld_mix64(uint64_t x);

/* ------------------------------------------------------------ entities -- */

/* Appeal state of an employee's latest demotion (§7). */
enum { AP_NONE = 0, AP_OPEN, AP_PENDING, AP_UPHELD, AP_OVERTURNED, AP_EXPIRED };

/* Retention year re-test bits (§7). */
enum {
    RT_QUERY_PASSED = 1, RT_EXAM_PASSED = 2, RT_QUERY_MAKEUP_FAILED = 4,
    RT_EXAM_MAKEUP_FAILED = 8, RT_EXTENDED = 16, /* §7 v2: the window was extended */
};

enum { EF_LEFT = 1, EF_COMMITTEE = 2, EF_APPLIED = 4, EF_PLACED = 0x80 /* §2 v2 */ };

/* An employee: 480 B, grouped by width so nothing is padding (core.h's
 * memory contract). The name is in the core's name pool (c->names). */
typedef struct {
    char id[LD_ID_MAX + 1];
    uint8_t level;
    uint8_t flags;          /* EF_* */
    uint8_t tasks_done;     /* bit L: the rules task of level L is completed */
    uint8_t appeal;         /* AP_* */
    uint8_t rt_flags;       /* RT_* for the current retention year */
    uint8_t rt_query_tries, rt_exam_tries;
    uint8_t credited[LD_LEVELS]; /* apprentices credited, by the level brought from */
    uint8_t credited_in_year;
    uint32_t stamp;         /* savepoint that last saved it (undo) */
    uint32_t team, centre;  /* interned strings */
    uint32_t mentor;        /* employee index or NONE */
    uint32_t open_exam;     /* exam index or NONE */
    uint32_t name;          /* offset in c->names (ld_emp_name) */
    uint32_t contrib_accepted;            /* §5: KB and case contributions accepted... */
    uint32_t contrib_decided;             /* ...and decided either way */
    uint32_t appellant;                   /* §7 v2: interned principal of the appeal */
    int32_t qt_total_ms;                  /* latest query test's total (at most a day, §6.4) */
    int32_t cap_day;                      /* local day of the tallies below */
    int32_t day_tally[LD_SOURCES];        /* points per source that day (daily caps) */
    int32_t win_period[4];                /* §9: start day of week/month/quarter/year... */
    int32_t rt_val[4];                    /* v2 §7: window test totals (ms) and exam marks (%) */
    int64_t win_score[4];                 /* ...the points earned in it, reached at pts_at_ms */
    int64_t points_total, points_since_level, points_in_year;
    /* issue 17: what a points event writes ends here (bytes 0-255 with the
     * id, the tallies and the windows above): a replay's read-ahead asks for
     * these four lines of the row, not all of it (state.c, ahead_span) */
    int64_t score_at_ms;                  /* when points_total last changed (ties, §9) */
    int64_t pts_at_ms;                    /* the last points event (the windows' ties, §9) */
    uint64_t pts_seq;                     /* the last points event */
    int64_t hired_ms, level_ms;
    int64_t year_start_ms, year_end_ms;   /* 0: no retention year (level 0) */
    int64_t appeal_deadline_ms;
    int64_t qt_at_ms;                     /* latest query test; 0 = none */
    int64_t exam_retake_ms;               /* no promotion exam before this */
    int64_t mentor_since_ms;              /* §6.5 v2: confirmed at; 0 = only proposed */
    uint64_t demotion_seq, qt_seq, task_seq, hired_seq;
    /* v2 (§7, §11): evidence of the retention year */
    uint64_t year_seq;                    /* the event that opened the year */
    uint64_t credit_seq;                  /* the last apprentice credit */
    uint64_t rt_seq[4];                   /* window query tests [0,1], exams graded [2,3] */
    vec_t studied;                        /* case indexes */
    vec_t examined;                       /* case indexes */
    vec_t apprentices;                    /* employee indexes (current) */
    vec_t changes;                        /* indexes into core->changes */
    vec_t medals;                         /* interned medal names */
} emp_t;

/* §11 v2: one condition kept with a level change: a §7 gap (code = RetentionGap)
 * for a demotion, a §6 checklist item (code = its index) for a promotion. */
#define LD_COND_EV 4
typedef struct {
    uint8_t code, met, n_ev;
    int64_t have, need;
    uint64_t ev[LD_COND_EV];
} cond_t;

#define LD_CONDS 7
enum { CF_WAIVED = 1, CF_AT_ONCE = 2 };

/* A level change, kept for §11 explain. */
typedef struct {
    uint32_t emp;
    uint8_t from, to;
    uint8_t cause;          /* CH_* */
    uint32_t rules_version;
    uint64_t seq;
    int64_t at_ms;
    uint64_t evidence[6];
    uint32_t n_evidence;
    /* v2 (§11) */
    uint8_t n_conds, cflags; /* CF_* */
    uint32_t pct;            /* promotion: the exam's mark */
    uint32_t exam;           /* exam index or NONE */
    uint32_t text, actor;    /* interned: reason, who decided (0 = none) */
    cond_t conds[LD_CONDS];
} change_t;

enum { CH_PROMOTED = 1, CH_DEMOTED, CH_RESTORED, CH_PLACED, CH_UNPLACED };

/* A case in the library (§4). Part 2 fills in reviews and content. */
typedef struct {
    char id[LD_ID_MAX + 1];
    uint8_t level;          /* 1..5; 0 until accepted */
    uint8_t half;           /* LADDER__V1__HALF__* */
    uint8_t retired;
    uint8_t accepted;
    uint32_t stamp;
    uint32_t category;      /* interned */
    uint32_t studies, exam_uses, excellent, average, poor;
    int64_t stable_ms;
    uint64_t accepted_seq;
    uint32_t author;        /* employee index of the first author */
    char *title;
} case_t;

typedef struct {
    char id[LD_ID_MAX + 1];
    uint8_t purpose;        /* LADDER__V1__EXAM_PURPOSE__* */
    uint8_t level;
    uint8_t n;
    uint8_t graded, passed, makeup;
    uint8_t voided;         /* §6.6 v2 */
    uint32_t stamp;
    uint32_t emp;
    uint32_t cases[LD_EXAM_MAX];
    uint32_t percent;
    uint64_t drawn_seq, graded_seq;
    int64_t drawn_ms;
    int64_t expires_ms;     /* §6.6 v2: void unless graded before */
    int64_t year_start_ms;  /* re-tests: their retention year */
} exam_t;

typedef struct {
    char id[LD_ID_MAX + 1];
    int64_t points;
    uint32_t stamp;
    char *title;
} task_t;

/* A case submission or revision under review (§4). */
enum { SUB_PENDING = 0, SUB_ACCEPTED, SUB_REJECTED };
typedef struct {
    char id[LD_ID_MAX + 1];
    uint8_t revision;
    uint8_t state;          /* SUB_* */
    uint32_t stamp;
    uint32_t case_idx;
    uint32_t author;        /* employee index */
    uint32_t approvals, rejections;
    int64_t at_ms;
    vec_t reviewers;        /* interned principal ids, in review order */
    vec_t amounts;          /* of the approvals, in order */
    vec_t levels;
    vec_t categories;       /* interned */
} sub_t;

/* §9 boards. Each board (window, scope, period) is a sorted sequence of
 * entries kept in blocks of at most LD_BLOCK entries (a two-level B-tree):
 * a flat array of each block's first key to search, counts before each
 * block for ranks. An entry carries the key it was inserted with, so a board
 * never reads state that an undo is restoring. Boards are derived: they are
 * brought up to date lazily (boards_flush), before any query reads them. */
#define LD_WINDOWS 5   /* all, week, month, quarter, year */
#define LD_SCOPES 4    /* org, centre, team, level */
#define LD_SLOTS (LD_WINDOWS * LD_SCOPES)
#define LD_BLOCK 32

/* Per employee, for the boards: the id's first 8 bytes, big-endian (the
 * §9 ties), and where its row card is in c->bcards: the level byte, the id
 * and the name, each ending in NUL, so a board row reads one line instead
 * of the 480 B record and the name pool (0: none yet). Derived: written
 * when the employee is placed, the level byte at every placement (a level
 * change always moves the employee: the level is a board scope). */
typedef struct {
    uint64_t idkey;
    uint32_t card;
    uint32_t ask;          /* its entry in c->bask (valid while card is set) */
} bemp_t;

/* The rank query's own id index (issue 17), one 32 B entry (two to a line)
 * per placed employee, open addressing by the id's ld_table_tag: an asker
 * is found, checked (by idkey; an id of 8 bytes or more also by its card)
 * and given its all-time key in one line, without the id index's slot and
 * the 480 B record behind it. score/at: the all-time boards' key as last
 * placed (boards.c). */
typedef struct {
    uint32_t tag;          /* 0: empty */
    uint32_t emp;
    uint64_t idkey;
    int64_t score, at;
} bask_t;

typedef struct {
    int64_t score, at;
    uint32_t emp;
    uint32_t card;         /* the employee's row card (bemp_t): not part of the order */
} bent_t;

/* An entry's sort key without the id: (score, at) decide all but exact ties. */
typedef struct {
    int64_t score, at;
} bkey_t;

typedef struct {
    uint32_t n, cap;
    bent_t e[];
} bblock_t;

typedef struct {
    uint32_t slot, value;  /* value: 0, or the interned centre/team, or the level */
    int32_t period;        /* local day the window started (+1); 0 for all-time */
    uint32_t size, n_blocks, cap_blocks;
    uint32_t prefix_ok;    /* prefix[0..prefix_ok) are valid */
    bblock_t **blk;
    bent_t *first;         /* first entry of each block */
    bkey_t *fkey;          /* and its score and time: the search reads only these
                            * unless two entries tie on both */
    uint16_t *bcnt;        /* entries in each block (= blk[j]->n): ranks are summed
                            * from this dense array, never from the blocks */
    uint32_t *prefix;      /* entries before each block (valid below prefix_ok) */
    bkey_t *top;           /* fkey of every LD_TOP-th block, for queries (boards.c) */
    uint32_t n_top, top_cap;
    bool top_ok;
} board_t;

/* Where an employee stands on the boards: saved when it first changes after
 * a flush, so the flush can take out exactly what was put in. */
typedef struct {
    uint32_t emp;          /* NONE: dropped (an undone hire) */
    uint32_t on;           /* 0: on no board (left, or not yet hired) */
    uint32_t value[LD_SCOPES];
    uint32_t card;         /* set when the image is placed (bent_t.card) */
    int32_t period[LD_WINDOWS];
    int64_t score[LD_WINDOWS], at[LD_WINDOWS];
} bimage_t;

/* One generic record for the smaller things of part 2 (§4 KB, §4 quality
 * awards, §8 suggestions and QC projects), keyed "<kind>:<id>". */
/* §12 v2 (reversal.c): a reversible fact, remembered by its seq in 32 bytes
 * (its text stays in the log). Facts are kept in seq order, so a seq is found
 * by binary search; the points a fact paid are the pays whose `fact` is its
 * index (they follow the fact as its derived events: pays are in fact order). */
typedef struct {
    uint64_t seq;
    uint32_t at_s;          /* when, in seconds (a query test counted again) */
    int32_t value;          /* a query test's total_ms (clamped); a placement's level */
    uint32_t emp;           /* NONE for points-only facts */
    uint32_t n2;            /* the exam, case or task index */
    uint8_t body;           /* the event's body case (every reversible one is < 256) */
    uint8_t n1;             /* kind-specific flags; a placement's former level */
    uint8_t reversed;
} fact_t;

typedef struct {
    uint32_t fact, emp;
    uint32_t amount;
} pay_t;
enum { REC_KB_ITEM = 1, REC_KB_PROPOSAL, REC_SUGGESTION, REC_QC_PROJECT, REC_QC_GROUP, REC_QUALITY };
enum { RS_PENDING = 0, RS_ACCEPTED, RS_REJECTED };
/* rec_t.flags of a KB proposal (§4 v2); a KB item's state is KB_DELETED once
 * a deletion was accepted. */
enum { REC_F_DELETE = 1, REC_F_NEW_ITEM = 2 };
enum { KB_LIVE = 0, KB_DELETED = 1 };
typedef struct {
    char key[80];
    uint8_t kind, state;    /* REC_*; RS_* (a KB item: KB_*) */
    uint8_t flags;          /* REC_F_* */
    uint32_t stamp;
    /* What a record holds, by its kind. The untyped view (a, b, n1, n2, list,
     * list2) is how snapshots store every kind (snapshot.c); code reads the
     * named one. A member marked _ is unused by that kind. */
    union {
        struct {
            uint32_t a, b, n1, n2;
            vec_t list, list2;
        };
        struct {                     /* REC_KB_PROPOSAL */
            uint32_t proposer, item; /* employee; the REC_KB_ITEM record */
            uint32_t approvals, rejections;
            vec_t reviewers;         /* interned principals, in review order */
            vec_t amounts;           /* of the approvals (§3 P2: the median pays) */
        } kbp;
        struct {                     /* REC_KB_ITEM */
            uint32_t _a, _b, _n1, _n2;
            vec_t proposals;         /* the accepted ones, oldest first: its history */
        } item;
        struct {                     /* REC_QUALITY (§4) */
            uint32_t outstanding;    /* employee or NONE */
            uint32_t _b, _n1, _n2;
            vec_t contributors;      /* employees */
        } quality;
        struct {                     /* REC_SUGGESTION (§8) */
            uint32_t author, _b;     /* employee */
            uint32_t verdict;        /* LADDER__V1__SUGGESTION_VERDICT__* once judged */
        } suggestion;
        struct {                     /* REC_QC_PROJECT (§8) */
            uint32_t _a, _b;
            uint32_t groups;         /* groups that claimed it */
            uint32_t _n2;
            vec_t _list;
            vec_t members;           /* everyone in one of its groups (§8 v2) */
        } qc;
        struct {                     /* REC_QC_GROUP (§8) */
            uint32_t project;        /* the REC_QC_PROJECT record */
            uint32_t _b, _n1, _n2;
            vec_t members;           /* employees */
        } group;
    };
    int64_t value;          /* KB: version; suggestion: amount; QC project: points */
    int64_t at_ms;
    uint64_t seq;
    char *text;             /* owned: a KB proposal's text, a QC topic */
} rec_t;

/* Deadline heap entry; validated lazily against the employee. */
typedef struct {
    int64_t at;
    uint32_t emp;
    uint32_t kind;
} deadline_t;

/* The scalars of the state, saved whole by a savepoint's first change. */
typedef struct {
    uint64_t next_seq;
    int64_t last_at_ms;
    uint32_t n_emps, n_cases, n_exams, n_tasks, n_changes, n_strings, n_rules, n_subs, n_recs;
    uint32_t n_facts, n_pays;
    uint32_t stamp;
    uint32_t lib_count[LD_LEVELS][3];  /* §4: live cases per level and half */
} globals_t;

/* Undo journal record kinds. */
enum { U_GLOBALS = 1, U_ENT, U_PAIR_ADD, U_PAIR_SET, U_FACT, U_VEC };

typedef struct {
    uint8_t kind;
    uint8_t set;            /* which pairset for U_PAIR_*, which ENT_* for U_ENT, U_VEC */
    uint32_t idx, b;
    uint32_t old_val;
    void *saved;
} undo_t;

enum { PS_RATED = 0, PS_TASK_DONE, PS_COUNT };

struct ld_core {
    globals_t g;
    ld_rules_t *rules;      /* [0..n_rules): index = version - 1; defaults when 0 */
    ld_rules_t defaults;
    size_t rules_cap;
    char **rules_json;      /* canonical document of each adopted version */
    uint64_t *rules_seq;    /* §10 v2: the RulesAdopted event of each version... */
    int64_t *rules_at;      /* ...and its time */

    emp_t *emps;
    size_t emps_cap;
    ld_table_t emp_ix;
    uint32_t emp_hint;      /* the row ld_need_emp found last: the evolve's own
                             * lookups of that id check it before hashing (a
                             * guess, checked on the id: never a different row);
                             * an evolve sets it to the employee its event names */
    uint32_t case_hint;     /* the same for cases: the case an evolved event names */
    char *names;            /* employees' names, each ending in NUL (never rewritten) */
    size_t names_len, names_cap;

    case_t *cases;
    size_t cases_cap;
    ld_table_t case_ix;

    exam_t *exams;
    size_t exams_cap;
    ld_table_t exam_ix;

    task_t *tasks;
    size_t tasks_cap;
    ld_table_t task_ix;

    change_t *changes;
    size_t changes_cap;

    sub_t *subs;
    size_t subs_cap;
    ld_table_t sub_ix;

    rec_t *recs;
    size_t recs_cap;
    ld_table_t rec_ix;

    fact_t *facts;          /* §12: in seq order */
    size_t facts_cap;
    pay_t *pays;
    size_t pays_cap;

    char **strings;         /* interned: teams, centres, categories, medals */
    size_t strings_cap;
    ld_table_t string_ix;

    ld_pairs_t pairs[PS_COUNT];

    deadline_t *heap;
    size_t heap_n, heap_cap;

    board_t *boards;        /* derived, not in snapshots (boards.c) */
    size_t n_boards, boards_cap;
    ld_table_t board_ix;    /* (slot, value, period) -> board index (boards.c) */
    bool boards_built;      /* false: rebuilt whole at the next flush */
    int32_t bperiod[LD_WINDOWS]; /* each window's current period: its only boards */
    int64_t bperiod_at;     /* the latest event time and rules they were computed at */
    uint32_t bperiod_rules;
    uint32_t *bdirty;       /* per employee: image index + 1, 0 = boards agree */
    size_t bdirty_cap;
    bemp_t *bemp;           /* per employee: tie key and row card (boards.c) */
    size_t bemp_cap;
    bask_t *bask;           /* placed employees by id, for rank queries (boards.c) */
    size_t bask_cap, bask_n; /* bask_cap: 0 or a power of two */
    char *bcards;           /* the row cards, end to end (never rewritten but the
                             * level byte; an undone hire's stays behind) */
    size_t bcards_len, bcards_cap;
    bimage_t *bimg;         /* employees changed since the last flush */
    size_t n_bimg, bimg_cap;
    struct ld_bscratch *bscratch; /* the catch-up's scratch (boards.c) */
    struct {                /* the windows' periods of the last local day a points
                             * event fell on (a memo of ld_window_period, boards.c) */
        int64_t day;
        int32_t offset_min;
        uint32_t week_start;
        int32_t p[LD_WINDOWS];
        bool ok;
    } wmemo;

    /* savepoints */
    undo_t *undo;
    size_t undo_n, undo_cap;
    uint32_t depth;         /* open savepoints; 0 = none (replay) */
    uint32_t stamp_seq;
    arena_t undo_arena;

    /* §4 v2: when the library check is next due (derived, recomputed when dirty) */
    bool lib_dirty;
    int64_t lib_due;

    /* per-execute scratch: refusal target and output */
    ld_refusal_t *why;
};

struct ld_out {
    Ladder__V1__Event **ev;
    size_t n, cap;
    arena_t arena;
    ProtobufCAllocator alloc;   /* protobuf-c allocations from the arena */
};

/* ------------------------------------------------------- core helpers -- */

const ld_rules_t *ld_cur_rules(const ld_core_t *c);
uint32_t ld_rec_find(const ld_core_t *c, int kind, const char *id);
uint32_t ld_intern(ld_core_t *c, const char *s);
uint32_t ld_intern_find(const ld_core_t *c, const char *s);

/* Undo: call before changing a record during evolve. */
void ld_touch_globals(ld_core_t *c);
void ld_touch_fact(ld_core_t *c, uint32_t i);
/* §12: appends a fact (seq above every kept one) or a pay of the last fact. */
uint32_t ld_fact_new(ld_core_t *c, uint64_t seq);
void ld_fact_pay(ld_core_t *c, uint32_t f, uint32_t emp, uint32_t amount);
void ld_pair_add(ld_core_t *c, int set, uint32_t a, uint32_t b, uint32_t val);

/* people.c: keeps a name in the name pool and returns its offset. */
uint32_t ld_name_add(ld_core_t *c, const char *name);
static inline const char *ld_emp_name(const ld_core_t *c, const emp_t *e) { return c->names + e->name; }
uint32_t ld_rec_new(ld_core_t *c, int kind, const char *id);

/* The tables found by id, one mechanism (state.c, "entities"): find (NONE
 * when absent), create (id copied; a new row is zeroed), and touch before a
 * change during evolve (saved once per savepoint for undo; a rollback puts
 * the saved row back and drops the rows created, with a per-kind hook for
 * the derived state a row feeds: an employee's boards and deadlines). */
enum { ENT_EMP, ENT_CASE, ENT_EXAM, ENT_TASK, ENT_SUB, ENT_REC, ENT_COUNT };
uint32_t ld_ent_find(const ld_core_t *c, int kind, const char *id);
uint32_t ld_ent_new(ld_core_t *c, int kind, const char *id);
void ld_ent_touch(ld_core_t *c, int kind, uint32_t i);
/* Removes x from v, a vector of row i of kind k (keeping order), saving
 * its contents for a rollback first; false when x is not in v. Every
 * removal from a row's vector goes through here (state.c's save_vec). */
bool ld_ent_vec_remove(ld_core_t *c, int kind, uint32_t i, vec_t *v, uint32_t x);
void ld_ents_free(ld_core_t *c);  /* every table, at destroy */
static inline uint32_t ld_emp_find(const ld_core_t *c, const char *id) { return ld_ent_find(c, ENT_EMP, id); }
/* A new employee: no mentor, no open exam. */
uint32_t ld_emp_new(ld_core_t *c, const char *id);
static inline void ld_touch_emp(ld_core_t *c, uint32_t i) { ld_ent_touch(c, ENT_EMP, i); }
static inline uint32_t ld_case_find(const ld_core_t *c, const char *id) { return ld_ent_find(c, ENT_CASE, id); }
static inline uint32_t ld_exam_find(const ld_core_t *c, const char *id) { return ld_ent_find(c, ENT_EXAM, id); }
static inline uint32_t ld_task_find(const ld_core_t *c, const char *id) { return ld_ent_find(c, ENT_TASK, id); }
static inline uint32_t ld_sub_find(const ld_core_t *c, const char *id) { return ld_ent_find(c, ENT_SUB, id); }
static inline uint32_t ld_case_new(ld_core_t *c, const char *id) { return ld_ent_new(c, ENT_CASE, id); }
static inline uint32_t ld_exam_new(ld_core_t *c, const char *id) { return ld_ent_new(c, ENT_EXAM, id); }
static inline uint32_t ld_task_new(ld_core_t *c, const char *id) { return ld_ent_new(c, ENT_TASK, id); }
static inline uint32_t ld_sub_new(ld_core_t *c, const char *id) { return ld_ent_new(c, ENT_SUB, id); }
static inline void ld_touch_case(ld_core_t *c, uint32_t i) { ld_ent_touch(c, ENT_CASE, i); }
static inline void ld_touch_exam(ld_core_t *c, uint32_t i) { ld_ent_touch(c, ENT_EXAM, i); }
static inline void ld_touch_sub(ld_core_t *c, uint32_t i) { ld_ent_touch(c, ENT_SUB, i); }
static inline void ld_touch_rec(ld_core_t *c, uint32_t i) { ld_ent_touch(c, ENT_REC, i); }
uint32_t ld_change_new(ld_core_t *c);

void ld_deadline_push(ld_core_t *c, int64_t at, uint32_t emp, uint32_t kind);
void ld_deadlines_rebuild(ld_core_t *c);

/* Refusals: fill c->why and return -1. */
int ld_refuse(ld_core_t *c, int code, const char *section, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Emits an event (envelope filled, body case set) into out. The caller sets
 * the body from out's arena, then calls ld_apply(). cause = 0 for a fact. */
Ladder__V1__Event *ld_emit(ld_core_t *c, ld_out_t *out, const ld_ctx_t *ctx, const char *stream_kind,
                        const char *stream_id, Ladder__V1__Event__BodyCase body, uint64_t cause);
int ld_apply(ld_core_t *c, Ladder__V1__Event *ev);
/* Allocates and initialises a body message of the given descriptor. */
void *ld_body_new(ld_out_t *out, const ProtobufCMessageDescriptor *d);
char *ld_ostr(ld_out_t *out, const char *s);

/* ------------------------------------------------------------ deciders -- */
/* One per Command oneof case, named after it, listed in commands.c's table
 * (their sender already checked there). In the modules named below. */
#define LD_DECIDER(name)                                                                  \
    int ld_decide_##name(ld_core_t *c, const Ladder__V1__Command *cmd, const ld_ctx_t *ctx, \
                         ld_out_t *out)
LD_DECIDER(hire);
LD_DECIDER(leave);
LD_DECIDER(adopt_rules);
LD_DECIDER(publish_task);
LD_DECIDER(complete_task);
LD_DECIDER(propose_kb);
LD_DECIDER(review_kb);
LD_DECIDER(submit_case);
LD_DECIDER(revise_case);
LD_DECIDER(review_case);
LD_DECIDER(study_case);
LD_DECIDER(rate_case);
LD_DECIDER(apply_quality);
LD_DECIDER(award_quality);
LD_DECIDER(apply_committee);
LD_DECIDER(decide_committee);
LD_DECIDER(remove_committee);
LD_DECIDER(start_apprenticeship);
LD_DECIDER(end_apprenticeship);
LD_DECIDER(record_query_test);
LD_DECIDER(draw_exam);
LD_DECIDER(grade_exam);
LD_DECIDER(close_retention_year);
LD_DECIDER(appeal);
LD_DECIDER(decide_appeal);
LD_DECIDER(expire_appeal);
LD_DECIDER(submit_suggestion);
LD_DECIDER(judge_suggestion);
LD_DECIDER(publish_qc);
LD_DECIDER(claim_qc);
LD_DECIDER(complete_qc);
LD_DECIDER(report_volunteer);
LD_DECIDER(adjust_points);
LD_DECIDER(award_medal);
LD_DECIDER(advance_clock);
LD_DECIDER(place_employee);
LD_DECIDER(confirm_apprenticeship);
LD_DECIDER(expire_exam);
LD_DECIDER(extend_retention_window);
LD_DECIDER(reverse_fact);
LD_DECIDER(retire_case);
LD_DECIDER(restore_case);
LD_DECIDER(check_library);
#undef LD_DECIDER

/* commands.c: refuses (ERR_FORBIDDEN, -1) a sender the row does not admit. */
int ld_command_check_sender(ld_core_t *c, const ld_command_t *row, const Ladder__V1__Command *cmd,
                            const ld_ctx_t *ctx);

/* org.c: §10 rules adopted, the manual clock; the GetRules query. */
int ld_org_evolve(ld_core_t *c, const Ladder__V1__Event *ev);
int ld_org_rules_query(ld_core_t *c, const Ladder__V1__GetRules *q, ld_out_t *out,
                       Ladder__V1__Ok *ok);

/* ----------------------------------------------------- module entries -- */

/* Ids used once (volunteer reports, ...) are remembered as interned
 * "<kind>:<id>" strings. */
bool ld_registry_has(const ld_core_t *c, const char *kind, const char *id);
void ld_registry_add(ld_core_t *c, const char *kind, const char *id);

/* Validation shared by the deciders: each refuses naming the field. */
int ld_check_id(ld_core_t *c, const char *field, const char *id);
int ld_check_text(ld_core_t *c, const char *field, const char *s, bool required);
int ld_need_emp(ld_core_t *c, const char *field, const char *id, uint32_t *idx);

/* people.c: hire, leave, tasks, ledger, adjustments, volunteer, medals. */
int ld_people_evolve(ld_core_t *c, const Ladder__V1__Event *ev);
/* Awards points (a derived PointsAwarded, capped per day by the rules). */
int ld_award(ld_core_t *c, ld_out_t *out, const ld_ctx_t *ctx, uint32_t emp, int64_t amount,
          int source, const char *ref, uint64_t cause);
bool ld_has_role(const ld_ctx_t *ctx, uint32_t roles);

/* career.c: promotion checklist, exams, mentoring. */
int ld_career_evolve(ld_core_t *c, const Ladder__V1__Event *ev);
/* §6 checklist for emp; fills items (up to 6) and returns how many are met in
 * order before the first unmet one. */
typedef struct {
    const char *section, *name;
    bool met;
    int64_t have, need;
    char gap[96];
} check_t;
#define LD_CHECKS 7 /* §6.1-§6.5, §6.7, §6.6 (the exam last) */
int ld_promotion_check(const ld_core_t *c, uint32_t emp, int64_t now, check_t items[LD_CHECKS],
                    int *n_items);
/* §6.6 v2: emits a derived ExamVoided for the employee's open exam, if any. */
int ld_void_open_exam(ld_core_t *c, ld_out_t *out, const ld_ctx_t *ctx, uint32_t emp, int cause,
                   const char *reason, uint64_t cause_seq);

/* reversal.c (§12 v2): remembers reversible facts and reverses them. */
void ld_facts_note(ld_core_t *c, const Ladder__V1__Event *ev);
int ld_reversal_evolve(ld_core_t *c, const Ladder__V1__Event *ev);

/* retention.c: §7 years, re-tests, close, appeals. */
int ld_retention_evolve(ld_core_t *c, const Ladder__V1__Event *ev);
bool ld_in_window(const ld_core_t *c, const emp_t *e, int64_t now);
/* Records a level change of employee i for §11 explain. */
void ld_add_change(ld_core_t *c, uint32_t i, const Ladder__V1__Event *ev, int from, int to,
                int cause, const uint64_t *evidence, size_t n);
/* Opens a retention year [at, end) for a level >= 1 (none at level 0), and
 * resets the year's ledger and re-test state (§7). */
void ld_start_year(ld_core_t *c, emp_t *e, uint32_t i, int64_t at, int64_t end, uint64_t seq);
/* §6.4: the threshold (ms) a query test must beat to qualify for level t. */
int64_t ld_band_need(const ld_rules_t *r, uint32_t t);
/* §7 v2: a failed make-up (gap: GAP_QUERY_TEST or GAP_EXAM) demotes at once. */
int ld_demote_at_once(ld_core_t *c, ld_out_t *out, const ld_ctx_t *ctx, uint32_t emp,
                   uint64_t fact_seq, int gap);

/* library.c: the case library as part 1 needs it (training, test, exams). */
int ld_library_evolve(ld_core_t *c, const Ladder__V1__Event *ev);
uint32_t ld_library_count(const ld_core_t *c, uint32_t level, int half);
int ld_library_ranking(ld_core_t *c, const Ladder__V1__GetCaseRanking *q, ld_out_t *out,
                    Ladder__V1__CaseRanking **res);
/* §4: studies + exam uses + 5 x excellent - 5 x poor (weights from the rules). */
int64_t ld_classicness(const ld_core_t *c, const case_t *k);
/* §4 v2: the moment the library check is next due; false when none is. */
bool ld_library_due(ld_core_t *c, int64_t *at);
/* §1 v2: the principal reviews: a committee member (a fact of the log), a
 * manager or a chair; a claimed reviewer role alone is not enough. */
bool ld_may_review(const ld_core_t *c, const ld_ctx_t *ctx);

/* contrib.c: §4 knowledge base and quality awards, §5 committee, §8
 * suggestions and QC projects. */
int ld_contrib_evolve(ld_core_t *c, const Ladder__V1__Event *ev);
int ld_contrib_query(ld_core_t *c, const Ladder__V1__Query *q, ld_out_t *out, Ladder__V1__Ok *ok);
void ld_contrib_decided(ld_core_t *c, uint32_t emp, bool accepted);

/* boards.c: §9 leaderboards (derived from the employees; rebuilt on load). */
int32_t ld_window_period(const ld_core_t *c, int window, int64_t at);
void ld_boards_add_points(ld_core_t *c, uint32_t emp, int64_t amount, int64_t at);
/* Call before changing anything of emp the boards order or scope by (points,
 * level, team, centre, leaving)... */
void ld_boards_remove(ld_core_t *c, uint32_t emp);
/* ...and after (a hire calls only this). Both only note the employee; the
 * boards move at the next boards_flush. */
void ld_boards_insert(ld_core_t *c, uint32_t emp);
/* Takes an employee whose hire is being undone off the boards now. */
void ld_boards_drop(ld_core_t *c, uint32_t emp);
/* Brings every board up to date: the noted employees move (a whole rebuild
 * when many did). Queries call it first, so answers are always exact. */
void ld_boards_flush(ld_core_t *c);
/* Forgets the boards: the next flush builds them from the employees. */
void ld_boards_rebuild(ld_core_t *c);
void ld_boards_free(ld_core_t *c);
int ld_boards_query(ld_core_t *c, const Ladder__V1__GetBoard *q, int64_t now, ld_out_t *out,
                 Ladder__V1__Board **res);

/* queries.c */
int ld_queries_run(ld_core_t *c, const Ladder__V1__Query *q, int64_t now, ld_out_t *out,
                Ladder__V1__Ok *ok);

#endif
