/* util.c — the small data structures and the calendar the core shares:
 * vec, arena, the one hash table (and the pair sets it indexes),
 * fixed-offset calendar arithmetic, splitmix64.
 * Pure: no I/O, no clock.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

/* ---------------------------------------------------------- allocation -- */

void *ld_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        abort();
    return p;
}

void *ld_xcalloc(size_t n, size_t m)
{
    void *p = calloc(n ? n : 1, m ? m : 1);
    if (!p)
        abort();
    return p;
}

void *ld_xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        abort();
    return p;
}

/* Issue 17: a snapshot load sizes the big arrays (employees, facts, pays)
 * exactly and then touches them page by page, where a page fault costs
 * more than the work done on the page. So such an array of 4 MiB or more
 * asks for transparent huge pages over its 2 MiB aligned interior: one
 * fault per 2 MiB instead of per 4 KiB. Only there: hinting every big
 * allocation (growth, scratch) made a 10 M-event run slower (a huge page
 * is zeroed whole, and the kernel compacts memory to find one). A hint
 * only (contents, and so state and determinism, are unaffected). */
#define HUGE_PAGE ((uintptr_t)2 << 20)
#define HUGE_MIN ((size_t)4 << 20)

static void huge_hint(void *p, size_t n)
{
#ifdef MADV_HUGEPAGE
    if (n >= HUGE_MIN) {
        uintptr_t lo = ((uintptr_t)p + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
        uintptr_t hi = ((uintptr_t)p + n) & ~(HUGE_PAGE - 1);
        if (hi > lo)
            (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
    }
#else
    (void)p, (void)n;
#endif
}

void *ld_xmalloc_big(size_t n)
{
    void *p = ld_xmalloc(n);
    huge_hint(p, n);
    return p;
}

/* Issue 17: the arrays that grow with the history (facts, pays, and the
 * employees and pairs, which grow with the people and their ratings) get pages
 * of their own, grown by mremap: realloc copied them whole at every
 * doubling once malloc's mmap threshold had risen (tens of MB copied and
 * faulted in, ~3% of the realistic mix), where a remap moves no byte and
 * faults in only the pages written. Sizes are rounded up to pages. */
static size_t big_bytes(size_t n)
{
    const size_t page = 4096;
    return (n + page - 1) & ~(page - 1);
}

/* LeakSanitizer looks for pointers in the heap, stacks and globals, not in
 * mappings of the program's own: the employees' rows hold their vectors'
 * buffers, so under ASan each big array is a root region of its own (a
 * fuzzer's core that lives to the process's exit would otherwise report
 * every vector as leaked). Nothing of this in other builds. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LD_LSAN_ROOTS 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(LD_LSAN_ROOTS)
#define LD_LSAN_ROOTS 1
#endif
#ifdef LD_LSAN_ROOTS
#include <sanitizer/lsan_interface.h>
#define roots_add(p, n) __lsan_register_root_region((p), (n))
#define roots_drop(p, n) __lsan_unregister_root_region((p), (n))
#else
#define roots_add(p, n) ((void)(p), (void)(n))
#define roots_drop(p, n) ((void)(p), (void)(n))
#endif

/* mremap moves one mapping only: a range whose pages were given different
 * advice is several, and the kernel refuses it (EFAULT). ld_big_alloc's hint
 * covers the whole range for that reason; should a range still be split, its
 * growth copies it into a new mapping instead of stopping the process. */
void *ld_big_grow(void *p, size_t old_n, size_t n)
{
    if (!n)
        n = 1;
    void *q = MAP_FAILED;
    if (p && old_n) {
        roots_drop(p, big_bytes(old_n));
        q = mremap(p, big_bytes(old_n), big_bytes(n), MREMAP_MAYMOVE);
    }
    if (q == MAP_FAILED) {
        q = mmap(NULL, big_bytes(n), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (q == MAP_FAILED)
            abort();
        if (p && old_n) {
            memcpy(q, p, old_n < n ? old_n : n);
            munmap(p, big_bytes(old_n));
        }
    }
    roots_add(q, big_bytes(n));
    return q;
}

/* huge_hint's advice over the whole mapping (its interior only would split
 * it in three, and mremap could not grow it). */
static void big_hint(void *p, size_t n)
{
#ifdef MADV_HUGEPAGE
    if (n >= HUGE_MIN)
        (void)madvise(p, big_bytes(n), MADV_HUGEPAGE);
#else
    (void)p, (void)n;
#endif
}

void *ld_big_alloc(size_t n)
{
    void *p = ld_big_grow(NULL, 0, n);
    big_hint(p, n);
    return p;
}

void ld_big_free(void *p, size_t n)
{
    if (!p)
        return;
    roots_drop(p, big_bytes(n ? n : 1));
    munmap(p, big_bytes(n ? n : 1));
}

/* Issue 17: the first write to a page takes a fault, and on this VM a fault
 * costs 17-22 us (a 64 MiB array touched page by page: 0.28-0.36 s), where
 * MADV_POPULATE_WRITE gives the same pages in bulk at ~1.5 us each. A replay
 * from empty appends employees, facts, pays and pairs page after page (25 k
 * faults in a 3 M-event fold, a third of its time). So an append asks for
 * each 256 KiB chunk of its array whole when it first writes into it: at
 * most one chunk beyond what is written is resident, and the pages of a
 * chunk arrive in one call. Only whole pages inside the array are asked for
 * (a malloc'd array shares its edge pages), and a kernel without the advice
 * (before 5.14) just faults as before: contents are never changed. */
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#define AHEAD_CHUNK ((size_t)256 << 10)

static void populate(char *lo, char *hi)
{
    const uintptr_t page = 4096;
    uintptr_t a = ((uintptr_t)lo + page - 1) & ~(page - 1), b = (uintptr_t)hi & ~(page - 1);
    if (b > a)
        (void)madvise((void *)a, b - a, MADV_POPULATE_WRITE);
}

void ld_pages_ahead(void *base, size_t at, size_t n, size_t cap)
{
    if (!n || at + n > cap)
        return;
    size_t last = (at + n - 1) / AHEAD_CHUNK, first = at / AHEAD_CHUNK;
    if (at && (at - 1) / AHEAD_CHUNK == last)
        return; /* the chunk was entered by an earlier append */
    if (at && (at - 1) / AHEAD_CHUNK == first)
        first++;
    size_t end = (last + 1) * AHEAD_CHUNK;
    populate((char *)base + first * AHEAD_CHUNK, (char *)base + (end < cap ? end : cap));
}

void ld_pages_fill(void *base, size_t n) { populate(base, (char *)base + n); }

char *ld_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(ld_xmalloc(n), s, n);
}

/* ----------------------------------------------------------------- vec -- */

void ld_vec_reserve(vec_t *a, uint32_t n)
{
    if (n > a->cap) {
        a->cap = n;
        a->v = ld_xrealloc(a->v, a->cap * sizeof *a->v);
    }
}

void ld_vec_push(vec_t *a, uint32_t x)
{
    if (a->len == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 4;
        a->v = ld_xrealloc(a->v, a->cap * sizeof *a->v);
    }
    a->v[a->len++] = x;
}

bool ld_vec_has(const vec_t *a, uint32_t x)
{
    for (uint32_t i = 0; i < a->len; i++)
        if (a->v[i] == x)
            return true;
    return false;
}

bool ld_vec_remove(vec_t *a, uint32_t x)
{
    for (uint32_t i = 0; i < a->len; i++) {
        if (a->v[i] == x) {
            memmove(&a->v[i], &a->v[i + 1], (a->len - i - 1) * sizeof *a->v);
            a->len--;
            return true;
        }
    }
    return false;
}

void ld_vec_free(vec_t *a)
{
    free(a->v);
    *a = (vec_t){0};
}

/* --------------------------------------------------------------- arena -- */

struct arena_chunk {
    arena_chunk_t *next;
    size_t size;
    max_align_t data[];
};

void *ld_arena_alloc(arena_t *a, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    if (!a->head || a->used + n > a->cap) {
        size_t size = n > 65536 ? n : 65536;
        arena_chunk_t *ch = ld_xmalloc(sizeof *ch + size);
        ch->next = a->head;
        ch->size = size;
        a->head = ch;
        a->used = 0;
        a->cap = size;
    }
    void *p = (char *)a->head->data + a->used;
    a->used += n;
    memset(p, 0, n);
    return p;
}

char *ld_arena_strdup(arena_t *a, const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(ld_arena_alloc(a, n), s, n);
}

void ld_arena_reset(arena_t *a)
{
    if (!a->head)
        return;
    if (a->head->next) {
        /* it overflowed: replace the chunks by one that holds them all, so
         * the next round of the same size allocates nothing */
        size_t total = 0;
        for (arena_chunk_t *ch = a->head, *n; ch; ch = n) {
            n = ch->next;
            total += ch->size;
            free(ch);
        }
        a->head = ld_xmalloc(sizeof *a->head + total);
        a->head->next = NULL;
        a->head->size = total;
    }
    a->used = 0;
    a->cap = a->head->size;
}

arena_mark_t ld_arena_mark(const arena_t *a)
{
    return (arena_mark_t){a->head, a->used};
}

void ld_arena_rewind(arena_t *a, arena_mark_t m)
{
    if (!m.head) {
        /* empty at the mark: keep one chunk for the next allocations */
        while (a->head && a->head->next) {
            arena_chunk_t *n = a->head->next;
            free(a->head);
            a->head = n;
        }
        a->used = 0;
        a->cap = a->head ? a->head->size : 0;
        return;
    }
    while (a->head != m.head) {
        arena_chunk_t *n = a->head->next;
        free(a->head);
        a->head = n;
    }
    a->used = m.used;
    a->cap = a->head->size;
}

void ld_arena_free(arena_t *a)
{
    for (arena_chunk_t *ch = a->head, *n; ch; ch = n) {
        n = ch->next;
        free(ch);
    }
    *a = (arena_t){0};
}

/* --------------------------------------------------------------- table -- */
/* internal.h has the contract, and the tag, the home slot and the lookup
 * (inline). */

/* The slot holding key, or the empty slot that ends its probe chain. */
static size_t probe(const ld_table_t *t, uint32_t tag, const void *key, ld_table_eq_fn eq,
                    const void *ctx, bool *found)
{
    size_t mask = t->cap - 1, i = ld_table_home(tag, mask);
    for (; t->s[i].tag; i = (i + 1) & mask) {
        if (t->s[i].tag == tag && eq(ctx, t->s[i].idx, key)) {
            *found = true;
            return i;
        }
    }
    *found = false;
    return i;
}

static void table_resize(ld_table_t *t, size_t cap)
{
    ld_slot_t *s = ld_xcalloc(cap, sizeof *s);
    ld_pages_fill(s, cap * sizeof *s); /* re-placing the slots writes every page */
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->s[i].tag)
            continue;
        size_t j = ld_table_home(t->s[i].tag, cap - 1);
        while (s[j].tag)
            j = (j + 1) & (cap - 1);
        s[j] = t->s[i];
    }
    free(t->s);
    t->s = s;
    t->cap = cap;
}

