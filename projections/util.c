/* util.c — the small data structures and the calendar the core shares:
 * vec, arena, idmap, pairset, fixed-offset calendar arithmetic, splitmix64.
 * Pure: no I/O, no clock.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

/* --------------------------------------------------------------- idmap -- */

uint64_t ld_hash_str(const char *s, size_t n)
{
    uint64_t h = ld_fnv1a(s, n, LD_FNV_BASIS);
    h ^= h >> 29;
    return h | 1;
}

static size_t find_slot(const idmap_t *m, const char *key, uint64_t h, idmap_key_fn fn,
                        const void *ctx, bool *found)
{
    size_t mask = m->cap - 1, i = h & mask;
    while (m->s[i].h) {
        if (m->s[i].h == (uint32_t)h && strcmp(fn(ctx, m->s[i].idx), key) == 0) {
            *found = true;
            return i;
        }
        i = (i + 1) & mask;
    }
    *found = false;
    return i;
}

uint32_t ld_idmap_get(const idmap_t *m, const char *key, idmap_key_fn fn, const void *ctx)
{
    if (!m->cap)
        return NONE;
    bool found;
    size_t i = find_slot(m, key, ld_hash_str(key, strlen(key)), fn, ctx, &found);
    return found ? m->s[i].idx : NONE;
}

static void idmap_grow(idmap_t *m)
{
    idmap_t n = {.cap = m->cap ? m->cap * 2 : 64};
    n.s = ld_xcalloc(n.cap, sizeof *n.s);
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->s[i].h)
            continue;
        size_t j = m->s[i].h & (n.cap - 1);
        while (n.s[j].h)
            j = (j + 1) & (n.cap - 1);
        n.s[j] = m->s[i];
    }
    n.n = m->n;
    free(m->s);
    *m = n;
}

void ld_idmap_reserve(idmap_t *m, size_t n)
{
    while ((n + 1) * 4 >= m->cap * 3)
        idmap_grow(m);
    huge_hint(m->s, m->cap * sizeof *m->s); /* filled at once (a snapshot load) */
}

void ld_idmap_put(idmap_t *m, const char *key, uint32_t idx, idmap_key_fn fn, const void *ctx)
{
    if ((m->n + 1) * 4 >= m->cap * 3)
        idmap_grow(m);
    bool found;
    uint64_t h = ld_hash_str(key, strlen(key));
    size_t i = find_slot(m, key, h, fn, ctx, &found);
    if (!found)
        m->n++;
    m->s[i] = (idslot_t){(uint32_t)h, idx};
}

void ld_idmap_del(idmap_t *m, const char *key, idmap_key_fn fn, const void *ctx)
{
    if (!m->cap)
        return;
    bool found;
    size_t mask = m->cap - 1, i = find_slot(m, key, ld_hash_str(key, strlen(key)), fn, ctx, &found);
    if (!found)
        return;
    /* backward-shift deletion keeps probe chains whole without tombstones */
    m->s[i].h = 0;
    m->n--;
    for (size_t j = (i + 1) & mask; m->s[j].h; j = (j + 1) & mask) {
        size_t home = m->s[j].h & mask;
        bool between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (between)
            continue;
        m->s[i] = m->s[j];
        m->s[j].h = 0;
        i = j;
    }
}

void ld_idmap_free(idmap_t *m)
{
    free(m->s);
    *m = (idmap_t){0};
}

/* ------------------------------------------------------------- pairset -- */

static uint64_t pair_key(uint32_t a, uint32_t b)
{
    return ((uint64_t)a + 1) << 32 | b;
}

static size_t pair_home(uint64_t k, size_t cap)
{
    return (size_t)(ld_mix64(k) & (cap - 1));
}

static size_t pair_slot(const pairset_t *s, uint64_t k, bool *found)
{
    size_t mask = s->cap - 1, i = pair_home(k, s->cap);
    while (s->k[i]) {
        if (s->k[i] == k) {
            *found = true;
            return i;
        }
        i = (i + 1) & mask;
    }
    *found = false;
    return i;
}

bool ld_pairset_get(const pairset_t *s, uint32_t a, uint32_t b, uint32_t *val)
{
    if (!s->cap)
        return false;
    bool found;
    size_t i = pair_slot(s, pair_key(a, b), &found);
    if (found && val)
        *val = s->val[i];
    return found;
}

static void pairset_grow(pairset_t *s, size_t want)
{
    while ((want + 1) * 4 >= s->cap * 3) {
        pairset_t n = {.cap = s->cap ? s->cap * 2 : 64};
        n.k = ld_xcalloc(n.cap, sizeof *n.k);
        n.val = ld_xcalloc(n.cap, sizeof *n.val);
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->k[i])
                continue;
            size_t j = pair_home(s->k[i], n.cap);
            while (n.k[j])
                j = (j + 1) & (n.cap - 1);
            n.k[j] = s->k[i];
            n.val[j] = s->val[i];
        }
        n.n = s->n;
        free(s->k);
        free(s->val);
        *s = n;
    }
}

void ld_pairset_reserve(pairset_t *s, size_t n)
{
    pairset_grow(s, n);
    huge_hint(s->k, s->cap * sizeof *s->k); /* filled at once (a snapshot load) */
    huge_hint(s->val, s->cap * sizeof *s->val);
}

void ld_pairset_put(pairset_t *s, uint32_t a, uint32_t b, uint32_t val)
{
    pairset_grow(s, s->n);
    bool found;
    uint64_t k = pair_key(a, b);
    size_t i = pair_slot(s, k, &found);
    if (!found)
        s->n++;
    s->k[i] = k;
    s->val[i] = val;
}

void ld_pairset_del(pairset_t *s, uint32_t a, uint32_t b)
{
    if (!s->cap)
        return;
    bool found;
    size_t mask = s->cap - 1, i = pair_slot(s, pair_key(a, b), &found);
    if (!found)
        return;
    s->k[i] = 0;
    s->n--;
    for (size_t j = (i + 1) & mask; s->k[j]; j = (j + 1) & mask) {
        size_t home = pair_home(s->k[j], s->cap);
        bool between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (between)
            continue;
        s->k[i] = s->k[j];
        s->val[i] = s->val[j];
        s->k[j] = 0;
        i = j;
    }
}

void ld_pairset_free(pairset_t *s)
{
    free(s->k);
    free(s->val);
    *s = (pairset_t){0};
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