/* The capacity that holds n keys at most 3/4 full (64 at least). */
static size_t cap_for(size_t n, size_t cap)
{
    if (!cap)
        cap = 64;
    while ((n + 1) * 4 >= cap * 3)
        cap *= 2;
    return cap;
}

void ld_table_reserve(ld_table_t *t, size_t n)
{
    size_t cap = cap_for(n, t->cap);
    if (cap != t->cap)
        table_resize(t, cap);
    huge_hint(t->s, t->cap * sizeof *t->s); /* filled at once (a snapshot load) */
}

/* The slot of key, or the empty one where it goes (room made first). */
static ld_slot_t *slot_for(ld_table_t *t, uint32_t tag, const void *key, ld_table_eq_fn eq,
                           const void *ctx, bool *found)
{
    if ((t->n + 1) * 4 >= t->cap * 3)
        table_resize(t, t->cap ? t->cap * 2 : 64);
    return &t->s[probe(t, tag, key, eq, ctx, found)];
}

void ld_table_put(ld_table_t *t, uint64_t h, const void *key, uint32_t idx, ld_table_eq_fn eq,
                  const void *ctx)
{
    bool found;
    uint32_t tag = ld_table_tag(h);
    ld_slot_t *s = slot_for(t, tag, key, eq, ctx, &found);
    t->n += !found;
    *s = (ld_slot_t){tag, idx};
}

uint32_t ld_table_insert(ld_table_t *t, uint64_t h, const void *key, uint32_t idx,
                         ld_table_eq_fn eq, const void *ctx)
{
    bool found;
    uint32_t tag = ld_table_tag(h);
    ld_slot_t *s = slot_for(t, tag, key, eq, ctx, &found);
    if (found)
        return s->idx;
    t->n++;
    *s = (ld_slot_t){tag, idx};
    return NONE;
}

/* Empties slot i and shifts back the slots after it that would otherwise
 * be cut off from their home: probe chains stay whole, with no tombstone. */
static void table_remove_at(ld_table_t *t, size_t i)
{
    size_t mask = t->cap - 1;
    t->s[i].tag = 0;
    t->n--;
    for (size_t j = (i + 1) & mask; t->s[j].tag; j = (j + 1) & mask) {
        size_t home = ld_table_home(t->s[j].tag, mask);
        bool between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (between)
            continue;
        t->s[i] = t->s[j];
        t->s[j].tag = 0;
        i = j;
    }
}

uint32_t ld_table_del(ld_table_t *t, uint64_t h, const void *key, ld_table_eq_fn eq,
                      const void *ctx)
{
    if (!t->cap)
        return NONE;
    bool found;
    size_t i = probe(t, ld_table_tag(h), key, eq, ctx, &found);
    if (!found)
        return NONE;
    uint32_t idx = t->s[i].idx;
    table_remove_at(t, i);
    return idx;
}

void ld_table_reindex(ld_table_t *t, uint64_t h, uint32_t from, uint32_t to)
{
    uint32_t tag = ld_table_tag(h);
    size_t mask = t->cap - 1;
    for (size_t i = ld_table_home(tag, mask); t->cap && t->s[i].tag; i = (i + 1) & mask) {
        if (t->s[i].tag == tag && t->s[i].idx == from) {
            t->s[i].idx = to;
            return;
        }
    }
}

void ld_table_free(ld_table_t *t)
{
    free(t->s);
    *t = (ld_table_t){0};
}

/* --------------------------------------------------------------- pairs -- */

typedef struct {
    uint32_t a, b;
} pair_key_t;

static uint64_t pair_hash(uint32_t a, uint32_t b)
{
    return ld_mix64((uint64_t)a << 32 | b);
}

void ld_pairs_prefetch(const ld_pairs_t *s, uint32_t a, uint32_t b)
{
    if (s->ix.cap)
        __builtin_prefetch(&s->ix.s[ld_table_home(ld_table_tag(pair_hash(a, b)), s->ix.cap - 1)]);
}

static bool pair_eq(const void *ctx, uint32_t idx, const void *key)
{
    const ld_pair_t *p = &((const ld_pair_t *)ctx)[idx];
    const pair_key_t *k = key;
    return p->a == k->a && p->b == k->b;
}

bool ld_pairs_get(const ld_pairs_t *s, uint32_t a, uint32_t b, uint32_t *val)
{
    pair_key_t k = {a, b};
    uint32_t i = ld_table_get(&s->ix, pair_hash(a, b), &k, pair_eq, s->e);
    if (i != NONE && val)
        *val = s->e[i].val;
    return i != NONE;
}

void ld_pairs_reserve(ld_pairs_t *s, size_t n)
{
    if (n > s->cap) {
        s->e = ld_big_grow(s->e, s->cap * sizeof *s->e, n * sizeof *s->e);
        s->cap = n;
        big_hint(s->e, s->cap * sizeof *s->e); /* filled at once (a snapshot load) */
    }
    ld_table_reserve(&s->ix, n);
}

bool ld_pairs_put(ld_pairs_t *s, uint32_t a, uint32_t b, uint32_t val, uint32_t *old)
{
    pair_key_t k = {a, b};
    /* one probe: the new row's index goes in unless the pair is there */
    uint32_t i = ld_table_insert(&s->ix, pair_hash(a, b), &k, (uint32_t)s->n, pair_eq, s->e);
    if (i != NONE) {
        if (old)
            *old = s->e[i].val;
        s->e[i].val = val;
        return true;
    }
    LD_GROW_BIG(s->e, s->cap, s->n);
    ld_pages_ahead(s->e, s->n * sizeof *s->e, sizeof *s->e, s->cap * sizeof *s->e);
    s->e[s->n++] = (ld_pair_t){a, b, val};
    return false;
}

void ld_pairs_del(ld_pairs_t *s, uint32_t a, uint32_t b)
{
    pair_key_t k = {a, b};
    uint32_t i = ld_table_del(&s->ix, pair_hash(a, b), &k, pair_eq, s->e);
    if (i == NONE)
        return;
    uint32_t last = (uint32_t)--s->n;
    if (i != last) {
        ld_table_reindex(&s->ix, pair_hash(s->e[last].a, s->e[last].b), last, i);
        s->e[i] = s->e[last];
    }
}

void ld_pairs_free(ld_pairs_t *s)
{
    ld_table_free(&s->ix);
    ld_big_free(s->e, s->cap * sizeof *s->e);
    *s = (ld_pairs_t){0};
}

/* ------------------------------------------------------------ calendar -- */

#define DAY_MS 86400000LL

/* Times outside years 1..9999 are clamped: arithmetic on them stays defined
 * (a corrupted or hostile at_ms near INT64_MAX overflowed here; the fuzzer found it). */
static int64_t clamp_ms(int64_t ms)
{
    return ms < LD_MIN_MS ? LD_MIN_MS : ms > LD_MAX_MS ? LD_MAX_MS : ms;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = floor_div(y, 400);
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = floor_div(z, 146097);
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dm[m - 1];
}

int64_t ld_cal_day_index(int64_t ms, int32_t offset_min)
{
    ms = clamp_ms(ms);
    return floor_div(ms + (int64_t)offset_min * 60000, DAY_MS);
}

void ld_cal_civil(int64_t ms, int32_t offset_min, int *y, int *m, int *d)
{
    civil_from_days(ld_cal_day_index(ms, offset_min), y, m, d);
}

int64_t ld_cal_add_months(int64_t ms, int months, int32_t offset_min)
{
    ms = clamp_ms(ms);
    int64_t local = ms + (int64_t)offset_min * 60000;
    int64_t day = floor_div(local, DAY_MS), tod = local - day * DAY_MS;
    int y, m, d;
    civil_from_days(day, &y, &m, &d);
    int64_t mi = (int64_t)y * 12 + (m - 1) + months;
    y = (int)floor_div(mi, 12);
    m = (int)(mi - (int64_t)y * 12) + 1;
    if (d > days_in_month(y, m))
        d = days_in_month(y, m); /* Jan 31 + 1 month = Feb 28/29 */
    return days_from_civil(y, (unsigned)m, (unsigned)d) * DAY_MS + tod - (int64_t)offset_min * 60000;
}

int64_t ld_cal_add_days(int64_t ms, int days)
{
    return clamp_ms(ms) + (int64_t)days * DAY_MS;
}

int64_t ld_cal_week_start(int64_t ms, int32_t offset_min, uint32_t week_start)
{
    int64_t day = ld_cal_day_index(ms, offset_min);
    /* 1970-01-01 was a Thursday: ISO weekday 4 */
    int64_t wd = (day + 3) - floor_div(day + 3, 7) * 7 + 1; /* ISO: Monday 1 .. Sunday 7 */
    int64_t back = (wd - (int64_t)week_start + 7) % 7;
    return (day - back) * DAY_MS - (int64_t)offset_min * 60000;
}

int64_t ld_cal_month_start(int64_t ms, int32_t offset_min, int months_per_period)
{
    int y, m, d;
    ld_cal_civil(ms, offset_min, &y, &m, &d);
    m = (m - 1) / months_per_period * months_per_period + 1;
    return days_from_civil(y, (unsigned)m, 1) * DAY_MS - (int64_t)offset_min * 60000;
}

char *ld_cal_format(char buf[CAL_FMT_LEN], int64_t ms, int32_t offset_min)
{
    ms = clamp_ms(ms);
    int64_t local = ms + (int64_t)offset_min * 60000;
    int64_t day = floor_div(local, DAY_MS), tod = local - day * DAY_MS;
    int y, m, d;
    civil_from_days(day, &y, &m, &d);
    char *s = buf;
    snprintf(s, CAL_FMT_LEN, "%04d-%02d-%02d %02d:%02d%c%02d:%02d", y, m, d, (int)(tod / 3600000),
             (int)(tod / 60000 % 60), offset_min < 0 ? '-' : '+', abs(offset_min) / 60,
             abs(offset_min) % 60);
    return s;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

uint32_t ld_median_u32(const vec_t *v)
{
    uint32_t tmp[64], n = v->len < 64 ? v->len : 64;
    if (!n)
        return 0;
    memcpy(tmp, v->v, n * sizeof *tmp);
    qsort(tmp, n, sizeof *tmp, cmp_u32);
    return n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
}

uint64_t ld_mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}
